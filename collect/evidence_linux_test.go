//go:build linux

package collect

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/exhunt/exhunt/internal/evidencetest"
	"github.com/exhunt/exhunt/scan"
)

// TestCollectLeavesEvidenceUnchanged collects an attacked server and proves
// that nothing in it changed: no entry added or removed, contents, sizes,
// modes, modification and access times the same.
func TestCollectLeavesEvidenceUnchanged(t *testing.T) {
	dir := demoServer(t, true)
	before := evidencetest.Prepare(t, dir)
	res, err := Run(context.Background(), Options{Scan: scan.Config{Roots: []string{dir}}, Out: filepath.Join(t.TempDir(), "t.zip")})
	if err != nil {
		t.Fatal(err)
	}
	files := before.Unchanged(t)
	if res.Record.Counts.Files < 100 {
		t.Errorf("only %d files collected: the test proves little", res.Record.Counts.Files)
	}
	t.Logf("%d files unchanged after collecting %d", files, res.Record.Counts.Files)
}
