package root

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		".":              true,
		"a":              true,
		"a/b/c.aspx":     true,
		"\xff\xfe":       true,
		"\xff\xfe/x.txt": true,
		"a b/ü":          true,
		"":               false,
		"/a":             false,
		"a/":             false,
		"a//b":           false,
		"./a":            false,
		"a/.":            false,
		"..":             false,
		"a/../b":         false,
		"a\x00b":         false,
	} {
		if got := validName(name); got != want {
			t.Errorf("validName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestInvalidUTF8FolderIsScanned: a folder whose name is not UTF-8 (which
// fs.ValidPath rejects) must not hide the files below it.
func TestInvalidUTF8FolderIsScanned(t *testing.T) {
	dir := t.TempDir()
	bad := "\xff\xfe"
	if err := os.Mkdir(filepath.Join(dir, bad), 0o755); err != nil {
		t.Skipf("this file system does not take a non-UTF-8 name: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, bad, "shell.aspx"), []byte("<%@ Page %>"), 0o644); err != nil {
		t.Fatal(err)
	}
	fsys, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	want := bad + "/shell.aspx"
	for _, walk := range []struct {
		name string
		fn   func(fs.WalkDirFunc) error
	}{
		{"FS.WalkDir", func(fn fs.WalkDirFunc) error { return fsys.WalkDir(".", fn) }},
		{"fs.WalkDir", func(fn fs.WalkDirFunc) error { return fs.WalkDir(fsys, ".", fn) }},
	} {
		found := false
		err := walk.fn(func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Errorf("%s: %s: %v", walk.name, p, err)
				return nil
			}
			if p == want {
				found = true
				if _, err := d.Info(); err != nil {
					t.Errorf("%s: Info: %v", walk.name, err)
				}
			}
			return nil
		})
		if err != nil || !found {
			t.Errorf("%s: %q found = %v, err = %v", walk.name, want, found, err)
		}
	}
	data, err := fs.ReadFile(fsys, want)
	if err != nil || string(data) != "<%@ Page %>" {
		t.Errorf("ReadFile = %q, %v", data, err)
	}
	if got, err := NewResolver(fsys).Resolve(want); err != nil || got != want {
		t.Errorf("Resolve = %q, %v", got, err)
	}
}

type walkStep struct {
	path string
	dir  bool
	typ  fs.FileMode
	err  bool
}

func record(steps *[]walkStep, decide func(p string, d fs.DirEntry) error) fs.WalkDirFunc {
	return func(p string, d fs.DirEntry, err error) error {
		s := walkStep{path: p, err: err != nil}
		if d != nil {
			s.dir, s.typ = d.IsDir(), d.Type()
		}
		*steps = append(*steps, s)
		if err != nil {
			return nil
		}
		return decide(p, d)
	}
}

// TestWalkDirLikeFSWalkDir checks FS.WalkDir keeps fs.WalkDir's contract:
// the same calls in the same order, with SkipDir on a folder and on a file,
// SkipAll, symlinks as entries, a file or a missing path as the start.
func TestWalkDirLikeFSWalkDir(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a/b/c", "a/skip/x", "a/z", "b/B", "c/d", "e"} {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"a/1.txt", "a/b/2.txt", "a/skip/x/3.txt", "a/z/4.txt", "b/0stop", "b/1after", "c/d/5.txt", "e/f.txt", "top.txt"} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if runtime.GOOS != "windows" {
		os.Symlink("a", filepath.Join(dir, "link"))
		os.Symlink("../c", filepath.Join(dir, "a", "up"))
	}
	fsys, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()

	deciders := map[string]func(p string, d fs.DirEntry) error{
		"all": func(string, fs.DirEntry) error { return nil },
		"skip": func(p string, d fs.DirEntry) error {
			switch p {
			case "a/skip":
				return fs.SkipDir
			case "b/0stop":
				return fs.SkipDir // on a file: skip the rest of its folder
			}
			return nil
		},
		"skipall": func(p string, d fs.DirEntry) error {
			if p == "c/d" {
				return fs.SkipAll
			}
			return nil
		},
		"skiproot": func(string, fs.DirEntry) error { return fs.SkipDir },
	}
	for dname, decide := range deciders {
		for _, start := range []string{".", "a", "a/b", "top.txt", "missing", "link"} {
			var got, want []walkStep
			gotErr := fsys.WalkDir(start, record(&got, decide))
			wantErr := fs.WalkDir(fsys, start, record(&want, decide))
			if !slices.Equal(got, want) || (gotErr == nil) != (wantErr == nil) {
				t.Errorf("%s from %q:\n got  %v, %v\n want %v, %v", dname, start, got, gotErr, want, wantErr)
			}
		}
	}
}

// makeDeep builds levels nested folders named "d" below dir, with a file
// "f.txt" in the folders whose depth is in files (0 = dir itself). It opens
// each folder relative to its parent: a path of 10,000 levels is far longer
// than the host's PATH_MAX.
func makeDeep(t testing.TB, dir string, levels int, files []int) {
	top, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	cur := top
	for depth := 0; ; depth++ {
		if slices.Contains(files, depth) {
			if err := cur.WriteFile("f.txt", []byte(fmt.Sprint(depth)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if depth == levels {
			break
		}
		if err := cur.Mkdir("d", 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := cur.OpenRoot("d")
		if err != nil {
			t.Fatal(err)
		}
		if cur != top {
			cur.Close()
		}
		cur = next
	}
	if cur != top {
		cur.Close()
	}
	top.Close()
	// os.RemoveAll holds a handle per level; remove the chain in pieces.
	t.Cleanup(func() { removeDeep(t, dir, levels) })
}

// removeDeep removes a chain made by makeDeep from the bottom up, a
// segment of 64 levels at a time, each through a handle on its top.
func removeDeep(t testing.TB, dir string, levels int) {
	const seg = 64
	top, err := os.OpenRoot(dir)
	if err != nil {
		t.Error(err)
		return
	}
	tops := []*os.Root{top}
	for depth := seg; depth < levels; depth += seg {
		r, err := tops[len(tops)-1].OpenRoot(deepPath(seg))
		if err != nil {
			t.Error(err)
			break
		}
		tops = append(tops, r)
	}
	for i := len(tops) - 1; i >= 0; i-- {
		if err := tops[i].RemoveAll("d"); err != nil {
			t.Error(err)
		}
		tops[i].Close()
	}
}

func deepPath(depth int) string {
	if depth == 0 {
		return "."
	}
	return strings.Repeat("d/", depth-1) + "d"
}

// depths tells paths of the deep tree by their number of elements.
func depths(paths []string) []int {
	var ds []int
	for _, p := range paths {
		ds = append(ds, strings.Count(p, "/")+1)
	}
	return ds
}

// openFDs counts the process's open descriptors where /proc tells.
func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// TestWalkDeepNesting walks 10,000 nested folders: what lies within
// MaxWalkDepth levels is found, the folder below is reported as an error
// and not entered, and open handles stay bounded by the depth.
func TestWalkDeepNesting(t *testing.T) {
	const levels = 10000
	dir := t.TempDir()
	began := time.Now()
	makeDeep(t, dir, levels, []int{0, 5, 100, MaxWalkDepth, MaxWalkDepth + 1, 5000, levels})
	t.Logf("built %d levels in %v", levels, time.Since(began))
	fsys, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()

	began = time.Now()
	baseFDs := openFDs()
	maxFDs := 0
	var files, errs []string
	dirs := 0
	err = fsys.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if n := openFDs(); n > maxFDs {
			maxFDs = n
		}
		if err != nil {
			if !errors.Is(err, ErrTooDeep) || !strings.Contains(err.Error(), p) {
				t.Errorf("%s: unexpected error %v", p, err)
			}
			errs = append(errs, p)
			return nil
		}
		if d.IsDir() {
			dirs++
		} else {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("walked in %v", time.Since(began))
	// Lexical order: "d" comes before "f.txt", so deeper files come first.
	wantFiles := []string{deepPath(MaxWalkDepth) + "/f.txt", deepPath(100) + "/f.txt", deepPath(5) + "/f.txt", "f.txt"}
	if !slices.Equal(files, wantFiles) {
		t.Errorf("files at depths %v, want %v", depths(files), depths(wantFiles))
	}
	if len(errs) != 1 || errs[0] != deepPath(MaxWalkDepth+1) {
		t.Errorf("errors at %d paths, want one at depth %d", len(errs), MaxWalkDepth+1)
	}
	if dirs != MaxWalkDepth+2 { // ".", levels 1..MaxWalkDepth, and the first not entered
		t.Errorf("%d folders seen, want %d", dirs, MaxWalkDepth+2)
	}
	if baseFDs >= 0 && maxFDs > baseFDs+MaxWalkDepth+4 {
		t.Errorf("%d descriptors open during the walk, %d before", maxFDs, baseFDs)
	}
	if n := openFDs(); n > baseFDs {
		t.Errorf("%d descriptors open after the walk, %d before", n, baseFDs)
	}

	// Walking from inside the tree counts depth from the start.
	start := deepPath(5000)
	var found []string
	err = fsys.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			found = append(found, p)
		}
		return nil
	})
	if err != nil || !slices.Equal(found, []string{start + "/f.txt"}) {
		t.Errorf("walk from depth 5000 found %d files, %v", len(found), err)
	}
}

// BenchmarkWalkDeep walks a 10,000-level chain of folders (of which
// MaxWalkDepth levels are entered).
func BenchmarkWalkDeep(b *testing.B) {
	dir := b.TempDir()
	makeDeep(b, dir, 10000, []int{10000})
	fsys, err := OpenDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer fsys.Close()
	for b.Loop() {
		n := 0
		fsys.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
			n++
			return nil
		})
		if n != MaxWalkDepth+3 {
			b.Fatalf("%d calls", n)
		}
	}
}

// TestWalkLargeFolder: a folder of more entries than are listed at once
// is walked whole, each entry once, sub-folders included.
func TestWalkLargeFolder(t *testing.T) {
	dir := t.TempDir()
	const n = largeFolder + 2*largeFolderChunk + 7
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d.tmp", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "sub", "shell.aspx"), nil, 0o644)
	fsys, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	seen := map[string]int{}
	err = fsys.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		seen[p]++
		if !d.IsDir() {
			if _, err := d.Info(); err != nil {
				t.Errorf("Info %s: %v", p, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n+3 || seen["sub/shell.aspx"] != 1 || seen["f00000.tmp"] != 1 || seen[fmt.Sprintf("f%05d.tmp", n-1)] != 1 {
		t.Errorf("walked %d entries, want %d", len(seen), n+3)
	}
	for p, c := range seen {
		if c != 1 {
			t.Errorf("%s walked %d times", p, c)
		}
	}
}
