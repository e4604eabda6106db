//go:build unix

package root

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// withTimeout runs f and fails the test if it has not returned in time (an
// open that waits for a named pipe's writer never returns by itself).
func withTimeout(t *testing.T, what string, release func(), f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		release()
		t.Fatalf("%s blocked", what)
	}
}

// releaseFIFO lets a reader blocked opening the named pipe at p go on.
func releaseFIFO(p string) func() {
	return func() {
		if w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
	}
}

// TestOpenRefusesFIFO: a named pipe where the scan expects a file, or a
// symlink to one, is refused at once instead of blocking forever.
func TestOpenRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink("pipe", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	fsys, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	for _, name := range []string{"pipe", "link"} {
		withTimeout(t, "opening "+name, releaseFIFO(fifo), func() {
			f, err := fsys.Open(name)
			if err == nil {
				f.Close()
				t.Errorf("%s: opened a named pipe", name)
				return
			}
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "named pipe") || !strings.Contains(err.Error(), name) {
				t.Errorf("%s: error %q does not say it is a named pipe", name, err)
			}
		})
	}
	// The check that counts is on the opened handle: the name may change
	// between a check by name and the open.
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, name := range []string{"pipe", "link"} {
		withTimeout(t, "opening "+name+" without the check by name", releaseFIFO(fifo), func() {
			f, err := openChecked(r, name)
			if err == nil {
				f.Close()
				t.Errorf("%s: openChecked opened a named pipe", name)
			} else if !errors.Is(err, ErrNotRegular) {
				t.Errorf("%s: openChecked: %v", name, err)
			}
		})
	}
	withTimeout(t, "ReadDir of a named pipe", releaseFIFO(fifo), func() {
		if _, err := fsys.ReadDir("pipe"); err == nil {
			t.Error("ReadDir of a named pipe succeeded")
		}
	})
}

// TestWalkUnreadableFolder: a folder the scan may not read is reported to
// the walk function, never silently skipped. Root reads anything, so as
// root the check runs in a child process under another user.
func TestWalkUnreadableFolder(t *testing.T) {
	if dir := os.Getenv("EXHUNT_TEST_UNREADABLE_DIR"); dir != "" {
		checkUnreadableWalk(t, dir)
		return
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "web", "locked"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"web/ok.aspx", "web/locked/shell.aspx"} {
		if err := os.WriteFile(filepath.Join(dir, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "web", "locked"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(dir, "web", "locked"), 0o755) })
	if os.Geteuid() != 0 {
		checkUnreadableWalk(t, dir)
		return
	}
	// As root: run this test again as nobody, from a copy of the test
	// binary that nobody can execute, on a tree nobody can reach.
	for _, p := range []string{filepath.Dir(dir), dir, filepath.Join(dir, "web")} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	binDir := t.TempDir()
	if err := os.Chmod(filepath.Dir(binDir), 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "root.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Skipf("cannot copy the test binary to run as another user: %v", err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestWalkUnreadableFolder$", "-test.v")
	cmd.Env = append(os.Environ(), "EXHUNT_TEST_UNREADABLE_DIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil && !strings.Contains(string(out), "--- FAIL") {
		t.Skipf("running as root, and could not run the check as another user (%v): %s", err, out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestWalkUnreadableFolder") {
		t.Errorf("as uid 65534: %v\n%s", err, out)
	}
}

func checkUnreadableWalk(t *testing.T, dir string) {
	fsys, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if _, err := os.ReadDir(filepath.Join(dir, "web", "locked")); err == nil {
		t.Skip("permissions are not enforced here")
	}
	for _, walk := range []struct {
		name string
		fn   func(fs.WalkDirFunc) error
	}{
		{"FS.WalkDir", func(fn fs.WalkDirFunc) error { return fsys.WalkDir(".", fn) }},
		{"WalkDir", func(fn fs.WalkDirFunc) error { return WalkDir(fsys, "web", fn) }},
	} {
		var errs, files []string
		err := walk.fn(func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, p+": "+err.Error())
			} else if !d.IsDir() {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", walk.name, err)
		}
		if len(errs) != 1 || !strings.HasPrefix(errs[0], "web/locked: ") || !strings.Contains(errs[0], "permission denied") {
			t.Errorf("%s: errors %q, want one for web/locked", walk.name, errs)
		}
		if len(files) != 1 || files[0] != "web/ok.aspx" {
			t.Errorf("%s: files %q", walk.name, files)
		}
	}
}
