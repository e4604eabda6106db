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
	"fmt"
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

// validName reports whether name is a path FS accepts: "." for the root,
// else slash-separated elements, none empty, "." or "..", without NUL, and
// no leading or trailing slash. Unlike fs.ValidPath it accepts any other
// bytes: names on evidence are not always UTF-8 (a folder named with invalid
// UTF-8 must not hide what lies below it).
func validName(name string) bool {
	if name == "." {
		return true
	}
	if name == "" || strings.IndexByte(name, 0) >= 0 {
		return false
	}
	if filepath.Separator == '\\' && strings.IndexByte(name, '\\') >= 0 {
		// A second separator would let elements hide from the checks
		// below; names listed on Windows never hold one.
		return false
	}
	for {
		elem, rest, more := strings.Cut(name, "/")
		if elem == "" || elem == "." || elem == ".." {
			return false
		}
		if !more {
			return true
		}
		name = rest
	}
}

func (f *FS) osName(op, name string) (string, error) {
	if !validName(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return filepath.FromSlash(name), nil
}

// ErrNotRegular is the error, wrapped with the kind of file, for opening
// anything that is neither a regular file nor a directory.
var ErrNotRegular = errors.New("not a regular file")

// TypeName names a file type for messages.
func TypeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeIrregular != 0:
		return "irregular file"
	}
	return "file of unknown type"
}

// checkType refuses all but regular files and directories.
func checkType(m fs.FileMode) error {
	if m.IsRegular() || m.IsDir() {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNotRegular, TypeName(m))
}

// Open opens name read-only. Only regular files and directories are
// opened: a named pipe, socket or device in the evidence (or a symlink to
// one) is refused with ErrNotRegular, and opening never blocks.
func (f *FS) Open(name string) (fs.File, error) {
	n, err := f.osName("open", name)
	if err != nil {
		return nil, err
	}
	file, err := openIn(f.root, n)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: underlying(err)}
	}
	return file, nil
}

// openIn opens name below r read-only, refusing anything but a regular file
// or a directory. Where the file system holds devices and named pipes, the
// type is checked first by name, so that a device is not even opened
// (opening some has effects), and again on the opened handle, which is what
// counts: the name may have changed in between. The open is non-blocking (a
// named pipe would otherwise wait for a writer forever).
func openIn(r *os.Root, name string) (*os.File, error) {
	if checkTypeByName {
		st, err := r.Stat(name)
		if err != nil {
			return nil, err
		}
		if err := checkType(st.Mode()); err != nil {
			return nil, err
		}
	}
	return openChecked(r, name)
}

// openChecked is openIn without the check by name.
func openChecked(r *os.Root, name string) (*os.File, error) {
	return openEvidence(func(flag int) (*os.File, error) { return r.OpenFile(name, flag, 0) })
}

// OpenFile opens a file of evidence given by its host path (a log named on
// the command line) as the scan opens the files of a root: read-only,
// without moving its access time where the system allows it, and only if
// it is a regular file or a folder (a FIFO would block, a device is no
// evidence).
func OpenFile(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkType(st.Mode()); err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return openEvidence(func(flag int) (*os.File, error) { return os.OpenFile(path, flag, 0) })
}

// openEvidence opens read-only with O_NOATIME when the kernel allows it
// (it refuses for files of other owners unless root), else without, and
// checks what was opened.
func openEvidence(open func(flag int) (*os.File, error)) (*os.File, error) {
	var file *os.File
	var err error
	if openFlagNoAtime != 0 {
		file, err = open(os.O_RDONLY | openFlagNonBlock | openFlagNoAtime)
		if err != nil && !errors.Is(err, syscall.EPERM) {
			return nil, err
		}
	}
	if file == nil {
		file, err = open(os.O_RDONLY | openFlagNonBlock)
		if err != nil {
			return nil, err
		}
	}
	st, err := file.Stat()
	if err == nil {
		err = checkType(st.Mode())
	}
	if err == nil && st.Mode().IsRegular() {
		err = clearNonBlock(file)
	}
	if err != nil {
		file.Close()
		return nil, err
	}
	return file, nil
}

// underlying strips the *fs.PathError os.Root wraps its errors in, whose
// path is relative to whichever handle did the open, so that the caller can
// name the path as the scan knows it.
func underlying(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
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
	failed map[string]error
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
		if !errors.Is(err, fs.ErrNotExist) {
			r.remember(dir, err)
		}
		return nil, err
	}
	r.mu.Lock()
	r.dirs[dir] = entries
	r.mu.Unlock()
	return entries, nil
}

// ErrCaseVariant marks a folder that was not examined because another
// folder of the same name in another case was.
var ErrCaseVariant = errors.New("not examined")

// maxResolveProblems bounds the unreadable folders remembered.
const maxResolveProblems = 1000

// Problems lists the folders that could not be listed while resolving
// paths (other than missing ones), sorted: an unreadable folder on the way
// to Exchange must not read as "not found".
func (r *Resolver) Problems() map[string]error {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]error, len(r.failed))
	for k, v := range r.failed {
		out[k] = v
	}
	return out
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
			// The other spellings hold evidence the scan does not
			// walk (two copies merged on a case-sensitive disk): say so.
			for _, other := range candidates {
				if other != c {
					r.remember(path.Join(cur, other), fmt.Errorf("%w: its name differs only in case from %s, which was examined instead; merge the two or scan this one as its own copy", ErrCaseVariant, path.Join(cur, c)))
				}
			}
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
	if err != nil {
		// The name is there but cannot be followed: a link (a junction
		// on an image) that leaves the copy, or an unreadable entry.
		// Not the same as a missing folder.
		why := err
		if l, ok := r.fsys.(interface {
			Lstat(string) (fs.FileInfo, error)
		}); ok {
			if lst, lerr := l.Lstat(p); lerr == nil && lst.Mode()&fs.ModeSymlink != 0 {
				why = errors.New("a symbolic link (a junction on an image) that leads outside the copy: not followed; copy its target or give it with --volume")
			}
		}
		r.remember(p, why)
		return "", false
	}
	if !st.IsDir() {
		return "", false
	}
	return p, true
}

// remember records a folder that is there but could not be used.
func (r *Resolver) remember(dir string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failed == nil {
		r.failed = map[string]error{}
	}
	if _, seen := r.failed[dir]; !seen && len(r.failed) < maxResolveProblems {
		r.failed[dir] = err
	}
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
