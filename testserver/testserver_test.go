package testserver

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// conceal is reveal's inverse: how the payload constants were made.
func conceal(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] ^= 0x5a
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestPayloadEncoding(t *testing.T) {
	p := reveal(chopperPayload)
	if !strings.HasPrefix(p, "<script language=") || !strings.Contains(p, "Page_Load") {
		t.Errorf("payload decodes to %q", p)
	}
	if conceal(p) != chopperPayload {
		t.Error("conceal is not the inverse of reveal")
	}
}

// TestManifestPointsAtPlantedLines checks the generator's own bookkeeping:
// every expected log finding names a line that holds attack text.
func TestManifestPointsAtPlantedLines(t *testing.T) {
	dir := t.TempDir()
	man, err := Generate(dir, DemoOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(man.Expected) < 30 {
		t.Fatalf("only %d expectations", len(man.Expected))
	}
	for _, e := range man.Expected {
		if e.Rule == "patch-vulnerable-build" {
			// A finding about the Exchange folder as a whole.
			if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(e.Path))); err != nil || !st.IsDir() {
				t.Errorf("%s: not the Exchange folder", e.Path)
			}
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.Path)))
		if err != nil {
			t.Errorf("%s: %v", e.Path, err)
			continue
		}
		if e.Line == 0 || strings.HasPrefix(e.Rule, "iis-") || strings.HasPrefix(e.Rule, "ioc-client-ip") || strings.HasPrefix(e.Rule, "evtx-") {
			continue // the IIS lines and event records have their own tests (iis_test.go, eventlogs_test.go)
		}
		lines := strings.Split(string(data), "\r\n")
		if e.Line > len(lines) {
			t.Errorf("%s:%d beyond the end", e.Path, e.Line)
			continue
		}
		l := lines[e.Line-1]
		if !strings.Contains(l, "ServerInfo~") && !strings.Contains(l, "Server~a]") && !strings.Contains(l, "S:CMD=") && !strings.Contains(l, "Download failed") && !strings.Contains(l, "/owa/auth/") && !strings.Contains(l, "/ecp/auth/") {
			t.Errorf("%s:%d (%s) is not an attack line: %.120s", e.Path, e.Line, e.Why, l)
		}
	}
}

func TestTargetSize(t *testing.T) {
	dir := t.TempDir()
	opt := DemoOptions()
	opt.TargetLogBytes = 40 << 20
	opt.MaxFileBytes = 1 << 20
	man, err := Generate(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	exchange := man.LogBytes - man.IISLogBytes - man.EventLogBytes
	if ratio := float64(exchange) / float64(opt.TargetLogBytes); ratio < 0.9 || ratio > 1.15 {
		t.Errorf("asked for %d bytes of Exchange logs, got %d (%.2f)", opt.TargetLogBytes, exchange, ratio)
	}
}
