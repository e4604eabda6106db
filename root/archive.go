package root

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/flate"

	"github.com/exhunt/exhunt/triage"
)

// Archive is a read-only view of a zip archive as a scan root: a triage
// archive made by `exhunt collect`, or a zip of a copied folder or of the
// collection script's folder.
//
// The archive is evidence of unknown origin, so nothing in it is taken on
// trust: entry names that would lead outside the archive (absolute, "..",
// drive letters), links, devices, duplicate names, entries declaring sizes
// deflate cannot produce and more entries than a real collection holds are
// left out and listed by Problems. Nothing is ever extracted to disk except
// an event log that must be read at offsets and is too large for memory,
// which is spooled to a temporary file outside the archive and removed on
// Close.
type Archive struct {
	path     string
	data     io.ReaderAt
	size     int64
	closed   bool
	file     *os.File // closed with the archive, when OpenArchive opened it
	shared   *archiveHandle
	zr       *zip.Reader
	top      *archiveNode
	problems []ArchiveProblem
	// dosTimes counts files whose time is only the DOS field: local time
	// of the machine that made the zip, in 2-second steps.
	dosTimes int
}

// archiveHandle is the open archive file, shared by an archive and the
// parts of it that Sub gives, and closed with the last of them.
type archiveHandle struct {
	mu   sync.Mutex
	refs int
}

// ArchiveProblem is an entry of an archive that was not used, and why.
type ArchiveProblem struct {
	Name string
	Err  error
}

type archiveNode struct {
	name string
	dir  bool
	gone bool // refused after it was inserted
	// corrected is set when a manifest gave the exact time of a file
	// whose archive holds only the DOS time.
	corrected bool
	file      *zip.File
	mod       time.Time
	children  []*archiveNode // sorted by name once the tree is built
	index     map[string]*archiveNode
}

// Limits on what an archive may hold before it is taken for an attack on
// the scanner rather than evidence.
const (
	// maxArchiveEntries bounds the entries (and the memory the index
	// takes): a triage collection holds tens of thousands of files.
	// (about 400 bytes each: a million entries take 400 MB).
	maxArchiveEntries = 1 << 20
	// A deflate stream expands at most 1032-fold; an entry declaring more
	// lies about its size. Entries expanding more than bombRatio-fold
	// beyond bombMinSize are zeros or a bomb, and not read.
	bombRatio   = 1000
	bombMinSize = 256 << 20
)

// Errors an archive's entries can have.
var (
	ErrUnsafeName   = errors.New("names a place outside the archive (absolute, drive letter, \"..\" or empty parts); not read")
	ErrLinkEntry    = errors.New("a link or special file, not followed")
	ErrDuplicate    = errors.New("a second entry of the same name; only the first is read, and the archive may have been altered")
	ErrSizeBomb     = errors.New("declares an expansion no real file has (a zip bomb or a forged size); not read")
	ErrNotDirectory = errors.New("a file of this name is also a folder in the archive; the folder is used")
	ErrEncrypted    = errors.New("encrypted; not read")
	ErrOutside      = errors.New("its data would lie outside the archive (a forged size or offset); not read")
	ErrOverlap      = errors.New("its data overlaps another entry's (many names over one stream make a zip bomb); not read")
)

// IsArchive reports whether the file at p begins like a zip archive.
func IsArchive(p string) bool {
	f, err := OpenFile(p)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	var sig [4]byte
	if _, err := io.ReadFull(f, sig[:]); err != nil {
		return false
	}
	// A local file header, or the end record of an empty archive.
	return string(sig[:]) == "PK\x03\x04" || string(sig[:]) == "PK\x05\x06"
}

// ErrIncompleteArchive is returned for a zip file without its central
// directory: an archive whose writing was interrupted (a collection killed
// midway) or a cut copy. It is never read as if whole.
var ErrIncompleteArchive = errors.New("the zip archive is incomplete: its central directory (written last) is missing or damaged, as when a collection is interrupted or a copy cut short; it is not read, since what it holds cannot be known")

// OpenArchive opens the zip archive at p.
func OpenArchive(p string) (*Archive, error) {
	f, err := OpenFile(p)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	a, err := NewArchive(f, st.Size(), p)
	if err != nil {
		f.Close()
		return nil, err
	}
	a.file = f
	return a, nil
}

// NewArchive reads the archive of size bytes in r, named p in messages.
// Close does not close r.
func NewArchive(r io.ReaderAt, size int64, p string) (*Archive, error) {
	if err := checkEnd(r, size); err != nil {
		return nil, fmt.Errorf("%s: %w (%v)", p, ErrIncompleteArchive, err)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%s: %w (%v)", p, ErrIncompleteArchive, err)
		}
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if len(zr.File) > maxArchiveEntries {
		return nil, fmt.Errorf("%s: %d entries, more than the %d a collection can hold", p, len(zr.File), maxArchiveEntries)
	}
	// klauspost's inflate reads logs about half again as fast as the
	// standard library's.
	zr.RegisterDecompressor(zip.Deflate, flate.NewReader)
	a := &Archive{path: p, data: r, size: size, zr: zr, shared: &archiveHandle{refs: 1}}
	a.build()
	a.applyManifests()
	return a, nil
}

// Path is the host path of the archive.
func (a *Archive) Path() string { return a.path }

// Close releases the archive; the file is closed once the archive and
// every part of it from Sub are.
func (a *Archive) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	h := a.shared
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.refs--; h.refs == 0 && a.file != nil {
		return a.file.Close()
	}
	return nil
}

// Problems lists the entries that were left out, in archive order.
func (a *Archive) Problems() []ArchiveProblem { return a.problems }

// DOSTimes is the number of files whose modification time is only the
// zip's DOS field, which holds the local time of the machine that made
// the archive in 2-second steps: their times may be off by its time zone.
// Archives made by `exhunt collect` keep exact UTC times, and a triage
// manifest beside the files corrects them.
func (a *Archive) DOSTimes() int { return a.dosTimes }

// archiveName turns an entry name into a path of the tree, or reports it
// unsafe. Backslashes are separators: zips made on Windows by older .NET
// use them.
func archiveName(raw string) (string, bool) {
	n := strings.ReplaceAll(raw, `\`, "/")
	n = strings.TrimSuffix(n, "/")
	if n == "" || strings.HasPrefix(n, "/") || strings.IndexByte(n, 0) >= 0 {
		return "", false
	}
	if len(n) >= 2 && n[1] == ':' {
		return "", false // "C:/…" or "C:…"
	}
	for _, part := range strings.Split(n, "/") {
		if part == "" || part == "." || part == ".." {
			return "", false
		}
	}
	return n, true
}

func (a *Archive) problem(name string, err error) {
	a.problems = append(a.problems, ArchiveProblem{Name: name, Err: err})
}

func (a *Archive) build() {
	type span struct {
		from, to int64
		name     string
		zf       *zip.File
	}
	var spans []span
	a.top = &archiveNode{name: ".", dir: true, index: map[string]*archiveNode{}}
	for _, zf := range a.zr.File {
		name, ok := archiveName(zf.Name)
		if !ok {
			a.problem(zf.Name, ErrUnsafeName)
			continue
		}
		mode := zf.Mode()
		isDir := strings.HasSuffix(zf.Name, "/") || strings.HasSuffix(zf.Name, `\`) || mode.IsDir()
		if !isDir && !mode.IsRegular() {
			a.problem(name, ErrLinkEntry)
			continue
		}
		if !isDir {
			if zf.Flags&0x1 != 0 {
				a.problem(name, ErrEncrypted)
				continue
			}
			if zf.UncompressedSize64 > bombMinSize && zf.UncompressedSize64/bombRatio > zf.CompressedSize64 {
				a.problem(name, ErrSizeBomb)
				continue
			}
			off, err := zf.DataOffset()
			if err != nil || zf.CompressedSize64 > uint64(a.size) || zf.UncompressedSize64 > math.MaxInt64 || off+int64(zf.CompressedSize64) > a.size {
				a.problem(name, ErrOutside)
				continue
			}
			spans = append(spans, span{off, off + int64(zf.CompressedSize64), name, zf})
		}
		a.insert(name, isDir, zf)
	}
	// Entries sharing their data (a bomb of many names over one stream)
	// are refused, all of them.
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	shared := map[*zip.File]bool{}
	// The span reaching furthest so far, not only the one before: an
	// entry may lie inside a long one with others between them.
	furthest := 0
	for i := 1; i < len(spans); i++ {
		if spans[i].from < spans[furthest].to {
			shared[spans[i].zf], shared[spans[furthest].zf] = true, true
		}
		if spans[i].to > spans[furthest].to {
			furthest = i
		}
	}
	if len(shared) > 0 {
		for _, sp := range spans {
			if shared[sp.zf] {
				a.problem(sp.name, ErrOverlap)
				if n := a.top.lookup(sp.name); n != nil && n.file == sp.zf {
					n.file = nil
					n.gone = true
				}
			}
		}
		a.prune(a.top)
	}
	var sortTree func(n *archiveNode)
	sortTree = func(n *archiveNode) {
		sort.Slice(n.children, func(i, j int) bool { return n.children[i].name < n.children[j].name })
		for _, c := range n.children {
			if c.dir {
				sortTree(c)
			}
		}
	}
	sortTree(a.top)
}

// insert adds an entry, creating the folders above it that the archive
// does not list itself (most zips list only files).
func (a *Archive) insert(name string, isDir bool, zf *zip.File) {
	parts := strings.Split(name, "/")
	cur := a.top
	for i, part := range parts {
		last := i == len(parts)-1
		wantDir := !last || isDir
		next := cur.index[part]
		switch {
		case next == nil:
			next = &archiveNode{name: part, dir: wantDir}
			if wantDir {
				next.index = map[string]*archiveNode{}
			}
			cur.index[part] = next
			cur.children = append(cur.children, next)
		case wantDir && !next.dir:
			// A file and a folder of one name: the folder wins, as it
			// holds more.
			a.problem(strings.Join(parts[:i+1], "/"), ErrNotDirectory)
			next.dir, next.file, next.mod, next.index = true, nil, time.Time{}, map[string]*archiveNode{}
		case !wantDir && next.dir:
			a.problem(name, ErrNotDirectory)
			return
		case !wantDir:
			a.problem(name, ErrDuplicate)
			return
		}
		cur = next
	}
	if isDir {
		if cur.mod.IsZero() {
			cur.mod = zf.Modified
		}
		return
	}
	cur.file, cur.mod = zf, zf.Modified
	if !hasExactTime(zf) {
		a.dosTimes++
	}
}

// prune removes the nodes refused after they were inserted.
func (a *Archive) prune(n *archiveNode) {
	kept := n.children[:0]
	for _, c := range n.children {
		if c.gone {
			delete(n.index, c.name)
			continue
		}
		if c.dir {
			a.prune(c)
		}
		kept = append(kept, c)
	}
	n.children = kept
}

// checkEnd finds the archive's end record where a whole zip has it: in
// its last bytes, its comment reaching exactly to the end of the file,
// with the central directory right before it (or before its zip64 record).
// A cut archive often still holds an end record, that of a zip stored
// inside it, which Go's reader would take (it allows data before an
// archive, for self-extractors): here a cut is a cut.
func checkEnd(r io.ReaderAt, size int64) error {
	const endLen, locLen, end64Len = 22, 20, 56
	if size < endLen {
		return errors.New("too short for a zip")
	}
	tailLen := min(size, endLen+0xffff)
	tail := make([]byte, tailLen)
	if _, err := r.ReadAt(tail, size-tailLen); err != nil {
		return err
	}
	at := -1
	for i := len(tail) - endLen; i >= 0; i-- {
		if string(tail[i:i+4]) == "PK\x05\x06" && i+endLen+int(le16(tail[i+20:])) == len(tail) {
			at = i
			break
		}
	}
	if at < 0 {
		return errors.New("no end record at the end of the file")
	}
	endPos := size - tailLen + int64(at)
	rec := tail[at:]
	dirSize, dirOff := uint64(le32(rec[12:])), uint64(le32(rec[16:]))
	dirEnd := endPos
	if dirSize == 0xffffffff || dirOff == 0xffffffff || le16(rec[10:]) == 0xffff {
		if endPos < locLen {
			return errors.New("zip64 end locator missing")
		}
		var loc [locLen]byte
		if _, err := r.ReadAt(loc[:], endPos-locLen); err != nil || string(loc[:4]) != "PK\x06\x07" {
			return errors.New("zip64 end locator missing")
		}
		pos := int64(le64(loc[8:]))
		var rec64 [end64Len]byte
		if pos < 0 || pos+end64Len > endPos-locLen {
			return errors.New("zip64 end record outside the file")
		}
		if _, err := r.ReadAt(rec64[:], pos); err != nil || string(rec64[:4]) != "PK\x06\x06" {
			return errors.New("zip64 end record missing")
		}
		dirSize, dirOff, dirEnd = le64(rec64[40:]), le64(rec64[48:]), pos
	}
	if dirOff > uint64(size) || dirSize > uint64(size) || int64(dirOff+dirSize) != dirEnd {
		return fmt.Errorf("the central directory (%d bytes at %d) does not end where the end record lies (%d): the file is not one whole zip", dirSize, dirOff, dirEnd)
	}
	return nil
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func le32(b []byte) uint32 { return uint32(le16(b)) | uint32(le16(b[2:]))<<16 }
func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }

// hasExactTime reports whether an entry carries a UTC modification time
// (the NTFS or the extended-timestamp extra field), not only DOS's.
func hasExactTime(zf *zip.File) bool {
	b := zf.Extra
	for len(b) >= 4 {
		tag, size := int(b[0])|int(b[1])<<8, int(b[2])|int(b[3])<<8
		if tag == 0x000a || tag == 0x5455 {
			return true
		}
		if 4+size > len(b) {
			return false
		}
		b = b[4+size:]
	}
	return false
}

// maxManifestSize bounds a manifest read to correct times.
const maxManifestSize = 512 << 20

// applyManifests takes the exact modification times of files from the
// triage manifests at the top or one folder down (a zip of the collection
// script's folder), for archives whose own times are DOS times. A row
// applies only to a file of its size.
func (a *Archive) applyManifests() {
	if a.dosTimes == 0 {
		return
	}
	places := []*archiveNode{a.top}
	for _, c := range a.top.children {
		if c.dir {
			places = append(places, c)
		}
	}
	for _, dir := range places {
		m := dir.index[triage.ManifestName]
		if m == nil || m.dir || m.file == nil || m.file.UncompressedSize64 > maxManifestSize {
			continue
		}
		rc, err := m.file.Open()
		if err != nil {
			continue
		}
		err = triage.ReadManifest(rc, func(e triage.Entry) error {
			if e.Modified.IsZero() || e.Status != triage.Collected {
				return nil
			}
			name, ok := archiveName(e.Path)
			if !ok {
				return nil
			}
			n := dir.lookup(name)
			if n != nil && !n.dir && n.file != nil && e.Size == int64(n.file.UncompressedSize64) && !hasExactTime(n.file) && !n.corrected {
				n.mod, n.corrected = e.Modified, true
				a.dosTimes--
			}
			return nil
		})
		rc.Close()
		if err != nil {
			a.problem(path.Join(dir.name, triage.ManifestName), fmt.Errorf("file times not taken from it: %w", err))
		}
	}
}

func (n *archiveNode) lookup(name string) *archiveNode {
	cur := n
	for _, part := range strings.Split(name, "/") {
		if !cur.dir {
			return nil
		}
		if cur = cur.index[part]; cur == nil {
			return nil
		}
	}
	return cur
}

func (a *Archive) node(op, name string) (*archiveNode, error) {
	if name == "." {
		return a.top, nil
	}
	if !validName(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	n := a.top.lookup(name)
	if n == nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return n, nil
}

// Open opens a file or folder of the archive.
func (a *Archive) Open(name string) (fs.File, error) {
	n, err := a.node("open", name)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return &archiveDir{info: n.info(), node: n}, nil
	}
	rc, err := n.file.Open()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &archiveFile{a: a, info: n.info(), zf: n.file, rc: rc}, nil
}

// ReadDir lists a folder sorted by name.
func (a *Archive) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := a.node("readdir", name)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	out := make([]fs.DirEntry, len(n.children))
	for i, c := range n.children {
		out[i] = fs.FileInfoToDirEntry(c.info())
	}
	return out, nil
}

// Stat describes a file or folder.
func (a *Archive) Stat(name string) (fs.FileInfo, error) {
	n, err := a.node("stat", name)
	if err != nil {
		return nil, err
	}
	return n.info(), nil
}

// Lstat is Stat: the archive holds no links.
func (a *Archive) Lstat(name string) (fs.FileInfo, error) { return a.Stat(name) }

func (n *archiveNode) info() fs.FileInfo {
	if n.dir {
		return archiveInfo{name: n.name, mode: fs.ModeDir | 0o555, mod: n.mod}
	}
	return archiveInfo{name: n.name, size: int64(n.file.UncompressedSize64), mode: 0o444, mod: n.mod}
}

type archiveInfo struct {
	name string
	size int64
	mode fs.FileMode
	mod  time.Time
}

func (i archiveInfo) Name() string       { return i.name }
func (i archiveInfo) Size() int64        { return i.size }
func (i archiveInfo) Mode() fs.FileMode  { return i.mode }
func (i archiveInfo) ModTime() time.Time { return i.mod }
func (i archiveInfo) IsDir() bool        { return i.mode.IsDir() }
func (i archiveInfo) Sys() any           { return nil }

type archiveDir struct {
	info fs.FileInfo
	node *archiveNode
	next int
}

func (d *archiveDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *archiveDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.Name(), Err: errors.New("is a directory")}
}
func (d *archiveDir) Close() error { return nil }

func (d *archiveDir) ReadDir(count int) ([]fs.DirEntry, error) {
	rest := d.node.children[d.next:]
	if count > 0 && len(rest) > count {
		rest = rest[:count]
	}
	if count > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	out := make([]fs.DirEntry, len(rest))
	for i, c := range rest {
		out[i] = fs.FileInfoToDirEntry(c.info())
	}
	d.next += len(rest)
	return out, nil
}

// archiveFile streams an entry; ReadAt (event logs are read at offsets)
// reads a stored entry in place and a compressed one from a copy in memory
// or, beyond spoolInMemory, in a temporary file.
type archiveFile struct {
	a    *Archive
	info fs.FileInfo
	zf   *zip.File
	rc   io.ReadCloser

	once   sync.Once
	at     io.ReaderAt
	atErr  error
	spool  *os.File
	closed bool
}

// spoolInMemory is the largest entry ReadAt decompresses into memory (a
// variable for the tests).
var spoolInMemory int64 = 64 << 20

// maxSpool is the largest entry ReadAt decompresses at all: an entry of
// a few megabytes may expand a thousandfold, and event logs and dumps of
// real servers stay well below it.
var maxSpool int64 = 4 << 30

func (f *archiveFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *archiveFile) Read(p []byte) (int, error) { return f.rc.Read(p) }

func (f *archiveFile) ReadAt(p []byte, off int64) (int, error) {
	f.once.Do(f.prepareReadAt)
	if f.atErr != nil {
		return 0, f.atErr
	}
	return f.at.ReadAt(p, off)
}

func (f *archiveFile) prepareReadAt() {
	size := int64(f.zf.UncompressedSize64)
	if f.zf.Method == zip.Store && f.zf.CompressedSize64 == f.zf.UncompressedSize64 {
		if off, err := f.zf.DataOffset(); err == nil {
			f.at = io.NewSectionReader(f.a.data, off, size)
			return
		}
	}
	if size > maxSpool {
		f.atErr = fmt.Errorf("%d bytes once expanded: too large to read at offsets from inside it (at most %d); extract the archive and scan the folder", size, maxSpool)
		return
	}
	rc, err := f.zf.Open()
	if err != nil {
		f.atErr = err
		return
	}
	defer rc.Close()
	if size <= spoolInMemory {
		data, err := io.ReadAll(io.LimitReader(rc, size+1))
		if err != nil {
			f.atErr = err
			return
		}
		f.at = bytes.NewReader(data)
		return
	}
	tmp, err := os.CreateTemp("", "exhunt-spool-*")
	if err != nil {
		f.atErr = fmt.Errorf("no room to read it at offsets: %w", err)
		return
	}
	os.Remove(tmp.Name()) // gone when closed, whatever happens to the process (on Unix)
	if _, err := io.Copy(tmp, rc); err != nil {
		tmp.Close()
		f.atErr = err
		return
	}
	f.spool, f.at = tmp, tmp
}

func (f *archiveFile) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	if f.spool != nil {
		name := f.spool.Name()
		f.spool.Close()
		os.Remove(name) // Windows refuses to remove an open file
	}
	return f.rc.Close()
}

// Sub is the part of the archive below dir, as an archive of its own: a
// server's folder in an archive of several.
func (a *Archive) Sub(dir string) (*Archive, error) {
	n, err := a.node("sub", dir)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, &fs.PathError{Op: "sub", Path: dir, Err: errors.New("not a directory")}
	}
	a.shared.mu.Lock()
	a.shared.refs++
	a.shared.mu.Unlock()
	sub := *a
	sub.top = n
	sub.path = filepath.Join(a.path, filepath.FromSlash(dir))
	return &sub, nil
}
