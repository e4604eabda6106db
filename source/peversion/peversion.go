// Package peversion reads the version resource (VS_VERSIONINFO) of a
// Windows PE file, which is how exhunt learns the exact build of an
// Exchange server from a copy of it: the file version of
// V15\Bin\ExSetup.exe and of the other product binaries.
//
// The layout follows Microsoft's documentation of the PE format (the DOS
// header's e_lfanew, the COFF file header, the PE32 and PE32+ optional
// headers, the section table, the resource directory tree of
// IMAGE_RESOURCE_DIRECTORY, IMAGE_RESOURCE_DIRECTORY_ENTRY and
// IMAGE_RESOURCE_DATA_ENTRY) and of the version resource structures
// (VS_VERSIONINFO, VS_FIXEDFILEINFO, StringFileInfo, StringTable, String).
// All integers are little-endian; keys and strings are UTF-16LE; version
// blocks start 32-bit aligned.
//
// Every input is treated as hostile: only the headers, the section table,
// the three resource directories on the way to the version resource and
// the version resource itself are read, each checked against the file's
// size and fixed caps before anything is allocated, and the bytes read
// from one file are bounded by MaxRead however large the file is.
package peversion

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Limits on what is read from one file.
const (
	// MaxSections bounds the section table entries looked at.
	MaxSections = 1024
	// MaxEntries bounds the entries looked at in one resource directory.
	MaxEntries = 1024
	// MaxVersionSize bounds the size of the version resource read. Real
	// ones are one or two KiB.
	MaxVersionSize = 64 << 10
	// MaxRead bounds the bytes read from one file in all.
	MaxRead = 256 << 10
	// maxProblems bounds the problems kept for one file.
	maxProblems = 16
)

// RTVersion is the resource type of a version resource (RT_VERSION).
const RTVersion = 16

// fixedSignature starts VS_FIXEDFILEINFO.
const fixedSignature = 0xFEEF04BD

// Machine types of the COFF file header met in Exchange copies.
const (
	MachineI386  = 0x14c
	MachineAMD64 = 0x8664
	MachineARM64 = 0xaa64
)

// Errors of Read, to be told apart with errors.Is. The error returned
// wraps one of them and says what was wrong.
var (
	// ErrNotPE: the file is not a PE image (no MZ header, no PE
	// signature, or an optional header that is neither PE32 nor PE32+).
	ErrNotPE = errors.New("not a PE file")
	// ErrNoVersion: a sound PE file without a version resource.
	ErrNoVersion = errors.New("no version resource")
	// ErrDamaged: a PE file whose headers, resource directory or version
	// resource cannot be read as they claim to be.
	ErrDamaged = errors.New("damaged PE file")
)

// Version is a four-part version number, as in VS_FIXEDFILEINFO: the
// high and low words of the MS double word, then of the LS double word.
type Version [4]uint16

// String gives the version as "15.1.2176.9".
func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d.%d", v[0], v[1], v[2], v[3])
}

// IsZero tells whether all four parts are zero.
func (v Version) IsZero() bool { return v == Version{} }

// ParseVersion reads the version at the start of a version string as
// written in StringFileInfo: two to four decimal parts separated by dots
// or commas (spaces around them allowed), each at most 65535, optionally
// followed by a space and free text, as in "15.01.2176.009",
// "6, 1, 7601, 17514" or "10.0.17763.1 (WinBuild.160101.0800)". Missing
// parts are zero.
func ParseVersion(s string) (Version, bool) {
	var v Version
	s = strings.TrimSpace(s)
	parts := 0
	for parts < 4 {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i > 5 {
			return Version{}, false
		}
		n, err := strconv.ParseUint(s[:i], 10, 16)
		if err != nil {
			return Version{}, false
		}
		v[parts] = uint16(n)
		parts++
		s = strings.TrimLeft(s[i:], " ")
		if s == "" || parts == 4 {
			break
		}
		if s[0] != '.' && s[0] != ',' {
			if parts < 2 {
				return Version{}, false
			}
			break
		}
		s = strings.TrimLeft(s[1:], " ")
	}
	if parts < 2 {
		return Version{}, false
	}
	// Whatever follows the number must be set apart from it.
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		return Version{}, false
	}
	return v, true
}

// StringTable is one StringTable of StringFileInfo.
type StringTable struct {
	// Key is the table's key, the language and code page as eight hex
	// digits ("040904B0"); Language and CodePage are those parsed from
	// it (zero when it is not hex).
	Key      string
	Language uint16
	CodePage uint16
	// Strings are the table's strings by key. Of a key given twice the
	// first value is kept.
	Strings map[string]string
}

// Info is what was read from a PE file's version resource.
type Info struct {
	// Machine is the COFF header's machine type (MachineAMD64, ...).
	Machine uint16
	// PE32Plus tells a PE32+ (64-bit) optional header from a PE32 one.
	PE32Plus bool
	// ResourceID and Language are the name (ID) and language of the
	// version resource read: the first of each in the resource directory.
	// ResourceName is set instead of ResourceID when it is named.
	ResourceID   uint32
	ResourceName string
	Language     uint16

	// HasFixed tells whether VS_FIXEDFILEINFO was present and sound.
	HasFixed bool
	// FileVersion and ProductVersion come from VS_FIXEDFILEINFO. Without
	// it (HasFixed false) they are parsed from the first string table's
	// FileVersion and ProductVersion strings when those parse, and stay
	// zero otherwise.
	FileVersion    Version
	ProductVersion Version
	// FileFlags, FileOS and FileType are those of VS_FIXEDFILEINFO
	// (FileFlags already masked with dwFileFlagsMask).
	FileFlags, FileOS, FileType uint32
	// FileDate is VS_FIXEDFILEINFO's dwFileDateMS:dwFileDateLS, a FILETIME
	// (100 ns intervals since 1601); almost always zero.
	FileDate uint64

	// Strings are the strings of the first string table (CompanyName,
	// FileDescription, FileVersion, ProductName, ProductVersion,
	// OriginalFilename, InternalName, LegalCopyright, ...); empty when
	// there is none.
	Strings map[string]string
	// Tables are all the string tables, in the file's order.
	Tables []StringTable

	// Problems are the damaged parts of the version resource met after
	// something usable was read; the rest was read.
	Problems []string
}

func (in *Info) problem(format string, args ...any) {
	if len(in.Problems) < maxProblems {
		in.Problems = append(in.Problems, fmt.Sprintf(format, args...))
	} else if len(in.Problems) == maxProblems {
		in.Problems = append(in.Problems, "further problems not listed")
	}
}

var le = binary.LittleEndian

// reader reads within the file's size and the read budget.
type reader struct {
	r      io.ReaderAt
	size   int64
	budget int64
}

// read returns n bytes at off. n is always bounded by the caller's caps;
// it is checked against the file's size and the budget before allocating.
func (rd *reader) read(off int64, n int) ([]byte, error) {
	if off < 0 || n < 0 || off > rd.size || int64(n) > rd.size-off {
		return nil, fmt.Errorf("%d bytes at offset %d lie past the end of the file (%d bytes)", n, off, rd.size)
	}
	if int64(n) > rd.budget {
		return nil, fmt.Errorf("read limit of %d bytes reached", MaxRead)
	}
	rd.budget -= int64(n)
	buf := make([]byte, n)
	got, err := rd.r.ReadAt(buf, off)
	if got == n {
		return buf, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return nil, fmt.Errorf("reading %d bytes at offset %d: %w", n, off, err)
}

// section is the part of a section header used to map RVAs.
type section struct {
	name           string
	va, vsize      uint32
	rawPtr, rawLen uint32
}

// image is what the headers tell about mapping RVAs to the file.
type image struct {
	rd            *reader
	sizeOfHeaders uint32
	sections      []section
}

// at maps the n bytes at rva to a file offset: within one section's raw
// data, or within the headers when no section holds them.
func (im *image) at(rva uint32, n int) (int64, error) {
	end := uint64(rva) + uint64(n)
	for _, s := range im.sections {
		vsize := s.vsize
		if vsize == 0 {
			vsize = s.rawLen
		}
		if rva < s.va || uint64(rva) >= uint64(s.va)+uint64(vsize) {
			continue
		}
		if end > uint64(s.va)+uint64(s.rawLen) {
			return 0, fmt.Errorf("RVA 0x%x+%d runs past the data of section %q in the file", rva, n, s.name)
		}
		return int64(s.rawPtr) + int64(rva-s.va), nil
	}
	if end <= uint64(im.sizeOfHeaders) {
		return int64(rva), nil
	}
	return 0, fmt.Errorf("RVA 0x%x lies in no section", rva)
}

// readRVA reads n bytes at rva.
func (im *image) readRVA(rva uint32, n int) ([]byte, error) {
	off, err := im.at(rva, n)
	if err != nil {
		return nil, err
	}
	return im.rd.read(off, n)
}

func damaged(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDamaged, fmt.Sprintf(format, args...))
}

// headers reads the DOS, COFF and optional headers and the section table,
// and returns the resource directory's RVA (zero when there is none).
func headers(rd *reader, in *Info) (*image, uint32, error) {
	if rd.size < 0x40 {
		return nil, 0, fmt.Errorf("%w: %d bytes, too short for a DOS header", ErrNotPE, rd.size)
	}
	dos, err := rd.read(0, 0x40)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrNotPE, err)
	}
	if dos[0] != 'M' || dos[1] != 'Z' {
		return nil, 0, fmt.Errorf("%w: no MZ signature", ErrNotPE)
	}
	lfanew := int64(le.Uint32(dos[0x3c:]))
	if lfanew+24 > rd.size {
		return nil, 0, fmt.Errorf("%w: e_lfanew 0x%x points past the end of the file (a DOS program, or truncated)", ErrNotPE, lfanew)
	}
	coff, err := rd.read(lfanew, 24)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrNotPE, err)
	}
	if string(coff[:4]) != "PE\x00\x00" {
		return nil, 0, fmt.Errorf("%w: no PE signature at e_lfanew 0x%x", ErrNotPE, lfanew)
	}
	in.Machine = le.Uint16(coff[4:])
	nsections := int(le.Uint16(coff[6:]))
	optSize := int(le.Uint16(coff[20:]))
	if optSize < 2 {
		return nil, 0, fmt.Errorf("%w: optional header of %d bytes", ErrNotPE, optSize)
	}
	optOff := lfanew + 24
	// The largest optional header read is PE32+'s with 16 data
	// directories, 240 bytes; a larger one is read only that far.
	n := min(optSize, 240)
	opt, err := rd.read(optOff, n)
	if err != nil {
		return nil, 0, damaged("optional header: %v", err)
	}
	var dirs int // offset of the data directories in the optional header
	switch magic := le.Uint16(opt); magic {
	case 0x10b:
		dirs = 96
	case 0x20b:
		dirs = 112
		in.PE32Plus = true
	default:
		return nil, 0, fmt.Errorf("%w: optional header magic 0x%x is neither PE32 (0x10b) nor PE32+ (0x20b)", ErrNotPE, magic)
	}
	if len(opt) < 64 {
		return nil, 0, damaged("optional header of %d bytes, too short for its fields", optSize)
	}
	im := &image{rd: rd, sizeOfHeaders: le.Uint32(opt[60:])}
	var rsrcRVA uint32
	// The resource directory is data directory 2; an optional header too
	// short to hold it, or declaring fewer directories, has none.
	if len(opt) >= dirs+3*8 && le.Uint32(opt[dirs-4:]) > 2 {
		rsrcRVA = le.Uint32(opt[dirs+16:])
		if le.Uint32(opt[dirs+20:]) == 0 {
			rsrcRVA = 0
		}
	}
	if nsections > MaxSections {
		return nil, 0, damaged("%d sections, more than the %d looked at", nsections, MaxSections)
	}
	st, err := rd.read(optOff+int64(optSize), nsections*40)
	if err != nil {
		return nil, 0, damaged("section table of %d sections: %v", nsections, err)
	}
	for i := 0; i < nsections; i++ {
		h := st[i*40:]
		im.sections = append(im.sections, section{
			name:   strings.TrimRight(string(h[:8]), "\x00"),
			vsize:  le.Uint32(h[8:]),
			va:     le.Uint32(h[12:]),
			rawLen: le.Uint32(h[16:]),
			rawPtr: le.Uint32(h[20:]),
		})
	}
	return im, rsrcRVA, nil
}

// entry is an IMAGE_RESOURCE_DIRECTORY_ENTRY.
type entry struct {
	name   uint32 // an ID, or with the high bit a name string offset
	target uint32 // with the high bit a subdirectory offset, else a data entry offset
}

func (e entry) named() bool  { return e.name&0x80000000 != 0 }
func (e entry) subdir() bool { return e.target&0x80000000 != 0 }

// directory reads the entries of the resource directory at offset off
// from the resource section's start (rsrc, an RVA); of more than limit,
// only the first limit are returned, with total telling how many there
// are.
func (im *image) directory(rsrc, off uint32, limit int, what string) (es []entry, total int, err error) {
	rva := rsrc + off
	if rva < rsrc {
		return nil, 0, damaged("%s directory offset 0x%x overflows", what, off)
	}
	h, err := im.readRVA(rva, 16)
	if err != nil {
		return nil, 0, damaged("%s directory: %v", what, err)
	}
	total = int(le.Uint16(h[12:])) + int(le.Uint16(h[14:]))
	n := min(total, limit)
	if n == 0 {
		return nil, total, nil
	}
	b, err := im.readRVA(rva+16, n*8)
	if err != nil {
		return nil, 0, damaged("%s directory of %d entries: %v", what, total, err)
	}
	for i := 0; i < n; i++ {
		es = append(es, entry{le.Uint32(b[i*8:]), le.Uint32(b[i*8+4:])})
	}
	return es, total, nil
}

// name reads an IMAGE_RESOURCE_DIR_STRING_U (a count of UTF-16 units, then
// the units) at offset off from the resource section's start.
func (im *image) name(rsrc, off uint32) (string, error) {
	h, err := im.readRVA(rsrc+off, 2)
	if err != nil {
		return "", err
	}
	n := int(le.Uint16(h))
	b, err := im.readRVA(rsrc+off+2, 2*n)
	if err != nil {
		return "", err
	}
	return decode(b), nil
}

// decode decodes UTF-16LE up to the first NUL.
func decode(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := le.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// Read reads the version resource of the PE file in r, which is size bytes
// long. The error wraps ErrNotPE, ErrNoVersion or ErrDamaged. Damage in the
// string tables after a sound fixed info or some strings is not an error
// but listed in Info.Problems.
func Read(r io.ReaderAt, size int64) (*Info, error) {
	rd := &reader{r: r, size: size, budget: MaxRead}
	in := &Info{}
	im, rsrc, err := headers(rd, in)
	if err != nil {
		return nil, err
	}
	if rsrc == 0 {
		return nil, fmt.Errorf("%w: the file has no resource directory", ErrNoVersion)
	}

	// The tree has three levels: type, name, language. The version
	// resource is the first name and the first language under type 16;
	// of those two directories only the first entry is read.
	// Each level is read once, so a subdirectory pointing back up cannot
	// make a loop: at the last level it is refused as not a data entry.
	es, total, err := im.directory(rsrc, 0, MaxEntries, "root resource")
	if err != nil {
		return nil, err
	}
	var typ *entry
	for i := range es {
		if !es[i].named() && es[i].name == RTVersion {
			typ = &es[i]
			break
		}
	}
	if typ == nil {
		if total > len(es) {
			return nil, damaged("root resource directory declares %d entries; the first %d looked at hold no version resource", total, len(es))
		}
		return nil, fmt.Errorf("%w: no resource of type %d among the %d types", ErrNoVersion, RTVersion, total)
	}
	if !typ.subdir() {
		return nil, damaged("the version resource type entry points to data, not to a directory")
	}
	es, _, err = im.directory(rsrc, typ.target&^0x80000000, 1, "version resource name")
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("%w: the version resource directory is empty", ErrNoVersion)
	}
	nameEntry := es[0]
	if !nameEntry.subdir() {
		return nil, damaged("the version resource name entry points to data, not to a language directory")
	}
	if nameEntry.named() {
		s, err := im.name(rsrc, nameEntry.name&^0x80000000)
		if err != nil {
			return nil, damaged("version resource name: %v", err)
		}
		in.ResourceName = s
	} else {
		in.ResourceID = nameEntry.name
	}
	es, _, err = im.directory(rsrc, nameEntry.target&^0x80000000, 1, "version resource language")
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("%w: the version resource language directory is empty", ErrNoVersion)
	}
	lang := es[0]
	if lang.subdir() {
		return nil, damaged("the version resource language entry points to a fourth directory level, not to data")
	}
	in.Language = uint16(lang.name)
	if lang.named() || lang.name > 0xffff {
		in.Language = 0
	}
	deRVA := rsrc + lang.target
	if deRVA < rsrc {
		return nil, damaged("data entry offset 0x%x overflows", lang.target)
	}
	de, err := im.readRVA(deRVA, 16)
	if err != nil {
		return nil, damaged("version resource data entry: %v", err)
	}
	dataRVA, dataSize := le.Uint32(de), le.Uint32(de[4:])
	if dataSize == 0 {
		return nil, damaged("the version resource is empty")
	}
	if dataSize > MaxVersionSize {
		return nil, damaged("the version resource claims %d bytes, more than the %d read", dataSize, MaxVersionSize)
	}
	data, err := im.readRVA(dataRVA, int(dataSize))
	if err != nil {
		return nil, damaged("version resource data: %v", err)
	}
	if err := parseVersionInfo(data, in); err != nil {
		return nil, err
	}
	return in, nil
}

// block is one version resource block within a buffer.
type block struct {
	key        string
	valueLen   int // wValueLength as written
	value      int // offset of the value
	children   int // offset of the first child (after the value, aligned)
	end        int // offset past the block (start + wLength)
	start, typ int
}

// align4 rounds n up to a multiple of 4.
func align4(n int) int { return (n + 3) &^ 3 }

// parseBlock reads the block at off, which must end by limit.
func parseBlock(b []byte, off, limit int) (block, error) {
	if off+6 > limit {
		return block{}, fmt.Errorf("block at offset %d: %d bytes left, too few for a header", off, limit-off)
	}
	k := block{start: off}
	length := int(le.Uint16(b[off:]))
	k.valueLen = int(le.Uint16(b[off+2:]))
	k.typ = int(le.Uint16(b[off+4:]))
	if length < 6 {
		return block{}, fmt.Errorf("block at offset %d claims %d bytes, fewer than its header", off, length)
	}
	if off+length > limit {
		return block{}, fmt.Errorf("block at offset %d claims %d bytes; only %d are left in its parent", off, length, limit-off)
	}
	k.end = off + length
	i := off + 6
	for ; i+1 < k.end; i += 2 {
		if le.Uint16(b[i:]) == 0 {
			break
		}
	}
	if i+1 >= k.end {
		return block{}, fmt.Errorf("block at offset %d: key without its terminator", off)
	}
	k.key = decode(b[off+6 : i])
	k.value = min(align4(i+2), k.end)
	return k, nil
}

// children calls f for each child block of k, each starting 32-bit
// aligned; it stops at the first damaged child.
func children(b []byte, k block, f func(block) error) error {
	for off := align4(k.children); off < k.end; {
		c, err := parseBlock(b, off, k.end)
		if err != nil {
			return err
		}
		if err := f(c); err != nil {
			return err
		}
		off = align4(c.end) // c.end > off: a block is at least 6 bytes
	}
	return nil
}

// parseVersionInfo reads VS_VERSIONINFO from data.
func parseVersionInfo(data []byte, in *Info) error {
	root, err := parseBlock(data, 0, len(data))
	if err != nil {
		return damaged("VS_VERSIONINFO: %v", err)
	}
	if root.key != "VS_VERSION_INFO" {
		return damaged("version resource key is %q, not VS_VERSION_INFO", truncate(root.key))
	}
	// The fixed info's wValueLength counts bytes.
	root.children = root.value + root.valueLen
	if root.children > root.end {
		return damaged("VS_VERSIONINFO: fixed info of %d bytes runs past the block's %d", root.valueLen, root.end)
	}
	switch {
	case root.valueLen == 0:
		// No fixed info: the strings are all there is.
	case root.valueLen < 52:
		in.problem("fixed info of %d bytes, shorter than VS_FIXEDFILEINFO's 52", root.valueLen)
	default:
		v := data[root.value:]
		if sig := le.Uint32(v); sig != fixedSignature {
			in.problem("fixed info signature 0x%08x, not 0x%08x", sig, uint32(fixedSignature))
			break
		}
		in.HasFixed = true
		ms, ls := le.Uint32(v[8:]), le.Uint32(v[12:])
		in.FileVersion = Version{uint16(ms >> 16), uint16(ms), uint16(ls >> 16), uint16(ls)}
		ms, ls = le.Uint32(v[16:]), le.Uint32(v[20:])
		in.ProductVersion = Version{uint16(ms >> 16), uint16(ms), uint16(ls >> 16), uint16(ls)}
		in.FileFlags = le.Uint32(v[28:]) & le.Uint32(v[24:])
		in.FileOS = le.Uint32(v[32:])
		in.FileType = le.Uint32(v[36:])
		in.FileDate = uint64(le.Uint32(v[44:]))<<32 | uint64(le.Uint32(v[48:]))
	}

	err = children(data, root, func(c block) error {
		if c.key != "StringFileInfo" {
			return nil // VarFileInfo and anything else
		}
		c.children = c.value
		return children(data, c, func(t block) error {
			t.children = t.value
			table := StringTable{Key: t.key, Strings: map[string]string{}}
			if len(t.key) == 8 {
				if n, err := strconv.ParseUint(t.key, 16, 32); err == nil {
					table.Language, table.CodePage = uint16(n>>16), uint16(n)
				}
			}
			// Kept even when a string in it is damaged, with the
			// strings before the damage.
			in.Tables = append(in.Tables, table)
			return children(data, t, func(s block) error {
				// The value runs to the end of the block (a String has
				// no children) and stops at its terminator; its
				// wValueLength, in words, is not always right.
				if _, dup := table.Strings[s.key]; !dup {
					table.Strings[s.key] = decode(data[s.value:s.end])
				}
				return nil
			})
		})
	})
	if len(in.Tables) > 0 {
		in.Strings = in.Tables[0].Strings
	} else {
		in.Strings = map[string]string{}
	}
	if err != nil {
		if !in.HasFixed && len(in.Strings) == 0 {
			return damaged("VS_VERSIONINFO: %v", err)
		}
		in.problem("string tables: %v", err)
	}
	if !in.HasFixed {
		if len(in.Strings) == 0 {
			if len(in.Problems) > 0 {
				return damaged("VS_VERSIONINFO: %s, and no strings", in.Problems[0])
			}
			return fmt.Errorf("%w: the version resource holds neither fixed info nor strings", ErrNoVersion)
		}
		if v, ok := ParseVersion(in.Strings["FileVersion"]); ok {
			in.FileVersion = v
		}
		if v, ok := ParseVersion(in.Strings["ProductVersion"]); ok {
			in.ProductVersion = v
		}
	}
	return nil
}

// truncate shortens a string read from the file for an error message.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// ReadFS reads the version resource of the file name in fsys. The file is
// read through io.ReaderAt when it provides it (os.DirFS, fstest.MapFS),
// else through io.Seeker; a file with neither is read into memory, which
// is refused beyond MaxFSCopy bytes.
func ReadFS(fsys fs.FS, name string) (*Info, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: %w: a directory", name, ErrNotPE)
	}
	size := st.Size()
	var ra io.ReaderAt
	switch g := f.(type) {
	case io.ReaderAt:
		ra = g
	case io.ReadSeeker:
		ra = &seekReaderAt{g}
	default:
		if size > MaxFSCopy {
			return nil, fmt.Errorf("%s: %d bytes, more than the %d read into memory from a file that cannot seek", name, size, int64(MaxFSCopy))
		}
		b, err := io.ReadAll(io.LimitReader(f, MaxFSCopy+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if int64(len(b)) > MaxFSCopy {
			return nil, fmt.Errorf("%s: more than the %d bytes read into memory from a file that cannot seek", name, int64(MaxFSCopy))
		}
		ra, size = bytesReaderAt(b), int64(len(b))
	}
	in, err := Read(ra, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return in, nil
}

// MaxFSCopy bounds the bytes ReadFS reads into memory from a file that
// offers neither ReadAt nor Seek (ExSetup.exe is some tens of MB).
const MaxFSCopy = 256 << 20

// seekReaderAt reads at an offset by seeking first.
type seekReaderAt struct{ rs io.ReadSeeker }

func (s *seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if _, err := s.rs.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(s.rs, p)
}

// bytesReaderAt reads a byte slice.
type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
