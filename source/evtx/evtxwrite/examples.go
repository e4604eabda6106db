package evtxwrite

import (
	"fmt"
	"time"
)

// Examples of the events exhunt looks for and that no public sample holds,
// for detector tests and the demo server. Their System sections and data
// layouts copy real events where a sample exists (named in each comment);
// the values (users, ids, paths, exception texts) are made up.

const (
	eventlogProvider = "Microsoft-Windows-Eventlog"
	eventlogGUID     = "{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}"
	eventlogNS       = "http://manifests.microsoft.com/win/2004/08/windows/eventlog"
	classicKeywords  = 0x0080000000000000 // the "Classic" keyword of ReportEvent events
	// Qualifiers of classic events carry the severity of the message id.
	qualifiersInformational = 0x4000
	qualifiersError         = 0xc000
)

// UMInvalidCastEventID is the id UMInvalidCast gives its event. No public
// sample shows the id: Test-ProxyLogon's CVE-2021-26857 check (source
// "MSExchange Unified Messaging", level Error, message like
// "*System.InvalidCastException*") does not look at it, nor should exhunt.
const UMInvalidCastEventID = 1050

// UMInvalidCast is the Application log error of the Unified Messaging
// service failing to deserialize an attacker's object (CVE-2021-26857), as a
// classic event: its text is in unnamed Data strings (one string array).
func UMInvalidCast(t time.Time, computer string) Event {
	return Event{
		Time: t, Provider: "MSExchange Unified Messaging", EventID: UMInvalidCastEventID, Qualifiers: qualifiersError,
		Level: 2, Task: 1, Keywords: classicKeywords, Channel: "Application", Computer: computer, Classic: true,
		Data: []Data{{Value: []string{
			"UM worker process",
			"System.InvalidCastException: Unable to cast object of type 'System.Windows.Data.ObjectDataProvider' to type 'Microsoft.Exchange.UM.UMCommon.UMVoiceMailMessage'.\r\n" +
				"   at Microsoft.Exchange.UM.UMCore.UMMessageSerializer.Deserialize(Stream stream)\r\n" +
				"   at Microsoft.Exchange.UM.UMCore.UMWorkerProcess.ProcessMessage(Object state)",
		}}},
	}
}

// CmdletLog is an "MSExchange Management" log event 1 (MSExchange
// CmdletLogs, a cmdlet that ran). Its 27 strings are laid out as in the only
// public sample of that log (event 6, a failed cmdlet, in
// shared/data/evtx/msexchange_management_cmdletlogs_ev6.evtx) with the error
// strings left empty: Data[0] is one string array whose first string is the
// cmdlet and second its parameters, as exhunt's decoder gives them.
func CmdletLog(t time.Time, computer, cmdlet, parameters, user, userSID string) Event {
	return Event{
		Time: t, Provider: "MSExchange CmdletLogs", EventID: 1, Qualifiers: qualifiersInformational,
		Level: 4, Task: 1, Keywords: classicKeywords, Channel: "MSExchange Management", Computer: computer, Classic: true,
		Data: []Data{{Value: []string{
			cmdlet, parameters, user, userSID, userSID, "ECP", "8472 w3wp#MSExchangeECPAppPool", "", "1", "00:00:00.3125100",
			"View Entire Forest: 'False', Default Scope: 'corp.local', Configuration Domain Controller: 'dc01.corp.local'",
			"", "", "", "", "", "", "", "False", "", "0 objects execution has been proxied to remote server.", "", "", "0",
			"ActivityId: 5c2a8d7e-3f1b-4c6a-9e0d-7b8f6a5e4d3c", "ServicePlan:;IsAdmin:True;", "en-US",
		}}},
	}
}

// SetOabVirtualDirectoryWebShell is the CmdletLog of CVE-2021-27065's first
// step: Set-OabVirtualDirectory with a script in ExternalUrl (externalURL,
// "http://f/<script ...>...</script>"; the caller supplies it, so that no
// web shell text is compiled into a program that uses this package).
func SetOabVirtualDirectoryWebShell(t time.Time, computer, externalURL string) Event {
	return CmdletLog(t, computer, "Set-OabVirtualDirectory",
		fmt.Sprintf(`-ExternalUrl '%s' -Identity '%s\OAB (Default Web Site)'`, externalURL, computer),
		"corp.local/Users/Administrator", "S-1-5-21-1004336348-1177238915-682003330-500")
}

// ProcessCreation is a Security log 4688 (version 2, Windows Server 2016 and
// later) of parent starting image, e.g. w3wp.exe starting cmd.exe.
func ProcessCreation(t time.Time, computer, parent, image, commandLine string) Event {
	return Event{
		Time: t, Provider: "Microsoft-Windows-Security-Auditing", ProviderGUID: "{54849625-5478-4994-A5BA-3E3B0328C30D}",
		EventID: 4688, Version: 2, Task: 13312, Keywords: 0x8020000000000000, ProcessID: 4, ThreadID: 7612,
		Channel: "Security", Computer: computer,
		Data: []Data{
			{"SubjectUserSid", SID("S-1-5-18")},
			{"SubjectUserName", "EX01$"},
			{"SubjectDomainName", "CORP"},
			{"SubjectLogonId", Hex64(0x3e7)},
			{"NewProcessId", Hex64(0x1f4c)},
			{"NewProcessName", image},
			{"TokenElevationType", "%%1936"},
			{"ProcessId", Hex64(0x2118)},
			{"CommandLine", commandLine},
			{"TargetUserSid", SID("S-1-0-0")},
			{"TargetUserName", "-"},
			{"TargetDomainName", "-"},
			{"TargetLogonId", Hex64(0)},
			{"ParentProcessName", parent},
			{"MandatoryLabel", SID("S-1-16-16384")},
		},
	}
}

const (
	sysmonProvider = "Microsoft-Windows-Sysmon"
	sysmonGUID     = "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"
	sysmonChannel  = "Microsoft-Windows-Sysmon/Operational"
)

func sysmonTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

// SysmonProcessCreate is a Sysmon event 1 (version 5), laid out as the one in
// shared/data/evtx/sysmon_iis_webshell_w3wp_cmd.evtx.
func SysmonProcessCreate(t time.Time, computer, parentImage, image, commandLine string) Event {
	return Event{
		Time: t, Provider: sysmonProvider, ProviderGUID: sysmonGUID, EventID: 1, Version: 5, Level: 4, Task: 1,
		Keywords: 0x8000000000000000, ProcessID: 2032, ThreadID: 2092, Channel: sysmonChannel, Computer: computer, UserSID: "S-1-5-18",
		Data: []Data{
			{"RuleName", ""},
			{"UtcTime", sysmonTime(t)},
			{"ProcessGuid", GUID("{365ABB72-4A01-5CE7-0000-0010EE9DAC00}")},
			{"ProcessId", uint32(2404)},
			{"Image", image},
			{"FileVersion", "10.0.14393.0 (rs1_release.160715-1616)"},
			{"Description", "Windows Command Processor"},
			{"Product", "Microsoft® Windows® Operating System"},
			{"Company", "Microsoft Corporation"},
			{"CommandLine", commandLine},
			{"CurrentDirectory", `c:\windows\system32\inetsrv\`},
			{"User", `NT AUTHORITY\SYSTEM`},
			{"LogonGuid", GUID("{365ABB72-45C7-5CE7-0000-0020E7030000}")},
			{"LogonId", Hex64(0x3e7)},
			{"TerminalSessionId", uint32(0)},
			{"IntegrityLevel", "System"},
			{"Hashes", "SHA256=935C1861DF1F4018D698E8B65ABFA02D7E9037D8F68CA3C2065B6CA165D44AD2"},
			{"ParentProcessGuid", GUID("{365ABB72-49D6-5CE7-0000-001020A7A700}")},
			{"ParentProcessId", uint32(2580)},
			{"ParentImage", parentImage},
			{"ParentCommandLine", parentImage + ` -ap "MSExchangeOWAAppPool" -v "v4.0" -c "C:\Program Files\Microsoft\Exchange Server\V15\bin\GenericAppPoolConfigWithGCServerEnabledFalse.config" -a \\.\pipe\iisipm -h "C:\inetpub\temp\apppools\MSExchangeOWAAppPool\MSExchangeOWAAppPool.config" -w "" -m 0`},
		},
	}
}

// SysmonFileCreate is a Sysmon event 11 (version 2): image created target.
func SysmonFileCreate(t time.Time, computer, image, target string) Event {
	return Event{
		Time: t, Provider: sysmonProvider, ProviderGUID: sysmonGUID, EventID: 11, Version: 2, Level: 4, Task: 11,
		Keywords: 0x8000000000000000, ProcessID: 2032, ThreadID: 2092, Channel: sysmonChannel, Computer: computer, UserSID: "S-1-5-18",
		Data: []Data{
			{"RuleName", ""},
			{"UtcTime", sysmonTime(t)},
			{"ProcessGuid", GUID("{365ABB72-49D6-5CE7-0000-001020A7A700}")},
			{"ProcessId", uint32(2580)},
			{"Image", image},
			{"TargetFilename", target},
			{"CreationUtcTime", sysmonTime(t)},
		},
	}
}

// DefenderDetection is a Windows Defender event 1116 (malware detected) or
// 1117 (action taken) for the file at path; the field names are those of
// Windows Server 2016 and later.
func DefenderDetection(t time.Time, computer string, eventID uint16, threat, path string) Event {
	level := uint8(4)
	if eventID == 1116 {
		level = 3
	}
	return Event{
		Time: t, Provider: "Microsoft-Windows-Windows Defender", ProviderGUID: "{11cd958a-c507-4ef3-b3f2-5fd9dfbd2c78}",
		EventID: eventID, Level: level, Keywords: 0x8000000000000000, ProcessID: 3332, ThreadID: 4432,
		Channel: "Microsoft-Windows-Windows Defender/Operational", Computer: computer, UserSID: "S-1-5-18",
		Data: []Data{
			{"Product Name", "%%827"},
			{"Product Version", "4.18.2102.4"},
			{"Detection ID", "{6A2F0D5C-8B1E-4F3A-9C7D-2E5B8A1F4C6D}"},
			{"Detection Time", t.UTC().Format("2006-01-02T15:04:05.000Z")},
			{"Unused", ""},
			{"Unused2", ""},
			{"Threat ID", "2147775935"},
			{"Threat Name", threat},
			{"Severity ID", "5"},
			{"Severity Name", "Severe"},
			{"Category ID", "6"},
			{"Category Name", "Backdoor"},
			{"FWLink", "https://go.microsoft.com/fwlink/?linkid=37020&name=" + threat + "&threatid=2147775935&enterprise=1"},
			{"Status Code", "1"},
			{"Status Description", ""},
			{"State", "1"},
			{"Source ID", "3"},
			{"Source Name", "%%818"},
			{"Process Name", `C:\Windows\System32\inetsrv\w3wp.exe`},
			{"Detection User", `NT AUTHORITY\SYSTEM`},
			{"Unused3", ""},
			{"Path", "file:_" + path},
			{"Origin ID", "1"},
			{"Origin Name", "%%845"},
			{"Execution ID", "1"},
			{"Execution Name", "%%813"},
			{"Type ID", "0"},
			{"Type Name", "%%822"},
			{"Pre Execution Status", "0"},
			{"Action ID", "9"},
			{"Action Name", "%%887"},
			{"Unused4", ""},
			{"Error Code", "0x00000000"},
			{"Error Description", "The operation completed successfully. "},
			{"Unused5", ""},
			{"Post Clean Status", "0"},
			{"Additional Actions ID", "0"},
			{"Additional Actions String", "No additional actions required"},
			{"Remediation User", ""},
			{"Unused6", ""},
			{"Security intelligence Version", "AV: 1.333.263.0, AS: 1.333.263.0, NIS: 1.333.263.0"},
			{"Engine Version", "AM: 1.1.17900.7, NIS: 1.1.17900.7"},
		},
	}
}

// ServiceInstalled is a System log 7045 (a service was installed), laid out
// as the ones in shared/data/evtx/system_psexec_service_install.evtx.
func ServiceInstalled(t time.Time, computer, name, imagePath string) Event {
	return Event{
		Time: t, Provider: "Service Control Manager", ProviderGUID: "{555908d1-a6d7-4695-8e1e-26931d2012f4}", EventSourceName: "Service Control Manager",
		EventID: 7045, Qualifiers: qualifiersInformational, Level: 4, Keywords: 0x8080000000000000, ProcessID: 488, ThreadID: 352,
		Channel: "System", Computer: computer, UserSID: "S-1-5-21-1004336348-1177238915-682003330-500",
		Data: []Data{
			{"ServiceName", name},
			{"ImagePath", imagePath},
			{"ServiceType", "user mode service"},
			{"StartType", "demand start"},
			{"AccountName", "LocalSystem"},
		},
	}
}

// SystemLogCleared is a System log 104 (the System log was cleared), laid
// out as the one in shared/data/evtx/system_psexec_service_install.evtx.
func SystemLogCleared(t time.Time, computer, user, domain string) Event {
	return Event{
		Time: t, Provider: eventlogProvider, ProviderGUID: eventlogGUID, EventID: 104, Level: 4, Task: 104,
		Keywords: 0x8000000000000000, ProcessID: 824, ThreadID: 2648, Channel: "System", Computer: computer,
		UserSID: "S-1-5-21-1004336348-1177238915-682003330-500",
		UserData: &UserData{Name: "LogFileCleared", Namespace: eventlogNS, Fields: []Data{
			{"SubjectUserName", user},
			{"SubjectDomainName", domain},
			{"Channel", "System"},
			{"BackupPath", ""},
		}},
	}
}

// SecurityLogCleared is a Security log 1102 (the audit log was cleared).
func SecurityLogCleared(t time.Time, computer, user, domain string) Event {
	return Event{
		Time: t, Provider: eventlogProvider, ProviderGUID: eventlogGUID, EventID: 1102, Level: 4, Task: 104,
		Keywords: 0x4020000000000000, ProcessID: 1012, ThreadID: 5436, Channel: "Security", Computer: computer,
		UserData: &UserData{Name: "LogFileCleared", Namespace: eventlogNS, Fields: []Data{
			{"SubjectUserSid", SID("S-1-5-21-1004336348-1177238915-682003330-500")},
			{"SubjectUserName", user},
			{"SubjectDomainName", domain},
			{"SubjectLogonId", Hex64(0x2c1b3f)},
		}},
	}
}
