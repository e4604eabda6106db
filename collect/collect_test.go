package collect

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/triagetest"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/scan"
	"github.com/exhunt/exhunt/testserver"
	"github.com/exhunt/exhunt/triage"
)

// findingKey is what must be the same in a scan of the source and of its
// archive: where the server itself had the file, not where the copy is.
type findingKey struct {
	rule, severity, where string
	line                  int
	time                  string
}

func keys(t *testing.T, rep *result.Report) ([]findingKey, string) {
	t.Helper()
	if len(rep.Servers) != 1 {
		t.Fatalf("%d servers scanned, want 1", len(rep.Servers))
	}
	var out []findingKey
	for _, f := range rep.Servers[0].Findings {
		k := findingKey{rule: f.Rule, severity: f.Severity.String(), where: strings.TrimSuffix(f.WindowsPath, `\`), line: f.Line}

		if f.Time != nil {
			k.time = f.Time.UTC().Format(time.RFC3339Nano)
		}
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out, rep.Servers[0].Verdict.Level
}

func scanOf(t *testing.T, cfg scan.Config) *result.Report {
	t.Helper()
	rep, err := scan.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// sameFindings asserts the archive scans to the source's findings.
func sameFindings(t *testing.T, src, arc *result.Report) {
	t.Helper()
	a, av := keys(t, src)
	b, bv := keys(t, arc)
	if av != bv {
		t.Errorf("verdict of the archive %s, of the source %s", bv, av)
	}
	in := map[findingKey]int{}
	for _, k := range a {
		in[k]++
	}
	for _, k := range b {
		in[k]--
	}
	n := 0
	for k, d := range in {
		if d != 0 && n < 20 {
			n++
			if d > 0 {
				t.Errorf("only in the source's scan: %+v", k)
			} else {
				t.Errorf("only in the archive's scan: %+v", k)
			}
		}
	}
	if len(a) == 0 {
		t.Error("the source's scan found nothing: the comparison proves nothing")
	}
	sameCoverage(t, src.Servers[0], arc.Servers[0])
	if errs := arc.Servers[0].Errors; len(errs) > len(src.Servers[0].Errors) {
		t.Errorf("the archive's scan has errors the source's has not: %+v", errs)
	}
}

// sameCoverage asserts the archive's scan says it examined what the
// source's did: the same kind of root, and the same checks run. An
// archive of a log folder must not claim web folders it never held.
func sameCoverage(t *testing.T, src, arc *result.Server) {
	t.Helper()
	// The details may differ in the folder's name (an IIS site folder is
	// named by the copy's folder, the archive's by the archive).
	if src.Server.RootKind != arc.Server.RootKind {
		t.Errorf("the source was scanned as %s (%s), its archive as %s (%s)", src.Server.RootKind, src.Server.RootKindDetail, arc.Server.RootKind, arc.Server.RootKindDetail)
	}
	ids := func(cs []result.CheckStatus) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	if a, b := ids(src.Verdict.ChecksRun), ids(arc.Verdict.ChecksRun); a != b {
		t.Errorf("checks run on the source: %s\non its archive: %s", a, b)
	}
}

// demoServer generates the synthetic Exchange server in a temporary
// folder, attacked or left clean.
func demoServer(t *testing.T, attacked bool) string {
	t.Helper()
	dir := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Attacks = attacked
	if _, err := testserver.Generate(dir, opt); err != nil {
		t.Fatal(err)
	}
	return dir
}

// collectTo collects the server in dir, with default options, into a new
// archive named name.
func collectTo(t *testing.T, dir, name string) (string, *Result) {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	res, err := Run(context.Background(), Options{Scan: scan.Config{Roots: []string{dir}}, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	return out, res
}

func TestArchiveScansLikeItsSource(t *testing.T) {
	vol := t.TempDir()
	cases := []struct {
		name string
		opt  func() testserver.Options
		cfg  func(dir string) scan.Config
	}{
		{"system drive", testserver.DemoOptions, func(dir string) scan.Config { return scan.Config{Roots: []string{dir}} }},
		{"Exchange on D:", func() testserver.Options {
			o := testserver.DemoOptions()
			o.ExchangeVolume, o.VolumeDir = "D", vol
			return o
		}, func(dir string) scan.Config {
			return scan.Config{Roots: []string{dir}, Volumes: map[byte]string{'D': vol}}
		}},
		{"Exchange where only --exchange-dir says", func() testserver.Options {
			o := testserver.DemoOptions()
			o.InstallDir, o.Hive = "Apps/Mail/Exch", false
			return o
		}, func(dir string) scan.Config {
			return scan.Config{Roots: []string{dir}, ExchangeDir: "Apps/Mail/Exch"}
		}},
		{"the Program Files folder alone", testserver.DemoOptions, func(dir string) scan.Config {
			return scan.Config{Roots: []string{filepath.Join(dir, "Program Files")}}
		}},
		{"the V15 folder alone", testserver.DemoOptions, func(dir string) scan.Config {
			return scan.Config{Roots: []string{filepath.Join(dir, filepath.FromSlash(testserver.DefaultInstallDir))}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := testserver.Generate(dir, tc.opt()); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "triage.zip")
			res, err := Run(context.Background(), Options{Scan: tc.cfg(dir), Out: out, Tool: triage.Tool{Name: "exhunt", Version: "test"}})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Record.Complete || res.Record.Counts.Failed != 0 {
				t.Errorf("record: complete %v, %d failed", res.Record.Complete, res.Record.Counts.Failed)
			}
			src := scanOf(t, tc.cfg(dir))
			arc := scanOf(t, scan.Config{Roots: []string{out}})
			sameFindings(t, src, arc)
			// The first step for a compromised server: collect it; for its
			// archive: keep the archive as it is.
			if s, a := src.Servers[0].Verdict, arc.Servers[0].Verdict; s.Level != result.VerdictCompromised || len(s.NextSteps) == 0 || len(a.NextSteps) == 0 ||
				!strings.Contains(s.NextSteps[0], "exhunt collect") || !strings.Contains(a.NextSteps[0], "keep this triage archive") {
				t.Errorf("first steps: source (%s) %q, archive %q", s.Level, s.NextSteps, a.NextSteps)
			}
			if c := arc.Servers[0].Collection; c == nil || !c.Complete || c.Files != res.Record.Counts.Files {
				t.Errorf("the scan of the archive did not read its record: %+v", c)
			}

			files := triagetest.ReadArchive(t, out)
			checkManifest(t, files, res)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != res.ArchiveSHA256 || int64(len(data)) != res.ArchiveSize {
				t.Errorf("archive hash %s (%d bytes) reported, file is %x (%d bytes)", res.ArchiveSHA256, res.ArchiveSize, sum, len(data))
			}
		})
	}
}

// checkManifest holds the manifest against the archive: every collected
// file is there with its hash and size, the hash list says the same, and
// every file of the archive is in the manifest.
func checkManifest(t *testing.T, files map[string][]byte, res *Result) {
	t.Helper()
	entries := triagetest.Manifest(t, files)
	rec := triagetest.Record(t, files)
	if rec.Format != triage.Format || !rec.Complete || rec.Tool.Version != "test" || rec.Started.IsZero() || rec.Ended.Before(rec.Started) ||
		(rec.ExchangeBuild == "" || rec.Host != "EX01") && rec.ExchangeDir == "" {
		t.Errorf("record: %+v", rec)
	}
	sum := sha256.Sum256(files[triage.ManifestName])
	if hex.EncodeToString(sum[:]) != rec.ManifestSHA256 {
		t.Error("the record's manifest hash is not the manifest's")
	}
	listed := map[string]bool{triage.ManifestName: true, triage.RecordName: true, triage.HashListName: true, triage.StartName: true}
	var hashList strings.Builder
	for _, e := range entries {
		listed[e.Path] = true
		if e.Status != triage.Collected {
			continue
		}
		data, ok := files[e.Path]
		if !ok {
			t.Errorf("%s: in the manifest, not in the archive", e.Path)
			continue
		}
		s := sha256.Sum256(data)
		if hex.EncodeToString(s[:]) != e.SHA256 || int64(len(data)) != e.Size {
			t.Errorf("%s: manifest says %s, %d bytes; archive holds %x, %d bytes", e.Path, e.SHA256, e.Size, s, len(data))
		}
		if e.Modified.IsZero() || e.Original == "" || !strings.Contains(e.Original, `:\`) {
			t.Errorf("%s: times or original path missing: %+v", e.Path, e)
		}
		hashList.WriteString(triage.HashLine(e.SHA256, e.Path))
	}
	if got := string(files[triage.HashListName]); got != hashList.String() {
		t.Errorf("manifest.sha256 differs from the manifest's hashes")
	}
	for name := range files {
		if !listed[name] {
			t.Errorf("%s: in the archive, not in the manifest", name)
		}
	}
	if rec.Counts.Files != len(files)-4 {
		t.Errorf("record counts %d files, archive holds %d", rec.Counts.Files, len(files)-4)
	}
}

// The archive extracted anywhere verifies with sha256sum alone, and its
// files keep their modification times to the 100 ns.
func TestExtractedArchiveVerifies(t *testing.T) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum is not installed")
	}
	dir := demoServer(t, true)
	// A modification time finer than a second, as NTFS keeps them.
	fine := time.Date(2021, 3, 3, 7, 1, 2, 123456700, time.UTC)
	shell := filepath.Join(dir, "inetpub", "wwwroot", "aspnet_client", "shell.aspx")
	if err := os.WriteFile(shell, []byte(`<%@ Page Language="C#" %>an unknown page where shells were planted`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(shell, fine, fine); err != nil {
		t.Fatal(err)
	}
	out, _ := collectTo(t, dir, "t.zip")
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	found := false
	for _, f := range zr.File {
		if f.Name == "C/inetpub/wwwroot/aspnet_client/shell.aspx" {
			found = true
			if !f.Modified.Equal(fine) {
				t.Errorf("the web shell's time in the archive is %v, want %v", f.Modified, fine)
			}
		}
	}
	if !found {
		t.Fatal("the flagged web shell is not in the archive")
	}
	ex := t.TempDir()
	for name, data := range triagetest.ReadArchive(t, out) {
		p := filepath.Join(ex, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sha256sum", "--quiet", "-c", triage.HashListName)
	cmd.Dir = ex
	if outp, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, outp)
	}
}

func TestLimits(t *testing.T) {
	dir := demoServer(t, true)
	_, fullRes := collectTo(t, dir, "full.zip")
	since := time.Date(2021, 3, 3, 12, 0, 0, 0, time.UTC)
	t.Run("since", func(t *testing.T) {
		dateLogs(t, dir)
		out := filepath.Join(t.TempDir(), "since.zip")
		res, err := Run(context.Background(), Options{Scan: scan.Config{Roots: []string{dir}}, Out: out, Since: since})
		if err != nil {
			t.Fatal(err)
		}
		files := triagetest.ReadArchive(t, out)
		skipped := 0
		for _, e := range triagetest.Manifest(t, files) {
			isLog := strings.EqualFold(path.Ext(e.Path), ".log")
			switch {
			case e.Status == triage.Skipped:
				skipped++
				if !isLog || !e.Modified.Before(since) || e.Note != reasonSince || e.SHA256 != "" {
					t.Errorf("skipped: %+v", e)
				}
				if _, ok := files[e.Path]; ok {
					t.Errorf("%s: skipped, yet in the archive", e.Path)
				}
			case isLog && e.Modified.Before(since) && strings.Contains(e.Path, "/Logging/"):
				t.Errorf("%s: last written %v, before --since, yet taken", e.Path, e.Modified)
			}
		}
		if skipped == 0 || res.Record.Counts.Skipped != skipped || len(res.Record.Skipped) != 1 || res.Record.Skipped[0].Reason != reasonSince {
			t.Errorf("%d skipped in the manifest; record: %+v", skipped, res.Record.Counts)
		}
		arc := scanOf(t, scan.Config{Roots: []string{out}})
		v := arc.Servers[0].Verdict
		if !strings.Contains(strings.Join(v.Caveats, "\n"), "left out") {
			t.Errorf("no caveat for what --since left out: %q", v.Caveats)
		}
	})
	t.Run("max-total-size", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "small.zip")
		limit := fullRes.Record.Counts.Bytes / 3
		res, err := Run(context.Background(), Options{Scan: scan.Config{Roots: []string{dir}}, Out: out, MaxTotalSize: limit})
		if err != nil {
			t.Fatal(err)
		}
		if res.Record.Counts.Bytes > limit || res.Record.Counts.Skipped == 0 {
			t.Errorf("took %d bytes under a limit of %d, skipped %d", res.Record.Counts.Bytes, limit, res.Record.Counts.Skipped)
		}
		// What the scan flagged is taken first.
		files := triagetest.ReadArchive(t, out)
		checked := 0
		for _, f := range fullRes.Report.Servers[0].Findings {
			if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path))); err == nil && st.Mode().IsRegular() && f.Line == 0 && f.Volume == "C" {
				checked++
				if _, ok := files["C/"+f.Path]; !ok {
					t.Errorf("flagged %s (%s) left out by the total limit", f.Path, f.Rule)
				}
			}
		}
		if checked < 5 {
			t.Errorf("only %d flagged files checked: the test proves little", checked)
		}
	})
	t.Run("max-file-size", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "perfile.zip")
		res, err := Run(context.Background(), Options{Scan: scan.Config{Roots: []string{dir}}, Out: out, MaxFileSize: 64 << 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range triagetest.Manifest(t, triagetest.ReadArchive(t, out)) {
			if (e.Status == triage.Skipped) != (e.Size > 64<<10) {
				t.Errorf("%s: %d bytes, %s", e.Path, e.Size, e.Status)
			}
		}
		if res.Record.Counts.Skipped == 0 {
			t.Error("nothing was larger than 64 KB: the test proves nothing")
		}
	})
}

// dateLogs gives each hourly log the time it was last written on a real
// server, the end of the hour its name gives (HttpProxy_2021030306-1.LOG,
// u_ex21030306.log).
func dateLogs(t *testing.T, dir string) {
	t.Helper()
	long := regexp.MustCompile(`_(20\d{6})(\d{2})`)
	short := regexp.MustCompile(`^u_ex(\d{6})(\d{2})`)
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || !strings.EqualFold(filepath.Ext(p), ".log") {
			return err
		}
		day, hour := "", ""
		if m := long.FindStringSubmatch(d.Name()); m != nil {
			day, hour = m[1], m[2]
		} else if m := short.FindStringSubmatch(d.Name()); m != nil {
			day, hour = "20"+m[1], m[2]
		} else {
			return nil
		}
		at, err := time.Parse("2006010215", day+hour)
		if err != nil {
			return nil
		}
		at = at.Add(time.Hour - time.Second)
		n++
		return os.Chtimes(p, at, at)
	})
	if n == 0 {
		t.Fatal("no hourly log found to date")
	}
}

// A collection interrupted (Ctrl-C, a cancelled context) ends with a
// valid archive whose record says it is incomplete, and the scan of it
// will not call the server clean.
func TestInterruptedCollection(t *testing.T) {
	dir := demoServer(t, false)
	out := filepath.Join(t.TempDir(), "cut.zip")
	ctx, cancel := context.WithCancelCause(context.Background())
	n := 0
	o := Options{Scan: scan.Config{Roots: []string{dir}}, Out: out, Workers: 1}
	o.afterEntry = func(triage.Entry) {
		if n++; n == 20 {
			cancel(errors.New("interrupted by the test"))
		}
	}
	res, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Record.Complete || !strings.Contains(res.Record.Interrupted, "interrupted by the test") {
		t.Fatalf("record of an interrupted collection: complete %v, %q", res.Record.Complete, res.Record.Interrupted)
	}
	stopped := 0
	for _, e := range triagetest.Manifest(t, triagetest.ReadArchive(t, out)) {
		if e.Note == reasonStopped {
			stopped++
		}
	}
	if stopped == 0 {
		t.Error("the files not taken are not listed as such")
	}
	clean := scanOf(t, scan.Config{Roots: []string{dir}})
	if clean.Servers[0].Verdict.Level != result.VerdictClean {
		t.Fatalf("the clean source scans as %s", clean.Servers[0].Verdict.Level)
	}
	arc := scanOf(t, scan.Config{Roots: []string{out}})
	s := arc.Servers[0]
	if s.Verdict.Level != result.VerdictInconclusive || !strings.Contains(s.Verdict.Headline, "incomplete") {
		t.Errorf("an interrupted collection of a clean server scans as %s: %s", s.Verdict.Level, s.Verdict.Headline)
	}
	if s.ExitStatus() != result.ExitInconclusive {
		t.Errorf("exit status %d", s.ExitStatus())
	}
}

// A collection killed outright leaves an archive without its central
// directory: it is refused as incomplete, never read as whole.
func TestKilledCollection(t *testing.T) {
	if os.Getenv("EXHUNT_COLLECT_CHILD") != "" {
		return // the child's work is in TestMain
	}
	dir := demoServer(t, true)
	out := filepath.Join(t.TempDir(), "killed.zip")
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), "EXHUNT_COLLECT_CHILD="+dir, "EXHUNT_COLLECT_CHILD_OUT="+out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if st, err := os.Stat(out); err == nil && st.Size() >= 1<<20 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the collection wrote less than 1 MB in a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := root.OpenArchive(out); !errors.Is(err, root.ErrIncompleteArchive) {
		t.Fatalf("opening the killed collection's archive: %v, want ErrIncompleteArchive", err)
	}
	_, err := scan.Run(context.Background(), scan.Config{Roots: []string{out}})
	if !errors.Is(err, scan.ErrSetup) || !strings.Contains(err.Error(), "incomplete") {
		t.Errorf("scanning it: %v", err)
	}
}

func TestMain(m *testing.M) {
	if v := os.Getenv("EXHUNT_COLLECT_CHILD"); v != "" {
		dir, out := v, os.Getenv("EXHUNT_COLLECT_CHILD_OUT")
		o := Options{Scan: scan.Config{Roots: []string{dir}}, Out: out, Workers: 1}
		// Slow enough to be killed half-way, as a collection of a real
		// server would be.
		o.afterEntry = func(triage.Entry) { time.Sleep(10 * time.Millisecond) }
		if _, err := Run(context.Background(), o); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestRefusesAnExistingArchive(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "earlier.zip")
	if err := os.WriteFile(out, []byte("an earlier collection"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), Options{Scan: scan.Config{Roots: []string{dir}}, Out: out})
	if !errors.Is(err, ErrOutExists) {
		t.Fatalf("got %v", err)
	}
	if data, _ := os.ReadFile(out); string(data) != "an earlier collection" {
		t.Error("the earlier archive was touched")
	}
}

func TestOneServerPerArchive(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"EX01", "EX02"} {
		if _, err := testserver.Generate(filepath.Join(dir, n), testserver.DemoOptions()); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "case.zip")
	_, err := Run(context.Background(), Options{Scan: scan.Config{Roots: []string{dir}}, Out: out})
	if err == nil || !strings.Contains(err.Error(), "2 servers") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Error("a collection that did not start left an archive behind")
	}
}

// A collection cut short and then made readable again by a repair tool
// (zip -FF rebuilds the directory from the entries that are there) has
// its start record but not its end record: it is incomplete, and a clean
// look is inconclusive.
func TestRepairedCutCollection(t *testing.T) {
	dir := demoServer(t, false)
	out, _ := collectTo(t, dir, "whole.zip")
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	// The repair: the entries of the first third, in a new directory.
	repaired := filepath.Join(t.TempDir(), "repaired.zip")
	f, err := os.Create(repaired)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, e := range zr.File[:len(zr.File)/3] {
		if err := zw.Copy(e); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	f.Close()
	rep := scanOf(t, scan.Config{Roots: []string{repaired}})
	s := rep.Servers[0]
	if s.Verdict.Level != result.VerdictInconclusive || s.Collection == nil || s.Collection.Complete || !strings.Contains(s.Collection.Problem, "cut short") {
		t.Errorf("a repaired third of a collection: %s, %s; collection %+v", s.Verdict.Level, s.Verdict.Headline, s.Collection)
	}
}

// What the scan of the source could not read is listed in the manifest as
// failed, and the scan of the archive counts it as out of reach too: a
// link in a web shell folder makes both inconclusive, never "clean".
func TestUnreadableSourceStaysUnreadable(t *testing.T) {
	dir := demoServer(t, false)
	if err := os.Symlink("/etc/hostname", filepath.Join(dir, "inetpub/wwwroot/aspnet_client/x.aspx")); err != nil {
		t.Skip(err)
	}
	src := scanOf(t, scan.Config{Roots: []string{dir}})
	if src.Servers[0].Verdict.Level != result.VerdictInconclusive {
		t.Fatalf("the source with a link in aspnet_client scans as %s", src.Servers[0].Verdict.Level)
	}
	out, res := collectTo(t, dir, "t.zip")
	if res.Record.Scan.FlaggedNotTaken != 0 || len(res.Record.Notes) != 0 || res.Record.Counts.Failed != 1 {
		t.Errorf("a clean server with one unreadable file: scan %+v, notes %q, %d failed", res.Record.Scan, res.Record.Notes, res.Record.Counts.Failed)
	}
	arc := scanOf(t, scan.Config{Roots: []string{out}})
	if v := arc.Servers[0].Verdict; v.Level != result.VerdictInconclusive {
		t.Errorf("its archive scans as %s: %s", v.Level, v.Headline)
	}
	found := false
	for _, e := range arc.Servers[0].Errors {
		if strings.HasSuffix(e.Path, "aspnet_client/x.aspx") && strings.Contains(e.Error, "could not be read when the collection was made") {
			found = true
		}
	}
	if !found {
		t.Errorf("the archive's scan does not name the file out of reach: %+v", arc.Servers[0].Errors)
	}
}

// An Exchange 2010 server's archive holds its ExSetup.exe, so its scan
// tells the same build and verdict as the server's.
func TestExchange2010Archive(t *testing.T) {
	dir := t.TempDir()
	if err := testserver.Exchange2010(dir, "14.3.513.0"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "triage.zip")
	cfg := scan.Config{Roots: []string{dir}}
	if _, err := Run(context.Background(), Options{Scan: cfg, Out: out, Tool: triage.Tool{Name: "exhunt", Version: "test"}}); err != nil {
		t.Fatal(err)
	}
	src, arc := scanOf(t, cfg), scanOf(t, scan.Config{Roots: []string{out}})
	sameFindings(t, src, arc)
	s, a := src.Servers[0], arc.Servers[0]
	if s.Server.Exchange2010Dir == "" || a.Server.Exchange2010Dir != s.Server.Exchange2010Dir ||
		a.Verdict.Headline != s.Verdict.Headline || a.Verdict.Exposure.Build != "14.3.513.0" || a.Verdict.Exposure.State != s.Verdict.Exposure.State {
		t.Errorf("source: %q %q %+v\narchive: %q %q %+v", s.Server.Exchange2010Dir, s.Verdict.Headline, s.Verdict.Exposure,
			a.Server.Exchange2010Dir, a.Verdict.Headline, a.Verdict.Exposure)
	}
}
