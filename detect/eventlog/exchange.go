package eventlog

import (
	"regexp"
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

// RuleUMDeserialization is Test-ProxyLogon's CVE-2021-26857 check.
var RuleUMDeserialization = finding.Rule{
	ID:    "evtx-um-deserialization",
	Title: "CVE-2021-26857: Unified Messaging error with System.InvalidCastException (insecure deserialization)",
	CVEs:  []string{"CVE-2021-26857"},
	Remediation: "The Unified Messaging service failed to deserialize data with an InvalidCastException, the trace the " +
		"CVE-2021-26857 exploit leaves: code may have run as SYSTEM. Look at the processes started by UMWorkerProcess.exe " +
		"and the files it wrote around this time, patch, and treat the server as compromised if anything follows.",
	Grading:    "high",
	References: []string{detect.RefTestProxyLogon, refSentinelUM},
	Stage:      finding.StageExploitation,
}

// RuleUMWorkerCrash is a crash of a Unified Messaging process reported to
// Watson with the exploit's gadget or exception.
var RuleUMWorkerCrash = finding.Rule{
	ID:    "evtx-um-worker-crash",
	Title: "Unified Messaging worker crash reported with a deserialization gadget (CVE-2021-26857 attempt)",
	CVEs:  []string{"CVE-2021-26857"},
	Remediation: "A Unified Messaging process crashed on data naming a .NET deserialization gadget " +
		"(TextFormattingRunProperties) or an InvalidCastException: an exploitation attempt of CVE-2021-26857. " +
		"Check whether it succeeded: processes started by UMWorkerProcess.exe, files it wrote.",
	Grading:    "high with the gadget's name; medium for other crashes of UM processes reported to Watson",
	References: []string{refSentinelUM},
	Stage:      finding.StageAttempt,
}

// UMErrors reads the Application log's Unified Messaging errors.
type UMErrors struct{}

func (UMErrors) Name() string             { return "evtx-um-errors" }
func (UMErrors) Family() detect.LogFamily { return detect.EventLog }
func (UMErrors) Folders() []string        { return []string{chApplication} }

func (UMErrors) Check() detect.Check {
	return detect.Check{ID: "cve-2021-26857-eventlog", Title: "CVE-2021-26857 Unified Messaging deserialization (Application event log errors of MSExchange Unified Messaging)",
		CVEs: []string{"CVE-2021-26857"}, Needs: "the Application event logs (Windows\\System32\\winevt\\Logs\\Application.evtx)"}
}

func (UMErrors) Rules() []*finding.Rule {
	return []*finding.Rule{&RuleUMDeserialization, &RuleUMWorkerCrash}
}

func (UMErrors) Literals() []string {
	return []string{"InvalidCastException", "TextFormattingRunProperties", "UMWorkerProcess", "UMService"}
}

func (UMErrors) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	e := event(rec)
	if e == nil || e.Level() != 2 || !hasPrefixFold(e.Provider(), "msexchange") {
		return
	}
	invalidCast := valuesContain(e, "system.invalidcastexception")
	if valuesContain(e, "system.outofmemoryexception") {
		return // a worker out of memory is not the exploit, whatever else it mentions
	}
	if strings.EqualFold(e.Provider(), "MSExchange Unified Messaging") && invalidCast {
		emit(newFinding(&RuleUMDeserialization, finding.High, rec, e, "MSExchange Unified Messaging logged an error with System.InvalidCastException",
			finding.Field{Name: "message", Value: firstWith(e, "invalidcastexception")}))
		return
	}
	um := valuesContain(e, "umworkerprocess") || valuesContain(e, "umservice")
	if !um {
		return
	}
	if valuesContain(e, "textformattingrunproperties") || invalidCast {
		emit(newFinding(&RuleUMWorkerCrash, finding.High, rec, e, "a Unified Messaging process failed on a deserialization gadget or cast",
			finding.Field{Name: "message", Value: strings.Join(e.Values(), " | ")}))
		return
	}
	if valuesContain(e, "watson") {
		emit(newFinding(&RuleUMWorkerCrash, finding.Medium, rec, e, "a Unified Messaging process crashed and was reported to Watson",
			finding.Field{Name: "message", Value: strings.Join(e.Values(), " | ")}))
	}
}

func hasPrefixFold(s, lowerPrefix string) bool {
	return len(s) >= len(lowerPrefix) && strings.EqualFold(s[:len(lowerPrefix)], lowerPrefix)
}

// RuleECPError is an ECP error event logging an SSRF request.
var RuleECPError = finding.Rule{
	ID:    "evtx-ecp-ssrf-error",
	Title: "Exchange Control Panel error on a CVE-2021-26855 request (SSRF cookie or front-door path)",
	CVEs:  []string{"CVE-2021-26855"},
	Remediation: "ECP logged an error while serving a request that carries the marks of the CVE-2021-26855 server-side " +
		"request forgery (X-BEResource or X-AnonResource cookies, ServerInfo~ routing, the static front doors). Look " +
		"for the same request in the HttpProxy and IIS logs to learn its client and whether later requests succeeded.",
	Grading:    "high",
	References: []string{detect.RefVolexity},
	Stage:      finding.StageAttempt,
}

// ssrfMark is what the forged requests carry: the routing cookies, the
// ServerInfo~ anchor, or a request for the static files used as front doors.
var ssrfMark = regexp.MustCompile(`(?i)X-BEResource|X-AnonResource|ServerInfo~|/ecp/(?:[a-z0-9]{1,3}\.js|default\.flt|main\.css)\b`)

// ECPErrors reads the Application log's ECP errors.
type ECPErrors struct{}

func (ECPErrors) Name() string             { return "evtx-ecp-errors" }
func (ECPErrors) Family() detect.LogFamily { return detect.EventLog }
func (ECPErrors) Folders() []string        { return []string{chApplication} }

func (ECPErrors) Check() detect.Check {
	return detect.Check{ID: "evtx-ecp-errors", Title: "CVE-2021-26855 requests in ECP's error events (Application event log)",
		CVEs: []string{"CVE-2021-26855"}, Needs: "the Application event logs (Application.evtx)"}
}

func (ECPErrors) Rules() []*finding.Rule { return []*finding.Rule{&RuleECPError} }

func (ECPErrors) Literals() []string {
	return []string{"X-BEResource", "X-AnonResource", "ServerInfo~", "/ecp/"}
}

func (ECPErrors) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	e := event(rec)
	if e == nil || !strings.EqualFold(e.Provider(), "MSExchange Control Panel") {
		return
	}
	for _, v := range e.Values() {
		if m := ssrfMark.FindString(v); m != "" {
			emit(newFinding(&RuleECPError, finding.High, rec, e, "ECP logged an error on a request with "+m,
				finding.Field{Name: "message", Value: v}))
			return
		}
	}
}

// The cmdlet audit's rules.
var (
	RuleCmdletVDirScript = finding.Rule{
		ID:    "evtx-cmdlet-vdir-script",
		Title: "CVE-2021-27065: virtual directory URL set to a script (MSExchange Management cmdlet audit)",
		CVEs:  []string{"CVE-2021-27065"},
		Remediation: "A Set-*VirtualDirectory cmdlet wrote markup into a URL setting: the first half of the CVE-2021-27065 " +
			"web shell drop (the reset that follows exports the setting into an .aspx file). Find the file (OAB " +
			"virtual directory exports in aspnet_client, owa\\auth), clear the URL (Get-OabVirtualDirectory | fl " +
			"ExternalUrl,InternalUrl), and treat the server as compromised.",
		Grading:    "critical when the cmdlet succeeded; high when it failed",
		References: []string{refSigmaManagement},
		Stage:      finding.StageExploitation, // as its twin in the ECP Server log: the file is written by the reset that follows
	}
	RuleCmdletMailboxExport = finding.Rule{
		ID:    "evtx-mailbox-export",
		Title: "Mailbox exported with New-MailboxExportRequest (to a web folder or an .aspx file: a web shell drop)",
		Remediation: "A mailbox export request writes a mailbox to a PST file. Exported into a web folder or with an .aspx " +
			"name it is the ProxyShell way of planting a web shell; to a share it may be theft of mail. Confirm with the " +
			"administrators whether they ran it; look for the file and for Remove-MailboxExportRequest hiding it.",
		Grading:    "critical for an .aspx/.asp file, a web folder or the server's own admin share; medium for a file share (administrators export there too)",
		References: []string{refSigmaManagement, refM365Hunting},
		Stage:      finding.StagePostExploitation,
	}
	RuleCmdletRemoveExport = finding.Rule{
		ID:          "evtx-mailbox-export-removed",
		Title:       "Mailbox export request removed (Remove-MailboxExportRequest), hiding an export",
		Remediation: "Attackers remove their export requests once the PST is written. Pair it with the New-MailboxExportRequest before it and find where the export went.",
		Grading:     "low with -Confirm:$false; context otherwise (administrators clean up their exports too)",
		References:  []string{refSigmaManagement},
		Stage:       finding.StagePostExploitation,
	}
	RuleCmdletImportExportRole = finding.Rule{
		ID:          "evtx-import-export-role",
		Title:       "\"Mailbox Import Export\" role assigned (New-ManagementRoleAssignment)",
		Remediation: "The role lets its holder export any mailbox; attackers grant it to themselves before exporting. Check who received it and remove the assignment if nobody asked for it.",
		Grading:     "medium (administrators assign it for legitimate exports)",
		References:  []string{refSigmaManagement},
		Stage:       finding.StagePostExploitation,
	}
	RuleCmdletTransportAgent = finding.Rule{
		ID:    "evtx-transport-agent",
		Title: "Exchange transport agent installed or enabled (mail-flow persistence)",
		Remediation: "A transport agent sees every message that passes the server; malicious agents copy or alter mail and " +
			"survive password resets. Compare Get-TransportAgent with what the organisation installed and examine the assembly.",
		Grading:    "high when the assembly lies in a temporary, user or shared folder; medium otherwise",
		References: []string{refSigmaManagement},
		Stage:      finding.StagePostExploitation,
	}
	RuleCmdletCertificateDrop = finding.Rule{
		ID:    "evtx-certificate-request-drop",
		Title: "Certificate request file written to a web folder or an admin share (New-ExchangeCertificate web shell drop)",
		Remediation: "New-ExchangeCertificate -RequestFile writes attacker-controlled text to any path: pointed at a web folder " +
			"or with an .aspx name it plants a web shell (ProxyShell). Find and preserve the file.",
		Grading:    "critical",
		References: []string{refSigmaManagement},
		Stage:      finding.StageWebshellWritten,
	}
)

// Cmdlets reads the Exchange cmdlet audit (MSExchange Management channel,
// provider MSExchange CmdletLogs): event 1 a cmdlet that succeeded, 6 one
// that failed, the cmdlet's name and parameters first among the values.
type Cmdlets struct{}

func (Cmdlets) Name() string             { return "evtx-cmdlets" }
func (Cmdlets) Family() detect.LogFamily { return detect.EventLog }
func (Cmdlets) Folders() []string        { return []string{chManagement} }

func (Cmdlets) Check() detect.Check {
	return detect.Check{ID: "evtx-cmdlets", Title: "Exchange cmdlets of the attacks: virtual directory URLs set to script, mailbox exports, transport agents (MSExchange Management event log)",
		CVEs: []string{"CVE-2021-27065"}, Needs: "the MSExchange Management event logs (the cmdlet audit)"}
}

func (Cmdlets) Rules() []*finding.Rule {
	return []*finding.Rule{&RuleCmdletVDirScript, &RuleCmdletMailboxExport, &RuleCmdletRemoveExport, &RuleCmdletImportExportRole, &RuleCmdletTransportAgent, &RuleCmdletCertificateDrop}
}

func (Cmdlets) Literals() []string {
	return []string{"VirtualDirectory", "MailboxExportRequest", "ManagementRoleAssignment", "TransportAgent", "ExchangeCertificate"}
}

func (Cmdlets) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	e := event(rec)
	if e == nil || !strings.EqualFold(e.Provider(), "MSExchange CmdletLogs") || len(e.Values()) < 2 {
		return
	}
	v := e.Values()
	cmdlet, params := strings.TrimSpace(v[0]), v[1]
	failed := e.EventID() == 6 || e.Level() == 2
	ev := []finding.Field{{Name: "cmdlet", Value: cmdlet}, {Name: "parameters", Value: params}}
	if len(v) > 2 {
		ev = append(ev, finding.Field{Name: "user", Value: v[2]})
	}
	if len(v) > 6 {
		ev = append(ev, finding.Field{Name: "process", Value: v[6]})
	}
	outcome := "succeeded"
	if failed {
		outcome = "failed"
		if len(v) > 11 {
			ev = append(ev, finding.Field{Name: "error", Value: firstLine(v[11])})
		}
	}
	ev = append(ev, finding.Field{Name: finding.KeyOutcome, Value: outcome})
	for _, c := range classifyCommand(cmdlet + " " + params) {
		sev := c.sev
		if failed && sev > finding.Medium {
			sev--
		}
		emit(c.finding(sev, rec, e, c.why+" ("+outcome+")", ev...))
	}
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// commandFinding is what a cmdlet invocation shows.
type commandFinding struct {
	rule *finding.Rule
	sev  finding.Severity
	why  string
	// stage overrides the rule's: an export into a web folder plants a
	// web shell.
	stage finding.Stage
}

func (c commandFinding) finding(sev finding.Severity, rec *detect.LogRecord, e detect.Event, why string, ev ...finding.Field) finding.Finding {
	f := newFinding(c.rule, sev, rec, e, why, ev...)
	if c.stage != "" {
		f.Stage = c.stage
	}
	return f
}

var (
	setVDir      = regexp.MustCompile(`(?i)\bSet-\w*VirtualDirectory\b`)
	scriptMarkup = regexp.MustCompile(`(?i)<\s*script|runat\s*=|page_load|eval\s*\(\s*request|<%`)
	// A web shell dropped by an export or a certificate request: a script
	// extension, a web folder, or the server's own drive through a share.
	webDrop        = regexp.MustCompile(`(?i)\.as[hmp]x\b|\.asp\b|\\inetpub\\|\\FrontEnd\\HttpProxy\\|\\ClientAccess\\|aspnet_client|\\\\(?:localhost|127\.0\.0\.1)\\[a-z]\$`)
	unusualFolder  = regexp.MustCompile(`(?i)\\temp\\|\\tmp\\|\\ProgramData\\|\\Users\\|\\AppData\\|^\s*\\\\|['"]\\\\|-AssemblyPath\s+['"]?\.\\`)
	confirmedFalse = regexp.MustCompile(`(?i)-Confirm(?::\s*|\s+)['"]?\$?false`)
)

// classifyCommand finds the campaign's Exchange cmdlets in a command (the
// audit's cmdlet and parameters, or a process's command line).
func classifyCommand(cmd string) []commandFinding {
	var out []commandFinding
	if m := setVDir.FindString(cmd); m != "" && containsFold(cmd, "url") && scriptMarkup.MatchString(cmd) {
		out = append(out, commandFinding{&RuleCmdletVDirScript, finding.Critical, m + " set a URL holding script", ""})
	}
	if containsFold(cmd, "new-mailboxexportrequest") {
		if webDrop.MatchString(cmd) {
			out = append(out, commandFinding{&RuleCmdletMailboxExport, finding.Critical, "a mailbox was exported into a web folder or a script file", finding.StageWebshellWritten})
		} else {
			out = append(out, commandFinding{&RuleCmdletMailboxExport, finding.Medium, "a mailbox was exported to a file share: confirm an administrator did it", ""})
		}
	}
	if containsFold(cmd, "remove-mailboxexportrequest") {
		if confirmedFalse.MatchString(cmd) {
			out = append(out, commandFinding{&RuleCmdletRemoveExport, finding.Low, "an export request was removed without confirmation", ""})
		} else {
			out = append(out, commandFinding{&RuleCmdletRemoveExport, finding.Info, "an export request was removed", ""})
		}
	}
	if containsFold(cmd, "new-managementroleassignment") && containsFold(cmd, "mailbox import export") {
		out = append(out, commandFinding{&RuleCmdletImportExportRole, finding.Medium, "the Mailbox Import Export role was assigned: confirm an administrator did it", ""})
	}
	if containsFold(cmd, "install-transportagent") || containsFold(cmd, "enable-transportagent") {
		if unusualFolder.MatchString(cmd) {
			out = append(out, commandFinding{&RuleCmdletTransportAgent, finding.High, "a transport agent was installed from an unusual folder", ""})
		} else {
			out = append(out, commandFinding{&RuleCmdletTransportAgent, finding.Medium, "a transport agent was installed or enabled", ""})
		}
	}
	if containsFold(cmd, "new-exchangecertificate") && containsFold(cmd, "requestfile") && webDrop.MatchString(cmd) {
		out = append(out, commandFinding{&RuleCmdletCertificateDrop, finding.Critical, "a certificate request was written into a web folder or a script file", ""})
	}
	return out
}
