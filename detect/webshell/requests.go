package webshell

import (
	"net/url"
	"path"
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/indicators"
	"github.com/exhunt/exhunt/source/literal"
)

// Rules of the web shell request check.
var (
	RuleShellAnswered = finding.Rule{
		ID:    "webshell-request-success",
		Title: "A script in the OWA/ECP auth folder that Exchange does not install answered a request (web shell used)",
		CVEs:  cvesChain,
		Remediation: "Only a file that exists and runs answers 200 here: the web shell was on disk and was used at this " +
			"time by this client. " + remediateShell,
		Grading:    "critical",
		References: []string{detect.RefMicrosoftHafnium},
		Stage:      finding.StageWebshellUse,
	}
	RuleShellProbe = finding.Rule{
		ID:    "webshell-request-probe",
		Title: "Request for a script in the OWA/ECP auth folder that Exchange does not install (web shell probe)",
		CVEs:  cvesChain,
		Remediation: "Someone looked for a web shell (often another group scanning for shells left by the first " +
			"attackers); the server did not serve it. Check that no such file exists and that the server is patched.",
		Grading: "low",
		Stage:   finding.StageAttempt,
	}
)

// Requests checks HttpProxy rows for requests to scripts in the front end's
// owa\auth and ecp\auth folders that are not Exchange's own files. These
// folders are reachable without logging on, which is why the 2021 attackers
// put their shells there; their status tells use (2xx: the file exists and
// ran) from probing (302, 404: it does not).
type Requests struct{}

func (Requests) Name() string             { return "webshell-requests" }
func (Requests) Family() detect.LogFamily { return detect.HttpProxy }

// Folders: requests under /owa and /ecp are logged in these protocol
// folders only, so the other folders need not be searched for them.
func (Requests) Folders() []string  { return []string{"Owa", "Ecp"} }
func (Requests) Literals() []string { return []string{"/owa/auth/", "/ecp/auth/"} }

func (Requests) Precheck(line []byte) bool {
	for from := 0; ; {
		i := literal.IndexFold(line[from:], "/auth/")
		if i < 0 {
			return false
		}
		start := from + i
		from = start + 1
		if start < 4 {
			continue
		}
		var vdir string
		switch {
		case literal.EqualFold(line[start-4:start], "/owa"):
			vdir = "owa"
		case literal.EqualFold(line[start-4:start], "/ecp"):
			vdir = "ecp"
		default:
			continue
		}
		end := start + 6
		for end < len(line) && !isStemEnd(line[end]) {
			end++
		}
		if _, ok := suspiciousAuthRequest(vdir, string(line[start+6:end])); ok {
			return true
		}
	}
}

func (Requests) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	stem := rec.Get(finding.KeyURLStem)
	if stem == "" {
		return
	}
	if u, err := url.PathUnescape(stem); err == nil {
		stem = u
	}
	why, ok := SuspiciousRequestPath(stem)
	if !ok || strings.HasPrefix(strings.ToLower(stem), "/aspnet_client/") {
		return
	}
	at, _ := rec.Time()
	ev := finding.Evidence{
		{Name: finding.KeyDateTime, Value: rec.Get(finding.KeyDateTime)},
		{Name: finding.KeyClientIP, Value: rec.Get(finding.KeyClientIP)},
		{Name: finding.KeyMethod, Value: rec.Get(finding.KeyMethod)},
		{Name: finding.KeyURLStem, Value: rec.Get(finding.KeyURLStem)},
		{Name: finding.KeyHTTPStatus, Value: rec.Get(finding.KeyHTTPStatus)},
		{Name: finding.KeyUserAgent, Value: rec.Get(finding.KeyUserAgent)},
		{Name: finding.KeyWhy, Value: why},
	}
	for _, name := range []string{"UrlHost", "UrlQuery", "RequestId"} {
		if v := rec.Get(name); v != "" {
			ev = append(ev, finding.Field{Name: name, Value: v})
		}
	}
	switch status := rec.Get(finding.KeyHTTPStatus); {
	case len(status) == 3 && status[0] == '2':
		emit(RuleShellAnswered.New(finding.Critical, rec.Path, rec.Line, at, ev))
	case len(status) == 3 && status[0] == '5':
		// A missing file gives 404 or a redirect; a server error means
		// the script exists and failed while it ran.
		emit(RuleShellAnswered.New(finding.High, rec.Path, rec.Line, at, append(ev,
			finding.Field{Name: finding.KeyOutcome, Value: "server error: the file exists and failed while running"})))
	default:
		emit(RuleShellProbe.New(finding.Low, rec.Path, rec.Line, at, ev))
	}
}

// SuspiciousRequestPath judges the decoded URL path of a request to one of
// the web shell hot spots (/owa/auth/, /ecp/auth/, /aspnet_client/): a
// script that is not one of Exchange's own files there. ok is false for
// other paths and for Exchange's own files.
func SuspiciousRequestPath(stem string) (why string, ok bool) {
	low := strings.ToLower(stem)
	switch {
	case strings.HasPrefix(low, "/owa/auth/"):
		return suspiciousAuthRequest("owa", stem[len("/owa/auth/"):])
	case strings.HasPrefix(low, "/ecp/auth/"):
		return suspiciousAuthRequest("ecp", stem[len("/ecp/auth/"):])
	case strings.HasPrefix(low, "/aspnet_client/"):
		rel := stem[len("/aspnet_client/"):]
		if !IsScript(rel) {
			return "", false
		}
		if isKnownShellName(path.Base(rel)) {
			return "published web shell name in aspnet_client, which holds no scripts", true
		}
		return "script in aspnet_client, which holds no scripts", true
	}
	return "", false
}

// ExchangeOwnRequest reports whether a request's decoded URL path names
// one of the files Exchange installs in its front end's virtual
// directories (/owa/auth/logon.aspx), which users load every day.
func ExchangeOwnRequest(stem string) bool {
	rel := strings.TrimPrefix(stem, "/")
	vdir, rest, ok := strings.Cut(rel, "/")
	if !ok || rest == "" {
		return false
	}
	if strings.EqualFold(vdir, "Microsoft-Server-ActiveSync") {
		vdir = "sync"
	}
	return isExchangeFile(`frontend\httpproxy\` + strings.ToLower(vdir) + `\` + strings.ReplaceAll(rest, "/", `\`))
}

// suspiciousAuthRequest judges a path below /owa/auth/ or /ecp/auth/: a
// script that is not one of Exchange's own files there. Encoded paths are
// always looked at (the caller decodes them).
func suspiciousAuthRequest(vdir, rel string) (string, bool) {
	if strings.Contains(rel, "%") {
		return "encoded path", true
	}
	if !IsScript(rel) {
		return "", false
	}
	if strings.Contains(rel, "/") {
		return "script below the auth folder, where Exchange keeps only static files", true
	}
	if isExchangeFile(`frontend\httpproxy\` + vdir + `\auth\` + rel) {
		return "", false
	}
	name := path.Base(rel)
	if isKnownShellName(name) {
		return "published web shell name; not a file Exchange installs here", true
	}
	return "not a file Exchange installs here", true
}

func isStemEnd(c byte) bool {
	return c == ',' || c == '?' || c == '"' || c == ' ' || c == '#' || c == '\r' || c == '\n'
}

// isKnownShellName compares a file name with the published shell names.
func isKnownShellName(name string) bool {
	return indicators.MustBuiltin().WebshellNames[strings.ToLower(name)]
}

func (Requests) Check() detect.Check {
	return detect.Check{ID: "webshell-requests", Title: "Requests to web shells in the OWA/ECP auth folders (HttpProxy Owa and Ecp logs)",
		CVEs: cvesChain, Needs: "the HttpProxy Owa or Ecp logs"}
}

func (Requests) Rules() []*finding.Rule { return []*finding.Rule{&RuleShellAnswered, &RuleShellProbe} }
