package yara

import (
	"bytes"

	"github.com/exhunt/exhunt/yara/re"
	"github.com/exhunt/exhunt/yara/syntax"
)

// mobj is a structure, array or dictionary of a module, as a value: the
// path of its declaration (see peDecls) and the indexes that lead to it.
type mobj struct {
	path string
	i, j int
}

func vobj(path string, i, j int) value { return value{k: vObj, o: &mobj{path, i, j}} }

// peFile returns the scanned data parsed as a PE file, nil when it is not
// one; the data is parsed on first use only.
func (sc *scanner) peFile() *peFile {
	if !sc.peDone {
		sc.peDone = true
		sc.pe = parsePE(sc.data)
	}
	return sc.pe
}

// moduleRoot is the value of a module's name.
func (sc *scanner) moduleRoot(name string) value {
	if name == "pe" {
		return vobj("pe", 0, 0)
	}
	return undef
}

func u(v uint32) value { return vint(int64(v)) }

// member is o.name.
func (sc *scanner) member(o *mobj, name string) value {
	if o.path == "pe" {
		return sc.peField(name)
	}
	p := sc.peFile()
	if p == nil {
		return undef
	}
	switch o.path {
	case "pe.linker_version":
		if name == "major" {
			return vint(int64(p.data[p.opt+2]))
		}
		return vint(int64(p.data[p.opt+3]))
	case "pe.os_version", "pe.image_version", "pe.subsystem_version":
		off := int64(40) // MajorOperatingSystemVersion
		switch o.path {
		case "pe.image_version":
			off = 44
		case "pe.subsystem_version":
			off = 48
		}
		if name == "minor" {
			off += 2
		}
		return vint(int64(p.u16(off)))
	case "pe.overlay":
		off, size := p.overlay()
		if name == "offset" {
			return vint(off)
		}
		return vint(size)
	case "pe.rich_signature":
		p.parseRich()
		if p.rich < 0 {
			return undef
		}
		switch name {
		case "offset":
			return vint(p.rich)
		case "length":
			return vint(p.richLen)
		case "key":
			return u(p.richKey)
		case "raw_data":
			return vstr(p.data[p.rich : p.rich+p.richLen])
		case "clear_data":
			return vstr(p.richClear())
		}
	case "pe.resource_version":
		p.parseResources()
		if !p.rsrcDirOK {
			return undef
		}
		if name == "major" {
			return vint(int64(p.rsrcMajor))
		}
		return vint(int64(p.rsrcMinor))
	case "pe.data_directories[]":
		va, size := p.dataDir(o.i)
		if name == "virtual_address" {
			return u(va)
		}
		return u(size)
	case "pe.sections[]":
		s := &p.secs[o.i]
		switch name {
		case "name":
			return vstr(s.name)
		case "full_name":
			return p.sectionFullName(o.i)
		case "characteristics":
			return u(s.chars)
		case "virtual_address":
			return u(s.va)
		case "virtual_size":
			return u(s.vsize)
		case "raw_data_offset":
			return u(s.rawPtr)
		case "raw_data_size":
			return u(s.rawSize)
		case "pointer_to_relocations":
			return u(s.relocPtr)
		case "pointer_to_line_numbers":
			return u(s.linePtr)
		case "number_of_relocations":
			return vint(int64(s.nRelocs))
		case "number_of_line_numbers":
			return vint(int64(s.nLines))
		}
	case "pe.version_info_list[]":
		kv := p.versionList[o.i]
		if name == "key" {
			return vstr(kv.key)
		}
		return vstr(kv.value)
	case "pe.export_details[]":
		e := &p.exports[o.i]
		switch name {
		case "offset":
			return e.offset
		case "name":
			return e.name
		case "forward_name":
			return e.forward
		case "ordinal":
			return vint(e.ordinal)
		}
	case "pe.import_details[]":
		d := &p.imports[o.i]
		switch name {
		case "library_name":
			return vstr(d.name)
		case "number_of_functions":
			// yara 4.2 counts on from the DLLs before (and numbers the
			// functions so: see importFunction)
			return vint(int64(d.base + len(d.funcs)))
		case "functions":
			return vobj("pe.import_details[].functions", o.i, 0)
		}
	case "pe.import_details[].functions[]":
		f := &p.imports[o.i].funcs[o.j]
		if name == "name" {
			return vstr(f.name)
		}
		if f.hasOrdinal {
			return vint(int64(f.ordinal))
		}
		return undef
	case "pe.resources[]":
		r := &p.resources[o.i]
		switch name {
		case "rva":
			return u(r.rva)
		case "offset":
			if r.offset < 0 {
				return undef
			}
			return vint(r.offset)
		case "length":
			return u(r.length)
		case "type", "type_string":
			return resourceValue(r.typStr, r.typ, name == "type_string")
		case "id", "name_string":
			return resourceValue(r.nameStr, r.id, name == "name_string")
		case "language", "language_string":
			return resourceValue(r.langStr, r.lang, name == "language_string")
		}
	}
	return undef
}

// peField is pe.name.
func (sc *scanner) peField(name string) value {
	if c, ok := peConsts[name]; ok {
		return vint(c)
	}
	p := sc.peFile()
	if name == "is_pe" {
		return vbool(p != nil).asInt()
	}
	if p == nil {
		return undef
	}
	switch name {
	case "machine":
		return vint(int64(p.fh16(0)))
	case "number_of_sections":
		return vint(int64(p.nSecs))
	case "timestamp":
		return u(p.fh32(4))
	case "pointer_to_symbol_table":
		return u(p.fh32(8))
	case "number_of_symbols":
		return u(p.fh32(12))
	case "size_of_optional_header":
		return vint(int64(p.fh16(16)))
	case "characteristics":
		return vint(p.characteristics())
	case "entry_point":
		return vint(p.entryPoint())
	case "entry_point_raw":
		return u(p.u32(16))
	case "image_base":
		return vint(p.imageBase())
	case "number_of_rva_and_sizes":
		return u(p.numberOfRvaAndSizes())
	case "opthdr_magic":
		return vint(int64(p.u16(0)))
	case "size_of_code":
		return u(p.u32(4))
	case "size_of_initialized_data":
		return u(p.u32(8))
	case "size_of_uninitialized_data":
		return u(p.u32(12))
	case "base_of_code":
		return u(p.u32(20))
	case "base_of_data":
		if p.is64 {
			return undef
		}
		return u(p.u32(24))
	case "section_alignment":
		return u(p.u32(32))
	case "file_alignment":
		return u(p.u32(36))
	case "win32_version_value":
		return u(p.u32(52))
	case "size_of_image":
		return u(p.u32(56))
	case "size_of_headers":
		return u(p.u32(60))
	case "checksum":
		return u(p.u32(64))
	case "subsystem":
		return vint(int64(p.u16(68)))
	case "dll_characteristics":
		return vint(int64(p.u16(70)))
	case "size_of_stack_reserve":
		return vint(p.ptrField(0))
	case "size_of_stack_commit":
		return vint(p.ptrField(1))
	case "size_of_heap_reserve":
		return vint(p.ptrField(2))
	case "size_of_heap_commit":
		return vint(p.ptrField(3))
	case "loader_flags":
		return vint(p.loaderFlags())
	case "linker_version", "os_version", "image_version", "subsystem_version", "overlay", "resource_version", "rich_signature",
		"data_directories", "sections", "version_info", "version_info_list", "export_details", "import_details", "resources":
		return vobj("pe."+name, 0, 0)
	case "number_of_imports":
		p.parseImports()
		return vint(int64(p.nImports))
	case "number_of_imported_functions":
		p.parseImports()
		return vint(int64(p.nImpFuncs))
	case "number_of_delayed_imports":
		p.parseDelayed()
		return vint(int64(len(p.delayed)))
	case "number_of_delayed_imported_functions":
		p.parseDelayed()
		return vint(int64(p.nDelayedFuncs))
	case "delay_import_details":
		return vobj("pe."+name, 0, 0) // always empty, as in yara 4.2.3
	case "pdb_path":
		p.parseDebug()
		return p.pdbPath
	case "number_of_exports":
		p.parseExports()
		return vint(int64(len(p.exports)))
	case "dll_name":
		p.parseExports()
		return p.dllName
	case "export_timestamp":
		p.parseExports()
		if !p.exportsOK {
			return undef
		}
		return u(p.exportTimestamp)
	case "number_of_resources":
		p.parseResources()
		return vint(int64(len(p.resources)))
	case "number_of_version_infos":
		p.parseResources()
		return vint(int64(len(p.versionList)))
	case "resource_timestamp":
		p.parseResources()
		if !p.rsrcDirOK {
			return undef
		}
		return u(p.rsrcTimestamp)
	}
	return undef
}

// asInt turns a boolean into the integer 0 or 1.
func (v value) asInt() value { v.k = vInt; return v }

// length is the number of items of an array or dictionary.
func (sc *scanner) length(o *mobj) int {
	p := sc.peFile()
	if p == nil {
		return 0
	}
	switch o.path {
	case "pe.data_directories":
		return p.dataDirectories()
	case "pe.sections":
		return len(p.secs)
	case "pe.version_info":
		p.parseResources()
		return len(p.versionDict)
	case "pe.version_info_list":
		p.parseResources()
		return len(p.versionList)
	case "pe.export_details":
		p.parseExports()
		return len(p.exports)
	case "pe.import_details":
		p.parseImports()
		return len(p.imports)
	case "pe.import_details[].functions":
		d := &p.imports[o.i]
		return d.base + len(d.funcs)
	case "pe.resources":
		p.parseResources()
		return len(p.resources)
	}
	return 0
}

// item is the i-th item of an array (undefined outside it).
func (sc *scanner) item(o *mobj, i int64) value {
	if i < 0 || i >= int64(sc.length(o)) {
		return undef
	}
	switch o.path {
	case "pe.version_info":
		return vstr(sc.pe.versionDict[i].value)
	case "pe.import_details[].functions":
		// yara 4.2 numbers the functions of every DLL on from those of the
		// DLLs before it, leaving the first indexes of the array empty
		j := int(i) - sc.pe.imports[o.i].base
		if j < 0 {
			return undef
		}
		return vobj(o.path+"[]", o.i, j)
	}
	return vobj(o.path+"[]", int(i), 0)
}

// key is the value of a dictionary for a key: yara compares the key as a
// C string, up to its first NUL.
func (sc *scanner) key(o *mobj, k []byte) value {
	p := sc.peFile()
	if p == nil || o.path != "pe.version_info" {
		return undef
	}
	p.parseResources()
	if i := bytes.IndexByte(k, 0); i >= 0 {
		k = k[:i]
	}
	if i, ok := p.versionKeys[string(k)]; ok {
		return vstr(p.versionDict[i].value)
	}
	return undef
}

// cstr cuts b at its first NUL, as yara passes string arguments to the pe
// module's functions as C strings.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// reMatch is yara's yr_re_match(re, s) as the pe module tests it: with
// anyMatch, whether it is not -1 (the regexp matches somewhere); without,
// whether it is above 0 (yr_re_match gives the end of the last match it
// records, which is 0 only for an empty match at 0). yara tries the starts
// before the end of s (and 0 for an empty s), and looks at most at
// re.MaxMatch bytes.
func reMatch(r *re.Regexp, s []byte, anyMatch bool) bool {
	if r == nil {
		return false
	}
	s = cstr(s)
	if len(s) > re.MaxMatch {
		s = s[:re.MaxMatch]
	}
	if len(s) == 0 {
		// only the empty match at 0 (which is not above 0)
		_, ok := r.MatchAt(s, 0)
		return ok && anyMatch
	}
	found := false
	r.FindAll(s, func(start, end int) bool { // the starts before len(s)
		if anyMatch || end > 0 {
			found = true
			return false
		}
		return true
	})
	return found
}

// peCall evaluates pe.name(args); regexp arguments are taken from the
// call's expressions.
func (sc *scanner) peCall(name string, args []value, x *syntax.Call) value {
	p := sc.peFile()
	if p == nil {
		return undef
	}
	regex := func(i int) *re.Regexp {
		if rl, ok := x.Args[i].(*syntax.RegexLit); ok {
			return sc.regex(rl)
		}
		return nil
	}
	// the functions that go through a list charge its length to the
	// scan's loop budget: in a loop over the same list they are quadratic
	charge := func(n int) bool {
		if sc.iters += int64(n); sc.iters > maxScanIterations {
			sc.err = errTooExpensive
			return false
		}
		return true
	}
	sig := make([]byte, len(args))
	for i, a := range args {
		switch a.k {
		case vInt:
			sig[i] = 'i'
		case vStr:
			sig[i] = 's'
		case vRegex:
			sig[i] = 'r'
		default:
			return undef
		}
	}
	switch name + "(" + string(sig) + ")" {
	case "rich_signature.version(i)":
		return p.richVersion(uint64(args[0].i), true, 0, false)
	case "rich_signature.version(ii)":
		return p.richVersion(uint64(args[0].i), true, uint64(args[1].i), true)
	case "rich_signature.toolid(i)":
		return p.richVersion(0, false, uint64(args[0].i), true)
	case "rich_signature.toolid(ii)":
		return p.richVersion(uint64(args[1].i), true, uint64(args[0].i), true)
	case "is_dll()":
		return vint(p.characteristics() & peImageFileDLL)
	case "is_32bit()":
		return vbool(!p.is64).asInt()
	case "is_64bit()":
		return vbool(p.is64).asInt()
	case "imphash()":
		return vstr([]byte(p.imphashValue()))
	case "calculate_checksum()":
		return vint(p.checksumValue())
	case "rva_to_offset(i)":
		if o := p.rvaToOffset(uint64(args[0].i)); o != -1 {
			return vint(o)
		}
		return undef
	case "section_index(s)":
		n := cstr(args[0].s)
		for i := range p.secs {
			if bytes.Equal(cstr(p.secs[i].name), n) {
				return vint(int64(i))
			}
		}
		return undef
	case "section_index(i)":
		a := args[0].i
		for i := range p.secs {
			s := &p.secs[i]
			if a >= int64(s.rawPtr) && a < int64(s.rawPtr)+int64(s.rawSize) {
				return vint(int64(i))
			}
		}
		return undef
	case "exports(s)", "exports_index(s)":
		p.parseExports()
		if !charge(len(p.exports)) {
			return undef
		}
		for i, e := range p.exports {
			if e.name.k == vStr && equalFold(e.name.s, args[0].s) {
				return exportResult(name, i)
			}
		}
		return exportNone(name, len(p.exports))
	case "exports(r)", "exports_index(r)":
		p.parseExports()
		if !charge(len(p.exports)) {
			return undef
		}
		r := regex(0)
		for i, e := range p.exports {
			if e.name.k == vStr && reMatch(r, e.name.s, true) {
				return exportResult(name, i)
			}
		}
		return exportNone(name, len(p.exports))
	case "exports(i)", "exports_index(i)":
		p.parseExports()
		if !charge(len(p.exports)) {
			return undef
		}
		ord := args[0].i
		// yara 4.2 wants the ordinal between 1 and the number of exports,
		// whatever the ordinal base
		if ord != 0 && ord <= int64(len(p.exports)) {
			for i, e := range p.exports {
				if e.ordinal == ord {
					return exportResult(name, i)
				}
			}
		}
		return exportNone(name, len(p.exports))
	case "imports(s)", "imports(ss)", "imports(si)", "imports(rr)",
		"imports(is)", "imports(iss)", "imports(isi)", "imports(irr)":
		flags, first := int64(1), 0 // the standard imports only
		if sig[0] == 'i' {
			flags, args, sig, first = args[0].i, args[1:], sig[1:], 1
		}
		var rd, rf *re.Regexp
		if string(sig) == "rr" {
			rd, rf = regex(first), regex(first+1)
		}
		var lists [][]peImportDLL
		if flags&1 != 0 {
			p.parseImports()
			lists = append(lists, p.imports)
			if !charge(p.nImpFuncs) {
				return undef
			}
		}
		if flags&2 != 0 {
			p.parseDelayed()
			lists = append(lists, p.delayed)
			if !charge(p.nDelayedFuncs) {
				return undef
			}
		}
		n := 0
		for _, l := range lists {
			k := importCount(l, string(sig), args, rd, rf)
			if len(sig) == 2 && sig[0] == 's' && k > 0 {
				return vint(1) // imports(dll, function or ordinal): 0 or 1
			}
			n += k
		}
		return vint(int64(n))
	case "locale(i)", "language(i)":
		p.parseResources()
		if !charge(len(p.resources)) {
			return undef
		}
		mask := int64(0xffff)
		if name == "language" {
			mask = 0xff
		}
		for _, r := range p.resources {
			l := int64(peUndefined)
			if r.langStr == nil {
				l = int64(r.lang)
			}
			if l&mask == args[0].i {
				return vint(1)
			}
		}
		return vint(0)
	}
	return undef
}

// importCount is yara's pe_imports_dll (sig "s": the functions imported
// from the DLL), pe_imports and pe_imports_ordinal ("ss", "si": 1 if one
// is imported) and pe_imports_regexp ("rr": the functions whose DLL and
// name match) over one list of imports.
func importCount(dlls []peImportDLL, sig string, args []value, rd, rf *re.Regexp) int {
	n := 0
	for _, d := range dlls {
		switch sig {
		case "rr":
			if !reMatch(rd, d.name, false) {
				continue
			}
			for _, f := range d.funcs {
				if reMatch(rf, f.name, false) {
					n++
				}
			}
		case "s":
			if equalFold(d.name, cstr(args[0].s)) {
				n += len(d.funcs)
			}
		case "ss", "si":
			if !equalFold(d.name, cstr(args[0].s)) {
				continue
			}
			for _, f := range d.funcs {
				if sig == "ss" && equalFold(f.name, cstr(args[1].s)) || sig == "si" && f.hasOrdinal && int64(f.ordinal) == args[1].i {
					return 1
				}
			}
		}
	}
	return n
}

// exportResult and exportNone are the results of pe.exports (1 or 0) and
// pe.exports_index (the index, or undefined).
func exportResult(name string, i int) value {
	if name == "exports" {
		return vint(1)
	}
	return vint(int64(i))
}

func exportNone(name string, n int) value {
	if name == "exports" {
		return vint(0)
	}
	return undef
}

// equalFold is strcasecmp(a, b) == 0: ASCII letters folded.
func equalFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i, c := range a {
		d := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if d >= 'A' && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}
