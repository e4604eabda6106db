package scan

import (
	"archive/zip"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/testserver"
	"github.com/exhunt/exhunt/triage"
)

// zipDir zips a folder as a responder would with any zip tool: every file
// with its modification time, no triage manifest; then the extra entries,
// named as given.
func zipDir(t *testing.T, dir, out string, extra ...string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			h.Name += "/"
			_, err = zw.CreateHeader(h)
			return err
		}
		h.Method = zip.Deflate
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(w, src)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range extra {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, "extra")
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func findingSet(rep *result.Report) map[string][]string {
	out := map[string][]string{}
	for _, s := range rep.Servers {
		var l []string
		for _, f := range s.Findings {
			l = append(l, f.ID+" "+f.Severity.String()+" "+f.WindowsPath)
		}
		sort.Strings(l)
		out[s.Server.Name] = l
	}
	return out
}

// A zip of a case folder (two servers, one of them laid out by drive) is
// scanned server by server, as the folder is.
func TestZipOfACase(t *testing.T) {
	dir := t.TempDir()
	if _, err := testserver.Generate(filepath.Join(dir, "EX01"), testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	opt := testserver.DemoOptions()
	opt.HostName = "EX02"
	opt.ExchangeVolume, opt.VolumeDir = "D", filepath.Join(dir, "EX02", "D")
	if _, err := testserver.Generate(filepath.Join(dir, "EX02", "C"), opt); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "case.zip")
	zipDir(t, dir, out)
	src, err := Run(context.Background(), Config{Roots: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	arc, err := Run(context.Background(), Config{Roots: []string{out}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := findingSet(src), findingSet(arc)
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("servers: folder %d, zip %d; want 2", len(a), len(b))
	}
	for name, fa := range a {
		fb := b[name]
		if len(fa) == 0 || len(fa) != len(fb) {
			t.Errorf("%s: %d findings in the folder, %d in the zip", name, len(fa), len(fb))
			continue
		}
		for i := range fa {
			if fa[i] != fb[i] {
				t.Errorf("%s: %q in the folder, %q in the zip", name, fa[i], fb[i])
				break
			}
		}
	}
	for _, s := range arc.Servers {
		for _, e := range s.Errors {
			t.Errorf("%s: error scanning the zip: %+v", s.Server.Name, e)
		}
	}
}

// A collection of part of a drive names the folder that holds it, and is
// scanned as that part; a record naming anything else (outside the
// collection, a file, a folder that is not there) is not followed and the
// collection is scanned as the drives it holds.
func TestCollectionOfPartOfADrive(t *testing.T) {
	dir := t.TempDir()
	if _, err := testserver.Generate(filepath.Join(dir, "C"), testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	logging := "C/" + testserver.DefaultInstallDir + "/Logging"
	for _, tc := range []struct {
		folder   string
		wantKind string
		wantRoot string
	}{
		{logging, "exchange-logging-folder", filepath.Join(dir, filepath.FromSlash(logging))},
		{"", "system-drive", filepath.Join(dir, "C")},
		{"../outside", "system-drive", filepath.Join(dir, "C")},
		{"/" + logging, "system-drive", filepath.Join(dir, "C")},
		{"C", "system-drive", filepath.Join(dir, "C")},
		{"D/Logging", "system-drive", filepath.Join(dir, "C")},
		{"C/missing", "system-drive", filepath.Join(dir, "C")},
		{"C/Windows/System32/config/SYSTEM", "system-drive", filepath.Join(dir, "C")},
	} {
		writeRecord(t, dir, &triage.Record{Source: "/mnt/ex01", SourceFolder: tc.folder, Complete: true})
		s := runScan(t, dir, Config{})
		if s.Server.RootKind != tc.wantKind || s.Root != tc.wantRoot || s.Collection == nil {
			t.Errorf("source folder %q: scanned %s as %s (collection %v); want %s as %s", tc.folder, s.Root, s.Server.RootKind, s.Collection != nil, tc.wantRoot, tc.wantKind)
		}
		if len(s.Findings) == 0 {
			t.Errorf("source folder %q: nothing found", tc.folder)
		}
	}
}

// A collection record or manifest is trusted only beside the drive
// folders a collector wrote: planted at the top of a drive it cannot send
// the scan to a decoy Exchange folder, and a responder's own manifest.csv
// beside a case's servers makes none of them an incomplete collection.
func TestCollectionFilesElsewhereAreNotTrusted(t *testing.T) {
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	b := runScan(t, dir, Config{})
	if err := os.MkdirAll(filepath.Join(dir, "Decoy", "V15"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeRecord(t, dir, &triage.Record{Complete: true, ExchangeDir: "Decoy/V15"})
	os.WriteFile(filepath.Join(dir, triage.ManifestName), []byte(strings.Join(triage.ManifestHeader, ",")+"\r\n"), 0o644)
	p := runScan(t, dir, Config{})
	if len(p.Findings) != len(b.Findings) || p.Server.ExchangeDir != b.Server.ExchangeDir || p.Collection != nil {
		t.Errorf("a record planted at the top of the drive: %d findings (of %d), Exchange in %q (%s), collection %+v",
			len(p.Findings), len(b.Findings), p.Server.ExchangeDir, p.Server.ExchangeSource, p.Collection)
	}

	// A case folder with a spreadsheet of the responder's own.
	caseDir := cleanCase(t)
	os.WriteFile(filepath.Join(caseDir, triage.ManifestName), []byte("server,owner,notes\r\nEX01,IT,\r\n"), 0o644)
	os.WriteFile(filepath.Join(caseDir, "EX01", triage.ManifestName), []byte("file,hash\r\n"), 0o644)
	for _, s := range scanCase(t, caseDir, 2) {
		if s.Verdict.Level != result.VerdictClean || s.Collection != nil {
			t.Errorf("%s beside a manifest.csv of other content: %s (%s), collection %+v", s.Server.Name, s.Verdict.Level, s.Verdict.Headline, s.Collection)
		}
	}
}

// A collection whose record says complete but whose manifest is gone or
// broken cannot say what was out of reach: a clean look is inconclusive.
func TestCollectionWithoutItsManifest(t *testing.T) {
	for _, manifest := range []string{"", "path,original,status\r\n\"unterminated"} {
		dir := t.TempDir()
		opt := testserver.DemoOptions()
		opt.Attacks = false
		if _, err := testserver.Generate(filepath.Join(dir, "C"), opt); err != nil {
			t.Fatal(err)
		}
		writeRecord(t, dir, &triage.Record{Complete: true, ManifestSHA256: strings.Repeat("0", 64)})
		if manifest != "" {
			os.WriteFile(filepath.Join(dir, triage.ManifestName), []byte(manifest), 0o644)
		}
		s := runScan(t, dir, Config{})
		if s.Verdict.Level != result.VerdictInconclusive || s.Collection == nil || !strings.Contains(s.Verdict.Headline, "incomplete") {
			t.Errorf("manifest %q: %s (%s)", manifest, s.Verdict.Level, s.Verdict.Headline)
		}
	}
}

// In an archive of several servers, each is told of the problem entries
// of its own folder and of those that belong to no server, never of
// another server's.
func TestZipOfACaseProblemsGoToTheirServer(t *testing.T) {
	dir := cleanCase(t)
	out := filepath.Join(t.TempDir(), "case.zip")
	zipDir(t, dir, out, "../outside.txt", "EX01/C/inetpub/wwwroot/iisstart.htm", "EX02/C/Windows/Temp/twice.txt", "EX02/C/Windows/Temp/twice.txt")
	for _, s := range scanCase(t, out, 2) {
		var paths []string
		for _, e := range s.Errors {
			paths = append(paths, e.Path)
		}
		sort.Strings(paths)
		// "." is the DOS-only times of the extra entries, told to both.
		want := map[string]string{"EX01": ". ../outside.txt inetpub/wwwroot/iisstart.htm", "EX02": ". ../outside.txt Windows/Temp/twice.txt"}[s.Server.Name]
		if got := strings.Join(paths, " "); got != want {
			t.Errorf("%s is told of %q, want %q", s.Server.Name, got, want)
		}
	}
}

// cleanCase generates a case folder of two clean servers, EX01 and EX02,
// each laid out as a C folder.
func cleanCase(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Attacks = false
	for _, n := range []string{"EX01", "EX02"} {
		opt.HostName = n
		if _, err := testserver.Generate(filepath.Join(dir, n, "C"), opt); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A collection whose record is missing was cut short, whichever collector
// wrote its manifest: exhunt collect (plain header) or the collection
// script (every field quoted).
func TestCollectionCutShortBeforeItsRecord(t *testing.T) {
	quoted := make([]string, len(triage.ManifestHeader))
	for i, h := range triage.ManifestHeader {
		quoted[i] = `"` + h + `"`
	}
	for name, header := range map[string]string{
		"exhunt collect":        strings.Join(triage.ManifestHeader, ","),
		"the collection script": strings.Join(quoted, ","),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			opt := testserver.DemoOptions()
			opt.Attacks = false
			if _, err := testserver.Generate(filepath.Join(dir, "C"), opt); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, triage.ManifestName), []byte(header+"\r\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			s := runScan(t, dir, Config{})
			if s.Verdict.Level != result.VerdictInconclusive || s.Collection == nil || !strings.Contains(s.Collection.Problem, "cut short") {
				t.Errorf("%s (%s), collection %+v", s.Verdict.Level, s.Verdict.Headline, s.Collection)
			}
		})
	}
}

// writeRecord writes a collection record into dir.
func writeRecord(t *testing.T, dir string, rec *triage.Record) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, triage.RecordName))
	if err != nil {
		t.Fatal(err)
	}
	err = triage.WriteRecord(f, rec)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// scanCase scans a root that must hold n servers.
func scanCase(t *testing.T, root string, n int) []*result.Server {
	t.Helper()
	rep, err := Run(context.Background(), Config{Roots: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Servers) != n {
		t.Fatalf("%d servers in %s, want %d", len(rep.Servers), root, n)
	}
	return rep.Servers
}
