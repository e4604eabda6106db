package psscript

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/scan"
	"github.com/exhunt/exhunt/testserver"
	"github.com/exhunt/exhunt/triage"
)

// datedLogs gives each log of a generated server the time a server would
// have last written it: the end of the hour or day its name gives (the
// generator writes them all now).
func datedLogs(t *testing.T, dir string) {
	t.Helper()
	hourly := regexp.MustCompile(`(\d{10})`)
	daily := regexp.MustCompile(`(\d{8})`)
	iis := regexp.MustCompile(`(?i)^u_ex(\d{6})\.log$`)
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(p), ".log") {
			return err
		}
		name := d.Name()
		var at time.Time
		if m := iis.FindStringSubmatch(name); m != nil {
			at, _ = time.Parse("060102", m[1])
			at = at.Add(24 * time.Hour)
		} else if m := hourly.FindStringSubmatch(name); m != nil {
			at, _ = time.Parse("2006010215", m[1])
			at = at.Add(time.Hour)
		} else if m := daily.FindStringSubmatch(name); m != nil {
			at, _ = time.Parse("20060102", m[1])
			at = at.Add(24 * time.Hour)
		}
		if at.IsZero() {
			return nil
		}
		n++
		return os.Chtimes(p, at, at)
	})
	if err != nil || n == 0 {
		t.Fatalf("%d logs dated: %v", n, err)
	}
}

// -Since leaves out the logs last written before it, lists them as
// skipped, and takes everything else whatever its age.
func TestSinceLeavesOutOlderLogs(t *testing.T) {
	base := t.TempDir()
	_, drives := attacked(t, base, testserver.DemoOptions())
	datedLogs(t, drives['C'])
	since := time.Date(2021, 3, 3, 12, 0, 0, 0, time.UTC)
	run, err := simulate(newSimServer(drives, "EX01"), simOptions{outDir: `E:\evidence`, since: &since})
	if err != nil {
		t.Fatal(err)
	}
	entries, rec := checkCollection(t, run)
	if rec.Since == nil || !rec.Since.Equal(since) {
		t.Errorf("record since %v", rec.Since)
	}
	skipped, oldKept := 0, 0
	for _, e := range entries {
		isLog := strings.HasSuffix(strings.ToLower(e.Path), ".log")
		switch {
		case e.Status == triage.Skipped:
			skipped++
			if !isLog || !e.Modified.Before(since) || !strings.Contains(e.Note, "-Since") {
				t.Errorf("%s skipped: %s (modified %v)", e.Path, e.Note, e.Modified)
			}
		case e.Status == triage.Collected && isLog && e.Modified.Before(since) && strings.Contains(e.Path, "/Logging/"):
			t.Errorf("%s last written %v, before -Since, but collected", e.Path, e.Modified)
		case e.Status == triage.Collected && !isLog && !e.Modified.IsZero() && e.Modified.Before(since):
			oldKept++
		}
	}
	if skipped == 0 || oldKept == 0 || len(rec.Skipped) != 1 || rec.Skipped[0].Reason != SkipSince || rec.Skipped[0].Files != skipped {
		t.Fatalf("%d skipped, %d older files kept, record %+v", skipped, oldKept, rec.Skipped)
	}
	// The collection still scans: the later logs, the files, the events.
	rep, err := scan.Run(context.Background(), scan.Config{Roots: []string{run.runHost}})
	if err != nil || len(rep.Servers) != 1 || len(rep.Servers[0].Findings) == 0 {
		t.Fatalf("scan of the collection: %v", err)
	}
	t.Logf("%d logs left out by -Since, %d older non-log files kept", skipped, oldKept)
}

// The size limits leave out files, list them, and keep to the total.
func TestSizeLimits(t *testing.T) {
	base := t.TempDir()
	opt := testserver.DemoOptions()
	_, drives := attacked(t, base, opt)
	big := filepath.Join(drives['C'], "Windows", "Temp", "big.bin")
	if err := os.WriteFile(big, bytes.Repeat([]byte{'x'}, 3<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	run, err := simulate(newSimServer(drives, "EX01"), simOptions{outDir: `E:\a`, maxFileMB: 2})
	if err != nil {
		t.Fatal(err)
	}
	entries, rec := checkCollection(t, run)
	found := false
	for _, e := range entries {
		if strings.HasSuffix(e.Path, "Windows/Temp/big.bin") {
			found = e.Status == triage.Skipped && e.Size == 3<<20 && strings.Contains(e.Note, "-MaxFileSizeMB 2")
		}
	}
	if !found || rec.Limits.MaxFileSize != 2<<20 {
		t.Errorf("big.bin not skipped by -MaxFileSizeMB 2 (limits %+v)", rec.Limits)
	}

	run, err = simulate(newSimServer(drives, "EX01"), simOptions{outDir: `E:\b`, maxTotalMB: 5})
	if err != nil {
		t.Fatal(err)
	}
	entries, rec = checkCollection(t, run)
	if rec.Counts.Bytes > 5<<20 || rec.Counts.Skipped == 0 || rec.Limits.MaxTotalSize != 5<<20 {
		t.Fatalf("-MaxTotalSizeMB 5: counts %+v", rec.Counts)
	}
	// The most important come first: the hives, event logs, ExSetup.exe
	// and the hot spots are in.
	for _, want := range []string{"C/Windows/System32/config/SYSTEM", "C/Windows/System32/winevt/Logs/Security.evtx", "/Bin/ExSetup.exe", "/inetpub/wwwroot/aspnet_client/discover.aspx"} {
		ok := false
		for _, e := range entries {
			ok = ok || strings.HasSuffix(e.Path, want) && e.Status == triage.Collected
		}
		if !ok {
			t.Errorf("%s was not taken under a total limit", want)
		}
	}
}

// -OutDir is refused inside what is collected, as deep as it is collected.
func TestOutDirRefusedInsideWhatIsCollected(t *testing.T) {
	base := t.TempDir()
	_, drives := attacked(t, base, testserver.DemoOptions())
	plantEverywhere(t, drives['C'])
	for _, tc := range []struct {
		out     string
		refused bool
	}{
		{`C:\exhunt-collect`, false},
		{`E:\evidence`, false},
		{`C:\`, true},
		{`C:\ProgramData\out`, true},
		{`C:\Windows\Temp\x`, true},
		{`C:\Windows\Somewhere`, true},
		{`C:\inetpub\wwwroot\out`, true},
		{`C:\inetpub\logs\LogFiles\x`, true},
		{`C:\Program Files\Microsoft\Exchange Server\V15\x`, true},
		{`C:\Users\Administrator\Desktop\collection`, true},
		{`C:\Users\Public\a\b\c\d`, false}, // files there would be 5 deep, beyond what is taken
		{`c:\programdata`, true},
	} {
		run, err := simulate(newSimServer(drives, "EX01"), simOptions{outDir: tc.out, planOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if (run.refused != "") != tc.refused {
			t.Errorf("-OutDir %s: refused %q, want refused %v", tc.out, run.refused, tc.refused)
		}
	}
}

// The model's ports of the script's writers write what triage and the
// standard readers read.
func TestWritersOfTheScriptRoundTrip(t *testing.T) {
	for _, name := range []string{"C/a b/c.log", `C/we\ird`, "C/new\nline", "C/ü"} {
		if got, want := formatHashLine("ab", name), triage.HashLine("ab", name); got != want {
			t.Errorf("hash line of %q: %q, triage writes %q", name, got, want)
		}
	}
	for _, s := range []string{"", `C:\Windows\Temp`, "quote \" and \\ and \t\n\r\x00\x1f", "ünïcødé 日本 \U0001F600", "</script>\u2028"} {
		var back string
		if err := json.Unmarshal([]byte(jsonString(s)), &back); err != nil || back != s {
			t.Errorf("JSON of %q: %s reads back as %q (%v)", s, jsonString(s), back, err)
		}
		if err := checkASCII(jsonString(s)); err != nil {
			t.Errorf("JSON of %q is not ASCII: %v", s, err)
		}
		rec, err := csv.NewReader(strings.NewReader(csvField(s) + "," + csvField("x") + "\r\n")).Read()
		if err != nil || rec[0] != s || rec[1] != "x" {
			t.Errorf("CSV of %q reads back as %q (%v)", s, rec, err)
		}
	}
}

// The script lying in a place it collects (a responder's desktop) is no
// finding of the scan: none of its text looks like an attacker's tool.
func TestTheScriptItselfIsNoFinding(t *testing.T) {
	base := t.TempDir()
	_, drives := attacked(t, base, testserver.Options{Seed: 3, Hive: true})
	s, err := Script(Options{Version: "1.0"})
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"Users/Administrator/Desktop/collect.ps1", "collect.ps1", "inetpub/wwwroot/collect.ps1", "Windows/Temp/collect.ps1"} {
		p := filepath.Join(drives['C'], filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := scanServer(t, scan.Config{Roots: []string{drives['C']}})
	for _, f := range srv.Findings {
		if strings.HasSuffix(f.Path, "collect.ps1") {
			t.Errorf("the script is a finding: %s %s %s", f.Rule, f.Severity, f.Path)
		}
	}
}
