package peversion

// Tests on PE files written by real tool chains: MinGW-w64's windres and
// gcc (Debian gcc-mingw-w64-x86-64, binutils-mingw-w64-x86-64, and
// optionally gcc-mingw-w64-i686, binutils-mingw-w64-i686), the Go
// toolchain's own Windows linker, and a comparison with exiftool (Debian
// libimage-exiftool-perl). Each test skips, saying what is missing, when
// its tools are absent.

import (
	"debug/pe"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pt "github.com/exhunt/exhunt/source/peversion/peversiontest"
)

// versionRC is a resource script with the version resource of an Exchange
// build; its non-ASCII sign is written UTF-8, read with windres -c 65001.
const versionRC = `#include <winver.h>
1 VERSIONINFO
FILEVERSION 15,1,2176,9
PRODUCTVERSION 15,1,2176,2
FILEFLAGSMASK 0x3fL
FILEFLAGS VS_FF_PRERELEASE
FILEOS VOS_NT_WINDOWS32
FILETYPE VFT_APP
FILESUBTYPE 0x0L
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904b0"
    BEGIN
      VALUE "CompanyName", "Microsoft Corporation"
      VALUE "FileDescription", "Exchange Setup"
      VALUE "FileVersion", "15.01.2176.009"
      VALUE "InternalName", "ExSetup"
      VALUE "LegalCopyright", "© Microsoft Corporation. All rights reserved."
      VALUE "OriginalFilename", "ExSetup.exe"
      VALUE "ProductName", "Microsoft® Exchange"
      VALUE "ProductVersion", "15.01.2176.002"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
`

// rcStrings are the strings of versionRC.
var rcStrings = map[string]string{
	"CompanyName":      "Microsoft Corporation",
	"FileDescription":  "Exchange Setup",
	"FileVersion":      "15.01.2176.009",
	"InternalName":     "ExSetup",
	"LegalCopyright":   "© Microsoft Corporation. All rights reserved.",
	"OriginalFilename": "ExSetup.exe",
	"ProductName":      "Microsoft® Exchange",
	"ProductVersion":   "15.01.2176.002",
}

// mingw is one MinGW-w64 target.
type mingw struct {
	triplet string
	machine uint16
	plus    bool
}

var mingwTargets = []mingw{
	{"x86_64-w64-mingw32", MachineAMD64, true},
	{"i686-w64-mingw32", MachineI386, false},
}

// run runs a command in dir and fails the test with its output if it
// fails.
func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// buildMingw compiles a tiny program, and a DLL, with versionRC for one
// target and returns their paths; it skips when the tools are absent.
func buildMingw(t *testing.T, m mingw) []string {
	t.Helper()
	gcc, windres := m.triplet+"-gcc", m.triplet+"-windres"
	for _, tool := range []string{gcc, windres} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (Debian gcc-mingw-w64-%s and binutils-mingw-w64-%s)", tool, debArch(m), debArch(m))
		}
	}
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "main.c"), []byte("int main(void) { return 0; }\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "lib.c"), []byte("int exhunt_lib(void) { return 1; }\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "version.rc"), []byte(versionRC), 0o644))
	run(t, dir, nil, windres, "-c", "65001", "-O", "coff", "-o", "version.o", "version.rc")
	run(t, dir, nil, gcc, "-o", "ExSetup.exe", "main.c", "version.o")
	run(t, dir, nil, gcc, "-shared", "-o", "Microsoft.Exchange.Lib.dll", "lib.c", "version.o")
	return []string{filepath.Join(dir, "ExSetup.exe"), filepath.Join(dir, "Microsoft.Exchange.Lib.dll")}
}

func debArch(m mingw) string {
	if m.plus {
		return "x86-64"
	}
	return "i686"
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// readFile reads a file's version through ReadFS, as exhunt does, and
// checks the read bound.
func readFile(t *testing.T, path string) (*Info, error) {
	t.Helper()
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	st, err := f.Stat()
	must(t, err)
	cr := &countingReader{r: f}
	in, err := Read(cr, st.Size())
	if cr.read > MaxRead {
		t.Fatalf("read %d bytes, more than MaxRead", cr.read)
	}
	in2, err2 := ReadFS(os.DirFS(filepath.Dir(path)), filepath.Base(path))
	if (err == nil) != (err2 == nil) || (in != nil && in2.FileVersion != in.FileVersion) {
		t.Fatalf("Read %v %v, ReadFS %v %v", in, err, in2, err2)
	}
	return in, err
}

// checkRC checks that in holds what versionRC says.
func checkRC(t *testing.T, in *Info, m mingw) {
	t.Helper()
	if in.Machine != m.machine || in.PE32Plus != m.plus {
		t.Errorf("machine 0x%x PE32+ %v, want 0x%x %v", in.Machine, in.PE32Plus, m.machine, m.plus)
	}
	if !in.HasFixed || in.FileVersion != (Version{15, 1, 2176, 9}) || in.ProductVersion != (Version{15, 1, 2176, 2}) {
		t.Errorf("fixed %v file %v product %v", in.HasFixed, in.FileVersion, in.ProductVersion)
	}
	if in.FileVersion.String() != "15.1.2176.9" {
		t.Errorf("String() = %q", in.FileVersion)
	}
	// VS_FF_PRERELEASE, VOS_NT_WINDOWS32, VFT_APP.
	if in.FileFlags != 0x2 || in.FileOS != 0x40004 || in.FileType != 1 || in.FileDate != 0 {
		t.Errorf("flags 0x%x os 0x%x type %d date %d", in.FileFlags, in.FileOS, in.FileType, in.FileDate)
	}
	if in.ResourceID != 1 {
		t.Errorf("resource ID %d %q", in.ResourceID, in.ResourceName)
	}
	if len(in.Tables) != 1 || in.Tables[0].Key != "040904b0" || in.Tables[0].Language != 0x409 || in.Tables[0].CodePage != 1200 {
		t.Errorf("tables %+v", in.Tables)
	}
	if fmt.Sprint(in.Strings) != fmt.Sprint(rcStrings) {
		t.Errorf("strings\n%q\nwant\n%q", in.Strings, rcStrings)
	}
	if len(in.Problems) != 0 {
		t.Errorf("problems %q", in.Problems)
	}
}

// checkDebugPE checks the machine and the optional header kind against
// the standard library's reader of the headers.
func checkDebugPE(t *testing.T, path string, in *Info) {
	t.Helper()
	f, err := pe.Open(path)
	must(t, err)
	defer f.Close()
	_, plus := f.OptionalHeader.(*pe.OptionalHeader64)
	if f.Machine != in.Machine || plus != in.PE32Plus {
		t.Errorf("debug/pe: machine 0x%x PE32+ %v; Read: 0x%x %v", f.Machine, plus, in.Machine, in.PE32Plus)
	}
	if f.Section(".rsrc") == nil {
		t.Error("debug/pe finds no .rsrc section")
	}
}

func TestMingw(t *testing.T) {
	for _, m := range mingwTargets {
		t.Run(m.triplet, func(t *testing.T) {
			for _, path := range buildMingw(t, m) {
				in, err := readFile(t, path)
				if err != nil {
					t.Fatalf("%s: %v", filepath.Base(path), err)
				}
				checkRC(t, in, m)
				checkDebugPE(t, path, in)
			}
		})
	}
}

// goBuild builds a tiny Windows program with the Go toolchain, with the
// .syso files given (name → content) linked in.
func goBuild(t *testing.T, goarch string, syso map[string][]byte) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a Windows program with the Go toolchain; not in -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module tiny\n\ngo 1.21\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
	for name, data := range syso {
		must(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	run(t, dir, []string{"GOOS=windows", "GOARCH=" + goarch, "CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod"},
		goTool, "build", "-o", "tiny.exe", ".")
	return filepath.Join(dir, "tiny.exe")
}

// The Go linker writes no resources of its own: its Windows programs have
// no version resource.
func TestGoWindowsBinary(t *testing.T) {
	path := goBuild(t, "amd64", nil)
	_, err := readFile(t, path)
	if !errors.Is(err, ErrNoVersion) {
		t.Fatalf("want ErrNoVersion, got %v", err)
	}
	f, err := pe.Open(path)
	must(t, err)
	f.Close()
}

// A Go program with a version resource compiled by windres into a .syso
// file: the Go linker lays out the resource section its own way.
func TestGoWindowsSyso(t *testing.T) {
	m := mingwTargets[0]
	windres := m.triplet + "-windres"
	if _, err := exec.LookPath(windres); err != nil {
		t.Skipf("%s not installed (Debian binutils-mingw-w64-x86-64)", windres)
	}
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "version.rc"), []byte(versionRC), 0o644))
	run(t, dir, nil, windres, "-c", "65001", "-O", "coff", "-o", "version.syso", "version.rc")
	syso, err := os.ReadFile(filepath.Join(dir, "version.syso"))
	must(t, err)
	path := goBuild(t, "amd64", map[string][]byte{"rsrc_windows_amd64.syso": syso})
	in, err := readFile(t, path)
	if err != nil {
		t.Fatal(err)
	}
	checkRC(t, in, m)
	checkDebugPE(t, path, in)
}

// exiftool runs exiftool on the files and returns, for each, the fields
// compared (numbers with -n).
func exiftool(t *testing.T, paths []string) []map[string]string {
	t.Helper()
	tool, err := exec.LookPath("exiftool")
	if err != nil {
		t.Skip("exiftool not installed (Debian libimage-exiftool-perl)")
	}
	args := []string{"-j", "-n", "-FileVersionNumber", "-ProductVersionNumber", "-FileVersion", "-ProductVersion",
		"-ProductName", "-CompanyName", "-OriginalFileName", "-MachineType", "-PEType", "-FileOS", "-ObjectFileType"}
	out, err := exec.Command(tool, append(args, paths...)...).Output()
	if err != nil {
		t.Fatalf("exiftool: %v\n%s", err, out)
	}
	var rows []map[string]any
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("exiftool output: %v\n%s", err, out)
	}
	if len(rows) != len(paths) {
		t.Fatalf("exiftool gave %d rows for %d files", len(rows), len(paths))
	}
	res := make([]map[string]string, len(rows))
	for i, r := range rows {
		res[i] = map[string]string{}
		for k, v := range r {
			if k != "SourceFile" {
				res[i][k] = fmt.Sprint(v)
			}
		}
	}
	return res
}

// ours gives what Read found in the fields exiftool names.
func ours(in *Info) map[string]string {
	m := map[string]string{
		"MachineType": fmt.Sprint(in.Machine),
		"PEType":      "267",
	}
	if in.PE32Plus {
		m["PEType"] = "523"
	}
	if in.HasFixed {
		m["FileVersionNumber"] = in.FileVersion.String()
		m["ProductVersionNumber"] = in.ProductVersion.String()
		m["FileOS"] = fmt.Sprint(in.FileOS)
		m["ObjectFileType"] = fmt.Sprint(in.FileType)
	}
	for k, name := range map[string]string{"FileVersion": "FileVersion", "ProductVersion": "ProductVersion",
		"ProductName": "ProductName", "CompanyName": "CompanyName", "OriginalFilename": "OriginalFileName"} {
		if v, ok := in.Strings[k]; ok {
			m[name] = v
		}
	}
	return m
}

// Differential test against exiftool on files from windres and gcc and on
// files from the test builder, which checks the builder too.
func TestExiftool(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	add := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, data, 0o644))
		paths = append(paths, p)
	}
	add("builder-pe32plus.exe", versionPE(false, exchangeVersion()).Data)
	add("builder-pe32.exe", versionPE(true, exchangeVersion()).Data)
	add("builder-nofixed.exe", versionPE(false, pt.VersionInfo{Tables: []pt.Table{{Key: "040904B0", Strings: exchangeStrings}}}.Bytes()).Data)
	add("builder-unaligned.exe", pt.Build(pt.Spec{DataPad: 2, Resources: []pt.Resource{{Type: pt.RTVersion, ID: 1, Lang: 0x409, Data: exchangeVersion()}}}).Data)
	if _, err := exec.LookPath("exiftool"); err != nil {
		t.Skip("exiftool not installed (Debian libimage-exiftool-perl)")
	}
	for _, m := range mingwTargets {
		if _, err := exec.LookPath(m.triplet + "-gcc"); err != nil {
			t.Logf("%s-gcc not installed: its files not compared", m.triplet)
			continue
		}
		if _, err := exec.LookPath(m.triplet + "-windres"); err != nil {
			t.Logf("%s-windres not installed: its files not compared", m.triplet)
			continue
		}
		paths = append(paths, buildMingw(t, m)...)
	}
	theirs := exiftool(t, paths)
	for i, p := range paths {
		in, err := readFile(t, p)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
			continue
		}
		got, want := ours(in), theirs[i]
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s:\n ours     %v\n exiftool %v", filepath.Base(p), got, want)
		}
	}
	// A version that only one side reads is caught above as a field
	// missing on one side; make sure there was something to compare.
	if theirs[0]["FileVersionNumber"] != "15.1.2375.7" {
		t.Errorf("exiftool reads the builder's file as %v", theirs[0])
	}
}
