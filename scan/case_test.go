package scan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/testserver"
)

// caseLayout is a generated case: what a responder gets from a customer.
type caseLayout struct {
	dir string
	// manifests by server folder name.
	man map[string]*testserver.Manifest
	// wrong are roots a user might give by mistake, by name.
	wrong map[string]string
}

func generate(t *testing.T, dir string, opt testserver.Options) *testserver.Manifest {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	man, err := testserver.Generate(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return man
}

// buildCase lays out, in one folder:
//
//	EX01/      an attacked server (default install, registry hives)
//	EX02/      a clean server
//	EX03/C, EX03/D  an attacked server with Exchange installed on D:
//	EX04/      a partial copy: only Exchange's Logging folder of an attacked server
//	notes/     documents, no server
//
// and, beside it, the wrong roots of a hurried user.
func buildCase(t *testing.T) *caseLayout {
	base := t.TempDir()
	c := &caseLayout{dir: filepath.Join(base, "case"), man: map[string]*testserver.Manifest{}, wrong: map[string]string{}}

	attacked := testserver.DemoOptions()
	c.man["EX01"] = generate(t, filepath.Join(c.dir, "EX01"), attacked)

	clean := attacked
	clean.Attacks, clean.HostName = false, "EX02"
	c.man["EX02"] = generate(t, filepath.Join(c.dir, "EX02"), clean)

	onD := attacked
	onD.HostName, onD.InstallDir = "EX03", "Exchange/V15"
	onD.ExchangeVolume, onD.VolumeDir = "D", filepath.Join(c.dir, "EX03", "D")
	c.man["EX03"] = generate(t, filepath.Join(c.dir, "EX03", "C"), onD)

	full := filepath.Join(base, "ex04-full")
	partial := attacked
	partial.HostName = "EX04"
	c.man["EX04"] = generate(t, full, partial)
	if err := os.MkdirAll(filepath.Join(c.dir, "EX04"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(full, filepath.FromSlash(testserver.DefaultInstallDir), "Logging"), filepath.Join(c.dir, "EX04", "Logging")); err != nil {
		t.Fatal(err)
	}

	notes := filepath.Join(c.dir, "notes")
	os.MkdirAll(notes, 0o755)
	os.WriteFile(filepath.Join(notes, "ticket.txt"), []byte("customer called at 02:00"), 0o644)

	empty := filepath.Join(base, "empty")
	os.MkdirAll(empty, 0o755)
	docs := filepath.Join(base, "docs")
	os.MkdirAll(filepath.Join(docs, "photos"), 0o755)
	os.WriteFile(filepath.Join(docs, "report.docx"), []byte("PK"), 0o644)
	c.wrong["empty folder"] = empty
	c.wrong["folder of documents"] = docs
	c.wrong["V15 folder of the clean server"] = filepath.Join(c.dir, "EX02", filepath.FromSlash(testserver.DefaultInstallDir))
	c.wrong["HttpProxy folder of the attacked server"] = filepath.Join(c.dir, "EX01", filepath.FromSlash(testserver.DefaultInstallDir), "Logging", "HttpProxy")
	c.wrong["Owa log folder of the attacked server"] = filepath.Join(c.dir, "EX01", filepath.FromSlash(testserver.DefaultInstallDir), "Logging", "HttpProxy", "Owa")
	// The same Owa logs copied under another name.
	renamed := filepath.Join(base, "ex01-owa-logs")
	copyTree(t, c.wrong["Owa log folder of the attacked server"], renamed)
	c.wrong["renamed Owa log folder"] = renamed
	return c
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCaseInOneRun scans a whole case folder and the wrong roots in one
// run and checks every server's verdict and exit status, that evidence of
// two servers is never merged, and the run's exit status.
func TestCaseInOneRun(t *testing.T) {
	c := buildCase(t)
	roots := []string{c.dir}
	for _, name := range []string{"empty folder", "folder of documents", "V15 folder of the clean server", "HttpProxy folder of the attacked server", "Owa log folder of the attacked server", "renamed Owa log folder"} {
		roots = append(roots, c.wrong[name])
	}
	rep, err := Run(context.Background(), Config{Roots: roots})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		name, level string
		exit        int
		kind        string
	}
	wants := map[string]want{
		filepath.Join(c.dir, "EX01"):                       {"EX01", result.VerdictCompromised, result.ExitFindings, "system-drive"},
		filepath.Join(c.dir, "EX02"):                       {"EX02", result.VerdictClean, result.ExitClean, "system-drive"},
		filepath.Join(c.dir, "EX03", "C"):                  {"EX03", result.VerdictCompromised, result.ExitFindings, "system-drive"},
		filepath.Join(c.dir, "EX04"):                       {"EX04", result.VerdictCompromised, result.ExitFindings, "exchange-folder"},
		c.wrong["empty folder"]:                            {"empty", result.VerdictInconclusive, result.ExitInconclusive, "unrecognised"},
		c.wrong["folder of documents"]:                     {"docs", result.VerdictInconclusive, result.ExitInconclusive, "unrecognised"},
		c.wrong["V15 folder of the clean server"]:          {"EX02", result.VerdictClean, result.ExitClean, "exchange-folder"},
		c.wrong["HttpProxy folder of the attacked server"]: {"EX01", result.VerdictCompromised, result.ExitFindings, "exchange-log-folder"},
		c.wrong["Owa log folder of the attacked server"]:   {"EX01", result.VerdictCompromised, result.ExitFindings, "exchange-log-folder"},
		c.wrong["renamed Owa log folder"]:                  {"EX01", result.VerdictCompromised, result.ExitFindings, "exchange-log-folder"},
	}
	// EX04 is the Logging folder alone, one level down: recognised as the
	// Exchange folder of a partial copy (it holds Logging).
	if len(rep.Servers) != len(wants) {
		for _, s := range rep.Servers {
			t.Logf("server %s at %s", s.Server.Name, s.Root)
		}
		t.Fatalf("%d servers, want %d", len(rep.Servers), len(wants))
	}
	for _, s := range rep.Servers {
		w, ok := wants[s.Root]
		if !ok {
			t.Errorf("unexpected server at %s", s.Root)
			continue
		}
		if s.Server.Name != w.name || s.Verdict.Level != w.level || s.ExitStatus() != w.exit || s.Server.RootKind != w.kind {
			t.Errorf("%s: name %q verdict %s exit %d kind %s; want %q %s %d %s (%s)", s.Root, s.Server.Name, s.Verdict.Level, s.ExitStatus(), s.Server.RootKind,
				w.name, w.level, w.exit, w.kind, s.Verdict.Headline)
		}
		t.Logf("%-60s %-6s %-24s exit %d", s.Root, s.Server.Name, s.Verdict.Level, s.ExitStatus())
	}
	if rep.ExitStatus() != result.ExitFindings {
		t.Errorf("run exit %d, want 1", rep.ExitStatus())
	}
	if len(rep.Skipped) != 1 || filepath.Base(rep.Skipped[0].Dir) != "notes" {
		t.Errorf("skipped %v, want the notes folder", rep.Skipped)
	}
	sum := rep.Summary()
	if strings.Join(sum.SameName, ",") != "EX01,EX02" {
		t.Errorf("host names of several folders: %v, want [EX01 EX02] (servers whose parts were given again)", sum.SameName)
	}
	if sum.Verdicts[result.VerdictCompromised] != 6 || sum.Verdicts[result.VerdictInconclusive] != 2 || sum.Verdicts[result.VerdictClean] != 2 {
		t.Errorf("summary %+v", sum.Verdicts)
	}
}

// TestCaseServersKeepTheirEvidence checks each server of the case against
// its own manifest: the attacked servers' findings are all there, on the
// right server and volume, and the clean one has none.
func TestCaseServersKeepTheirEvidence(t *testing.T) {
	c := buildCase(t)
	rep, err := Run(context.Background(), Config{Roots: []string{c.dir}})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*result.Server{}
	for _, s := range rep.Servers {
		byName[filepath.Base(s.Root)] = s
	}
	ex03 := byName["C"]
	if ex03 == nil || byName["EX01"] == nil || byName["EX02"] == nil {
		t.Fatalf("servers %v", byName)
	}
	for name, s := range map[string]*result.Server{"EX01": byName["EX01"], "EX03": ex03} {
		got := map[string]bool{}
		for _, f := range s.Findings {
			got[f.Rule+" "+f.Volume+":"+f.Path+" "+f.Severity.String()] = true
		}
		for _, e := range c.man[name].Expected {
			k := e.Rule + " " + e.Volume + ":" + e.Path + " " + e.Severity.String()
			if !got[k] {
				t.Errorf("%s: missed %s (%s)", name, k, e.Why)
			}
		}
	}
	onD := 0
	for _, f := range ex03.Findings {
		if f.Volume == "D" {
			onD++
			if !strings.HasPrefix(f.WindowsPath, `D:\Exchange\V15`) {
				t.Errorf("finding on D: has Windows path %q", f.WindowsPath)
			}
		}
	}
	if onD == 0 || ex03.Server.ExchangeDir != "D:/Exchange/V15" || !strings.Contains(ex03.Server.ExchangeSource, "MsiInstallPath") {
		t.Errorf("EX03: %d findings on D:, Exchange at %q (%s)", onD, ex03.Server.ExchangeDir, ex03.Server.ExchangeSource)
	}
	if ex03.Server.Name != "EX03" || ex03.Server.FQDN != "EX03.contoso.local" || len(ex03.Server.Volumes) != 2 {
		t.Errorf("EX03 identity %+v", ex03.Server)
	}
	for _, f := range byName["EX02"].Findings {
		if f.Severity >= finding.Low && !f.Context {
			t.Errorf("clean server EX02 has %s %s", f.Rule, f.Path)
		}
	}
	// The partial copy says what it could not see.
	ex04 := byName["EX04"]
	if ex04 == nil || !strings.Contains(strings.Join(ex04.Verdict.Caveats, "\n"), "Only Exchange's folder was copied") {
		t.Errorf("EX04 caveats: %v", ex04)
	}
}

// TestVolumeFlag scans the server with Exchange on D: given as two roots
// the way a user mounts two disk images: --root for C: and --volume D.
func TestVolumeFlag(t *testing.T) {
	base := t.TempDir()
	opt := testserver.DemoOptions()
	opt.InstallDir, opt.ExchangeVolume, opt.VolumeDir = "Exchange/V15", "D", filepath.Join(base, "d")
	man := generate(t, filepath.Join(base, "c"), opt)

	without := runScan(t, filepath.Join(base, "c"), Config{})
	if without.Server.ExchangeDir != "" || !strings.Contains(strings.Join(without.Server.Notes, " "), "--volume D=") {
		t.Errorf("without --volume: Exchange %q, notes %v", without.Server.ExchangeDir, without.Server.Notes)
	}
	with := runScan(t, filepath.Join(base, "c"), Config{Volumes: map[byte]string{'D': filepath.Join(base, "d")}})
	got := map[string]bool{}
	for _, f := range with.Findings {
		got[f.Rule+" "+f.Volume+":"+f.Path] = true
	}
	for _, e := range man.Expected {
		if !got[e.Rule+" "+e.Volume+":"+e.Path] {
			t.Errorf("with --volume: missed %s %s:%s", e.Rule, e.Volume, e.Path)
		}
	}
	if with.Verdict.Level != result.VerdictCompromised {
		t.Errorf("with --volume: %s", with.Verdict.Level)
	}
}

// TestInterruptedScan: a scan cancelled before it starts reading says so
// and never reads as clean.
func TestInterruptedScan(t *testing.T) {
	dir := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Attacks = false
	generate(t, dir, opt)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := Run(ctx, Config{Roots: []string{dir}})
	if err == nil || rep == nil {
		t.Fatalf("Run: %v", err)
	}
	if len(rep.Servers) != 0 || len(rep.NotReached) != 1 || rep.ExitStatus() != result.ExitFailed {
		t.Errorf("servers %d, not reached %v, exit %d", len(rep.Servers), rep.NotReached, rep.ExitStatus())
	}

	// Interrupted while reading the logs: the verdict says so and names
	// what was not read, never "no ECP logs found" for logs never opened.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	rep, err = Run(ctx, Config{Roots: []string{dir}, Workers: 1, Progress: &cancelAfter{n: 3, cancel: cancel}})
	if err == nil || len(rep.Servers) != 1 {
		t.Fatalf("Run: %v", err)
	}
	s := rep.Servers[0]
	caveats := strings.Join(s.Verdict.Caveats, "\n")
	if s.ExitStatus() != result.ExitFailed || !s.Verdict.Interrupted || !strings.HasPrefix(s.Verdict.Headline, "INTERRUPTED, INCOMPLETE") ||
		!strings.Contains(caveats, "log files") || strings.Contains(caveats, "were found)") {
		t.Errorf("exit %d, headline %q, caveats:\n%s", s.ExitStatus(), s.Verdict.Headline, caveats)
	}
}

// cancelAfter cancels the scan after n files.
type cancelAfter struct {
	mu     sync.Mutex
	n      int
	cancel func()
}

func (c *cancelAfter) Start(string, int, int64) {}
func (c *cancelAfter) Done()                    {}
func (c *cancelAfter) Add(files int, _ int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n -= files; c.n <= 0 {
		c.cancel()
	}
}

// TestCaseVariantFolders: a copy merged on a case-sensitive disk holds
// "Program Files" and "program files"; the web shell in the spelling that
// is not walked must not leave the verdict at "no evidence found".
func TestCaseVariantFolders(t *testing.T) {
	dir := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Attacks = false
	generate(t, dir, opt)
	shell := filepath.Join(dir, "program files", "Microsoft", "Exchange Server", "V15", "FrontEnd", "HttpProxy", "owa", "auth", "shell.aspx")
	if err := os.MkdirAll(filepath.Dir(shell), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(shell, []byte("<%@ Page %>"), 0o644)
	res := runScan(t, dir, Config{})
	named := false
	for _, e := range res.Errors {
		named = named || (e.Path == "program files" && strings.Contains(e.Error, "differs only in case"))
	}
	if res.Verdict.Level == result.VerdictClean || res.ExitStatus() == result.ExitClean || !named {
		t.Errorf("verdict %s, exit %d, errors %+v", res.Verdict.Level, res.ExitStatus(), res.Errors)
	}
}
