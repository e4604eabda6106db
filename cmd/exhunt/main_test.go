package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/testserver"
)

// binary is the exhunt command built once for the end-to-end tests, which
// run it as a user would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "exhunt-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "exhunt")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func exhunt(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

func TestEndToEndScan(t *testing.T) {
	dir := t.TempDir()
	man, err := testserver.Generate(dir, testserver.DemoOptions())
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, code := exhunt(t, "scan", "--root", dir, "--format", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings of medium or above); stderr: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr should be empty when it is not a terminal, got %q", stderr)
	}
	var doc struct {
		Tool     struct{ Name, Version string }
		Findings []struct {
			Rule, Severity, Path string
			Line                 int
		}
		Errors []any
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Tool.Name != "exhunt" || doc.Tool.Version == "" {
		t.Errorf("tool = %+v", doc.Tool)
	}
	got := map[string]bool{}
	for _, f := range doc.Findings {
		got[f.Rule+" "+f.Path+" "+f.Severity] = true
	}
	for _, e := range man.Expected {
		if !got[e.Rule+" "+e.Path+" "+e.Severity.String()] {
			t.Errorf("missing %s %s %s", e.Rule, e.Path, e.Severity)
		}
	}

	// Every format runs and reports to --out outside the root.
	for _, format := range []string{"text", "jsonl", "csv"} {
		outFile := filepath.Join(t.TempDir(), "report."+format)
		if _, stderr, code := exhunt(t, "scan", "--root", dir, "--format", format, "--out", outFile); code != 1 {
			t.Errorf("%s: exit %d: %s", format, code, stderr)
		}
		data, _ := os.ReadFile(outFile)
		if len(data) == 0 {
			t.Errorf("%s: empty report", format)
		}
	}
	text, _, _ := exhunt(t, "scan", "--root", dir)
	if !strings.Contains(text, "\nVERDICT: COMPROMISED") || strings.Index(text, "VERDICT") > 1000 || strings.Contains(text, "\x1b[") {
		t.Errorf("text report should start with the verdict and have no colour when piped:\n%s", text[:min(len(text), 600)])
	}
}

func TestEndToEndExitCodes(t *testing.T) {
	clean := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Attacks = false
	if _, err := testserver.Generate(clean, opt); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := exhunt(t, "scan", "--root", clean); code != 0 {
		t.Errorf("clean server: exit %d, want 0: %s", code, stderr)
	}
	for _, args := range [][]string{
		{"scan", "--root", filepath.Join(clean, "missing")},
		{"scan", "--root", clean, "--format", "pdf"},
		{"scan", "--root", clean, "--out", filepath.Join(clean, "report.json")},
		{"scan", "--root", clean, "--window", "yesterday"},
		{"scan", "--root", clean, "--exchange-dir", "D:/nowhere/V15"},
		{"scan", "extra-argument"},
		{"frobnicate"},
		{},
	} {
		if _, stderr, code := exhunt(t, args...); code != 2 || stderr == "" {
			t.Errorf("exhunt %q: exit %d (want 2) stderr %q", args, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(clean, "report.json")); err == nil {
		t.Error("a report was written inside the root")
	}
}

func TestEndToEndDemoVersionHelp(t *testing.T) {
	out, stderr, code := exhunt(t, "demo")
	if code != 0 || !strings.Contains(out, "VERDICT: COMPROMISED") || !strings.Contains(out, "proxylogon-reset-vdir") {
		t.Errorf("demo: exit %d, stderr %q, output:\n%s", code, stderr, out)
	}
	if out, _, code := exhunt(t, "--version"); code != 0 || !strings.HasPrefix(out, "exhunt ") {
		t.Errorf("--version: %d %q", code, out)
	}
	if out, _, code := exhunt(t, "--help"); code != 0 || !strings.Contains(out, "exhunt scan") {
		t.Errorf("--help: %d %q", code, out)
	}
	for _, args := range [][]string{{"scan", "--help"}, {"help", "scan"}, {"scan", "-h"}} {
		if out, stderr, code := exhunt(t, args...); code != 0 || !strings.Contains(out, "-exchange-dir") || !strings.Contains(out, "-volume") || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, stderr)
		}
	}
}

func TestEndToEndOutDanglingLinkIntoRoot(t *testing.T) {
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	listing := func() []string {
		var l []string
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := d.Info()
			if !d.IsDir() {
				p += " " + fi.ModTime().String() + " " + fi.Mode().String()
			}
			l = append(l, p)
			return nil
		})
		return l
	}
	before := listing()
	target := filepath.Join(dir, "report.json")
	link := filepath.Join(t.TempDir(), "report.json")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlink: %v", err)
	}
	_, stderr, code := exhunt(t, "scan", "--root", dir, "--format", "json", "--out", link)
	if code != 2 || !strings.Contains(stderr, "--out "+link+": ") || !strings.Contains(stderr, "symbolic link") {
		t.Errorf("exit %d (want 2), stderr %q", code, stderr)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Error("the report was written inside the root through the link")
	}
	if after := listing(); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("the root changed:\nbefore:\n%s\nafter:\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
	}
}
