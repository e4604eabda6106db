package scan

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/source/exlog"
)

// TestBadInput fills the log folders with broken and hostile files next to
// one good attack row, and checks that the scan finishes, lists each
// problem with its path, and still finds the attack.
func TestBadInput(t *testing.T) {
	root := t.TempDir()
	ecpDir := filepath.Join(root, filepath.FromSlash(logging+"HttpProxy/Ecp"))
	if err := os.MkdirAll(ecpDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(ecpDir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	header := "#Fields: " + strings.Join(exlog.HttpProxyFields, ",") + "\r\n"
	attack := "2021-03-03T06:49:43.699Z,r1,15,1,2176,2,,Ecp,mail,/ecp/y.js,,,false,,,ServerInfo~a]@ex01:444/mapi/emsmdb/?#,python-requests/2.25.1,203.0.113.45,EX01,200\r\n"

	rng := rand.New(rand.NewSource(7))
	binary := make([]byte, 1<<20)
	rng.Read(binary)
	copy(binary[1000:], "ServerInfo~")

	write("HttpProxy_2021030306-1.LOG", []byte(header+attack))
	write("HttpProxy_2021030306-2.LOG", []byte(header+attack[:len(attack)/2])) // truncated mid-row
	write("HttpProxy_2021030306-3.LOG", binary)                                // not a log at all
	write("HttpProxy_2021030306-4.LOG", make([]byte, 256<<10))                 // zero-filled after a crash
	write("HttpProxy_2021030306-5.LOG", []byte(header+"2021-03-03T06:49:44Z,"+strings.Repeat("ServerInfo~x/", 200000)+"\r\n"+attack))
	write("HttpProxy_2021030306-6.LOG", []byte("#Fields: a,b,c\r\n1,2,3\r\n"+attack)) // wrong header
	write("HttpProxy_2021030306-7.LOG", []byte(attack))                               // no header at all
	write("HttpProxy_2021030306-8.LOG", []byte("\xff\xfe#\x00F\x00"))                 // UTF-16
	write("HttpProxy_2021030306-9.LOG", nil)                                          // empty
	write("HttpProxy_2021030306-10.LOG", []byte(header+"\"unterminated,"+strings.Repeat("x", 3000)+"\r\n"+attack))
	if err := os.Symlink("..", filepath.Join(ecpDir, "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(ecpDir, "escape.LOG")); err != nil {
		t.Fatal(err)
	}
	unreadable := filepath.Join(ecpDir, "HttpProxy_2021030306-11.LOG")
	write(filepath.Base(unreadable), []byte(header+attack))
	os.Chmod(unreadable, 0)

	res := runScan(t, root, Config{})

	errs := map[string][]string{}
	for _, e := range res.Errors {
		errs[filepath.Base(e.Path)] = append(errs[filepath.Base(e.Path)], e.Error)
	}
	for name, want := range map[string]string{
		"HttpProxy_2021030306-5.LOG": "longer than",
		"HttpProxy_2021030306-6.LOG": "AnchorMailbox",
		"HttpProxy_2021030306-8.LOG": "UTF-16",
		"escape.LOG":                 "symbolic link",
		"loop":                       "symbolic link",
	} {
		if !strings.Contains(strings.Join(errs[name], "; "), want) {
			t.Errorf("%s: errors %q, want one mentioning %q", name, errs[name], want)
		}
	}
	if !strings.Contains(strings.Join(errs["HttpProxy_2021030306-5.LOG"], ";"), "indicator") {
		t.Errorf("the long line holding an indicator should say so: %q", errs["HttpProxy_2021030306-5.LOG"])
	}
	if os.Geteuid() != 0 && len(errs[filepath.Base(unreadable)]) == 0 {
		t.Errorf("unreadable file not listed among errors")
	}

	// The good row is found in every file that still holds it whole.
	found := map[string]bool{}
	for _, f := range res.Findings {
		if f.Rule == "proxylogon-ssrf-backend" {
			found[filepath.Base(f.Path)] = true
		}
	}
	for _, name := range []string{"HttpProxy_2021030306-1.LOG", "HttpProxy_2021030306-5.LOG", "HttpProxy_2021030306-7.LOG", "HttpProxy_2021030306-10.LOG"} {
		if !found[name] {
			t.Errorf("attack row in %s not found (findings in %v)", name, found)
		}
	}
	// Under a wrong field list the row cannot be judged: it is listed with
	// its line for a person, not guessed at.
	if e := errs["HttpProxy_2021030306-6.LOG"]; len(e) != 1 || !strings.Contains(e[0], "AnchorMailbox") {
		t.Errorf("wrong header: errors %q, want one naming the missing column", e)
	}
	if bytes.Contains(binary, []byte("ServerInfo~")) && found["HttpProxy_2021030306-3.LOG"] {
		t.Errorf("random bytes produced a finding")
	}
}
