// Package root is the scan root: a directory laid out like a Windows system
// drive (a live C:\, a mounted disk image or a copied folder), opened
// read-only, with Windows' case-insensitive name resolution, and the facts of
// where Exchange and IIS live inside it.
//
// Everything else in exhunt reads evidence through this package and never
// calls os.Open on an absolute path, so that the evidence stays untouched and
// a symlink inside an image cannot lead the scan outside the root.
package root

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// FS is a read-only view of a directory tree. Opening is confined to the
// directory (symlinks that escape it fail) and asks the kernel not to update
// access times.
type FS struct {
	root *os.Root
	dir  string
}

// OpenDir opens dir as a scan root.
func OpenDir(dir string) (*FS, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: errors.New("not a directory")}
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &FS{root: r, dir: dir}, nil
}

// Dir is the host path the FS was opened at.
func (f *FS) Dir() string { return f.dir }

// Close releases the root directory handle.
func (f *FS) Close() error { return f.root.Close() }

func (f *FS) osName(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return filepath.FromSlash(name), nil
}

// Open opens name read-only.
func (f *FS) Open(name string) (fs.File, error) {
	n, err := f.osName("open", name)
	if err != nil {
		return nil, err
	}
	if openFlagNoAtime != 0 {
		file, err := f.root.OpenFile(n, os.O_RDONLY|openFlagNoAtime, 0)
		if err == nil {
			return file, nil
		}
		if !errors.Is(err, syscall.EPERM) {
			return nil, err
		}
	}
	return f.root.OpenFile(n, os.O_RDONLY, 0)
}

// ReadDir lists a directory sorted by name.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	dir, ok := file.(fs.ReadDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	entries, err := dir.ReadDir(-1)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	return entries, err
}

// Stat follows symlinks inside the root.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	n, err := f.osName("stat", name)
	if err != nil {
		return nil, err
	}
	return f.root.Stat(n)
}

// Lstat does not follow symlinks.
func (f *FS) Lstat(name string) (fs.FileInfo, error) {
	n, err := f.osName("lstat", name)
	if err != nil {
		return nil, err
	}
	return f.root.Lstat(n)
}

// Resolver maps Windows-style, case-insensitive paths to the names actually
// on disk. Copies and images made on Linux keep whatever case the copy tool
// wrote, while Exchange and IIS were written against a case-insensitive file
// system, so every lookup of a well-known path must ignore case.
type Resolver struct {
	fsys   fs.FS
	drives *Drives
	mu     sync.Mutex
	dirs   map[string][]fs.DirEntry
}

// NewResolver caches directory listings of fsys; it is safe for concurrent use.
func NewResolver(fsys fs.FS) *Resolver {
	return &Resolver{fsys: fsys, dirs: make(map[string][]fs.DirEntry)}
}

// FS is the file system the resolver reads.
func (r *Resolver) FS() fs.FS { return r.fsys }

func (r *Resolver) list(dir string) ([]fs.DirEntry, error) {
	r.mu.Lock()
	entries, ok := r.dirs[dir]
	r.mu.Unlock()
	if ok {
		return entries, nil
	}
	entries, err := fs.ReadDir(r.fsys, dir)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.dirs[dir] = entries
	r.mu.Unlock()
	return entries, nil
}

// Resolve turns a relative path written with either slash, in any case, into
// the path on disk. It returns fs.ErrNotExist when a component is missing.
// When a copy holds names that differ only in case (two copies merged on a
// case-sensitive file system), the exact spelling is tried first, then the
// others in byte order, and the first that leads to the whole path wins.
func (r *Resolver) Resolve(rel string) (string, error) {
	cur := "."
	if r.drives != nil {
		if l, rest, ok := windowsVolume(rel); ok && l != r.drives.SystemLetter && r.drives.Mounted(l) {
			cur, rel = VolumePath(l, ""), rest
		}
	}
	parts := SplitPath(rel)
	budget := maxResolveTries
	p, err := r.resolveFrom(cur, parts, &budget)
	if err != nil {
		return "", err
	}
	return p, nil
}

// maxResolveTries bounds the backtracking over case variants, which a
// hostile copy could make exponential.
const maxResolveTries = 256

func (r *Resolver) resolveFrom(cur string, parts []string, budget *int) (string, error) {
	if len(parts) == 0 {
		return cur, nil
	}
	entries, err := r.list(cur)
	if err != nil {
		return "", err
	}
	part := parts[0]
	var candidates []string
	for _, e := range entries {
		if e.Name() == part {
			candidates = append([]string{part}, candidates...)
		} else if strings.EqualFold(e.Name(), part) {
			candidates = append(candidates, e.Name())
		}
	}
	var firstErr error = &fs.PathError{Op: "resolve", Path: path.Join(cur, part), Err: fs.ErrNotExist}
	for i, c := range candidates {
		if *budget <= 0 {
			break
		}
		*budget--
		p, err := r.resolveFrom(path.Join(cur, c), parts[1:], budget)
		if err == nil {
			return p, nil
		}
		if i == 0 {
			firstErr = err
		}
	}
	return "", firstErr
}

// ResolveDir is Resolve that also requires the result to be a directory.
func (r *Resolver) ResolveDir(rel string) (string, bool) {
	p, err := r.Resolve(rel)
	if err != nil {
		return "", false
	}
	st, err := fs.Stat(r.fsys, p)
	if err != nil || !st.IsDir() {
		return "", false
	}
	return p, true
}

// SplitPath splits a relative path written with / or \ into its components,
// dropping empty and "." parts and a leading drive letter.
func SplitPath(p string) []string {
	p = strings.ReplaceAll(p, `\`, "/")
	if len(p) >= 2 && p[1] == ':' && isASCIILetter(p[0]) {
		p = p[2:]
	}
	var parts []string
	for _, s := range strings.Split(p, "/") {
		if s == "" || s == "." {
			continue
		}
		parts = append(parts, s)
	}
	return parts
}

// windowsVolume splits a leading drive letter ("D:", `D:\x`, "d:/x") off a
// path.
func windowsVolume(p string) (byte, string, bool) {
	if len(p) >= 2 && p[1] == ':' && isASCIILetter(p[0]) && (len(p) == 2 || p[2] == '/' || p[2] == '\\') {
		return upper(p[0]), p[2:], true
	}
	return 0, p, false
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// NewVolumeResolver resolves names on every volume of d: a path that starts
// with the letter of a mapped volume other than the system one resolves on
// that volume; any other drive letter is dropped and the path resolves on
// the system volume.
func NewVolumeResolver(d *Drives) *Resolver {
	r := NewResolver(d)
	r.drives = d
	return r
}
