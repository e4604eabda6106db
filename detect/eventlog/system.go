package eventlog

import (
	"regexp"
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

// RuleDefender is a detection by Microsoft Defender.
var RuleDefender = finding.Rule{
	ID:    "evtx-defender-detection",
	Title: "Microsoft Defender detection (the campaign's web shells, exploits and credential dumping by name)",
	CVEs:  cvesChain,
	Remediation: "Defender named a threat of the 2021 Exchange attacks (Exmann, Chopper, SecChecker, DumpLsass, " +
		"DearCry...). When it removed or quarantined the file, the evidence is in Defender's quarantine " +
		"(ProgramData\\Microsoft\\Windows Defender\\Quarantine): preserve it. A detection means the attacker got that " +
		"far; look at what happened before and after it.",
	Grading:    "critical for the campaign's threat names; medium for other detections",
	References: []string{detect.RefMicrosoftHafnium},
	Stage:      finding.StagePostExploitation,
}

// campaignThreats are parts of the names Defender gave the campaign's
// exploits, shells and tools, with the stage each shows.
var campaignThreats = []struct {
	name  string
	stage finding.Stage
}{
	{"exmann", finding.StageExploitation},
	{"cve-2021-26855", finding.StageExploitation},
	{"cve-2021-26857", finding.StageExploitation},
	{"cve-2021-26858", finding.StageExploitation},
	{"cve-2021-27065", finding.StageExploitation},
	{"proxylogon", finding.StageExploitation},
	{"chopper", finding.StageWebshellWritten},
	{"secchecker", finding.StageWebshellWritten},
	{"webshell", finding.StageWebshellWritten},
	{"hafnium", finding.StageWebshellWritten},
	{"dumplsass", finding.StagePostExploitation},
	{"doejocrypt", finding.StagePostExploitation},
	{"blackkingdom", finding.StagePostExploitation},
	{"lemonduck", finding.StagePostExploitation},
	{"mimikatz", finding.StagePostExploitation},
}

// Defender reads Defender's detections (1116 found, 1117 acted on).
type Defender struct{}

func (Defender) Name() string             { return "evtx-defender" }
func (Defender) Family() detect.LogFamily { return detect.EventLog }
func (Defender) Folders() []string        { return []string{chDefender} }

func (Defender) Check() detect.Check {
	return detect.Check{ID: "evtx-defender", Title: "Microsoft Defender detections of the campaign's shells and tools (Defender event log 1116, 1117)",
		CVEs: cvesChain, Needs: "the Windows Defender event logs (Microsoft-Windows-Windows Defender%4Operational.evtx)"}
}

func (Defender) Rules() []*finding.Rule { return []*finding.Rule{&RuleDefender} }

func (Defender) Literals() []string { return []string{"EventID=1116\t", "EventID=1117\t"} }

func (Defender) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	e := event(rec)
	if e == nil || !isEvent(e, "", 1116, 1117) || !containsFold(e.Provider(), "defender") {
		return
	}
	threat := rec.Get("Threat Name")
	ev := []finding.Field{field(rec, "Threat Name"), field(rec, "Path"), field(rec, "Process Name"), field(rec, "Detection User"),
		field(rec, "Action Name"), field(rec, "Severity Name"), field(rec, "Category Name")}
	what := "Defender detected " + threat
	if e.EventID() == 1117 {
		what = "Defender acted on " + threat + " (" + rec.Get("Action Name") + "): the file may be in quarantine"
	}
	for _, t := range campaignThreats {
		if containsFold(threat, t.name) {
			f := newFinding(&RuleDefender, finding.Critical, rec, e, what, ev...)
			f.Stage = t.stage
			emit(f)
			return
		}
	}
	emit(newFinding(&RuleDefender, finding.Medium, rec, e, what, ev...))
}

// RuleLogCleared is an event log cleared.
var RuleLogCleared = finding.Rule{
	ID:    "evtx-log-cleared",
	Title: "Event log cleared (Security 1102, System 104)",
	Remediation: "Someone erased an event log: what happened before the time of this event is gone from it. Attackers clear " +
		"logs to hide their commands and logons. Find who (the account named), and look for the lost period in other " +
		"logs (IIS, Exchange's own logs, backups of the event logs, a SIEM).",
	Grading:    "medium: suspicious, not proof of compromise by itself",
	References: []string{detect.RefCISAAA21062A},
	Stage:      finding.StagePostExploitation,
}

// LogClears reads the events that record a cleared log.
type LogClears struct{}

func (LogClears) Name() string             { return "evtx-log-cleared" }
func (LogClears) Family() detect.LogFamily { return detect.EventLog }
func (LogClears) Folders() []string        { return []string{chSecurity, chSystem} }

func (LogClears) Check() detect.Check {
	return detect.Check{ID: "evtx-log-cleared", Title: "Event logs cleared (Security 1102, System 104)", Needs: "the Security or System event logs"}
}

func (LogClears) Rules() []*finding.Rule { return []*finding.Rule{&RuleLogCleared} }

func (LogClears) Literals() []string {
	return []string{"Provider=Microsoft-Windows-Eventlog\t", "Provider=Microsoft-Windows-Security-Auditing\tEventID=1102\t"}
}

func (LogClears) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	e := event(rec)
	if e == nil || !hasPrefixFold(e.Provider(), "microsoft-windows-") || !containsFold(e.Provider(), "eventlog") && !containsFold(e.Provider(), "security-auditing") {
		return
	}
	switch {
	case e.EventID() == 1102 && strings.EqualFold(e.Channel(), chSecurity):
		emit(newFinding(&RuleLogCleared, finding.Medium, rec, e, "the Security log was cleared by "+joinUser(rec.Get("SubjectDomainName"), rec.Get("SubjectUserName")),
			field(rec, "SubjectUserName"), field(rec, "SubjectDomainName")))
	case e.EventID() == 104 && strings.EqualFold(e.Provider(), "Microsoft-Windows-Eventlog"):
		ch := rec.Get("Channel")
		if ch == "" {
			ch = "an event"
		} else {
			ch = "the " + ch
		}
		emit(newFinding(&RuleLogCleared, finding.Medium, rec, e, ch+" log was cleared by "+joinUser(rec.Get("SubjectDomainName"), rec.Get("SubjectUserName")),
			field(rec, "SubjectUserName"), field(rec, "SubjectDomainName"), finding.Field{Name: "cleared_channel", Value: rec.Get("Channel")}, field(rec, "BackupPath")))
	}
}

// RuleNewService is a service installed.
var RuleNewService = finding.Rule{
	ID:    "evtx-new-service",
	Title: "Service installed (System 7045), with a command line or folder attackers use",
	Remediation: "Attackers install services to run their tools as SYSTEM and to come back (PsExec-style remote " +
		"execution, PlugX, miners). Check that the service is known; its image path shows what it runs.",
	Grading:    "high for shells, encoded PowerShell, pipes, script hosts and Metasploit's random names; medium for PsExec and temporary, public or per-user folders; other services are context (low)",
	References: []string{detect.RefCISAAA21062A},
	Stage:      finding.StagePostExploitation,
}

// attackService is what only attack tools install as a service: a shell
// or PowerShell one-liner as the image (Metasploit, Cobalt Strike), a
// named-pipe echo (getsystem), script hosts, or Metasploit psexec's random
// eight-letter binary in the Windows folder.
var attackService = regexp.MustCompile(`(?i)cmd(?:\.exe)?\s+/[ck]\b|%comspec%|powershell|pwsh|\s-enc?\b|-encodedcommand|\\\\\.\\pipe\\|rundll32|regsvr32|mshta|\.bat\b|\.ps1\b|\.vbs\b|^%SYSTEMROOT%\\[A-Za-z]{8}\.exe$`)

// unusualService is what administrators' tools rarely install: PsExec's
// service, binaries in temporary, public or per-user folders, a share.
var unusualService = regexp.MustCompile(`(?i)PSEXESVC|\\temp\\|\\tmp\\|\\Users\\Public\\|\\AppData\\|\\\\127\.0\.0\.1\\|ADMIN\$`)

// NewServices reads service installations.
type NewServices struct{}

func (NewServices) Name() string             { return "evtx-new-services" }
func (NewServices) Family() detect.LogFamily { return detect.EventLog }
func (NewServices) Folders() []string        { return []string{chSystem} }

func (NewServices) Check() detect.Check {
	return detect.Check{ID: "evtx-new-services", Title: "Services installed (System 7045)", Needs: "the System event logs"}
}

func (NewServices) Rules() []*finding.Rule { return []*finding.Rule{&RuleNewService} }

func (NewServices) Literals() []string {
	return []string{"Provider=Service Control Manager\tEventID=7045\t"}
}

func (NewServices) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	e := event(rec)
	if e == nil || !isEvent(e, "Service Control Manager", 7045) {
		return
	}
	image := rec.Get("ImagePath")
	ev := []finding.Field{field(rec, "ServiceName"), field(rec, "ImagePath"), field(rec, "StartType"), field(rec, "AccountName")}
	switch {
	case unusualService.MatchString(image):
		// PsExec is an administrator's tool too: suspicious, not proof.
		emit(newFinding(&RuleNewService, finding.Medium, rec, e, "service "+rec.Get("ServiceName")+" runs "+image+" (remote execution or an unusual folder)", ev...))
		return
	case attackService.MatchString(image):
		emit(newFinding(&RuleNewService, finding.High, rec, e, "service "+rec.Get("ServiceName")+" runs "+image, ev...))
		return
	}
	// Services are installed all the time (drivers, updates, agents): one
	// without the marks above is context, not an alarm.
	f := newFinding(&RuleNewService, finding.Low, rec, e, "service "+rec.Get("ServiceName")+" was installed", ev...)
	f.Context = true
	emit(f)
}

// RuleIISWorkerEvent is an IIS event that the campaign's hunting scripts
// expected never to see on a healthy server.
var RuleIISWorkerEvent = finding.Rule{
	ID:    "evtx-iis-worker-event",
	Title: "IIS worker process or configuration error (IIS-W3SVC-WP 2303, IIS-APPHOSTSVC 9009)",
	Remediation: "These IIS errors appear when a worker process fails to load its configuration or modules, which a " +
		"tampered web.config or a malicious IIS module can cause. Compare the time with the other findings.",
	Grading:    "context (low)",
	References: []string{detect.RefCISAAA21062A},
}

// IISEvents reads the IIS errors that serve as context.
type IISEvents struct{}

func (IISEvents) Name() string             { return "evtx-iis-events" }
func (IISEvents) Family() detect.LogFamily { return detect.EventLog }
func (IISEvents) Folders() []string        { return []string{chSystem, chApplication} }

func (IISEvents) Check() detect.Check {
	return detect.Check{ID: "evtx-iis-events", Title: "IIS worker and configuration errors (System and Application event logs)", Needs: "the System or Application event logs"}
}

func (IISEvents) Rules() []*finding.Rule { return []*finding.Rule{&RuleIISWorkerEvent} }

func (IISEvents) Literals() []string {
	return []string{"Provider=Microsoft-Windows-IIS-W3SVC-WP\tEventID=2303\t", "Provider=Microsoft-Windows-IIS-APPHOSTSVC\tEventID=9009\t"}
}

func (IISEvents) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	e := event(rec)
	if e == nil || !isEvent(e, "Microsoft-Windows-IIS-W3SVC-WP", 2303) && !isEvent(e, "Microsoft-Windows-IIS-APPHOSTSVC", 9009) {
		return
	}
	f := newFinding(&RuleIISWorkerEvent, finding.Low, rec, e, e.Provider()+" logged an error", finding.Field{Name: "message", Value: strings.Join(e.Values(), " | ")})
	f.Context = true
	emit(f)
}

// RuleDirectoryChange is a change to Active Directory that an Exchange
// attack makes, as a domain controller logs it.
var RuleDirectoryChange = finding.Rule{
	ID:    "evtx-directory-change",
	Title: "Active Directory changed by an Exchange attack (OAB virtual directory set to script; PrivExchange replication rights)",
	CVEs:  []string{"CVE-2021-27065"},
	Remediation: "A domain controller logged the change (Security 5136). A script in an OAB virtual directory's host name " +
		"is the CVE-2021-27065 web shell drop; replication rights (DCSync) granted by an Exchange server's account are " +
		"the PrivExchange escalation, which gives the attacker every password hash of the domain.",
	Grading:    "critical",
	References: []string{"https://github.com/Azure/Azure-Sentinel/blob/master/Detections/SecurityEvent/ExchangeOABVirtualDirectoryAttributeContainingPotentialWebshell.yaml"},
	Stage:      finding.StageWebshellWritten,
}

// replicationRights are the extended rights that DCSync needs.
var replicationRights = []string{"1131f6aa-9c07-11d1-f79f-00c04fc2dcd2", "1131f6ad-9c07-11d1-f79f-00c04fc2dcd2"}

// DirectoryChanges reads a domain controller's directory change events.
type DirectoryChanges struct{}

func (DirectoryChanges) Name() string             { return "evtx-directory-changes" }
func (DirectoryChanges) Family() detect.LogFamily { return detect.EventLog }
func (DirectoryChanges) Folders() []string        { return []string{chSecurity} }

func (DirectoryChanges) Check() detect.Check {
	return detect.Check{ID: "evtx-directory-changes", Title: "Directory changes of Exchange attacks on a domain controller (Security 5136)",
		CVEs: []string{"CVE-2021-27065"}, Needs: "the Security event logs (of a domain controller)"}
}

func (DirectoryChanges) Rules() []*finding.Rule { return []*finding.Rule{&RuleDirectoryChange} }

func (DirectoryChanges) Literals() []string {
	return []string{"msExchOABVirtualDirectory", "nTSecurityDescriptor"}
}

func (DirectoryChanges) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	e := event(rec)
	if e == nil || !isEvent(e, "Microsoft-Windows-Security-Auditing", 5136) {
		return
	}
	class, attr, value := rec.Get("ObjectClass"), rec.Get("AttributeLDAPDisplayName"), rec.Get("AttributeValue")
	ev := []finding.Field{field(rec, "ObjectDN"), field(rec, "ObjectClass"), field(rec, "AttributeLDAPDisplayName"),
		field(rec, "AttributeValue"), field(rec, "SubjectUserName"), field(rec, "SubjectDomainName")}
	switch {
	case strings.EqualFold(class, "msExchOABVirtualDirectory") && containsFold(attr, "hostname") && scriptMarkup.MatchString(value):
		emit(newFinding(&RuleDirectoryChange, finding.Critical, rec, e, "an OAB virtual directory's "+attr+" was set to script", ev...))
	case strings.EqualFold(class, "domainDNS") && strings.EqualFold(attr, "nTSecurityDescriptor") && strings.HasSuffix(rec.Get("SubjectUserName"), "$") &&
		anyFold(value, replicationRights...):
		f := newFinding(&RuleDirectoryChange, finding.Critical, rec, e, "the computer account "+rec.Get("SubjectUserName")+" granted replication rights on the domain (PrivExchange)", ev...)
		f.Stage = finding.StagePostExploitation
		f.CVEs = []string{"CVE-2019-0686", "CVE-2019-0724"} // PrivExchange, not the 2021 chain
		emit(f)
	}
}
