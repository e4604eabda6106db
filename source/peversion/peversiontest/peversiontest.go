// Package peversiontest writes small Windows PE files byte by byte for
// tests: a DOS header, the PE signature, a COFF file header, a PE32 or
// PE32+ optional header and one .rsrc section holding a resource tree
// (type, name, language) with its data, and VS_VERSIONINFO blocks to put in
// it. It follows Microsoft's documentation of the PE format and of the
// version resource structures and depends on nothing else, so that the
// reader's tests check the reader against an independent writer. It
// records where each part was written so that tests can damage it.
package peversiontest

import (
	"encoding/binary"
	"sort"
	"unicode/utf16"
)

// Machine types of the COFF file header.
const (
	MachineAMD64 = 0x8664
	MachineI386  = 0x14c
)

// RTVersion is the resource type of a version resource.
const RTVersion = 16

// Fixed layout of what is written.
const (
	peOffset       = 0x40  // e_lfanew
	fileAlignment  = 0x200 // and the size of the headers
	sectionAlign   = 0x1000
	rsrcRVA        = 0x1000
	optionalPE32   = 224
	optionalPE32P  = 240
	sectionHdrSize = 40
	dirSize        = 16 // IMAGE_RESOURCE_DIRECTORY
	entrySize      = 8  // IMAGE_RESOURCE_DIRECTORY_ENTRY
	dataEntrySize  = 16 // IMAGE_RESOURCE_DATA_ENTRY
)

// Resource is one leaf of the resource tree.
type Resource struct {
	Type, ID uint32
	Lang     uint16
	Data     []byte
	// Name, when set, names the resource by string instead of ID.
	Name string
}

// Spec describes a PE file.
type Spec struct {
	// PE32 writes a 32-bit (PE32) image instead of PE32+.
	PE32 bool
	// Machine defaults to AMD64 for PE32+ and I386 for PE32.
	Machine uint16
	// Resources are the leaves of the resource tree; none and
	// NoResourceDir false gives an empty resource directory.
	Resources []Resource
	// NoResourceDir leaves the resource data directory zero (and the
	// section out).
	NoResourceDir bool
	// DataPad puts this many bytes between the resource directory and the
	// first resource's data, so the data need not be 4-aligned.
	DataPad int
}

// Leaf tells where the parts of one resource were written, as file
// offsets, in the order of Spec.Resources.
type Leaf struct {
	// TypeEntry is in the root directory, NameEntry in TypeDir (the
	// directory TypeEntry points to), LangEntry in LangDir (the one
	// NameEntry points to); LangEntry points to DataEntry.
	TypeEntry, NameEntry, LangEntry int
	TypeDir, LangDir                int
	DataEntry                       int // IMAGE_RESOURCE_DATA_ENTRY
	Data                            int // the data itself
}

// File is a written PE file and where its parts are.
type File struct {
	Data []byte
	// Optional is the offset of the optional header, Sections of the
	// section table, ResourceDirectory of the resource data directory
	// entry (RVA, Size) in the optional header.
	Optional, Sections, ResourceDirectory int
	// Rsrc is the file offset of the .rsrc section, RsrcRVA its RVA.
	Rsrc    int
	RsrcRVA uint32
	// Root is the file offset of the root resource directory.
	Root   int
	Leaves []Leaf
}

var le = binary.LittleEndian

func align(n, a int) int { return (n + a - 1) / a * a }

// Build writes the PE file of s.
func Build(s Spec) *File {
	pe32 := s.PE32
	machine := s.Machine
	if machine == 0 {
		machine = MachineAMD64
		if pe32 {
			machine = MachineI386
		}
	}
	optSize := optionalPE32P
	if pe32 {
		optSize = optionalPE32
	}
	f := &File{Optional: peOffset + 24, RsrcRVA: rsrcRVA}
	f.Sections = f.Optional + optSize

	var rsrc []byte
	if !s.NoResourceDir {
		rsrc = f.resources(s.Resources, s.DataPad)
	}
	rawSize := align(len(rsrc), fileAlignment)
	nsections := 0
	if !s.NoResourceDir {
		nsections = 1
	}
	out := make([]byte, fileAlignment+rawSize)

	// DOS header: only e_magic and e_lfanew matter to a loader.
	copy(out, "MZ")
	le.PutUint32(out[0x3c:], peOffset)

	// PE signature and COFF file header.
	copy(out[peOffset:], "PE\x00\x00")
	c := out[peOffset+4:]
	le.PutUint16(c[0:], machine)
	le.PutUint16(c[2:], uint16(nsections))
	le.PutUint32(c[4:], 0x5f000000) // TimeDateStamp
	le.PutUint16(c[16:], uint16(optSize))
	characteristics := uint16(0x0002 | 0x0020) // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE
	if pe32 {
		characteristics = 0x0002 | 0x0100 // EXECUTABLE_IMAGE | 32BIT_MACHINE
	}
	le.PutUint16(c[18:], characteristics)

	// Optional header.
	o := out[f.Optional:]
	sizeOfImage := uint32(align(rsrcRVA+len(rsrc), sectionAlign))
	if pe32 {
		le.PutUint16(o[0:], 0x10b)
		le.PutUint32(o[28:], 0x400000) // ImageBase
	} else {
		le.PutUint16(o[0:], 0x20b)
		le.PutUint64(o[24:], 0x140000000) // ImageBase
	}
	o[2] = 14                            // MajorLinkerVersion
	le.PutUint32(o[8:], uint32(rawSize)) // SizeOfInitializedData
	le.PutUint32(o[32:], sectionAlign)   // SectionAlignment
	le.PutUint32(o[36:], fileAlignment)  // FileAlignment
	le.PutUint16(o[40:], 6)              // MajorOperatingSystemVersion
	le.PutUint16(o[48:], 6)              // MajorSubsystemVersion
	le.PutUint32(o[56:], sizeOfImage)    // SizeOfImage
	le.PutUint32(o[60:], fileAlignment)  // SizeOfHeaders
	le.PutUint16(o[68:], 3)              // Subsystem: console
	le.PutUint16(o[70:], 0x8160)         // DllCharacteristics
	dirs := 112                          // DataDirectory, PE32+
	if pe32 {
		dirs = 96
	}
	le.PutUint32(o[dirs-4:], 16) // NumberOfRvaAndSizes
	f.ResourceDirectory = f.Optional + dirs + 2*8
	if !s.NoResourceDir {
		le.PutUint32(out[f.ResourceDirectory:], rsrcRVA)
		le.PutUint32(out[f.ResourceDirectory+4:], uint32(len(rsrc)))

		sh := out[f.Sections:]
		copy(sh, ".rsrc")
		le.PutUint32(sh[8:], uint32(len(rsrc))) // VirtualSize
		le.PutUint32(sh[12:], rsrcRVA)          // VirtualAddress
		le.PutUint32(sh[16:], uint32(rawSize))  // SizeOfRawData
		le.PutUint32(sh[20:], fileAlignment)    // PointerToRawData
		le.PutUint32(sh[36:], 0x40000040)       // INITIALIZED_DATA | MEM_READ
	}
	copy(out[fileAlignment:], rsrc)
	f.Data = out
	f.Rsrc = fileAlignment
	f.Root = fileAlignment
	for i := range f.Leaves {
		l := &f.Leaves[i]
		for _, p := range []*int{&l.TypeEntry, &l.NameEntry, &l.LangEntry, &l.TypeDir, &l.LangDir, &l.DataEntry, &l.Data} {
			*p += fileAlignment
		}
	}
	return f
}

// resources lays out the resource section: every directory first (root,
// then the type directories, then the name directories), then the name
// strings, then the data entries, then the data, each datum 4-aligned after
// pad bytes.
func (f *File) resources(res []Resource, pad int) []byte {
	type key struct {
		typ  uint32
		name string
		id   uint32
	}
	types := []uint32{}
	names := map[uint32][]key{}
	langs := map[key][]int{} // indexes into res
	for i, r := range res {
		if _, ok := names[r.Type]; !ok {
			types = append(types, r.Type)
		}
		k := key{r.Type, r.Name, r.ID}
		if _, ok := langs[k]; !ok {
			names[r.Type] = append(names[r.Type], k)
		}
		langs[k] = append(langs[k], i)
	}
	// Entries sorted as the format asks: named entries first, then IDs
	// ascending.
	sort.Slice(types, func(i, j int) bool { return types[i] < types[j] })
	for _, t := range types {
		ks := names[t]
		sort.SliceStable(ks, func(i, j int) bool {
			if (ks[i].name != "") != (ks[j].name != "") {
				return ks[i].name != ""
			}
			if ks[i].name != "" {
				return ks[i].name < ks[j].name
			}
			return ks[i].id < ks[j].id
		})
	}
	for _, is := range langs {
		sort.SliceStable(is, func(a, b int) bool { return res[is[a]].Lang < res[is[b]].Lang })
	}

	f.Leaves = make([]Leaf, len(res))
	// Offsets of every directory.
	off := dirSize + entrySize*len(types)
	typeDir := map[uint32]int{}
	for _, t := range types {
		typeDir[t] = off
		off += dirSize + entrySize*len(names[t])
	}
	nameDir := map[key]int{}
	for _, t := range types {
		for _, k := range names[t] {
			nameDir[k] = off
			off += dirSize + entrySize*len(langs[k])
		}
	}
	nameStr := map[key]int{}
	for _, t := range types {
		for _, k := range names[t] {
			if k.name != "" {
				nameStr[k] = off
				off = align(off+2+2*len(utf16.Encode([]rune(k.name))), 2)
			}
		}
	}
	off = align(off, 4)
	dataEntry := off
	off += dataEntrySize * len(res)
	off += pad
	dataAt := make([]int, len(res))
	for i, r := range res {
		if pad == 0 {
			off = align(off, 4)
		}
		dataAt[i] = off
		off += len(r.Data)
	}
	b := make([]byte, off)

	putDir := func(at, named, ids int) {
		le.PutUint16(b[at+12:], uint16(named))
		le.PutUint16(b[at+14:], uint16(ids))
	}
	putDir(0, 0, len(types))
	di := 0
	for ti, t := range types {
		e := dirSize + entrySize*ti
		le.PutUint32(b[e:], t)
		le.PutUint32(b[e+4:], 0x80000000|uint32(typeDir[t]))
		named := 0
		for _, k := range names[t] {
			if k.name != "" {
				named++
			}
		}
		putDir(typeDir[t], named, len(names[t])-named)
		for ni, k := range names[t] {
			ne := typeDir[t] + dirSize + entrySize*ni
			if k.name != "" {
				s := utf16.Encode([]rune(k.name))
				at := nameStr[k]
				le.PutUint16(b[at:], uint16(len(s)))
				for j, u := range s {
					le.PutUint16(b[at+2+2*j:], u)
				}
				le.PutUint32(b[ne:], 0x80000000|uint32(at))
			} else {
				le.PutUint32(b[ne:], k.id)
			}
			le.PutUint32(b[ne+4:], 0x80000000|uint32(nameDir[k]))
			putDir(nameDir[k], 0, len(langs[k]))
			for li, i := range langs[k] {
				lent := nameDir[k] + dirSize + entrySize*li
				le.PutUint32(b[lent:], uint32(res[i].Lang))
				de := dataEntry + dataEntrySize*di
				di++
				le.PutUint32(b[lent+4:], uint32(de))
				le.PutUint32(b[de:], rsrcRVA+uint32(dataAt[i])) // an RVA, not an offset
				le.PutUint32(b[de+4:], uint32(len(res[i].Data)))
				copy(b[dataAt[i]:], res[i].Data)
				f.Leaves[i] = Leaf{
					TypeEntry: e, NameEntry: ne, LangEntry: lent,
					TypeDir: typeDir[t], LangDir: nameDir[k],
					DataEntry: de, Data: dataAt[i],
				}
			}
		}
	}
	return b
}

// Block writes one version resource block (the common header of
// VS_VERSIONINFO, StringFileInfo, StringTable, String, VarFileInfo and
// Var): wLength, wValueLength, wType, the UTF-16 key with its terminator,
// padding to 32 bits, the value, and the children each starting 32-bit
// aligned. Offsets are aligned relative to the block's start, which the
// caller places 32-bit aligned.
func Block(key string, valueLength, typ uint16, value []byte, children ...[]byte) []byte {
	b := make([]byte, 6)
	for _, u := range utf16.Encode([]rune(key)) {
		b = le.AppendUint16(b, u)
	}
	b = append(b, 0, 0)
	b = pad4(b)
	b = append(b, value...)
	for _, c := range children {
		b = pad4(b)
		b = append(b, c...)
	}
	le.PutUint16(b[0:], uint16(len(b)))
	le.PutUint16(b[2:], valueLength)
	le.PutUint16(b[4:], typ)
	return b
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// String writes a String block: its value length counts UTF-16 words,
// the terminator included, and its type is 1 (text).
func String(key, value string) []byte {
	v := []byte{}
	for _, u := range utf16.Encode([]rune(value)) {
		v = le.AppendUint16(v, u)
	}
	v = append(v, 0, 0)
	return Block(key, uint16(len(v)/2), 1, v)
}

// Fixed is the part of VS_FIXEDFILEINFO written.
type Fixed struct {
	FileVersion, ProductVersion [4]uint16
	FileFlags, FileOS, FileType uint32
	FileDate                    uint64
	// Signature defaults to 0xFEEF04BD.
	Signature uint32
}

// Bytes writes the 52 bytes of VS_FIXEDFILEINFO.
func (x Fixed) Bytes() []byte {
	b := make([]byte, 52)
	sig := x.Signature
	if sig == 0 {
		sig = 0xFEEF04BD
	}
	le.PutUint32(b[0:], sig)
	le.PutUint32(b[4:], 0x00010000) // dwStrucVersion 1.0
	le.PutUint32(b[8:], uint32(x.FileVersion[0])<<16|uint32(x.FileVersion[1]))
	le.PutUint32(b[12:], uint32(x.FileVersion[2])<<16|uint32(x.FileVersion[3]))
	le.PutUint32(b[16:], uint32(x.ProductVersion[0])<<16|uint32(x.ProductVersion[1]))
	le.PutUint32(b[20:], uint32(x.ProductVersion[2])<<16|uint32(x.ProductVersion[3]))
	le.PutUint32(b[24:], 0x3f) // dwFileFlagsMask
	le.PutUint32(b[28:], x.FileFlags)
	le.PutUint32(b[32:], x.FileOS)
	le.PutUint32(b[36:], x.FileType)
	le.PutUint32(b[44:], uint32(x.FileDate>>32))
	le.PutUint32(b[48:], uint32(x.FileDate))
	return b
}

// Table is one StringTable: its key is the language and code page as
// eight hex digits ("040904B0"), its strings in order.
type Table struct {
	Key     string
	Strings [][2]string
}

// VersionInfo describes a VS_VERSIONINFO.
type VersionInfo struct {
	Fixed  *Fixed // nil writes no fixed info (wValueLength 0)
	Tables []Table
	// Translations are the VarFileInfo\Translation pairs (language, code
	// page); none leaves VarFileInfo out.
	Translations [][2]uint16
}

// Bytes writes the VS_VERSIONINFO.
func (v VersionInfo) Bytes() []byte {
	var children [][]byte
	if len(v.Tables) > 0 {
		var tables [][]byte
		for _, t := range v.Tables {
			var strs [][]byte
			for _, kv := range t.Strings {
				strs = append(strs, String(kv[0], kv[1]))
			}
			tables = append(tables, Block(t.Key, 0, 1, nil, strs...))
		}
		children = append(children, Block("StringFileInfo", 0, 1, nil, tables...))
	}
	if len(v.Translations) > 0 {
		var val []byte
		for _, tr := range v.Translations {
			val = le.AppendUint16(val, tr[0])
			val = le.AppendUint16(val, tr[1])
		}
		children = append(children, Block("VarFileInfo", 0, 1, nil, Block("Translation", uint16(len(val)), 0, val)))
	}
	var fixed []byte
	if v.Fixed != nil {
		fixed = v.Fixed.Bytes()
	}
	return Block("VS_VERSION_INFO", uint16(len(fixed)), 0, fixed, children...)
}
