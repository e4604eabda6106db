package root

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseIISConfigReal(t *testing.T) {
	for _, name := range []string{"E16_applicationHost.config", "E19_applicationHost.config"} {
		f, err := os.Open(filepath.Join("../../shared/data/config", name))
		if err != nil {
			t.Skip("real sample data not present")
		}
		cfg, err := ParseIISConfig(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		site, ok := cfg.DefaultWebSite()
		if !ok || site.ID != "1" || site.PhysicalPath != `%SystemDrive%\inetpub\wwwroot` {
			t.Errorf("%s: default web site = %+v", name, site)
		}
		if len(cfg.Sites) != 2 {
			t.Errorf("%s: %d sites, want Default Web Site and Exchange Back End", name, len(cfg.Sites))
		}
		if dirs := cfg.LogDirectories(); len(dirs) != 1 || dirs[0] != `%SystemDrive%\inetpub\logs\LogFiles` || cfg.CentralLogMode != "" {
			t.Errorf("%s: log directories %q, central mode %q", name, dirs, cfg.CentralLogMode)
		}
		if got := ExpandSystemDrive(site.PhysicalPath); got != `C:\inetpub\wwwroot` {
			t.Errorf("expanded to %q", got)
		}
	}
}

func TestIISLogDirectories(t *testing.T) {
	const config = `<configuration><system.applicationHost>
		<log centralLogFileMode="CentralW3C"><centralW3CLogFile enabled="true" directory="E:\central" /></log>
		<sites>
			<site name="Default Web Site" id="1"><logFile directory="D:\IISLogs" /></site>
			<site name="Exchange Back End" id="2" />
			<site name="Other" id="3"><logFile directory="D:\IISLogs" /></site>
			<siteDefaults><logFile logFormat="W3C" directory="%SystemDrive%\inetpub\logs\LogFiles" /></siteDefaults>
		</sites></system.applicationHost></configuration>`
	cfg, err := ParseIISConfig(strings.NewReader(config))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`%SystemDrive%\inetpub\logs\LogFiles`, `D:\IISLogs`, `E:\central`}
	if got := cfg.LogDirectories(); !reflect.DeepEqual(got, want) {
		t.Errorf("LogDirectories() = %q, want %q", got, want)
	}
	cfg.CentralLogMode = "Site"
	if got := cfg.LogDirectories(); len(got) != 2 {
		t.Errorf("the central folder is named though the central log is off: %q", got)
	}
}

func TestResolverCaseAndSlashes(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "PROGRAM FILES", "Microsoft", "exchange server", "V15"), 0o755)
	fsys, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	r := NewResolver(fsys)
	for _, in := range []string{`C:\Program Files\Microsoft\Exchange Server\V15`, "program files/MICROSOFT/Exchange Server/v15/", `\Program Files\.\Microsoft\Exchange Server\V15`} {
		got, err := r.Resolve(in)
		if err != nil || got != "PROGRAM FILES/Microsoft/exchange server/V15" {
			t.Errorf("Resolve(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := r.Resolve("Program Files/Nope"); err == nil {
		t.Error("missing path resolved")
	}
	if _, err := r.Resolve("../etc"); err == nil || !strings.Contains(err.Error(), "resolve") {
		t.Errorf("path above the root: %v", err)
	}
}

// TestRootConfinesSymlinks checks that a link inside the root cannot lead a
// read outside it.
func TestRootConfinesSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(outside, []byte("secret"), 0o644)
	os.Symlink(outside, filepath.Join(dir, "link.txt"))
	fsys, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if f, err := fsys.Open("link.txt"); err == nil {
		f.Close()
		t.Error("a symlink leaving the root was followed")
	}
}

func FuzzParseIISConfig(f *testing.F) {
	f.Add([]byte(`<configuration><system.applicationHost><sites><site name="Default Web Site" id="1"><application path="/"><virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" /></application></site></sites></system.applicationHost></configuration>`))
	f.Add([]byte(`<configuration><system.applicationHost><sites><site><application path="/"><virtualDirectory path="/"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseIISConfig(strings.NewReader(string(data)))
		if err == nil {
			cfg.DefaultWebSite()
		}
	})
}
