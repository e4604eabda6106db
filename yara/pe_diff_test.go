package yara

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The pe module is compared with yara's on PE files built by MinGW (when
// installed), on byte-built ones and on damaged copies of both: rules
// written by hand for the semantics (loops, case, constants, undefined
// values), and rules generated from the values this engine computes for
// every field and function on each file ("pe.timestamp == 1600000001",
// "not defined pe.sections[3].name", …), which yara must match exactly
// where this engine does.

// mingwSources are built by the MinGW compilers: an executable importing
// from kernel32, user32, ws2_32 (by name and by ordinal), oleaut32 (by
// ordinal) and a DLL by ordinal only, and a DLL exporting by name, by
// ordinal only and by forwarding, both with a version resource and named
// resources.
var mingwSources = map[string]string{
	"main.c": `#include <winsock2.h>
#include <windows.h>
#include <oleauto.h>
int OrdFunc(int);
int main(int argc, char **argv) {
  WSADATA d; WSAStartup(0x202, &d);
  MessageBoxA(0, "exhunt", "test", 0);
  SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
  u_short p = htons(80);
  closesocket(s);
  BSTR b = SysAllocString(L"x");
  return (int)GetTickCount() + p + OrdFunc(argc) + (b != 0) +
         (VirtualAlloc(0, 10, MEM_COMMIT, PAGE_READWRITE) != 0);
}
`,
	"dll.c": `#include <windows.h>
int ExportedOne(int x) { return x + 1; }
int exportedTwo(int x) { return x * 2; }
int Hidden(int x) { return x - 1; }
BOOL WINAPI DllMain(HINSTANCE h, DWORD r, LPVOID p) { return TRUE; }
`,
	"dll.def": `LIBRARY exhunt_test.dll
EXPORTS
  ExportedOne
  exportedTwo
  Hidden @42 NONAME
  Fwd = kernel32.GetTickCount
`,
	"ord.def": `LIBRARY exhunt_ord.dll
EXPORTS
  OrdFunc @7 NONAME
`,
	"ws64.def":  "LIBRARY ws2_32.dll\nEXPORTS\n  htons @9 NONAME\n",
	"ws32.def":  "LIBRARY ws2_32.dll\nEXPORTS\n  htons@4 @9 NONAME\n",
	"ole64.def": "LIBRARY OLEAUT32.dll\nEXPORTS\n  SysAllocString @2 NONAME\n",
	"ole32.def": "LIBRARY OLEAUT32.dll\nEXPORTS\n  SysAllocString@4 @2 NONAME\n",
	"res.rc": `1 VERSIONINFO
FILEVERSION 1,2,3,4
PRODUCTVERSION 1,2,3,4
FILEFLAGSMASK 0x3fL
FILEOS 0x40004L
FILETYPE 0x2L
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904b0"
    BEGIN
      VALUE "CompanyName", "Contoso Ltd."
      VALUE "FileDescription", "exhunt test binary"
      VALUE "FileVersion", "1.2.3.4"
      VALUE "InternalName", "exhunt_test"
      VALUE "OriginalFilename", "exhunt_test.dll"
      VALUE "ProductName", "Exhunt Test"
      VALUE "ProductVersion", "1.2.3.4"
      VALUE "Comments", "longer than 255 characters: 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
MYRES MYTYPE { "hello\0" }
LANGUAGE 0x07, 0x01
2 RCDATA { "x\0" }
`,
}

var (
	mingwOnce  sync.Once
	mingwFiles map[string][]byte
	mingwErr   error
)

// mingwPEs builds the MinGW files once per test binary: exe32, exe64,
// dll32, dll64 and stripped copies; nil when the compilers are missing.
func mingwPEs(t *testing.T) map[string][]byte {
	t.Helper()
	mingwOnce.Do(func() {
		for _, tool := range []string{"x86_64-w64-mingw32-gcc", "i686-w64-mingw32-gcc", "x86_64-w64-mingw32-windres", "i686-w64-mingw32-windres", "x86_64-w64-mingw32-dlltool", "i686-w64-mingw32-dlltool"} {
			if _, err := exec.LookPath(tool); err != nil {
				return
			}
		}
		dir, err := os.MkdirTemp("", "exhunt-mingw")
		if err != nil {
			mingwErr = err
			return
		}
		defer os.RemoveAll(dir)
		for name, src := range mingwSources {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
				mingwErr = err
				return
			}
		}
		run := func(args ...string) error {
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
			}
			return nil
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for k, bits := range []string{"64", "32"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := map[string]string{"64": "x86_64-w64-mingw32-", "32": "i686-w64-mingw32-"}[bits]
				steps := [][]string{
					{p + "windres", "res.rc", "-O", "coff", "-o", "res" + bits + ".o"},
					{p + "dlltool", "-d", "ord.def", "-l", "libord" + bits + ".a"},
					{p + "dlltool", "-d", "ws" + bits + ".def", "-l", "libws" + bits + ".a"},
					{p + "dlltool", "-d", "ole" + bits + ".def", "-l", "libole" + bits + ".a"},
					{p + "gcc", "-O1", "-o", "exe" + bits + ".exe", "main.c", "res" + bits + ".o", "-L.", "-lord" + bits, "-lws" + bits, "-lole" + bits, "-lws2_32", "-luser32", "-loleaut32"},
					{p + "gcc", "-O1", "-shared", "-o", "dll" + bits + ".dll", "dll.c", "dll.def", "res" + bits + ".o"},
					{p + "gcc", "-O1", "-s", "-o", "exe" + bits + "_stripped.exe", "main.c", "-L.", "-lord" + bits, "-lws" + bits, "-lole" + bits, "-lws2_32", "-luser32", "-loleaut32"},
					{p + "gcc", "-O1", "-s", "-shared", "-o", "dll" + bits + "_stripped.dll", "dll.c", "dll.def"},
				}
				for _, s := range steps {
					if err := run(s...); err != nil {
						errs[k] = err
						return
					}
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				mingwErr = err
				return
			}
		}
		mingwFiles = map[string][]byte{}
		for _, name := range []string{"exe64.exe", "exe32.exe", "dll64.dll", "dll32.dll", "exe64_stripped.exe", "exe32_stripped.exe", "dll64_stripped.dll", "dll32_stripped.dll"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				mingwErr = err
				return
			}
			mingwFiles[name] = b
		}
	})
	if mingwErr != nil {
		t.Fatalf("building the MinGW test files: %v", mingwErr)
	}
	return mingwFiles
}

// peCorpus returns the files of the differential tests by name, and for
// the damaged copies the name of the file they come from. Damaged copies
// are made of a few files, of more when $EXHUNT_PE_FULL is set.
func peCorpus(t *testing.T) (map[string][]byte, map[string]string) {
	files := map[string][]byte{
		"text.txt":  []byte("<%@ Page Language=\"C#\" %> not a PE file\n"),
		"empty.bin": {},
	}
	origin := map[string]string{}
	for name, data := range handMadePEs() {
		files[name] = data
	}
	damage := []string{"imports64", "exports32", "version64", "sections32", "delayed0_32", "debug1_64", "rich32", "exe32.exe", "dll64.dll"}
	if os.Getenv("EXHUNT_PE_FULL") != "" {
		damage = append(damage, "imports32", "exports64", "delayed1_64", "version32", "sections64", "flat32", "rsrc_level0",
			"exe64.exe", "dll32.dll", "exe64_stripped.exe", "dll32_stripped.dll")
	}
	for name, data := range mingwPEs(t) {
		files[name] = data
	}
	for i, base := range damage {
		if files[base] == nil {
			continue // no MinGW
		}
		for name, data := range mutants(files[base], int64(i)) {
			files[base+"."+name] = data
			origin[base+"."+name] = base
		}
	}
	return files, origin
}

// peStaticRules are written by hand: the semantics of loops over the
// module's arrays and dictionary, of case in the names of imports and
// exports, and of the values on data that is not a PE file.
const peStaticRules = `
import "pe"
rule is_pe { condition: pe.is_pe }
rule is_pe_0 { condition: pe.is_pe == 0 }
rule undef_sections { condition: not defined pe.number_of_sections }
rule undef_dll { condition: not defined pe.is_dll() }
rule dll_bit { condition: pe.is_dll() == pe.DLL }
rule dll_one { condition: pe.is_dll() == 1 }
rule dll_flag { condition: pe.characteristics & pe.DLL }
rule exe_flag { condition: pe.characteristics & pe.EXECUTABLE_IMAGE and not (pe.characteristics & pe.DLL) }
rule i386 { condition: pe.machine == pe.MACHINE_I386 and pe.is_32bit() and not pe.is_64bit() }
rule amd64 { condition: pe.machine == pe.MACHINE_AMD64 and pe.is_64bit() }
rule gui { condition: pe.subsystem == pe.SUBSYSTEM_WINDOWS_GUI }
rule cui { condition: pe.subsystem == pe.SUBSYSTEM_WINDOWS_CUI }
rule ep_neg { condition: pe.entry_point == -1 }
rule ep_in_text { condition: for any s in pe.sections : (s.name == ".text" and pe.entry_point >= s.raw_data_offset and pe.entry_point < s.raw_data_offset + s.raw_data_size) }
rule ep_section { condition: pe.section_index(pe.entry_point) == pe.section_index(".text") }
rule sec_exec { condition: for any i in (0..pe.number_of_sections - 1) : (pe.sections[i].characteristics & pe.SECTION_MEM_EXECUTE) }
rule sec_exec_write { condition: for any s in pe.sections : (s.characteristics & pe.SECTION_MEM_EXECUTE and s.characteristics & pe.SECTION_MEM_WRITE) }
rule sec_all_named { condition: for all s in pe.sections : (s.name != "") }
rule sec_none_rsrc { condition: for none s in pe.sections : (s.name == ".rsrc") }
rule sec_count { condition: for 3 s in pe.sections : (s.raw_data_size > 0) }
rule sec_debug { condition: for any s in pe.sections : (s.full_name startswith ".debug") }
rule sec_nul { condition: pe.section_index(".a") == 0 }
rule sec_loop_undef { condition: for any s in pe.sections : (s.name == "nosuch") or true }
rule imp_k32 { condition: pe.imports("kernel32.dll", "GetTickCount") }
rule imp_k32_case { condition: pe.imports("KERNEL32.DLL", "gettickcount") }
rule imp_k32_dll { condition: pe.imports("kernel32.dll") >= 2 }
rule imp_ws_socket { condition: pe.imports("ws2_32.dll", "socket") }
rule imp_ws_ord9 { condition: pe.imports("ws2_32.dll", 9) and pe.imports("ws2_32.dll", "htons") }
rule imp_ws_ord23 { condition: pe.imports("ws2_32.dll", 23) and pe.imports("WS2_32.dll", "socket") }
rule imp_ole { condition: pe.imports("oleaut32.dll", "SysAllocString") }
rule imp_ordn { condition: pe.imports("exhunt_ord.dll", "ord7") and pe.imports("exhunt_ord.dll", 7) }
rule imp_user32 { condition: pe.imports("user32.dll", "MessageBoxA") }
rule imp_none { condition: not pe.imports("nosuch.dll", "X") and pe.imports("nosuch.dll") == 0 }
rule imp_nul { condition: pe.imports("kernel32.dll\x00junk", "GetTickCount\x00junk") }
rule imp_re { condition: pe.imports(/kernel32/i, /^Get/) }
rule imp_re2 { condition: pe.imports(/ws2_32\.dll$/i, /./) >= 2 }
rule imp_re_empty { condition: pe.imports(/^/, /^/) }
rule imp_re_any { condition: pe.imports(/x*/, /y*/) > 0 }
rule imp_re_end { condition: pe.imports(/$/, /$/) }
rule imp_loop { condition: for any d in pe.import_details : (d.library_name iequals "kernel32.dll" and d.number_of_functions > 0) }
rule imp_loop_f { condition: for any d in pe.import_details : (for any f in d.functions : (f.name == "GetTickCount")) }
rule imp_loop_ord { condition: for any d in pe.import_details : (for any f in d.functions : (f.ordinal == 23)) }
rule imp_loop_undef { condition: for all d in pe.import_details : (for all f in d.functions : (defined f.name)) }
rule dl_func { condition: pe.imports(pe.IMPORT_DELAYED, "exhunt_delay.dll", "delayedfunc") }
rule dl_ord { condition: pe.imports(pe.IMPORT_DELAYED, "Exhunt_Delay.dll", 5) and pe.imports(pe.IMPORT_ANY, "ws2_32.dll", "socket") }
rule dl_std { condition: pe.imports(pe.IMPORT_STANDARD, "kernel32.dll", "GetTickCount") and not pe.imports(pe.IMPORT_STANDARD, "exhunt_delay.dll", "DelayedFunc") }
rule dl_count { condition: pe.imports(pe.IMPORT_ANY, "kernel32.dll") == 2 }
rule dl_count0 { condition: pe.imports(0, "kernel32.dll") == 0 and not pe.imports(0, "kernel32.dll", "Sleep") }
rule dl_re { condition: pe.imports(pe.IMPORT_DELAYED, /delay/, /./) == 2 }
rule dl_n { condition: pe.number_of_delayed_imports == 4 and pe.number_of_delayed_imported_functions == 5 }
rule dl_details { condition: not defined pe.delay_import_details[0].library_name and not for any d in pe.delay_import_details : (true) }
rule imphash_def { condition: defined pe.imphash() }
rule imphash_empty { condition: pe.imphash() == "d41d8cd98f00b204e9800998ecf8427e" }
rule exp_one { condition: pe.exports("ExportedOne") }
rule exp_case { condition: pe.exports("EXPORTEDONE") and pe.exports("exportedtwo") }
rule exp_ord1 { condition: pe.exports(1) }
rule exp_ord42 { condition: pe.exports(42) }
rule exp_ord0 { condition: pe.exports(0) }
rule exp_neg { condition: pe.exports(-1) }
rule exp_re { condition: pe.exports(/^Exported/) }
rule exp_re_i { condition: pe.exports(/exportedtwo/i) }
rule exp_re_empty { condition: pe.exports(/^$/) }
rule exp_idx { condition: pe.exports_index("exportedTwo") == 1 }
rule exp_idx_undef { condition: not defined pe.exports_index("nosuch") }
rule exp_idx_re { condition: pe.exports_index(/Two/) >= 0 }
rule exp_idx_ord { condition: pe.exports_index(1) == 0 }
rule exp_fwd { condition: for any e in pe.export_details : (e.forward_name iequals "kernel32.GetTickCount" and not defined e.offset) }
rule exp_unnamed { condition: for any e in pe.export_details : (not defined e.name) }
rule exp_nul { condition: pe.exports("ExportedOne\x00") }
rule exp_dll { condition: pe.dll_name == "exhunt_test.dll" }
rule vi_company { condition: pe.version_info["CompanyName"] == "Contoso Ltd." }
rule vi_company_ms { condition: pe.version_info["CompanyName"] contains "Microsoft" }
rule vi_missing { condition: not defined pe.version_info["NoSuchKey"] }
rule vi_nul_key { condition: pe.version_info["CompanyName\x00x"] == pe.version_info["CompanyName"] }
rule vi_empty { condition: pe.version_info["Empty"] == "" }
rule vi_loop { condition: for any k, v in pe.version_info : (k == "ProductName" and v icontains "exhunt") }
rule vi_loop_all { condition: for all k, v in pe.version_info : (k != "" and defined v) }
rule vi_list { condition: for any e in pe.version_info_list : (e.key == "FileVersion" and e.value == "1.2.3.4") }
rule vi_count { condition: pe.number_of_version_infos > 5 }
rule rsrc_named { condition: for any r in pe.resources : (r.type_string == "M\x00Y\x00T\x00Y\x00P\x00E\x00") }
rule rsrc_version { condition: for any r in pe.resources : (r.type == pe.RESOURCE_TYPE_VERSION) }
rule rsrc_lang { condition: pe.language(7) and pe.locale(0x407) }
rule rsrc_lang_undef { condition: pe.language(0xff) }
rule rsrc_many { condition: pe.number_of_resources == 65537 }
rule ddir { condition: pe.data_directories[pe.IMAGE_DIRECTORY_ENTRY_IMPORT].virtual_address != 0 }
rule ddir_loop { condition: for any d in pe.data_directories : (d.size > 0x10000) }
rule overlay { condition: pe.overlay.size > 0 }
rule rva { condition: pe.rva_to_offset(pe.entry_point_raw) == pe.entry_point }
rule checksum_ok { condition: pe.checksum == pe.calculate_checksum() }
rule dllchars { condition: pe.dll_characteristics & pe.DYNAMIC_BASE and pe.dll_characteristics & pe.NX_COMPAT }
rule base_of_data { condition: defined pe.base_of_data }
rule idx_neg { condition: not defined pe.sections[-1].name }
rule idx_undef { condition: not defined pe.sections[uint8(0x7fffffff)].name }
rule opt_magic { condition: pe.opthdr_magic == pe.IMAGE_NT_OPTIONAL_HDR64_MAGIC }
rule rich { condition: pe.rich_signature.toolid(0x104) > 0 and pe.rich_signature.clear_data contains "DanS" }
rule rich_undef { condition: not defined pe.rich_signature.length }
rule pdb { condition: pe.pdb_path endswith ".pdb" }
rule pdb_undef { condition: not defined pe.pdb_path }
rule mz { condition: uint16(0) == 0x5a4d and not pe.is_pe }
`

// escapeYara writes b as the body of a yara string literal.
func escapeYara(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\x%02x", c)
		}
	}
	return sb.String()
}

func quoteYara(b []byte) string { return `"` + escapeYara(b) + `"` }

// peExprs lists the expressions whose values the generated rules check on
// data: every field and function of the module, over the items this
// engine finds (and one beyond), with the names found as arguments.
func peExprs(data []byte) []string {
	var ex []string
	add := func(f string, a ...any) { ex = append(ex, fmt.Sprintf(f, a...)) }
	for _, f := range []string{"is_pe", "machine", "number_of_sections", "timestamp", "pointer_to_symbol_table",
		"number_of_symbols", "size_of_optional_header", "characteristics", "entry_point", "entry_point_raw",
		"image_base", "number_of_rva_and_sizes", "number_of_version_infos", "opthdr_magic", "size_of_code",
		"size_of_initialized_data", "size_of_uninitialized_data", "base_of_code", "base_of_data",
		"section_alignment", "file_alignment", "linker_version.major", "linker_version.minor",
		"os_version.major", "os_version.minor", "image_version.major", "image_version.minor",
		"subsystem_version.major", "subsystem_version.minor", "win32_version_value", "size_of_image",
		"size_of_headers", "checksum", "subsystem", "dll_characteristics", "size_of_stack_reserve",
		"size_of_stack_commit", "size_of_heap_reserve", "size_of_heap_commit", "loader_flags",
		"overlay.offset", "overlay.size", "number_of_imports", "number_of_imported_functions",
		"pdb_path", "rich_signature.offset", "rich_signature.length", "rich_signature.key",
		"rich_signature.raw_data", "rich_signature.clear_data", "rich_signature.version(30729)",
		"rich_signature.version(30729, 0x104)", "rich_signature.toolid(0x104)", "rich_signature.toolid(0x104, 30729)",
		"rich_signature.toolid(0xff)", "rich_signature.version(27412, 0x105)", "rich_signature.version(1)",
		"rich_signature.toolid(-1)",
		"number_of_exports", "number_of_delayed_imports", "number_of_delayed_imported_functions", "dll_name", "export_timestamp", "resource_timestamp", "resource_version.major",
		"resource_version.minor", "number_of_resources",
		"is_dll()", "is_32bit()", "is_64bit()", "imphash()", "calculate_checksum()",
		`section_index(".text")`, `section_index("")`, "section_index(0)", "section_index(-1)",
		`exports("")`, "exports(0)", "exports(1)", "exports(2)", "exports(-1)", `exports_index("")`,
		"exports_index(1)", "rva_to_offset(0)", "rva_to_offset(1)", "rva_to_offset(0xffffffff)",
		"rva_to_offset(-1)", "locale(0x409)", "language(9)", "locale(0xdaff)", "language(0xff)", "locale(0)",
		`imports("kernel32.dll")`, `imports("nosuch.dll", "x")`, `imports("")`,
		`imports(/./, /./)`, `imports(/^k/i, /^Get/)`, `imports(/^$/, /^$/)`, `exports(/./)`, `exports(/^$/)`,
		`exports_index(/a/)`, `imports(2, "kernel32.dll")`, `imports(3, "kernel32.dll", "Sleep")`,
		`imports(-1, /./, /./)`, "delay_import_details[0].library_name", "delay_import_details[0].number_of_function",
	} {
		add("pe.%s", f)
	}
	p := parsePE(data)
	if p == nil {
		return ex
	}
	p.parseImports()
	p.parseExports()
	p.parseResources()
	for i := -1; i <= min(len(p.secs), 40); i++ {
		for _, f := range []string{"name", "full_name", "characteristics", "virtual_address", "virtual_size",
			"raw_data_offset", "raw_data_size", "pointer_to_relocations", "pointer_to_line_numbers",
			"number_of_relocations", "number_of_line_numbers"} {
			add("pe.sections[%d].%s", i, f)
		}
		if i >= 0 && i < len(p.secs) {
			s := p.secs[i]
			add("pe.section_index(%s)", quoteYara(s.name))
			for _, a := range []int64{int64(s.rawPtr), int64(s.rawPtr) + int64(s.rawSize) - 1, int64(s.rawPtr) + int64(s.rawSize)} {
				add("pe.section_index(%d)", a)
			}
			for _, a := range []int64{int64(s.va), int64(s.va) + int64(s.vsize) - 1, int64(s.va) + int64(s.vsize), int64(s.va) + 0x123} {
				add("pe.rva_to_offset(%d)", a)
			}
		}
	}
	for i := range 17 {
		add("pe.data_directories[%d].virtual_address", i)
		add("pe.data_directories[%d].size", i)
		va, _ := p.dataDir(i % 16)
		add("pe.rva_to_offset(%d)", va)
	}
	for i := 0; i <= min(len(p.imports), 30); i++ {
		add("pe.import_details[%d].library_name", i)
		add("pe.import_details[%d].number_of_functions", i)
		if i == len(p.imports) {
			break
		}
		d := p.imports[i]
		dll := quoteYara(d.name)
		add("pe.imports(%s)", dll)
		add("pe.imports(%s)", quoteYara(bytes.ToUpper(d.name)))
		n := d.base + len(d.funcs)
		for j := max(0, d.base-2); j <= min(n, d.base+40); j++ {
			add("pe.import_details[%d].functions[%d].name", i, j)
			add("pe.import_details[%d].functions[%d].ordinal", i, j)
		}
		for k, f := range d.funcs {
			if k > 40 {
				break
			}
			add("pe.imports(%s, %s)", dll, quoteYara(f.name))
			add("pe.imports(%s, %s)", quoteYara(bytes.ToLower(d.name)), quoteYara(bytes.ToUpper(f.name)))
			if f.hasOrdinal {
				add("pe.imports(%s, %d)", dll, f.ordinal)
				add("pe.imports(%s, %d)", dll, int(f.ordinal)+1)
			}
		}
	}
	p.parseDelayed()
	for i, d := range p.delayed {
		if i > 10 {
			break
		}
		add("pe.imports(2, %s)", quoteYara(d.name))
		for k, f := range d.funcs {
			if k > 20 {
				break
			}
			add("pe.imports(2, %s, %s)", quoteYara(d.name), quoteYara(f.name))
			add("pe.imports(-1, %s, %s)", quoteYara(bytes.ToUpper(d.name)), quoteYara(f.name))
			if f.hasOrdinal {
				add("pe.imports(2, %s, %d)", quoteYara(d.name), f.ordinal)
			}
		}
	}
	for i := 0; i <= min(len(p.exports), 40); i++ {
		for _, f := range []string{"offset", "name", "forward_name", "ordinal"} {
			add("pe.export_details[%d].%s", i, f)
		}
		if i == len(p.exports) {
			break
		}
		e := p.exports[i]
		add("pe.exports(%d)", e.ordinal)
		add("pe.exports_index(%d)", e.ordinal)
		if e.name.k == vStr {
			add("pe.exports(%s)", quoteYara(e.name.s))
			add("pe.exports(%s)", quoteYara(bytes.ToLower(e.name.s)))
			add("pe.exports_index(%s)", quoteYara(e.name.s))
		}
	}
	for i := 0; i <= min(len(p.resources), 30); i++ {
		for _, f := range []string{"rva", "offset", "length", "type", "id", "language", "type_string", "name_string", "language_string"} {
			add("pe.resources[%d].%s", i, f)
		}
		if i < len(p.resources) && p.resources[i].langStr == nil {
			add("pe.locale(%d)", p.resources[i].lang&0xffff)
			add("pe.language(%d)", p.resources[i].lang&0xff)
		}
	}
	for i := 0; i <= min(len(p.versionList), 30); i++ {
		add("pe.version_info_list[%d].key", i)
		add("pe.version_info_list[%d].value", i)
		if i < len(p.versionList) {
			add("pe.version_info[%s]", quoteYara(p.versionList[i].key))
		}
	}
	for _, k := range []string{"CompanyName", "FileDescription", "FileVersion", "ProductName", "OriginalFilename", "NoSuchKey", ""} {
		add("pe.version_info[%q]", k)
	}
	return ex
}

// ourValues evaluates expressions on data.
func ourValues(t *testing.T, data []byte, exprs []string) []value {
	t.Helper()
	var src strings.Builder
	src.WriteString("import \"pe\"\n")
	for i, x := range exprs {
		fmt.Fprintf(&src, "rule e%d { condition: %s }\n", i, x)
	}
	rs, err := Compile(Source{Name: "exprs.yar", Data: []byte(src.String())})
	if err != nil {
		t.Fatal(err)
	}
	ms := stringMatches(rs, data)
	sc := &scanner{rs: rs, data: data, ms: ms, state: make([]int8, len(rs.rules))}
	out := make([]value, len(exprs))
	for i, r := range rs.rules {
		out[i] = sc.eval(r.ast.Condition, &env{r: r, cur: -1})
	}
	return out
}

// valueRules writes one rule per expression that holds when the
// expression has the value this engine computes on data.
func valueRules(t *testing.T, prefix string, data []byte) []string {
	exprs := peExprs(data)
	vals := ourValues(t, data, exprs)
	var rules []string
	for i, x := range exprs {
		var cond string
		switch v := vals[i]; v.k {
		case vInt, vBool:
			cond = fmt.Sprintf("%s == %d", x, v.i)
		case vStr:
			cond = fmt.Sprintf("%s == %s", x, quoteYara(v.s))
		case vUndef:
			cond = fmt.Sprintf("not defined (%s)", x)
		default:
			t.Fatalf("%s: value of kind %d", x, v.k)
		}
		rules = append(rules, fmt.Sprintf("rule %s%d { condition: %s }", prefix, i, cond))
	}
	return rules
}

// yaraMatches runs yara over a file or directory and returns the matching
// (rule, file) pairs.
func yaraMatches(t *testing.T, yaraBin, rules, target string) map[pair]bool {
	t.Helper()
	got, err := yaraRun(yaraBin, rules, target)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func yaraRun(yaraBin, rules, target string) (map[pair]bool, error) {
	out, err := exec.Command(yaraBin, "-w", "-r", rules, target).Output()
	if err != nil {
		return nil, fmt.Errorf("yara %s %s: %v", rules, target, err)
	}
	got := map[pair]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if rule, file, ok := strings.Cut(sc.Text(), " "); ok {
			got[pair{rule, file}] = true
		}
	}
	return got, nil
}

func ourMatches(t *testing.T, rs *Rules, path string, data []byte) map[pair]bool {
	t.Helper()
	ms, err := rs.Scan(data, nil)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	got := map[pair]bool{}
	for _, m := range ms {
		got[pair{m.Rule, path}] = true
	}
	return got
}

// compareMatches reports the pairs one side has and the other lacks.
func compareMatches(t *testing.T, what string, want, got map[pair]bool) int {
	t.Helper()
	var diffs []string
	for p := range want {
		if !got[p] {
			diffs = append(diffs, "yara only: "+p.rule+" "+p.file)
		}
	}
	for p := range got {
		if !want[p] {
			diffs = append(diffs, "ours only: "+p.rule+" "+p.file)
		}
	}
	sort.Strings(diffs)
	for i, d := range diffs {
		if i == 30 && os.Getenv("PEDIFF_ALL") == "" {
			t.Errorf("%s: … %d differences", what, len(diffs))
			break
		}
		t.Errorf("%s: %s", what, d)
	}
	return len(diffs)
}

func writeCorpus(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPEStaticAgainstYara runs the hand-written rules and one rule per
// constant of the module over the corpus with both engines.
func TestPEStaticAgainstYara(t *testing.T) {
	if testing.Short() {
		t.Skip("slow differential test")
	}
	yaraBin := needYara(t)
	files, _ := peCorpus(t)
	dir := writeCorpus(t, files)
	src := peStaticRules
	names := make([]string, 0, len(peConsts))
	for name := range peConsts {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		src += fmt.Sprintf("rule const_%s { condition: pe.%s == %d }\n", name, name, peConsts[name])
	}
	rulesPath := filepath.Join(t.TempDir(), "static.yar")
	os.WriteFile(rulesPath, []byte(src), 0o644)
	rs, err := Compile(Source{Name: "static.yar", Data: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	want := yaraMatches(t, yaraBin, rulesPath, dir)
	got := map[pair]bool{}
	for name, data := range files {
		for p := range ourMatches(t, rs, filepath.Join(dir, name), data) {
			got[p] = true
		}
	}
	nd := compareMatches(t, "static rules", want, got)
	decisions := len(rs.rules) * len(files)
	t.Logf("%d rules × %d files: %d of %d decisions agree with yara (%d matches)", len(rs.rules), len(files), decisions-nd, decisions, len(want))
}

// TestPEValuesAgainstYara checks every value this engine computes, on
// every file of the corpus, against yara: the rules generated from the
// values of each file of a batch (up to 20 of a file and its damaged
// copies, or of the other files) are run over every file of the batch by
// both engines, which must decide the same.
func TestPEValuesAgainstYara(t *testing.T) {
	if testing.Short() {
		t.Skip("slow differential test")
	}
	yaraBin := needYara(t)
	files, origin := peCorpus(t)
	groups := map[string][]string{}
	for name := range files {
		g := "others"
		if o, ok := origin[name]; ok {
			g = o
		} else {
			for _, o := range origin {
				if o == name {
					g = name
					break
				}
			}
		}
		groups[g] = append(groups[g], name)
	}
	var batches [][]string
	for _, names := range groups {
		slices.Sort(names)
		for len(names) > 0 {
			n := min(len(names), 20)
			batches = append(batches, names[:n])
			names = names[n:]
		}
	}
	var mu sync.Mutex
	total, differ, matched, nrules := 0, 0, 0, 0
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for bi, names := range batches {
		dir := t.TempDir()
		var src strings.Builder
		src.WriteString("import \"pe\"\n")
		n := 0
		for k, name := range names {
			if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
				t.Fatal(err)
			}
			for _, r := range valueRules(t, fmt.Sprintf("f%d_", k), files[name]) {
				src.WriteString(r)
				src.WriteByte('\n')
				n++
			}
		}
		rulesPath := filepath.Join(t.TempDir(), "values.yar")
		if err := os.WriteFile(rulesPath, []byte(src.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		rs, err := Compile(Source{Name: "values.yar", Data: []byte(src.String())})
		if err != nil {
			t.Fatalf("batch %d: %v", bi, err)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			yc := make(chan map[pair]bool, 1)
			go func() {
				m, err := yaraRun(yaraBin, rulesPath, dir)
				if err != nil {
					t.Error(err)
				}
				yc <- m
			}()
			got := map[pair]bool{}
			for _, name := range names {
				for p := range ourMatches(t, rs, filepath.Join(dir, name), files[name]) {
					got[p] = true
				}
			}
			want := <-yc
			mu.Lock()
			defer mu.Unlock()
			differ += compareMatches(t, fmt.Sprintf("batch %d (%s…)", bi, names[0]), want, got)
			total += n * len(names)
			nrules += n
			matched += len(want)
		}()
	}
	wg.Wait()
	t.Logf("%d files in %d batches, %d generated rules: %d of %d (rule, file) decisions agree with yara (%d matches)", len(files), len(batches), nrules, total-differ, total, matched)
}

// TestPEHandMade checks values of the byte-built files that the
// differential tests cannot check without yara.
func TestPEHandMade(t *testing.T) {
	files := handMadePEs()
	cases := []struct {
		file, cond string
	}{
		{"imports64", `pe.number_of_imports == 11 and pe.imports("kernel32.dll") == 5 and pe.imports("KERNEL32.DLL", "virtualalloc")`},
		{"imports64", `pe.imports("ws2_32.dll", "socket") and pe.imports("ws2_32.dll", 23) and pe.imports("ws2_32.dll", "ord9999")`},
		{"imports32", `pe.imports("oleaut32.dll", "SysAllocString") and pe.imports("oleaut32.dll", "ord1") and pe.imports("wsock32.dll", "closesocket")`},
		{"imports32", `not pe.imports("bad<name>.dll") and pe.imports("iat.dll", "FromIAT") and not pe.imports("iat.dll", "ord1")`},
		{"imports64", `pe.import_details[1].functions[4].name == "socket" and not defined pe.import_details[1].functions[0].name`},
		{"exports64", `pe.number_of_exports == 8 and pe.exports("") and pe.exports(/^$/) and pe.exports("zeta") and not pe.exports(1) and pe.exports(5) and pe.exports(8) and not pe.exports(12) and pe.export_details[0].ordinal == 5`},
		{"exports32", `pe.export_details[3].forward_name == "KERNEL32.GetTickCount" and not defined pe.export_details[1].name and pe.export_details[4].offset == -1`},
		{"flat64", `pe.number_of_sections == 0 and pe.imports("user32.dll", "MessageBoxA") and pe.exports("Only")`},
		{"sections32", `pe.sections[1].full_name == ".debug_info" and not defined pe.sections[2].full_name and pe.sections[0].name == ".a\x00b" and pe.section_index(".a") == 0`},
		{"version64", `pe.version_info["CompanyName"] == "second value" and pe.version_info["Wide"] == "caf\xe9 " and pe.number_of_version_infos == 8`},
		{"rsrc_loop", `pe.number_of_resources == 65537`},
		{"rich64", `pe.rich_signature.offset == 0x40 and pe.rich_signature.length == 48 and pe.rich_signature.key == 0x9c3e1a2b and pe.rich_signature.clear_data startswith "DanS\x00\x00\x00\x00" and pe.rich_signature.version(30729) == 15 and pe.rich_signature.toolid(0x104, 30729) == 14`},
		{"rich_nokey32", `not defined pe.rich_signature.key and not defined pe.rich_signature.version(30729)`},
		{"rich_padding64", `not defined pe.rich_signature.offset`},
		{"debug0_64", `pe.pdb_path == "C:\\build\\exhunt\\Release\\exhunt_test.pdb"`},
		{"debug1_32", `pe.pdb_path == "old.pdb"`},
		{"debug2_64", `pe.pdb_path == "/tmp/mtoc.pdb"`},
		{"debug3_32", `pe.pdb_path == "` + strings.Repeat("q", 1023) + `"`},
		{"imports32", `not defined pe.pdb_path`},
		{"delayed1_64", `pe.number_of_delayed_imports == 4 and pe.number_of_delayed_imported_functions == 5 and pe.imports(pe.IMPORT_DELAYED, "ws2_32.dll", "socket") and pe.imports(pe.IMPORT_ANY, "KERNEL32.dll") == 2`},
		{"delayed0_32", `pe.imports(pe.IMPORT_DELAYED, "exhunt_delay.dll", "DelayedFunc") and not pe.imports("exhunt_delay.dll", "DelayedFunc")`},
		{"delayed0_64", `pe.number_of_delayed_imports == 0 and pe.number_of_delayed_imported_functions == 0`},
		{"many_sections", `pe.number_of_sections == 65535 and pe.entry_point == -1 and defined pe.sections[1].name and not defined pe.sections[40].name`},
		{"opt64_as32size", `not pe.is_pe and defined pe.is_pe`},
		{"text.txt", `pe.is_pe == 0`},
	}
	files["text.txt"] = []byte("not a PE")
	for _, c := range cases {
		rs := mustCompile(t, "import \"pe\" rule r { condition: "+c.cond+" }")
		if got := scanNames(t, rs, string(files[c.file]), nil); got != "r" {
			t.Errorf("%s: %s is false", c.file, c.cond)
		}
	}
}

// TestPEUnsupported checks that what the engine does not compute is
// rejected at compile time, with the file, the line and the feature.
func TestPEUnsupported(t *testing.T) {
	for _, c := range []struct{ cond, want string }{
		{"pe.number_of_signatures == 1", "pe.number_of_signatures is not supported"},
		{"pe.signatures[0].issuer == \"x\"", "pe.signatures is not supported"},
		{"pe.nosuch == 1", `invalid field name "nosuch"`},
		{"pe.imports(1)", `wrong arguments for function "pe.imports"`},
		{"pe.sections == 1", "not a value"},
		{"pe.sections[\"a\"].name == \"\"", "indexed by a string"},
		{"pe.version_info[1] == \"\"", "indexed by a integer"},
		{"pe.is_dll == 1", "is a function"},
		{"for any x in pe.version_info : (true)", "two values"},
		{"for any k, v in pe.sections : (true)", "one value"},
	} {
		_, err := Compile(Source{Name: "u.yar", Data: []byte("import \"pe\"\nrule r {\n condition:\n  " + c.cond + "\n}")})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "u.yar:4:") {
			t.Errorf("%s: error %v, want u.yar:4: … %s", c.cond, err, c.want)
		}
	}
}

// TestPELazy checks that rules not using pe do not parse the data, and
// that a scan parses it once.
func TestPELazy(t *testing.T) {
	data := handMadePEs()["imports64"]
	rs := mustCompile(t, `import "pe" rule a { condition: filesize > 0 or pe.number_of_sections == 1 } rule b { condition: pe.DLL == 0x2000 }`)
	ms := stringMatches(rs, data)
	sc := &scanner{rs: rs, data: data, ms: ms, state: make([]int8, len(rs.rules))}
	for i := range rs.rules {
		sc.ruleResult(i)
	}
	if sc.peDone {
		t.Error("the data was parsed for rules that need no PE value")
	}
	rs = mustCompile(t, `import "pe" rule a { condition: pe.number_of_imports > 0 and pe.imports("kernel32.dll") > 0 }`)
	ms = stringMatches(rs, data)
	sc = &scanner{rs: rs, data: data, ms: ms, state: make([]int8, len(rs.rules))}
	if !sc.ruleResult(0) || !sc.peDone || sc.pe == nil || !sc.pe.importsDone || sc.pe.exportsDone || sc.pe.resourcesDone {
		t.Error("imports were not parsed alone")
	}
}

// TestPEBoundedWork parses files on which yara's parse is quadratic or
// worse: it must end quickly, within the work budget.
func TestPEBoundedWork(t *testing.T) {
	// 20000 import descriptors naming DLLs inside one 1 MiB name without
	// its NUL: each name is scanned to the end of the file
	b := &peImage{}
	run := b.add(bytes.Repeat([]byte("A"), 1<<20))
	var tab []byte
	for i := range 20000 {
		tab = le.AppendUint32(tab, 0)
		tab = le.AppendUint32(tab, 0)
		tab = le.AppendUint32(tab, 0)
		tab = le.AppendUint32(tab, run+uint32(i))
		tab = le.AppendUint32(tab, 0)
	}
	b.dirs[1] = [2]uint32{b.add(tab), uint32(len(tab))}
	imports := b.bytes()

	// a resource directory of 32768 entries, each the directory itself:
	// 32768^3 entries to visit
	rs := &peImage{}
	dir := make([]byte, 16+8*32768)
	le.PutUint16(dir[14:], 32768)
	root := rs.add(nil)
	for i := range 32768 {
		le.PutUint32(dir[16+8*i:], uint32(i))
		le.PutUint32(dir[16+8*i+4:], 0x80000000)
	}
	rs.add(dir)
	rs.dirs[2] = [2]uint32{root, uint32(len(dir))}
	resources := rs.bytes()

	for name, data := range map[string][]byte{"imports": imports, "resources": resources} {
		start := time.Now()
		p := parsePE(data)
		p.parseImports()
		p.parseResources()
		p.parseExports()
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: parsed in %v", name, d)
		}
		if p.work > maxPEWork+1<<20 {
			t.Errorf("%s: work %d, budget %d", name, p.work, maxPEWork)
		}
		t.Logf("%s: %d bytes, work %d, %d DLLs, %d resources, %v", name, len(data), p.work, p.nImports, len(p.resources), time.Since(start))
	}
}

// stringMatches returns the string matches of a scan of data by rs, in
// memory of their own.
func stringMatches(rs *Rules, data []byte) [][]smatch {
	x := rs.getScratch()
	rs.scanStrings(data, x)
	ms := make([][]smatch, len(x.ms))
	for i, m := range x.ms {
		ms[i] = slices.Clone(m)
	}
	rs.putScratch(x)
	return ms
}
