package peversion

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	pt "github.com/exhunt/exhunt/source/peversion/peversiontest"
)

// countingReader records the bytes asked of it.
type countingReader struct {
	r    io.ReaderAt
	read int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.read += int64(len(p))
	return c.r.ReadAt(p, off)
}

// readBytes runs Read on data and checks the read bound and the error's
// kind.
func readBytes(t testing.TB, data []byte) (*Info, error) {
	t.Helper()
	cr := &countingReader{r: bytes.NewReader(data)}
	in, err := Read(cr, int64(len(data)))
	if cr.read > MaxRead {
		t.Fatalf("read %d bytes, more than MaxRead %d", cr.read, MaxRead)
	}
	if err != nil {
		if in != nil {
			t.Fatalf("an Info along with the error %v", err)
		}
		if !errors.Is(err, ErrNotPE) && !errors.Is(err, ErrNoVersion) && !errors.Is(err, ErrDamaged) {
			t.Fatalf("error of no known kind: %v", err)
		}
	} else if in == nil {
		t.Fatal("neither an Info nor an error")
	}
	return in, err
}

// exchangeStrings are strings of the kind Exchange binaries carry, for the
// build 15.1.2375.7 (Exchange 2016 CU22).
var exchangeStrings = [][2]string{
	{"Comments", ""},
	{"CompanyName", "Microsoft Corporation"},
	{"FileDescription", "Exchange Setup"},
	{"FileVersion", "15.01.2375.007"},
	{"InternalName", "ExSetup.exe"},
	{"LegalCopyright", "© 2022 Microsoft Corporation. All rights reserved."},
	{"OriginalFilename", "ExSetup.exe"},
	{"ProductName", "Microsoft® Exchange"},
	{"ProductVersion", "15.01.2375.007"},
}

func exchangeFixed() *pt.Fixed {
	return &pt.Fixed{
		FileVersion:    [4]uint16{15, 1, 2375, 7},
		ProductVersion: [4]uint16{15, 1, 2375, 7},
		FileFlags:      0x20, // VS_FF_SPECIALBUILD, kept by the mask
		FileOS:         0x40004,
		FileType:       1,
	}
}

func exchangeVersion() []byte {
	return pt.VersionInfo{
		Fixed:        exchangeFixed(),
		Tables:       []pt.Table{{Key: "040904B0", Strings: exchangeStrings}},
		Translations: [][2]uint16{{0x409, 1200}},
	}.Bytes()
}

func versionPE(pe32 bool, version []byte) *pt.File {
	return pt.Build(pt.Spec{PE32: pe32, Resources: []pt.Resource{
		{Type: 3, ID: 1, Lang: 0x409, Data: []byte("an icon")},
		{Type: pt.RTVersion, ID: 1, Lang: 0x409, Data: version},
		{Type: 24, ID: 1, Lang: 0x409, Data: []byte("<assembly/>")},
	}})
}

func TestRead(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pe32    bool
		machine uint16
	}{{"PE32+", false, MachineAMD64}, {"PE32", true, MachineI386}} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := readBytes(t, versionPE(tc.pe32, exchangeVersion()).Data)
			if err != nil {
				t.Fatal(err)
			}
			if in.Machine != tc.machine || in.PE32Plus == tc.pe32 {
				t.Errorf("machine 0x%x PE32+ %v", in.Machine, in.PE32Plus)
			}
			if !in.HasFixed || in.FileVersion != (Version{15, 1, 2375, 7}) || in.ProductVersion != (Version{15, 1, 2375, 7}) {
				t.Errorf("fixed %v file %v product %v", in.HasFixed, in.FileVersion, in.ProductVersion)
			}
			if got := in.FileVersion.String(); got != "15.1.2375.7" {
				t.Errorf("String() = %q", got)
			}
			if in.FileFlags != 0x20 || in.FileOS != 0x40004 || in.FileType != 1 || in.FileDate != 0 {
				t.Errorf("flags 0x%x os 0x%x type %d date %d", in.FileFlags, in.FileOS, in.FileType, in.FileDate)
			}
			if in.ResourceID != 1 || in.ResourceName != "" || in.Language != 0x409 {
				t.Errorf("resource %d %q language 0x%x", in.ResourceID, in.ResourceName, in.Language)
			}
			if len(in.Strings) != len(exchangeStrings) {
				t.Errorf("%d strings, want %d: %q", len(in.Strings), len(exchangeStrings), in.Strings)
			}
			for _, kv := range exchangeStrings {
				if got, ok := in.Strings[kv[0]]; !ok || got != kv[1] {
					t.Errorf("%s = %q (%v), want %q", kv[0], got, ok, kv[1])
				}
			}
			if len(in.Tables) != 1 || in.Tables[0].Key != "040904B0" || in.Tables[0].Language != 0x409 || in.Tables[0].CodePage != 1200 {
				t.Errorf("tables %+v", in.Tables)
			}
			if len(in.Problems) != 0 {
				t.Errorf("problems %q", in.Problems)
			}
		})
	}
}

func TestFileDate(t *testing.T) {
	fixed := exchangeFixed()
	fixed.FileDate = 0x01d8_0000_1234_5678
	in, err := readBytes(t, versionPE(false, pt.VersionInfo{Fixed: fixed}.Bytes()).Data)
	if err != nil {
		t.Fatal(err)
	}
	if in.FileDate != fixed.FileDate {
		t.Errorf("file date 0x%x, want 0x%x", in.FileDate, fixed.FileDate)
	}
	if len(in.Strings) != 0 || len(in.Tables) != 0 || in.Strings == nil {
		t.Errorf("strings %v tables %v", in.Strings, in.Tables)
	}
}

// A version resource without fixed info still gives the version strings,
// and the versions parsed from them.
func TestNoFixedInfo(t *testing.T) {
	vi := pt.VersionInfo{Tables: []pt.Table{{Key: "040904B0", Strings: exchangeStrings}}}
	in, err := readBytes(t, versionPE(false, vi.Bytes()).Data)
	if err != nil {
		t.Fatal(err)
	}
	if in.HasFixed {
		t.Error("fixed info reported")
	}
	if in.Strings["FileVersion"] != "15.01.2375.007" || in.FileVersion != (Version{15, 1, 2375, 7}) || in.ProductVersion != (Version{15, 1, 2375, 7}) {
		t.Errorf("string %q file %v product %v", in.Strings["FileVersion"], in.FileVersion, in.ProductVersion)
	}
}

// A damaged fixed info is a problem, not an error, when strings follow.
func TestDamagedFixedInfo(t *testing.T) {
	fixed := exchangeFixed()
	fixed.Signature = 0xFEEF04BE
	vi := pt.VersionInfo{Fixed: fixed, Tables: []pt.Table{{Key: "040904B0", Strings: [][2]string{{"FileVersion", "15.2.1118.40"}}}}}
	in, err := readBytes(t, versionPE(false, vi.Bytes()).Data)
	if err != nil {
		t.Fatal(err)
	}
	if in.HasFixed || in.FileVersion != (Version{15, 2, 1118, 40}) || len(in.Problems) != 1 || !strings.Contains(in.Problems[0], "signature 0xfeef04be") {
		t.Errorf("fixed %v file %v problems %q", in.HasFixed, in.FileVersion, in.Problems)
	}

	// Without strings it is an error.
	vi.Tables = nil
	_, err = readBytes(t, versionPE(false, vi.Bytes()).Data)
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "signature") {
		t.Errorf("err %v", err)
	}
}

func TestSeveralTables(t *testing.T) {
	vi := pt.VersionInfo{Fixed: exchangeFixed(), Tables: []pt.Table{
		{Key: "000004b0", Strings: [][2]string{{"ProductName", "neutral"}, {"ProductName", "second value ignored"}}},
		{Key: "040904B0", Strings: [][2]string{{"ProductName", "english"}}},
		{Key: "not hex!", Strings: [][2]string{{"ProductName", "odd"}}},
	}}
	f := pt.Build(pt.Spec{Resources: []pt.Resource{
		// The first name and the first language are read.
		{Type: pt.RTVersion, Name: "VERSION", Lang: 0x407, Data: vi.Bytes()},
		{Type: pt.RTVersion, Name: "VERSION", Lang: 0x409, Data: []byte("not read")},
		{Type: pt.RTVersion, ID: 1, Lang: 0x409, Data: []byte("not read")},
	}})
	in, err := readBytes(t, f.Data)
	if err != nil {
		t.Fatal(err)
	}
	if in.ResourceName != "VERSION" || in.ResourceID != 0 || in.Language != 0x407 {
		t.Errorf("resource %d %q language 0x%x", in.ResourceID, in.ResourceName, in.Language)
	}
	if len(in.Tables) != 3 || in.Strings["ProductName"] != "neutral" ||
		in.Tables[0].Language != 0 || in.Tables[0].CodePage != 1200 ||
		in.Tables[1].Strings["ProductName"] != "english" || in.Tables[1].Language != 0x409 ||
		in.Tables[2].Key != "not hex!" || in.Tables[2].Language != 0 {
		t.Errorf("tables %+v", in.Tables)
	}
}

// The version data need not start 4-aligned in the file: alignment is
// relative to the start of VS_VERSIONINFO.
func TestUnalignedData(t *testing.T) {
	for pad := 1; pad < 4; pad++ {
		f := pt.Build(pt.Spec{DataPad: pad, Resources: []pt.Resource{{Type: pt.RTVersion, ID: 1, Lang: 0x409, Data: exchangeVersion()}}})
		if f.Leaves[0].Data%4 == 0 {
			t.Fatalf("pad %d: data at %d is aligned", pad, f.Leaves[0].Data)
		}
		in, err := readBytes(t, f.Data)
		if err != nil {
			t.Fatalf("pad %d: %v", pad, err)
		}
		if in.FileVersion.String() != "15.1.2375.7" || in.Strings["ProductName"] != "Microsoft® Exchange" {
			t.Errorf("pad %d: %v %q", pad, in.FileVersion, in.Strings)
		}
	}
}

func TestNoVersion(t *testing.T) {
	for name, data := range map[string][]byte{
		"no resource directory": pt.Build(pt.Spec{NoResourceDir: true}).Data,
		"empty resource tree":   pt.Build(pt.Spec{}).Data,
		"other resources only":  pt.Build(pt.Spec{Resources: []pt.Resource{{Type: 3, ID: 1, Data: []byte("x")}, {Type: 24, ID: 1, Data: []byte("y")}}}).Data,
		"empty version block":   versionPE(false, pt.VersionInfo{}.Bytes()).Data,
	} {
		_, err := readBytes(t, data)
		if !errors.Is(err, ErrNoVersion) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNotPE(t *testing.T) {
	good := versionPE(false, exchangeVersion())
	patch := func(off int, b ...byte) []byte {
		d := bytes.Clone(good.Data)
		copy(d[off:], b)
		return d
	}
	for name, data := range map[string][]byte{
		"empty":                nil,
		"MZ only":              []byte("MZ"),
		"ELF":                  append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 200)...),
		"DOS program":          append(append([]byte("MZ"), make([]byte, 0x3a)...), 0x00, 0x10, 0, 0),
		"no PE signature":      patch(0x40, 'N', 'E'),
		"e_lfanew past EOF":    patch(0x3c, 0xff, 0xff, 0xff, 0x7f),
		"ROM optional header":  patch(good.Optional, 0x07, 0x01),
		"optional header size": patch(0x54, 0, 0),
	} {
		_, err := readBytes(t, data)
		if !errors.Is(err, ErrNotPE) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Every prefix of a sound file that cuts into what is read is refused
// with an error of a known kind, without panicking; every longer one reads
// as the whole.
func TestTruncated(t *testing.T) {
	version := exchangeVersion()
	f := versionPE(false, version)
	need := f.Leaves[1].Data + len(version)
	if need >= len(f.Data) {
		t.Fatal("the version resource is not followed by anything")
	}
	for n := 0; n < len(f.Data); n++ {
		in, err := readBytes(t, f.Data[:n])
		if n < need && err == nil {
			t.Fatalf("%d of %d bytes read without error: %+v", n, len(f.Data), in)
		}
		if n >= need && (err != nil || in.FileVersion.String() != "15.1.2375.7" || len(in.Strings) != len(exchangeStrings)) {
			t.Fatalf("%d of %d bytes: %v %+v", n, len(f.Data), err, in)
		}
	}
}

// put32 returns a copy of data with v written at off.
func put32(data []byte, off int, v uint32) []byte {
	d := bytes.Clone(data)
	binary.LittleEndian.PutUint32(d[off:], v)
	return d
}

func put16(data []byte, off int, v uint16) []byte {
	d := bytes.Clone(data)
	binary.LittleEndian.PutUint16(d[off:], v)
	return d
}

func TestHostile(t *testing.T) {
	f := versionPE(false, exchangeVersion())
	v := f.Leaves[1] // the version resource
	rel := func(off int) uint32 { return uint32(off - f.Rsrc) }
	vsize := binary.LittleEndian.Uint32(f.Data[f.Sections+8:])
	for _, tc := range []struct {
		name string
		data []byte
		want string // in the error
	}{
		{"type entry points back to the root", put32(f.Data, v.TypeEntry+4, 0x80000000), "fourth directory level"},
		{"name entry points back to the root", put32(f.Data, v.NameEntry+4, 0x80000000), "fourth directory level"},
		{"language entry points back to the root", put32(f.Data, v.LangEntry+4, 0x80000000), "fourth directory level"},
		{"language entry points to its own directory", put32(f.Data, v.LangEntry+4, 0x80000000|rel(v.LangDir)), "fourth directory level"},
		{"type entry points to data", put32(f.Data, v.TypeEntry+4, rel(v.DataEntry)), "points to data, not to a directory"},
		{"directory past the section", put32(f.Data, v.TypeEntry+4, 0x80ffff00), "in no section"},
		{"directory offset far away", put32(f.Data, v.NameEntry+4, 0xfffffff0), "in no section"},
		{"huge data size", put32(f.Data, v.DataEntry+4, 0xffffffff), "claims 4294967295 bytes"},
		{"zero data size", put32(f.Data, v.DataEntry+4, 0), "empty"},
		{"data RVA in no section", put32(f.Data, v.DataEntry, 0x7fff0000), "in no section"},
		{"data past the section's raw data", put32(f.Data, v.DataEntry, f.RsrcRVA+vsize-4), "runs past the data of section"},
		{"data RVA wraps", put32(f.Data, v.DataEntry, 0xfffffff0), "in no section"},
		{"section data past EOF", put32(f.Data, f.Sections+20, 0x10000), "past the end of the file"},
		{"too many sections", put16(f.Data, 0x46, 0xffff), "65535 sections"},
		{"section table past EOF", put16(f.Data, 0x54, 0xfff0), "section table"},
		{"many root entries", put16(put16(f.Data, f.Root+12, 0xffff), f.Root+14, 0xffff), "root resource directory"},
		{"version wLength past the data", put16(f.Data, v.Data, 0xfff0), "only"},
		{"version wLength zero", put16(f.Data, v.Data, 0), "fewer than its header"},
		{"version key not terminated", put16(f.Data, v.Data, 20), "terminator"},
		{"version key wrong", put16(f.Data, v.Data+6, 'X'), "XS_VERSION_INFO"},
		{"fixed info past the block", put16(f.Data, v.Data+2, 0xfff0), "runs past"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readBytes(t, tc.data)
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrDamaged saying %q", err, tc.want)
			}
		})
	}

	// Odd but readable: only what is needed is read.
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"many language entries, the first read", put16(f.Data, v.LangDir+14, 0xffff)},
		{"many names, the first read", put16(f.Data, v.TypeDir+12, 0xffff)},
		{"section raw size past EOF", put32(f.Data, f.Sections+16, 0x7ffffff0)},
		{"version data size larger than its wLength", put32(f.Data, v.DataEntry+4, 0x400)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := readBytes(t, tc.data)
			if err != nil || in.FileVersion.String() != "15.1.2375.7" {
				t.Errorf("%v %+v", err, in)
			}
		})
	}
}

// Damage in the string tables after sound fixed info is a problem, the
// fixed info and the strings before the damage are kept.
func TestDamagedStrings(t *testing.T) {
	f := versionPE(false, exchangeVersion())
	data := f.Data
	// The second String block of the table is "CompanyName"; make it
	// claim more than is left.
	i := bytes.Index(data, utf16le("CompanyName"))
	if i < 0 {
		t.Fatal("CompanyName not written")
	}
	data = put16(data, i-6, 0xfff0)
	in, err := readBytes(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if !in.HasFixed || in.FileVersion.String() != "15.1.2375.7" {
		t.Errorf("fixed %v %v", in.HasFixed, in.FileVersion)
	}
	if _, ok := in.Strings["Comments"]; !ok || len(in.Strings) != 1 {
		t.Errorf("strings %q", in.Strings)
	}
	if len(in.Problems) != 1 || !strings.Contains(in.Problems[0], "string tables: block at offset") {
		t.Errorf("problems %q", in.Problems)
	}

	// A String block of zero length cannot make the walk loop.
	data = put16(f.Data, i-6, 0)
	in, err = readBytes(t, data)
	if err != nil || len(in.Problems) != 1 || !strings.Contains(in.Problems[0], "fewer than its header") {
		t.Errorf("err %v problems %q", err, in.Problems)
	}
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range s {
		b = binary.LittleEndian.AppendUint16(b, uint16(r))
	}
	return b
}

// A large file is not read whole: a resource section of 40 MB whose
// version resource lies at its end costs a few KB of reads.
func TestLargeFileReadsLittle(t *testing.T) {
	version := exchangeVersion()
	f := versionPE(false, version)
	v := f.Leaves[1]
	const big = 40 << 20
	at := big - 0x1000                                    // offset of the version data in the section
	head := put32(f.Data, f.Sections+8, big)              // VirtualSize
	head = put32(head, f.Sections+16, big)                // SizeOfRawData
	head = put32(head, v.DataEntry, f.RsrcRVA+uint32(at)) // RVA of the data
	size := int64(f.Rsrc + big)
	cr := &countingReader{r: sparse{size: size, parts: map[int64][]byte{0: head, int64(f.Rsrc + at): version}}}
	in, err := Read(cr, size)
	if err != nil {
		t.Fatal(err)
	}
	if in.FileVersion.String() != "15.1.2375.7" || in.Strings["FileDescription"] != "Exchange Setup" {
		t.Errorf("version %v strings %q", in.FileVersion, in.Strings)
	}
	if cr.read > 8<<10 {
		t.Errorf("read %d bytes of a %d byte file", cr.read, size)
	}
}

// sparse is a file of size bytes that are zero but for parts at some
// offsets, as ExSetup.exe is tens of MB of which little is read.
type sparse struct {
	size  int64
	parts map[int64][]byte
}

func (s sparse) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= s.size {
		return 0, io.EOF
	}
	n := len(p)
	if int64(n) > s.size-off {
		n = int(s.size - off)
	}
	clear(p[:n])
	for at, d := range s.parts {
		for i := range n {
			if j := off + int64(i) - at; j >= 0 && j < int64(len(d)) {
				p[i] = d[j]
			}
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func TestParseVersion(t *testing.T) {
	for s, want := range map[string]string{
		"15.01.2176.009":                      "15.1.2176.9",
		"15.1.2176.9":                         "15.1.2176.9",
		" 6, 1, 7601, 17514":                  "6.1.7601.17514",
		"10.0.17763.1 (WinBuild.160101.0800)": "10.0.17763.1",
		"8.0":                                 "8.0.0.0",
		"1.2.3.4.5":                           "1.2.3.4",
		"65535.0.0.0":                         "65535.0.0.0",
	} {
		v, ok := ParseVersion(s)
		if !ok || v.String() != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %s", s, v, ok, want)
		}
	}
	for _, s := range []string{"", "15", "v15.1", "65536.0.0.0", "15.x", "1.2.3.999999", "Exchange", "15.1 2"} {
		if v, ok := ParseVersion(s); ok {
			t.Errorf("ParseVersion(%q) = %v, want failure", s, v)
		}
	}
}

// noReadAt hides a file's ReadAt (and Seek), as archive file systems do.
type noReadAt struct{ fs.FS }

type plainFile struct{ f fs.File }

func (p plainFile) Stat() (fs.FileInfo, error) { return p.f.Stat() }
func (p plainFile) Read(b []byte) (int, error) { return p.f.Read(b) }
func (p plainFile) Close() error               { return p.f.Close() }

func (n noReadAt) Open(name string) (fs.File, error) {
	f, err := n.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return plainFile{f}, nil
}

// seekOnly offers Seek but not ReadAt.
type seekOnly struct{ fs.FS }

type seekFile struct {
	fs.File
	s io.Seeker
}

func (s seekFile) Seek(off int64, whence int) (int64, error) { return s.s.Seek(off, whence) }

func (n seekOnly) Open(name string) (fs.File, error) {
	f, err := n.FS.Open(name)
	if err != nil {
		return nil, err
	}
	s, ok := f.(io.Seeker)
	if !ok { // a directory
		return plainFile{f}, nil
	}
	return seekFile{plainFile{f}, s}, nil
}

func TestReadFS(t *testing.T) {
	fsys := fstest.MapFS{
		"V15/Bin/ExSetup.exe": {Data: versionPE(false, exchangeVersion()).Data, ModTime: time.Now()},
		"V15/Bin/plain.exe":   {Data: pt.Build(pt.Spec{}).Data},
		"V15/Bin/notes.txt":   {Data: []byte("hello")},
	}
	for name, f := range map[string]fs.FS{"ReadAt": fsys, "Seek": seekOnly{fsys}, "Read only": noReadAt{fsys}} {
		in, err := ReadFS(f, "V15/Bin/ExSetup.exe")
		if err != nil || in.FileVersion.String() != "15.1.2375.7" || in.Strings["OriginalFilename"] != "ExSetup.exe" {
			t.Errorf("%s: %v %+v", name, err, in)
		}
		if _, err := ReadFS(f, "V15/Bin/plain.exe"); !errors.Is(err, ErrNoVersion) || !strings.Contains(err.Error(), "plain.exe") {
			t.Errorf("%s: plain.exe: %v", name, err)
		}
		if _, err := ReadFS(f, "V15/Bin/notes.txt"); !errors.Is(err, ErrNotPE) {
			t.Errorf("%s: notes.txt: %v", name, err)
		}
		if _, err := ReadFS(f, "V15/Bin/missing.exe"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: missing: %v", name, err)
		}
		if _, err := ReadFS(f, "V15/Bin"); !errors.Is(err, ErrNotPE) {
			t.Errorf("%s: directory: %v", name, err)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add(versionPE(false, exchangeVersion()).Data)
	f.Add(versionPE(true, exchangeVersion()).Data)
	f.Add(versionPE(false, pt.VersionInfo{Tables: []pt.Table{{Key: "040904B0", Strings: exchangeStrings}}}.Bytes()).Data)
	f.Add(pt.Build(pt.Spec{DataPad: 1, Resources: []pt.Resource{{Type: pt.RTVersion, Name: "V", Lang: 0, Data: exchangeVersion()}}}).Data)
	f.Add(pt.Build(pt.Spec{NoResourceDir: true}).Data)
	f.Add([]byte("MZ"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := readBytes(t, data)
		if err != nil {
			return
		}
		if len(data) < 0x40 || data[0] != 'M' || data[1] != 'Z' {
			t.Fatal("read a file without an MZ header")
		}
		if in.Strings == nil {
			t.Fatal("nil Strings")
		}
		if !in.HasFixed && len(in.Strings) == 0 {
			t.Fatal("neither fixed info nor strings, yet no error")
		}
		n := 0
		for _, tb := range in.Tables {
			for k, v := range tb.Strings {
				n += len(k) + len(v)
			}
		}
		// UTF-8 of UTF-16 is at most 3/2 as long.
		if n > 3*MaxVersionSize/2 {
			t.Fatalf("%d bytes of strings from a version resource of at most %d", n, MaxVersionSize)
		}
		if len(in.Problems) > maxProblems+1 {
			t.Fatalf("%d problems", len(in.Problems))
		}
	})
}
