//go:build linux

package scan

import (
	"path/filepath"
	"testing"

	"github.com/exhunt/exhunt/internal/evidencetest"
	"github.com/exhunt/exhunt/testserver"
)

// TestScanLeavesEvidenceUnchanged scans an attacked server (its event logs
// given again with --evtx) and proves that no entry was added or removed
// and no file changed: contents (SHA-256), sizes, modes, modification
// times, and access times. Each access time is set an hour before the
// modification time first, so that a read without O_NOATIME would move it
// even on a relatime mount.
func TestScanLeavesEvidenceUnchanged(t *testing.T) {
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	before := evidencetest.Prepare(t, dir)
	runScan(t, dir, Config{EventLogs: []string{filepath.Join(dir, "Windows/System32/winevt/Logs")}})
	files := before.Unchanged(t)
	if files < 100 {
		t.Errorf("only %d files checked", files)
	}
	t.Logf("%d files unchanged", files)
}
