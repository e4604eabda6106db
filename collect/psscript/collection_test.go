package psscript

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/scan"
	"github.com/exhunt/exhunt/testserver"
	"github.com/exhunt/exhunt/triage"
)

// attacked generates the synthetic attacked server in base/C (and base/D
// when Exchange is on D:), with an empty output drive E.
func attacked(t *testing.T, base string, opt testserver.Options) (*testserver.Manifest, map[byte]string) {
	t.Helper()
	drives := map[byte]string{'C': filepath.Join(base, "C"), 'E': filepath.Join(base, "E")}
	if opt.ExchangeVolume != "" {
		drives['D'] = filepath.Join(base, "D")
		opt.VolumeDir = drives['D']
	}
	for _, d := range drives {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	man, err := testserver.Generate(drives['C'], opt)
	if err != nil {
		t.Fatal(err)
	}
	return man, drives
}

func scanServer(t *testing.T, cfg scan.Config) *result.Server {
	t.Helper()
	rep, err := scan.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Servers) != 1 {
		t.Fatalf("%d servers in %v", len(rep.Servers), cfg.Roots)
	}
	return rep.Servers[0]
}

// findingKey is what must be the same in the scan of the server and of its
// collection: rule, severity, the file relative to its drive, line, time.
func findingKey(f finding.Finding) string {
	at := ""
	if f.Time != nil {
		at = f.Time.UTC().Format(time.RFC3339Nano)
	}
	vol := f.Volume
	if vol == "" {
		vol = "C"
	}
	if f.Rule == "log-coverage" {
		// The scan names a log family's folder by the first of its files
		// read, and reads in parallel: a site whose logs lie in two
		// folders (the logs moved) is named by either, run to run, on the
		// server as on its collection. Its time and folder name are
		// stable.
		return fmt.Sprintf("%s %s %s %s", f.Rule, f.Severity, path.Base(f.Path), at)
	}
	return fmt.Sprintf("%s %s %s:%s:%d %s", f.Rule, f.Severity, vol, f.Path, f.Line, at)
}

func findingKeys(s *result.Server) map[string]bool {
	out := map[string]bool{}
	for _, f := range s.Findings {
		out[findingKey(f)] = true
	}
	return out
}

// sameKeys reports every finding only one of the two scans has.
func sameKeys(t *testing.T, server, collection map[string]bool) {
	t.Helper()
	for _, k := range diffKeys(server, collection) {
		t.Errorf("the server's finding is not in the collection's scan: %s", k)
	}
	for _, k := range diffKeys(collection, server) {
		t.Errorf("the collection's scan finds what the server's does not: %s", k)
	}
}

func diffKeys(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// checkCollection checks a collection as its reader will: the record says
// complete, the manifest reads, every collected file is there with its
// size and hash, the counts add up, and sha256sum -c agrees.
func checkCollection(t *testing.T, run *simRun) (entries []triage.Entry, rec *triage.Record) {
	t.Helper()
	dir := run.runHost
	f, err := os.Open(filepath.Join(dir, triage.RecordName))
	if err != nil {
		t.Fatal(err)
	}
	rec, err = triage.ReadRecord(f)
	f.Close()
	if err != nil {
		t.Fatalf("collection.json: %v", err)
	}
	if !rec.Complete || rec.Interrupted != "" || rec.Format != triage.Format || rec.FormatVersion != triage.FormatVersion {
		t.Errorf("record: complete %v, interrupted %q, format %s %d", rec.Complete, rec.Interrupted, rec.Format, rec.FormatVersion)
	}
	if rec.Tool.Name != ToolName || rec.Source != "live" || rec.Host != run.srv.computer || rec.Started.IsZero() || rec.Ended.Before(rec.Started) {
		t.Errorf("record: %+v", rec)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, triage.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if sum, _, _ := fileSha256(filepath.Join(dir, triage.ManifestName)); rec.ManifestSHA256 != sum {
		t.Errorf("record's manifest_sha256 %s, manifest.csv's %s", rec.ManifestSHA256, sum)
	}
	err = triage.ReadManifest(bytes.NewReader(manifest), func(e triage.Entry) error {
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		t.Fatalf("manifest.csv: %v", err)
	}
	var counts triage.Counts
	skipped := map[string]int{}
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[strings.ToLower(e.Path)] {
			t.Errorf("%s listed twice", e.Path)
		}
		seen[strings.ToLower(e.Path)] = true
		if !strings.HasPrefix(e.Original, e.Path[:1]+`:\`) || len(e.Path) < 3 || e.Path[1] != '/' {
			t.Errorf("%s: original %q", e.Path, e.Original)
		}
		host := filepath.Join(dir, filepath.FromSlash(e.Path))
		switch e.Status {
		case triage.Collected, triage.Partial:
			counts.Files++
			counts.Bytes += e.Size
			sum, n, err := fileSha256(host)
			if err != nil || sum != e.SHA256 || n != e.Size {
				t.Errorf("%s: manifest says %d bytes %s, the collection holds %d bytes %s (%v)", e.Path, e.Size, e.SHA256, n, sum, err)
			}
			if e.Method == "" || e.Modified.IsZero() && e.Method != triage.MethodRegistrySave {
				t.Errorf("%s: method %q, modified %v", e.Path, e.Method, e.Modified)
			}
		case triage.Skipped:
			counts.Skipped++
			counts.SkippedBytes += e.Size
			if _, err := os.Stat(host); err == nil {
				t.Errorf("%s skipped but in the collection", e.Path)
			}
			if e.Note == "" {
				t.Errorf("%s skipped without a note", e.Path)
			}
			for _, r := range SkipReasons {
				if strings.Contains(e.Note, "-"+map[string]string{SkipSince: "Since", SkipFileSize: "MaxFileSizeMB", SkipTotalSize: "MaxTotalSizeMB", SkipDiskSpace: "free space"}[r]) {
					skipped[r]++
				}
			}
		case triage.Failed:
			counts.Failed++
			if e.Note == "" {
				t.Errorf("%s failed without a note", e.Path)
			}
		default:
			t.Errorf("%s: status %q", e.Path, e.Status)
		}
	}
	if counts.Files != rec.Counts.Files || counts.Bytes != rec.Counts.Bytes || counts.Skipped != rec.Counts.Skipped ||
		counts.SkippedBytes != rec.Counts.SkippedBytes || counts.Failed != rec.Counts.Failed {
		t.Errorf("record counts %+v, manifest %+v", rec.Counts, counts)
	}
	for _, s := range rec.Skipped {
		if s.Files != skipped[s.Reason] {
			t.Errorf("record: %d skipped for %s, manifest %d", s.Files, s.Reason, skipped[s.Reason])
		}
	}
	// Only drive folders beside the three files: the scan takes such a
	// folder for one server's drives.
	top, _ := os.ReadDir(dir)
	for _, e := range top {
		if e.IsDir() && (len(e.Name()) != 1 || e.Name()[0] < 'A' || e.Name()[0] > 'Z') {
			t.Errorf("folder %s at the top of the collection", e.Name())
		}
		if !e.IsDir() && e.Name() != triage.ManifestName && e.Name() != triage.HashListName && e.Name() != triage.RecordName {
			t.Errorf("file %s at the top of the collection", e.Name())
		}
	}
	if sha, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sha, "--check", "--strict", "--quiet", triage.HashListName)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c %s: %v\n%s", triage.HashListName, err, out)
		}
		lines := strings.Count(string(mustRead(t, filepath.Join(dir, triage.HashListName))), "\n")
		if lines != counts.Files {
			t.Errorf("%s has %d lines for %d collected files", triage.HashListName, lines, counts.Files)
		}
	} else {
		t.Log("sha256sum is not installed: the hash list was checked by the manifest only")
	}
	return entries, rec
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// plantEverywhere adds to a generated server evidence in every place the
// generator leaves empty (each drop place at its deepest, the top of the
// drive, a user's desktop, ProgramData eight folders down, the 32-bit
// Temporary ASP.NET Files, an archived event log), and the same just
// beyond the depth the scan looks to. It returns what must not be
// collected.
func plantEverywhere(t *testing.T, c string) (beyond []string) {
	t.Helper()
	dump := []byte("MDMP\x93\xa7 synthetic")
	write := func(rel string, data []byte) {
		p := filepath.Join(c, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2021, 3, 3, 8, 30, 0, 0, time.UTC)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	for _, rel := range []string{"lsass.dmp", "root/tools/lsass.dmp", "PerfLogs/a/b/c/lsass.dmp", "Users/Public/Documents/lsass.dmp",
		"Users/Administrator/Desktop/lsass.dmp", "Windows/Temp/a/b/c/lsass.dmp"} {
		write(rel, dump)
	}
	write("ProgramData/a/b/c/d/e/f/g/st.zip", []byte("PK\x03\x04 staged"))
	beyond = []string{"PerfLogs/a/b/c/d/lsass.dmp", "Windows/Temp/a/b/c/d/lsass.dmp", "root/a/b/c/d/lsass.dmp", "ProgramData/a/b/c/d/e/f/g/h/deep.zip", "ProgramData/a/b/c/d/e/f/g/notes.txt"}
	for _, rel := range beyond {
		write(rel, dump)
	}
	// The compiled pages of the 32-bit framework, as the 64-bit one has
	// them; an archived Security log beside the live one.
	compiled, err := filepath.Glob(filepath.Join(c, "Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/*/*/App_Web_errorfs*.dll"))
	if err != nil || len(compiled) != 1 {
		t.Fatalf("the generator's compiled web shell: %v %v", compiled, err)
	}
	write("Windows/Microsoft.NET/Framework/v2.0.50727/Temporary ASP.NET Files/root/1a2b3c4d/5e6f7a8b/"+filepath.Base(compiled[0]), mustRead(t, compiled[0]))
	write("Windows/System32/winevt/Logs/Archive-Security-2021-03-04-00-00-00-000.evtx", mustRead(t, filepath.Join(c, "Windows/System32/winevt/Logs/Security.evtx")))
	return beyond
}

// The collection of an attacked server scans as the server does: the same
// findings, by rule, severity, file, line and time.
func TestCollectionScansLikeTheServer(t *testing.T) {
	base := t.TempDir()
	man, drives := attacked(t, base, testserver.DemoOptions())
	beyond := plantEverywhere(t, drives['C'])
	run, err := simulate(newSimServer(drives, "EX01"), simOptions{outDir: `E:\evidence`})
	if err != nil {
		t.Fatal(err)
	}
	if run.refused != "" {
		t.Fatal(run.refused)
	}
	entries, rec := checkCollection(t, run)
	for _, rel := range beyond {
		if _, err := os.Stat(filepath.Join(run.runHost, "C", filepath.FromSlash(rel))); err == nil {
			t.Errorf("%s is deeper than the scan looks, but was collected", rel)
		}
	}

	source := scanServer(t, scan.Config{Roots: []string{drives['C']}})
	collected := scanServer(t, scan.Config{Roots: []string{run.runHost}})
	want, got := findingKeys(source), findingKeys(collected)
	sameKeys(t, want, got)
	if len(want) < len(man.Expected) {
		t.Fatalf("the server's scan found %d findings, the generator planted %d", len(want), len(man.Expected))
	}
	// The planted files are findings, so the comparison covers their places.
	for _, rel := range []string{"lsass.dmp", "root/tools/lsass.dmp", "PerfLogs/a/b/c/lsass.dmp", "Users/Public/Documents/lsass.dmp",
		"Users/Administrator/Desktop/lsass.dmp", "ProgramData/a/b/c/d/e/f/g/st.zip", "Windows/Microsoft.NET/Framework/v2.0.50727/",
		"Windows/System32/winevt/Logs/Archive-Security-"} {
		found := false
		for k := range want {
			found = found || strings.Contains(k, " C:"+rel)
		}
		if !found {
			t.Errorf("no finding on the planted %s: the comparison does not cover its place", rel)
		}
	}
	if source.Verdict.Level != collected.Verdict.Level || source.Server.Identity.HostName != collected.Server.Identity.HostName {
		t.Errorf("verdict %s / %s, host %q / %q", source.Verdict.Level, collected.Verdict.Level, source.Server.Identity.HostName, collected.Server.Identity.HostName)
	}
	failed := 0
	for _, e := range entries {
		if e.Status == triage.Failed {
			failed++
			if !strings.Contains(e.Path, "/config/SAM") && !strings.Contains(e.Path, "/config/SECURITY") {
				t.Errorf("%s failed: %s", e.Path, e.Note)
			}
		}
	}
	if failed != 2 {
		t.Errorf("%d failed, want the two hives the generator does not write", failed)
	}
	t.Logf("%d findings in both scans; the collection holds %d files, %d bytes (%d failed); notes: %q", len(want), rec.Counts.Files, rec.Counts.Bytes, rec.Counts.Failed, rec.Notes)
}

// Exchange and the IIS logs on D: give a collection with a D folder,
// scanned as the server with --volume D=.
func TestCollectionOfAServerWithExchangeOnD(t *testing.T) {
	base := t.TempDir()
	opt := testserver.DemoOptions()
	opt.InstallDir, opt.ExchangeVolume, opt.IISLogDir = "Exchange/V15", "D", "D:/IISLogs"
	_, drives := attacked(t, base, opt)
	run, err := simulate(newSimServer(drives, "EX03"), simOptions{outDir: `E:\evidence`})
	if err != nil {
		t.Fatal(err)
	}
	checkCollection(t, run)
	if _, err := os.Stat(filepath.Join(run.runHost, "D", "Exchange", "V15", "Bin", "ExSetup.exe")); err != nil {
		t.Fatal(err)
	}
	source := scanServer(t, scan.Config{Roots: []string{drives['C']}, Volumes: map[byte]string{'D': drives['D']}})
	collected := scanServer(t, scan.Config{Roots: []string{run.runHost}})
	want, got := findingKeys(source), findingKeys(collected)
	sameKeys(t, want, got)
	onD := 0
	for k := range want {
		if strings.Contains(k, " D:") {
			onD++
		}
	}
	if onD == 0 {
		t.Fatal("no finding on D: the test shows nothing")
	}
	t.Logf("%d findings in both scans, %d on D:", len(want), onD)
}
