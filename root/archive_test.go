package root

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/exhunt/exhunt/triage"
)

// zipEntry is one entry of a test archive; header fields override.
type zipEntry struct {
	name    string
	data    string
	mode    fs.FileMode
	raw     *zip.FileHeader // written with CreateRaw and data as the raw bytes
	dosOnly time.Time       // only the DOS time field
}

func makeZip(t testing.TB, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		var w io.Writer
		var err error
		switch {
		case e.raw != nil:
			w, err = zw.CreateRaw(e.raw)
		default:
			h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: time.Date(2021, 3, 3, 6, 0, 0, 0, time.UTC)}
			if !e.dosOnly.IsZero() {
				h.Modified = time.Time{}
				h.ModifiedDate, h.ModifiedTime = dosFields(e.dosOnly)
			}
			if e.mode != 0 {
				h.SetMode(e.mode)
			}
			w, err = zw.CreateHeader(h)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func dosFields(t time.Time) (date, tod uint16) {
	return uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9), uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
}

func openZip(t *testing.T, data []byte) *Archive {
	t.Helper()
	a, err := NewArchive(bytes.NewReader(data), int64(len(data)), "test.zip")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func problemsOf(a *Archive) map[string]error {
	out := map[string]error{}
	for _, p := range a.Problems() {
		out[p.Name] = p.Err
	}
	return out
}

func TestArchiveIsAFileSystem(t *testing.T) {
	a := openZip(t, makeZip(t, []zipEntry{
		{name: "C/inetpub/wwwroot/aspnet_client/x.aspx", data: "<%@ Page %>"},
		{name: "C/Windows/System32/winevt/Logs/"},
		{name: "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG", data: "#Software: Microsoft Exchange Server\r\n"},
		{name: "manifest.csv", data: strings.Join(triage.ManifestHeader, ",") + "\r\n"},
	}))
	if err := fstest.TestFS(a, "C/inetpub/wwwroot/aspnet_client/x.aspx", "C/Windows/System32/winevt/Logs",
		"C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG", "manifest.csv"); err != nil {
		t.Fatal(err)
	}
	sub, err := a.Sub("C")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(sub, "inetpub/wwwroot/aspnet_client/x.aspx"); err != nil {
		t.Fatal(err)
	}
	if len(a.Problems()) != 0 {
		t.Errorf("problems in a clean archive: %v", a.Problems())
	}
}

// Everything an archive can do to lead a reader astray is left out and
// named; the rest of the archive is still read.
func TestHostileArchive(t *testing.T) {
	bomb := &zip.FileHeader{Name: "C/bomb.log", Method: zip.Deflate, CompressedSize64: 16, UncompressedSize64: 1 << 32}
	encrypted := &zip.FileHeader{Name: "C/secret.aspx", Method: zip.Store, Flags: 0x1, CompressedSize64: 4, UncompressedSize64: 4}
	a := openZip(t, makeZip(t, []zipEntry{
		{name: "../evil.aspx", data: "x"},
		{name: "C/../../evil2.aspx", data: "x"},
		{name: "/etc/passwd", data: "x"},
		{name: "C:/Windows/evil3.aspx", data: "x"},
		{name: `C\..\..\evil4.aspx`, data: "x"},
		{name: "C//double.aspx", data: "x"},
		{name: "C/./dot.aspx", data: "x"},
		{name: "C/link.aspx", data: "/etc/passwd", mode: fs.ModeSymlink | 0o777},
		{name: "C/pipe", data: "", mode: fs.ModeNamedPipe | 0o644},
		{name: "C/dup.aspx", data: "first"},
		{name: "C/dup.aspx", data: "second"},
		{name: "C/both", data: "a file"},
		{name: "C/both/inner.txt", data: "a file in a folder of the same name"},
		{raw: bomb, data: strings.Repeat("\x00", 16)},
		{raw: encrypted, data: "abcd"},
		{name: `C\inetpub\wwwroot\backslash.aspx`, data: "made on Windows"},
		{name: "C/good.aspx", data: "kept"},
	}))
	probs := problemsOf(a)
	for name, want := range map[string]error{
		"../evil.aspx": ErrUnsafeName, "C/../../evil2.aspx": ErrUnsafeName, "/etc/passwd": ErrUnsafeName,
		"C:/Windows/evil3.aspx": ErrUnsafeName, `C\..\..\evil4.aspx`: ErrUnsafeName, "C//double.aspx": ErrUnsafeName,
		"C/./dot.aspx": ErrUnsafeName, "C/link.aspx": ErrLinkEntry, "C/pipe": ErrLinkEntry, "C/dup.aspx": ErrDuplicate,
		"C/both": ErrNotDirectory, "C/bomb.log": ErrSizeBomb, "C/secret.aspx": ErrEncrypted,
	} {
		if !errors.Is(probs[name], want) {
			t.Errorf("%s: problem %v, want %v", name, probs[name], want)
		}
	}
	if len(probs) != 13 {
		t.Errorf("%d problems, want 13: %v", len(probs), probs)
	}
	read := func(name string) string {
		data, err := fs.ReadFile(a, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		return string(data)
	}
	if got := read("C/dup.aspx"); got != "first" {
		t.Errorf("duplicate: read %q, want the first entry", got)
	}
	if got := read("C/both/inner.txt"); got == "" {
		t.Error("the folder of a file-and-folder name was not kept")
	}
	if got := read("C/inetpub/wwwroot/backslash.aspx"); got != "made on Windows" {
		t.Errorf("backslash-separated entry: %q", got)
	}
	read("C/good.aspx")
	for _, gone := range []string{"evil.aspx", "C/link.aspx", "C/bomb.log", "C/secret.aspx", "C/pipe"} {
		if _, err := a.Stat(gone); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %v, want not found", gone, err)
		}
	}
	entries, err := a.ReadDir(".")
	if err != nil || len(entries) != 1 || entries[0].Name() != "C" {
		t.Errorf("top of the archive: %v %v", entries, err)
	}
}

// A zip cut short (a collection killed while writing it) has no central
// directory and is refused, never read in part as if whole.
func TestIncompleteArchive(t *testing.T) {
	data := makeZip(t, []zipEntry{{name: "C/a.log", data: strings.Repeat("line\r\n", 1000)}, {name: "C/b.log", data: "x"}})
	for _, cut := range []int{len(data) - 1, len(data) - 22, len(data) / 2, 30, 4} {
		_, err := NewArchive(bytes.NewReader(data[:cut]), int64(cut), "cut.zip")
		if !errors.Is(err, ErrIncompleteArchive) {
			t.Errorf("cut at %d of %d: %v, want ErrIncompleteArchive", cut, len(data), err)
		}
	}
}

// A collection cut just after a zip it stored (a staged archive is taken
// first) ends with that inner zip's end record: it must not be read as the
// collection.
func TestCutAfterStoredZip(t *testing.T) {
	inner := makeZip(t, []zipEntry{{name: "C/Windows/clean.txt", data: "nothing to see"}})
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "C/ProgramData/it.zip", Method: zip.Store})
	w.Write(inner)
	innerEnd := buf.Len() // the local header and the stored inner zip
	w, _ = zw.Create("C/inetpub/wwwroot/aspnet_client/shell.aspx")
	io.WriteString(w, strings.Repeat("<%@ Page Language=\"C#\" %> a page ", 50))
	zw.Close()
	whole := buf.Bytes()
	if _, err := NewArchive(bytes.NewReader(whole), int64(len(whole)), "whole.zip"); err != nil {
		t.Fatalf("the whole archive: %v", err)
	}
	for _, cut := range []int{innerEnd, innerEnd + 20, innerEnd + 100} {
		if _, err := zip.NewReader(bytes.NewReader(whole[:cut]), int64(cut)); err != nil && cut == innerEnd {
			t.Logf("Go's reader refuses the cut at %d too: %v", cut, err)
		}
		_, err := NewArchive(bytes.NewReader(whole[:cut]), int64(cut), "cut.zip")
		if !errors.Is(err, ErrIncompleteArchive) {
			t.Errorf("cut at %d, after the stored zip: %v, want ErrIncompleteArchive", cut, err)
		}
	}
}

// Entries whose data lies outside the archive or over another entry's are
// refused: a bomb of thousands of names over one stream reads as nothing.
func TestOverlappingAndForgedEntries(t *testing.T) {
	data := makeZip(t, []zipEntry{{name: "C/a.log", data: strings.Repeat("GET / 200\r\n", 100)}, {name: "C/b.log", data: "ok"}})
	// A second central directory record for C/a.log's data, named c.log.
	dirAt := int(binary.LittleEndian.Uint32(data[len(data)-6:]))
	dirLen := int(binary.LittleEndian.Uint32(data[len(data)-10:]))
	first := data[dirAt:]
	recLen := 46 + int(binary.LittleEndian.Uint16(first[28:])) + int(binary.LittleEndian.Uint16(first[30:])) + int(binary.LittleEndian.Uint16(first[32:]))
	dup := append([]byte(nil), first[:recLen]...)
	copy(dup[46:], "C/c.log")
	var out []byte
	out = append(out, data[:dirAt+dirLen]...)
	out = append(out, dup...)
	end := append([]byte(nil), data[dirAt+dirLen:]...)
	binary.LittleEndian.PutUint16(end[8:], binary.LittleEndian.Uint16(end[8:])+1)
	binary.LittleEndian.PutUint16(end[10:], binary.LittleEndian.Uint16(end[10:])+1)
	binary.LittleEndian.PutUint32(end[12:], uint32(dirLen+recLen))
	out = append(out, end...)
	a := openZip(t, out)
	probs := problemsOf(a)
	if !errors.Is(probs["C/a.log"], ErrOverlap) || !errors.Is(probs["C/c.log"], ErrOverlap) || len(probs) != 2 {
		t.Errorf("problems: %v", probs)
	}
	if _, err := a.Stat("C/a.log"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an entry over another's data is still there: %v", err)
	}
	if data, err := fs.ReadFile(a, "C/b.log"); err != nil || string(data) != "ok" {
		t.Errorf("the entry of its own data: %q %v", data, err)
	}

	// One entry whose declared data covers the next two, which do not
	// overlap each other: all three are refused.
	stored := func(aSize int) []byte {
		var es []zipEntry
		for _, n := range []string{"C/a.log", "C/b.log", "C/c.log"} {
			es = append(es, zipEntry{raw: &zip.FileHeader{Name: n, Method: zip.Store, CompressedSize64: 4, UncompressedSize64: 4, CRC32: crc32.ChecksumIEEE([]byte("data"))}, data: "data"})
		}
		es[0].raw.CompressedSize64, es[0].raw.UncompressedSize64 = uint64(aSize), uint64(aSize)
		return makeZip(t, es)
	}
	plain := stored(4)
	zr, err := zip.NewReader(bytes.NewReader(plain), int64(len(plain)))
	if err != nil {
		t.Fatal(err)
	}
	aAt, _ := zr.File[0].DataOffset()
	cAt, _ := zr.File[2].DataOffset()
	covering := stored(int(cAt - aAt + 4))
	if probs := problemsOf(openZip(t, covering)); len(probs) != 3 || !errors.Is(probs["C/c.log"], ErrOverlap) {
		t.Errorf("an entry covering two others: problems %v", probs)
	}

	forged := makeZip(t, []zipEntry{{raw: &zip.FileHeader{Name: "C/huge.log", Method: zip.Store, CompressedSize64: 1 << 40, UncompressedSize64: 1 << 40}, data: "short"}})
	if probs := problemsOf(openZip(t, forged)); !errors.Is(probs["C/huge.log"], ErrOutside) {
		t.Errorf("an entry declaring more data than the file holds: %v", probs)
	}
}

// A damaged entry fails when read, with the zip's checksum error.
func TestDamagedEntry(t *testing.T) {
	h := &zip.FileHeader{Name: "C/a.log", Method: zip.Store}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(h)
	w.Write([]byte("GET /owa/auth/x.js HTTP/1.1"))
	zw.Close()
	data := buf.Bytes()
	i := bytes.Index(data, []byte("x.js"))
	data[i] = 'y'
	a := openZip(t, data)
	if _, err := fs.ReadFile(a, "C/a.log"); !errors.Is(err, zip.ErrChecksum) {
		t.Errorf("reading a damaged entry: %v, want a checksum error", err)
	}
}

// Zips made by Explorer or Compress-Archive of the collection script's
// folder carry DOS times; the manifest beside the files gives them back.
func TestDOSTimesFromManifest(t *testing.T) {
	exact := time.Date(2021, 3, 3, 6, 49, 1, 123456700, time.UTC)
	dos := time.Date(2021, 3, 3, 7, 49, 0, 0, time.UTC) // an hour off: the zip maker's time zone
	var man bytes.Buffer
	mw, _ := triage.NewManifestWriter(&man)
	mw.Write(triage.Entry{Path: "C/inetpub/wwwroot/aspnet_client/s.aspx", Status: triage.Collected, Size: 5, Modified: exact})
	mw.Write(triage.Entry{Path: "C/other.txt", Status: triage.Collected, Size: 999, Modified: exact}) // size differs: not applied
	mw.Flush()
	for _, top := range []string{"", "EX01-20210310T120000Z/"} {
		a := openZip(t, makeZip(t, []zipEntry{
			{name: top + "C/inetpub/wwwroot/aspnet_client/s.aspx", data: "shell", dosOnly: dos},
			{name: top + "C/other.txt", data: "other", dosOnly: dos},
			{name: top + triage.ManifestName, data: man.String(), dosOnly: dos},
		}))
		if a.DOSTimes() != 2 {
			t.Errorf("%q: %d files with DOS times left uncorrected, want 2", top, a.DOSTimes())
		}
		st, err := a.Stat(top + "C/inetpub/wwwroot/aspnet_client/s.aspx")
		if err != nil {
			t.Fatal(err)
		}
		if !st.ModTime().Equal(exact) {
			t.Errorf("%q: time %v, want the manifest's %v", top, st.ModTime(), exact)
		}
		st, _ = a.Stat(top + "C/other.txt")
		if !st.ModTime().Equal(dos) {
			t.Errorf("%q: a row of another size changed the time to %v", top, st.ModTime())
		}
	}
}

// Event logs are read at offsets: stored entries in place, compressed
// ones from memory or, when large, a temporary file that goes with Close.
func TestArchiveReadAt(t *testing.T) {
	content := strings.Repeat("ElfChnk\x00 record data ", 5000)
	stored := &zip.FileHeader{Name: "C/stored.evtx", Method: zip.Store}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(stored)
	io.WriteString(w, content)
	w, _ = zw.Create("C/deflated.evtx")
	io.WriteString(w, content)
	zw.Close()
	a := openZip(t, buf.Bytes())
	defer func(v int64) { spoolInMemory = v }(spoolInMemory)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, limit := range []int64{64 << 20, 1024} {
		spoolInMemory = limit
		for _, name := range []string{"C/stored.evtx", "C/deflated.evtx"} {
			f, err := a.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			ra, ok := f.(io.ReaderAt)
			if !ok {
				t.Fatalf("%s: no ReadAt", name)
			}
			for _, off := range []int{0, 4096, len(content) - 7} {
				p := make([]byte, 7)
				n, err := ra.ReadAt(p, int64(off))
				if n != 7 || string(p) != content[off:off+7] {
					t.Errorf("%s at %d (spool limit %d): %q %v", name, off, limit, p[:n], err)
				}
			}
			// A deflated entry above the limit goes to a temporary file.
			if spooled := f.(*archiveFile).spool != nil; spooled != (name == "C/deflated.evtx" && limit == 1024) {
				t.Errorf("%s (spool limit %d): spooled to a file %v", name, limit, spooled)
			}
			f.Close()
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("temporary files left behind: %v", left)
		}
	}
	// Beyond the largest spool, ReadAt refuses with a way out; stored
	// entries are read in place whatever their size.
	defer func(v int64) { maxSpool = v }(maxSpool)
	maxSpool = 4096
	for name, wantErr := range map[string]bool{"C/deflated.evtx": true, "C/stored.evtx": false} {
		f, err := a.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.(io.ReaderAt).ReadAt(make([]byte, 7), 0)
		if (err != nil) != wantErr || wantErr && !strings.Contains(err.Error(), "extract the archive") {
			t.Errorf("%s above the largest spool: %v", name, err)
		}
		f.Close()
	}
}

func TestSubSharesTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.zip")
	if err := os.WriteFile(p, makeZip(t, []zipEntry{{name: "EX01/C/a.txt", data: "a"}}), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := OpenArchive(p)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := a.Sub("EX01/C")
	if err != nil {
		t.Fatal(err)
	}
	a.Close() // the case's archive is closed once its servers are planned
	if data, err := fs.ReadFile(sub, "a.txt"); err != nil || string(data) != "a" {
		t.Fatalf("reading through the part after the whole was closed: %q %v", data, err)
	}
	sub.Close()
	if _, err := fs.ReadFile(sub, "a.txt"); err == nil {
		t.Error("the file is still open after every part was closed")
	}
	if !IsArchive(p) || IsArchive(t.TempDir()) {
		t.Error("IsArchive")
	}
}

func FuzzArchive(f *testing.F) {
	f.Add(makeZip(f, []zipEntry{{name: "C/a.log", data: "x"}, {name: "C/b/", data: ""}, {name: "manifest.csv", data: "path,status,size,sha256\r\nC/a.log,collected,1,00\r\n"}}))
	f.Add(makeZip(f, []zipEntry{{name: "../x", data: "x"}, {name: "C/dup", data: "1"}, {name: "C/dup", data: "2"}, {name: "a", data: "b", dosOnly: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)}}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := NewArchive(bytes.NewReader(data), int64(len(data)), "fuzz.zip")
		if err != nil {
			return
		}
		fs.WalkDir(a, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if !fs.ValidPath(p) && !validName(p) {
				t.Fatalf("the walk gave an invalid name %q", p)
			}
			f, err := a.Open(p)
			if err != nil {
				return nil
			}
			io.Copy(io.Discard, io.LimitReader(f, 1<<20))
			if ra, ok := f.(io.ReaderAt); ok {
				var b [16]byte
				ra.ReadAt(b[:], 3)
			}
			f.Close()
			return nil
		})
	})
}
