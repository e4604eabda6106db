package indicators

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"flag"
	"hash/crc32"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

var update = flag.Bool("update", false, "rewrite the generated samples under testdata/content")

// contentDir holds the samples of the content rules: tp/<rule>/ files that
// must match <rule>, fp/ look-alikes that must match nothing of medium
// severity or above.
const contentDir = "testdata/content"

// generatedSamples are the samples made by code rather than by hand: other
// encodings of hand-written samples (UTF-16LE as PowerShell and Notepad
// save, UTF-8 with a byte-order mark and CRLF as Visual Studio saves),
// .NET assemblies and archives. TestGeneratedSamples keeps the files in
// testdata in step with this function; -update rewrites them.
func generatedSamples(t *testing.T) map[string][]byte {
	t.Helper()
	read := func(rel string) []byte {
		b, err := os.ReadFile(filepath.Join(contentDir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	m := map[string][]byte{}
	reencode := func(src, dst string, enc func([]byte) []byte) { m[dst] = enc(read(src)) }
	for _, s := range []struct{ src, dst string }{
		{"tp/webshell_chopper_eval/jscript_item.aspx", "tp/webshell_chopper_eval/jscript_item_utf16le.aspx"},
		{"tp/webshell_chopper_eval/classic_execute.asp", "tp/webshell_chopper_eval/classic_execute_utf16le.asp"},
		{"tp/webshell_chopper_obfuscated/script_block_pretty.aspx", "tp/webshell_chopper_obfuscated/script_block_pretty_utf16le.aspx"},
		{"tp/oab_config_dump_script/discover.aspx", "tp/oab_config_dump_script/discover_utf16le.aspx"},
		{"tp/webshell_secchecker/secchecker_csharp.aspx", "tp/webshell_secchecker/secchecker_csharp_utf16le.aspx"},
		{"tp/webshell_aspx_cmdexec/process_start_info.aspx", "tp/webshell_aspx_cmdexec/process_start_info_utf16le.aspx"},
		{"tp/webshell_aspx_filemanager/file_browser.aspx", "tp/webshell_aspx_filemanager/file_browser_utf16le.aspx"},
		{"tp/webshell_aspx_assembly_loader/binaryread_loader.aspx", "tp/webshell_aspx_assembly_loader/binaryread_loader_utf16le.aspx"},
		{"tp/webshell_aspx_upload/stream_writer.aspx", "tp/webshell_aspx_upload/stream_writer_utf16le.aspx"},
		{"tp/webshell_aspx_tunnel/header_tunnel.aspx", "tp/webshell_aspx_tunnel/header_tunnel_utf16le.aspx"},
		{"tp/hacktool_lsass_dump_command/m.ps1", "tp/hacktool_lsass_dump_command/m_utf16le.ps1"},
		{"tp/hacktool_nishang_powershell_tcp/oneliner.ps1", "tp/hacktool_nishang_powershell_tcp/oneliner_utf16le.ps1"},
		{"tp/hacktool_powercat/cradle.bat", "tp/hacktool_powercat/cradle_utf16le.txt"},
		{"tp/hacktool_covenant_grunt/launcher.ps1", "tp/hacktool_covenant_grunt/launcher_utf16le.ps1"},
		{"tp/ransom_dearcry_note/readme.txt", "tp/ransom_dearcry_note/readme_utf16le.txt"},
	} {
		reencode(s.src, s.dst, func(b []byte) []byte { return utf16LE(crlf(b)) })
	}
	for _, s := range []struct{ src, dst string }{
		{"tp/webshell_chopper_eval/jscript_debug_multiline.aspx", "tp/webshell_chopper_eval/jscript_debug_multiline_bom_crlf.aspx"},
		{"tp/webshell_chopper_obfuscated/directive_string_array.aspx", "tp/webshell_chopper_obfuscated/directive_string_array_bom_crlf.aspx"},
		{"tp/oab_config_dump_script/script_in_internalurl.aspx", "tp/oab_config_dump_script/script_in_internalurl_bom_crlf.aspx"},
		{"tp/webshell_secchecker/secchecker_jscript.aspx", "tp/webshell_secchecker/secchecker_jscript_bom_crlf.aspx"},
		{"tp/webshell_aspx_upload/posted_file.aspx", "tp/webshell_aspx_upload/posted_file_bom_crlf.aspx"},
		{"tp/webshell_aspx_cmdexec/stdin_process.aspx", "tp/webshell_aspx_cmdexec/stdin_process_bom_crlf.aspx"},
		{"tp/webshell_aspx_tunnel/querystring_tunnel.aspx", "tp/webshell_aspx_tunnel/querystring_tunnel_bom_crlf.aspx"},
		{"tp/webshell_aspx_filemanager/spy_named.aspx", "tp/webshell_aspx_filemanager/spy_named_bom_crlf.aspx"},
		{"tp/webshell_aspx_assembly_loader/aes_loader.aspx", "tp/webshell_aspx_assembly_loader/aes_loader_bom_crlf.aspx"},
		{"fp/exchange/logon.aspx", "fp/exchange/logon_bom_crlf.aspx"},
		{"fp/Get-OabVirtualDirectory.txt", "fp/Get-OabVirtualDirectory_bom.txt"},
	} {
		reencode(s.src, s.dst, func(b []byte) []byte { return append([]byte("\xEF\xBB\xBF"), crlf(b)...) })
	}
	// Out-File and ">" in Windows PowerShell write UTF-16LE.
	reencode("fp/Get-OabVirtualDirectory.txt", "fp/Get-OabVirtualDirectory_utf16le.txt", func(b []byte) []byte { return utf16LE(crlf(b)) })

	// Compiled pages, as ASP.NET leaves them in Temporary ASP.NET Files.
	chopperNames := []string{"<Module>", "App_Web_k2x9qf3d.dll", "ASP", "aspnet_client_errorcheck_aspx", "System.Web.UI", "Page",
		"FrameworkInitialize", "Page_Load", "get_Request", "HttpRequest", "get_Item", "System.Web", "Microsoft.JScript",
		"Eval", "JScriptEvaluate", "Microsoft.JScript.Vsa", "VsaEngine", "mscorlib", "Object", "GetTypeHashCode", "ProcessRequest"}
	m["tp/compiled_webshell_chopper/App_Web_k2x9qf3d.dll"] = dotnetAssembly(assemblySpec{
		Module: "App_Web_k2x9qf3d.dll", Names: chopperNames,
		UserStrings: []string{"~/aspnet_client/errorcheck.aspx", "w8r", "unsafe"},
	})
	m["tp/compiled_webshell_chopper/precompiled_renamed.dll"] = dotnetAssembly(assemblySpec{
		Module: "errorcheck.dll", Names: slices.DeleteFunc(slices.Clone(chopperNames), func(s string) bool { return strings.HasPrefix(s, "App_Web_") }),
		UserStrings: []string{"~/owa/auth/errorcheck.aspx", "unsafe", "t0"},
	})
	dumpText := strings.ReplaceAll(string(read("tp/oab_config_dump_script/discover.aspx")), "\r\n", "\n")
	before, _, _ := strings.Cut(dumpText, "<script")
	before = strings.ReplaceAll(before, "\n", "\r\n")
	after := "\r\nAdminDisplayVersion             : Version 15.1 (Build 2176.2)\r\n"
	oabNames := []string{"<Module>", "App_Web_0vfk1msd.dll", "ASP", "aspnet_client_discover_aspx", "System.Web.UI", "Page", "LiteralControl",
		"AddParsedSubObject", "__BuildControlTree", "Page_Load", "get_Request", "get_Item", "Microsoft.JScript", "Eval", "JScriptEvaluate", "mscorlib"}
	m["tp/compiled_webshell_oab_dump/App_Web_0vfk1msd.dll"] = dotnetAssembly(assemblySpec{
		Module: "App_Web_0vfk1msd.dll", Names: oabNames,
		UserStrings: []string{before, "x91z", "unsafe", after, "~/aspnet_client/discover.aspx"},
	})
	m["tp/compiled_webshell_oab_dump/App_Web_literal_resource.dll"] = dotnetAssembly(assemblySpec{
		Module: "App_Web_rq3ma0zd.dll", Names: oabNames,
		UserStrings: []string{"~/owa/auth/Current/themes/resources/logon.aspx"},
		Resource:    []byte(before + "\x00" + after),
	})
	// The Covenant stager as its launcher's compiler leaves it.
	m["tp/hacktool_covenant_grunt/GruntStager.dll"] = dotnetAssembly(assemblySpec{
		Module:      "Grunt\x53tager.dll",
		Names:       []string{"<Module>", "Grunt\x53tager", "Grunt\x53tager.dll", "Execute\x53tager", "Main", "Execute", "mscorlib", "System.Net", "WebClient", "Assembly", "Load"},
		UserStrings: []string{"https://198.51.100.40:443", "/en-us/index.html", "Cookie"},
	})
	// Look-alikes: a compiled Exchange page, and a library that implements
	// JScript's eval (it holds "unsafe" and JScriptEvaluate, but no page
	// reading a Request).
	m["fp/Temporary ASP.NET Files/App_Web_logon.dll"] = dotnetAssembly(assemblySpec{
		Module: "App_Web_logon.aspx.cdcab7d2.dll",
		Names: []string{"<Module>", "App_Web_logon.aspx.cdcab7d2.dll", "ASP", "auth_logon_aspx", "Microsoft.Exchange.HttpProxy", "Logon", "Page_Load",
			"get_Request", "get_QueryString", "get_Item", "System.Web", "get_Server", "HtmlEncode", "mscorlib"},
		UserStrings: []string{"~/auth/logon.aspx", "flags", "url", "reason", "Outlook", "Microsoft Exchange"},
	})
	m["fp/Microsoft.JScriptLike.dll"] = dotnetAssembly(assemblySpec{
		Module:      "Microsoft.JScript.dll",
		Names:       []string{"<Module>", "Microsoft.JScript.dll", "Microsoft.JScript", "Eval", "JScriptEvaluate", "VsaEngine", "GlobalObject", "mscorlib"},
		UserStrings: []string{"unsafe", "JScript", "eval"},
	})

	// Archives.
	m["tp/staging_archive_zip/it.zip"] = zipArchive(t, map[string]string{"mailboxes/admin.pst": "!BDN placeholder", "readme.txt": "export"})
	m["tp/staging_archive_zip/lsass.dmp.zip"] = zipArchive(t, map[string]string{"lsass.dmp": "MDMP\x93\xa7 placeholder"})
	m["tp/staging_archive_7z/empty.7z"] = sevenZip(nil, nil)
	m["tp/staging_archive_7z/pst.7z"] = sevenZip(pseudoRandom(1, 300), []byte{0x17, 0x06, 0x80, 0x00})
	m["tp/staging_archive_cab/recon.cab"] = cabinet(map[string]string{"ip.txt": "Windows IP Configuration\r\n", "arp.txt": "Interface: 10.0.0.5 --- 0x4\r\n"})
	m["tp/staging_archive_cab/web.dmp.cab"] = cabinet(map[string]string{"w3wp.dmp": "MDMP\x93\xa7 placeholder"})
	m["tp/staging_archive_rar/staged.rar"] = rar5()
	m["tp/staging_archive_rar/old.rar"] = rar4()
	return m
}

func TestGeneratedSamples(t *testing.T) {
	for rel, want := range generatedSamples(t) {
		p := filepath.Join(contentDir, filepath.FromSlash(rel))
		if *update {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("%v (run go test -run TestGeneratedSamples -update)", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what generatedSamples makes (run go test -run TestGeneratedSamples -update)", rel)
		}
	}
}

// utf16LE encodes UTF-8 text as UTF-16LE with a byte-order mark.
func utf16LE(b []byte) []byte {
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(string(b))) {
		out = binary.LittleEndian.AppendUint16(out, u)
	}
	return out
}

func crlf(b []byte) []byte {
	return []byte(strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n", "\r\n"))
}

func pseudoRandom(seed int64, n int) []byte {
	r := rand.New(rand.NewSource(seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Intn(256))
	}
	return b
}

// assemblySpec describes a small .NET assembly: a PE32 image with one
// .text section holding the CLI header, an optional managed resource and
// the metadata (a module table of one row, the #Strings, #US, #GUID and
// #Blob heaps), laid out as ECMA-335 II.24-25 describe. It has no code:
// the rules read only the headers and the heaps.
type assemblySpec struct {
	Module      string
	Names       []string // #Strings heap
	UserStrings []string // #US heap
	Resource    []byte
}

func dotnetAssembly(s assemblySpec) []byte {
	align := func(b []byte, n int) []byte {
		for len(b)%n != 0 {
			b = append(b, 0)
		}
		return b
	}
	// Heaps.
	strs := []byte{0}
	index := map[string]int{}
	for _, n := range append([]string{s.Module}, s.Names...) {
		if _, ok := index[n]; ok {
			continue
		}
		index[n] = len(strs)
		strs = append(append(strs, n...), 0)
	}
	strs = align(strs, 4)
	us := []byte{0}
	for _, u := range s.UserStrings {
		enc := utf16.Encode([]rune(u))
		n := 2*len(enc) + 1
		switch {
		case n < 0x80:
			us = append(us, byte(n))
		case n < 0x4000:
			us = append(us, byte(0x80|n>>8), byte(n))
		default:
			us = append(us, byte(0xC0|n>>24), byte(n>>16), byte(n>>8), byte(n))
		}
		special := byte(0)
		for _, c := range enc {
			us = binary.LittleEndian.AppendUint16(us, c)
			// ECMA-335 II.24.2.4: the final byte is 1 when a character
			// needs more than the low byte, or is one of these.
			if c > 0xFF || (c >= 1 && c <= 8) || (c >= 0x0E && c <= 0x1F) || c == 0x27 || c == 0x2D || c == 0x7F {
				special = 1
			}
		}
		us = append(us, special)
	}
	us = align(us, 4)
	guid := []byte{0x3d, 0x1e, 0x6a, 0x52, 0x8b, 0x0c, 0x4f, 0x47, 0x9e, 0x21, 0x55, 0x7a, 0x10, 0xc4, 0x3b, 0x90}
	blob := []byte{0, 0, 0, 0}
	// #~: the Module table only.
	tables := binary.LittleEndian.AppendUint32(nil, 0)
	tables = append(tables, 2, 0, 0, 1)
	tables = binary.LittleEndian.AppendUint64(tables, 1)                  // valid: Module
	tables = binary.LittleEndian.AppendUint64(tables, 0x000016003301FA00) // sorted
	tables = binary.LittleEndian.AppendUint32(tables, 1)
	tables = binary.LittleEndian.AppendUint16(tables, 0)                       // Generation
	tables = binary.LittleEndian.AppendUint16(tables, uint16(index[s.Module])) // Name
	tables = binary.LittleEndian.AppendUint16(tables, 1)                       // Mvid
	tables = binary.LittleEndian.AppendUint16(tables, 0)
	tables = binary.LittleEndian.AppendUint16(tables, 0)
	tables = align(tables, 4)

	// Metadata root and stream headers.
	streams := []struct {
		name string
		data []byte
	}{{"#~", tables}, {"#Strings", strs}, {"#US", us}, {"#GUID", guid}, {"#Blob", blob}}
	version := "v4.0.30319\x00\x00"
	hdrLen := 16 + len(version) + 4
	for _, st := range streams {
		hdrLen += 8 + (len(st.name)/4+1)*4
	}
	md := binary.LittleEndian.AppendUint32(nil, 0x424A5342)
	md = binary.LittleEndian.AppendUint16(md, 1)
	md = binary.LittleEndian.AppendUint16(md, 1)
	md = binary.LittleEndian.AppendUint32(md, 0)
	md = binary.LittleEndian.AppendUint32(md, uint32(len(version)))
	md = append(md, version...)
	md = binary.LittleEndian.AppendUint16(md, 0)
	md = binary.LittleEndian.AppendUint16(md, uint16(len(streams)))
	off := hdrLen
	for _, st := range streams {
		md = binary.LittleEndian.AppendUint32(md, uint32(off))
		md = binary.LittleEndian.AppendUint32(md, uint32(len(st.data)))
		md = align(append(md, st.name...), 4)
		if len(st.name)%4 == 0 {
			md = append(md, 0, 0, 0, 0)
		}
		off += len(st.data)
	}
	for _, st := range streams {
		md = append(md, st.data...)
	}

	// .text: import address table slot, CLI header, resources, metadata.
	const textRVA, cliRVA, fileAlign, sectAlign = 0x2000, 0x2008, 0x200, 0x2000
	text := make([]byte, 8+0x48)
	res := []byte(nil)
	if s.Resource != nil {
		res = align(append(binary.LittleEndian.AppendUint32(nil, uint32(len(s.Resource))), s.Resource...), 8)
	}
	resRVA := textRVA + len(text)
	mdRVA := resRVA + len(res)
	cli := text[8:]
	binary.LittleEndian.PutUint32(cli[0:], 0x48)
	binary.LittleEndian.PutUint16(cli[4:], 2)
	binary.LittleEndian.PutUint16(cli[6:], 5)
	binary.LittleEndian.PutUint32(cli[8:], uint32(mdRVA))
	binary.LittleEndian.PutUint32(cli[12:], uint32(len(md)))
	binary.LittleEndian.PutUint32(cli[16:], 1) // COMIMAGE_FLAGS_ILONLY
	if res != nil {
		binary.LittleEndian.PutUint32(cli[24:], uint32(resRVA))
		binary.LittleEndian.PutUint32(cli[28:], uint32(len(res)))
	}
	text = append(append(text, res...), md...)
	virtSize := len(text)
	text = align(text, fileAlign)

	// Headers: DOS header and stub, PE signature, COFF header, PE32
	// optional header, one section header.
	pe := make([]byte, fileAlign)
	copy(pe, "MZ")
	binary.LittleEndian.PutUint16(pe[2:], 0x90)
	binary.LittleEndian.PutUint16(pe[4:], 3)
	binary.LittleEndian.PutUint16(pe[8:], 4)
	binary.LittleEndian.PutUint16(pe[0x0C:], 0xFFFF)
	binary.LittleEndian.PutUint16(pe[0x10:], 0xB8)
	binary.LittleEndian.PutUint16(pe[0x18:], 0x40)
	binary.LittleEndian.PutUint32(pe[0x3C:], 0x80)
	copy(pe[0x40:], "\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$")
	copy(pe[0x80:], "PE\x00\x00")
	coff := pe[0x84:]
	binary.LittleEndian.PutUint16(coff[0:], 0x14C)
	binary.LittleEndian.PutUint16(coff[2:], 1)
	binary.LittleEndian.PutUint32(coff[4:], uint32(time.Date(2021, 3, 3, 7, 2, 11, 0, time.UTC).Unix()))
	binary.LittleEndian.PutUint16(coff[16:], 0xE0)
	binary.LittleEndian.PutUint16(coff[18:], 0x2102) // executable, 32-bit, DLL
	opt := pe[0x98:]
	sizeOfImage := (textRVA + virtSize + sectAlign - 1) / sectAlign * sectAlign
	binary.LittleEndian.PutUint16(opt[0:], 0x10B)
	opt[2] = 48
	binary.LittleEndian.PutUint32(opt[4:], uint32(len(text)))
	binary.LittleEndian.PutUint32(opt[20:], textRVA)
	binary.LittleEndian.PutUint32(opt[24:], uint32(sizeOfImage))
	binary.LittleEndian.PutUint32(opt[28:], 0x10000000)
	binary.LittleEndian.PutUint32(opt[32:], sectAlign)
	binary.LittleEndian.PutUint32(opt[36:], fileAlign)
	binary.LittleEndian.PutUint16(opt[40:], 4)
	binary.LittleEndian.PutUint16(opt[48:], 4)
	binary.LittleEndian.PutUint32(opt[56:], uint32(sizeOfImage))
	binary.LittleEndian.PutUint32(opt[60:], fileAlign)
	binary.LittleEndian.PutUint16(opt[68:], 3)
	binary.LittleEndian.PutUint16(opt[70:], 0x8540)
	binary.LittleEndian.PutUint32(opt[72:], 0x100000)
	binary.LittleEndian.PutUint32(opt[76:], 0x1000)
	binary.LittleEndian.PutUint32(opt[80:], 0x100000)
	binary.LittleEndian.PutUint32(opt[84:], 0x1000)
	binary.LittleEndian.PutUint32(opt[92:], 16)
	binary.LittleEndian.PutUint32(opt[96+14*8:], cliRVA) // CLR runtime header
	binary.LittleEndian.PutUint32(opt[96+14*8+4:], 0x48)
	sec := pe[0x98+0xE0:]
	copy(sec, ".text")
	binary.LittleEndian.PutUint32(sec[8:], uint32(virtSize))
	binary.LittleEndian.PutUint32(sec[12:], textRVA)
	binary.LittleEndian.PutUint32(sec[16:], uint32(len(text)))
	binary.LittleEndian.PutUint32(sec[20:], fileAlign)
	binary.LittleEndian.PutUint32(sec[36:], 0x60000020)
	return append(pe, text...)
}

// zipArchive stores the files uncompressed, with a fixed time, so that
// the bytes do not depend on the compressor.
func zipArchive(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Store, Modified: time.Date(2021, 3, 3, 9, 30, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[n]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sevenZip writes the 32-byte signature header of a 7z archive followed by
// the packed streams and the next header (both empty: an empty archive).
func sevenZip(packed, next []byte) []byte {
	h := []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C, 0, 4}
	start := binary.LittleEndian.AppendUint64(nil, uint64(len(packed)))
	start = binary.LittleEndian.AppendUint64(start, uint64(len(next)))
	start = binary.LittleEndian.AppendUint32(start, crc32.ChecksumIEEE(next))
	h = binary.LittleEndian.AppendUint32(h, crc32.ChecksumIEEE(start))
	h = append(h, start...)
	return append(append(h, packed...), next...)
}

// cabinet writes a Microsoft Cabinet with one uncompressed folder.
func cabinet(files map[string]string) []byte {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	var data, entries []byte
	for _, n := range names {
		e := binary.LittleEndian.AppendUint32(nil, uint32(len(files[n])))
		e = binary.LittleEndian.AppendUint32(e, uint32(len(data)))
		e = binary.LittleEndian.AppendUint16(e, 0)      // folder
		e = binary.LittleEndian.AppendUint16(e, 0x5263) // 2021-03-03
		e = binary.LittleEndian.AppendUint16(e, 0x4B00) // 09:24
		e = binary.LittleEndian.AppendUint16(e, 0x20)   // archive
		entries = append(append(append(entries, e...), n...), 0)
		data = append(data, files[n]...)
	}
	const headerSize, folderSize = 36, 8
	filesOff := headerSize + folderSize
	dataOff := filesOff + len(entries)
	total := dataOff + 8 + len(data)
	h := []byte("MSCF")
	h = binary.LittleEndian.AppendUint32(h, 0)
	h = binary.LittleEndian.AppendUint32(h, uint32(total))
	h = binary.LittleEndian.AppendUint32(h, 0)
	h = binary.LittleEndian.AppendUint32(h, uint32(filesOff))
	h = binary.LittleEndian.AppendUint32(h, 0)
	h = append(h, 3, 1)
	h = binary.LittleEndian.AppendUint16(h, 1)
	h = binary.LittleEndian.AppendUint16(h, uint16(len(names)))
	h = binary.LittleEndian.AppendUint16(h, 0)
	h = binary.LittleEndian.AppendUint16(h, 0x1234)
	h = binary.LittleEndian.AppendUint16(h, 0)
	h = binary.LittleEndian.AppendUint32(h, uint32(dataOff)) // CFFOLDER
	h = binary.LittleEndian.AppendUint16(h, 1)
	h = binary.LittleEndian.AppendUint16(h, 0) // stored
	h = append(h, entries...)
	h = binary.LittleEndian.AppendUint32(h, 0) // CFDATA without checksum
	h = binary.LittleEndian.AppendUint16(h, uint16(len(data)))
	h = binary.LittleEndian.AppendUint16(h, uint16(len(data)))
	return append(h, data...)
}

// rar5 writes an empty RAR 5 archive: the signature, the main archive
// header and the end of archive header.
func rar5() []byte {
	block := func(typ byte) []byte {
		body := []byte{typ, 0, 0} // type, header flags, archive or end flags
		hdr := append([]byte{byte(len(body))}, body...)
		return append(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(hdr)), hdr...)
	}
	out := []byte("Rar!\x1A\x07\x01\x00")
	out = append(out, block(1)...)
	return append(out, block(5)...)
}

// rar4 writes an empty RAR 1.5-4.x archive: the marker block, the main
// archive header and the end of archive block.
func rar4() []byte {
	block := func(typ byte, flags uint16, rest []byte) []byte {
		b := []byte{typ}
		b = binary.LittleEndian.AppendUint16(b, flags)
		b = binary.LittleEndian.AppendUint16(b, uint16(7+len(rest)))
		b = append(b, rest...)
		return append(binary.LittleEndian.AppendUint16(nil, uint16(crc32.ChecksumIEEE(b))), b...)
	}
	out := []byte("Rar!\x1A\x07\x00")
	out = append(out, block(0x73, 0, make([]byte, 6))...)
	return append(out, block(0x7B, 0x4000, nil)...)
}
