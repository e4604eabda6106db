//go:build linux

package winetest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/testserver"
)

// TestLiveScan runs exhunt.exe on the "running server" (scan without
// --root: the live registry through the Windows API, the system drive and
// the other fixed drives) and, on the same files, exhunt.exe on C:\ as a
// copy and the Linux binary on the prefix's folders, and requires the same
// report from all three, and the generator's expected findings in it.
func TestLiveScan(t *testing.T) {
	m := wine(t)
	layouts := []struct {
		name string
		edit func(*testserver.Options)
	}{
		{"exchange-on-C", nil},
		// Exchange and the IIS logs on D:, found through the registry's
		// MsiInstallPath and applicationHost.config.
		{"exchange-on-D", func(o *testserver.Options) { o.ExchangeVolume, o.IISLogDir = "D", "D:/IISLogs" }},
	}
	for _, layout := range layouts {
		t.Run(layout.name, func(t *testing.T) {
			opt := testserver.DemoOptions()
			if layout.edit != nil {
				layout.edit(&opt)
			}
			s := m.install(t, opt)
			// A dump in folders whose path is longer than MAX_PATH
			// (260), named in Cyrillic and Japanese as well.
			long := path.Join("windows/temp", strings.Repeat("staging-", 15)+"Ж", strings.Repeat("дамп-", 20)+"日本", "lsass.dmp")
			s.addFile(t, long, []byte("MDMP"), time.Date(2021, 3, 3, 7, 31, 12, 0, time.UTC))
			before := s.snapshot(t)

			// The live report goes to the share, the one place a scan of
			// the running server may write it (TestLiveOperatorErrors).
			reportFile := filepath.Join(m.share, "live-"+layout.name+".json")
			live := m.wine(t, "scan", "--format", "json", "--out", m.winPath(reportFile))
			if len(live.stdout) > 0 {
				t.Errorf("live scan with --out printed %d bytes", len(live.stdout))
			}
			var err error
			if live.stdout, err = os.ReadFile(reportFile); err != nil {
				t.Fatalf("live scan: exit %d, no report (%v); stderr: %s", live.code, err, live.stderr)
			}
			os.Remove(reportFile)
			// The running server has its empty D: too: the copy is
			// given with it.
			linux, copied := m.both(t, "scan", "--root", m.driveC, "--volume", "D="+m.driveD, "--format", "json")

			if changes := s.snapshot(t).changes(before); len(changes) > 0 {
				t.Errorf("the scans changed the server's drives:\n  %s", strings.Join(changes, "\n  "))
			}
			want := m.scanReport(t, "Linux scan of the copy", linux)
			liveDoc := m.scanReport(t, "live scan under Wine", live)
			for what, got := range map[string]output{"live scan under Wine": live, `scan of C:\ under Wine`: copied} {
				if got.code != linux.code {
					t.Errorf("%s: exit %d, the Linux scan %d", what, got.code, linux.code)
				}
				if diffs := compareReports(want, m.scanReport(t, what, got)); len(diffs) > 0 {
					t.Errorf("%s differs from the Linux scan of the same files:\n  %s", what, strings.Join(diffs, "\n  "))
				}
			}
			if linux.code != 1 {
				t.Errorf("Linux scan: exit %d, want 1 (findings of medium or above)", linux.code)
			}
			checkLiveFacts(t, liveDoc, opt)
			checkExpected(t, liveDoc, append(s.man.Expected, testserver.Expect{Rule: "postexploit-lsass-dump", Severity: finding.Critical, Path: long,
				Why: fmt.Sprintf("LSASS dump at a path of %d characters", len(`C:\`+long))}))
		})
	}
}

// scanReport decodes the JSON report of a scan and takes out what differs
// between runs by nature (see normalize).
func (m *machine) scanReport(t *testing.T, what string, out output) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(out.stdout, &doc); err != nil {
		t.Fatalf("%s: exit %d, no JSON report (%v)\nstdout: %.2000s\nstderr: %s", what, out.code, err, out.stdout, out.stderr)
	}
	if len(out.stderr) > 0 {
		t.Errorf("%s wrote to standard error, which is no terminal: %s", what, out.stderr)
	}
	m.normalize(doc)
	return doc
}

// Where the values come from is said differently by a live scan (the
// registry through the Windows API) and a scan of a copy (the hive files);
// the values are the same.
var (
	liveRegistry = regexp.MustCompile(`live registry HKLM\\(SOFTWARE|SYSTEM)\b`)
	hiveFile     = regexp.MustCompile(`registry hive \S*/(SOFTWARE|SYSTEM)\b`)
)

// normalize removes from a scan report what legitimately differs between
// two scans of the same files:
//   - the scan's id and times, and the durations;
//   - where the registry's values were read: "live registry HKLM\SOFTWARE"
//     and "registry hive Windows/System32/config/SOFTWARE" both become
//     "registry SOFTWARE";
//   - the folders of the root and volumes, host folders on Linux and
//     drives under Wine: the Windows ones are mapped to the host's.
func (m *machine) normalize(doc map[string]any) {
	delete(doc, "scan")
	if stats, ok := doc["stats"].(map[string]any); ok {
		for _, k := range []string{"started", "ended", "duration_seconds"} {
			delete(stats, k)
		}
	}
	if r, ok := doc["root"].(string); ok {
		if h := m.hostPath(r); h != "" {
			doc["root"] = h
		}
	}
	if srv, ok := doc["server"].(map[string]any); ok {
		vols, _ := srv["volumes"].([]any)
		for _, v := range vols {
			if vol, ok := v.(map[string]any); ok {
				if d, ok := vol["dir"].(string); ok && m.hostPath(d) != "" {
					vol["dir"] = m.hostPath(d)
				}
			}
		}
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			x = liveRegistry.ReplaceAllString(x, "registry $1")
			return hiveFile.ReplaceAllString(x, "registry $1")
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		}
		return v
	}
	walk(doc)
}

// compareReports lists how got differs from want: findings missing or
// extra by rule, severity, path, line and time, then every other field
// that differs, of the findings and of the rest of the report.
func compareReports(want, got map[string]any) []string {
	var diffs []string
	wf, gf := findingsByKey(want), findingsByKey(got)
	for _, k := range sortedKeys(wf) {
		if _, ok := gf[k]; !ok {
			diffs = append(diffs, "missing finding "+k)
		}
	}
	for _, k := range sortedKeys(gf) {
		if _, ok := wf[k]; !ok {
			diffs = append(diffs, "extra finding "+k)
		}
	}
	for _, k := range sortedKeys(wf) {
		if g, ok := gf[k]; ok {
			diffJSON("finding "+k, wf[k], g, &diffs)
		}
	}
	rest := func(doc map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range doc {
			if k != "findings" {
				out[k] = v
			}
		}
		return out
	}
	diffJSON("report", rest(want), rest(got), &diffs)
	if len(diffs) > 40 {
		diffs = append(diffs[:40], fmt.Sprintf("... and %d more", len(diffs)-40))
	}
	return diffs
}

// findingsByKey indexes a report's findings by what the comparison is
// about: rule, severity, path, line and time. A key seen twice gets a
// count, so that duplicates are compared too.
func findingsByKey(doc map[string]any) map[string]any {
	out := map[string]any{}
	list, _ := doc["findings"].([]any)
	for _, f := range list {
		fm, _ := f.(map[string]any)
		key := fmt.Sprintf("%v %v %v:%v %v", fm["rule"], fm["severity"], fm["path"], fm["line"], fm["time"])
		k := key
		for n := 2; out[k] != nil; n++ {
			k = fmt.Sprintf("%s #%d", key, n)
		}
		out[k] = f
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// diffJSON appends the paths at which two decoded JSON values differ.
func diffJSON(at string, want, got any, diffs *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			break
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			diffJSON(at+"."+k, w[k], g[k], diffs)
		}
		return
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			break
		}
		for i := range w {
			diffJSON(fmt.Sprintf("%s[%d]", at, i), w[i], g[i], diffs)
		}
		return
	}
	if !reflect.DeepEqual(want, got) {
		*diffs = append(*diffs, fmt.Sprintf("%s: Linux %s, Windows %s", at, short(want), short(got)))
	}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// checkLiveFacts checks what only the live scan shows: the server known
// from the live registry, and its drives: C: and D:, not the network drive.
func checkLiveFacts(t *testing.T, doc map[string]any, opt testserver.Options) {
	t.Helper()
	srv, _ := doc["server"].(map[string]any)
	host := opt.HostName
	if host == "" {
		host = "EX01"
	}
	if srv["host_name"] != host {
		t.Errorf("live scan: host name %v, want %s from the live registry", srv["host_name"], host)
	}
	var letters []string
	vols, _ := srv["volumes"].([]any)
	for _, v := range vols {
		vol, _ := v.(map[string]any)
		letters = append(letters, fmt.Sprint(vol["letter"]))
	}
	if want := []string{"C", "D"}; !slices.Equal(letters, want) {
		t.Errorf("live scan: volumes %v, want %v (the fixed drives; X: is a network drive)", letters, want)
	}
}

// checkExpected checks that the report has every finding the generator
// planted. Paths are compared without case: the generator's Windows\Temp
// is Wine's windows\temp on disk, and reports give names as on disk.
func checkExpected(t *testing.T, doc map[string]any, expected []testserver.Expect) {
	t.Helper()
	got := map[string]bool{}
	list, _ := doc["findings"].([]any)
	for _, f := range list {
		fm, _ := f.(map[string]any)
		got[strings.ToLower(fmt.Sprintf("%v %v %v", fm["rule"], fm["severity"], fm["path"]))] = true
	}
	missing := 0
	for _, e := range expected {
		if !got[strings.ToLower(fmt.Sprintf("%s %s %s", e.Rule, e.Severity, e.Path))] {
			if missing++; missing <= 20 {
				t.Errorf("live scan: missing %s %s %s:%d (%s)", e.Rule, e.Severity, e.Path, e.Line, e.Why)
			}
		}
	}
	if missing > 20 {
		t.Errorf("live scan: %d expected findings missing in all", missing)
	}
}

// eventLogs lists the event log files of the Wine prefix's system drive;
// none fails the test.
func (m *machine) eventLogs(t *testing.T) []string {
	t.Helper()
	logDir := filepath.Join(m.driveC, "windows", "system32", "winevt", "Logs")
	entries, err := os.ReadDir(logDir)
	if err != nil {
		t.Fatal(err)
	}
	var logs []string
	for _, e := range entries {
		logs = append(logs, filepath.Join(logDir, e.Name()))
	}
	if len(logs) == 0 {
		t.Fatalf("no event logs in %s", logDir)
	}
	return logs
}

// TestLiveScanLockedEventLogs holds the event logs open without sharing,
// as a running server's event log service holds them, and runs the live
// scan: each log is an error that names it, no event log check counts as
// run, and everything else is found as before.
func TestLiveScanLockedEventLogs(t *testing.T) {
	m := wine(t)
	s := m.install(t, testserver.DemoOptions())
	logs := m.eventLogs(t)
	m.holdOpen(t, logs...)

	out := m.wine(t, "scan", "--format", "json")
	if out.code != 1 {
		t.Errorf("exit %d, want 1", out.code)
	}
	doc := m.scanReport(t, "live scan with the event logs held open", out)
	errs := map[string]string{}
	list, _ := doc["errors"].([]any)
	for _, e := range list {
		em, _ := e.(map[string]any)
		errs[strings.ToLower(fmt.Sprint(em["path"]))] = fmt.Sprint(em["error"])
	}
	for _, l := range logs {
		rel, _ := filepath.Rel(m.driveC, l)
		msg, ok := errs[strings.ToLower(rel)]
		if !ok {
			t.Errorf("%s, held open, is not among the errors %v", rel, errs)
		} else if !strings.Contains(msg, "used by another process") && !strings.Contains(msg, "Sharing violation") {
			// Windows words ERROR_SHARING_VIOLATION "The process cannot
			// access the file because it is being used by another
			// process", Wine "Sharing violation".
			t.Errorf("%s: error %q; want a sharing violation", rel, msg)
		}
	}
	findings, _ := doc["findings"].([]any)
	missingWhy := ""
	for _, f := range findings {
		fm, _ := f.(map[string]any)
		rule := fmt.Sprint(fm["rule"])
		if strings.HasPrefix(rule, "evtx-") {
			t.Errorf("finding %s %s from a log no one could open", rule, fm["path"])
		}
		if ev, _ := fm["evidence"].(map[string]any); rule == "log-coverage-missing" && ev["family"] == "EventLog" {
			missingWhy = fmt.Sprint(ev["why"])
		}
	}
	if !strings.Contains(missingWhy, "could not be opened") || !strings.Contains(missingWhy, "wevtutil epl") {
		t.Errorf("the missing event logs are explained as %q; want that they could not be opened, and how to export them", missingWhy)
	}
	var rest []testserver.Expect
	for _, e := range s.man.Expected {
		if !strings.HasPrefix(e.Rule, "evtx-") {
			rest = append(rest, e)
		}
	}
	checkExpected(t, doc, rest)
}

// holdOpen starts holdopen.exe under Wine on the host paths until the test
// ends, and waits until it holds them.
func (m *machine) holdOpen(t *testing.T, paths ...string) {
	t.Helper()
	exe := filepath.Join(m.share, "holdopen.exe")
	if _, err := os.Stat(exe); err != nil {
		cmd := exec.Command("go", "build", "-buildvcs=false", "-o", exe, "./testdata/holdopen")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=windows", "GOARCH=amd64")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building holdopen.exe: %v\n%s", err, out)
		}
	}
	stdout := filepath.Join(t.TempDir(), "holdopen.out")
	f, err := os.Create(stdout)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	args := []string{exe}
	for _, p := range paths {
		args = append(args, m.winPath(p))
	}
	cmd := exec.Command(m.loader, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = m.share, m.env, f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	deadline := time.After(time.Minute)
	for {
		select {
		case <-exited:
			data, _ := os.ReadFile(stdout)
			t.Fatalf("holdopen.exe ended (%v) without holding the files: %s", waitErr, data)
		case <-deadline:
			t.Fatal("holdopen.exe did not hold the files within a minute")
		case <-time.After(100 * time.Millisecond):
		}
		if data, _ := os.ReadFile(stdout); strings.Contains(string(data), "holding") {
			return
		}
	}
}

// TestLiveOperatorErrors: a scan of the running server reads all its fixed
// drives, so --out and --cpuprofile are refused on any of them, in any
// case and with either slash, and --volume, which maps the drives of a
// copy, is refused too; all before the scan starts.
func TestLiveOperatorErrors(t *testing.T) {
	m := wine(t)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--out", `C:\users\report.json`}, []string{"inside the scanned root", "reads its fixed drives"}},
		{[]string{"--out", `c:/USERS/report.json`}, []string{"inside the scanned root", "reads its fixed drives"}},
		{[]string{"--out", `D:\report.json`}, []string{"inside the scanned root", "reads its fixed drives"}},
		{[]string{"--cpuprofile", `C:\cpu.prof`}, []string{"inside the scanned root", "reads its fixed drives"}},
		{[]string{"--volume", `E=X:\`}, []string{"--volume maps the drives of a copy"}},
	} {
		out := m.wine(t, append([]string{"scan", "--format", "json"}, c.args...)...)
		if out.code != 2 {
			t.Errorf("scan %s: exit %d, want 2; stderr %q", strings.Join(c.args, " "), out.code, out.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(string(out.stderr), w) {
				t.Errorf("scan %s: stderr %q lacks %q", strings.Join(c.args, " "), out.stderr, w)
			}
		}
		if c.args[0] != "--volume" {
			if _, err := os.Stat(m.hostPath(c.args[1])); err == nil {
				t.Errorf("scan %s wrote on the server", strings.Join(c.args, " "))
			}
		}
	}
}

// TestDriveTops: a bare drive given to --root (`X:`) is the drive's top,
// not Windows' current folder of that drive, and a scan of a drive's top
// is named after the drive until the server's name is known.
func TestDriveTops(t *testing.T) {
	m := wine(t)
	sub := filepath.Join(m.share, "drive-tops")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(sub)
	out, err := m.run(commandTimeout, sub, m.loader, m.windows, "scan", "--root", "X:", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	if out.code != 3 {
		t.Errorf("a scan of the share: exit %d, want 3 (nothing of a server)", out.code)
	}
	var doc struct {
		Root   string
		Server struct{ Name string }
	}
	if err := json.Unmarshal(out.stdout, &doc); err != nil {
		t.Fatalf("no JSON report (%v): %s", err, out.stderr)
	}
	if doc.Root != `X:\` || doc.Server.Name != "X:" {
		t.Errorf("--root X: from X:\\drive-tops scanned %q, named %q; want X:\\ named X:", doc.Root, doc.Server.Name)
	}
}
