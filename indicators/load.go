package indicators

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxFeedSize bounds a feed file: larger ones are refused, not cut.
const MaxFeedSize = 256 << 20

// maxProblems bounds the problems kept for one feed; the rest are counted
// in a last problem, so that a wrong file cannot fill memory with them.
const maxProblems = 1000

// Problem is a part of a feed that was not loaded, and why.
type Problem struct {
	File string // the feed's name
	Line int    // 1-based; 0 when the problem is not on one line
	Ref  string // what was not loaded: a STIX id, a pattern part, a value
	Err  string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Ref != "" {
		b.WriteString(p.Ref)
		b.WriteString(": ")
	}
	b.WriteString(p.Err)
	return b.String()
}

// Load reads a feed file; see LoadReader.
func Load(path string) (*Set, []Problem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > MaxFeedSize {
		return nil, nil, fmt.Errorf("%s: %d MB, more than the %d MB a feed may have; split it", path, (st.Size()+1<<20-1)>>20, MaxFeedSize>>20)
	}
	return LoadReader(path, f)
}

// LoadAll loads several feeds into one Set, in order. Problems carry the
// file they are in; the first feed that cannot be loaded stops it.
func LoadAll(paths []string) (*Set, []Problem, error) {
	all := &Set{}
	var problems []Problem
	for _, p := range paths {
		s, ps, err := Load(p)
		problems = append(problems, ps...)
		if err != nil {
			return nil, problems, err
		}
		all.Merge(s)
	}
	return all, problems, nil
}

// ErrNothingLoaded is wrapped by LoadReader's error for a feed that gave no
// indicator at all: a wrong file is not taken for an empty feed.
var ErrNothingLoaded = errors.New("no indicator loaded")

// LoadReader reads a feed, telling its format from the content:
//
//   - JSON: a STIX 2.1 bundle, a bare array of STIX objects or one
//     indicator object (indicators with STIX patterns, see stix.go), or
//     Microsoft's feed as a JSON array or JSON Lines.
//   - CSV with Microsoft's header (DateAdded,FirstSeen,Indicator,
//     IndicatorType,TLP).
//   - Anything else is a plain list (see plain.go): one indicator a line,
//     Loki's hash and filename IOC files among them.
//
// STIX 1 XML is refused with an error. The Set holds what was loaded;
// every line or part that was not is a Problem. The error is for a feed
// that cannot be read, is larger than MaxFeedSize, loads more than
// MaxIndicators, or loads nothing (ErrNothingLoaded); problems are
// returned with it.
func LoadReader(name string, r io.Reader) (*Set, []Problem, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFeedSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(data) > MaxFeedSize {
		return nil, nil, fmt.Errorf("%s: more than the %d MB a feed may have; split it", name, MaxFeedSize>>20)
	}
	return loadBytes(name, data)
}

func loadBytes(name string, data []byte) (*Set, []Problem, error) {
	data, err := toUTF8(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", name, err)
	}
	l := &loader{name: name, set: &Set{}, data: data}
	head := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(head) == 0:
	case head[0] == '{' || head[0] == '[':
		l.json()
	case head[0] == '<':
		if bytes.Contains(bytes.ToLower(head[:min(len(head), 4096)]), []byte("stix")) {
			return nil, nil, fmt.Errorf("%s: STIX 1 XML is not supported; convert it to STIX 2.1", name)
		}
		return nil, nil, fmt.Errorf("%s: XML is not a feed format exhunt reads (STIX 2.1 JSON, Microsoft's feed CSV or JSON, or a list)", name)
	case isMSFeedHeader(firstLine(head)):
		l.msCSV()
	default:
		l.plain()
	}
	problems := l.problems
	if l.dropped > 0 {
		problems = append(problems, Problem{File: name, Err: fmt.Sprintf("%d more problems not listed", l.dropped)})
	}
	if l.fatal != nil {
		return nil, problems, l.fatal
	}
	if l.set.Len() == 0 {
		err := fmt.Errorf("%s: %w", name, ErrNothingLoaded)
		if n := len(l.problems) + l.dropped; n > 0 {
			err = fmt.Errorf("%s: %w (%d lines or parts not understood; the first: %s)", name, ErrNothingLoaded, n, l.problems[0].String())
		}
		return nil, problems, err
	}
	return l.set, problems, nil
}

// toUTF8 drops a UTF-8 byte order mark and decodes UTF-16 with one (what
// Windows PowerShell 5's Out-File writes); other text must be UTF-8.
func toUTF8(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return data[3:], nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		big := data[0] == 0xFE
		data = data[2:]
		u := make([]uint16, len(data)/2)
		for i := range u {
			if big {
				u[i] = uint16(data[2*i])<<8 | uint16(data[2*i+1])
			} else {
				u[i] = uint16(data[2*i+1])<<8 | uint16(data[2*i])
			}
		}
		return []byte(string(utf16.Decode(u))), nil
	}
	if bytes.IndexByte(data[:min(len(data), 4096)], 0) >= 0 {
		return nil, errors.New("binary data, or UTF-16 without a byte order mark: not a feed")
	}
	return data, nil
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return bytes.TrimSpace(b)
}

// loader is the state of reading one feed.
type loader struct {
	name     string
	set      *Set
	data     []byte
	problems []Problem
	dropped  int
	fatal    error // stops reading: the feed is too large to load
}

// problem records what was not loaded.
func (l *loader) problem(line int, ref, format string, args ...any) {
	if len(l.problems) >= maxProblems {
		l.dropped++
		return
	}
	l.problems = append(l.problems, Problem{File: l.name, Line: line, Ref: clip(ref), Err: clip(fmt.Sprintf(format, args...))})
}

// add adds an indicator, recording a problem for a value its kind
// refuses. It returns false once the feed is too large to go on.
func (l *loader) add(line int, ind Indicator) bool {
	if ind.Source == "" {
		ind.Source = l.name
	}
	if ind.Ref == "" && line > 0 {
		ind.Ref = fmt.Sprintf("%s:%d", l.name, line)
	}
	err := l.set.Add(ind)
	switch {
	case errors.Is(err, ErrTooMany):
		l.fatal = fmt.Errorf("%s:%d: %w; split the feed", l.name, line, err)
		return false
	case err != nil && strings.HasPrefix(ind.Ref, l.name+":"):
		l.problem(line, ind.Value, "%s: %v", ind.Kind, err)
	case err != nil:
		// A STIX id or the like: name it, and the value in the message.
		l.problem(line, ind.Ref, "%s %q: %v", ind.Kind, clip(ind.Value), err)
	}
	return true
}

// clip shortens text quoted in a problem; a feed's line may be long.
func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// lineCounter turns byte offsets into line numbers; offsets must not go
// backwards, so that a feed is counted once.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (c *lineCounter) at(off int) int {
	if c.line == 0 {
		c.line = 1
	}
	if off > len(c.data) {
		off = len(c.data)
	}
	if off > c.off {
		c.line += bytes.Count(c.data[c.off:off], []byte{'\n'})
		c.off = off
	}
	return c.line
}
