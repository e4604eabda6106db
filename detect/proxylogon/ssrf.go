package proxylogon

import (
	"bytes"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
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
	}
	RuleSSRFAutodiscover = finding.Rule{
		ID:    "proxylogon-ssrf-autodiscover",
		Title: "Forged back-end request (CVE-2021-26855) attempt that reached only autodiscover",
		CVEs:  cves26855,
		Remediation: "An exploitation attempt that did not get past mailbox discovery. Make sure the server is patched; " +
			"look for later requests from the same client that went further.",
	}
	RuleSSRFLocalhostProbe = finding.Rule{
		ID:    "proxylogon-ssrf-localhost-probe",
		Title: "Vulnerability scan for CVE-2021-26855 (forged request aimed at localhost)",
		CVEs:  cves26855,
		Remediation: "A scanner, possibly Microsoft's own nmap check, tested whether the server is vulnerable. " +
			"On its own this is not a compromise; make sure the server is patched.",
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
	switch {
	case target.isLocalhostProbe():
		emit(RuleSSRFLocalhostProbe.New(finding.Low, rec.Path, rec.Line, at, ev))
	case target.isAutodiscover():
		emit(RuleSSRFAutodiscover.New(finding.Low, rec.Path, rec.Line, at, ev))
	default:
		sev := finding.High
		outcome := "the back end answered with success"
		switch classifyStatus(rec.Get("HttpStatus")) {
		case statusFailed:
			sev = finding.Medium
			outcome = "the request failed; the attacker reached the back end but this step did not succeed"
		case statusUnknown:
			outcome = "the log has no HTTP status; assume it succeeded"
		}
		ev = append(ev, finding.Field{Name: "Outcome", Value: outcome})
		emit(RuleSSRFBackend.New(sev, rec.Path, rec.Line, at, ev))
	}
}

// httpProxyEvidence keeps the fields a responder needs from a forged-request
// row: Test-ProxyLogon's set plus BackEndCookie and the parsed target.
func httpProxyEvidence(rec *detect.LogRecord, t ssrfTarget) finding.Evidence {
	ev := finding.Evidence{
		{Name: "DateTime", Value: rec.Get("DateTime")},
		{Name: "ClientIpAddress", Value: rec.Get("ClientIpAddress")},
		{Name: "UrlStem", Value: rec.Get("UrlStem")},
		{Name: "AnchorMailbox", Value: rec.Get("AnchorMailbox")},
		{Name: "BackEndCookie", Value: rec.Get("BackEndCookie")},
		{Name: "UserAgent", Value: rec.Get("UserAgent")},
		{Name: "HttpStatus", Value: rec.Get("HttpStatus")},
		{Name: "RequestId", Value: rec.Get("RequestId")},
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
// ServerInfo~ anchor, or a Server~ cookie with a slash before its next
// separator. Benign Server~<fqdn>~<version> cookies are common on busy
// servers and need not be parsed.
func mayHoldTarget(line []byte) bool {
	if indexFold(line, "serverinfo~") >= 0 {
		return true
	}
	for from := 0; ; {
		i := indexFold(line[from:], "server~")
		if i < 0 {
			return false
		}
		p := from + i
		if p > 0 && line[p-1] == '"' {
			return true // a quoted field can hold anything; parse it
		}
		rest := line[p+len("server~"):]
		if j := bytes.IndexAny(rest, ",~/"); j >= 0 && rest[j] == '/' {
			return true
		}
		from = p + 1
	}
}

// indexFold finds an ASCII lower-case needle in b, ignoring the case of b.
func indexFold(b []byte, lowerNeedle string) int {
	n := len(lowerNeedle)
	first := lowerNeedle[0]
	upper := first
	if first >= 'a' && first <= 'z' {
		upper = first - 'a' + 'A'
	}
	for i := 0; i+n <= len(b); i++ {
		c := b[i]
		if c != first && c != upper {
			continue
		}
		match := true
		for j := 1; j < n; j++ {
			d := b[i+j]
			if d >= 'A' && d <= 'Z' {
				d += 'a' - 'A'
			}
			if d != lowerNeedle[j] {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}
