//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/exhunt/exhunt/source/evtx/evtxwrite"
)

func atime(t *testing.T, p string) time.Time {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := info.Sys().(*syscall.Stat_t)
	return time.Unix(st.Atim.Sec, st.Atim.Nsec)
}

// TestCommandsLeaveAccessTimes: exhunt yara and exhunt evtx read evidence
// without moving its access times (set before the modification time, so
// that a plain read would move them even on a relatime mount).
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
	mod := time.Date(2021, 3, 3, 0, 0, 0, 0, time.UTC)
	old := mod.Add(-time.Hour)
	for _, p := range []string{page, log} {
		os.Chtimes(p, old, mod)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"yara", rules, dir}, &out, &errOut); code != 0 || !bytes.Contains(out.Bytes(), []byte("hello ")) {
		t.Fatalf("yara: exit %d, %s %s", code, out.String(), errOut.String())
	}
	if code := run([]string{"evtx", log}, &out, &errOut); code != 0 {
		t.Fatalf("evtx: exit %d, %s", code, errOut.String())
	}
	for _, p := range []string{page, log} {
		if a := atime(t, p); !a.Equal(old) {
			t.Errorf("%s: access time moved to %v", filepath.Base(p), a)
		}
	}
}
