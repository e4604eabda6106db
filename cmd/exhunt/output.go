package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// reportFile is where a report goes: written, then committed or aborted.
type reportFile interface {
	io.Writer
	Commit() error
	Abort()
}

// openReport checks and creates the report file; nil for standard output.
func openReport(out string, roots []string) (reportFile, error) {
	if out == "" {
		return nil, nil
	}
	for _, r := range roots {
		if inside(out, r) {
			return nil, fmt.Errorf("--out %s is inside the scanned folder %s; evidence is never written to, choose another place", out, r)
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return nil, fmt.Errorf("--out %s: %v", out, err)
	}
	return &plainFile{f}, nil
}

type plainFile struct{ *os.File }

func (p *plainFile) Commit() error { return p.Close() }
func (p *plainFile) Abort()        { p.Close(); os.Remove(p.Name()) }

// inside reports whether path p lies in dir (after making both absolute and
// resolving symlinks where they exist).
func inside(p, dir string) bool {
	abs := func(s string) string {
		a, err := filepath.Abs(s)
		if err != nil {
			return s
		}
		if r, err := filepath.EvalSymlinks(a); err == nil {
			return r
		}
		// The file may not exist yet: resolve its folder.
		if r, err := filepath.EvalSymlinks(filepath.Dir(a)); err == nil {
			return filepath.Join(r, filepath.Base(a))
		}
		return a
	}
	ap, ad := abs(p), abs(dir)
	rel, err := filepath.Rel(ad, ap)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
