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

func TestEndToEndCollect(t *testing.T) {
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ex01-triage.zip")
	stdout, stderr, code := exhunt(t, "collect", "--root", dir, "--out", out)
	if code != 0 {
		t.Fatalf("collect: exit %d\n%s%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	if !strings.Contains(stdout, "SHA-256 "+hexSum) || !strings.Contains(stdout, "COMPROMISED") || !strings.Contains(stdout, "(complete)") {
		t.Errorf("the summary lacks the archive's hash, the scan's verdict or completeness:\n%s", stdout)
	}
	if side, err := os.ReadFile(out + ".sha256"); err != nil || string(side) != hexSum+"  ex01-triage.zip\n" {
		t.Errorf("sidecar: %q %v", side, err)
	}

	// The archive scans as the source does, exit status included.
	srcOut, _, srcCode := exhunt(t, "scan", "--root", dir, "--format", "json")
	arcOut, arcErr, arcCode := exhunt(t, "scan", "--root", out, "--format", "json")
	if srcCode != 1 || arcCode != srcCode {
		t.Fatalf("exit status: source %d, archive %d\n%s", srcCode, arcCode, arcErr)
	}
	type rep struct {
		Verdict    struct{ Level string }
		Collection *struct{ Complete bool }
		Findings   []struct {
			Rule, Severity string
			WindowsPath    string `json:"windows_path"`
			Line           int
		}
	}
	var a, b rep
	if err := json.Unmarshal([]byte(srcOut), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(arcOut), &b); err != nil {
		t.Fatal(err)
	}
	if len(a.Findings) == 0 || len(a.Findings) != len(b.Findings) || a.Verdict.Level != b.Verdict.Level {
		t.Errorf("source: %d findings, %s; archive: %d findings, %s", len(a.Findings), a.Verdict.Level, len(b.Findings), b.Verdict.Level)
	}
	if b.Collection == nil || !b.Collection.Complete {
		t.Errorf("the archive's JSON report does not show its collection: %+v", b.Collection)
	}
	text, _, _ := exhunt(t, "scan", "--root", out)
	if !strings.Contains(text, "Collected: triage collection of EX01") {
		t.Errorf("the text report does not say the root is a collection:\n%.600s", text)
	}

	// Operator errors.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"collect", "--root", dir, "--out", out}, "already exists"},
		{[]string{"collect", "--root", dir}, "--out FILE.zip is required"},
		{[]string{"collect", "--root", dir, "--out", filepath.Join(dir, "inside.zip")}, "inside"},
		{[]string{"collect", "--root", dir, "--since", "yesterday", "--out", out + "2"}, "--since"},
		{[]string{"collect", "--root", dir, "--root", dir, "--out", out + "3"}, "one server per archive"},
		{[]string{"collect", "--root", dir, "--max-total-size", "lots", "--out", out + "4"}, "--max-total-size"},
		{[]string{"collect", "--root", dir, "--volume", "D=" + filepath.Join(dir, "inetpub"), "--out", out + "5"}, "lies inside " + dir + ": give each drive once"},
		{[]string{"collect", "--root", out, "--out", out + "6"}, "not a folder"},
		{[]string{"collect", "--root", filepath.Join(dir, "missing"), "--out", out + "7"}, "no such file"},
	} {
		_, e, code := exhunt(t, tc.args...)
		if code != 2 || !strings.Contains(e, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, e, tc.want)
		}
	}
	// A sidecar name that is a link into the evidence: refused before
	// anything is written.
	webConfig := filepath.Join(dir, "inetpub", "wwwroot", "web.config")
	before, _ := os.ReadFile(webConfig)
	trap := filepath.Join(t.TempDir(), "trap.zip")
	if err := os.Symlink(webConfig, trap+".sha256"); err != nil {
		t.Fatal(err)
	}
	if _, e, code := exhunt(t, "collect", "--root", dir, "--out", trap); code != 2 || !strings.Contains(e, "already exists") {
		t.Errorf("a sidecar name linked into the evidence: exit %d, %s", code, e)
	}
	if after, _ := os.ReadFile(webConfig); string(after) != string(before) {
		t.Error("the evidence was written through the sidecar's link")
	}
	if _, err := os.Stat(trap); err == nil {
		t.Error("an archive was made though its sidecar was refused")
	}
	// Nothing of a server: exit 3, as scan says.
	empty := t.TempDir()
	if o, e, code := exhunt(t, "collect", "--root", empty, "--out", filepath.Join(t.TempDir(), "empty.zip")); code != 3 ||
		!strings.HasPrefix(o, "NOTHING OF AN EXCHANGE SERVER FOUND") || !strings.Contains(o, "Point --root at") || strings.Contains(o, "Scan it with") {
		t.Errorf("collecting an empty folder: exit %d, want 3, said up front, with what to do\n%s%s", code, o, e)
	}
	// A server whose web folder holds a link the collection cannot take
	// is a server all the same: the collection is complete with a file
	// that could not be read (1), not "nothing found" (3).
	clean := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Attacks = false
	if _, err := testserver.Generate(clean, opt); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/hostname", filepath.Join(clean, "inetpub", "wwwroot", "aspnet_client", "x.aspx")); err != nil {
		t.Fatal(err)
	}
	o, e, code := exhunt(t, "collect", "--root", clean, "--out", filepath.Join(t.TempDir(), "link.zip"))
	if code != 1 || !strings.HasPrefix(o, "Collected EX01") || !strings.Contains(o, "INCONCLUSIVE") || !strings.Contains(o, "1 could not be read") {
		t.Errorf("collecting a clean server with a link in aspnet_client: exit %d, want 1\n%s%s", code, o, e)
	}
	if _, err := os.Stat(filepath.Join(dir, "inside.zip")); err == nil {
		t.Error("an archive was written inside the collected folder")
	}
	if after, _ := os.ReadFile(out); string(after) != string(data) {
		t.Error("the existing archive was changed")
	}
}

// A file that only looks like a zip is refused as a root, naming why.
func TestEndToEndScanBrokenArchive(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cut.zip")
	if err := os.WriteFile(p, []byte("PK\x03\x04 a collection killed after its first bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, e, code := exhunt(t, "scan", "--root", p)
	if code != 2 || !strings.Contains(e, "incomplete") {
		t.Errorf("exit %d: %s", code, e)
	}
	notZip := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notZip, []byte("hello"), 0o644)
	if _, e, code := exhunt(t, "scan", "--root", notZip); code != 2 || !strings.Contains(e, "neither a folder nor a zip") {
		t.Errorf("a plain file as root: exit %d: %s", code, e)
	}
}

func TestEndToEndCollectScript(t *testing.T) {
	stdout, stderr, code := exhunt(t, "collect", "--script")
	if code != 0 || !strings.Contains(stdout, "-OutDir") || !strings.Contains(stdout, "\r\n") || !strings.Contains(stdout, "manifest.csv") {
		t.Fatalf("exit %d, %d bytes of script; %s", code, len(stdout), stderr)
	}
	if _, e, code := exhunt(t, "collect", "--script", "--root", "/tmp"); code != 2 || !strings.Contains(e, "no other option") {
		t.Errorf("--script with --root: exit %d: %s", code, e)
	}
}
