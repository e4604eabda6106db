package main

// The report file of --out. Evidence is never written to, so before the scan
// starts the path is checked against every scan root after resolving all of
// its symlinks (a dangling one's target too, and `..` the way the file
// system applies it, after the link), and a path that is a link of any kind,
// anything but a plain file, or a file with several hard links (one of them
// may be evidence) is refused outright.
//
// The folder of the report is held open (os.Root) from the check to the
// end, so the folder written in is the folder that was checked. A new report
// is created exclusively; an existing plain file is replaced only after the
// report is complete, by renaming a temporary file from the same folder
// over it.

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/exhunt/exhunt/root"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// reportFile is an opened --out: Write the report, then Commit it; Abort
// (safe to defer, a no-op after Commit) leaves no trace of it.
type reportFile struct {
	flag string      // the option that named it, for messages
	out  string      // its path as given, for messages
	dir  *os.Root    // the report's folder, resolved and checked
	name string      // the report's name in dir
	tmp  string      // name of the temporary file in dir when replacing; "" when creating
	prev fs.FileInfo // the file being replaced, to see at Commit that it is still the same
	f    *os.File
	mine fs.FileInfo // f's identity, so that only the file created here is ever removed
	done bool
}

// errInsideRoot ends the refusal of a report path inside a scanned folder.
var errInsideRoot = errors.New("evidence is never written to, choose a place outside the root")

// reportFileMode is the mode of a report (before the umask).
const reportFileMode = 0o644

// maxLinkHops bounds the symlinks followed in resolving one path.
const maxLinkHops = 255

// openReportFile checks --out against the scan roots and creates the report
// file, before the scan starts. roots are the scan roots, absolute or
// relative to the working directory; the returned errors start with
// "--out FILE:" and say what to do.
func openReportFile(out string, roots []string) (*reportFile, error) {
	return openOutputFile("--out", out, roots)
}

// openOutputFile is openReportFile for the file of any option that names
// one to write (--cpuprofile too), named by flag in the errors.
func openOutputFile(flag, out string, roots []string) (*reportFile, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf(flag+" %s: "+format, append([]any{out}, a...)...)
	}
	if out == "" {
		return nil, errors.New(flag + ": empty file name")
	}
	dirPart, name := filepath.Split(out)
	if name == "" || name == "." || name == ".." {
		return nil, fail("names a folder; give the name of the report file to create")
	}
	if dirPart == "" {
		dirPart = "."
	}
	dir, err := resolvePath(dirPart)
	if err != nil {
		return nil, fail("cannot resolve its folder: %v", err)
	}
	if st, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fail("the folder %s does not exist; create it first or choose another folder", dir)
	} else if err != nil {
		return nil, fail("%v", err)
	} else if !st.IsDir() {
		return nil, fail("%s is not a folder; choose a file in an existing folder", dir)
	}
	rs, err := resolveRoots(roots)
	if err != nil {
		return nil, fail("%v", err)
	}
	target := filepath.Join(dir, name)

	d, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fail("cannot open its folder: %v", err)
	}
	r := &reportFile{flag: flag, out: out, dir: d, name: name}
	ok := false
	defer func() {
		if !ok {
			d.Close()
		}
	}()

	fi, err := d.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if root, in := rs.contains(target); in {
			return nil, fail("it is inside the scanned root %s (it resolves to %s); %w", root, target, errInsideRoot)
		}
		f, err := d.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY|oNoFollow, reportFileMode)
		if err != nil {
			return nil, fail("cannot create it: %v", err)
		}
		r.f = f
		if r.mine, err = f.Stat(); err != nil {
			f.Close()
			d.Remove(name)
			return nil, fail("%v", err)
		}
	case err != nil:
		return nil, fail("%v", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		where := ""
		if t, err := resolvePath(target); err == nil {
			where = " to " + t
			if root, in := rs.contains(t); in {
				where += ", inside the scanned root " + root
			}
		}
		return nil, fail("it is a symbolic link%s; the report is never written through a link (it could lead into evidence), give the real path of a new file", where)
	case !fi.Mode().IsRegular():
		return nil, fail("it exists and is %s, not a regular file; give the name of a new file", kind(fi.Mode()))
	default:
		if root, in := rs.contains(target); in {
			return nil, fail("it is inside the scanned root %s (it resolves to %s); %w", root, target, errInsideRoot)
		}
		n, err := linkCount(fi, target)
		if err != nil {
			return nil, fail("cannot tell whether it is a hard link (%v); give the name of a new file", err)
		}
		if n != 1 {
			return nil, fail("it has %d hard links, one of them may be evidence, so it is not overwritten; give the name of a new file", n)
		}
		// Replace it only once the report is complete.
		r.prev = fi
		if err := r.createTemp(); err != nil {
			return nil, fail("cannot create a temporary file next to it: %v", err)
		}
	}
	ok = true
	return r, nil
}

func (r *reportFile) createTemp() error {
	for range 10 {
		var b [6]byte
		rand.Read(b[:])
		tmp := "." + r.name + ".exhunt-" + hex.EncodeToString(b[:]) + ".tmp"
		f, err := r.dir.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY|oNoFollow, reportFileMode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if r.mine, err = f.Stat(); err != nil {
			f.Close()
			r.dir.Remove(tmp)
			return err
		}
		r.f, r.tmp = f, tmp
		return nil
	}
	return errors.New("no free temporary name")
}

// Write writes to the report (the temporary file when replacing one).
func (r *reportFile) Write(p []byte) (int, error) {
	if r.done {
		return 0, fs.ErrClosed
	}
	return r.f.Write(p)
}

// Commit completes the report: it is flushed and closed and, when an
// existing file is being replaced, renamed over it, provided that file is
// still the same single-link plain file.
func (r *reportFile) Commit() error {
	if r.done {
		return fs.ErrClosed
	}
	err := r.f.Sync()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err == nil && r.tmp != "" {
		err = r.replace()
	}
	if err != nil {
		r.discard()
		return fmt.Errorf("%s %s: %w", r.flag, r.out, err)
	}
	r.done = true
	return r.dir.Close()
}

func (r *reportFile) replace() error {
	fi, err := r.dir.Lstat(r.name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err == nil {
		if !os.SameFile(fi, r.prev) || !fi.Mode().IsRegular() {
			return errors.New("the file was replaced while the scan ran; not overwritten")
		}
		if n, err := linkCount(fi, filepath.Join(r.dir.Name(), r.name)); err != nil || n != 1 {
			return errors.New("the file gained a hard link while the scan ran; not overwritten")
		}
	}
	return r.dir.Rename(r.tmp, r.name)
}

// Abort closes the report and removes what openReportFile created: the new
// file, or the temporary one (an existing file stays as it was). It does
// nothing after Commit.
func (r *reportFile) Abort() error {
	if r.done {
		return nil
	}
	r.f.Close()
	r.discard()
	return nil
}

// discard removes the file this reportFile created, if it is still there,
// and releases the folder.
func (r *reportFile) discard() {
	r.done = true
	name := r.tmp
	if name == "" {
		name = r.name
	}
	if fi, err := r.dir.Lstat(name); err == nil && os.SameFile(fi, r.mine) {
		r.dir.Remove(name)
	}
	r.dir.Close()
}

// kind names a file mode for messages.
func kind(m fs.FileMode) string {
	if m.IsDir() {
		return "a folder"
	}
	return "a " + root.TypeName(m)
}

// resolvedRoot is a scan root with all symlinks resolved.
type resolvedRoot struct {
	given string
	path  string
	info  fs.FileInfo // nil when it cannot be read
}

type resolvedRoots []resolvedRoot

func resolveRoots(roots []string) (resolvedRoots, error) {
	var rs resolvedRoots
	for _, root := range roots {
		if root == "" {
			continue
		}
		p, err := resolvePath(root)
		if err != nil {
			return nil, fmt.Errorf("cannot resolve the root %s: %v", root, err)
		}
		r := resolvedRoot{given: root, path: p}
		if st, err := os.Stat(p); err == nil {
			r.info = st
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// contains reports the first root that the resolved path p lies in: by
// name, or because one of p's folders is the root's folder itself (the same
// folder reached by another name: a bind mount, case, a volume path).
func (rs resolvedRoots) contains(p string) (string, bool) {
	for _, r := range rs {
		if within(p, r.path) {
			return r.given, true
		}
	}
	for a := p; ; {
		if st, err := os.Stat(a); err == nil {
			for _, r := range rs {
				if r.info != nil && os.SameFile(st, r.info) {
					return r.given, true
				}
			}
		}
		up := filepath.Dir(a)
		if up == a {
			break
		}
		a = up
	}
	return "", false
}

// within reports whether the clean absolute path p is dir or lies under it.
// Names are compared without case where the file systems usually ignore it.
func within(p, dir string) bool {
	eq := func(a, b string) bool { return a == b }
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		eq = strings.EqualFold
	}
	if len(p) < len(dir) || !eq(p[:len(dir)], dir) {
		return false
	}
	rest := p[len(dir):]
	return rest == "" || os.IsPathSeparator(rest[0]) || os.IsPathSeparator(dir[len(dir)-1])
}

// resolvePath makes p absolute and resolves every symlink in it the way the
// file system does when opening it: component by component, `..` applied to
// the folder reached so far (after a link, not before it, unlike
// filepath.Clean), and the target of a link that points nowhere resolved in
// turn. Components that do not exist are kept as they are.
func resolvePath(p string) (string, error) {
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		if vol := filepath.VolumeName(p); vol != "" {
			// Windows "C:name": relative to the current folder of that drive;
			// take the drive's root, which at least keeps the drive.
			p = vol + string(filepath.Separator) + p[len(vol):]
		} else if p != "" && os.IsPathSeparator(p[0]) {
			p = filepath.VolumeName(wd) + p // Windows "\name": the current drive
		} else {
			// Not filepath.Join, which would clean "link/.." away.
			p = wd + string(filepath.Separator) + p
		}
	}
	vol := filepath.VolumeName(p)
	resolved := vol + string(filepath.Separator)
	pending := splitPath(p[len(vol):])
	hops := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, c)
		fi, err := os.Lstat(next)
		if err != nil || fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) == 0 {
			resolved = next
			continue
		}
		target, err := os.Readlink(next)
		if err != nil {
			if fi.Mode()&fs.ModeSymlink != 0 {
				return "", err
			}
			resolved = next // an irregular file that is no link
			continue
		}
		if hops++; hops > maxLinkHops {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		if tv := filepath.VolumeName(target); tv != "" {
			resolved = tv + string(filepath.Separator)
			target = target[len(tv):]
		} else if target != "" && os.IsPathSeparator(target[0]) {
			resolved = filepath.VolumeName(resolved) + string(filepath.Separator)
		}
		pending = append(splitPath(target), pending...)
	}
	return filepath.Clean(resolved), nil
}

func splitPath(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r < 128 && os.IsPathSeparator(uint8(r)) })
}
