// Package iis holds the checks of IIS W3C log records: what the front end
// (W3SVC1) and Exchange's back end (W3SVC2) answered. The Exchange logs show
// the exploit; these show what came next: the SSRF front doors, the
// published attacker user agents, the web shells' use and the probing of
// other actors for shells, command lines in query strings, the back-end
// virtual directory reset that wrote the shell, and traffic from indicator
// addresses.
//
// Records carry the W3C field names of the file's #Fields directive
// (cs-uri-stem, c-ip, cs(User-Agent), ...), and findings keep those names
// in their evidence so a responder finds the column.
package iis

import (
	"net/url"
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

var cvesChain = []string{"CVE-2021-26855", "CVE-2021-26858", "CVE-2021-27065"}

// value is a field's text, with IIS's "-" for an empty field read as "".
func value(rec *detect.LogRecord, name string) string {
	v := rec.Get(name)
	if v == "-" {
		return ""
	}
	return v
}

// stemOf is the request's URL path, percent-decoded when it decodes.
func stemOf(rec *detect.LogRecord) string {
	stem := value(rec, finding.KeyW3CStem)
	if strings.IndexByte(stem, '%') >= 0 {
		if u, err := url.PathUnescape(stem); err == nil {
			return u
		}
	}
	return stem
}

// statusClass is the first digit of the HTTP status, 0 when unknown.
func statusClass(rec *detect.LogRecord) byte {
	s := value(rec, finding.KeyW3CStatus)
	if len(s) != 3 || s[0] < '1' || s[0] > '5' {
		return 0
	}
	return s[0] - '0'
}

func isPost(rec *detect.LogRecord) bool {
	return strings.EqualFold(value(rec, finding.KeyW3CMethod), "POST")
}

// evidenceFields are the W3C fields a finding keeps, in the order a person
// reads a request.
var evidenceFields = []string{"date", "time", finding.KeyW3CClientIP, finding.KeyW3CMethod, finding.KeyW3CHost,
	finding.KeyW3CStem, finding.KeyW3CQuery, finding.KeyW3CPort, finding.KeyW3CUserName, finding.KeyW3CStatus,
	finding.KeyW3CUserAgent}

// backEndPort is the port of Exchange's back-end site: its client is the
// front end that proxied the request, never the attacker.
const backEndPort = "444"

// KeyFrontEndIP names the client address of a back-end request: the
// front end (often this server) that proxied it.
const KeyFrontEndIP = "front_end_ip"

// evidence is the request as the log gives it, plus why it is a finding.
func evidence(rec *detect.LogRecord, why string) finding.Evidence {
	ev := make(finding.Evidence, 0, len(evidenceFields)+1)
	backEnd := value(rec, finding.KeyW3CPort) == backEndPort
	for _, name := range evidenceFields {
		if v := value(rec, name); v != "" {
			if name == finding.KeyW3CClientIP && backEnd {
				// Not the attacker's address: the session is the front
				// end's request at this time.
				name = KeyFrontEndIP
			}
			ev = append(ev, finding.Field{Name: name, Value: v})
		}
	}
	if why != "" {
		ev = append(ev, finding.Field{Name: finding.KeyWhy, Value: why})
	}
	return ev
}

// newFinding makes a finding of a rule at the record.
func newFinding(r *finding.Rule, sev finding.Severity, rec *detect.LogRecord, why string) finding.Finding {
	at, _ := rec.Time()
	return r.New(sev, rec.Path, rec.Line, at, evidence(rec, why))
}

const needsIIS = "the IIS logs (inetpub\\logs\\LogFiles\\W3SVC*)"

// hasPrefixFold reports whether s starts with the lower-case prefix,
// ignoring ASCII case.
func hasPrefixFold(s, lowerPrefix string) bool {
	return len(s) >= len(lowerPrefix) && strings.EqualFold(s[:len(lowerPrefix)], lowerPrefix)
}
