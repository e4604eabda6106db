package report

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

// CSVHeader is the column list of the CSV report.
var CSVHeader = []string{"severity", "rule", "time", "path", "line", "title", "cves", "evidence", "server", "volume", "windows_path", "source_ip", "user_agent", "url", "id"}

// CSV writes one row per finding and per scan error. Evidence is one cell of
// name=value pairs separated by " | ". Every cell is neutralised against
// formula injection and control characters.
func CSV(w io.Writer, rep *result.Report, _ Options) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	server := ""
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
		cells := []string{f.Severity.String(), f.Rule, t, f.Path, line, f.Title, strings.Join(f.CVEs, ";"), strings.Join(ev, " | "),
			server, f.Volume, f.WindowsPath, f.SourceIP, f.UserAgent, f.URL, f.ID}
		for i := range cells {
			cells[i] = Spreadsheet(cells[i])
		}
		return cw.Write(cells)
	}
	for _, s := range rep.Servers {
		server = s.Server.Name
		for _, f := range s.Findings {
			if err := row(f); err != nil {
				return err
			}
		}
		for _, e := range s.Errors {
			if err := row(errorFinding(e)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
