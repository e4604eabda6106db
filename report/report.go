// Package report turns a scan result into the formats people and machines
// read: text for a terminal, JSON and JSON Lines for tools and SIEMs, CSV for
// spreadsheets, and one self-contained HTML page for the people who decide.
// Writers know the finding model and nothing of detectors.
//
// Every string in a finding may come from an attacker (a log line, a file
// name), so each writer escapes for its medium: control and bidirectional
// characters for terminals, leading formula characters for spreadsheets,
// markup for the HTML page.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/exhunt/exhunt/detect/scope"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

// Options steer writers that have choices.
type Options struct {
	// Color enables terminal colours in the text report.
	Color bool
	// MaxPerRule bounds instances listed per rule in the text report; 0 =
	// all.
	MaxPerRule int
}

// Writer writes one report format. Writers stream the findings, so the
// report of a scan with hundreds of thousands of findings is never built
// in memory.
type Writer func(w io.Writer, rep *result.Report, opt Options) error

// Formats are the report formats by name.
var Formats = map[string]Writer{
	"text":  Text,
	"json":  JSON,
	"jsonl": JSONL,
	"csv":   CSV,
	"html":  HTML,
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
var ErrorRule = scope.RuleScanError.ID

// errorFinding presents a scan error as an info finding for flat formats.
func errorFinding(e finding.ScanError) finding.Finding {
	f := scope.RuleScanError.New(finding.Info, e.Path, e.Line, time.Time{}, finding.Evidence{{Name: "error", Value: e.Error}})
	f.ID = f.Fingerprint()
	return f
}

// Terminal makes an attacker-controlled string safe to print: control
// characters, invalid UTF-8 and bidirectional overrides become visible
// escapes, so a log line cannot move the cursor, recolour the screen or
// reorder what the reader sees.
func Terminal(s string) string {
	clean := true
	for _, r := range s {
		if UnsafeRune(r) {
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
		case UnsafeRune(r):
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

// UnsafeRune reports whether r must not reach a terminal raw: control
// characters (C0, DEL, C1) and the bidirectional overrides.
func UnsafeRune(r rune) bool {
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

// Spreadsheet neutralises a cell: control characters, invalid UTF-8 and
// bidirectional overrides become visible escapes as on a terminal (a raw
// escape sequence in a CSV file reaches whoever cats or greps it), and a
// cell that spreadsheet programs would evaluate as a formula (leading
// = + - @, tab or carriage return) gets a quote in front.
func Spreadsheet(s string) string {
	if s == "" {
		return s
	}
	lead := s[0]
	s = Terminal(s)
	switch lead {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// CollectionSummary says in one line what triage collection a server was
// read from: by what, of which host, when, and whether it is whole.
func CollectionSummary(c *result.Collection) string {
	if c.Problem != "" {
		return "a triage collection whose record is unusable: " + c.Problem
	}
	out := "triage collection"
	if c.Host != "" {
		out += " of " + c.Host
	}
	if c.Tool != "" {
		out += " by " + c.Tool
	}
	if !c.Started.IsZero() {
		out += " on " + c.Started.UTC().Format("2006-01-02 15:04 UTC")
	}
	out += fmt.Sprintf(", %d files (%.1f MB)", c.Files, float64(c.Bytes)/1e6)
	if c.Skipped > 0 {
		out += fmt.Sprintf(", %d left out by its limits", c.Skipped)
	}
	if c.Complete {
		return out + ", complete"
	}
	if c.Interrupted != "" {
		return out + ", INCOMPLETE: " + c.Interrupted
	}
	return out + ", INCOMPLETE"
}
