//go:build unix

package scan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/testserver"
)

// scanWithin fails the test when a scan does not finish in time (a named
// pipe opened for reading blocks until a writer comes).
func scanWithin(t *testing.T, dir string, release func()) *result.Server {
	t.Helper()
	done := make(chan *result.Server, 1)
	go func() {
		rep, err := Run(context.Background(), Config{Roots: []string{dir}})
		if err != nil || len(rep.Servers) != 1 {
			t.Errorf("Run: %v", err)
			done <- nil
			return
		}
		done <- rep.Servers[0]
	}()
	select {
	case s := <-done:
		if s == nil {
			t.FailNow()
		}
		return s
	case <-time.After(60 * time.Second):
		release()
		t.Fatal("the scan blocked")
	}
	return nil
}

// TestHostileRootFIFOs: named pipes where discovery and the checks open
// files (the SOFTWARE hive, applicationHost.config, a log file, a file in
// aspnet_client, IIS logs) neither hang the scan nor go unreported.
func TestHostileRootFIFOs(t *testing.T) {
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	pipes := []string{
		"Windows/System32/config/SOFTWARE",
		"Windows/System32/inetsrv/config/applicationHost.config",
		testserver.DefaultInstallDir + "/Logging/HttpProxy/Owa/HttpProxy_2021030399-1.LOG",
		"inetpub/wwwroot/aspnet_client/pipe.aspx",
		// IIS logs: one by IIS's name, one that would be read by its
		// header (a log renamed on copy).
		"inetpub/logs/LogFiles/W3SVC1/u_ex210399.log",
		"inetpub/logs/LogFiles/W3SVC1/copied.log",
	}
	var hosts []string
	for _, p := range pipes {
		host := filepath.Join(dir, filepath.FromSlash(p))
		os.Remove(host)
		if err := syscall.Mkfifo(host, 0o644); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		hosts = append(hosts, host)
	}
	release := func() {
		for _, h := range hosts {
			if w, err := os.OpenFile(h, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
		}
	}
	res := scanWithin(t, dir, release)
	listed := map[string]bool{}
	for _, e := range res.Errors {
		listed[e.Path] = true
	}
	for _, p := range pipes {
		if !listed[p] {
			t.Errorf("named pipe %s not listed among the errors: %+v", p, res.Errors)
		}
	}
	// The hive was a pipe: Exchange is still found at its default place,
	// and the attack is still found.
	if res.Verdict.Level != result.VerdictCompromised {
		t.Errorf("verdict %s", res.Verdict.Level)
	}
}

// TestHostileRootInvalidUTF8Folder: a web shell below a folder whose name
// is not valid UTF-8 is found, not hidden.
func TestHostileRootInvalidUTF8Folder(t *testing.T) {
	dir := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Attacks = false
	if _, err := testserver.Generate(dir, opt); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "inetpub", "wwwroot", "aspnet_client", "\xff\xfe")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "shell.aspx"), []byte("<%@ Page %>"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := scanWithin(t, dir, func() {})
	found := false
	for _, f := range res.Findings {
		if f.Rule == "webshell-aspnet-client-script" && strings.HasSuffix(f.Path, "\xff\xfe/shell.aspx") {
			found = true
		}
	}
	if !found || res.ExitStatus() != result.ExitFindings {
		t.Errorf("web shell below an invalid UTF-8 folder: found %v, exit %d", found, res.ExitStatus())
	}
}

// TestHostileRootDevice: a character device where the hive is expected is
// refused, never read (one served the host's kernel log). Making a device
// node needs root.
func TestHostileRootDevice(t *testing.T) {
	dir := t.TempDir()
	hive := filepath.Join(dir, "Windows", "System32", "config", "SOFTWARE")
	if err := os.MkdirAll(filepath.Dir(hive), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mknod(hive, syscall.S_IFCHR|0o644, 1<<8|3); err != nil { // /dev/null's numbers
		t.Skipf("mknod needs root: %v", err)
	}
	res := scanWithin(t, dir, func() {})
	for _, e := range res.Errors {
		if e.Path == "Windows/System32/config/SOFTWARE" && strings.Contains(e.Error, "not a regular file") {
			return
		}
	}
	t.Errorf("device at the hive not reported: %+v", res.Errors)
}

// TestHostileRootUnreadEvidence: a clean server whose Logging folder is a
// link leaving the copy (a junction on an image), or whose aspnet_client
// nests deeper than the walker goes, is not "no evidence found".
func TestHostileRootUnreadEvidence(t *testing.T) {
	for _, tc := range []struct {
		name      string
		breakCopy func(t *testing.T, dir string)
		error     string
	}{
		{"Logging is a link out of the copy", func(t *testing.T, dir string) {
			logging := filepath.Join(dir, filepath.FromSlash(testserver.DefaultInstallDir), "Logging")
			if err := os.Rename(logging, filepath.Join(t.TempDir(), "Logging")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/mnt/ex01-d/Logging", logging); err != nil {
				t.Skip(err)
			}
		}, "symbolic link"},
		{"aspnet_client nests too deep", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "inetpub", "wwwroot", "aspnet_client", strings.Repeat("d/", 200))
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(p, "shell.aspx"), []byte("<%@ Page %>"), 0o644)
		}, "nesting deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opt := testserver.DemoOptions()
			opt.Attacks = false
			if _, err := testserver.Generate(dir, opt); err != nil {
				t.Fatal(err)
			}
			tc.breakCopy(t, dir)
			res := scanWithin(t, dir, func() {})
			listed := false
			for _, e := range res.Errors {
				listed = listed || strings.Contains(e.Error, tc.error)
			}
			if res.Verdict.Level != result.VerdictInconclusive || res.ExitStatus() != result.ExitInconclusive || !listed {
				t.Errorf("verdict %s exit %d (%s), errors %+v", res.Verdict.Level, res.ExitStatus(), res.Verdict.Headline, res.Errors)
			}
		})
	}
}
