package collect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/scan"
)

// The real public samples (a 2021 incident's log lines, IIS logs, event
// logs), each given as a root as a responder would give a copied folder:
// its archive scans to the same findings.
func TestRealSamplesArchive(t *testing.T) {
	data := filepath.Join("..", "..", "shared", "data")
	if _, err := os.Stat(data); err != nil {
		t.Skip("../shared/data is not here: the real samples are not checked")
	}
	for _, rel := range []string{"logs/incident-helsecert", "logs/iis", "evtx", "logs/exchange-2016-cu22-samples"} {
		t.Run(rel, func(t *testing.T) {
			dir := filepath.Join(data, filepath.FromSlash(rel))
			out := filepath.Join(t.TempDir(), "t.zip")
			if _, err := Run(context.Background(), Options{Scan: scan.Config{Roots: []string{dir}}, Out: out}); err != nil {
				t.Fatal(err)
			}
			srcRep, arcRep := scanOf(t, scan.Config{Roots: []string{dir}}), scanOf(t, scan.Config{Roots: []string{out}})
			if len(srcRep.Servers) != 1 || len(arcRep.Servers) != 1 {
				t.Fatalf("%d servers in the sample, %d in its archive", len(srcRep.Servers), len(arcRep.Servers))
			}
			sameCoverage(t, srcRep.Servers[0], arcRep.Servers[0])
			a, b := realKeys(srcRep), realKeys(arcRep)
			if len(a) == 0 {
				t.Fatal("the sample's scan found nothing")
			}
			if len(a) != len(b) {
				t.Fatalf("%d findings from the sample, %d from its archive", len(a), len(b))
			}
			for i := range a {
				if a[i] != b[i] {
					t.Errorf("sample %q, archive %q", a[i], b[i])
				}
			}
			t.Logf("%d findings, the same", len(a))
		})
	}
}

func realKeys(rep *result.Report) []string {
	var out []string
	for _, s := range rep.Servers {
		for _, f := range s.Findings {
			{
				// Where the server had the file: a partial copy lies in
				// its archive where it was on the drive.
				at := ""
				if f.Time != nil {
					at = f.Time.String()
				}
				out = append(out, fmt.Sprintf("%s %s %s:%d %s", f.Rule, f.Severity, f.WindowsPath, f.Line, at))
			}
		}
	}
	sort.Strings(out)
	return out
}
