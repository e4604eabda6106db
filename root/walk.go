package root

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
)

// MaxWalkDepth is how many folder levels below its start a walk enters.
// Real Windows trees are far shallower: MAX_PATH (260 characters) held most
// software to a few dozen levels, and the deepest folders of an Exchange
// server sit about 15 levels below the drive. Nesting beyond this is an
// attack on the scanner (or damage), and is reported rather than followed,
// which also bounds the open folder handles and the recursion of a walk.
const MaxWalkDepth = 128

// ErrTooDeep is reported for a folder a walk did not enter because it lies
// more than MaxWalkDepth levels below the walk's start.
var ErrTooDeep = fmt.Errorf("folder nesting deeper than %d levels not walked", MaxWalkDepth)

// WalkDir walks the tree at dir like fs.WalkDir(f, dir, fn): entries in
// lexical order, fn may return fs.SkipDir or fs.SkipAll, and a folder that
// cannot be read is passed to fn a second time with the error. Unlike
// fs.WalkDir over f, each folder is opened relative to its parent's handle,
// so the cost of a walk does not grow with the square of its depth, and
// folders more than MaxWalkDepth levels below dir are not entered but
// passed to fn with an error wrapping ErrTooDeep. Symlinks are not followed;
// they are passed to fn as entries of type fs.ModeSymlink.
//
// At most one handle per folder level of the current path is open, plus one
// while a folder is listed. The DirEntry values given to fn answer Info
// only while fn runs (Info reads through the parent folder's handle).
func (f *FS) WalkDir(dir string, fn fs.WalkDirFunc) error {
	err := f.walkStart(dir, fn)
	if err == fs.SkipDir || err == fs.SkipAll {
		return nil
	}
	return err
}

func (f *FS) walkStart(dir string, fn fs.WalkDirFunc) error {
	info, err := f.Stat(dir)
	if err != nil {
		return fn(dir, nil, err)
	}
	d := fs.FileInfoToDirEntry(info)
	if err := fn(dir, d, nil); err != nil || !d.IsDir() {
		if err == fs.SkipDir && d.IsDir() {
			err = nil
		}
		return err
	}
	n, _ := f.osName("open", dir) // f.Stat accepted dir
	return walkEnter(f.root, n, dir, d, 0, fn)
}

// walkEnter opens the folder osName below parent, whose walk path is name,
// and walks it. fn has been called for it and returned nil.
func walkEnter(parent *os.Root, osName, name string, d fs.DirEntry, depth int, fn fs.WalkDirFunc) error {
	if depth > MaxWalkDepth {
		return skipDirIsNil(fn(name, d, &fs.PathError{Op: "walk", Path: name, Err: ErrTooDeep}))
	}
	// "name/." rather than "name": os.Root opens the inner elements of
	// a path as directories (O_DIRECTORY), so whatever replaced the folder
	// since it was listed, the open neither blocks on a named pipe nor
	// touches a device. The trailing "." keeps this one open, not a walk
	// from the root.
	r, err := parent.OpenRoot(osName + string(os.PathSeparator) + ".")
	if err != nil {
		return skipDirIsNil(fn(name, d, &fs.PathError{Op: "open", Path: name, Err: underlying(err)}))
	}
	defer r.Close()
	list, err := openIn(r, ".")
	if err != nil {
		return skipDirIsNil(fn(name, d, &fs.PathError{Op: "readdir", Path: name, Err: underlying(err)}))
	}
	closed := false
	defer func() {
		if !closed {
			list.Close()
		}
	}()
	// A folder is walked in name order. One with more entries than
	// largeFolder (a drop place flooded with files) is walked in chunks,
	// each in name order, so memory does not grow with the folder.
	n := largeFolder
	for {
		entries, err := list.ReadDir(n)
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		done := len(entries) < n || err != nil
		if done && !closed {
			// Only a large folder keeps its listing open while its
			// sub-folders are walked: one handle per level otherwise.
			list.Close()
			closed = true
		}
		if err != nil && err != io.EOF {
			if err := fn(name, d, &fs.PathError{Op: "readdir", Path: name, Err: underlying(err)}); err != nil {
				return skipDirIsNil(err)
			}
		}
		for _, e := range entries {
			name1 := path.Join(name, e.Name())
			e1 := &walkEntry{DirEntry: e, dir: r, path: name1}
			err := fn(name1, e1, nil)
			if err == nil && e.IsDir() {
				err = walkEnter(r, e.Name(), name1, e1, depth+1, fn)
			} else if err == fs.SkipDir && e.IsDir() {
				err = nil
			}
			if err != nil {
				if err == fs.SkipDir {
					return nil
				}
				return err
			}
		}
		if done {
			return nil
		}
		n = largeFolderChunk
	}
}

// A folder of more than largeFolder entries is listed and walked
// largeFolderChunk entries at a time.
const (
	largeFolder      = 4096
	largeFolderChunk = 1024
)

func skipDirIsNil(err error) error {
	if err == fs.SkipDir {
		return nil
	}
	return err
}

// walkEntry is a DirEntry whose Info reads through the handle of its folder
// (os.File's entries stat the host path, which walks every level again and
// is not confined to the root).
type walkEntry struct {
	fs.DirEntry
	dir  *os.Root
	path string
}

func (e *walkEntry) Info() (fs.FileInfo, error) {
	info, err := e.dir.Lstat(e.DirEntry.Name())
	if err != nil {
		if errors.Is(err, os.ErrClosed) {
			err = errors.New("folder closed: Info must be called while the walk function runs")
		}
		if isSharingViolation(err) {
			// On Windows os.Root's Lstat opens the file, which fails
			// for one another program holds without sharing (a running
			// server's event logs). The folder's listing still tells
			// its type, size and times; opening it will fail, and say
			// why, where it is read.
			if listed, lerr := e.DirEntry.Info(); lerr == nil {
				return listed, nil
			}
		}
		return nil, &fs.PathError{Op: "lstat", Path: e.path, Err: underlying(err)}
	}
	return info, nil
}
