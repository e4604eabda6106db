// Package eventlog holds the checks of the Windows event logs: the
// Unified Messaging errors of CVE-2021-26857, the Exchange cmdlet audit
// (virtual directories set to a script, mailbox exports), processes started
// by IIS and Unified Messaging workers (web shell commands, credential
// dumping), script files they wrote, Defender's detections, cleared logs
// and new services. Each check names the channels it reads; a record
// reaches it with its channel as folder and its record id as line.
package eventlog

import (
	"strconv"
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

// Channels, as the records name them.
const (
	chApplication = "Application"
	chSecurity    = "Security"
	chSystem      = "System"
	chManagement  = "MSExchange Management"
	chSysmon      = "Microsoft-Windows-Sysmon/Operational"
	chDefender    = "Microsoft-Windows-Windows Defender/Operational"
)

const (
	refSigmaManagement = "https://github.com/SigmaHQ/sigma/tree/master/rules/windows/builtin/msexchange"
	refSigmaHafnium    = "https://github.com/SigmaHQ/sigma/blob/master/rules-emerging-threats/2021/TA/HAFNIUM/proc_creation_win_apt_hafnium.yml"
	refSentinelUM      = "https://github.com/Azure/Azure-Sentinel/blob/master/Detections/SecurityEvent/HAFNIUMSuspiciousUMServiceError.yaml"
	refM365Hunting     = "https://github.com/microsoft/Microsoft-365-Defender-Hunting-Queries"
)

var cvesChain = []string{"CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"}

// event returns the record's event; every record of the family has one.
func event(rec *detect.LogRecord) detect.Event {
	e, ok := detect.EventOf(rec)
	if !ok {
		return nil
	}
	return e
}

// newFinding makes a finding located at the event: the file, the record id
// as line, the event's time, and evidence naming the event and the data
// that matter (fields with empty values are left out).
func newFinding(r *finding.Rule, sev finding.Severity, rec *detect.LogRecord, e detect.Event, why string, data ...finding.Field) finding.Finding {
	at, _ := rec.Time()
	ev := finding.Evidence{
		{Name: finding.KeyWhy, Value: why},
		{Name: "channel", Value: e.Channel()},
		{Name: "provider", Value: e.Provider()},
		{Name: "event_id", Value: strconv.FormatUint(uint64(e.EventID()), 10)},
		{Name: "record_id", Value: strconv.FormatUint(e.RecordID(), 10)},
	}
	if c := e.Computer(); c != "" {
		ev = append(ev, finding.Field{Name: "computer", Value: c})
	}
	for _, d := range data {
		if d.Value != "" {
			ev = append(ev, d)
		}
	}
	return r.New(sev, rec.Path, rec.Line, at, ev)
}

// field names an event's data value for the evidence.
func field(rec *detect.LogRecord, name string) finding.Field {
	return finding.Field{Name: name, Value: rec.Get(name)}
}

// containsFold reports whether s contains the lower-case sub, ignoring
// ASCII case.
func containsFold(s, lowerSub string) bool {
	if len(lowerSub) == 0 {
		return true
	}
	first := lowerSub[0]
	upper := first
	if 'a' <= first && first <= 'z' {
		upper -= 'a' - 'A'
	}
	for i := 0; i+len(lowerSub) <= len(s); i++ {
		if c := s[i]; (c == first || c == upper) && strings.EqualFold(s[i:i+len(lowerSub)], lowerSub) {
			return true
		}
	}
	return false
}

// anyFold reports whether s contains one of the lower-case subs.
func anyFold(s string, subs ...string) bool {
	for _, sub := range subs {
		if containsFold(s, sub) {
			return true
		}
	}
	return false
}

// valuesContain reports whether one of the event's values contains the
// lower-case sub.
func valuesContain(e detect.Event, sub string) bool { return firstWith(e, sub) != "" }

// firstWith is the first value holding sub (lower case, not empty).
func firstWith(e detect.Event, sub string) string {
	for _, v := range e.Values() {
		if containsFold(v, sub) {
			return v
		}
	}
	return ""
}

// baseName is the file name of a Windows path, lower case.
func baseName(p string) string {
	p = strings.Trim(strings.TrimSpace(p), `"`)
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		p = p[i+1:]
	}
	return strings.ToLower(p)
}

// isEvent reports whether the record is one of the event ids of the
// provider (compared ignoring case; "" for any provider).
func isEvent(e detect.Event, provider string, ids ...uint32) bool {
	if provider != "" && !strings.EqualFold(e.Provider(), provider) {
		return false
	}
	for _, id := range ids {
		if e.EventID() == id {
			return true
		}
	}
	return len(ids) == 0
}
