//go:build linux

package collect

import (
	"context"
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/exhunt/exhunt/scan"
	"github.com/exhunt/exhunt/testserver"
)

type snapshot struct {
	size         int64
	mode         fs.FileMode
	mtime, atime time.Time
	sum          [32]byte
}

// snap records every entry under dir; contents are hashed only after the
// times are read, so the hashing's own reads do not show.
func snap(t *testing.T, dir string) map[string]snapshot {
	t.Helper()
	out := map[string]snapshot{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		s := snapshot{size: info.Size(), mode: info.Mode(), mtime: info.ModTime()}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			s.atime = time.Unix(st.Atim.Sec, st.Atim.Nsec)
		}
		out[p] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func hashAll(t *testing.T, m map[string]snapshot) {
	t.Helper()
	for p, s := range m {
		if s.mode.IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			s.sum = sha256.Sum256(data)
			m[p] = s
		}
	}
}

// TestCollectLeavesEvidenceUnchanged collects an attacked server and proves
// that nothing in it changed: no entry added or removed, contents, sizes,
// modes, modification and access times the same. Access times are set an
// hour before the modification times first, so a read that moved them
// would show even on a relatime mount.
func TestCollectLeavesEvidenceUnchanged(t *testing.T) {
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	before := snap(t, dir)
	hashAll(t, before) // before the access times are set: hashing reads
	sums := map[string][32]byte{}
	for p, s := range before {
		sums[p] = s.sum
	}
	for p, s := range before {
		if s.mode.IsRegular() {
			if err := os.Chtimes(p, s.mtime.Add(-time.Hour), s.mtime); err != nil {
				t.Fatal(err)
			}
		}
	}
	before = snap(t, dir)
	for p, s := range before {
		s.sum = sums[p]
		before[p] = s
	}
	out := filepath.Join(t.TempDir(), "t.zip")
	res, err := Run(context.Background(), Options{Scan: scan.Config{Roots: []string{dir}}, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	after := snap(t, dir)
	hashAll(t, after) // the times are in hand: reading now changes nothing compared
	if len(after) != len(before) {
		t.Errorf("%d entries before the collection, %d after", len(before), len(after))
	}
	moved := 0
	for p, b := range before {
		a, ok := after[p]
		switch {
		case !ok:
			t.Errorf("%s: removed", p)
		case a.size != b.size || a.mode != b.mode || a.sum != b.sum:
			t.Errorf("%s: content, size or mode changed", p)
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
	if res.Record.Counts.Files < 100 {
		t.Errorf("only %d files collected: the test proves little", res.Record.Counts.Files)
	}
	t.Logf("%d entries unchanged after collecting %d files", len(before), res.Record.Counts.Files)
}
