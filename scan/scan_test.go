package scan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/detect/scope"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/testserver"
)

func runScan(t *testing.T, dir string, cfg Config) *result.Server {
	t.Helper()
	cfg.Roots = []string{dir}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(rep.Servers) != 1 {
		t.Fatalf("%d servers found in %s, want 1", len(rep.Servers), dir)
	}
	return rep.Servers[0]
}

func key(rule, path string, line int, sev finding.Severity) string {
	return fmt.Sprintf("%s %s:%d %s", rule, path, line, sev)
}

// TestScanFindsPlantedAttack checks the scan against the generator's
// manifest in both directions: every planted finding is reported with its
// file, line and severity, and nothing of low severity or above is reported
// that was not planted (the benign look-alikes stay silent).
func TestScanFindsPlantedAttack(t *testing.T) {
	dir := t.TempDir()
	man, err := testserver.Generate(dir, testserver.DemoOptions())
	if err != nil {
		t.Fatal(err)
	}
	res := runScan(t, dir, Config{})
	got := map[string]bool{}
	for _, f := range res.Findings {
		got[key(f.Rule, f.Path, f.Line, f.Severity)] = true
	}
	want := map[string]string{}
	for _, e := range man.Expected {
		k := key(e.Rule, e.Path, e.Line, e.Severity)
		want[k] = e.Why
		if !got[k] {
			t.Errorf("missed: %s (%s)", k, e.Why)
		}
	}
	for _, f := range res.Findings {
		k := key(f.Rule, f.Path, f.Line, f.Severity)
		if f.Severity >= finding.Low && want[k] == "" {
			t.Errorf("unexpected finding: %s %v", k, f.Evidence)
		}
	}
	if len(res.Errors) > 0 {
		t.Errorf("errors on a well-formed server: %+v", res.Errors)
	}
	if res.Verdict.Level != result.VerdictCompromised {
		t.Errorf("verdict = %s, want %s", res.Verdict.Level, result.VerdictCompromised)
	}
	if res.Verdict.FirstCompromise == nil || res.Verdict.FirstCompromise.Format("2006-01-02T15:04") != "2021-03-03T06:49" {
		t.Errorf("first compromise = %v, want 2021-03-03 06:49", res.Verdict.FirstCompromise)
	}
	if res.Server.ExchangeSource == "" || !strings.Contains(res.Server.ExchangeSource, "hive") {
		t.Errorf("Exchange should be found through the registry hive, got %q", res.Server.ExchangeSource)
	}
	if len(res.Coverage) != len(testserver.AllProtocols)+4+5 {
		t.Errorf("coverage rows = %d, want one per HttpProxy folder plus ECP, OAB, the two IIS sites and five event logs", len(res.Coverage))
	}
}

// TestScanCleanServer scans a server with only benign traffic and files.
func TestScanCleanServer(t *testing.T) {
	dir := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Attacks = false
	man, err := testserver.Generate(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	res := runScan(t, dir, Config{})
	for _, f := range res.Findings {
		if f.Severity >= finding.Medium || (f.Severity == finding.Low && !f.Context) {
			t.Errorf("false alarm on a clean server: %s %s:%d %v", f.Rule, f.Path, f.Line, f.Evidence)
		}
	}
	if res.Verdict.Level != result.VerdictClean {
		t.Errorf("verdict = %q (%s), want %q", res.Verdict.Level, res.Verdict.Headline, result.VerdictClean)
	}
	if res.Stats.LogFiles != man.LogFiles || res.Stats.LogBytes != man.LogBytes {
		t.Errorf("read %d files / %d bytes, generated %d / %d", res.Stats.LogFiles, res.Stats.LogBytes, man.LogFiles, man.LogBytes)
	}
}

// TestExchangeDiscovery covers the ways Exchange is found in a root.
func TestExchangeDiscovery(t *testing.T) {
	tests := []struct {
		name        string
		installDir  string
		hive        bool
		exchangeDir string
		wantDir     string
		wantSource  string
	}{
		{"non-default folder from the registry hive", "Exchange Server/V15", true, "", "Exchange Server/V15", "hive"},
		{"non-default folder by its layout", "Apps/MSX/V15", false, "", "Apps/MSX/V15", "layout"},
		{"default folder without a hive", testserver.DefaultInstallDir, false, "", testserver.DefaultInstallDir, "default"},
		{"--exchange-dir with Windows spelling", "Apps/MSX/V15", false, `D:\apps\msx\v15`, "Apps/MSX/V15", "--exchange-dir"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opt := testserver.DemoOptions()
			opt.InstallDir, opt.Hive = tc.installDir, tc.hive
			if _, err := testserver.Generate(dir, opt); err != nil {
				t.Fatal(err)
			}
			res := runScan(t, dir, Config{ExchangeDir: tc.exchangeDir})
			if res.Server.ExchangeDir != tc.wantDir || !strings.Contains(res.Server.ExchangeSource, tc.wantSource) {
				t.Fatalf("found %q by %q, want %q by %q", res.Server.ExchangeDir, res.Server.ExchangeSource, tc.wantDir, tc.wantSource)
			}
			if res.Verdict.Level != result.VerdictCompromised {
				t.Errorf("verdict %s", res.Verdict.Level)
			}
		})
	}
}

// TestCaseInsensitiveNames renames every folder and file of a generated
// server to upper case, as some copy tools do, and expects the same
// findings.
func TestCaseInsensitiveNames(t *testing.T) {
	dir := t.TempDir()
	man, err := testserver.Generate(dir, testserver.DemoOptions())
	if err != nil {
		t.Fatal(err)
	}
	upper := t.TempDir()
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		target := filepath.Join(upper, strings.ToUpper(rel))
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return err
		}
		return os.Chtimes(target, info.ModTime(), info.ModTime())
	})
	if err != nil {
		t.Fatal(err)
	}
	res := runScan(t, upper, Config{})
	got := map[string]bool{}
	for _, f := range res.Findings {
		got[key(f.Rule, f.Path, f.Line, f.Severity)] = true
	}
	for _, e := range man.Expected {
		if k := key(e.Rule, strings.ToUpper(e.Path), e.Line, e.Severity); !got[k] {
			t.Errorf("missed in the upper-case copy: %s", k)
		}
	}
}

// TestScanNeverWritesInRoot compares the whole tree before and after.
func TestScanNeverWritesInRoot(t *testing.T) {
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	runScan(t, dir, Config{})
	after := snapshot(t, dir)
	if len(before) != len(after) {
		t.Fatalf("file count changed: %d -> %d", len(before), len(after))
	}
	for p, s := range before {
		if after[p] != s {
			t.Errorf("%s changed: %s -> %s", p, s, after[p])
		}
	}
}

func snapshot(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		out[p] = fmt.Sprintf("%d %s %v", info.Size(), info.ModTime().UTC(), info.Mode())
		return nil
	})
	return out
}

// TestNotAServer scans folders that are not Exchange servers.
func TestNotAServer(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "readme.txt"), []byte("hello"), 0o644)
	res := runScan(t, dir, Config{})
	if res.Verdict.Level != result.VerdictInconclusive || res.ExitStatus() != result.ExitInconclusive {
		t.Errorf("verdict %s, exit %d: a folder with nothing of a server must be inconclusive", res.Verdict.Level, res.ExitStatus())
	}
	if !strings.HasPrefix(res.Verdict.Headline, "INCONCLUSIVE") {
		t.Errorf("headline %q", res.Verdict.Headline)
	}
	var missing []string
	for _, f := range res.Findings {
		if f.Rule == scope.RuleLogMissing.ID {
			missing = append(missing, f.Evidence.Get("family"))
		}
	}
	sort.Strings(missing)
	if strings.Join(missing, ",") != "ECP Server,EventLog,HttpProxy,IIS,OABGeneratorLog" {
		t.Errorf("missing-family findings = %v", missing)
	}
	if _, err := Run(context.Background(), Config{Roots: []string{filepath.Join(dir, "readme.txt")}}); err == nil {
		t.Error("a file as root should be an error")
	}
	if _, err := Run(context.Background(), Config{Roots: []string{filepath.Join(dir, "nope")}}); err == nil {
		t.Error("a missing root should be an error")
	}
}

// TestCaveatsOfARecentCopy: logs of a copy taken years later cannot show the
// 2021 attacks, and the verdict must say so rather than sound all-clear.
func TestCaveatsOfARecentCopy(t *testing.T) {
	dir := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Attacks = false
	opt.Start = time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)
	if _, err := testserver.Generate(dir, opt); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, filepath.FromSlash(testserver.DefaultInstallDir+"/Logging/OABGeneratorLog")))
	os.RemoveAll(filepath.Join(dir, "Windows/System32/winevt"))
	res := runScan(t, dir, Config{})
	if res.Verdict.Level != result.VerdictClean {
		t.Fatalf("verdict %s", res.Verdict.Level)
	}
	all := strings.Join(res.Verdict.Caveats, "\n")
	for _, want := range []string{"cannot show those attacks", "CVE-2021-26858", "no OABGeneratorLog logs were found", "CVE-2021-26857"} {
		if !strings.Contains(all, want) {
			t.Errorf("caveats %q lack %q", all, want)
		}
	}
}

// TestCoveragePerFolder: when IIS's log folder moved half-way, each site
// has a coverage row for each folder, with that folder's own span, and the
// rows do not depend on which file a worker read first (they were merged
// by site under the first folder read, which a Windows build under Wine
// reported differently from the Linux one).
func TestCoveragePerFolder(t *testing.T) {
	dir := t.TempDir()
	opt := testserver.DemoOptions()
	opt.IISLogDir = "C:/Logs/IIS"
	if _, err := testserver.Generate(dir, opt); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 4} {
		res := runScan(t, dir, Config{Workers: workers})
		var rows []result.Coverage
		for _, c := range res.Coverage {
			if c.Folder == "W3SVC1" {
				rows = append(rows, c)
			}
		}
		if len(rows) != 2 || rows[0].Dir != "Logs/IIS/W3SVC1" || rows[1].Dir != "inetpub/logs/LogFiles/W3SVC1" {
			t.Fatalf("workers %d: W3SVC1 coverage rows %+v; want Logs/IIS/W3SVC1 and inetpub/logs/LogFiles/W3SVC1, in that order", workers, rows)
		}
		moved, before := rows[0], rows[1]
		if before.Files == 0 || moved.Files == 0 || !before.Newest.Before(moved.Oldest) {
			t.Errorf("workers %d: the folder IIS logged to before (%s, %d files, %v to %v) should end before the current one begins (%s, %d files, %v to %v)",
				workers, before.Dir, before.Files, before.Oldest, before.Newest, moved.Dir, moved.Files, moved.Oldest, moved.Newest)
		}
	}
}
