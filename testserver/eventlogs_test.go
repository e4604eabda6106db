package testserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/source/evtx"
)

// TestEventLogRecords: every event log expectation names a record that
// exists in its file and is the kind of event the rule reads.
func TestEventLogRecords(t *testing.T) {
	dir := t.TempDir()
	man, err := Generate(dir, DemoOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // rule -> provider of the event
		"evtx-webserver-shell":    "Microsoft-Windows-Security-Auditing",
		"evtx-chopper-command":    "Microsoft-Windows-Security-Auditing",
		"evtx-um-deserialization": "MSExchange Unified Messaging",
		"evtx-cmdlet-vdir-script": "MSExchange CmdletLogs",
		"evtx-defender-detection": "Microsoft-Windows-Windows Defender",
	}
	seen := map[string]bool{}
	for _, e := range man.Expected {
		if !strings.HasPrefix(e.Rule, "evtx-") {
			continue
		}
		seen[e.Rule] = true
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.Path)))
		if err != nil {
			t.Fatal(err)
		}
		f, err := evtx.Open(strings.NewReader(string(data)), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", e.Path, err)
		}
		var provider string
		problems := f.Records(func(r *evtx.Record) error {
			if r.RecordID == uint64(e.Line) {
				provider = r.Provider
			}
			return nil
		})
		if len(problems) > 0 {
			t.Errorf("%s: %v", e.Path, problems)
		}
		if provider != want[e.Rule] {
			t.Errorf("%s:%d (%s): record of provider %q, want %q", e.Path, e.Line, e.Rule, provider, want[e.Rule])
		}
	}
	for rule := range want {
		if !seen[rule] {
			t.Errorf("nothing planted for %s", rule)
		}
	}
}
