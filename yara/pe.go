package yara

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
)

// This file parses PE files (PE32 and PE32+) as yara 4.2.3's pe module
// does, quirks included, so that rules decide the same: the checks yara
// makes (and the ones it does not make) decide what is defined, and the
// values are computed as yara computes them (an entry point that maps to
// no file offset is -1, is_dll() is the DLL bit 0x2000, the functions of
// import_details[i] are numbered on from those of the DLLs before it, …).
//
// Every offset and count read from the file is bounded and checked before
// use; nothing here can index outside the data or panic. The counts are
// capped as yara caps them (96 sections, 16384 imported DLLs and 16384
// imported functions, 8192 exports, 65537 resources; the delay-load
// functions, which yara does not cap, at 16384 too) and the work spent
// scanning strings and tables and walking the resource tree is bounded by
// maxPEWork (yara's is not: a crafted file can make it quadratic); a file
// that needs more is parsed up to that point.

// Limits as yara 4.2's.
const (
	peMaxSections      = 96
	peMaxImports       = 16384 // DLLs, and functions in all
	peMaxExports       = 8192
	peMaxExportName    = 512
	peMaxImportName    = 512
	peMaxResources     = 65536 // yara collects one more than this
	peVersionKeySize   = 64    // key buffer, NUL included
	peVersionValueSize = 256   // value buffer, NUL included
)

// maxPEWork bounds the bytes scanned and the resource directory entries
// visited while parsing one file.
const maxPEWork = 1 << 26

// yara's YR_UNDEFINED, 0xFFFABADAFABADAFF, is a value to its pe module:
// pe.locale and pe.language read it as the language of a resource whose
// language is named, and a delay-load pointer of that value ends its table
// (it is what yara returns for a pointer outside the data). (Rules cannot
// pass it to a function: to yara that integer is undefined.)
const (
	peUndefined = -0x0005452505452501 // as an int64
	yrUndefined = 0xFFFABADAFABADAFF  // as a uint64
)

const (
	peDOSHeaderSize  = 64
	peFileHeaderSize = 20
	peOptional32Size = 224
	peOptional64Size = 240
	peSectionSize    = 40
	peMagic64        = 0x20b
	peImageFileDLL   = 0x2000
)

func le16(b []byte, off int64) uint16 {
	return binary.LittleEndian.Uint16(b[off : off+2])
}

func le32(b []byte, off int64) uint32 {
	return binary.LittleEndian.Uint32(b[off : off+4])
}

func le64(b []byte, off int64) uint64 {
	return binary.LittleEndian.Uint64(b[off : off+8])
}

// peSection is one entry of the section table.
type peSection struct {
	name         []byte // the 8 bytes with trailing NULs removed
	fullName     value  // string or undefined
	vsize, va    uint32
	rawSize      uint32
	rawPtr       uint32
	relocPtr     uint32
	linePtr      uint32
	nRelocs      uint16
	nLines       uint16
	chars        uint32
	fullNameDone bool
}

// peImportFunc is one imported function: named, or by ordinal (then name
// is what yara's ord_lookup gives: a known name or "ordN").
type peImportFunc struct {
	name       []byte
	ordinal    uint16
	hasOrdinal bool
}

// peImportDLL is one DLL of the import directory (with at least one
// function) or of the delay-load import directory.
type peImportDLL struct {
	name  []byte
	funcs []peImportFunc
	base  int // the functions of the DLLs before it: see import_details
}

// peExport is one entry of the export address table.
type peExport struct {
	ordinal int64
	offset  value // integer, or undefined for a forwarder
	name    value // string or undefined
	forward value // string or undefined
}

// peResource is one leaf of the resource tree: its type, id and language
// are numbers, or UTF-16 strings when named (then the numbers are
// undefined).
type peResource struct {
	rva, length              uint32
	offset                   int64 // -1: undefined
	typ, id, lang            int32
	typStr, nameStr, langStr []byte // nil when numbered
}

// resourceValue is a number or its string: the one defined.
func resourceValue(s []byte, n int32, str bool) value {
	switch {
	case s != nil && str:
		return vstr(s)
	case s == nil && !str:
		return vint(int64(n))
	}
	return undef
}

type peKV struct{ key, value []byte }

// peFile is a parsed PE file; the imports, exports and resources are
// parsed on first use.
type peFile struct {
	data  []byte
	nt    int64 // e_lfanew: the PE signature
	opt   int64 // the optional header
	is64  bool
	nSecs uint16
	// secs are the section headers in the file among the first
	// min(NumberOfSections, 96); rvaOK is false when one of those is not
	// in the file, and then yara's rva_to_offset fails for every address.
	secs  []peSection
	rvaOK bool
	align uint32 // min(FileAlignment, 0x200)

	work int64 // work spent, bounded by maxPEWork

	importsDone bool
	imports     []peImportDLL
	nImports    int
	nImpFuncs   int

	delayedDone   bool
	delayed       []peImportDLL
	nDelayedFuncs int

	exportsDone     bool
	exports         []peExport
	exportsOK       bool // the export directory was found (export_timestamp)
	exportTimestamp uint32
	dllName         value

	resourcesDone bool
	resources     []peResource
	rsrcDirOK     bool
	rsrcTimestamp uint32
	rsrcMajor     uint16
	rsrcMinor     uint16
	versionList   []peKV
	versionKeys   map[string]int // key -> index into versionDict
	versionDict   []peKV

	debugDone bool
	pdbPath   value

	richDone bool
	rich     int64 // offset of the Rich header ("DanS"), -1 when none
	richLen  int64
	richKey  uint32

	imphashDone bool
	imphash     string

	checksumDone bool
	checksum     int64
}

// spend charges n units of work; false once the budget is exhausted.
func (p *peFile) spend(n int64) bool {
	p.work += n
	return p.work <= maxPEWork
}

// fits reports whether size bytes at off are inside the data (yara's
// fits_in_pe).
func (p *peFile) fits(off, size int64) bool {
	return off >= 0 && size >= 0 && size <= int64(len(p.data)) && off <= int64(len(p.data))-size
}

// parsePE parses the headers and the section table; nil when the data is
// not a PE file as yara's pe_get_header decides.
func parsePE(data []byte) *peFile {
	n := int64(len(data))
	if n < peDOSHeaderSize || le16(data, 0) != 0x5a4d {
		return nil
	}
	lfanew := int64(int32(le32(data, 0x3c)))
	if lfanew < 0 {
		return nil
	}
	hs := lfanew + 4 + peFileHeaderSize
	if n < hs || le32(data, lfanew) != 0x4550 {
		return nil
	}
	if n < hs+peOptional32Size {
		return nil
	}
	p := &peFile{data: data, nt: lfanew, opt: hs}
	p.is64 = le16(data, hs) == peMagic64
	if p.is64 {
		hs += peOptional64Size
	} else {
		hs += peOptional32Size
	}
	if n < hs {
		return nil
	}
	p.nSecs = le16(data, lfanew+4+2)
	p.align = min(p.u32(36), 0x200)
	first := p.opt + int64(le16(data, lfanew+4+16)) // SizeOfOptionalHeader
	want := min(int(p.nSecs), peMaxSections)
	for i := range want {
		off := first + int64(i)*peSectionSize
		if !p.fits(off, peSectionSize) {
			break
		}
		s := peSection{
			vsize:    le32(data, off+8),
			va:       le32(data, off+12),
			rawSize:  le32(data, off+16),
			rawPtr:   le32(data, off+20),
			relocPtr: le32(data, off+24),
			linePtr:  le32(data, off+28),
			nRelocs:  le16(data, off+32),
			nLines:   le16(data, off+34),
			chars:    le32(data, off+36),
		}
		name := data[off : off+8]
		l := 8
		for l > 0 && name[l-1] == 0 {
			l--
		}
		s.name = name[:l]
		p.secs = append(p.secs, s)
	}
	p.rvaOK = len(p.secs) == want
	return p
}

// u16, u32 and u64 read the optional header at off (always inside the
// data: parsePE checked the header's size).
func (p *peFile) u16(off int64) uint16 { return le16(p.data, p.opt+off) }
func (p *peFile) u32(off int64) uint32 { return le32(p.data, p.opt+off) }
func (p *peFile) u64(off int64) uint64 { return le64(p.data, p.opt+off) }

// fileHeader reads the COFF file header field at off.
func (p *peFile) fh16(off int64) uint16 { return le16(p.data, p.nt+4+off) }
func (p *peFile) fh32(off int64) uint32 { return le32(p.data, p.nt+4+off) }

func (p *peFile) characteristics() int64 { return int64(p.fh16(18)) }

// entryPoint is AddressOfEntryPoint as a file offset, -1 when it maps to
// none (yara 4.2 stores the -1).
func (p *peFile) entryPoint() int64 { return p.rvaToOffset(uint64(p.u32(16))) }

func (p *peFile) imageBase() int64 {
	if p.is64 {
		return int64(p.u64(24))
	}
	return int64(p.u32(28))
}

// ptrField reads a field that is 4 bytes in PE32 and 8 in PE32+: the
// stack and heap sizes.
func (p *peFile) ptrField(i int) int64 {
	if p.is64 {
		return int64(p.u64(72 + int64(i)*8))
	}
	return int64(p.u32(72 + int64(i)*4))
}

func (p *peFile) loaderFlags() int64 {
	if p.is64 {
		return int64(p.u32(104))
	}
	return int64(p.u32(88))
}

func (p *peFile) numberOfRvaAndSizes() uint32 {
	if p.is64 {
		return p.u32(108)
	}
	return p.u32(92)
}

func (p *peFile) dataDirOffset() int64 {
	if p.is64 {
		return p.opt + 112
	}
	return p.opt + 96
}

// dataDirectories is the number of data_directories entries yara sets: it
// reads NumberOfRvaAndSizes into an int.
func (p *peFile) dataDirectories() int {
	n := int64(int32(p.numberOfRvaAndSizes()))
	n = min(n, 16)
	base := p.dataDirOffset()
	for i := range n {
		if !p.fits(base+8*i, 8) {
			return int(i)
		}
	}
	return int(max(n, 0))
}

func (p *peFile) dataDir(i int) (va, size uint32) {
	off := p.dataDirOffset() + 8*int64(i)
	return le32(p.data, off), le32(p.data, off+4)
}

// directory is yara's pe_get_directory_entry: the data directory entry,
// ok false when NumberOfRvaAndSizes is below the index (not "at or below":
// yara's check is off by one) or it is not in the file.
func (p *peFile) directory(entry int) (va, size uint32, ok bool) {
	if (entry != 14 || p.is64) && p.numberOfRvaAndSizes() < uint32(entry) {
		return 0, 0, false
	}
	off := p.dataDirOffset() + 8*int64(entry)
	if !p.fits(off, 8) {
		return 0, 0, false
	}
	return le32(p.data, off), le32(p.data, off+4), true
}

// rvaToOffset is yara's pe_rva_to_offset: the file offset of an RVA, or -1.
func (p *peFile) rvaToOffset(rva uint64) int64 {
	if !p.rvaOK {
		return -1
	}
	lowest := uint32(0xffffffff)
	var secRVA, secOff, secRaw uint32
	for i := range p.secs {
		s := &p.secs[i]
		if lowest > s.va {
			lowest = s.va
		}
		if rva >= uint64(s.va) && rva-uint64(s.va) < uint64(s.vsize) && secRVA <= s.va {
			secRVA, secOff, secRaw = s.va, s.rawPtr, s.rawSize
			if p.align != 0 {
				secOff -= secOff % p.align
			}
		}
	}
	if rva < uint64(lowest) {
		secRVA, secOff, secRaw = 0, 0, uint32(len(p.data))
	}
	if rva-uint64(secRVA) >= uint64(secRaw) {
		return -1
	}
	r := uint64(secOff) + (rva - uint64(secRVA))
	if r >= uint64(len(p.data)) {
		return -1
	}
	return int64(r)
}

// cstring returns the bytes at off up to a NUL, at most limit of them
// (the end of the data ends it too); the scan is charged to the budget.
func (p *peFile) cstring(off int64, limit int) []byte {
	if off < 0 || off >= int64(len(p.data)) {
		return nil
	}
	b := p.data[off:]
	if len(b) > limit {
		b = b[:limit]
	}
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	p.spend(int64(len(b)))
	return b
}

// overlay returns overlay.offset and overlay.size.
func (p *peFile) overlay() (int64, int64) {
	var hiOff, hiSize uint64
	for _, s := range p.secs {
		end := uint64(s.rawPtr) + uint64(s.rawSize)
		if end > hiOff+hiSize {
			hiOff, hiSize = uint64(s.rawPtr), uint64(s.rawSize)
		}
	}
	last := hiOff + hiSize
	if last != 0 && uint64(len(p.data)) > last {
		return int64(last), int64(uint64(len(p.data)) - last)
	}
	return 0, 0
}

func isPrint(c byte) bool { return c >= 0x20 && c < 0x7f }

// sectionFullName is yara's pe_get_section_full_name: the name, or for a
// name "/N" in a file with a COFF symbol table the printable string at N
// in the string table after it (undefined when it is not one).
func (p *peFile) sectionFullName(i int) value {
	s := &p.secs[i]
	if s.fullNameDone {
		return s.fullName
	}
	s.fullNameDone = true
	s.fullName = undef
	coff := uint64(p.fh32(8))
	if coff == 0 || len(s.name) == 0 || s.name[0] != '/' {
		s.fullName = vstr(s.name)
		return s.fullName
	}
	pos := coff + uint64(p.fh32(12))*18
	var idx uint64
	for k := 1; k < 8 && k < len(s.name) && s.name[k] >= '0' && s.name[k] <= '9'; k++ {
		idx = idx*10 + uint64(s.name[k]-'0')
	}
	pos += idx
	if pos >= uint64(len(p.data)) {
		return s.fullName
	}
	for k, c := range p.data[pos:] {
		if !p.spend(1) {
			return s.fullName
		}
		if c == 0 {
			s.fullName = vstr(p.data[pos : pos+uint64(k)])
			return s.fullName
		}
		if !isPrint(c) {
			return s.fullName
		}
	}
	return s.fullName
}

// validDLLName is yara's pe_valid_dll_name over the bytes from off to the
// end of the data: a NUL-terminated name of at least one character
// without control characters or "*<>?|.
func (p *peFile) validDLLName(off int64) ([]byte, bool) {
	b := p.data[off:]
	for i, c := range b {
		if c == 0 {
			p.spend(int64(i))
			return b[:i], i > 0
		}
		if c < ' ' || c == '"' || c == '*' || c == '<' || c == '>' || c == '?' || c == '|' {
			p.spend(int64(i))
			return nil, false
		}
	}
	p.spend(int64(len(b)))
	return nil, false
}

// parseImports walks the import directory as yara's pe_parse_imports.
func (p *peFile) parseImports() {
	if p.importsDone {
		return
	}
	p.importsDone = true
	va, _, ok := p.directory(1)
	if !ok || va == 0 {
		return
	}
	off := p.rvaToOffset(uint64(va))
	if off < 0 {
		return
	}
	total := 0
	for d := off; p.fits(d, 20) && le32(p.data, d+12) != 0 && p.nImports < peMaxImports; d += 20 {
		if !p.spend(20) {
			break
		}
		nameOff := p.rvaToOffset(uint64(le32(p.data, d+12)))
		if nameOff >= 0 {
			name, ok := p.validDLLName(nameOff)
			if !ok {
				continue // yara does not count it
			}
			funcs := p.importFuncs(d, name)
			if len(funcs) > 0 {
				p.imports = append(p.imports, peImportDLL{name: name, funcs: funcs, base: total})
				total += len(funcs)
			}
		}
		p.nImports++
	}
}

// importFuncs reads the thunks of one import descriptor.
func (p *peFile) importFuncs(desc int64, dll []byte) []peImportFunc {
	off := p.rvaToOffset(uint64(le32(p.data, desc))) // OriginalFirstThunk
	if off <= 0 {
		off = p.rvaToOffset(uint64(le32(p.data, desc+16))) // FirstThunk
	}
	if off < 0 {
		return nil
	}
	size := int64(4)
	flag := uint64(1) << 31
	if p.is64 {
		size, flag = 8, 1<<63
	}
	var out []peImportFunc
	for t := off; p.fits(t, size) && p.nImpFuncs < peMaxImports; t += size {
		var v uint64
		if p.is64 {
			v = le64(p.data, t)
		} else {
			v = uint64(le32(p.data, t))
		}
		if v == 0 || !p.spend(size) {
			break
		}
		if v&flag == 0 {
			o := p.rvaToOffset(v)
			if o >= 0 && p.fits(o, 3) { // IMAGE_IMPORT_BY_NAME: Hint, Name[1]
				out = append(out, peImportFunc{name: p.cstring(o+2, peMaxImportName)})
			}
		} else {
			ord := uint16(v)
			out = append(out, peImportFunc{name: ordinalName(dll, ord), ordinal: ord, hasOrdinal: true})
		}
		p.nImpFuncs++
	}
	return out
}

// normalizeDelay is yara's pe_normalize_delay_import_value: a virtual
// address above the image base made relative to it.
func normalizeDelay(base, va uint64) uint64 {
	if va != 0 && va > base {
		return va - base
	}
	return va
}

// parseDelayed walks the delay-load import directory as yara's
// pe_parse_delayed_imports. yara caps neither the DLLs nor the functions;
// here the functions are capped at 16384 in all, as the other imports.
func (p *peFile) parseDelayed() {
	if p.delayedDone {
		return
	}
	p.delayedDone = true
	va, _, ok := p.directory(13)
	if !ok || va == 0 {
		return
	}
	off := p.rvaToOffset(uint64(va))
	if off < 0 {
		return
	}
	d := p.data
	base := uint64(p.imageBase())
	soi := uint64(p.u32(56)) // SizeOfImage
	ptr := int64(4)
	flag := uint64(1) << 31
	if p.is64 {
		ptr, flag = 8, 1<<63
	}
	pointer := func(rva uint64) uint64 {
		o := p.rvaToOffset(rva)
		if !p.fits(o, ptr) {
			return yrUndefined
		}
		if p.is64 {
			return le64(d, o)
		}
		return uint64(le32(d, o))
	}
	for desc := off; p.fits(desc, 32) && p.spend(32); desc += 32 {
		var f [8]uint32
		zero := true
		for i := range f {
			f[i] = le32(d, desc+4*int64(i))
			zero = zero && f[i] == 0
		}
		if zero {
			break
		}
		attrs := f[0]
		if attrs > 1 {
			break
		}
		if !p.is64 && attrs == 0 {
			for i := 1; i < 7; i++ {
				f[i] = uint32(normalizeDelay(base, uint64(f[i])))
			}
		}
		nameRVA, iat, int_ := f[1], f[3], f[4]
		if uint64(int_) >= soi || uint64(iat) >= soi || nameRVA < 64 || int_ < 64 {
			break
		}
		no := p.rvaToOffset(uint64(nameRVA))
		if no < 0 {
			continue
		}
		name, ok := p.validDLLName(no)
		if !ok {
			continue
		}
		dll := peImportDLL{name: name}
		nameAt, funcAt := uint64(int_), uint64(iat)
		for p.nDelayedFuncs < peMaxImports && p.spend(ptr) {
			na, fa := pointer(nameAt), pointer(funcAt)
			if na == yrUndefined || fa == yrUndefined || na == 0 || fa == 0 {
				break
			}
			var fn peImportFunc
			if na&flag == 0 {
				if attrs == 0 {
					na = normalizeDelay(base, na)
				}
				// yara reads the name at the offset of the address + 2,
				// and an empty name when there is none
				fn.name = p.cstring(p.rvaToOffset(na+2), peMaxImportName)
				if fn.name == nil {
					fn.name = []byte{}
				}
			} else {
				fn = peImportFunc{name: ordinalName(name, uint16(na)), ordinal: uint16(na), hasOrdinal: true}
			}
			dll.funcs = append(dll.funcs, fn)
			p.nDelayedFuncs++
			nameAt += uint64(ptr)
			funcAt += uint64(ptr)
		}
		p.delayed = append(p.delayed, dll)
	}
}

// parseRich finds the Rich header as yara's pe_parse_rich_signature:
// going back 4 bytes at a time from e_lfanew to the end of the DOS header,
// the last "Rich" followed by a non-zero key, then before it the "DanS"
// that key decodes, followed by three copies of the key.
func (p *peFile) parseRich() {
	if p.richDone {
		return
	}
	p.richDone = true
	p.rich = -1
	d := p.data
	if p.nt < 4 {
		return
	}
	var key uint32
	at := p.nt - 4
	rich := int64(-1)
	for ; at >= peDOSHeaderSize; at -= 4 {
		if le32(d, at) == 0x68636952 { // "Rich"
			key, rich = le32(d, at+4), at
			at -= 4
			break
		}
	}
	if key == 0 {
		return
	}
	for ; at >= peDOSHeaderSize; at -= 4 {
		if le32(d, at)^key == 0x536e6144 { // "DanS"
			break
		}
	}
	if at < peDOSHeaderSize {
		return
	}
	k1, k2, k3 := le32(d, at+4), le32(d, at+8), le32(d, at+12)
	if k1 != k2 || k2 != k3 || le32(d, at)^k1 != 0x536e6144 {
		return
	}
	p.rich, p.richLen, p.richKey = at, rich-at, k1
}

// richClear is the Rich header decoded with its key.
func (p *peFile) richClear() []byte {
	b := make([]byte, p.richLen)
	for i := int64(0); i+4 <= p.richLen; i += 4 {
		binary.LittleEndian.PutUint32(b[i:], le32(p.data, p.rich+i)^p.richKey)
	}
	return b
}

// richVersion is yara's _rich_version: the sum of the counts of the Rich
// header's entries with this version (when byVersion) and tool id (when
// byTool).
func (p *peFile) richVersion(version uint64, byVersion bool, toolid uint64, byTool bool) value {
	p.parseRich()
	if p.rich < 0 {
		return undef
	}
	var n uint64
	for i := range (p.richLen - 16) / 8 {
		e := p.rich + 16 + 8*i
		idv := le32(p.data, e) ^ p.richKey
		if (!byVersion || version == uint64(idv&0xffff)) && (!byTool || toolid == uint64(idv>>16)) {
			n += uint64(le32(p.data, e+4) ^ p.richKey)
		}
	}
	return vint(int64(n))
}

// parseDebug finds the PDB path of the first CodeView entry of the debug
// directory that has one, as yara's pe_parse_debug_directory.
func (p *peFile) parseDebug() {
	if p.debugDone {
		return
	}
	p.debugDone = true
	p.pdbPath = undef
	va, size, ok := p.directory(6)
	if !ok || size == 0 || size%28 != 0 || va == 0 {
		return
	}
	off := p.rvaToOffset(uint64(va))
	if off < 0 {
		return
	}
	d := p.data
	for i := range int64(size / 28) {
		e := off + 28*i
		if !p.fits(e, 28) || !p.spend(28) {
			return
		}
		if le32(d, e+12) != 2 { // IMAGE_DEBUG_TYPE_CODEVIEW
			continue
		}
		var cv int64
		if a := le32(d, e+20); a != 0 { // AddressOfRawData
			cv = p.rvaToOffset(uint64(a))
		}
		if r := le32(d, e+24); cv <= 0 && r != 0 { // PointerToRawData
			cv = int64(r)
		}
		if cv <= 0 || !p.fits(cv, 8) {
			continue
		}
		var name, size int64
		switch le32(d, cv) {
		case 0x3031424e: // "NB10": CV_INFO_PDB20
			name, size = cv+16, 17
		case 0x53445352: // "RSDS": CV_INFO_PDB70
			name, size = cv+24, 25
		case 0x434f544d: // "MTOC"
			name, size = cv+20, 21
		default:
			continue
		}
		if !p.fits(cv, size) {
			continue
		}
		// yara's MAX_PATH is 1024: a longer path, or an empty one, is not
		// one, and the next entry is tried
		path := p.cstring(name, 1024)
		if len(path) > 0 && len(path) < 1024 {
			p.pdbPath = vstr(path)
			return
		}
	}
}

// parseExports walks the export directory as yara's pe_parse_exports.
func (p *peFile) parseExports() {
	if p.exportsDone {
		return
	}
	p.exportsDone = true
	p.dllName = undef
	va, dsize, ok := p.directory(0)
	if !ok || va == 0 {
		return
	}
	off := p.rvaToOffset(uint64(va))
	if off < 0 || !p.fits(off, 40) {
		return
	}
	start, size := off, uint64(dsize)
	d := p.data
	nExp := min(le32(d, off+20), peMaxExports)
	base := le32(d, off+16)
	p.exportsOK = true
	p.exportTimestamp = le32(d, off+4)
	n := uint64(len(d))
	nameOff := p.rvaToOffset(uint64(le32(d, off+12)))
	if nameOff > 0 {
		p.dllName = vstr(p.cstring(nameOff, len(d)))
	}
	// yara compares with the data after the DLL name's offset, -1 included
	if uint64(nExp)*4 > n-uint64(nameOff) {
		return
	}
	nNames := le32(d, off+24)
	namesOff := int64(-1)
	if nNames > 0 {
		namesOff = p.rvaToOffset(uint64(le32(d, off+32)))
		if namesOff < 0 || uint64(nNames)*4 > n-uint64(namesOff) {
			return
		}
	}
	ordOff := p.rvaToOffset(uint64(le32(d, off+36)))
	if ordOff < 0 || n-uint64(ordOff) < 2*uint64(nExp) {
		return
	}
	funcOff := p.rvaToOffset(uint64(le32(d, off+28)))
	if funcOff < 0 || n-uint64(funcOff) < 4*uint64(nExp) {
		return
	}
	nNames = min(nNames, nExp)
	// the first name index whose ordinal is i, for each i (yara searches
	// the ordinals for every export, which is quadratic)
	nameOf := make([]int32, nExp)
	for i := range nameOf {
		nameOf[i] = -1
	}
	if namesOff >= 0 {
		for j := range int64(nNames) {
			o := le16(d, ordOff+2*j)
			if uint32(o) < nExp && nameOf[o] < 0 {
				nameOf[o] = int32(j)
			}
		}
	}
	p.exports = make([]peExport, nExp)
	for i := range int64(nExp) {
		if !p.spend(1) {
			p.exports = p.exports[:i]
			return
		}
		e := peExport{ordinal: int64(base + uint32(i)), name: undef, forward: undef}
		o := p.rvaToOffset(uint64(le32(d, funcOff+4*i)))
		if o > start && uint64(o) < uint64(start)+size {
			e.forward = vstr(p.cstring(o, peMaxExportName))
			e.offset = undef
		} else {
			e.offset = vint(o)
		}
		if j := nameOf[i]; j >= 0 {
			if no := p.rvaToOffset(uint64(le32(d, namesOff+4*int64(j)))); no > 0 {
				e.name = vstr(p.cstring(no, peMaxExportName))
			}
		}
		p.exports[i] = e
	}
}

// parseResources walks the resource tree as yara's pe_iterate_resources
// with pe_collect_resources, and parses the version resources.
func (p *peFile) parseResources() {
	if p.resourcesDone {
		return
	}
	p.resourcesDone = true
	va, _, ok := p.directory(2)
	if !ok || va == 0 {
		return
	}
	off := p.rvaToOffset(uint64(va))
	if off < 0 || !p.fits(off, 16) {
		return
	}
	p.rsrcDirOK = true
	p.rsrcTimestamp = le32(p.data, off+4)
	p.rsrcMajor = le16(p.data, off+8)
	p.rsrcMinor = le16(p.data, off+10)
	w := &rsrcWalk{typ: -1, id: -1, lang: -1}
	p.walkResources(w, off, off, 0, nil, nil, nil)
}

// rsrcWalk holds what yara shares between the levels of the walk: the
// integer type, id and language are set at their level and kept (stale)
// for later siblings; the strings are passed down only.
type rsrcWalk struct {
	typ, id, lang int32
}

// rsrcName is yara's parse_resource_name: the UTF-16 name of an entry whose
// Name has the high bit set, nil if it is not in the data.
func (p *peFile) rsrcName(base int64, name uint32) []byte {
	if name&0x80000000 == 0 {
		return nil
	}
	o := base + int64(name&0x7fffffff)
	if !p.fits(o, 2) {
		return nil
	}
	l := 2 * int64(le16(p.data, o))
	if !p.fits(o, 2+l) {
		return nil
	}
	return p.data[o+2 : o+2+l]
}

// walkResources returns false when the walk is aborted.
func (p *peFile) walkResources(w *rsrcWalk, base, dir int64, level int, typStr, nameStr, langStr []byte) bool {
	d := p.data
	named, ids := le16(d, dir+12), le16(d, dir+14)
	if le32(d, dir) != 0 || named > 32768 || ids > 32768 {
		return true
	}
	total := int64(named) + int64(ids)
	for i := range total {
		e := dir + 16 + 8*i
		if !p.fits(e, 8) || !p.spend(1) || len(p.resources) > peMaxResources {
			return false // yara goes on past the cap, to no effect
		}
		name, target := le32(d, e), le32(d, e+4)
		switch level {
		case 0:
			w.typ = int32(name)
			typStr = p.rsrcName(base, name)
		case 1:
			w.id = int32(name)
			nameStr = p.rsrcName(base, name)
		case 2:
			w.lang = int32(name)
			langStr = p.rsrcName(base, name)
		}
		o := base + int64(target&0x7fffffff)
		if target&0x80000000 != 0 && level < 2 {
			if !p.fits(o, 16) || !p.walkResources(w, base, o, level+1, typStr, nameStr, langStr) {
				return false
			}
			continue
		}
		if !p.fits(o, 16) {
			return false
		}
		p.collectResource(w, o, typStr, nameStr, langStr)
	}
	return true
}

func (p *peFile) collectResource(w *rsrcWalk, entry int64, typStr, nameStr, langStr []byte) {
	rva := le32(p.data, entry)
	p.resources = append(p.resources, peResource{
		rva: rva, length: le32(p.data, entry+4), offset: p.rvaToOffset(uint64(rva)),
		typ: w.typ, id: w.id, lang: w.lang,
		typStr: typStr, nameStr: nameStr, langStr: langStr,
	})
	if w.typ == 16 { // RT_VERSION
		p.parseVersionInfo(rva)
	}
}

// wideLen returns the number of UTF-16 units before a 00 00 pair at an
// even distance from off, and whether there is one in the data (yara's
// wide_string_fits_in_pe and strnlen_w).
func (p *peFile) wideLen(off int64) (int64, bool) {
	if off < 0 || off >= int64(len(p.data)) {
		return 0, false
	}
	b := p.data[off:]
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 && b[i+1] == 0 {
			return int64(i / 2), p.spend(int64(i/2) + 1)
		}
	}
	p.spend(int64(len(b) / 2))
	return 0, false
}

// wideCopy is yara's strlcpy_w: the low bytes of the UTF-16 units from
// off, up to a unit whose low byte is 0, at most n-1 of them.
func (p *peFile) wideCopy(off int64, n int) []byte {
	var out []byte
	for i := off; i < int64(len(p.data)) && len(out) < n-1; i += 2 {
		if p.data[i] == 0 {
			break
		}
		out = append(out, p.data[i])
	}
	return out
}

// wideEq is yara's strcmp_w(w, s) == 0 for a string s whose terminated
// UTF-16 form is known to be in the data at off.
func (p *peFile) wideEq(off int64, s string) bool {
	for i := range len(s) {
		if p.data[off+2*int64(i)] != s[i] || p.data[off+2*int64(i)+1] != 0 {
			return false
		}
	}
	e := off + 2*int64(len(s))
	return p.data[e] == 0 && p.data[e+1] == 0
}

func align4(n int64) int64 { return (n + 3) &^ 3 }

// parseVersionInfo is yara's pe_parse_version_info for the version
// resource at rva.
func (p *peFile) parseVersionInfo(rva uint32) {
	vi := p.rvaToOffset(uint64(rva))
	if vi < 0 || !p.fits(vi, 6) || !p.fits(vi+6, 2*16) || !p.wideEq(vi+6, "VS_VERSION_INFO") {
		return
	}
	length := func(o int64) int64 { return int64(le16(p.data, o)) }
	vi += align4(6 + 86)
	for p.fits(vi+6, 2*12) && p.wideEq(vi+6, "VarFileInfo") && length(vi) != 0 && p.spend(1) {
		vi += align4(length(vi))
	}
	for p.fits(vi+6, 2*15) && p.wideEq(vi+6, "StringFileInfo") && length(vi) != 0 && p.spend(1) {
		table := vi + align4(6+30)
		vi += align4(length(vi))
		for p.fits(table, 6) && length(table) != 0 && table < vi && p.spend(1) {
			kl, ok := p.wideLen(table + 6)
			if !ok {
				break
			}
			str := table + align4(6+2*(kl+1))
			table += align4(length(table))
			for p.fits(str, 6) && length(str) != 0 && str < table && p.spend(1) {
				kl, ok := p.wideLen(str + 6)
				if !ok {
					break
				}
				val := str + align4(6+2*(kl+1))
				if _, ok := p.wideLen(val); ok {
					key := p.wideCopy(str+6, peVersionKeySize)
					v := p.wideCopy(val, peVersionValueSize)
					if le16(p.data, str+2) == 0 { // ValueLength
						v = nil
					}
					p.setVersion(key, v)
				}
				str += align4(length(str))
			}
		}
	}
}

func (p *peFile) setVersion(key, v []byte) {
	if v == nil {
		v = []byte{}
	}
	p.versionList = append(p.versionList, peKV{key, v})
	if p.versionKeys == nil {
		p.versionKeys = map[string]int{}
	}
	if i, ok := p.versionKeys[string(key)]; ok {
		p.versionDict[i].value = v
		return
	}
	p.versionKeys[string(key)] = len(p.versionDict)
	p.versionDict = append(p.versionDict, peKV{key, v})
}

// imphashValue is yara's pe.imphash(): the MD5 of "dll.function" for every
// imported function, comma-separated and lowercased, the DLL name cut at
// its first dot when that starts ".ocx", ".sys" or ".dll".
func (p *peFile) imphashValue() string {
	if p.imphashDone {
		return p.imphash
	}
	p.parseImports()
	h := md5.New()
	first := true
	for _, dll := range p.imports {
		name := dll.name
		for i, c := range name {
			if c == '.' {
				if ext := lower(name[i:min(len(name), i+4)]); string(ext) == ".ocx" || string(ext) == ".sys" || string(ext) == ".dll" {
					name = name[:i]
				}
				break
			}
		}
		for _, f := range dll.funcs {
			var s []byte
			if !first {
				s = append(s, ',')
			}
			s = append(s, name...)
			s = append(s, '.')
			s = append(s, f.name...)
			h.Write(lower(s))
			first = false
		}
	}
	p.imphash = hex.EncodeToString(h.Sum(nil))
	p.imphashDone = true
	return p.imphash
}

// checksumValue is yara's pe.calculate_checksum(), computed once.
func (p *peFile) checksumValue() int64 {
	if !p.checksumDone {
		p.checksum = p.computeChecksum()
		p.checksumDone = true
	}
	return p.checksum
}

func (p *peFile) computeChecksum() int64 {
	d := p.data
	csumOff := uint64(p.opt + 64)
	var c uint64
	for i := uint64(0); i <= uint64(len(d))/4; i++ {
		if 4*i == csumOff {
			continue
		}
		if 4*i+4 <= uint64(len(d)) {
			c += uint64(binary.LittleEndian.Uint32(d[4*i:]))
		} else {
			for j := uint64(0); j < uint64(len(d))%4; j++ {
				c += uint64(d[4*i+j]) << (8 * j)
			}
		}
		if c > 0xffffffff {
			c = c&0xffffffff + c>>32
		}
	}
	c = c&0xffff + c>>16
	c += c >> 16
	c &= 0xffff
	c += uint64(len(d))
	return int64(c)
}
