// Package winreg reads offline Windows registry hive files (the "regf"
// format), such as Windows\System32\config\SOFTWARE copied out of a disk
// image of a Windows server.
//
// exhunt needs facts that an Exchange server records only in its registry:
// the install path and build under Microsoft\ExchangeServer\v15\Setup and the
// Windows version under Microsoft\Windows NT\CurrentVersion. The evidence is
// a disk image, not a running system, so there is no registry API to ask,
// and the tool must build without cgo for every platform, so libraries such
// as hivex cannot be used. This package parses the file format directly.
//
// A hive in evidence may be damaged or crafted by an attacker. Every offset,
// count and size read from the file is checked against the file's size and
// against the named limits below before it is used, so a hostile hive yields
// an error (wrapping ErrCorrupt) instead of a panic, an endless loop or an
// unbounded allocation.
//
// The file is read through an io.ReaderAt in small pieces with a bounded
// page cache rather than loaded whole: SOFTWARE hives are commonly 50-150
// MB, a lookup touches only a few hundred cells of them, and the reader may
// be a slow view into a compressed or remote disk image.
//
// Open does not apply transaction logs (.LOG, .LOG1, .LOG2): a hive whose
// last writes still sit in its logs reads as it was before those writes,
// and Dirty reports when the base block says so. Recover replays the logs
// into memory, without writing to any file, and reports what it applied.
//
// The package also contains Builder, which writes small but valid hives for
// tests and for exhunt's synthetic test-server generator.
package winreg

import (
	"bytes"
	"container/list"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrNotFound is wrapped by the errors of lookups for keys and values that
// the hive does not contain.
var ErrNotFound = errors.New("winreg: not found")

// ErrCorrupt is wrapped by the errors returned when the hive's structures are
// inconsistent: an offset outside the file, a wrong signature, a count that
// does not fit its cell, a cycle.
var ErrCorrupt = errors.New("winreg: corrupt hive")

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// Limits on what a hive may make the reader do. Real hives stay far below
// each of them; a file that exceeds one is corrupt or crafted.
const (
	// maxKeyDepth bounds how deep Subkeys may descend. Windows documents 512
	// levels as the depth limit of the registry tree, and the bound keeps
	// recursive walkers from running out of stack on a crafted chain of keys.
	maxKeyDepth = 512

	// maxSubkeysPerKey bounds the subkey references gathered for one key.
	// The largest keys in real SOFTWARE hives (Classes\CLSID, the
	// Installer\UserData components) hold up to about a hundred thousand.
	maxSubkeysPerKey = 1 << 18

	// maxCellSize bounds a single cell read. The largest legitimate cells
	// are value data in version 1.3 hives (at most 1 MiB, as the standard
	// format has no big data records) and subkey lists of 65535 entries.
	maxCellSize = 4 << 20

	// maxValueDataSize bounds the data of one value, including values
	// assembled from big data segments. Microsoft advises storing anything
	// over 2 KiB in a file instead; the values exhunt reads are a few bytes.
	maxValueDataSize = 32 << 20
)

// Layout of the file, from the format specification.
const (
	baseBlockSize  = 4096
	hbinHeaderSize = 32
	checksumOffset = 508

	// noCell marks an absent cell reference (an empty list, no class name).
	noCell = 0xFFFFFFFF

	// fileTypePrimary is the base block's file type of a hive; transaction
	// logs carry other types and a different layout.
	fileTypePrimary = 0
)

// Hive is an opened regf file. It is safe for concurrent use.
type Hive struct {
	file *pageCache

	// dataEnd is how many bytes of hive bins data can be read: the
	// declared size, cut to what the file really holds when it is
	// truncated.
	dataEnd int64

	rootOffset   uint32
	minorVersion uint32
	dirty        bool
}

// Open parses the base block of the hive file r (size bytes long) and checks
// its signature, version and file type. Keys and values are read on demand.
func Open(r io.ReaderAt, size int64) (*Hive, error) {
	if r == nil {
		return nil, errors.New("winreg: nil reader")
	}
	if size < baseBlockSize+hbinHeaderSize {
		return nil, fmt.Errorf("%w: file is %d bytes, too small for a regf base block and a hive bin", ErrCorrupt, size)
	}
	file := newPageCache(r, size)
	base, err := file.read(0, baseBlockSize)
	if err != nil {
		return nil, err
	}
	if string(base[0:4]) != "regf" {
		return nil, corruptf("no regf signature (found %q)", base[0:4])
	}
	le := binary.LittleEndian
	major, minor := le.Uint32(base[20:]), le.Uint32(base[24:])
	if major != 1 || minor < 3 || minor > 6 {
		return nil, fmt.Errorf("winreg: unsupported hive format version %d.%d (want 1.3 to 1.6)", major, minor)
	}
	if fileType := le.Uint32(base[28:]); fileType != fileTypePrimary {
		return nil, fmt.Errorf("winreg: file type %d is not a primary hive file (transaction logs are not hives)", fileType)
	}

	h := &Hive{
		file:         file,
		dataEnd:      size - baseBlockSize,
		rootOffset:   le.Uint32(base[36:]),
		minorVersion: minor,
		dirty:        le.Uint32(base[4:]) != le.Uint32(base[8:]) || baseBlockChecksum(base) != le.Uint32(base[checksumOffset:]),
	}
	// A declared size beyond the end of the file means the copy is
	// truncated; read what is there. A smaller one excludes trailing
	// padding, which holds no cells.
	if declared := int64(le.Uint32(base[40:])); declared > 0 && declared < h.dataEnd {
		h.dataEnd = declared
	}
	if h.dataEnd < hbinHeaderSize {
		return nil, corruptf("hive bins data is %d bytes, too small for a hive bin", h.dataEnd)
	}
	first, err := file.read(baseBlockSize, 4)
	if err != nil {
		return nil, err
	}
	if string(first) != "hbin" {
		return nil, corruptf("no hbin signature after the base block (found %q)", first)
	}
	return h, nil
}

// Dirty reports whether the base block says the hive was not cleanly
// written: its two sequence numbers differ or its checksum is wrong. The
// newest changes of a dirty hive are in its transaction logs, which Open
// does not apply; Recover does.
func (h *Hive) Dirty() bool { return h.dirty }

// Root returns the hive's root key.
func (h *Hive) Root() (*Key, error) {
	return h.keyAt(h.rootOffset, 0)
}

// baseBlockChecksum computes the XOR-32 checksum of the first 508 bytes of
// the base block. Windows never stores 0 or 0xFFFFFFFF there, as those
// values mean "unset" in memory, and substitutes 1 and 0xFFFFFFFE.
func baseBlockChecksum(base []byte) uint32 {
	var sum uint32
	for i := 0; i < checksumOffset; i += 4 {
		sum ^= binary.LittleEndian.Uint32(base[i:])
	}
	switch sum {
	case 0:
		return 1
	case 0xFFFFFFFF:
		return 0xFFFFFFFE
	}
	return sum
}

// cell returns the data of the allocated cell at off, an offset relative to
// the start of the hive bins data as all offsets in a hive are.
func (h *Hive) cell(off uint32) ([]byte, error) {
	if off < hbinHeaderSize || int64(off)+4 > h.dataEnd {
		return nil, corruptf("cell offset %#x is outside the hive bins data (%#x bytes)", off, h.dataEnd)
	}
	header, err := h.file.read(baseBlockSize+int64(off), 4)
	if err != nil {
		return nil, err
	}
	signedSize := int64(int32(binary.LittleEndian.Uint32(header)))
	if signedSize >= 0 {
		return nil, corruptf("cell at %#x is not allocated", off)
	}
	size := -signedSize
	switch {
	case size < 8:
		return nil, corruptf("cell at %#x has size %d, smaller than any record", off, size)
	case size > maxCellSize:
		return nil, corruptf("cell at %#x has size %d, over the %d byte limit", off, size, maxCellSize)
	case int64(off)+size > h.dataEnd:
		return nil, corruptf("cell at %#x (%d bytes) runs past the end of the hive bins data", off, size)
	}
	return h.file.read(baseBlockSize+int64(off)+4, int(size-4))
}

// hasSignature reports whether a record starts with the two-letter
// signature every record type carries.
func hasSignature(record []byte, signature string) bool {
	return len(record) >= 2 && bytes.Equal(record[:2], []byte(signature))
}

// pageCache reads a file through a bounded LRU cache of fixed-size pages.
// Cells of one key (its node, lists, values) are usually near each other, so
// a page read once serves many small reads.
type pageCache struct {
	r        io.ReaderAt
	size     int64
	capacity int // in pages

	mu    sync.Mutex
	pages map[int64]*list.Element // by page index
	lru   *list.List              // of *cachedPage, most recently used first
}

type cachedPage struct {
	index int64
	data  []byte
}

const (
	pageSize = 16 << 10
	// defaultCachedPages bounds the cache at 8 MiB per open hive.
	defaultCachedPages = 512
)

func newPageCache(r io.ReaderAt, size int64) *pageCache {
	return &pageCache{r: r, size: size, capacity: defaultCachedPages, pages: make(map[int64]*list.Element), lru: list.New()}
}

// read returns n bytes at off in a new slice the caller may keep.
func (c *pageCache) read(off int64, n int) ([]byte, error) {
	if off < 0 || n < 0 || off > c.size || int64(n) > c.size-off {
		return nil, corruptf("read of %d bytes at file offset %#x is outside the %d byte file", n, off, c.size)
	}
	out := make([]byte, n)
	c.mu.Lock()
	defer c.mu.Unlock()
	for done := 0; done < n; {
		pos := off + int64(done)
		page, err := c.page(pos / pageSize)
		if err != nil {
			return nil, err
		}
		done += copy(out[done:], page[pos%pageSize:])
	}
	return out, nil
}

// page returns the page with the given index; c.mu must be held.
func (c *pageCache) page(index int64) ([]byte, error) {
	if e, ok := c.pages[index]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*cachedPage).data, nil
	}
	start := index * pageSize
	data := make([]byte, min(pageSize, c.size-start))
	n, err := c.r.ReadAt(data, start)
	if n < len(data) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("winreg: reading %d bytes at file offset %#x: %w", len(data), start, err)
	}
	c.pages[index] = c.lru.PushFront(&cachedPage{index: index, data: data})
	if c.lru.Len() > c.capacity {
		oldest := c.lru.Remove(c.lru.Back()).(*cachedPage)
		delete(c.pages, oldest.index)
	}
	return data, nil
}
