package evtxwrite

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/source/evtx"
)

// What a detector sees of each example once decoded: the checks of
// Test-ProxyLogon and the usual hunting queries must match them.
func TestExamplesAsDetectorsSeeThem(t *testing.T) {
	examples := exampleEvents(t0, "EX01")
	var events []Event
	for _, ex := range examples {
		events = append(events, ex.Event)
	}
	_, recs := decodeAll(t, encode(t, Options{}, events))
	get := func(r *evtx.Record, name string) string { v, _ := r.Get(name); return v }
	checks := map[string]func(r *evtx.Record) bool{
		// Get-WinEvent Application, ProviderName 'MSExchange Unified Messaging', Level 2, Message like *System.InvalidCastException*
		"um-invalid-cast": func(r *evtx.Record) bool {
			return r.Channel == "Application" && r.Provider == "MSExchange Unified Messaging" && r.Level == 2 &&
				len(r.Data) == 1 && strings.Contains(r.Data[0].Value, "System.InvalidCastException")
		},
		// CmdletLogs: the cmdlet and its parameters are the first two strings
		"set-oab-vdir-script": func(r *evtx.Record) bool {
			return r.Channel == "MSExchange Management" && r.Provider == "MSExchange CmdletLogs" && r.EventID == 1 &&
				len(r.Data) == 1 && len(r.Data[0].Values) == 27 && r.Data[0].Values[0] == "Set-OabVirtualDirectory" &&
				strings.Contains(r.Data[0].Values[1], `-ExternalUrl 'http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["x"],"unsafe");}</script>'`)
		},
		"sysmon-file-create-webshell": func(r *evtx.Record) bool {
			return r.EventID == 11 && strings.HasSuffix(get(r, "Image"), `\w3wp.exe`) && strings.HasSuffix(get(r, "TargetFilename"), `\owa\auth\RedirSuiteServerProxy.aspx`)
		},
		"security-4688-w3wp-cmd": func(r *evtx.Record) bool {
			return r.Channel == "Security" && r.EventID == 4688 && strings.HasSuffix(get(r, "ParentProcessName"), `\w3wp.exe`) &&
				strings.HasSuffix(get(r, "NewProcessName"), `\cmd.exe`) && get(r, "CommandLine") == "cmd /c whoami" && get(r, "NewProcessId") == "0x0000000000001f4c"
		},
		"sysmon-1-w3wp-cmd": func(r *evtx.Record) bool {
			return r.Channel == "Microsoft-Windows-Sysmon/Operational" && r.EventID == 1 && strings.HasSuffix(get(r, "ParentImage"), `\w3wp.exe`) && get(r, "ProcessId") == "2404"
		},
		"defender-1116-chopper": func(r *evtx.Record) bool {
			return r.EventID == 1116 && r.Level == 3 && get(r, "Threat Name") == "Backdoor:ASP/Chopper.F!dha" && strings.HasPrefix(get(r, "Path"), `file:_C:\Program Files\Microsoft\Exchange Server\`)
		},
		"defender-1117-chopper": func(r *evtx.Record) bool { return r.EventID == 1117 && get(r, "Action Name") == "%%887" },
		"system-7045-service": func(r *evtx.Record) bool {
			return r.Channel == "System" && r.EventID == 7045 && get(r, "ImagePath") == `%SYSTEMROOT%\duKhLYUX.exe`
		},
		"system-104-cleared": func(r *evtx.Record) bool {
			return r.Channel == "System" && r.EventID == 104 && get(r, "Channel") == "System" && get(r, "SubjectUserName") == "Administrator"
		},
		"security-1102-cleared": func(r *evtx.Record) bool {
			return r.Channel == "Security" && r.EventID == 1102 && get(r, "SubjectUserSid") == "S-1-5-21-1004336348-1177238915-682003330-500" && get(r, "SubjectLogonId") == "0x00000000002c1b3f"
		},
	}
	if len(checks) != len(examples) {
		t.Errorf("%d checks for %d examples", len(checks), len(examples))
	}
	for i, ex := range examples {
		check, ok := checks[ex.Name]
		if !ok || !check(recs[i]) {
			t.Errorf("%s: decoded as\n%s", ex.Name, recs[i].XML())
		}
	}
}

// sampleDir holds real EVTX samples shared by the project (absent outside it).
const sampleDir = "../../../../shared/data/evtx"

// firstEvent returns the first record of a sample with that event id.
func firstEvent(t *testing.T, name string, id uint32) *evtx.Record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sampleDir, name))
	if err != nil {
		t.Skip(name + " not present")
	}
	_, recs := decodeAll(t, data)
	for _, r := range recs {
		if r.EventID == id {
			return r
		}
	}
	t.Fatalf("%s holds no event %d", name, id)
	return nil
}

// The examples have the shape of the real events of the samples: the same
// System elements and attributes, the same data names in the same order.
func TestExamplesShapedLikeSamples(t *testing.T) {
	for _, c := range []struct {
		sample  string
		id      uint32
		example Event
	}{
		{"msexchange_management_cmdletlogs_ev6.evtx", 6, SetOabVirtualDirectoryWebShell(t0, "EX01", OabWebShellURL)},
		{"sysmon_iis_webshell_w3wp_cmd.evtx", 1, SysmonProcessCreate(t0, "EX01", `C:\w3wp.exe`, `C:\cmd.exe`, "cmd")},
		{"system_psexec_service_install.evtx", 7045, ServiceInstalled(t0, "EX01", "s", `C:\s.exe`)},
		{"system_psexec_service_install.evtx", 104, SystemLogCleared(t0, "EX01", "u", "d")},
	} {
		real := firstEvent(t, c.sample, c.id)
		_, recs := decodeAll(t, encode(t, Options{}, []Event{c.example}))
		ours := recs[0]
		realSys, err1 := systemOf(real.XML())
		ourSys, err2 := systemOf(ours.XML())
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !slices.Equal(slices.Sorted(maps.Keys(realSys)), slices.Sorted(maps.Keys(ourSys))) {
			t.Errorf("%s event %d: System elements\n real %v\n ours %v", c.sample, c.id, slices.Sorted(maps.Keys(realSys)), slices.Sorted(maps.Keys(ourSys)))
		}
		if real.Provider != ours.Provider || real.Channel != ours.Channel {
			t.Errorf("%s event %d: provider %q channel %q, ours %q %q", c.sample, c.id, real.Provider, real.Channel, ours.Provider, ours.Channel)
		}
		if rn, on := dataShape(real), dataShape(ours); !slices.Equal(rn, on) {
			t.Errorf("%s event %d: data\n real %q\n ours %q", c.sample, c.id, rn, on)
		}
	}
}

// dataShape lists the data names, and the number of strings of an array.
func dataShape(r *evtx.Record) []string {
	var out []string
	for _, d := range r.Data {
		out = append(out, d.Name)
		if d.Values != nil {
			out = append(out, strings.Repeat("+", len(d.Values)))
		}
	}
	return out
}
