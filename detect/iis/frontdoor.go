package iis

import (
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/source/literal"
)

// Rules of the front-door check.
var (
	RuleSSRFFrontDoor = finding.Rule{
		ID:    "iis-ssrf-front-door",
		Title: "Request to a CVE-2021-26855 front door (/ecp/<name>.js, /owa/auth/x.js, /ecp/default.flt, /ecp/main.css)",
		CVEs:  []string{"CVE-2021-26855"},
		Remediation: "The forged back-end request of CVE-2021-26855 is sent to a static file that needs no logon. IIS " +
			"cannot show where it was forwarded: look for this time and client in the HttpProxy logs (the forged " +
			"back-end target) and check that the server is patched.",
		Grading:    "medium for a POST; low for a GET of /owa/auth/x.js (the published vulnerability scan)",
		References: []string{detect.RefCISAAA21062A, detect.RefSigmaHafnium},
		Stage:      finding.StageAttempt,
	}
	RuleExploitPostTarget = finding.Rule{
		ID:    "iis-exploit-post-target",
		Title: "POST to OWA's static log-on resources (/owa/auth/Current/...), the exploitation requests Volexity published",
		CVEs:  []string{"CVE-2021-26855"},
		Remediation: "OWA never posts to its static theme files; these requests carried the forged back-end request. " +
			"Look for this client in the HttpProxy logs and the rest of its requests.",
		Grading:    "medium",
		References: []string{detect.RefCISAAA21062A, detect.RefSigmaHafnium},
		Stage:      finding.StageAttempt,
	}
)

// FrontDoor finds requests to the static files through which the
// CVE-2021-26855 SSRF was sent: they need no logon, which is why the
// exploits and the scanners used them.
type FrontDoor struct{}

func (FrontDoor) Name() string             { return "iis-front-door" }
func (FrontDoor) Family() detect.LogFamily { return detect.IIS }

func (FrontDoor) Check() detect.Check {
	return detect.Check{ID: "iis-front-door", Title: "CVE-2021-26855 front-door requests in the IIS logs",
		CVEs: []string{"CVE-2021-26855"}, Needs: needsIIS}
}

func (FrontDoor) Rules() []*finding.Rule {
	return []*finding.Rule{&RuleSSRFFrontDoor, &RuleExploitPostTarget}
}

// Literals: the front doors' names, and ".js " for the short script names
// under /ecp/ (IIS writes a space after the path; "/ecp/" itself is on
// every ECP request).
func (FrontDoor) Literals() []string {
	return []string{".js ", "/ecp/default.flt", "/ecp/main.css", "/owa/auth/x.js", "/owa/auth/current/"}
}

// Precheck spares the split of the many ECP lines that are not a short
// .js, .flt or .css request.
func (FrontDoor) Precheck(line []byte) bool {
	if literal.IndexFold(line, "/owa/auth/") >= 0 {
		return true
	}
	for from := 0; ; {
		i := literal.IndexFold(line[from:], "/ecp/")
		if i < 0 {
			return false
		}
		rest := line[from+i+5:]
		from += i + 5
		end := 0
		for end < len(rest) && rest[end] != ' ' && rest[end] != '?' {
			end++
		}
		name := rest[:end]
		if literal.EqualFold(name, "default.flt") || literal.EqualFold(name, "main.css") || shortScriptName(string(name)) {
			return true
		}
	}
}

// shortScriptName matches the 1-3 character .js names of the exploits
// (y.js, x.js, and Metasploit's random ones).
func shortScriptName(name string) bool {
	base, ok := strings.CutSuffix(strings.ToLower(name), ".js")
	if !ok || len(base) < 1 || len(base) > 3 {
		return false
	}
	for i := 0; i < len(base); i++ {
		c := base[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (FrontDoor) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	stem := stemOf(rec)
	low := strings.ToLower(stem)
	post := isPost(rec)
	switch {
	case low == "/owa/auth/x.js":
		if post {
			emit(newFinding(&RuleSSRFFrontDoor, finding.Medium, rec, "POST to /owa/auth/x.js, a front door of the published exploits"))
		} else {
			emit(newFinding(&RuleSSRFFrontDoor, finding.Low, rec, "GET of /owa/auth/x.js: the published CVE-2021-26855 vulnerability scan"))
		}
	case !post:
		return
	case strings.HasPrefix(low, "/owa/auth/current/"):
		emit(newFinding(&RuleExploitPostTarget, finding.Medium, rec, "POST to a static OWA log-on resource"))
	case low == "/ecp/default.flt" || low == "/ecp/main.css":
		emit(newFinding(&RuleSSRFFrontDoor, finding.Medium, rec, "POST to a static ECP file"))
	case strings.HasPrefix(low, "/ecp/") && strings.Count(low, "/") == 2 && shortScriptName(low[len("/ecp/"):]):
		emit(newFinding(&RuleSSRFFrontDoor, finding.Medium, rec, "POST to a short .js name under /ecp/, the exploits' front door"))
	}
}
