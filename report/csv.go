package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/scan"
)

// CSVHeader is the column list of the CSV report.
var CSVHeader = []string{"severity", "rule", "time", "path", "line", "title", "cves", "evidence"}

// CSV writes one row per finding and per scan error. Evidence is one cell of
// name=value pairs separated by " | ". Every cell is neutralised against
// formula injection.
func CSV(w io.Writer, _ Tool, res *scan.Result, _ Options) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	row := func(f finding.Finding) error {
		t, line := "", ""
		if f.Time != nil {
			t = f.Time.Format(time.RFC3339Nano)
		}
		if f.Line > 0 {
			line = strconv.Itoa(f.Line)
		}
		ev := make([]string, 0, len(f.Evidence))
		for _, e := range f.Evidence {
			ev = append(ev, e.Name+"="+e.Value)
		}
		cells := []string{f.Severity.String(), f.Rule, t, f.Path, line, f.Title, strings.Join(f.CVEs, ";"), strings.Join(ev, " | ")}
		for i := range cells {
			cells[i] = Spreadsheet(cells[i])
		}
		return cw.Write(cells)
	}
	for _, f := range res.Findings {
		if err := row(f); err != nil {
			return err
		}
	}
	for _, e := range res.Errors {
		if err := row(errorFinding(e)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
