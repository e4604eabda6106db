//go:build linux

package scan

import (
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/exhunt/exhunt/testserver"
)

// fileTimes is what a look at a file without reading it shows.
type fileTimes struct {
	size         int64
	mode         fs.FileMode
	mtime, atime time.Time
}

// stats lists every entry under dir with its times, reading no file.
func stats(t *testing.T, dir string) map[string]fileTimes {
	t.Helper()
	out := map[string]fileTimes{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		ft := fileTimes{size: info.Size(), mode: info.Mode(), mtime: info.ModTime()}
		if sys, ok := info.Sys().(*syscall.Stat_t); ok {
			ft.atime = time.Unix(sys.Atim.Sec, sys.Atim.Nsec)
		}
		out[p] = ft
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sums hashes every regular file under dir.
func sums(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		out[p] = sha256.Sum256(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestScanLeavesEvidenceUnchanged scans an attacked server (its event logs
// given again with --evtx) and proves that no entry was added or removed
// and no file changed: contents (SHA-256), sizes, modes, modification
// times, and access times. Each access time is set an hour before the
// modification time first, so that a read without O_NOATIME would move it
// even on a relatime mount.
func TestScanLeavesEvidenceUnchanged(t *testing.T) {
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	hashes := sums(t, dir)
	for p := range hashes {
		info, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, info.ModTime().Add(-time.Hour), info.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
	before := stats(t, dir)
	runScan(t, dir, Config{EventLogs: []string{filepath.Join(dir, "Windows/System32/winevt/Logs")}})
	after := stats(t, dir)

	if len(after) != len(before) {
		t.Errorf("%d entries before the scan, %d after", len(before), len(after))
	}
	moved := 0
	for p, b := range before {
		a, ok := after[p]
		switch {
		case !ok:
			t.Errorf("%s: removed by the scan", p)
		case a.size != b.size || a.mode != b.mode:
			t.Errorf("%s: size or mode changed", p)
		case !a.mtime.Equal(b.mtime):
			t.Errorf("%s: modification time %v, was %v", p, a.mtime, b.mtime)
		case b.mode.IsRegular() && !a.atime.Equal(b.atime):
			if moved++; moved <= 5 {
				t.Errorf("%s: access time %v, was %v", p, a.atime, b.atime)
			}
		}
	}
	if moved > 5 {
		t.Errorf("... %d files' access times moved in all", moved)
	}
	for p, h := range sums(t, dir) {
		if hashes[p] != h {
			t.Errorf("%s: content changed", p)
		}
	}
	if len(hashes) < 100 {
		t.Errorf("only %d files checked", len(hashes))
	}
	t.Logf("%d entries, %d files unchanged", len(before), len(hashes))
}
