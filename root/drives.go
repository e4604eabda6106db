package root

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Drives joins the folders that hold one server's volumes into one file
// system. Names on the system volume are plain relative paths, as in the
// scan root; names on another volume start with its letter and a colon,
// "D:/Exchange/V15/...". Windows allows no colon in a file name, so the
// two can never be confused on a copy of a real server.
type Drives struct {
	// System is the scan root, the server's system drive (or the part of
	// it that was copied).
	System fs.FS
	// SystemLetter is the system drive's letter (upper case), C unless
	// the registry says otherwise.
	SystemLetter byte
	others       map[byte]fs.FS
}

// NewDrives makes a file system of the system volume alone.
func NewDrives(system fs.FS) *Drives {
	return &Drives{System: system, SystemLetter: 'C', others: map[byte]fs.FS{}}
}

// Mount adds another volume under its letter. The system drive's own
// letter cannot be mounted: its names are the plain ones.
func (d *Drives) Mount(letter byte, fsys fs.FS) error {
	l := upper(letter)
	if l == d.SystemLetter {
		return fmt.Errorf("drive %c: is the system drive, given as the root itself", l)
	}
	if _, dup := d.others[l]; dup {
		return fmt.Errorf("drive %c: is given twice", l)
	}
	d.others[l] = fsys
	return nil
}

// Letters lists the mounted volumes other than the system one, sorted.
func (d *Drives) Letters() []byte {
	var out []byte
	for l := range d.others {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Mounted reports whether a letter names a volume of this server.
func (d *Drives) Mounted(letter byte) bool {
	_, ok := d.others[upper(letter)]
	return ok || upper(letter) == d.SystemLetter
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// SplitVolume splits "D:/rest" into 'D' and "rest" ("." for the volume's
// top); names without a volume prefix return ok false.
func SplitVolume(name string) (letter byte, rest string, ok bool) {
	if len(name) < 2 || name[1] != ':' || !isASCIILetter(name[0]) {
		return 0, name, false
	}
	switch {
	case len(name) == 2:
		return upper(name[0]), ".", true
	case name[2] == '/':
		if r := name[3:]; r != "" {
			return upper(name[0]), r, true
		}
		return upper(name[0]), ".", true
	}
	return 0, name, false
}

// VolumePath joins a volume letter and a path on it into a name of Drives.
func VolumePath(letter byte, rel string) string {
	prefix := string([]byte{upper(letter), ':'})
	if rel == "." || rel == "" {
		return prefix
	}
	return prefix + "/" + rel
}

// Name is the name in d of rel on the drive whose letter volume gives ("" or
// the system drive's letter: rel itself; another letter: "D:/rel"), as
// results name a file by its drive and its path on it.
func (d *Drives) Name(volume, rel string) string {
	if volume != "" && upper(volume[0]) != upper(d.SystemLetter) {
		return VolumePath(volume[0], rel)
	}
	return rel
}

// route finds the volume of a name and the name on it.
func (d *Drives) route(name string) (fs.FS, string, string) {
	if l, rest, ok := SplitVolume(name); ok {
		if f, ok := d.others[l]; ok {
			return f, rest, VolumePath(l, "")
		}
	}
	return d.System, name, ""
}

func rebase(prefix string, err error) error {
	var pe *fs.PathError
	if prefix != "" && errors.As(err, &pe) {
		pe.Path = path.Join(prefix, pe.Path)
	}
	return err
}

func (d *Drives) Open(name string) (fs.File, error) {
	f, n, p := d.route(name)
	file, err := f.Open(n)
	return file, rebase(p, err)
}

func (d *Drives) ReadDir(name string) ([]fs.DirEntry, error) {
	f, n, p := d.route(name)
	entries, err := fs.ReadDir(f, n)
	return entries, rebase(p, err)
}

func (d *Drives) Stat(name string) (fs.FileInfo, error) {
	f, n, p := d.route(name)
	st, err := fs.Stat(f, n)
	return st, rebase(p, err)
}

// Lstat does not follow a final symlink, where the volume can tell.
func (d *Drives) Lstat(name string) (fs.FileInfo, error) {
	f, n, p := d.route(name)
	if l, ok := f.(interface {
		Lstat(string) (fs.FileInfo, error)
	}); ok {
		st, err := l.Lstat(n)
		return st, rebase(p, err)
	}
	st, err := fs.Stat(f, n)
	return st, rebase(p, err)
}

// WalkDir walks a folder of any volume, with the volume's own walker when
// it has one; paths handed to fn are names of Drives.
func (d *Drives) WalkDir(dir string, fn fs.WalkDirFunc) error {
	f, n, p := d.route(dir)
	wrap := fn
	if p != "" {
		wrap = func(q string, e fs.DirEntry, err error) error {
			return fn(joinVolume(p, q), e, err)
		}
	}
	return WalkDir(f, n, wrap)
}

func joinVolume(prefix, q string) string {
	if q == "." {
		return prefix
	}
	return prefix + "/" + q
}

// WalkDir walks fsys with its own walker when it has one (the read-only
// root walks with directory handles), else with fs.WalkDir.
func WalkDir(fsys fs.FS, dir string, fn fs.WalkDirFunc) error {
	if w, ok := fsys.(interface {
		WalkDir(string, fs.WalkDirFunc) error
	}); ok {
		return w.WalkDir(dir, fn)
	}
	return fs.WalkDir(fsys, dir, fn)
}

// WindowsPath is the path the server itself gives a name of Drives, when
// the system root is at systemBase (`C:\` for a whole system drive, the
// install folder when the root is a copy of just that folder).
func WindowsPath(name, systemBase string) string {
	if l, rest, ok := SplitVolume(name); ok {
		if rest == "." {
			return string([]byte{l, ':', '\\'})
		}
		return string([]byte{l, ':', '\\'}) + strings.ReplaceAll(rest, "/", `\`)
	}
	if name == "." || name == "" {
		// A folder is named without a trailing backslash, as everywhere
		// else; a drive's top keeps it (C:\).
		if len(systemBase) > 3 {
			return strings.TrimSuffix(systemBase, `\`)
		}
		return systemBase
	}
	if !strings.HasSuffix(systemBase, `\`) {
		systemBase += `\`
	}
	return systemBase + strings.ReplaceAll(name, "/", `\`)
}
