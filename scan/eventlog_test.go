package scan

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/source/evtx/evtxwrite"
	"github.com/exhunt/exhunt/testserver"
)

const sharedEvtx = "../../shared/data/evtx/"

func needEvtxSamples(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(sharedEvtx); err != nil {
		t.Skip("real EVTX samples not present at " + sharedEvtx)
	}
}

// realEvtxFindings are what the real samples hold, by rule and record:
// the Sysmon trace of a web shell's cmd.exe under w3wp.exe, the failed
// Install-TransportAgent of the cmdlet audit sample, agents.config edited in
// Notepad++, PrivExchange's replication rights, a cleared System log and
// Metasploit's PsExec services.
var realEvtxFindings = []string{
	"evtx-webserver-shell 1044 critical",
	"evtx-transport-agent 7184 medium",
	"evtx-transport-agent 7185 medium",
	"evtx-transport-agent 7186 medium",
	"evtx-transport-agent 7187 medium",
	"evtx-transport-agent-config 98 medium",
	"evtx-directory-change 65972 critical",
	"evtx-log-cleared 8622 medium",
	"evtx-new-service 8623 high",
	"evtx-new-service 8627 high",
}

func eventFindings(srv *result.Server) []string {
	var out []string
	for _, f := range srv.Findings {
		if strings.HasPrefix(f.Rule, "evtx-") && f.Severity > finding.Info {
			out = append(out, f.Rule+" "+itoa(f.Line)+" "+f.Severity.String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func checkRealEvtx(t *testing.T, srv *result.Server) {
	t.Helper()
	got := eventFindings(srv)
	for _, want := range realEvtxFindings {
		if !slices.Contains(got, want) {
			t.Errorf("missing %s; got %v", want, got)
		}
	}
	if len(got) > len(realEvtxFindings)+1 {
		// PrivExchange's sample grants the rights in two records.
		t.Errorf("unexpected event log findings: got %v, want %v", got, realEvtxFindings)
	}
}

// TestRealEventLogsInSystemDrive places the real samples where Windows
// keeps its logs, named after their channels: the checks of each channel
// read them, and the Application log makes the CVE-2021-26857 check run.
func TestRealEventLogsInSystemDrive(t *testing.T) {
	needEvtxSamples(t)
	dir := t.TempDir()
	logs := "Windows/System32/winevt/Logs/"
	place(t, sharedEvtx+"sysmon_iis_webshell_w3wp_cmd.evtx", dir, logs+"Microsoft-Windows-Sysmon%4Operational.evtx")
	place(t, sharedEvtx+"msexchange_management_cmdletlogs_ev6.evtx", dir, logs+"MSExchange Management.evtx")
	place(t, sharedEvtx+"application_many_events_2216rec.evtx", dir, logs+"Application.evtx")
	place(t, sharedEvtx+"system_psexec_service_install.evtx", dir, logs+"System.evtx")
	place(t, sharedEvtx+"security_privexchange_dirkjan.evtx", dir, logs+"Security.evtx")
	// A channel no check reads is not read.
	place(t, sharedEvtx+"rdp_1149_nulltype_edgecase.evtx", dir, logs+"Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx")
	os.MkdirAll(filepath.Join(dir, "inetpub/wwwroot"), 0o755)
	srv := runScan(t, dir, Config{})
	got := eventFindings(srv)
	for _, want := range []string{"evtx-webserver-shell 1044 critical", "evtx-transport-agent 7184 medium", "evtx-directory-change 65972 critical", "evtx-new-service 8627 high"} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %s; got %v", want, got)
		}
	}
	var folders []string
	for _, c := range srv.Coverage {
		if c.Family == string(detect.EventLog) {
			folders = append(folders, c.Folder)
		}
	}
	if strings.Join(folders, ",") != "Application,MSExchange Management,Microsoft-Windows-Sysmon/Operational,Security,System" {
		t.Errorf("event log coverage %v", folders)
	}
	for _, c := range srv.Verdict.ChecksNotRun {
		if c.ID == "cve-2021-26857-eventlog" {
			t.Errorf("the Application log was read, yet the CVE-2021-26857 check is listed as not run: %s", c.Why)
		}
	}
	// The timeline dates the web shell's use by its process.
	use := false
	if srv.Timeline == nil {
		t.Fatal("no timeline")
	}
	for _, m := range srv.Timeline.Milestones {
		if m.Name == "first_webshell_use" && strings.Contains(m.Where, "Microsoft-Windows-Sysmon%4Operational.evtx") {
			use = true
		}
	}
	if !use {
		t.Errorf("the timeline does not date the web shell's use by its process: %+v", srv.Timeline)
	}
}

// TestRealEventLogsFolder scans a copied folder of .evtx files (named as
// the samples are, not after their channels) and the same files given
// with --evtx beside an empty system drive: the same findings.
func TestRealEventLogsFolder(t *testing.T) {
	needEvtxSamples(t)
	srv := runScan(t, sharedEvtx, Config{})
	if srv.Server.RootKind != "event-log-folder" {
		t.Errorf("kind %q", srv.Server.RootKind)
	}
	checkRealEvtx(t, srv)
	// The samples come from several machines: the verdict says so.
	if !strings.Contains(strings.Join(srv.Verdict.Caveats, "\n"), "come from 4 computers") {
		t.Errorf("no caveat about the mixed computers: %q", srv.Verdict.Caveats)
	}

	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "Windows/System32"), 0o755)
	loose := runScan(t, dir, Config{EventLogs: []string{sharedEvtx}})
	checkRealEvtx(t, loose)
}

// TestDamagedEventLog: a log cut short and one with a damaged chunk are
// read as far as they go, the damage named with the file; a file that is
// no event log is an error, not a silent pass.
func TestDamagedEventLog(t *testing.T) {
	needEvtxSamples(t)
	data, err := os.ReadFile(sharedEvtx + "security_smb_password_guessing_3MB.evtx")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logs := filepath.Join(dir, "Windows/System32/winevt/Logs")
	os.MkdirAll(logs, 0o755)
	os.WriteFile(filepath.Join(logs, "Security.evtx"), data[:4096+5*65536+1000], 0o644)
	bad := append([]byte(nil), data...)
	for i := 4096 + 2*65536 + 600; i < 4096+2*65536+4000; i++ {
		bad[i] ^= 0x5a
	}
	os.WriteFile(filepath.Join(logs, "System.evtx"), bad, 0o644)
	os.WriteFile(filepath.Join(logs, "Application.evtx"), []byte("ElfFile\x00 but nothing else"), 0o644)
	srv := runScan(t, dir, Config{})
	errs := map[string]int{}
	for _, e := range srv.Errors {
		errs[filepath.Base(e.Path)]++
	}
	for _, name := range []string{"Security.evtx", "System.evtx", "Application.evtx"} {
		if errs[name] == 0 {
			t.Errorf("no error listed for the damaged %s: %v", name, srv.Errors)
		}
	}
	var sec *result.Coverage
	for i, c := range srv.Coverage {
		if c.Family == string(detect.EventLog) && c.Folder == "Security" {
			sec = &srv.Coverage[i]
		}
	}
	if sec == nil || sec.Oldest.IsZero() {
		t.Errorf("the readable records of the cut Security log were not read: %+v", srv.Coverage)
	}
}

// TestEventLogsNotExaminedAreNotClean: event logs that could not be read
// (chunks lost from a copy, a file that is no event log given with --evtx)
// are errors, their checks do not count as run, and a clean server's
// verdict says it could not judge rather than "no evidence".
func TestEventLogsNotExaminedAreNotClean(t *testing.T) {
	opt := testserver.DemoOptions()
	opt.Attacks = false
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, opt); err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(dir, "Windows/System32/winevt/Logs/Application.evtx")
	data, err := os.ReadFile(app)
	if err != nil {
		t.Fatal(err)
	}
	for i := 4096; i < len(data); i++ {
		data[i] = 0 // a sparse copy: the header survived, the chunks did not
	}
	os.WriteFile(app, data, 0o644)
	srv := runScan(t, dir, Config{})
	if srv.Verdict.Level == result.VerdictClean {
		t.Errorf("verdict %s with an unreadable Application log", srv.Verdict.Headline)
	}
	for _, c := range srv.Verdict.ChecksRun {
		if c.ID == "cve-2021-26857-eventlog" {
			t.Error("the CVE-2021-26857 check counts as run on an Application log whose records were all lost")
		}
	}

	notLog := filepath.Join(t.TempDir(), "Application.evtx")
	os.WriteFile(notLog, []byte("not an event log"), 0o644)
	clean := t.TempDir()
	if _, err := testserver.Generate(clean, opt); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(clean, "Windows/System32/winevt"))
	srv = runScan(t, clean, Config{EventLogs: []string{notLog}})
	if srv.Verdict.Level == result.VerdictClean || len(srv.Errors) == 0 {
		t.Errorf("--evtx of a file that is no event log: verdict %s, errors %v", srv.Verdict.Headline, srv.Errors)
	}
}

// TestForwardedEventsFile: a file holding several channels (forwarded
// events, an export) hands each record to the checks of its own channel,
// and counts each channel as read.
func TestForwardedEventsFile(t *testing.T) {
	at := time.Date(2021, 3, 3, 7, 20, 11, 0, time.UTC)
	mixed := filepath.Join(t.TempDir(), "ForwardedEvents.evtx")
	err := evtxwrite.WriteFile(mixed, []evtxwrite.Event{
		evtxwrite.ServiceInstalled(at, "EX01", "Veeam", `"C:\Program Files\Veeam\VeeamAgent.exe"`),
		evtxwrite.ProcessCreation(at.Add(time.Second), "EX01", `C:\Windows\System32\inetsrv\w3wp.exe`, `C:\Windows\System32\cmd.exe`,
			`cmd /c cd /d "C:\inetpub\wwwroot\aspnet_client\"&whoami&echo [S]&cd&echo [E]`),
		evtxwrite.UMInvalidCast(at.Add(2*time.Second), "EX01"),
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "Windows/System32"), 0o755)
	srv := runScan(t, dir, Config{EventLogs: []string{mixed}})
	got := eventFindings(srv)
	for _, want := range []string{"evtx-chopper-command", "evtx-webserver-shell", "evtx-um-deserialization"} {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, want+" ") }) {
			t.Errorf("%s not found in a mixed file: %v", want, got)
		}
	}
	for _, c := range srv.Verdict.ChecksNotRun {
		if c.ID == "cve-2021-26857-eventlog" || c.ID == "evtx-process-creation" {
			t.Errorf("%s listed as not run, though the file held its channel", c.ID)
		}
	}
}

// The caveat on logs of several machines counts them all, though it names
// only the first few.
func TestEventComputersCountsAll(t *testing.T) {
	var fs []finding.Finding
	for i := range 12 {
		fs = append(fs, finding.Finding{Severity: finding.High, Line: 1, Evidence: finding.Evidence{
			{Name: "computer", Value: fmt.Sprintf("HOST%02d", i)}, {Name: "event_id", Value: "4688"}}})
	}
	names, n := eventComputers(fs)
	if n != 12 || len(names) != maxComputersNamed+1 || names[maxComputersNamed] != "..." {
		t.Errorf("12 computers: %d counted, named %q", n, names)
	}
}
