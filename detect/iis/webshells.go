package iis

import (
	"bytes"
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/webshell"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/source/literal"
)

// Rules of the web shell request check.
var (
	RuleWebshellUse = finding.Rule{
		ID:    "iis-webshell-use",
		Title: "IIS answered a request for a web shell (a script Exchange does not install in a hot spot, or a file the scan found to be a shell)",
		CVEs:  cvesChain,
		Remediation: "Only a file that exists and runs answers 200: the web shell was on disk and was used at this time by " +
			"this client. Treat the server as compromised: preserve the logs and the file, rebuild or clean the " +
			"server, reset the credentials it held, and follow this client's other requests.",
		Grading:    "critical for a 2xx answer; high for a server error (the file exists and failed while running)",
		References: []string{detect.RefMicrosoftHafnium, detect.RefVolexity},
		Stage:      finding.StageWebshellUse,
	}
	RuleWebshellProbe = finding.Rule{
		ID:    "iis-webshell-probe",
		Title: "Request for a web shell name that IIS did not serve (probing for shells)",
		CVEs:  cvesChain,
		Remediation: "Another actor looked for a shell left by the first attackers (302 to the log-on page or 404: " +
			"the file was not there). Check that no such file exists and that the server is patched.",
		Grading: "low",
		Stage:   finding.StageAttempt,
	}
)

// maxServedLiterals bounds the URL paths of shells found on disk that are
// added to the prefilter: beyond it only the hot spots are searched.
const maxServedLiterals = 1000

// Webshells finds requests to scripts in the web shell hot spots that are
// not Exchange's own, and to every file the scan found to be a web shell
// wherever IIS serves it. A 2xx answer says the file existed and ran; a
// 302 or 404 that it did not (someone probing).
type Webshells struct{}

func (Webshells) Name() string             { return "iis-webshells" }
func (Webshells) Family() detect.LogFamily { return detect.IIS }

func (Webshells) Check() detect.Check {
	return detect.Check{ID: "iis-webshell-requests", Title: "Web shell use and shell probing in the IIS logs",
		CVEs: cvesChain, Needs: needsIIS}
}

func (Webshells) Rules() []*finding.Rule {
	return []*finding.Rule{&RuleWebshellUse, &RuleWebshellProbe}
}

func (Webshells) Literals() []string {
	return []string{"/owa/auth/", "/ecp/auth/", "/aspnet_client/"}
}

// LiteralsFor adds the URL paths of the shells the file checks found.
func (w Webshells) LiteralsFor(ctx *detect.Context) []string {
	lits := w.Literals()
	if ctx != nil && ctx.Served != nil {
		paths := ctx.Served.URLPaths()
		if len(paths) > maxServedLiterals {
			paths = paths[:maxServedLiterals]
		}
		lits = append(lits, paths...)
	}
	return lits
}

// maxServedScans bounds the shells found on disk whose URL paths the raw
// test looks for one by one; beyond it every line holding a literal is
// read.
const maxServedScans = 32

// PrecheckFor passes lines that name a script (or an encoded path) in a
// hot spot, and lines naming a shell found on disk.
func (Webshells) PrecheckFor(ctx *detect.Context) func([]byte) bool {
	var served []string
	if ctx != nil {
		served = ctx.Served.URLPaths()
	}
	if len(served) > maxServedScans {
		return func([]byte) bool { return true }
	}
	return func(line []byte) bool {
		for _, spot := range []string{"/owa/auth/", "/ecp/auth/", "/aspnet_client/"} {
			if hotSpotScript(line, spot) {
				return true
			}
		}
		for _, p := range served {
			if literal.IndexFold(line, p) >= 0 {
				return true
			}
		}
		return false
	}
}

// hotSpotScript reports whether a request path below spot in the raw line
// names a script or is percent-encoded.
func hotSpotScript(line []byte, spot string) bool {
	for from := 0; ; {
		i := literal.IndexFold(line[from:], spot)
		if i < 0 {
			return false
		}
		start := from + i
		end := start
		for end < len(line) && line[end] != ' ' && line[end] != '?' && line[end] != ',' && line[end] != '"' {
			end++
		}
		stem := line[start:end]
		if bytes.IndexByte(stem, '%') >= 0 || webshell.IsScript(string(stem[bytes.LastIndexByte(stem, '/')+1:])) {
			return true
		}
		from = start + 1
	}
}

func (Webshells) Inspect(ctx *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	stem := stemOf(rec)
	if stem == "" {
		return
	}
	var why string
	if ctx != nil {
		if f, ok := ctx.Served.Lookup(stem); ok {
			why = "the scan found this file to be a web shell: " + f.Path + " (" + f.Rule + ")"
			if webshell.ExchangeOwnRequest(stem) {
				// Exchange's own page with a shell added: every user
				// loads it, so only the POSTs that drive the shell (China
				// Chopper and its kin are driven by POST) tell use.
				if !isPost(rec) || statusClass(rec) != 2 {
					return
				}
				why = "POST to Exchange's own page, which the scan found modified with a web shell: " + f.Path + " (" + f.Rule + ")"
			}
		}
	}
	if why == "" {
		w, ok := webshell.SuspiciousRequestPath(stem)
		if !ok {
			return
		}
		why = w
	}
	switch statusClass(rec) {
	case 2:
		emit(newFinding(&RuleWebshellUse, finding.Critical, rec, why))
	case 5:
		emit(newFinding(&RuleWebshellUse, finding.High, rec, why+"; server error: the file exists and failed while running"))
	default:
		emit(newFinding(&RuleWebshellProbe, finding.Low, rec, why))
	}
}

// Rules of the command check.
var RuleWebshellCommand = finding.Rule{
	ID:    "iis-webshell-command",
	Title: "Command line in a request's query string (web shell command)",
	CVEs:  cvesChain,
	Remediation: "Web shells take commands as query parameters (cmd=whoami, =net user ...). Find the script the " +
		"request named, preserve it, and follow this client's other requests: the commands tell what was done.",
	Grading:    "high",
	References: []string{detect.RefSigmaWebshellAccess},
	Stage:      finding.StageWebshellUse,
}

// commandWords start the command lines web shell operators sent; a query
// value starting with one of them (followed by a space, '+' or the end) is
// a command. Words that are also ordinary parameter values are left out:
// "type", "echo", and "ping", which is an ActiveSync command (Cmd=Ping).
var commandWords = []string{"whoami", "net", "net1", "cmd", "cmd.exe", "powershell", "powershell.exe", "ipconfig",
	"systeminfo", "tasklist", "taskkill", "nltest", "quser", "query", "netstat", "certutil", "wmic", "reg", "schtasks",
	"rundll32", "procdump", "procdump64", "nslookup", "hostname", "dir", "arp", "route", "bitsadmin", "vssadmin",
	"mshta", "regsvr32", "csvde", "dsquery", "adfind", "makecab", "7z", "rar", "tar"}

var isCommandWord = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range commandWords {
		m[w] = true
	}
	return m
}()

// Commands finds command lines in query strings.
type Commands struct{}

func (Commands) Name() string             { return "iis-webshell-commands" }
func (Commands) Family() detect.LogFamily { return detect.IIS }

func (Commands) Check() detect.Check {
	return detect.Check{ID: "iis-webshell-commands", Title: "Web shell commands in IIS query strings", CVEs: cvesChain, Needs: needsIIS}
}

func (Commands) Rules() []*finding.Rule { return []*finding.Rule{&RuleWebshellCommand} }

// Literals are "=word" for each command word: a value that starts with
// the word.
func (Commands) Literals() []string {
	out := make([]string, len(commandWords))
	for i, w := range commandWords {
		out[i] = "=" + w
	}
	return out
}

// Precheck passes lines with a value that starts with a command word.
func (Commands) Precheck(line []byte) bool {
	for from := 0; ; {
		i := bytes.IndexByte(line[from:], '=')
		if i < 0 {
			return false
		}
		from += i + 1
		end := from
		for end < len(line) && end-from < 32 && line[end] != '&' && line[end] != ' ' && line[end] != ';' {
			end++
		}
		if v := string(line[from:end]); startsWithCommandWord(v) || bytes.IndexByte(line[from:end], '%') >= 0 && startsWithCommandWord(decodeQueryValue(v)) {
			return true
		}
	}
}

func (Commands) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	q := value(rec, finding.KeyW3CQuery)
	if q == "" || hasPrefixFold(stemOf(rec), "/microsoft-server-activesync") {
		// ActiveSync names its commands in Cmd=, and they are never
		// command lines.
		return
	}
	if cmd, ok := commandIn(q); ok {
		emit(newFinding(&RuleWebshellCommand, finding.High, rec, "query value is a command line: "+cmd))
	}
}

// maxCommandShown bounds the command quoted in the evidence's reason.
const maxCommandShown = 200

// commandIn finds a query value that is a command line, decoded. Values
// are looked at where they start (after '='), and only a value whose first
// word is a command word is decoded, so ordinary queries cost no
// allocation.
func commandIn(query string) (string, bool) {
	for from := 0; ; {
		eq := strings.IndexByte(query[from:], '=')
		if eq < 0 {
			return "", false
		}
		start := from + eq + 1
		from = start
		end := start
		for end < len(query) && query[end] != '&' && query[end] != ';' {
			end++
		}
		v := query[start:end]
		if v == "" || !startsWithCommandWord(v) && !(strings.IndexByte(v, '%') >= 0 && startsWithCommandWord(decodeQueryValue(v))) {
			continue
		}
		dec := decodeQueryValue(v)
		word := dec
		if i := strings.IndexAny(dec, " \t/\"'"); i >= 0 {
			word = dec[:i]
		}
		word = strings.ToLower(strings.Trim(word, "\""))
		if !isCommandWord[word] {
			continue
		}
		// "net" and "query" alone are ordinary words; as commands they
		// take arguments.
		if (word == "net" || word == "query" || word == "reg" || word == "dir") && len(dec) == len(word) {
			continue
		}
		if len(dec) > maxCommandShown {
			dec = dec[:maxCommandShown] + "..."
		}
		return dec, true
	}
}

// startsWithCommandWord is a cheap test of a raw query value: its first
// word (up to a space, '+', '%' or quote) is a command word.
func startsWithCommandWord(v string) bool {
	v = strings.TrimPrefix(v, `"`)
	var buf [16]byte
	n := 0
	for n < len(v) && n < len(buf) {
		c := v[n]
		if c == '+' || c == '%' || c == ' ' || c == '"' || c == '/' || c == '\'' {
			break
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	if n == len(buf) {
		return false
	}
	return isCommandWord[string(buf[:n])]
}

// decodeQueryValue decodes '+' and %XX as a query string is written,
// leaving bad escapes as they are.
func decodeQueryValue(v string) string {
	if strings.IndexAny(v, "+%") < 0 {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]):
			b.WriteByte(unhex(v[i+1])<<4 | unhex(v[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// Rules of the back-end reset check.
var RuleBackendResetVDir = finding.Rule{
	ID:    "iis-backend-reset-vdir",
	Title: "Back-end request reset a virtual directory through ECP as the machine account (CVE-2021-27065 file write)",
	CVEs:  []string{"CVE-2021-27065", "CVE-2021-26855"},
	Remediation: "The forged request's ResetOABVirtualDirectory export wrote a file (the web shell) to a path the " +
		"attacker chose. Find that file (the HttpProxy ECP row at this time names it), preserve it, and treat the " +
		"server as compromised.",
	Grading:    "critical; medium if the request was refused",
	References: []string{detect.RefSigmaIISRCE, detect.RefMicrosoftHafnium},
	Stage:      finding.StageWebshellWritten,
}

// BackendResetVDir finds the back end's log of the CVE-2021-27065 write:
// a POST of ECP's DDIService SetObject with a Reset...VirtualDirectory
// schema by a machine account (the forged request runs as the server).
type BackendResetVDir struct{}

func (BackendResetVDir) Name() string             { return "iis-backend-reset-vdir" }
func (BackendResetVDir) Family() detect.LogFamily { return detect.IIS }

func (BackendResetVDir) Check() detect.Check {
	return detect.Check{ID: "iis-backend-reset-vdir", Title: "CVE-2021-27065 virtual directory resets in the back end's IIS log",
		CVEs: []string{"CVE-2021-27065"}, Needs: needsIIS}
}

func (BackendResetVDir) Rules() []*finding.Rule { return []*finding.Rule{&RuleBackendResetVDir} }

func (BackendResetVDir) Literals() []string { return []string{"ddiservice.svc/setobject"} }

func (BackendResetVDir) Precheck(line []byte) bool {
	return literal.IndexFold(line, "schema=reset") >= 0
}

func (BackendResetVDir) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	if !isPost(rec) || !strings.EqualFold(stemOf(rec), "/ecp/DDI/DDIService.svc/SetObject") {
		return
	}
	q := strings.ToLower(value(rec, finding.KeyW3CQuery))
	i := strings.Index(q, "schema=reset")
	if i < 0 {
		return
	}
	schema := q[i+len("schema="):]
	if j := strings.IndexAny(schema, "&;"); j >= 0 {
		schema = schema[:j]
	}
	if !strings.HasSuffix(schema, "virtualdirectory") {
		return
	}
	user := value(rec, finding.KeyW3CUserName)
	if !strings.HasSuffix(user, "$") {
		return
	}
	if statusClass(rec) == 2 {
		emit(newFinding(&RuleBackendResetVDir, finding.Critical, rec, "schema "+schema+" by the machine account "+user))
		return
	}
	emit(newFinding(&RuleBackendResetVDir, finding.Medium, rec, "schema "+schema+" by the machine account "+user+"; the request was not answered with success"))
}
