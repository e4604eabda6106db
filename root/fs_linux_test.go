package root

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOpenRefusesCharDevice: a device node in the evidence is not opened
// (one served the host's kernel log). Making one needs root.
func TestOpenRefusesCharDevice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making a device node needs root")
	}
	dir := t.TempDir()
	// 1:3 is /dev/null, harmless if the test itself goes wrong.
	if err := syscall.Mknod(filepath.Join(dir, "SOFTWARE"), syscall.S_IFCHR|0o644, 1<<8|3); err != nil {
		t.Skipf("mknod: %v", err)
	}
	if err := os.Symlink("SOFTWARE", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	fsys, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	for _, name := range []string{"SOFTWARE", "link"} {
		f, err := fsys.Open(name)
		if err == nil {
			f.Close()
			t.Errorf("%s: a character device was opened", name)
			continue
		}
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "character device") {
			t.Errorf("%s: error %q does not say it is a character device", name, err)
		}
	}
	// And checked on the opened handle, not only by name beforehand.
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if f, err := openChecked(r, "link"); err == nil {
		f.Close()
		t.Error("openChecked opened a character device")
	} else if !errors.Is(err, ErrNotRegular) {
		t.Errorf("openChecked: %v", err)
	}
}
