package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/testserver"
)

// TestEndToEndIOCFeeds: a STIX 2.1 feed reaches the scan's hash check; a
// feed with lines that do not load warns of each, escaped, with its file
// and line, and the scan goes on.
func TestEndToEndIOCFeeds(t *testing.T) {
	dir := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Attacks = false
	if _, err := testserver.Generate(dir, opt); err != nil {
		t.Fatal(err)
	}
	tool := []byte("a tool dropped in ProgramData")
	os.MkdirAll(filepath.Join(dir, "ProgramData", "x"), 0o755)
	os.WriteFile(filepath.Join(dir, "ProgramData", "x", "t.exe"), tool, 0o644)
	sum := sha256.Sum256(tool)
	feeds := t.TempDir()
	stix := filepath.Join(feeds, "case.json")
	os.WriteFile(stix, []byte(`{"type":"bundle","id":"bundle--1","objects":[
  {"type":"indicator","spec_version":"2.1","id":"indicator--0b7c","name":"Dropped tool","valid_from":"2021-03-05T00:00:00Z",
   "pattern":"[file:hashes.'SHA-256' = '`+hex.EncodeToString(sum[:])+`']","pattern_type":"stix"},
  {"type":"indicator","spec_version":"2.1","id":"indicator--1c8d","name":"Not loaded","valid_from":"2021-03-05T00:00:00Z",
   "pattern":"[file:name MATCHES '^x']","pattern_type":"stix"}]}`), 0o644)
	stdout, stderr, code := exhunt(t, "scan", "--root", dir, "--quiet", "--format", "jsonl", "--ioc", stix)
	if code != 1 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	for _, want := range []string{`"rule":"ioc-known-bad-hash"`, "Dropped tool", "indicator--0b7c", "2021-03-05T00:00:00Z"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %s:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "case.json:4: indicator--1c8d: file:name MATCHES '^x' not loaded") {
		t.Errorf("stderr: %q", stderr)
	}

	// Lines that do not load are warnings; a control character in one is
	// shown escaped, not sent to the terminal.
	partial := filepath.Join(feeds, "partial.txt")
	os.WriteFile(partial, []byte("203.160.69.66\nnot \x1b[31mred\x1b[0m an indicator\nkrebsonsecurity.top\n"), 0o644)
	_, stderr, code = exhunt(t, "scan", "--root", dir, "--quiet", "--ioc", partial, "--ioc", stix)
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(stderr, "partial.txt:2: not ") || strings.Contains(stderr, "\x1b") {
		t.Errorf("stderr: %q", stderr)
	}
	if !strings.Contains(stderr, "note: "+partial+": 1 domain loaded, but this version's checks do not look them up") {
		t.Errorf("no note of the kinds the scan does not use: %q", stderr)
	}
}

func TestEndToEndIndicators(t *testing.T) {
	out, stderr, code := exhunt(t, "indicators")
	if code != 0 || !strings.Contains(out, "Built-in: 290 indicators") || stderr != "" {
		t.Errorf("built-in: exit %d\n%s%s", code, out, stderr)
	}
	feed := filepath.Join("..", "..", "indicators", "testdata", "feeds", "cisa-style-bundle.stix21.json")
	out, _, code = exhunt(t, "indicators", "--ioc", feed, "--format", "json")
	if code != 1 {
		t.Errorf("feed with parts not loaded: exit %d, want 1", code)
	}
	var ans indicatorsAnswer
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(ans.Feeds) != 1 || ans.Feeds[0].Indicators != 13 || ans.Feeds[0].Kinds["cidr"] != 1 || len(ans.Feeds[0].Problems) != 6 {
		t.Errorf("feed: %+v", ans.Feeds)
	}
	if ans.Builtin.Indicators != 290 || ans.Total.Indicators <= 290 || len(ans.ScanUses) != 10 {
		t.Errorf("builtin %d, total %d, scan uses %v", ans.Builtin.Indicators, ans.Total.Indicators, ans.ScanUses)
	}
	out, _, _ = exhunt(t, "indicators", "--ioc", feed, "--list")
	for _, want := range []string{"not loaded:", "MATCHES", "cidr            198.51.100.0/24  (Exploitation source addresses; 2021-03-03T00:00:00Z; indicator--4d3e9da1"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	empty := filepath.Join(t.TempDir(), "empty.txt")
	os.WriteFile(empty, []byte("# nothing\n"), 0o644)
	out, _, code = exhunt(t, "indicators", "--ioc", empty, "--ioc", filepath.Join(t.TempDir(), "missing.txt"))
	if code != 2 || !strings.Contains(out, "NOT LOADED: "+empty+": no indicator loaded") || !strings.Contains(out, "missing.txt: ") {
		t.Errorf("exit %d\n%s", code, out)
	}
	if _, stderr, code := exhunt(t, "indicators", "--format", "xml"); code != 2 || !strings.Contains(stderr, "--format") {
		t.Errorf("bad format: exit %d %q", code, stderr)
	}
}
