package triage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestManifestRoundTrip(t *testing.T) {
	at := time.Date(2021, 3, 3, 6, 49, 1, 123456700, time.UTC)
	in := []Entry{
		{Path: "C/inetpub/wwwroot/aspnet_client/a,b \"q\".aspx", Original: `C:\inetpub\wwwroot\aspnet_client\a,b "q".aspx`, Status: Collected, Method: MethodRead,
			Size: 12, SHA256: strings.Repeat("ab", 32), Modified: at, Created: at.Add(-time.Hour), Accessed: at, Changed: at},
		{Path: "C/Windows/System32/winevt/Logs/Security.evtx", Original: `C:\Windows\System32\winevt\Logs\Security.evtx`, Status: Failed, Method: MethodEventLogExport,
			Size: -1, Note: "access denied\nsecond line"},
		{Path: "C/big.zip", Status: Skipped, Size: 5 << 30, Note: "larger than --max-file-size"},
	}
	var buf bytes.Buffer
	w, err := NewManifestWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range in {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var out []Entry
	if err := ReadManifest(&buf, func(e Entry) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("%d rows back, want %d", len(out), len(in))
	}
	for i := range in {
		if out[i] != in[i] {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, out[i], in[i])
		}
	}
}

// No cell an attacker names can start a formula: paths begin with the
// drive letter.
func TestManifestCellsStartWithOurText(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewManifestWriter(&buf)
	w.Write(Entry{Path: "C/=cmd|' /C calc'!A0.aspx", Original: `C:\=cmd|' /C calc'!A0.aspx`, Status: Collected, Size: 1})
	w.Flush()
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\r\n")[1:] {
		for _, cell := range strings.Split(line, ",") {
			if cell != "" && strings.ContainsRune("=+-@", rune(strings.TrimPrefix(cell, `"`)[0])) {
				t.Errorf("cell %q starts a formula", cell)
			}
		}
	}
}

func TestReadManifestRejects(t *testing.T) {
	for _, bad := range []string{
		"",
		"a,b,c\r\n",
		"path,status,size,sha256\r\nC/a,collected,-5,\r\n",
		"path,status,size,sha256,modified\r\nC/a,collected,1,,yesterday\r\n",
	} {
		if err := ReadManifest(strings.NewReader(bad), func(Entry) error { return nil }); err == nil {
			t.Errorf("%q read without error", bad)
		}
	}
	// Rows longer than any real one stop the reading before they are held
	// whole: one long line, or one quoted field over many short lines.
	head := "path,status,size,sha256\r\n"
	for name, bad := range map[string]string{
		"long line":            head + "C/" + strings.Repeat("a", maxManifestRow) + ",collected,1,\r\n",
		"quoted over lines":    head + "\"C/" + strings.Repeat("a\r\n", maxManifestRow/3) + "\",collected,1,\r\n",
		"unterminated quoting": head + "\"" + strings.Repeat("x", 2*maxManifestRow),
	} {
		err := ReadManifest(strings.NewReader(bad), func(Entry) error { return nil })
		if !errors.Is(err, errRowTooLong) {
			t.Errorf("%s: %v", name, err)
		}
	}
	long := head + strings.Repeat("C/"+strings.Repeat("b", 60000)+",collected,1,\r\n", 20)
	rows := 0
	if err := ReadManifest(strings.NewReader(long), func(Entry) error { rows++; return nil }); err != nil || rows != 20 {
		t.Errorf("20 rows of 60 KB paths: %d read, %v", rows, err)
	}
	// A manifest written by a later version, with more columns, reads.
	ok := "\ufeffpath,status,size,sha256,extra\r\nC/a,collected,1,AB,x\r\n"
	var got Entry
	if err := ReadManifest(strings.NewReader(ok), func(e Entry) error { got = e; return nil }); err != nil || got.SHA256 != "ab" || got.Size != 1 {
		t.Errorf("%+v %v", got, err)
	}
}

// manifest.sha256 verifies with GNU sha256sum, odd names included.
func TestHashListVerifiesWithSha256sum(t *testing.T) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum is not installed")
	}
	dir := t.TempDir()
	names := []string{"C/plain.log", `C/back\slash.aspx`, "C/new\nline.aspx", "C/space name.txt"}
	var list strings.Builder
	for i, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		os.MkdirAll(filepath.Dir(p), 0o755)
		data := []byte(strings.Repeat("x", i+1))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		list.WriteString(HashLine(sha256hex(data), n))
	}
	if err := os.WriteFile(filepath.Join(dir, HashListName), []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sha256sum", "-c", HashListName)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	rec := &Record{Tool: Tool{Name: "exhunt", Version: "1"}, Host: "EX01", Started: time.Unix(1, 0).UTC(), Ended: time.Unix(2, 0).UTC(), Complete: true}
	var buf bytes.Buffer
	if err := WriteRecord(&buf, rec); err != nil {
		t.Fatal(err)
	}
	back, err := ReadRecord(&buf)
	if err != nil || back.Host != "EX01" || !back.Complete || back.FormatVersion != FormatVersion {
		t.Fatalf("%+v %v", back, err)
	}
	for _, bad := range []string{`{"format":"other"}`, `[1]`, strings.Repeat(" ", maxRecordSize+1)} {
		if _, err := ReadRecord(strings.NewReader(bad)); err == nil {
			t.Errorf("%.30q read", bad)
		}
	}
}

func FuzzManifest(f *testing.F) {
	f.Add("path,original,status,method,size,sha256,modified,created,accessed,changed,note\r\nC/a,C:\\a,collected,read,1,ab,2021-03-03T06:49:01.1234567Z,,,,\r\n")
	f.Add("\ufeffpath,status,size,sha256\n\"C/a\"\"b\",skipped,,\n")
	f.Fuzz(func(t *testing.T, s string) {
		var rows []Entry
		err := ReadManifest(strings.NewReader(s), func(e Entry) error { rows = append(rows, e); return nil })
		if err != nil {
			return
		}
		// What reads writes back and reads the same.
		var buf bytes.Buffer
		w, _ := NewManifestWriter(&buf)
		for _, e := range rows {
			w.Write(e)
		}
		w.Flush()
		i := 0
		if err := ReadManifest(&buf, func(e Entry) error {
			want := rows[i]
			i++
			if strings.ContainsRune(want.Path+want.SHA256+string(want.Status), '\r') {
				return nil // CSV does not carry a lone carriage return; real paths have none
			}
			want.Modified, want.Created, want.Accessed, want.Changed = want.Modified.Truncate(100), want.Created.Truncate(100), want.Accessed.Truncate(100), want.Changed.Truncate(100)
			if e.Path != want.Path || e.Status != want.Status || e.Size != want.Size || e.SHA256 != want.SHA256 || !e.Modified.Equal(want.Modified) {
				t.Fatalf("row %d: %+v, then %+v", i, want, e)
			}
			return nil
		}); err != nil {
			t.Fatalf("written manifest does not read: %v", err)
		}
	})
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
