//go:build linux

// Package evidencetest proves, in tests, that a command left a folder of
// evidence as it found it: no entry added or removed, and every file's
// content, size, mode, modification time and access time the same.
//
// Access times are the hard part: a read without O_NOATIME moves them only
// when they are not newer than the modification time (relatime), so
// Prepare first sets each one an hour before its file's modification time;
// a careless read then shows.
package evidencetest

import (
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

type entry struct {
	size         int64
	mode         fs.FileMode
	mtime, atime time.Time
	sum          [32]byte
}

// Snapshot is the state of a folder.
type Snapshot struct {
	dir     string
	entries map[string]entry
}

// Prepare hashes every file under dir, sets each access time an hour
// before the modification time, and returns the state to compare with.
func Prepare(t testing.TB, dir string) Snapshot {
	t.Helper()
	sums := map[string][32]byte{}
	walk(t, dir, func(p string, info fs.FileInfo) {
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			sums[p] = sha256.Sum256(data)
			if err := os.Chtimes(p, info.ModTime().Add(-time.Hour), info.ModTime()); err != nil {
				t.Fatal(err)
			}
		}
	})
	s := look(t, dir)
	for p, e := range s.entries {
		e.sum = sums[p]
		s.entries[p] = e
	}
	return s
}

// look records every entry's metadata, reading no file.
func look(t testing.TB, dir string) Snapshot {
	t.Helper()
	s := Snapshot{dir: dir, entries: map[string]entry{}}
	walk(t, dir, func(p string, info fs.FileInfo) {
		e := entry{size: info.Size(), mode: info.Mode(), mtime: info.ModTime()}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			e.atime = time.Unix(st.Atim.Sec, st.Atim.Nsec)
		}
		s.entries[p] = e
	})
	return s
}

func walk(t testing.TB, dir string, fn func(string, fs.FileInfo)) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		fn(p, info)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Unchanged fails the test for every difference between the folder now
// and the snapshot, and returns how many files it compared. Times are
// looked at before any file is read again.
func (s Snapshot) Unchanged(t testing.TB) int {
	t.Helper()
	now := look(t, s.dir)
	if len(now.entries) != len(s.entries) {
		t.Errorf("%d entries before, %d after", len(s.entries), len(now.entries))
	}
	moved, files := 0, 0
	for p, b := range s.entries {
		a, ok := now.entries[p]
		switch {
		case !ok:
			t.Errorf("%s: removed", p)
			continue
		case a.size != b.size || a.mode != b.mode:
			t.Errorf("%s: size or mode changed", p)
		case !a.mtime.Equal(b.mtime):
			t.Errorf("%s: modification time %v, was %v", p, a.mtime, b.mtime)
		case b.mode.IsRegular() && !a.atime.Equal(b.atime):
			if moved++; moved <= 5 {
				t.Errorf("%s: access time %v, was %v", p, a.atime, b.atime)
			}
		}
		if b.mode.IsRegular() {
			files++
			data, err := os.ReadFile(p)
			if err != nil {
				t.Errorf("%s: %v", p, err)
			} else if sha256.Sum256(data) != b.sum {
				t.Errorf("%s: content changed", p)
			}
		}
	}
	if moved > 5 {
		t.Errorf("... %d files' access times moved in all", moved)
	}
	return files
}
