package eventlog

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

// The process-creation rules.
var (
	RuleWebServerShell = finding.Rule{
		ID:    "evtx-webserver-shell",
		Title: "Shell or system tool started by the IIS worker (w3wp.exe) or a Unified Messaging process",
		CVEs:  cvesChain,
		Remediation: "Exchange's IIS workers and Unified Messaging processes do not start shells or system tools: a " +
			"web shell (or the CVE-2021-26857 exploit) ran this command. The command line shows what the attacker did; " +
			"find the web shell through the IIS logs at the same time, preserve everything, and rebuild the server.",
		Grading:    "critical for shells and system tools; high for other children of Unified Messaging processes; medium for other children of w3wp.exe; crash reporting (WerFault) is context",
		References: []string{detect.RefMicrosoftHafnium, refM365Hunting},
		Stage:      finding.StageWebshellUse,
	}
	RuleChopperCommand = finding.Rule{
		ID:    "evtx-chopper-command",
		Title: "China Chopper web shell command line (&whoami&echo, [S]/[E] markers)",
		CVEs:  cvesChain,
		Remediation: "China Chopper wraps every command as cd /d \"<dir>\"&<command>&echo [S]&cd&echo [E]: this process ran " +
			"a command typed into the campaign's web shell. Find the shell and treat the server as compromised.",
		Grading:    "critical",
		References: []string{refSigmaHafnium},
		Stage:      finding.StageWebshellUse,
	}
	RuleLsassDump = finding.Rule{
		ID:    "evtx-lsass-dump",
		Title: "LSASS memory dumped (comsvcs.dll MiniDump, procdump): credential theft",
		Remediation: "The attackers dumped LSASS to steal the credentials of everyone logged on to the server. Reset those " +
			"credentials (and the computer account's), find the dump file, and look for its exfiltration.",
		Grading:    "critical",
		References: []string{detect.RefMicrosoftHafnium, refSigmaHafnium},
		Stage:      finding.StagePostExploitation,
	}
	RuleExchangeSnapin = finding.Rule{
		ID:    "evtx-exchange-snapin",
		Title: "Exchange PowerShell snap-in loaded from a command line (mailbox access outside Exchange's tools)",
		Remediation: "The 2021 attackers loaded the Exchange snap-in in PowerShell to export mailboxes and list users. Setup " +
			"and Exchange's own tools load it too, but not from a cmd or powershell command line started by hand or by a " +
			"web shell. Check the user and the cmdlets run.",
		Grading:    "high",
		References: []string{detect.RefMicrosoftHafnium, refM365Hunting},
		Stage:      finding.StagePostExploitation,
	}
	RulePostExploitCommand = finding.Rule{
		ID:    "evtx-post-exploit-command",
		Title: "Command line of the campaign's post-exploitation (hidden web shells, staging for exfiltration, shadow copies)",
		Remediation: "The command matches what the 2021 attackers ran after getting in: hiding web shells with attrib, " +
			"packing mailboxes and dumps with 7-Zip or makecab in ProgramData or the web root, listing shadow copies. " +
			"Find the files it names and what left the server.",
		Grading:    "high; critical when it touches a web folder's scripts",
		References: []string{refSigmaHafnium, refM365Hunting},
		Stage:      finding.StagePostExploitation,
	}
	RuleReverseShell = finding.Rule{
		ID:    "evtx-reverse-shell",
		Title: "PowerShell reverse shell or download cradle (Nishang TCPClient, PowerCat)",
		Remediation: "A PowerShell one-liner opened a connection back to the attacker (Nishang, PowerCat), as seen after the " +
			"2021 exploitation. The address in the command is the attacker's: block it and look for it elsewhere.",
		Grading:    "critical",
		References: []string{refM365Hunting},
		Stage:      finding.StagePostExploitation,
	}
)

// serverParents are the processes whose children the attacks show.
var serverParents = map[string]bool{"w3wp.exe": true, "umworkerprocess.exe": true, "umservice.exe": true}

// shellTools are the programs a web shell's operator runs.
var shellTools = map[string]bool{
	"cmd.exe": true, "powershell.exe": true, "pwsh.exe": true, "powershell_ise.exe": true, "whoami.exe": true,
	"net.exe": true, "net1.exe": true, "certutil.exe": true, "rundll32.exe": true, "regsvr32.exe": true,
	"mshta.exe": true, "wscript.exe": true, "cscript.exe": true, "bitsadmin.exe": true, "wmic.exe": true,
	"ipconfig.exe": true, "systeminfo.exe": true, "tasklist.exe": true, "quser.exe": true, "query.exe": true,
	"qwinsta.exe": true, "nltest.exe": true, "hostname.exe": true, "ping.exe": true, "nslookup.exe": true,
	"arp.exe": true, "route.exe": true, "netstat.exe": true, "reg.exe": true, "schtasks.exe": true, "at.exe": true,
	"sc.exe": true, "vssadmin.exe": true, "ntdsutil.exe": true, "procdump.exe": true, "procdump64.exe": true,
	"7z.exe": true, "7za.exe": true, "rar.exe": true, "winrar.exe": true, "makecab.exe": true, "curl.exe": true,
	"dsquery.exe": true, "adfind.exe": true, "tar.exe": true, "attrib.exe": true, "klist.exe": true,
	"taskkill.exe": true, "findstr.exe": true, "msiexec.exe": true, "forfiles.exe": true, "wevtutil.exe": true,
}

// compilerChildren are what IIS workers start to compile ASP.NET pages
// and the console host of any child: not signs of a shell by themselves.
var compilerChildren = map[string]bool{"csc.exe": true, "cvtres.exe": true, "vbc.exe": true, "conhost.exe": true, "jsc.exe": true}

// crashReporters are the children a crashing process gets.
var crashReporters = map[string]bool{"werfault.exe": true, "wermgr.exe": true, "werfaultsecure.exe": true}

var (
	chopperShape = regexp.MustCompile(`(?i)&(?:ipconfig|quser|whoami|c:|cd|dir|net\s+user|tasklist|systeminfo)&echo\b|&echo\s+\[[SE]\]`)
	comsvcsDump  = regexp.MustCompile(`(?i)comsvcs(?:\.dll)?[\s,"']+#?(?:minidump|24)\b`)
	procdumpLsas = regexp.MustCompile(`(?i)procdump(?:64)?(?:\.exe)?\b.*\blsass|\blsass(?:\.exe)?\b.*\s-ma\b|\s-ma\s.*\blsass`)
	exSnapin     = regexp.MustCompile(`(?i)Add-PSSnapin\s+['"]?Microsoft\.Exchange\.(?:Management\.)?PowerShell\.(?:Snapin|E2010|SnapIn)`)
	// Setup's own use of the snap-in (filtered by the community rule too).
	setupSnapin = regexp.MustCompile(`(?i)\$exserver\s*=\s*Get-ExchangeServer\s+\(\[Environment\]::MachineName\)`)
	hafniumCmd  = []struct {
		re  *regexp.Regexp
		sev finding.Severity
		why string
	}{
		{regexp.MustCompile(`(?i)\battrib\b.*\s\+[hsr]\b.*\.as[hmp]x\b`), finding.Critical, "a web shell was hidden with attrib"},
		{regexp.MustCompile(`(?i)\\ProgramData\\VSPerfMon\\|schtasks.*VSPerfMon`), finding.High, "the campaign's VSPerfMon folder or task"},
		{regexp.MustCompile(`(?i)vssadmin\b.*list\s+shadows.*Temp\\__output`), finding.High, "shadow copies listed into Temp\\__output"},
		{regexp.MustCompile(`(?i)makecab\b.*(?:\\inetpub\\wwwroot\\.*\.dmp\.zip|Microsoft\\Exchange Server\\|compressionmemory|\.gif\b)`), finding.High, "files packed with makecab for exfiltration"},
		{regexp.MustCompile(`(?i)(?:-t7z\b.*\\ProgramData\\pst|\b7za?(?:\.exe)?\b.*ProgramData\\pst|\\it\.zip\b)`), finding.High, "mailboxes packed with 7-Zip in ProgramData"},
		{regexp.MustCompile(`(?i)\bWindows\\Temp\\(?:xx\.bat|cw\.exe)\b|\\Windows\\WwanSvcdcs\b`), finding.High, "a file name of the campaign's tools"},
		{regexp.MustCompile(`(?i)\b(?:win)?rar(?:\.exe)?"?\s+a\s`), finding.Medium, "files packed with RAR (staging for exfiltration?)"},
		{regexp.MustCompile(`(?i)\\Users\\Public\\opera\\|Opera_browser\.exe`), finding.High, "the campaign's fake Opera browser (PlugX)"},
	}
	tcpClient = regexp.MustCompile(`(?i)New-Object\s+(?:-TypeName\s+)?System\.Net\.Sockets\.TCPClient`)
	powercat  = regexp.MustCompile(`(?i)powercat\.ps1\b|\bpowercat\s+-c\b`)
	encoded   = regexp.MustCompile(`(?i)\s-(?:e|ec|en|enc|enco|encod|encode|encoded|encodedc|encodedco|encodedcom|encodedcomm|encodedcomma|encodedcomman|encodedcommand)\s+([A-Za-z0-9+/=]{16,})`)
)

// ProcessCreation reads process creation events: Security 4688 (with
// command lines when auditing them is on) and Sysmon 1.
type ProcessCreation struct{}

func (ProcessCreation) Name() string             { return "evtx-process-creation" }
func (ProcessCreation) Family() detect.LogFamily { return detect.EventLog }
func (ProcessCreation) Folders() []string        { return []string{chSecurity, chSysmon} }

func (ProcessCreation) Check() detect.Check {
	return detect.Check{ID: "evtx-process-creation", Title: "Processes started by web shells and the attackers (Security 4688, Sysmon 1): w3wp.exe children, China Chopper, LSASS dumps, reverse shells",
		CVEs: cvesChain, Needs: "the Security or Sysmon event logs (Security.evtx, Microsoft-Windows-Sysmon%4Operational.evtx)"}
}

func (ProcessCreation) Rules() []*finding.Rule {
	return []*finding.Rule{&RuleWebServerShell, &RuleChopperCommand, &RuleLsassDump, &RuleExchangeSnapin, &RulePostExploitCommand, &RuleReverseShell}
}

func (ProcessCreation) Literals() []string {
	return []string{"w3wp", "UMWorkerProcess", "UMService", "&echo", "comsvcs", "lsass", "PSSnapin", "TCPClient",
		"powercat", "MailboxExportRequest", "ManagementRoleAssignment", "attrib", "VSPerfMon", "vssadmin", "makecab",
		"ProgramData\\pst", "it.zip", "Windows\\Temp\\", "WwanSvcdcs", "Opera_browser", "\\opera\\", " -e", "\t-e",
		// classifyCommand's cmdlets, run from a command line
		"VirtualDirectory", "TransportAgent", "ExchangeCertificate", "rar"}
}

// process is a process creation event's view.
type process struct {
	image, cmd, parent, parentCmd, user string
	// parentFrom says how the parent was found when the event does not
	// name it (Windows Server 2012 R2: by the creator's process id).
	parentFrom string
}

func processOf(rec *detect.LogRecord, e detect.Event) (process, bool) {
	switch {
	case e.EventID() == 4688 && strings.EqualFold(e.Provider(), "Microsoft-Windows-Security-Auditing"):
		return process{image: rec.Get("NewProcessName"), cmd: rec.Get("CommandLine"), parent: rec.Get("ParentProcessName"),
			user: joinUser(rec.Get("SubjectDomainName"), rec.Get("SubjectUserName")), parentFrom: rec.Get("ParentProcessNameFrom")}, true
	case e.EventID() == 1 && strings.EqualFold(e.Provider(), "Microsoft-Windows-Sysmon"):
		return process{image: rec.Get("Image"), cmd: rec.Get("CommandLine"), parent: rec.Get("ParentImage"),
			parentCmd: rec.Get("ParentCommandLine"), user: rec.Get("User")}, true
	}
	return process{}, false
}

func joinUser(domain, user string) string {
	if domain == "" || domain == "-" {
		return user
	}
	return domain + `\` + user
}

func (p process) evidence() []finding.Field {
	return []finding.Field{{Name: "image", Value: p.image}, {Name: "command_line", Value: p.cmd},
		{Name: "parent", Value: p.parent}, {Name: "parent_from", Value: p.parentFrom}, {Name: "parent_command_line", Value: p.parentCmd}, {Name: "user", Value: p.user}}
}

func (ProcessCreation) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	e := event(rec)
	if e == nil {
		return
	}
	p, ok := processOf(rec, e)
	if !ok {
		return
	}
	ev := p.evidence()
	child, parent := baseName(p.image), baseName(p.parent)
	switch {
	case !serverParents[parent]:
	case crashReporters[child]:
		if parent != "w3wp.exe" {
			emit(newFinding(&RuleWebServerShell, finding.Info, rec, e, parent+" crashed and started "+child+": many such crashes can be deserialization attempts (CVE-2021-26857)", ev...))
		}
	case shellTools[child]:
		emit(newFinding(&RuleWebServerShell, finding.Critical, rec, e, parent+" started "+child, ev...))
	case compilerChildren[child]:
	case parent != "w3wp.exe":
		emit(newFinding(&RuleWebServerShell, finding.High, rec, e, parent+" started "+child+": Unified Messaging starts no programs but its crash reporter", ev...))
	default:
		emit(newFinding(&RuleWebServerShell, finding.Medium, rec, e, "w3wp.exe started "+child, ev...))
	}
	cmd := p.cmd
	if cmd == "" {
		return
	}
	if m := chopperShape.FindString(cmd); m != "" {
		emit(newFinding(&RuleChopperCommand, finding.Critical, rec, e, "China Chopper's command wrapping: "+m, ev...))
	}
	if comsvcsDump.MatchString(cmd) || procdumpLsas.MatchString(cmd) {
		emit(newFinding(&RuleLsassDump, finding.Critical, rec, e, "a memory dump of LSASS was taken", ev...))
	}
	if exSnapin.MatchString(cmd) && !setupSnapin.MatchString(cmd) && !isSetup(p.parent) {
		emit(newFinding(&RuleExchangeSnapin, finding.High, rec, e, "the Exchange snap-in was loaded from a command line", ev...))
	}
	for _, h := range hafniumCmd {
		if h.re.MatchString(cmd) {
			emit(newFinding(&RulePostExploitCommand, h.sev, rec, e, h.why, ev...))
			break
		}
	}
	switch {
	case tcpClient.MatchString(cmd):
		emit(newFinding(&RuleReverseShell, finding.Critical, rec, e, "a PowerShell TCP client (Nishang reverse shell)", ev...))
	case powercat.MatchString(cmd):
		emit(newFinding(&RuleReverseShell, finding.Critical, rec, e, "PowerCat", ev...))
	default:
		if s, ok := decodedReverseShell(cmd); ok {
			emit(newFinding(&RuleReverseShell, finding.Critical, rec, e, "an encoded PowerShell command opening a TCP client", append(ev, finding.Field{Name: "decoded", Value: s})...))
		}
	}
	for _, c := range classifyCommand(cmd) {
		emit(c.finding(c.sev, rec, e, c.why+" (from a command line)", ev...))
	}
}

// isSetup reports whether the parent is Exchange setup or the installer.
func isSetup(parent string) bool {
	switch baseName(parent) {
	case "msiexec.exe", "exsetup.exe", "setup.exe", "exsetupui.exe":
		return true
	}
	return false
}

// maxEncoded bounds the encoded commands decoded (the Windows command line
// is at most 32,767 characters).
const maxEncoded = 64 << 10

// decodedReverseShell decodes a PowerShell -EncodedCommand argument (base64
// of UTF-16LE) and reports whether it opens a TCP client and runs what it
// receives.
func decodedReverseShell(cmd string) (string, bool) {
	m := encoded.FindStringSubmatch(cmd)
	if m == nil || len(m[1]) > maxEncoded {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(padBase64(m[1]))
	if err != nil || len(raw) < 2 {
		return "", false
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	s := string(utf16.Decode(u))
	if containsFold(s, "tcpclient") && anyFold(s, "iex", "invoke-expression", "invoke") {
		return s, true
	}
	return "", false
}

func padBase64(s string) string {
	s = strings.TrimRight(s, "=")
	if r := len(s) % 4; r != 0 {
		s += strings.Repeat("=", 4-r)
	}
	return s
}

// The file-write rules.
var (
	RuleWebshellWrite = finding.Rule{
		ID:    "evtx-webshell-write",
		Title: "Script file written by the IIS worker, a Unified Messaging process or the mailbox replication service (web shell drop)",
		CVEs:  []string{"CVE-2021-26858", "CVE-2021-27065"},
		Remediation: "Exchange's web and Unified Messaging processes do not write .aspx and other script files: this is how the " +
			"2021 exploits (CVE-2021-26858, CVE-2021-27065) and ProxyShell planted web shells. Preserve the file named, " +
			"find its requests in the IIS logs, and treat the server as compromised.",
		Grading:    "critical in a web folder; high elsewhere",
		References: []string{refM365Hunting},
		Stage:      finding.StageWebshellWritten,
	}
	RuleUMFileWrite = finding.Rule{
		ID:    "evtx-um-file-write",
		Title: "CVE-2021-26858: file written by a Unified Messaging process",
		CVEs:  []string{"CVE-2021-26858"},
		Remediation: "Unified Messaging writes only its cache and logs; any other file it writes is the CVE-2021-26858 " +
			"arbitrary file write. Examine the file.",
		Grading:    "high",
		References: []string{refM365Hunting},
		Stage:      finding.StageExploitation,
	}
	RuleTransportConfigWrite = finding.Rule{
		ID:    "evtx-transport-agent-config",
		Title: "Exchange transport agent configuration (agents.config) changed outside Exchange's tools",
		Remediation: "agents.config lists the transport agents that see every message; editing it by hand installs an " +
			"agent without the cmdlet audit. Compare it with Get-TransportAgent and examine any unknown assembly.",
		Grading:    "medium",
		References: []string{refSigmaManagement},
		Stage:      finding.StagePostExploitation,
	}
)

var (
	scriptExt    = regexp.MustCompile(`(?i)\.(?:aspx|asp|ashx|asmx|asax|ascx|php|jspx?|cfm|shtml)$`)
	webFolder    = regexp.MustCompile(`(?i)\\inetpub\\|\\FrontEnd\\HttpProxy\\|\\ClientAccess\\|\\aspnet_client\\`)
	aspnetTemp   = regexp.MustCompile(`(?i)\\Temporary ASP\.NET Files\\`)
	umBenignFile = regexp.MustCompile(`(?i)(?:\\|^)(?:CacheCleanup\.bin|cleanup\.bin)$|\.(?:txt|log|cfg)$`)
)

// webWriters are the processes whose script writes the attacks show.
var webWriters = map[string]bool{"w3wp.exe": true, "umworkerprocess.exe": true, "umservice.exe": true, "msexchangemailboxreplication.exe": true}

// agentTools are the processes that change agents.config on Exchange's
// behalf (the cmdlets run in PowerShell or its IIS pool, setup).
var agentTools = map[string]bool{"w3wp.exe": true, "powershell.exe": true, "exsetup.exe": true, "setup.exe": true, "msiexec.exe": true,
	"edgetransport.exe": true, "msexchangetransport.exe": true, "trustedinstaller.exe": true, "tiworker.exe": true}

// FileWrites reads file creation (Sysmon 11) and file access (Security
// 4663 with a write access) events.
type FileWrites struct{}

func (FileWrites) Name() string             { return "evtx-file-writes" }
func (FileWrites) Family() detect.LogFamily { return detect.EventLog }
func (FileWrites) Folders() []string        { return []string{chSecurity, chSysmon} }

func (FileWrites) Check() detect.Check {
	return detect.Check{ID: "evtx-file-writes", Title: "Script files written by w3wp.exe and Unified Messaging (Sysmon 11, Security 4663)",
		CVEs: []string{"CVE-2021-26858", "CVE-2021-27065"}, Needs: "the Security or Sysmon event logs (Security.evtx, Microsoft-Windows-Sysmon%4Operational.evtx)"}
}

func (FileWrites) Rules() []*finding.Rule {
	return []*finding.Rule{&RuleWebshellWrite, &RuleUMFileWrite, &RuleTransportConfigWrite}
}

func (FileWrites) Literals() []string {
	return []string{"w3wp", "UMWorkerProcess", "UMService", "MSExchangeMailboxReplication", "agents.config"}
}

// writeAccess are the 4663 access bits that change a file: WriteData,
// AppendData, WriteEA, WriteAttributes.
const writeAccess = 0x2 | 0x4 | 0x10 | 0x100

func (FileWrites) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	e := event(rec)
	if e == nil {
		return
	}
	var writer, target string
	switch {
	case e.EventID() == 11 && strings.EqualFold(e.Provider(), "Microsoft-Windows-Sysmon"):
		writer, target = rec.Get("Image"), rec.Get("TargetFilename")
	case e.EventID() == 4663 && strings.EqualFold(e.Provider(), "Microsoft-Windows-Security-Auditing"):
		mask, err := strconv.ParseUint(strings.TrimSpace(rec.Get("AccessMask")), 0, 32)
		if err != nil || mask&writeAccess == 0 {
			return
		}
		writer, target = rec.Get("ProcessName"), rec.Get("ObjectName")
	default:
		return
	}
	proc := baseName(writer)
	ev := []finding.Field{{Name: "process", Value: writer}, {Name: "file", Value: target}}
	if strings.EqualFold(baseName(target), "agents.config") && containsFold(target, `\transportroles\`) && !agentTools[proc] {
		emit(newFinding(&RuleTransportConfigWrite, finding.Medium, rec, e, proc+" changed the transport agent configuration", ev...))
		return
	}
	if !webWriters[proc] || aspnetTemp.MatchString(target) {
		return
	}
	switch {
	case scriptExt.MatchString(target) && webFolder.MatchString(target):
		emit(newFinding(&RuleWebshellWrite, finding.Critical, rec, e, proc+" wrote a script file into a web folder", ev...))
	case scriptExt.MatchString(target):
		emit(newFinding(&RuleWebshellWrite, finding.High, rec, e, proc+" wrote a script file", ev...))
	case proc == "umworkerprocess.exe" || proc == "umservice.exe":
		if !umBenignFile.MatchString(target) {
			emit(newFinding(&RuleUMFileWrite, finding.High, rec, e, proc+" wrote a file it does not write in normal work", ev...))
		}
	}
}
