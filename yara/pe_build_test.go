package yara

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"strings"

	"github.com/exhunt/exhunt/source/peversion/peversiontest"
)

// peImage writes a PE file byte by byte for the tests: the headers, the
// section table and one section (".data", RVA 0x1000 at file offset
// 0x200) holding whatever the test adds to it, the import and export
// tables included. Following Microsoft's PE format documentation, it is
// written independently of the parser it tests.
type peImage struct {
	pe32     bool
	machine  uint16
	chars    uint16
	dllChars uint16
	body     []byte // the contents of .data
	dirs     [16][2]uint32
	nRva     uint32     // NumberOfRvaAndSizes; 16 when 0
	extra    []peSecHdr // sections after .data
	// flat leaves the section table empty: RVAs are then file offsets
	// (yara maps an RVA below every section straight to the file).
	flat bool
	// symtab, when set, is appended after the sections as the COFF symbol
	// table (nsyms entries of 18 bytes) and its string table.
	symtab  []byte
	nsyms   uint32
	secName string // the name of .data, when not ".data"
}

type peSecHdr struct {
	name                      string
	vsize, va, rawSize, rawPt uint32
	chars                     uint32
}

const (
	imgBodyRVA = 0x1000
	imgBodyOff = 0x200
)

var le = binary.LittleEndian

// rva is the RVA of body offset off.
func (b *peImage) rva(off int) uint32 {
	if b.flat {
		return uint32(imgBodyOff + off)
	}
	return uint32(imgBodyRVA + off)
}

// add appends data 4-aligned and returns its RVA.
func (b *peImage) add(data []byte) uint32 {
	for len(b.body)%4 != 0 {
		b.body = append(b.body, 0)
	}
	off := len(b.body)
	b.body = append(b.body, data...)
	return b.rva(off)
}

func (b *peImage) str(s string) uint32 { return b.add(append([]byte(s), 0)) }

// peImport is one DLL to import: function names, or "#N" for ordinal N.
type peImportSpec struct {
	dll   string
	funcs []string
	// nameRVA, when set, replaces the RVA of the DLL name.
	nameRVA uint32
	// noILT leaves OriginalFirstThunk 0 (the loader then reads FirstThunk).
	noILT bool
}

func (b *peImage) thunk(v uint64) []byte {
	if b.pe32 {
		return le.AppendUint32(nil, uint32(v))
	}
	return le.AppendUint64(nil, v)
}

// imports writes the import directory.
func (b *peImage) imports(specs ...peImportSpec) {
	type desc struct{ ilt, name, iat uint32 }
	var ds []desc
	for _, s := range specs {
		var thunks []byte
		for _, f := range s.funcs {
			switch {
			case strings.HasPrefix(f, "#"):
				var ord uint64
				fmt.Sscan(f[1:], &ord)
				flag := uint64(1) << 63
				if b.pe32 {
					flag = 1 << 31
				}
				thunks = append(thunks, b.thunk(flag|ord)...)
			case strings.HasPrefix(f, "@"): // a raw thunk value
				var v uint64
				fmt.Sscanf(f[1:], "%x", &v)
				thunks = append(thunks, b.thunk(v)...)
			default:
				hint := b.add(append([]byte{1, 0}, append([]byte(f), 0)...))
				thunks = append(thunks, b.thunk(uint64(hint))...)
			}
		}
		thunks = append(thunks, b.thunk(0)...)
		d := desc{ilt: b.add(thunks), iat: b.add(thunks)}
		if s.noILT {
			d.ilt = 0
		}
		d.name = s.nameRVA
		if d.name == 0 {
			d.name = b.str(s.dll)
		}
		ds = append(ds, d)
	}
	var tab []byte
	for _, d := range ds {
		tab = le.AppendUint32(tab, d.ilt)
		tab = le.AppendUint32(tab, 0)
		tab = le.AppendUint32(tab, 0)
		tab = le.AppendUint32(tab, d.name)
		tab = le.AppendUint32(tab, d.iat)
	}
	tab = append(tab, make([]byte, 20)...)
	b.dirs[1] = [2]uint32{b.add(tab), uint32(len(tab))}
}

// delayImports writes the delay-load import directory. With attrs 0 (the
// old format of Visual C++ 6) the addresses are VAs, not RVAs.
func (b *peImage) delayImports(attrs uint32, specs ...peImportSpec) {
	base := uint64(0x140000000)
	if b.pe32 {
		base = 0x400000
	}
	va := func(rva uint32) uint64 {
		if attrs == 0 {
			return base + uint64(rva)
		}
		return uint64(rva)
	}
	var tab []byte
	for _, s := range specs {
		var thunks []byte
		for _, f := range s.funcs {
			if strings.HasPrefix(f, "#") {
				var ord uint64
				fmt.Sscan(f[1:], &ord)
				flag := uint64(1) << 63
				if b.pe32 {
					flag = 1 << 31
				}
				thunks = append(thunks, b.thunk(flag|ord)...)
			} else {
				thunks = append(thunks, b.thunk(va(b.add(append([]byte{0, 0}, append([]byte(f), 0)...))))...)
			}
		}
		thunks = append(thunks, b.thunk(0)...)
		name := b.str(s.dll)
		nt := b.add(thunks)
		at := b.add(thunks) // bound to the stub that loads the DLL
		tab = le.AppendUint32(tab, attrs)
		tab = le.AppendUint32(tab, uint32(va(name)))
		tab = le.AppendUint32(tab, uint32(va(b.add(make([]byte, 8)))))
		tab = le.AppendUint32(tab, uint32(va(at)))
		tab = le.AppendUint32(tab, uint32(va(nt)))
		tab = append(tab, make([]byte, 12)...)
	}
	tab = append(tab, make([]byte, 32)...)
	b.dirs[13] = [2]uint32{b.add(tab), uint32(len(tab))}
}

// peDebugSpec is one entry of the debug directory: its type and data; raw
// gives only the data's file offset, not its RVA.
type peDebugSpec struct {
	typ  uint32
	data []byte
	raw  bool
}

// codeView writes a CodeView record: "RSDS" (PDB 7.0), "NB10" (PDB 2.0)
// or "MTOC", then the path.
func codeView(sig, path string) []byte {
	b := []byte(sig)
	switch sig {
	case "RSDS":
		b = append(b, make([]byte, 20)...) // GUID, age
	case "NB10":
		b = append(b, make([]byte, 12)...) // offset, signature, age
	case "MTOC":
		b = append(b, make([]byte, 16)...) // UUID
	}
	return append(append(b, path...), 0)
}

// debug writes the debug directory.
func (b *peImage) debug(entries ...peDebugSpec) {
	var tab []byte
	for _, e := range entries {
		rva := b.add(e.data)
		off := uint32(imgBodyOff) + rva - b.rva(0)
		if e.raw {
			rva = 0
		}
		tab = le.AppendUint32(tab, 0)
		tab = le.AppendUint32(tab, 0x5f000002)
		tab = le.AppendUint32(tab, 0)
		tab = le.AppendUint32(tab, e.typ)
		tab = le.AppendUint32(tab, uint32(len(e.data)))
		tab = le.AppendUint32(tab, rva)
		tab = le.AppendUint32(tab, off)
	}
	b.dirs[6] = [2]uint32{b.add(tab), uint32(len(tab))}
}

// peExportSpec is one export: a name ("" for none), the function's RVA
// (0: a stub in .data), or a forwarder "DLL.Function".
type peExportSpec struct {
	name    string
	rva     uint32
	forward string
}

// exports writes the export directory; names are listed in the order
// given (not sorted, as a loader would want), with their ordinals.
func (b *peImage) exports(dll string, base uint32, specs ...peExportSpec) {
	code := b.add([]byte{0xc3, 0xc3, 0xc3, 0xc3})
	dllName := b.str(dll)
	var names []uint32
	var ords []byte
	for i, s := range specs {
		if s.name != "" {
			names = append(names, b.str(s.name))
			ords = le.AppendUint16(ords, uint16(i))
		}
	}
	var nameTab []byte
	for _, n := range names {
		nameTab = le.AppendUint32(nameTab, n)
	}
	namesRVA := b.add(nameTab)
	ordsRVA := b.add(ords)
	dirRVA := b.add(make([]byte, 40))
	dirOff := int(dirRVA - b.rva(0))
	var funcs []byte
	for _, s := range specs {
		r := s.rva
		if s.forward != "" {
			r = b.str(s.forward) // inside the directory's range, see below
		} else if r == 0 {
			r = code
		}
		funcs = le.AppendUint32(funcs, r)
	}
	funcsRVA := b.add(funcs)
	d := b.body[dirOff:]
	le.PutUint32(d[4:], 0x5f5e1000) // TimeDateStamp
	le.PutUint32(d[12:], dllName)
	le.PutUint32(d[16:], base)
	le.PutUint32(d[20:], uint32(len(specs)))
	le.PutUint32(d[24:], uint32(len(names)))
	le.PutUint32(d[28:], funcsRVA)
	le.PutUint32(d[32:], namesRVA)
	le.PutUint32(d[36:], ordsRVA)
	// the directory's range covers everything after it: forwarders
	b.dirs[0] = [2]uint32{dirRVA, uint32(len(b.body) - dirOff)}
}

// bytes writes the file.
func (b *peImage) bytes() []byte {
	optSize := 240
	if b.pe32 {
		optSize = 224
	}
	nsec := 1 + len(b.extra)
	if b.flat {
		nsec = 0
	}
	body := b.body
	for len(body)%0x200 != 0 || len(body) == 0 {
		body = append(body, 0)
	}
	out := make([]byte, imgBodyOff, imgBodyOff+len(body))
	out = append(out, body...)
	copy(out, "MZ")
	le.PutUint32(out[0x3c:], 0x40)
	copy(out[0x40:], "PE\x00\x00")
	fh := out[0x44:]
	machine := b.machine
	if machine == 0 {
		machine = 0x8664
		if b.pe32 {
			machine = 0x14c
		}
	}
	le.PutUint16(fh[0:], machine)
	le.PutUint16(fh[2:], uint16(nsec))
	le.PutUint32(fh[4:], 0x5f000001)
	le.PutUint16(fh[16:], uint16(optSize))
	chars := b.chars
	if chars == 0 {
		chars = 0x0022
	}
	le.PutUint16(fh[18:], chars)
	o := out[0x58:]
	if b.pe32 {
		le.PutUint16(o[0:], 0x10b)
		le.PutUint32(o[24:], imgBodyRVA) // BaseOfData
		le.PutUint32(o[28:], 0x400000)
	} else {
		le.PutUint16(o[0:], 0x20b)
		le.PutUint64(o[24:], 0x140000000)
	}
	o[2], o[3] = 2, 38
	le.PutUint32(o[4:], uint32(len(body)))
	le.PutUint32(o[16:], b.rva(0)) // AddressOfEntryPoint: the start of .data
	le.PutUint32(o[20:], imgBodyRVA)
	le.PutUint32(o[32:], 0x1000)
	le.PutUint32(o[36:], 0x200)
	le.PutUint16(o[40:], 4)
	le.PutUint16(o[48:], 5)
	le.PutUint16(o[50:], 2)
	le.PutUint32(o[56:], uint32(imgBodyRVA+len(body)))
	le.PutUint32(o[60:], imgBodyOff)
	le.PutUint32(o[64:], 0x1234)
	le.PutUint16(o[68:], 2)
	le.PutUint16(o[70:], b.dllChars)
	dd := 112
	if b.pe32 {
		dd = 96
		le.PutUint32(o[72:], 0x100000)
		le.PutUint32(o[76:], 0x1000)
	} else {
		le.PutUint64(o[72:], 0x100000)
		le.PutUint64(o[80:], 0x1000)
	}
	nRva := b.nRva
	if nRva == 0 {
		nRva = 16
	}
	le.PutUint32(o[dd-4:], nRva)
	for i, d := range b.dirs {
		le.PutUint32(o[dd+8*i:], d[0])
		le.PutUint32(o[dd+8*i+4:], d[1])
	}
	if !b.flat {
		sh := out[0x58+optSize:]
		name := b.secName
		if name == "" {
			name = ".data"
		}
		copy(sh[0:8], name)
		le.PutUint32(sh[8:], uint32(len(b.body)))
		le.PutUint32(sh[12:], imgBodyRVA)
		le.PutUint32(sh[16:], uint32(len(body)))
		le.PutUint32(sh[20:], imgBodyOff)
		le.PutUint32(sh[36:], 0xc0000040)
		for i, s := range b.extra {
			h := sh[40*(i+1):]
			copy(h[0:8], s.name)
			le.PutUint32(h[8:], s.vsize)
			le.PutUint32(h[12:], s.va)
			le.PutUint32(h[16:], s.rawSize)
			le.PutUint32(h[20:], s.rawPt)
			le.PutUint32(h[36:], s.chars)
		}
	}
	if b.symtab != nil {
		le.PutUint32(fh[8:], uint32(len(out)))
		le.PutUint32(fh[12:], b.nsyms)
		out = append(out, b.symtab...)
	}
	return out
}

// withRich puts a Rich header after the DOS header of a file written by
// peImage, moving the NT headers after it: "DanS" and three padding words,
// the (tool id << 16 | version, count) entries, all XORed with the key,
// then "Rich" and the key. damage changes it: "nokey" writes a zero key,
// "padding" one padding word different, "nodans" no "DanS".
func withRich(data []byte, entries [][2]uint32, key uint32, damage string) []byte {
	words := []uint32{0x536e6144, 0, 0, 0}
	for _, e := range entries {
		words = append(words, e[0], e[1])
	}
	var rich []byte
	for i, w := range words {
		w ^= key
		if damage == "padding" && i == 2 {
			w ^= 1
		}
		if damage == "nodans" && i == 0 {
			w = 0x12345678
		}
		rich = le.AppendUint32(rich, w)
	}
	k := key
	if damage == "nokey" {
		k = 0
	}
	rich = le.AppendUint32(le.AppendUint32(rich, 0x68636952), k)
	for len(rich)%8 != 0 {
		rich = append(rich, 0)
	}
	nt := 0x40 + len(rich)
	hdr := 24 + int(le.Uint16(data[0x54:])) + 40*int(le.Uint16(data[0x46:]))
	out := bytes.Clone(data)
	clear(out[0x40:0x200])
	copy(out[0x40:], rich)
	copy(out[nt:], data[0x40:0x40+hdr])
	le.PutUint32(out[0x3c:], uint32(nt))
	return out
}

// handMadePEs are the byte-built files of the differential tests, by
// name: imports and exports of every kind, damaged tables, odd headers,
// resources and version information, and data that is nearly a PE file.
func handMadePEs() map[string][]byte {
	out := map[string][]byte{}
	for _, pe32 := range []bool{false, true} {
		sfx := "64"
		if pe32 {
			sfx = "32"
		}
		// imports of every kind
		b := &peImage{pe32: pe32}
		long := strings.Repeat("L", 600)
		b.imports(
			peImportSpec{dll: "KERNEL32.dll", funcs: []string{"GetTickCount", "VirtualAlloc", "#5", long}},
			peImportSpec{dll: "ws2_32.DLL", funcs: []string{"#23", "#16", "#9999", "recv"}},
			peImportSpec{dll: "OleAut32.dll", funcs: []string{"#2", "#443", "#1"}},
			peImportSpec{dll: "wsock32.dll", funcs: []string{"#3"}},
			peImportSpec{dll: "driver.SYS", funcs: []string{"Io"}},
			peImportSpec{dll: "Foo.Bar.dll", funcs: []string{"Baz"}},
			peImportSpec{dll: "noext", funcs: []string{"F"}},
			peImportSpec{dll: "bad<name>.dll", funcs: []string{"Hidden"}},
			peImportSpec{dll: "empty.dll"},
			peImportSpec{dll: "badrva.dll", nameRVA: 0x7ffffff0, funcs: []string{"X"}},
			peImportSpec{dll: "iat.dll", noILT: true, funcs: []string{"FromIAT", "@7fff0000", "@1"}},
			peImportSpec{dll: "kernel32.dll", funcs: []string{"Sleep"}},
		)
		out["imports"+sfx] = b.bytes()

		// debug directories: the PDB path of the first CodeView entry with
		// one
		for k, entries := range [][]peDebugSpec{
			{{typ: 2, data: codeView("RSDS", `C:\build\exhunt\Release\exhunt_test.pdb`)}},
			{{typ: 1, data: []byte("coff")}, {typ: 2, data: codeView("NB10", "old.pdb")}, {typ: 2, data: codeView("RSDS", "second.pdb")}},
			{{typ: 2, data: codeView("RSDS", "")}, {typ: 2, raw: true, data: codeView("MTOC", "/tmp/mtoc.pdb")}},
			{{typ: 2, data: codeView("RSDS", strings.Repeat("p", 1100))}, {typ: 2, data: codeView("XXXX", "unknown.pdb")}, {typ: 2, data: codeView("RSDS", strings.Repeat("q", 1023))}},
		} {
			b = &peImage{pe32: pe32}
			b.debug(entries...)
			out[fmt.Sprintf("debug%d_%s", k, sfx)] = b.bytes()
		}

		// delay-load imports, new and old formats
		for _, attrs := range []uint32{1, 0} {
			b = &peImage{pe32: pe32}
			b.imports(peImportSpec{dll: "kernel32.dll", funcs: []string{"GetTickCount"}})
			b.delayImports(attrs,
				peImportSpec{dll: "exhunt_delay.dll", funcs: []string{"DelayedFunc", "#5"}},
				peImportSpec{dll: "WS2_32.dll", funcs: []string{"#23", "recv"}},
				peImportSpec{dll: "bad|name.dll", funcs: []string{"X"}},
				peImportSpec{dll: "kernel32.dll", funcs: []string{"Sleep"}},
				peImportSpec{dll: "nofuncs.dll"},
			)
			out[fmt.Sprintf("delayed%d_%s", attrs, sfx)] = b.bytes()
		}

		// exports: a base, names out of order, unnamed, forwarders
		b = &peImage{pe32: pe32, chars: 0x2022}
		b.exports("exports_test.dll", 5,
			peExportSpec{name: "Zeta"},
			peExportSpec{name: ""},
			peExportSpec{name: "alpha"},
			peExportSpec{name: "Fwd", forward: "KERNEL32.GetTickCount"},
			peExportSpec{name: "BadRVA", rva: 0x7fff0000},
			peExportSpec{name: strings.Repeat("N", 700)},
			peExportSpec{forward: "ntdll.RtlUnnamed"},
			peExportSpec{name: "\x00"}, // an empty name
		)
		out["exports"+sfx] = b.bytes()

		// imports in a file without sections: RVAs are file offsets
		b = &peImage{pe32: pe32, flat: true}
		b.imports(peImportSpec{dll: "user32.dll", funcs: []string{"MessageBoxA", "#8"}})
		b.exports("flat.dll", 1, peExportSpec{name: "Only"})
		out["flat"+sfx] = b.bytes()

		// NumberOfRvaAndSizes below the import and resource entries
		b = &peImage{pe32: pe32, nRva: 1}
		b.imports(peImportSpec{dll: "kernel32.dll", funcs: []string{"ExitProcess"}})
		b.exports("nrva.dll", 1, peExportSpec{name: "E"})
		out["nrva1"+sfx] = b.bytes()

		// sections: long names in the COFF string table, a name with a NUL
		// inside, sections past the end of the file, odd alignments
		b = &peImage{pe32: pe32, secName: ".a\x00b"}
		b.add([]byte("some data"))
		str := []byte{0, 0, 0, 0}
		str = append(str, ".debug_info\x00"...)
		str = append(str, "bad\x01name\x00"...)
		le.PutUint32(str, uint32(len(str)))
		b.symtab = append(make([]byte, 18*2), str...)
		b.nsyms = 2
		b.extra = []peSecHdr{
			{name: "/4", vsize: 0x100, va: 0x2000, rawSize: 0x100, rawPt: 0x400, chars: 0x42000040},
			{name: "/16", vsize: 0x10, va: 0x3000, rawSize: 0x10, rawPt: 0x1ff, chars: 0x60000020},
			{name: "/9999999", vsize: 0x10, va: 0x4000, rawSize: 0x10, rawPt: 0x10000000},
			{name: "/x", vsize: 0, va: 0x5000, rawSize: 0x200, rawPt: 0x200},
			{name: "past_eof", vsize: 0x1000, va: 0x6000, rawSize: 0xffffffff, rawPt: 0xfffffff0, chars: 0xe0000020},
			{name: "\x00\x00\x00\x00\x00\x00\x00\x00", vsize: 0x10, va: 0x7000, rawSize: 0x10, rawPt: 0x210},
			{name: "12345678", vsize: 0x10, va: 0x1008, rawSize: 0x10, rawPt: 0x208},
		}
		out["sections"+sfx] = b.bytes()
	}

	// a file with a version resource, and its damaged forms
	vi := peversiontest.VersionInfo{
		Fixed: &peversiontest.Fixed{FileVersion: [4]uint16{15, 2, 1118, 7}},
		Tables: []peversiontest.Table{
			{Key: "040904B0", Strings: [][2]string{
				{"CompanyName", "Microsoft Corporation"},
				{"FileVersion", "15.02.1118.007"},
				{"Empty", ""},
				{strings.Repeat("K", 70), "long key"},
				{"Long", strings.Repeat("v", 300)},
				{"Wide", "caf\u00e9 \u0100 after"},
				{"CompanyName", "second value"},
			}},
			{Key: "000004B0", Strings: [][2]string{{"ProductName", "Exchange"}}},
		},
		Translations: [][2]uint16{{0x409, 1200}},
	}
	res := []peversiontest.Resource{
		{Type: 16, ID: 1, Lang: 0x409, Data: vi.Bytes()},
		{Type: 10, Name: "NAMED", Lang: 0x407, Data: []byte("rcdata")},
		{Type: 24, ID: 1, Lang: 0, Data: []byte("<assembly/>")},
	}
	for _, pe32 := range []bool{false, true} {
		f := peversiontest.Build(peversiontest.Spec{PE32: pe32, Resources: res})
		sfx := map[bool]string{false: "64", true: "32"}[pe32]
		out["version"+sfx] = f.Data
		// no fixed info: yara skips 92 bytes regardless
		nofix := vi
		nofix.Fixed = nil
		out["version_nofixed"+sfx] = peversiontest.Build(peversiontest.Spec{PE32: pe32, Resources: []peversiontest.Resource{{Type: 16, ID: 1, Lang: 0x409, Data: nofix.Bytes()}}}).Data
		// ValueLength 0 on a string with a value
		d := bytes.Clone(f.Data)
		if i := bytes.Index(d, utf16z("FileVersion")); i > 6 {
			le.PutUint16(d[i-4:], 0)
		}
		out["version_vl0"+sfx] = d
		// the version data truncated
		l := f.Leaves[0]
		out["version_trunc"+sfx] = bytes.Clone(f.Data[:l.Data+200])
	}
	f := peversiontest.Build(peversiontest.Spec{Resources: res})
	// a resource directory whose entries all point back to it: yara
	// collects one more than 65536 resources and stops
	loop := bytes.Clone(f.Data)
	root := f.Root
	le.PutUint16(loop[root+12:], 0)
	le.PutUint16(loop[root+14:], 48)
	for i := range 48 {
		e := root + 16 + 8*i
		if e+8 > len(loop) {
			break
		}
		le.PutUint32(loop[e:], uint32(16+i%3))
		le.PutUint32(loop[e+4:], 0x80000000)
	}
	out["rsrc_loop"] = loop
	// a data entry at the first level: its id and language are stale
	flat := bytes.Clone(f.Data)
	le.PutUint32(flat[f.Leaves[0].TypeEntry+4:], uint32(f.Leaves[1].DataEntry-f.Root))
	out["rsrc_level0"] = flat
	// a subdirectory outside the file
	out["rsrc_bad"] = func() []byte {
		d := bytes.Clone(f.Data)
		le.PutUint32(d[f.Leaves[0].NameEntry+4:], 0x8fffff00)
		return d
	}()

	// Rich headers
	entries := [][2]uint32{{0x01040000 | 30729, 12}, {0x00ff0000 | 30729, 1}, {0x01050000 | 27412, 3}, {0x01040000 | 30729, 2}}
	for _, pe32 := range []bool{false, true} {
		sfx := map[bool]string{false: "64", true: "32"}[pe32]
		img := (&peImage{pe32: pe32}).bytes()
		out["rich"+sfx] = withRich(img, entries, 0x9c3e1a2b, "")
		for _, dmg := range []string{"nokey", "padding", "nodans"} {
			out["rich_"+dmg+sfx] = withRich(img, entries, 0x9c3e1a2b, dmg)
		}
	}
	out["rich_empty"] = withRich((&peImage{}).bytes(), nil, 0x1234, "")

	// nearly PE files
	hdr := (&peImage{}).bytes()
	out["mz_only"] = []byte("MZ")
	out["dos_only"] = hdr[:64]
	neg := bytes.Clone(hdr)
	le.PutUint32(neg[0x3c:], 0x80000000)
	out["lfanew_negative"] = neg
	far := bytes.Clone(hdr)
	le.PutUint32(far[0x3c:], 0x7ffffff0)
	out["lfanew_far"] = far
	sig := bytes.Clone(hdr)
	sig[0x41] = 'X'
	out["bad_signature"] = sig
	out["opt_short"] = bytes.Clone(hdr[:0x58+223])
	out["opt32_exact"] = func() []byte {
		d := bytes.Clone((&peImage{pe32: true}).bytes()[:0x58+224])
		return d
	}()
	out["opt64_as32size"] = bytes.Clone(hdr[:0x58+224+10]) // PE32+ needs 240
	// PE32+ with the PE32 optional header size: the section table
	// overlaps the data directories
	mis := (&peImage{}).bytes()
	le.PutUint16(mis[0x44+16:], 224)
	out["opt64_size224"] = mis
	// the PE32 magic in a PE32+ file and the reverse
	m := (&peImage{}).bytes()
	le.PutUint16(m[0x58:], 0x10b)
	out["magic_swapped64"] = m
	m = (&peImage{pe32: true}).bytes()
	le.PutUint16(m[0x58:], 0x20b)
	out["magic_swapped32"] = m
	// zero sections, huge section counts, a table past the end
	z := (&peImage{}).bytes()
	le.PutUint16(z[0x46:], 0)
	out["zero_sections"] = z
	h := (&peImage{}).bytes()
	le.PutUint16(h[0x46:], 0xffff)
	out["many_sections"] = h
	h = bytes.Clone((&peImage{}).bytes()[:0x58+240+40+20])
	out["section_table_cut"] = h
	so := (&peImage{}).bytes()
	le.PutUint16(so[0x44+16:], 0xffff)
	out["size_of_optional_huge"] = so
	return out
}

// utf16z is s as UTF-16LE with its terminator.
func utf16z(s string) []byte {
	var b []byte
	for _, c := range s {
		b = le.AppendUint16(b, uint16(c))
	}
	return append(b, 0, 0)
}

// mutants returns damaged copies of a PE file: truncated at the places a
// parser reads, with header fields set to extreme values, and with random
// bytes overwritten in the headers and in the tables the directories
// point to.
func mutants(data []byte, seed int64) map[string][]byte {
	out := map[string][]byte{}
	p := parsePE(data)
	if p == nil {
		return out
	}
	put16 := func(name string, off int64, v uint16) {
		if off >= 0 && off+2 <= int64(len(data)) {
			d := bytes.Clone(data)
			le.PutUint16(d[off:], v)
			out[name] = d
		}
	}
	put32 := func(name string, off int64, v uint32) {
		if off >= 0 && off+4 <= int64(len(data)) {
			d := bytes.Clone(data)
			le.PutUint32(d[off:], v)
			out[name] = d
		}
	}
	cut := func(name string, n int64) {
		if n > 0 && n < int64(len(data)) {
			out[name] = bytes.Clone(data[:n])
		}
	}
	secTab := p.opt + int64(p.fh16(16))
	cut("cut_opt", p.opt+100)
	cut("cut_sectab", secTab+40*int64(len(p.secs))-1)
	cut("cut_half", int64(len(data))/2)
	if len(p.secs) > 0 {
		cut("cut_first_section", int64(p.secs[0].rawPtr)+16)
	}
	put16("nsec0", p.nt+6, 0)
	put16("nsec1", p.nt+6, 1)
	put16("nsec97", p.nt+6, 97)
	put16("nsecmax", p.nt+6, 0xffff)
	put16("optsize0", p.nt+20, 0)
	put16("optsize224", p.nt+20, 224)
	put16("magic_flip", p.opt, p.u16(0)^0x10b^0x20b)
	put32("falign0", p.opt+36, 0)
	put32("falign1", p.opt+36, 1)
	put32("falign10", p.opt+36, 0x10)
	put32("entry_bad", p.opt+16, 0xfffffff0)
	put32("entry_zero", p.opt+16, 0)
	nrva := p.dataDirOffset() - 4
	for _, n := range []uint32{0, 1, 2, 0xffffffff} {
		put32(fmt.Sprintf("nrva%x", n), nrva, n)
	}
	for _, i := range []int{0, 1, 2, 6, 13} {
		va, _ := p.dataDir(i)
		off := p.dataDirOffset() + 8*int64(i)
		put32(fmt.Sprintf("dir%d_bad", i), off, 0xfffffff0)
		put32(fmt.Sprintf("dir%d_one", i), off, 1)
		put32(fmt.Sprintf("dir%d_size_huge", i), off+4, 0xffffffff)
		if o := p.rvaToOffset(uint64(va)); o >= 0 {
			switch i {
			case 0: // export directory: huge counts, bad tables
				put32("exp_nfunc_huge", o+20, 0xffffffff)
				put32("exp_nnames_huge", o+24, 0xffffffff)
				put32("exp_nnames0", o+24, 0)
				put32("exp_base0", o+16, 0)
				put32("exp_base_max", o+16, 0xfffffffe)
				put32("exp_funcs_bad", o+28, 0xfffffff0)
				put32("exp_names_bad", o+32, 0xfffffff0)
				put32("exp_ords_bad", o+36, 0xfffffff0)
				put32("exp_name_bad", o+12, 0xfffffff0)
			case 1: // import descriptors
				put32("imp_oft_bad", o, 0xfffffff0)
				put32("imp_name_bad", o+12, 0xfffffff0)
				put32("imp_name_zero", o+12, 0)
				put32("imp_ft_bad", o+16, 0xfffffff0)
				put32("imp2_name_bad", o+20+12, 0xfffffff0)
			case 2: // resource directory
				put16("rsrc_named_huge", o+12, 0xffff)
				put16("rsrc_ids_max", o+14, 32768)
				put32("rsrc_chars", o, 1)
			case 6: // debug directory
				put32("dbg_size_odd", off+4, 29)
				put32("dbg_type", o+12, 3)
				put32("dbg_addr_bad", o+20, 0xfffffff0)
				put32("dbg_addr_zero", o+20, 0)
				put32("dbg_raw_bad", o+24, 0xfffffff0)
			case 13: // delay-load descriptors
				put32("dl_attrs2", o, 2)
				put32("dl_attrs_flip", o, le32(data, o)^1)
				put32("dl_name_low", o+4, 63)
				put32("dl_int_huge", o+16, 0xfffffff0)
				put32("dl_iat_zero", o+12, 0)
				put32("dl2_name_bad", o+32+4, 0x7ffffff0)
			}
		}
	}
	// random damage: in the headers, and near the tables
	r := rand.New(rand.NewSource(seed))
	var spots []int64
	for _, i := range []int{0, 1, 2, 13} {
		va, _ := p.dataDir(i)
		if o := p.rvaToOffset(uint64(va)); o >= 0 {
			spots = append(spots, o)
		}
	}
	for k := range 12 {
		d := bytes.Clone(data)
		n := 1 + r.Intn(6)
		for range n {
			var at int64
			if k%2 == 0 || len(spots) == 0 {
				at = r.Int63n(min(int64(len(d)), secTab+40*int64(len(p.secs))+8))
			} else {
				at = spots[r.Intn(len(spots))] + r.Int63n(256)
			}
			if at >= int64(len(d)) {
				continue
			}
			switch r.Intn(4) {
			case 0:
				d[at] = 0
			case 1:
				d[at] = 0xff
			case 2:
				d[at] ^= 1 << r.Intn(8)
			default:
				d[at] = byte(r.Intn(256))
			}
		}
		out[fmt.Sprintf("rnd%02d", k)] = d
	}
	return out
}
