package collect

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// These run where the Windows build runs: on Windows, and under Wine from
// the Wine test (internal/winetest), which says what Wine lacks.

func TestSaveHive(t *testing.T) {
	dir := tempDir(t)
	f, err := saveHive("SOFTWARE", dir)
	if err != nil {
		if strings.Contains(err.Error(), "not held") {
			t.Skipf("not elevated: %v", err)
		}
		t.Fatal(err)
	}
	defer os.Remove(f)
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 4096 {
		t.Fatalf("saved hive of %d bytes", len(data))
	}
	if string(data[:4]) != "regf" {
		t.Skipf("the registry saved the hive in another format (%q...): Wine writes its own text format", data[:16])
	}
}

func TestExportEventLog(t *testing.T) {
	dir := tempDir(t)
	f, err := exportEventLog("Application", filepath.Join(os.Getenv("SystemRoot"), `System32\winevt\Logs\Application.evtx`), dir)
	// Wine has no EvtExportLog, and an account without the right may
	// not export; any other failure is a defect of the call.
	if errors.Is(err, syscall.Errno(120)) || errors.Is(err, syscall.ERROR_ACCESS_DENIED) { // ERROR_CALL_NOT_IMPLEMENTED
		t.Skipf("the event log service could not export Application: %v", err)
	}
	if err != nil {
		t.Fatalf("exporting Application: %v", err)
	}
	defer os.Remove(f)
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 4096 || string(data[:8]) != "ElfFile\x00" {
		t.Fatalf("the export is not an event log: %d bytes, %q", len(data), data[:min(8, len(data))])
	}
}

func TestOpenBackup(t *testing.T) {
	p := filepath.Join(tempDir(t), "f.txt")
	if err := os.WriteFile(p, []byte("evidence"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := openBackup(p)
	if err != nil {
		if strings.Contains(err.Error(), "not held") {
			t.Skipf("not elevated: %v", err)
		}
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 16)
	n, _ := f.Read(buf)
	if string(buf[:n]) != "evidence" {
		t.Fatalf("read %q", buf[:n])
	}
	if _, err := f.Stat(); err != nil {
		t.Fatal(err)
	}
}

// tempDir is t.TempDir whose removal may fail: under Wine, Go's RemoveAll
// uses a call Wine lacks, which would fail the test for the cleaning.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "exhunt-collect-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
