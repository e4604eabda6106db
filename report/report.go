// Package report turns a scan result into the formats people and machines
// read: text for a terminal, JSON and JSON Lines for tools and SIEMs, CSV for
// spreadsheets. Writers know the finding model and nothing of detectors.
//
// Every string in a finding may come from an attacker (a log line, a file
// name), so each writer escapes for its medium: control and bidirectional
// characters for terminals, leading formula characters for spreadsheets.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/scan"
)

// Tool names the program that wrote a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Options steer writers that have choices.
type Options struct {
	// Color enables terminal colours in the text report.
	Color bool
	// MaxPerRule bounds instances listed per rule in the text report; 0 =
	// all.
	MaxPerRule int
}

// Writer writes one report format.
type Writer func(w io.Writer, tool Tool, res *scan.Result, opt Options) error

// Formats are the report formats by name.
var Formats = map[string]Writer{
	"text":  Text,
	"json":  JSON,
	"jsonl": JSONL,
	"csv":   CSV,
}

// FormatNames lists the formats for help texts.
func FormatNames() []string {
	var names []string
	for n := range Formats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ErrorRule is the rule id under which flat formats (JSON Lines, CSV) carry
// scan errors, so that every line has the same shape.
const ErrorRule = "exhunt-scan-error"

// errorFinding presents a scan error as an info finding for flat formats.
func errorFinding(e finding.ScanError) finding.Finding {
	return finding.Finding{
		Rule:     ErrorRule,
		Severity: finding.Info,
		Path:     e.Path,
		Line:     e.Line,
		Title:    "Could not read or parse part of the input",
		CVEs:     []string{},
		Evidence: finding.Evidence{{Name: "error", Value: e.Error}},
	}
}

// Terminal makes an attacker-controlled string safe to print: control
// characters, invalid UTF-8 and bidirectional overrides become visible
// escapes, so a log line cannot move the cursor, recolour the screen or
// reorder what the reader sees.
func Terminal(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e || r == 0x200f || r == 0x061c:
		return true
	}
	return false
}

// Spreadsheet neutralises cells that spreadsheet programs would evaluate as
// formulas (leading = + - @, tab or carriage return) by prefixing a quote.
func Spreadsheet(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
