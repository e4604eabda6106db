//go:build linux

package winetest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/triagetest"
	"github.com/exhunt/exhunt/testserver"
	"github.com/exhunt/exhunt/triage"
)

// TestLiveCollect collects the running server under Wine (no --root: its
// registry through the API, its fixed drives C: and D:) onto the share,
// and scans the archive with the Linux binary: the findings must be those
// of the Linux scan of the same drives, and nothing on the server may
// change. The archive may not go onto the server's drives.
func TestLiveCollect(t *testing.T) {
	m := wine(t)
	opt := testserver.DemoOptions()
	opt.ExchangeVolume, opt.IISLogDir = "D", "D:/IISLogs"
	s := m.install(t, opt)
	before := s.snapshot(t)

	archive := filepath.Join(m.share, "live-collect.zip")
	os.Remove(archive)
	os.Remove(archive + ".sha256")
	out := m.wine(t, "collect", "--out", m.winPath(archive), "--quiet")
	if out.code != 0 {
		t.Fatalf("live collect: exit %d\nstdout: %s\nstderr: %s", out.code, out.stdout, out.stderr)
	}
	if !bytes.Contains(out.stdout, []byte("(complete)")) || !bytes.Contains(out.stdout, []byte("SHA-256")) {
		t.Errorf("live collect summary:\n%s", out.stdout)
	}
	if changes := s.snapshot(t).changes(before); len(changes) > 0 {
		t.Errorf("the collection changed the server's drives:\n  %s", strings.Join(changes, "\n  "))
	}

	want := m.scanReport(t, "Linux scan of the drives", m.exhunt(t, "scan", "--root", m.driveC, "--volume", "D="+m.driveD, "--format", "json"))
	got := m.exhunt(t, "scan", "--root", archive, "--format", "json")
	gotDoc := m.scanReport(t, "Linux scan of the live collection", got)
	a, b := findingKeys(want), findingKeys(gotDoc)
	if len(a) == 0 {
		t.Fatal("the Linux scan found nothing: the comparison proves nothing")
	}
	if d := keyDiff(a, b); d != "" {
		t.Errorf("the live collection scans differently from the drives:\n%s", d)
	}
	if c, _ := gotDoc["collection"].(map[string]any); c == nil || c["complete"] != true || c["source"] != "live" {
		t.Errorf("the archive's collection record: %v", gotDoc["collection"])
	}
	// What the manifest says of the files read on the server.
	methods := map[string]int{}
	for _, e := range triagetest.Manifest(t, triagetest.ReadArchive(t, archive)) {
		methods[string(e.Method)+" "+string(e.Status)]++
		if e.Status == triage.Collected && !strings.HasPrefix(e.Original, `C:\`) && !strings.HasPrefix(e.Original, `D:\`) {
			t.Errorf("original path %q is not a path of the server", e.Original)
		}
	}
	t.Logf("manifest: %v", methods)
	if methods["read collected"] < 100 {
		t.Errorf("only %d files read and collected", methods["read collected"])
	}

	for _, dst := range []string{`C:\collect.zip`, `D:\collect.zip`} {
		out := m.wine(t, "collect", "--out", dst, "--quiet")
		if out.code != 2 || !strings.Contains(string(out.stderr), "fixed drives") {
			t.Errorf("collect --out %s: exit %d, %s", dst, out.code, out.stderr)
		}
		if _, err := os.Stat(m.hostPath(dst)); err == nil {
			t.Errorf("collect --out %s wrote on the server", dst)
		}
	}
}

// TestLiveReadsUnderWine runs the Windows build of the collect package's
// tests of the reads a running server needs (the registry's hive save,
// the event log service's export, opening with backup semantics) under
// Wine, and says which Wine cannot stand in for.
func TestLiveReadsUnderWine(t *testing.T) {
	m := wine(t)
	exe := filepath.Join(m.share, "collect.test.exe")
	build := exec.Command("go", "test", "-c", "-buildvcs=false", "-o", exe, "github.com/exhunt/exhunt/collect")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=windows", "GOARCH=amd64")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c for Windows: %v\n%s", err, b)
	}
	defer os.Remove(exe)
	out, err := m.run(commandTimeout, m.share, m.loader, exe, "-test.run", "^(TestSaveHive|TestExportEventLog|TestOpenBackup)$", "-test.v")
	if err != nil {
		t.Fatal(err)
	}
	text := string(out.stdout) + string(out.stderr)
	if out.code != 0 {
		t.Fatalf("the live reads failed under Wine (exit %d):\n%s", out.code, text)
	}
	results := regexp.MustCompile(`--- (PASS|SKIP|FAIL): (Test\w+)`).FindAllStringSubmatch(text, -1)
	if len(results) != 3 {
		t.Fatalf("%d results, want 3:\n%s", len(results), text)
	}
	for _, r := range results {
		t.Logf("under Wine: %s %s", r[2], r[1])
	}
	// Backup semantics are Windows' own file API, which Wine has: that
	// one must pass; the other two may be skipped, saying why.
	if !strings.Contains(text, "--- PASS: TestOpenBackup") {
		t.Errorf("opening with backup semantics did not pass under Wine:\n%s", text)
	}
	for _, skip := range regexp.MustCompile(`(?m)^\s+\S+\.go:\d+: (.*)$`).FindAllStringSubmatch(text, -1) {
		t.Logf("  %s", skip[1])
	}
}

func findingKeys(doc map[string]any) []string {
	var out []string
	list, _ := doc["findings"].([]any)
	for _, f := range list {
		fm, _ := f.(map[string]any)
		out = append(out, fmt.Sprintf("%v %v %v:%v %v", fm["rule"], fm["severity"], fm["windows_path"], fm["line"], fm["time"]))
	}
	sort.Strings(out)
	return out
}

func keyDiff(a, b []string) string {
	count := map[string]int{}
	for _, k := range a {
		count[k]++
	}
	for _, k := range b {
		count[k]--
	}
	var lines []string
	for k, n := range count {
		switch {
		case n > 0:
			lines = append(lines, "  only in the drives' scan: "+k)
		case n < 0:
			lines = append(lines, "  only in the archive's scan: "+k)
		}
	}
	sort.Strings(lines)
	if len(lines) > 20 {
		lines = append(lines[:20], fmt.Sprintf("  ... %d more", len(lines)-20))
	}
	return strings.Join(lines, "\n")
}

// TestLiveCollectLockedEventLogs: with the event logs held open without
// sharing, as the event log service holds them, the collection asks the
// service for exports; Wine has no such service, so each is listed as
// failed, with both reasons, and the collection says it is complete but
// with errors (exit 1) rather than hanging or passing them over.
func TestLiveCollectLockedEventLogs(t *testing.T) {
	m := wine(t)
	m.install(t, testserver.DemoOptions())
	logs := m.eventLogs(t)
	m.holdOpen(t, logs...)
	archive := filepath.Join(m.share, "locked-collect.zip")
	os.Remove(archive)
	os.Remove(archive + ".sha256")
	out := m.wine(t, "collect", "--out", m.winPath(archive), "--quiet")
	if out.code != 1 || !strings.Contains(string(out.stdout), "could not be read") {
		t.Fatalf("exit %d, want 1 (complete, with files that could not be read)\n%s%s", out.code, out.stdout, out.stderr)
	}
	failed := 0
	for _, e := range triagetest.Manifest(t, triagetest.ReadArchive(t, archive)) {
		if !strings.EqualFold(filepath.Ext(e.Path), ".evtx") {
			continue
		}
		if e.Status != triage.Failed || e.Method != triage.MethodEventLogExport || !strings.Contains(e.Note, "Sharing violation") {
			t.Errorf("%s: %s by %s: %s", e.Path, e.Status, e.Method, e.Note)
		}
		failed++
	}
	if failed != len(logs) {
		t.Errorf("%d event logs listed as failed, %d held", failed, len(logs))
	}
}
