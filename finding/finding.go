// Package finding is the one model every detector produces and every report
// writer consumes: a finding is a rule that fired, how bad it is, and the
// evidence (file, line, time, fields) that made it fire.
//
// Detectors never format output and writers never know about detectors; this
// package is the contract between them. Order is deterministic (see Sort) so
// that two scans of the same evidence produce byte-identical reports.
package finding

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Severity follows the contract's scale. The zero value is Info so that a
// forgotten severity never raises an alarm by accident.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return "severity(" + strconv.Itoa(int(s)) + ")"
	}
	return severityNames[s]
}

// ParseSeverity accepts the contract's lower-case names, case-insensitively.
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(n, name) {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("unknown severity %q (want one of %s)", name, strings.Join(severityNames[:], ", "))
}

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Field is one named piece of evidence. Evidence keeps the order in which a
// detector adds fields, because that order is the one a person reads best
// (time, client, request, outcome).
type Field struct {
	Name  string
	Value string
}

// Evidence is an ordered set of fields; it marshals to a JSON object.
type Evidence []Field

// Get returns the value of the named field, or "".
func (e Evidence) Get(name string) string {
	for _, f := range e {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func (e Evidence) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range e {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (e *Evidence) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("evidence: want a JSON object")
	}
	*e = (*e)[:0]
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*e = append(*e, Field{Name: kt.(string), Value: v})
	}
	_, err = dec.Token()
	return err
}

// Finding is one rule firing on one piece of evidence.
type Finding struct {
	// ID is the fingerprint rule:path:line, set when the scan finishes.
	ID       string   `json:"id,omitempty"`
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// Path is relative to the scan root, forward slashes, with the case the
	// file has on disk.
	Path string `json:"path"`
	// PathEscaped is Path with bytes that are not UTF-8 written as \xNN,
	// set only for such names (JSON cannot carry them).
	PathEscaped string `json:"path_escaped,omitempty"`
	// Volume is the drive letter of the volume the path is on (C for the
	// scan root of a system drive); WindowsPath is where the server itself
	// had the file. Both are set when the scan finishes.
	Volume      string `json:"volume,omitempty"`
	WindowsPath string `json:"windows_path,omitempty"`
	// Line is the 1-based physical line for line-oriented sources, 0 for
	// whole-file findings.
	Line  int        `json:"line,omitempty"`
	Time  *time.Time `json:"time,omitempty"`
	Title string     `json:"title"`
	CVEs  []string   `json:"cves"`
	// Evidence holds the fields that made the rule fire.
	Evidence Evidence `json:"evidence,omitempty"`
	// Remediation tells the reader what to do about it.
	Remediation string `json:"remediation,omitempty"`
	// Stage is the attack step the evidence shows (the rule's, unless the
	// detector knew better), "" for findings about the scan or the server.
	Stage Stage `json:"stage,omitempty"`
	// SourceIP, UserAgent and URL are the request's client address, user
	// agent and URL, normalised for machines, where the evidence has them.
	SourceIP  string `json:"source_ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	URL       string `json:"url,omitempty"`
	// Exposure marks a finding about the server's state (a vulnerable
	// build, a half-applied update), not evidence of an attack: it counts
	// for the exit status, and the verdict answers it apart, as "vulnerable
	// now?", never as "compromised".
	Exposure bool `json:"exposure,omitempty"`
	// Context marks a finding that is background for a person (an archive
	// in a backup product's folder) and not, on its own, a sign of attack:
	// it never raises the verdict.
	Context bool `json:"context,omitempty"`
}

// At sets the event time; a zero time leaves it unknown.
func (f *Finding) At(t time.Time) {
	if t.IsZero() {
		f.Time = nil
		return
	}
	// NTFS keeps times to 100 ns: finer digits (a copy on a Unix file
	// system) would make a copy and its triage archive disagree.
	u := t.UTC().Truncate(100 * time.Nanosecond)
	f.Time = &u
}

// Fingerprint identifies a finding across runs: rule:path:line.
func (f *Finding) Fingerprint() string {
	return f.Rule + ":" + f.Path + ":" + strconv.Itoa(f.Line)
}

// Sort orders findings most severe first, then by time (unknown last), path,
// line and rule, so reports are stable.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if (a.Time == nil) != (b.Time == nil) {
			return a.Time != nil
		}
		if a.Time != nil && !a.Time.Equal(*b.Time) {
			return a.Time.Before(*b.Time)
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Rule < b.Rule
	})
}

// Dedupe drops findings whose fingerprint was already seen, keeping the first
// (most severe after Sort). The contract forbids duplicates of the same rule
// on the same line.
func Dedupe(fs []Finding) []Finding {
	seen := make(map[string]bool, len(fs))
	out := fs[:0]
	for _, f := range fs {
		fp := f.Fingerprint()
		if seen[fp] {
			continue
		}
		seen[fp] = true
		out = append(out, f)
	}
	return out
}

// ScanError is a problem with one input that did not stop the scan.
type ScanError struct {
	Path string `json:"path"`
	// Volume is the drive letter of the volume the path is on (C for the
	// scan root of a system drive); WindowsPath is where the server itself
	// had the file. Both are set when the scan finishes.
	Volume      string `json:"volume,omitempty"`
	WindowsPath string `json:"windows_path,omitempty"`
	// Line is set when the problem is at a known line.
	Line  int    `json:"line,omitempty"`
	Error string `json:"error"`
}

// Max returns the highest severity among findings, and false when there are
// none.
func Max(fs []Finding) (Severity, bool) {
	if len(fs) == 0 {
		return Info, false
	}
	m := Info
	for _, f := range fs {
		if f.Severity > m {
			m = f.Severity
		}
	}
	return m, true
}
