//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/evidencetest"
	"github.com/exhunt/exhunt/source/evtx/evtxwrite"
)

// TestCommandsLeaveAccessTimes: exhunt yara and exhunt evtx read evidence
// without changing it, access times included.
func TestCommandsLeaveAccessTimes(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "page.aspx")
	os.WriteFile(page, []byte("<%@ Page Language=\"C#\" %>hello"), 0o644)
	rules := filepath.Join(t.TempDir(), "r.yar")
	os.WriteFile(rules, []byte("rule hello { strings: $a = \"hello\" condition: $a }"), 0o644)
	log := filepath.Join(dir, "Application.evtx")
	if err := evtxwrite.WriteFile(log, []evtxwrite.Event{{Time: time.Date(2021, 3, 3, 0, 0, 0, 0, time.UTC), Provider: "P", EventID: 1, Channel: "Application"}}); err != nil {
		t.Fatal(err)
	}
	// The same check as scan's and collect's, whose own test shows it
	// sees a plain read on this file system.
	before := evidencetest.Prepare(t, dir)
	var out, errOut bytes.Buffer
	if code := run([]string{"yara", rules, dir}, &out, &errOut); code != 0 || !bytes.Contains(out.Bytes(), []byte("hello ")) {
		t.Fatalf("yara: exit %d, %s %s", code, out.String(), errOut.String())
	}
	if code := run([]string{"evtx", log}, &out, &errOut); code != 0 {
		t.Fatalf("evtx: exit %d, %s", code, errOut.String())
	}
	if n := before.Unchanged(t); n != 2 {
		t.Errorf("%d files checked, want 2", n)
	}
}
