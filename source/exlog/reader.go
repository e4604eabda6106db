// Package exlog reads the text log container that Exchange writes for most
// of its logs under V15\Logging (HttpProxy, ECP Server, OABGenerator, EWS,
// RPS, ...): CSV records under #Software/#Version/#Log-type/#Date/#Fields
// directive blocks, optionally preceded by a UTF-8 BOM and a bare CSV header
// line, with the directive block repeated whenever the writer reopened the
// file.
//
// The reader streams in constant memory and reports exact 1-based physical
// line numbers. Given a Matcher it searches raw blocks for the literals and
// splits only the records that contain one, which is what makes a scan of
// gigabytes of HttpProxy logs run at memory speed; without one it yields
// every record.
//
// A record whose quoted field holds a line break is read whole when the
// search lands on its first line; a literal found only on a later line of
// such a record is read from that line. Exchange does not write line
// breaks inside its records, so this costs nothing on real logs.
package exlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/exhunt/exhunt/source/literal"
)

// DefaultBufferSize is the read block size and so the longest line the
// reader parses; longer lines are reported as problems and skipped. Real
// records are 0.2-3 KB, ECP records with exception text tens of KB.
const DefaultBufferSize = 1 << 20

// maxProblems bounds the problems kept per file: a hostile or corrupt file
// can have millions of bad lines, and the first ones tell the story.
const maxProblems = 50

// maxRecordLines bounds how many physical lines one quoted record may span.
const maxRecordLines = 64

// Options configure a Reader.
type Options struct {
	// Matcher selects the records to parse; nil yields every record.
	Matcher *literal.Matcher
	// Precheck, when set, is asked about each physical line the Matcher
	// selected, before it is parsed: a cheap test on raw bytes that spares
	// the CSV split of lines that hold a literal in the wrong place.
	Precheck func(line []byte) bool
	// Tap, when set, also selects every data line whose named field
	// Match accepts, whether or not it holds a literal: a lookup of each
	// line's client address in a set of thousands of addresses, which no
	// literal search does at speed.
	Tap *Tap
	// DefaultSchema is used when data comes before any field list.
	DefaultSchema *Schema
	// BufferSize overrides DefaultBufferSize (tests use small ones).
	BufferSize int
}

// Tap selects lines by the value of one field.
type Tap struct {
	// Field is the field's name in the field list.
	Field string
	// Match is given the field's raw value; it must not keep the slice.
	Match func(value []byte) bool
	// Hints, when set, are byte strings of which every line Match
	// accepts holds one (the addresses' text): a stretch without any is
	// passed over without splitting its lines.
	Hints [][]byte
}

// Header holds the directive values in force.
type Header struct {
	Software, Version, LogType, Date string
}

// Record is one parsed log record. It and its slices are valid only during
// the callback.
type Record struct {
	// Line is the 1-based physical line the record starts on.
	Line int
	// Raw is the record's text without the line ending.
	Raw []byte
	// Fields are the CSV fields, unquoted.
	Fields []string
	Schema *Schema
	Header *Header
}

// Get returns the named field, or "" when the schema lacks it or the
// record is short.
func (r *Record) Get(name string) string {
	i := r.Schema.Index(name)
	if i < 0 || i >= len(r.Fields) {
		return ""
	}
	return r.Fields[i]
}

// Has reports whether the field list in force names the field.
func (r *Record) Has(name string) bool { return r.Schema.Has(name) }

// Field returns the i-th field, "" beyond the last.
func (r *Record) Field(i int) string {
	if i < 0 || i >= len(r.Fields) {
		return ""
	}
	return r.Fields[i]
}

// NumFields is the number of fields the record has.
func (r *Record) NumFields() int { return len(r.Fields) }

// Time is the record's timestamp: the schema's time field, else the first
// field when it reads as a timestamp.
func (r *Record) Time() (time.Time, bool) {
	if r.Schema != nil && r.Schema.timeField >= 0 && r.Schema.timeField < len(r.Fields) {
		if t, ok := ParseTime(r.Fields[r.Schema.timeField]); ok {
			return t, true
		}
	}
	if len(r.Fields) > 0 {
		return ParseTime(r.Fields[0])
	}
	return time.Time{}, false
}

// Problem is a line the reader could not use.
type Problem struct {
	Line int
	Err  string
}

// Stats describe a file after reading.
type Stats struct {
	Bytes int64
	Lines int
	// Oldest and Newest bound the timestamps of the file's first and last
	// data lines and of the records delivered; log lines are written in
	// time order, so this is the time span the file covers.
	Oldest, Newest time.Time
	Header         Header
	Problems       []Problem
	// MoreProblems counts problems beyond those kept.
	MoreProblems int
}

func (s *Stats) problem(line int, format string, args ...any) {
	if len(s.Problems) >= maxProblems {
		s.MoreProblems++
		return
	}
	s.Problems = append(s.Problems, Problem{Line: line, Err: fmt.Sprintf(format, args...)})
}

func (s *Stats) widen(t time.Time) {
	if s.Oldest.IsZero() || t.Before(s.Oldest) {
		s.Oldest = t
	}
	if t.After(s.Newest) {
		s.Newest = t
	}
}

// ErrUTF16 is returned for files in UTF-16, which Exchange does not write.
var ErrUTF16 = errors.New("file is UTF-16 encoded; Exchange writes these logs in UTF-8")

// Reader reads log files one after another, reusing its buffers. It is not
// safe for concurrent use; give each worker its own.
type Reader struct {
	opt     Options
	buf     []byte
	matcher *literal.Matcher
	fields  []string
	rec     Record

	// per-file state
	stats       Stats
	header      Header
	schema      *Schema
	startup     bool // still reading the leading lines sequentially
	lineBase    int  // line number of the first line of the current block
	lastData    []byte
	lastDataSet bool
}

// NewReader makes a reader.
func NewReader(opt Options) *Reader {
	if opt.BufferSize <= 0 {
		opt.BufferSize = DefaultBufferSize
	}
	rd := &Reader{buf: make([]byte, opt.BufferSize)}
	rd.Reset(opt)
	return rd
}

// Reset changes the options for the next files, keeping the buffer (its
// size does not change).
func (rd *Reader) Reset(opt Options) {
	opt.BufferSize = len(rd.buf)
	rd.opt = opt
	rd.matcher = nil
	if opt.Matcher != nil && !opt.Matcher.Empty() {
		rd.matcher = opt.Matcher.Clone()
	}
}

// Read reads one file and calls fn for each selected record. It returns the
// file's statistics; the error is for reads that failed, and the records
// before the failure have been delivered.
func (rd *Reader) Read(r io.Reader, fn func(*Record)) (Stats, error) {
	rd.stats = Stats{}
	rd.header = Header{}
	rd.schema = nil
	rd.startup = true
	rd.lineBase = 1
	rd.lastData = rd.lastData[:0]
	rd.lastDataSet = false

	buf := rd.buf
	carry := 0
	first := true
	skipping := false // inside a line longer than the buffer
	skipHit := false
	skipLine := 0
	var readErr error
	for {
		n, err := io.ReadFull(r, buf[carry:])
		rd.stats.Bytes += int64(n)
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			readErr = err
		}
		data := buf[:carry+n]
		if first && len(data) > 0 {
			first = false
			if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
				return rd.stats, ErrUTF16
			}
			if bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
				data = data[3:]
			}
		}
		if skipping {
			nl := bytes.IndexByte(data, '\n')
			part := data
			if nl >= 0 {
				part = data[:nl]
			}
			if rd.matcher != nil && rd.matcher.Contains(part) {
				skipHit = true
			}
			if nl < 0 && !eof && readErr == nil {
				carry = 0
				continue
			}
			rd.longLine(skipLine, skipHit)
			skipping = false
			if nl < 0 {
				data = data[:0]
			} else {
				data = data[nl+1:]
				rd.lineBase++
			}
		}
		var block []byte
		switch {
		case eof || readErr != nil:
			block = data
		default:
			cut := bytes.LastIndexByte(data, '\n') + 1
			// Only a buffer filled from its start without a line end holds
			// a line longer than the buffer; after a skipped long line the
			// data starts further in and the rest is just a partial line.
			if cut == 0 && len(data) == len(buf) {
				// A line longer than the buffer: skip to its end.
				skipping, skipLine = true, rd.lineBase
				skipHit = rd.matcher != nil && rd.matcher.Contains(data)
				carry = 0
				continue
			}
			block = data[:cut]
		}
		rd.block(block, fn)
		if eof || readErr != nil {
			if len(block) > 0 && block[len(block)-1] != '\n' {
				rd.lineBase++ // the final line had no line ending
			}
			break
		}
		rest := data[len(block):]
		carry = copy(buf, rest)
	}
	rd.stats.Lines = rd.lineBase - 1
	rd.stats.Header = rd.header
	if rd.lastDataSet {
		if t, ok := ParseTime(firstField(rd.lastData)); ok {
			rd.stats.widen(t)
		}
	}
	return rd.stats, readErr
}

func (rd *Reader) longLine(line int, hit bool) {
	if hit {
		rd.stats.problem(line, "line is longer than %d bytes and contains a searched indicator; it was not parsed, review it by hand", len(rd.buf))
		return
	}
	rd.stats.problem(line, "line is longer than %d bytes; skipped", len(rd.buf))
}

// block processes whole lines; block starts at a line start.
func (rd *Reader) block(block []byte, fn func(*Record)) {
	cursor := 0
	counted := 0 // newlines in block[:counted] are already in lineBase
	lineAt := func(pos int) int {
		rd.lineBase += bytes.Count(block[counted:pos], []byte{'\n'})
		counted = pos
		return rd.lineBase
	}
	// Leading lines are read one by one until the field list and the first
	// data line are known.
	for rd.startup && cursor < len(block) {
		end := lineEnd(block, cursor)
		line := trimCR(block[cursor:end])
		ln := lineAt(cursor)
		switch {
		case len(line) == 0:
		case line[0] == '#':
			rd.directive(line)
		case rd.schema == nil && looksLikeHeader(line):
			f, _ := splitCSV(rd.fields[:0], line)
			rd.fields = f
			rd.schema = NewSchema(append([]string(nil), f...))
		default:
			if rd.schema == nil {
				rd.schema = rd.opt.DefaultSchema
				if rd.schema != nil {
					rd.stats.problem(ln, "no field list before the first record; assumed the default fields of this log type")
				} else {
					rd.stats.problem(ln, "no field list before the first record; fields are read by position only")
				}
			}
			if t, ok := ParseTime(firstField(line)); ok {
				rd.stats.widen(t)
			}
			rd.startup = false
			switch {
			case rd.matcher == nil || rd.matcher.Contains(line):
				end = rd.emit(block, cursor, ln, fn)
			case rd.opt.Tap != nil && rd.tapLines(block, cursor, end) == cursor:
				end = rd.emitChecked(block, cursor, ln, fn, false)
			}
		}
		cursor = min(end+1, len(block))
	}

	if rd.matcher != nil {
		rd.matcher.Reset()
	}
	nextDir := -2
	for cursor < len(block) {
		var hit int
		if rd.matcher == nil {
			hit = cursor
		} else {
			hit = rd.matcher.Index(block, cursor)
		}
		if nextDir == -2 || (nextDir >= 0 && nextDir < cursor) {
			nextDir = nextDirective(block, cursor)
		}
		hitLine := -1
		if hit >= 0 {
			hitLine = bytes.LastIndexByte(block[:hit], '\n') + 1
		}
		if rd.opt.Tap != nil {
			limit := len(block)
			if hitLine >= 0 {
				limit = hitLine
			}
			if nextDir >= 0 && nextDir < limit {
				limit = nextDir
			}
			if tapped := rd.tapLines(block, cursor, limit); tapped >= 0 {
				end := rd.emitChecked(block, tapped, lineAt(tapped), fn, false)
				cursor = min(end+1, len(block))
				continue
			}
		}
		if nextDir >= 0 && (hitLine < 0 || nextDir <= hitLine) {
			end := lineEnd(block, nextDir)
			rd.directive(trimCR(block[nextDir:end]))
			cursor = min(end+1, len(block))
			continue
		}
		if hitLine < 0 {
			break
		}
		end := lineEnd(block, hitLine)
		if len(trimCR(block[hitLine:end])) > 0 {
			end = rd.emit(block, hitLine, lineAt(hitLine), fn)
		}
		cursor = min(end+1, len(block))
	}
	lineAt(len(block))
	rd.rememberLastData(block)
}

// tapMatches reports whether a line's tapped field matches (a line the
// literals chose but the precheck did not is still wanted for its client).
func (rd *Reader) tapMatches(line []byte) bool {
	if rd.opt.Tap == nil {
		return false
	}
	idx := rd.schema.Index(rd.opt.Tap.Field)
	if idx < 0 {
		return false
	}
	v, ok := fieldAt(line, idx)
	return ok && len(v) > 0 && rd.opt.Tap.Match(v)
}

// tapLines returns the start of the first line in block[from:limit] whose
// tapped field matches, or -1. The lines there are data lines (directives
// and literal hits are handled by the caller).
func (rd *Reader) tapLines(block []byte, from, limit int) int {
	idx := rd.schema.Index(rd.opt.Tap.Field)
	if idx < 0 || from >= limit || !literal.HoldsHint(block[from:limit], rd.opt.Tap.Hints) {
		return -1
	}
	for from < limit {
		end := lineEnd(block, from)
		if v, ok := fieldAt(trimCR(block[from:end]), idx); ok && len(v) > 0 && rd.opt.Tap.Match(v) {
			return from
		}
		from = end + 1
	}
	return -1
}

// emit parses the record starting at start and calls fn; it returns the
// end of the record's last physical line.
func (rd *Reader) emit(block []byte, start, line int, fn func(*Record)) int {
	return rd.emitChecked(block, start, line, fn, true)
}

// emitChecked is emit that asks the Precheck only when precheck is set (a
// line selected by the Tap is wanted whatever its text).
func (rd *Reader) emitChecked(block []byte, start, line int, fn func(*Record), precheck bool) int {
	end := lineEnd(block, start)
	raw := trimCR(block[start:end])
	if precheck && rd.opt.Precheck != nil && !rd.opt.Precheck(raw) && !rd.tapMatches(raw) {
		return end
	}
	var q quoteScanner
	if q.feed(raw); q.in {
		// A quoted field with a line break: take the following lines too,
		// scanning each once.
		e := end
		for n := 0; n < maxRecordLines && e < len(block); n++ {
			e2 := lineEnd(block, e+1)
			q.feed([]byte{'\n'})
			if q.feed(trimCR(block[e+1 : e2])); !q.in {
				end = e2
				raw = trimCR(block[start:end])
				break
			}
			e = e2
		}
	}
	fields, _ := splitCSV(rd.fields[:0], raw)
	rd.fields = fields
	rd.rec = Record{Line: line, Raw: raw, Fields: fields, Schema: rd.schema, Header: &rd.header}
	if t, ok := rd.rec.Time(); ok {
		rd.stats.widen(t)
	}
	fn(&rd.rec)
	return end
}

func (rd *Reader) directive(line []byte) {
	s := string(line)
	name, value, ok := strings.Cut(s[1:], ":")
	if !ok {
		return // e.g. PowerShell's "#TYPE ..." line
	}
	value = strings.TrimSpace(value)
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "software":
		rd.header.Software = value
	case "version":
		rd.header.Version = value
	case "log-type":
		rd.header.LogType = value
	case "date":
		rd.header.Date = value
	case "fields":
		names := strings.Split(value, ",")
		for i := range names {
			names[i] = strings.TrimSpace(names[i])
		}
		rd.schema = NewSchema(names)
	}
}

// rememberLastData keeps the last data line of the block for the file's
// newest timestamp.
func (rd *Reader) rememberLastData(block []byte) {
	end := len(block)
	for end > 0 {
		e := end
		if block[e-1] == '\n' {
			e--
		}
		start := bytes.LastIndexByte(block[:e], '\n') + 1
		line := trimCR(block[start:e])
		if len(line) > 0 && startsWithDigit(line) {
			rd.lastData = append(rd.lastData[:0], firstFieldBytes(line)...)
			rd.lastDataSet = true
			return
		}
		end = start
	}
}

// nextDirective finds the next line starting with '#' at or after from.
func nextDirective(block []byte, from int) int {
	for from < len(block) {
		i := bytes.IndexByte(block[from:], '#')
		if i < 0 {
			return -1
		}
		p := from + i
		if p == 0 || block[p-1] == '\n' {
			return p
		}
		from = p + 1
	}
	return -1
}

func lineEnd(block []byte, from int) int {
	if from >= len(block) {
		return len(block)
	}
	if i := bytes.IndexByte(block[from:], '\n'); i >= 0 {
		return from + i
	}
	return len(block)
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

func startsWithDigit(b []byte) bool { return len(b) > 0 && b[0] >= '0' && b[0] <= '9' }

// looksLikeHeader accepts a bare CSV header line only when it names a time
// field, as every Exchange log's does: a copy cut from the middle of a file
// starts with a fragment of a record, which must not become the field list.
func looksLikeHeader(line []byte) bool {
	if startsWithDigit(line) {
		return false
	}
	f, _ := splitCSV(nil, line)
	return NewSchema(f).timeField >= 0
}

func firstFieldBytes(line []byte) []byte {
	if i := bytes.IndexByte(line, ','); i >= 0 {
		line = line[:i]
	}
	return bytes.Trim(line, `"`)
}

func firstField(line []byte) string { return string(firstFieldBytes(line)) }
