package proxylogon

import (
	"bytes"
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/source/literal"
)

// Rules of the CVE-2021-26855 check. One HttpProxy row yields at most one of
// them.
var (
	RuleSSRFBackend = finding.Rule{
		ID:    "proxylogon-ssrf-backend",
		Title: "Forged back-end request (CVE-2021-26855) reached an Exchange back-end path",
		CVEs:  cves26855,
		Remediation: "The front end proxied an unauthenticated request to the back end on the attacker's behalf. " +
			"Treat the server as compromised from this time on: patch (March 2021 security update or a later CU), " +
			"look for web shells in the OWA/ECP auth folders and aspnet_client, and follow the ECP and OAB findings of the same client.",
		Grading:    "high; medium if the request failed",
		References: []string{detect.RefTestProxyLogon, detect.RefMicrosoftHafnium},
		Stage:      finding.StageExploitation,
	}
	RuleSSRFAutodiscover = finding.Rule{
		ID:    "proxylogon-ssrf-autodiscover",
		Title: "Forged back-end request (CVE-2021-26855) attempt that reached only autodiscover",
		CVEs:  cves26855,
		Remediation: "An exploitation attempt that did not get past mailbox discovery. Make sure the server is patched; " +
			"look for later requests from the same client that went further.",
		Grading:    "low",
		References: []string{detect.RefTestProxyLogon},
		Stage:      finding.StageAttempt,
	}
	RuleSSRFLocalhostProbe = finding.Rule{
		ID:    "proxylogon-ssrf-localhost-probe",
		Title: "Vulnerability scan for CVE-2021-26855 (forged request aimed at localhost)",
		CVEs:  cves26855,
		Remediation: "A scanner, possibly Microsoft's own nmap check, tested whether the server is vulnerable. " +
			"On its own this is not a compromise; make sure the server is patched.",
		Grading:    "low",
		References: []string{detect.RefTestProxyLogon},
		Stage:      finding.StageAttempt,
	}
	RuleSSRFProbe = finding.Rule{
		ID:    "proxylogon-ssrf-probe",
		Title: "Vulnerability scan for CVE-2021-26855 (forged request aimed at a static file or an out-of-band host)",
		CVEs:  cves26855,
		Remediation: "A scanner tested whether the front end follows a forged back-end cookie, by asking for a static " +
			"file or by pointing it at an out-of-band interaction service (Burp Collaborator, interactsh, ...). " +
			"On its own this is not a compromise; make sure the server is patched, and if the outcome says it was " +
			"vulnerable at the time, look for requests from other clients that reached dynamic back-end pages.",
		Grading: "low, whatever the status (a 500 from the back end says the server was vulnerable then)",
		Stage:   finding.StageAttempt,
	}
)

// SSRF checks HttpProxy rows for requests whose routing target came from a
// forged X-BEResource or X-AnonResource-Backend cookie.
type SSRF struct{}

func (SSRF) Name() string              { return "proxylogon-ssrf" }
func (SSRF) Family() detect.LogFamily  { return detect.HttpProxy }
func (SSRF) Literals() []string        { return httpProxyLiterals }
func (SSRF) Precheck(line []byte) bool { return mayHoldTarget(line) }

func (SSRF) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	target, ok := targetOf(rec)
	if !ok {
		return
	}
	ev := httpProxyEvidence(rec, target)
	at, _ := rec.Time()
	status := classifyStatus(rec.Get(finding.KeyHTTPStatus))
	switch {
	case target.isOutOfBand():
		// Whatever the path: the back end named is the scanner's own
		// listener, not this organisation's server.
		emit(RuleSSRFProbe.New(finding.Low, rec.Path, rec.Line, at, probeEvidence(ev, rec, "the target is an out-of-band interaction service")))
	case target.isLocalhostProbe() && !(status == statusSuccess && target.isDynamic()):
		// On a single-server install localhost is the back end, so a
		// dynamic back-end page answered with success is a real hit.
		emit(RuleSSRFLocalhostProbe.New(finding.Low, rec.Path, rec.Line, at, probeEvidence(ev, rec, "the target is localhost")))
	case target.isAutodiscover():
		emit(RuleSSRFAutodiscover.New(finding.Low, rec.Path, rec.Line, at, ev))
	case !target.isDynamic():
		emit(RuleSSRFProbe.New(finding.Low, rec.Path, rec.Line, at, probeEvidence(ev, rec, "the target is a static file, which does nothing on the back end")))
	default:
		sev := finding.High
		outcome := "the back end answered with success"
		switch status {
		case statusFailed:
			sev = finding.Medium
			outcome = "the request failed; the attacker reached the back end but this step did not succeed"
		case statusUnknown:
			outcome = "the log has no HTTP status; assume it succeeded"
		}
		ev = append(ev, finding.Field{Name: finding.KeyOutcome, Value: outcome})
		emit(RuleSSRFBackend.New(sev, rec.Path, rec.Line, at, ev))
	}
}

// probeEvidence adds why a row is a scan and what its status tells. Servers
// without the March 2021 fix answered the scanners' forged cookie with 500
// (the answer Microsoft's nmap check takes as vulnerable); fixed servers
// answer otherwise, so a 500 dates the server as vulnerable even though
// the scan did nothing.
func probeEvidence(ev finding.Evidence, rec *detect.LogRecord, why string) finding.Evidence {
	outcome := ""
	switch s := strings.TrimSpace(rec.Get(finding.KeyHTTPStatus)); {
	case s == "500":
		outcome = "the back end answered 500: the server was most likely vulnerable to CVE-2021-26855 at this time"
	case classifyStatus(s) == statusUnknown:
		outcome = "the log has no HTTP status; nothing tells whether the server was vulnerable"
	default:
		outcome = "answered " + s + ": this row does not tell whether the server was vulnerable"
	}
	return append(ev, finding.Field{Name: "Probe", Value: why}, finding.Field{Name: finding.KeyOutcome, Value: outcome})
}

// httpProxyEvidence keeps the fields a responder needs from a forged-request
// row: Test-ProxyLogon's set plus BackEndCookie and the parsed target.
func httpProxyEvidence(rec *detect.LogRecord, t ssrfTarget) finding.Evidence {
	ev := finding.Evidence{
		{Name: finding.KeyDateTime, Value: rec.Get(finding.KeyDateTime)},
		{Name: finding.KeyClientIP, Value: rec.Get(finding.KeyClientIP)},
		{Name: finding.KeyURLStem, Value: rec.Get(finding.KeyURLStem)},
		{Name: "AnchorMailbox", Value: rec.Get("AnchorMailbox")},
		{Name: "BackEndCookie", Value: rec.Get("BackEndCookie")},
		{Name: finding.KeyUserAgent, Value: rec.Get(finding.KeyUserAgent)},
		{Name: finding.KeyHTTPStatus, Value: rec.Get(finding.KeyHTTPStatus)},
		{Name: finding.KeyRequestID, Value: rec.Get(finding.KeyRequestID)},
		{Name: "TargetHost", Value: t.Host},
		{Name: "TargetPath", Value: t.Path},
		{Name: "TargetFrom", Value: t.Source},
	}
	for _, name := range []string{"Protocol", "UrlHost", "Method", "RoutingHint", "AuthenticatedUser", "TargetServer"} {
		if v := rec.Get(name); v != "" {
			ev = append(ev, finding.Field{Name: name, Value: v})
		}
	}
	return ev
}

// mayHoldTarget is a cheap test on the raw line before it is split: a
// ServerInfo~ or Server~ prefix at the start of a field, followed by a slash
// before the next comma (or in a quoted field, which can hold anything).
// It looks only at the tildes of the line, so benign Sid~, Database~ and
// Server~<fqdn>~<version> values, which are on most rows of a busy server,
// cost a few comparisons each.
func mayHoldTarget(line []byte) bool {
	for i := 0; i < len(line); {
		j := bytes.IndexByte(line[i:], '~')
		if j < 0 {
			return false
		}
		p := i + j
		i = p + 1
		start := -1
		switch {
		case p >= 10 && literal.EqualFold(line[p-10:p], "serverinfo"):
			start = p - 10
		case p >= 6 && literal.EqualFold(line[p-6:p], "server"):
			start = p - 6
		default:
			continue
		}
		if start > 0 {
			switch line[start-1] {
			case '"':
				return true
			case ',':
			default:
				continue // inside another field's text
			}
		}
		if k := bytes.IndexAny(line[p+1:], ",/"); k >= 0 && line[p+1+k] == '/' {
			return true
		}
	}
	return false
}
