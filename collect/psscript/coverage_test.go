package psscript

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/registry"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/sysreg"
	"github.com/exhunt/exhunt/testserver"
)

// gatherFacts learns the facts of a generated server as the scan does.
func gatherFacts(t *testing.T, drives map[byte]string) *facts.Server {
	t.Helper()
	sys, err := root.OpenDir(drives['C'])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close() })
	d := root.NewDrives(sys)
	for l, dir := range drives {
		if l == 'C' || l == 'E' {
			continue
		}
		v, err := root.OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Close() })
		if err := d.Mount(l, v); err != nil {
			t.Fatal(err)
		}
	}
	srv := facts.Gather(d, facts.Options{RootDir: drives['C']})
	t.Cleanup(func() { srv.Close() })
	return srv
}

// inCollection is where a file the scan names ("Windows/Temp/x", or
// "D:/Exchange/...") lies in the collection.
func inCollection(runHost, name string) string {
	if l, rest, ok := root.SplitVolume(name); ok {
		return filepath.Join(runHost, string(l), filepath.FromSlash(rest))
	}
	return filepath.Join(runHost, "C", filepath.FromSlash(name))
}

// depthBelow is the scan's depth of a file below a place: 1 for its own
// files.
func depthBelow(p, dir string) int {
	if dir == "." {
		return strings.Count(p, "/") + 1
	}
	return strings.Count(p[len(dir)+1:], "/") + 1
}

// scanReads lists every file the scan reads on a server, by the scan's own
// code: the facts' inputs, the files every log source plans, and the files
// in the places of every file check (at the depths they look).
func scanReads(t *testing.T, srv *facts.Server) map[string]string {
	t.Helper()
	reads := map[string]string{} // name -> who reads it
	add := func(name, who string) {
		if _, ok := reads[name]; !ok {
			reads[name] = who
		}
	}
	fsys := srv.FS()
	for _, h := range []sysreg.Hive{sysreg.System, sysreg.Software} {
		if p, err := srv.Resolver.Resolve(sysreg.HivePath(h)); err == nil {
			add(p, "facts: registry hive")
		}
	}
	if p, err := srv.Resolver.Resolve(facts.IISConfigFile); err == nil {
		add(p, "facts: IIS configuration")
	}
	if dir, ok := srv.Resolver.ResolveDir(facts.IISHistoryDir); ok {
		matches, _ := fs.Glob(fsys, dir+"/*/applicationHost.config")
		for _, m := range matches {
			add(m, "facts: earlier IIS configuration")
		}
	}
	if srv.ExchangeDir != "" {
		if p, err := srv.Resolver.Resolve(path.Join(srv.ExchangeDir, "Bin/ExSetup.exe")); err == nil {
			add(p, "facts: Exchange build")
		}
	}
	for _, src := range registry.Sources() {
		plan := src.Plan(context.Background(), srv, func(p, msg string) { t.Logf("%s: %s", p, msg) })
		for _, in := range plan.Inputs {
			add(in.Path, "log source "+src.Name())
		}
	}
	dctx := &detect.Context{Server: srv}
	for _, d := range registry.FileDetectors() {
		for _, pl := range d.Places(dctx) {
			err := fs.WalkDir(fsys, pl.Dir, func(p string, e fs.DirEntry, err error) error {
				if err != nil || e.Type()&fs.ModeSymlink != 0 {
					return nil
				}
				if e.IsDir() {
					if p != pl.Dir && pl.MaxDepth > 0 && depthBelow(p, pl.Dir) >= pl.MaxDepth {
						return fs.SkipDir
					}
					return nil
				}
				if pl.MaxDepth != 0 && depthBelow(p, pl.Dir) > pl.MaxDepth {
					return nil
				}
				// The staged-archive check is handed every file of
				// ProgramData but reads none but archives.
				if d.Name() == "postexploit-programdata-archive" && !nameWanted(path.Base(p), Place{Include: stagedArchives}) {
					return nil
				}
				add(p, "file check "+d.Name())
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return reads
}

// Everything the scan reads on the server is in the collection, with the
// same bytes: the facts' inputs, the log sources' files, the file checks'
// places. This holds whatever files the generator plants, so a place the
// scan gains and the script lacks fails here.
func TestCollectionHoldsEverythingTheScanReads(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  func(*testserver.Options)
	}{
		{"default install", func(*testserver.Options) {}},
		{"Exchange and IIS logs on D:", func(o *testserver.Options) {
			o.InstallDir, o.ExchangeVolume, o.IISLogDir = "Exchange/V15", "D", "D:/IISLogs"
		}},
		{"IIS logs moved, earlier configuration in inetpub\\history", func(o *testserver.Options) {
			o.IISLogDir, o.IISPreviousLogDir = "C:/Logs/IIS", ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			opt := testserver.DemoOptions()
			tc.opt(&opt)
			_, drives := attacked(t, base, opt)
			plantEverywhere(t, drives['C'])
			run, err := simulate(newSimServer(drives, "EX01"), simOptions{outDir: `E:\evidence`})
			if err != nil {
				t.Fatal(err)
			}
			srv := gatherFacts(t, drives)
			reads := scanReads(t, srv)
			if len(reads) < 500 {
				t.Fatalf("the scan reads %d files: the test no longer sees the scan's inputs", len(reads))
			}
			var names []string
			for n := range reads {
				names = append(names, n)
			}
			sort.Strings(names)
			byWho := map[string]int{}
			for _, name := range names {
				byWho[reads[name]]++
				got, err := os.ReadFile(inCollection(run.runHost, name))
				if err != nil {
					t.Errorf("%s (read by %s) is not in the collection", name, reads[name])
					continue
				}
				want, err := fs.ReadFile(srv.FS(), name)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs in the collection", name)
				}
			}
			t.Logf("%d files the scan reads, by reader: %v", len(reads), byWho)
		})
	}
	t.Run("all Exchange logs", func(t *testing.T) {
		base := t.TempDir()
		_, drives := attacked(t, base, testserver.DemoOptions())
		other := filepath.Join(drives['C'], filepath.FromSlash(testserver.DefaultInstallDir), "Logging", "RPC Client Access", "RCA_20210303-1.LOG")
		if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(other, []byte("#Software: Microsoft Exchange Server\r\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, all := range []bool{false, true} {
			run, err := simulate(newSimServer(drives, "EX01"), simOptions{outDir: `E:\evidence` + strconv.FormatBool(all), allExchangeLogs: all})
			if err != nil {
				t.Fatal(err)
			}
			_, err = os.Stat(filepath.Join(run.runHost, "C", filepath.FromSlash(testserver.DefaultInstallDir), "Logging", "RPC Client Access", "RCA_20210303-1.LOG"))
			if all != (err == nil) {
				t.Errorf("-AllExchangeLogs %v: the RPC Client Access log collected: %v", all, err == nil)
			}
		}
	})
}

// goLiteral finds a package-level variable's composite literal in a Go
// file of the scan.
func goLiteral(t *testing.T, file, name string) *ast.CompositeLit {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatalf("%v (this test reads the scan's own table there; if it moved, follow it)", err)
	}
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range g.Specs {
			vs, ok := spec.(*ast.ValueSpec)
			if !ok {
				continue
			}
			for i, n := range vs.Names {
				if n.Name == name && i < len(vs.Values) {
					if cl, ok := vs.Values[i].(*ast.CompositeLit); ok {
						return cl
					}
				}
			}
		}
	}
	t.Fatalf("no table %s in %s (this test reads the scan's own table there; if it moved, follow it)", name, file)
	return nil
}

func stringLit(t *testing.T, e ast.Expr) string {
	t.Helper()
	bl, ok := e.(*ast.BasicLit)
	if !ok {
		t.Fatalf("%T is not a literal", e)
	}
	if bl.Kind == token.INT {
		return bl.Value
	}
	s, err := strconv.Unquote(bl.Value)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The script's tables that copy unexported tables of the scan are read
// against them at the source: the drop places of facts, the Exchange log
// folders of source/exchange, the archive names of detect/postexploit.
func TestPlacesFollowTheScansTables(t *testing.T) {
	has := func(base Base, p string, depth int, include []string) bool {
		for _, pl := range Places {
			if pl.Base == base && pl.Path == p && pl.Depth == depth && strings.Join(pl.Include, ",") == strings.Join(include, ",") && pl.Switch == "" {
				return true
			}
		}
		return false
	}
	drops := 0
	for _, e := range goLiteral(t, "../../facts/gather.go", "dropPlaces").Elts {
		fields := map[string]string{}
		for _, kv := range e.(*ast.CompositeLit).Elts {
			kv := kv.(*ast.KeyValueExpr)
			fields[kv.Key.(*ast.Ident).Name] = stringLit(t, kv.Value)
		}
		depth, _ := strconv.Atoi(fields["MaxDepth"])
		if !has(SystemDrive, winPath(fields["Dir"]), depth, nil) {
			t.Errorf("facts' drop place %s (depth %d) is not a place of the script", fields["Dir"], depth)
		}
		drops++
	}
	if drops < 5 {
		t.Fatalf("%d drop places read from facts", drops)
	}
	var logDirs []string
	for _, e := range goLiteral(t, "../../source/exchange/exchange.go", "layouts").Elts {
		for _, kv := range e.(*ast.CompositeLit).Elts {
			if kv := kv.(*ast.KeyValueExpr); kv.Key.(*ast.Ident).Name == "dir" {
				logDirs = append(logDirs, stringLit(t, kv.Value))
			}
		}
	}
	if strings.Join(logDirs, ",") != strings.Join(exchangeLogFolders, ",") {
		t.Errorf("the scan reads the Exchange log folders %q, the script takes %q", logDirs, exchangeLogFolders)
	}
	for _, d := range exchangeLogFolders {
		if !has(Exchange, `Logging\`+winPath(d), 0, []string{"*.log"}) {
			t.Errorf("no place for Logging\\%s", d)
		}
	}
	var exts []string
	for _, e := range goLiteral(t, "../../detect/postexploit/archives.go", "archiveExtensions").Elts {
		exts = append(exts, "*"+stringLit(t, e.(*ast.KeyValueExpr).Key))
	}
	sort.Strings(exts)
	got := append([]string(nil), stagedArchives...)
	sort.Strings(got)
	if strings.Join(exts, ",") != strings.Join(got, ",") {
		t.Errorf("the staged-archive check looks for %q, the script takes %q", exts, got)
	}
}
