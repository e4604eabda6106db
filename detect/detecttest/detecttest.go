// Package detecttest runs file detectors the way the scan does, on a small
// tree written into a temporary folder, for the detectors' table tests.
package detecttest

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/scan"
)

// File is one file of a test tree.
type File struct {
	Path    string // slash path below the root
	Content string
	Mod     time.Time // zero = 2020-06-01, before the attack window
}

// Scan writes files into a new root, scans it and returns "rule severity
// path" for every finding whose rule starts with one of prefixes.
func Scan(t *testing.T, files []File, prefixes ...string) []string {
	t.Helper()
	return ScanWith(t, scan.Config{}, files, prefixes...)
}

// ScanWith is Scan with a configuration, e.g. one detector with test data.
func ScanWith(t *testing.T, cfg scan.Config, files []File, prefixes ...string) []string {
	t.Helper()
	dir := t.TempDir()
	// A tree of a few files would not be recognised as a system drive,
	// and the drop places are places of a system drive.
	if err := os.MkdirAll(filepath.Join(dir, "Windows", "System32"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		full := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(f.Content), 0o644); err != nil {
			t.Fatal(err)
		}
		mod := f.Mod
		if mod.IsZero() {
			mod = time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)
		}
		if err := os.Chtimes(full, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Roots = []string{dir}
	rep, err := scan.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Servers) != 1 {
		t.Fatalf("%d servers found in one test tree", len(rep.Servers))
	}
	var out []string
	for _, f := range rep.Servers[0].Findings {
		for _, p := range prefixes {
			if strings.HasPrefix(f.Rule, p) {
				out = append(out, f.Rule+" "+f.Severity.String()+" "+f.Path)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
