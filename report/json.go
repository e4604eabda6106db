package report

import (
	"encoding/json"
	"io"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/scan"
)

// Document is the JSON report: the contract's tool, findings and errors,
// with the verdict, what discovery found, log coverage and the scan's
// numbers.
type Document struct {
	Tool     Tool                `json:"tool"`
	Root     string              `json:"root"`
	Verdict  scan.Verdict        `json:"verdict"`
	Server   scan.ServerInfo     `json:"server"`
	Findings []finding.Finding   `json:"findings"`
	Errors   []finding.ScanError `json:"errors"`
	Coverage []scan.Coverage     `json:"coverage"`
	Stats    scan.Stats          `json:"stats"`
}

// NewDocument assembles the JSON report of a result.
func NewDocument(tool Tool, res *scan.Result) Document {
	d := Document{
		Tool: tool, Root: res.Root, Verdict: res.Verdict, Server: res.Server,
		Findings: res.Findings, Errors: res.Errors, Coverage: res.Coverage, Stats: res.Stats,
	}
	if d.Findings == nil {
		d.Findings = []finding.Finding{}
	}
	if d.Errors == nil {
		d.Errors = []finding.ScanError{}
	}
	if d.Coverage == nil {
		d.Coverage = []scan.Coverage{}
	}
	return d
}

// JSON writes one indented JSON object.
func JSON(w io.Writer, tool Tool, res *scan.Result, _ Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewDocument(tool, res))
}

// Line is one JSON Lines record: a finding with the scan it came from, so
// that each line stands alone in a SIEM.
type Line struct {
	finding.Finding
	Root string `json:"root"`
	Tool Tool   `json:"tool"`
}

// JSONL writes one finding per line, then one line per scan error with rule
// ErrorRule.
func JSONL(w io.Writer, tool Tool, res *scan.Result, _ Options) error {
	enc := json.NewEncoder(w)
	for _, f := range res.Findings {
		if err := enc.Encode(Line{Finding: f, Root: res.Root, Tool: tool}); err != nil {
			return err
		}
	}
	for _, e := range res.Errors {
		if err := enc.Encode(Line{Finding: errorFinding(e), Root: res.Root, Tool: tool}); err != nil {
			return err
		}
	}
	return nil
}
