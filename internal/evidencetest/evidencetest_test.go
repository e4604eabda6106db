//go:build linux

package evidencetest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a test that keeps its failures instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, a ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, a...))
}

// The check sees a plain read (an access time moved), a write, a new file
// and a removal; and nothing when nothing happened.
func TestUnchangedSeesChanges(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(dir string)
		want string
	}{
		{"nothing", func(string) {}, ""},
		{"a plain read", func(dir string) { os.ReadFile(filepath.Join(dir, "a.log")) }, "access time"},
		{"a write", func(dir string) { os.WriteFile(filepath.Join(dir, "sub", "b.aspx"), []byte("changed!"), 0o644) }, "changed"},
		{"a new file", func(dir string) { os.WriteFile(filepath.Join(dir, "new.txt"), nil, 0o644) }, "entries before"},
		{"a removal", func(dir string) { os.Remove(filepath.Join(dir, "a.log")) }, "removed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
			os.WriteFile(filepath.Join(dir, "a.log"), []byte("line\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "sub", "b.aspx"), []byte("original"), 0o644)
			s := Prepare(t, dir)
			tc.do(dir)
			r := &recorder{TB: t}
			s.Unchanged(r)
			got := strings.Join(r.errors, "\n")
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("errors %q, want one with %q", got, tc.want)
			}
		})
	}
}
