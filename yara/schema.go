package yara

import (
	"fmt"
	"strings"
)

// mkind is the kind of a module value as yara declares it.
type mkind uint8

const (
	mInt mkind = iota + 1
	mStr
	mStruct
	mArray
	mDict
	mFunc
)

// mtype is the declared type of a module value. Values yara 4.2 declares
// that this engine does not compute are kept, marked unsupported, so that
// a rule using one is rejected at compile time rather than seeing it
// undefined.
type mtype struct {
	kind        mkind
	name        string            // "pe.sections[].name", for messages
	fields      map[string]*mtype // mStruct
	elem        *mtype            // mArray, mDict
	funcs       []mfunc           // mFunc: the overloads
	unsupported bool
}

// mfunc is one overload: its argument types, one letter each (i integer,
// s string, r regular expression).
type mfunc struct {
	args        string
	ret         mkind
	unsupported bool
}

var (
	mIntType = &mtype{kind: mInt}
	mStrType = &mtype{kind: mStr}
)

// moduleSchemas are the modules whose values the engine types and
// computes from a declaration; math and hash are typed by moduleFuncs.
var moduleSchemas = map[string]*mtype{
	"pe": buildSchema("pe", peDecls),
}

// buildSchema reads declarations, one a line: "i path" (integer), "s path"
// (string), "f path(args)r" (a function returning i or s), "c NAME value"
// (an integer constant), each prefixed by "!" when unsupported. A path's
// parts are separated by dots; "name[]" is an array of structures and
// "name{}" a dictionary of strings.
func buildSchema(module, decls string) *mtype {
	root := &mtype{kind: mStruct, name: module, fields: map[string]*mtype{}}
	for _, line := range strings.Split(decls, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		unsupported := strings.HasPrefix(line, "!")
		line = strings.TrimPrefix(line, "!")
		kind, rest, _ := strings.Cut(line, " ")
		switch kind {
		case "c":
			name, _, _ := strings.Cut(rest, " ")
			root.fields[name] = &mtype{kind: mInt, name: module + "." + name}
			continue
		case "f":
			path, sig, _ := strings.Cut(rest, "(")
			args, ret, _ := strings.Cut(sig, ")")
			parent := root
			parts := strings.Split(path, ".")
			for _, part := range parts[:len(parts)-1] {
				t := parent.fields[part]
				if t == nil {
					t = &mtype{kind: mStruct, name: parent.name + "." + part, fields: map[string]*mtype{}}
					parent.fields[part] = t
				}
				parent = t
			}
			name := parts[len(parts)-1]
			f := parent.fields[name]
			if f == nil {
				f = &mtype{kind: mFunc, name: parent.name + "." + name}
				parent.fields[name] = f
			}
			rk := mInt
			if ret == "s" {
				rk = mStr
			}
			f.funcs = append(f.funcs, mfunc{args: args, ret: rk, unsupported: unsupported})
			continue
		}
		t := root
		parts := strings.Split(rest, ".")
		for i, part := range parts {
			last := i == len(parts)-1
			array := strings.HasSuffix(part, "[]")
			dict := strings.HasSuffix(part, "{}")
			name := strings.TrimSuffix(strings.TrimSuffix(part, "[]"), "{}")
			f := t.fields[name]
			if f == nil {
				path := t.name + "." + name
				switch {
				case dict:
					f = &mtype{kind: mDict, name: path, elem: &mtype{kind: mStr, name: path + "[]"}}
				case array:
					f = &mtype{kind: mArray, name: path, elem: &mtype{kind: mStruct, name: path + "[]", fields: map[string]*mtype{}}}
				case last && kind == "s":
					f = &mtype{kind: mStr, name: path}
				case last:
					f = &mtype{kind: mInt, name: path}
				default:
					f = &mtype{kind: mStruct, name: path, fields: map[string]*mtype{}}
				}
				t.fields[name] = f
			}
			f.unsupported = f.unsupported || unsupported && (last || i == 0)
			t = f
			if array {
				t = f.elem
			}
		}
	}
	return root
}

// peConsts are the constants of the pe module, as yara 4.2 sets them.
var peConsts = func() map[string]int64 {
	m := map[string]int64{}
	for _, line := range strings.Split(peDecls, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "c "); ok {
			name, v, _ := strings.Cut(rest, " ")
			var n int64
			if _, err := fmt.Sscan(v, &n); err != nil {
				panic("pe constant " + name + ": " + err.Error())
			}
			m[name] = n
		}
	}
	return m
}()

// peDecls declares the pe module of yara 4.2.3 (libyara/modules/pe/pe.c,
// built with OpenSSL as Debian builds it), in the order of its
// declarations.
const peDecls = `
c MACHINE_UNKNOWN 0
c MACHINE_AM33 0x1d3
c MACHINE_AMD64 0x8664
c MACHINE_ARM 0x1c0
c MACHINE_ARMNT 0x1c4
c MACHINE_ARM64 0xaa64
c MACHINE_EBC 0xebc
c MACHINE_I386 0x14c
c MACHINE_IA64 0x200
c MACHINE_M32R 0x9041
c MACHINE_MIPS16 0x266
c MACHINE_MIPSFPU 0x366
c MACHINE_MIPSFPU16 0x466
c MACHINE_POWERPC 0x1f0
c MACHINE_POWERPCFP 0x1f1
c MACHINE_R4000 0x166
c MACHINE_SH3 0x1a2
c MACHINE_SH3DSP 0x1a3
c MACHINE_SH4 0x1a6
c MACHINE_SH5 0x1a8
c MACHINE_THUMB 0x1c2
c MACHINE_WCEMIPSV2 0x169
c MACHINE_TARGET_HOST 0x1
c MACHINE_R3000 0x162
c MACHINE_R10000 0x168
c MACHINE_ALPHA 0x184
c MACHINE_SH3E 0x1a4
c MACHINE_ALPHA64 0x284
c MACHINE_AXP64 0x284
c MACHINE_TRICORE 0x520
c MACHINE_CEF 0xcef
c MACHINE_CEE 0xc0ee

c SUBSYSTEM_UNKNOWN 0
c SUBSYSTEM_NATIVE 1
c SUBSYSTEM_WINDOWS_GUI 2
c SUBSYSTEM_WINDOWS_CUI 3
c SUBSYSTEM_OS2_CUI 5
c SUBSYSTEM_POSIX_CUI 7
c SUBSYSTEM_NATIVE_WINDOWS 8
c SUBSYSTEM_WINDOWS_CE_GUI 9
c SUBSYSTEM_EFI_APPLICATION 10
c SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER 11
c SUBSYSTEM_EFI_RUNTIME_DRIVER 12
c SUBSYSTEM_EFI_ROM_IMAGE 13
c SUBSYSTEM_XBOX 14
c SUBSYSTEM_WINDOWS_BOOT_APPLICATION 16

c HIGH_ENTROPY_VA 0x20
c DYNAMIC_BASE 0x40
c FORCE_INTEGRITY 0x80
c NX_COMPAT 0x100
c NO_ISOLATION 0x200
c NO_SEH 0x400
c NO_BIND 0x800
c APPCONTAINER 0x1000
c WDM_DRIVER 0x2000
c GUARD_CF 0x4000
c TERMINAL_SERVER_AWARE 0x8000

c RELOCS_STRIPPED 0x1
c EXECUTABLE_IMAGE 0x2
c LINE_NUMS_STRIPPED 0x4
c LOCAL_SYMS_STRIPPED 0x8
c AGGRESIVE_WS_TRIM 0x10
c LARGE_ADDRESS_AWARE 0x20
c BYTES_REVERSED_LO 0x80
c MACHINE_32BIT 0x100
c DEBUG_STRIPPED 0x200
c REMOVABLE_RUN_FROM_SWAP 0x400
c NET_RUN_FROM_SWAP 0x800
c SYSTEM 0x1000
c DLL 0x2000
c UP_SYSTEM_ONLY 0x4000
c BYTES_REVERSED_HI 0x8000

c IMAGE_DIRECTORY_ENTRY_EXPORT 0
c IMAGE_DIRECTORY_ENTRY_IMPORT 1
c IMAGE_DIRECTORY_ENTRY_RESOURCE 2
c IMAGE_DIRECTORY_ENTRY_EXCEPTION 3
c IMAGE_DIRECTORY_ENTRY_SECURITY 4
c IMAGE_DIRECTORY_ENTRY_BASERELOC 5
c IMAGE_DIRECTORY_ENTRY_DEBUG 6
c IMAGE_DIRECTORY_ENTRY_ARCHITECTURE 7
c IMAGE_DIRECTORY_ENTRY_COPYRIGHT 7
c IMAGE_DIRECTORY_ENTRY_GLOBALPTR 8
c IMAGE_DIRECTORY_ENTRY_TLS 9
c IMAGE_DIRECTORY_ENTRY_LOAD_CONFIG 10
c IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT 11
c IMAGE_DIRECTORY_ENTRY_IAT 12
c IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT 13
c IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR 14

c IMAGE_NT_OPTIONAL_HDR32_MAGIC 0x10b
c IMAGE_NT_OPTIONAL_HDR64_MAGIC 0x20b
c IMAGE_ROM_OPTIONAL_HDR_MAGIC 0x107

c SECTION_NO_PAD 0x8
c SECTION_CNT_CODE 0x20
c SECTION_CNT_INITIALIZED_DATA 0x40
c SECTION_CNT_UNINITIALIZED_DATA 0x80
c SECTION_LNK_OTHER 0x100
c SECTION_LNK_INFO 0x200
c SECTION_LNK_REMOVE 0x800
c SECTION_LNK_COMDAT 0x1000
c SECTION_NO_DEFER_SPEC_EXC 0x4000
c SECTION_GPREL 0x8000
c SECTION_MEM_FARDATA 0x8000
c SECTION_MEM_PURGEABLE 0x20000
c SECTION_MEM_16BIT 0x20000
c SECTION_MEM_LOCKED 0x40000
c SECTION_MEM_PRELOAD 0x80000
c SECTION_ALIGN_1BYTES 0x100000
c SECTION_ALIGN_2BYTES 0x200000
c SECTION_ALIGN_4BYTES 0x300000
c SECTION_ALIGN_8BYTES 0x400000
c SECTION_ALIGN_16BYTES 0x500000
c SECTION_ALIGN_32BYTES 0x600000
c SECTION_ALIGN_64BYTES 0x700000
c SECTION_ALIGN_128BYTES 0x800000
c SECTION_ALIGN_256BYTES 0x900000
c SECTION_ALIGN_512BYTES 0xa00000
c SECTION_ALIGN_1024BYTES 0xb00000
c SECTION_ALIGN_2048BYTES 0xc00000
c SECTION_ALIGN_4096BYTES 0xd00000
c SECTION_ALIGN_8192BYTES 0xe00000
c SECTION_ALIGN_MASK 0xf00000
c SECTION_LNK_NRELOC_OVFL 0x1000000
c SECTION_MEM_DISCARDABLE 0x2000000
c SECTION_MEM_NOT_CACHED 0x4000000
c SECTION_MEM_NOT_PAGED 0x8000000
c SECTION_MEM_SHARED 0x10000000
c SECTION_MEM_EXECUTE 0x20000000
c SECTION_MEM_READ 0x40000000
c SECTION_MEM_WRITE 0x80000000
c SECTION_SCALE_INDEX 0x1

c RESOURCE_TYPE_CURSOR 1
c RESOURCE_TYPE_BITMAP 2
c RESOURCE_TYPE_ICON 3
c RESOURCE_TYPE_MENU 4
c RESOURCE_TYPE_DIALOG 5
c RESOURCE_TYPE_STRING 6
c RESOURCE_TYPE_FONTDIR 7
c RESOURCE_TYPE_FONT 8
c RESOURCE_TYPE_ACCELERATOR 9
c RESOURCE_TYPE_RCDATA 10
c RESOURCE_TYPE_MESSAGETABLE 11
c RESOURCE_TYPE_GROUP_CURSOR 12
c RESOURCE_TYPE_GROUP_ICON 14
c RESOURCE_TYPE_VERSION 16
c RESOURCE_TYPE_DLGINCLUDE 17
c RESOURCE_TYPE_PLUGPLAY 19
c RESOURCE_TYPE_VXD 20
c RESOURCE_TYPE_ANICURSOR 21
c RESOURCE_TYPE_ANIICON 22
c RESOURCE_TYPE_HTML 23
c RESOURCE_TYPE_MANIFEST 24

c IMAGE_DEBUG_TYPE_UNKNOWN 0
c IMAGE_DEBUG_TYPE_COFF 1
c IMAGE_DEBUG_TYPE_CODEVIEW 2
c IMAGE_DEBUG_TYPE_FPO 3
c IMAGE_DEBUG_TYPE_MISC 4
c IMAGE_DEBUG_TYPE_EXCEPTION 5
c IMAGE_DEBUG_TYPE_FIXUP 6
c IMAGE_DEBUG_TYPE_OMAP_TO_SRC 7
c IMAGE_DEBUG_TYPE_OMAP_FROM_SRC 8
c IMAGE_DEBUG_TYPE_BORLAND 9
c IMAGE_DEBUG_TYPE_RESERVED10 10
c IMAGE_DEBUG_TYPE_CLSID 11
c IMAGE_DEBUG_TYPE_VC_FEATURE 12
c IMAGE_DEBUG_TYPE_POGO 13
c IMAGE_DEBUG_TYPE_ILTCG 14
c IMAGE_DEBUG_TYPE_MPX 15
c IMAGE_DEBUG_TYPE_REPRO 16

i is_pe
i machine
i number_of_sections
i timestamp
i pointer_to_symbol_table
i number_of_symbols
i size_of_optional_header
i characteristics

i entry_point
i entry_point_raw
i image_base
i number_of_rva_and_sizes
i number_of_version_infos

s version_info{}
s version_info_list[].key
s version_info_list[].value

i opthdr_magic
i size_of_code
i size_of_initialized_data
i size_of_uninitialized_data
i base_of_code
i base_of_data
i section_alignment
i file_alignment
i linker_version.major
i linker_version.minor
i os_version.major
i os_version.minor
i image_version.major
i image_version.minor
i subsystem_version.major
i subsystem_version.minor
i win32_version_value
i size_of_image
i size_of_headers

i checksum
f calculate_checksum()i
i subsystem

i dll_characteristics
i size_of_stack_reserve
i size_of_stack_commit
i size_of_heap_reserve
i size_of_heap_commit
i loader_flags

i data_directories[].virtual_address
i data_directories[].size

s sections[].name
s sections[].full_name
i sections[].characteristics
i sections[].virtual_address
i sections[].virtual_size
i sections[].raw_data_offset
i sections[].raw_data_size
i sections[].pointer_to_relocations
i sections[].pointer_to_line_numbers
i sections[].number_of_relocations
i sections[].number_of_line_numbers

i overlay.offset
i overlay.size

i rich_signature.offset
i rich_signature.length
i rich_signature.key
s rich_signature.raw_data
s rich_signature.clear_data
f rich_signature.version(i)i
f rich_signature.version(ii)i
f rich_signature.toolid(i)i
f rich_signature.toolid(ii)i

f imphash()s

c IMPORT_DELAYED 2
c IMPORT_STANDARD 1
c IMPORT_ANY -1

f section_index(s)i
f section_index(i)i
f exports(s)i
f exports(r)i
f exports(i)i
f exports_index(s)i
f exports_index(i)i
f exports_index(r)i
f imports(ss)i
f imports(si)i
f imports(s)i
f imports(rr)i
f imports(iss)i
f imports(isi)i
f imports(is)i
f imports(irr)i
f locale(i)i
f language(i)i
f is_dll()i
f is_32bit()i
f is_64bit()i

i number_of_imports
i number_of_imported_functions
i number_of_delayed_imports
i number_of_delayed_imported_functions
i number_of_exports

s dll_name
i export_timestamp
i export_details[].offset
s export_details[].name
s export_details[].forward_name
i export_details[].ordinal

s import_details[].library_name
i import_details[].number_of_functions
s import_details[].functions[].name
i import_details[].functions[].ordinal

# yara 4.2.3 fills "delayed_import_details", which it does not declare:
# delay_import_details stays empty
s delay_import_details[].library_name
i delay_import_details[].number_of_function
s delay_import_details[].functions[].name
i delay_import_details[].functions[].ordinal

i resource_timestamp
i resource_version.major
i resource_version.minor

i resources[].rva
i resources[].offset
i resources[].length
i resources[].type
i resources[].id
i resources[].language
s resources[].type_string
s resources[].name_string
s resources[].language_string

i number_of_resources
s pdb_path

!s signatures[].thumbprint
!s signatures[].issuer
!s signatures[].subject
!i signatures[].version
!s signatures[].algorithm
!s signatures[].algorithm_oid
!s signatures[].serial
!i signatures[].not_before
!i signatures[].not_after
# and the function signatures[].valid_on(i)
!i number_of_signatures

f rva_to_offset(i)i
`
