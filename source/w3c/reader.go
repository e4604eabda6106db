// Package w3c reads the request logs IIS writes in the W3C extended format
// (u_exYYMMDD.log under inetpub\logs\LogFiles\W3SVC<n>). On an Exchange
// server they record every request to the front end (site 1, Default Web
// Site) and to the back end (site 2, Exchange Back End): the web shell
// calls that followed ProxyLogon show there with client address, user
// agent and status, whatever Exchange's own logs kept.
//
// A file is lines of space-separated values under '#' directives; the
// #Fields directive names the values, and a new directive block (after an
// IIS restart) may change the list in the middle of a file. The reader
// streams in constant memory and gives exact 1-based physical line numbers,
// the ones grep -n prints. Given a literal matcher it searches raw blocks
// and splits only the lines that hold a literal, so that gigabytes of
// request logs are read at memory speed; without one it yields every
// record.
//
// Values: IIS writes "-" for an empty value and '+' for a space inside a
// value (user agents), and never writes a space inside one. Record.Get
// gives the value ("" for "-"), Record.GetBytes the token as written.
package w3c

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/exhunt/exhunt/source/literal"
)

// DefaultBufferSize is the read block size and so the longest line the
// reader parses; longer lines are reported as problems and skipped. IIS
// lines are a few hundred bytes; a back-end line with Exchange's Log=
// diagnostics in the query or a large cookie reaches tens of KB.
const DefaultBufferSize = 1 << 20

// minBufferSize keeps the UTF-16 test and the long-line overlap working.
const minBufferSize = 16

// maxProblems bounds the problems kept per file: a corrupt or hostile file
// can have millions of bad lines, and the first ones tell the story.
const maxProblems = 50

// maxValues bounds the values split from one line, and so the memory a
// line of a million spaces can take; IIS logs at most a few dozen fields.
const maxValues = 4096

// maxFieldNames bounds a #Fields list for the same reason.
const maxFieldNames = 1024

// longLineOverlap is how much of a skipped long line is kept when its next
// part is read, so that a literal cut in two by a read is still seen.
const longLineOverlap = 256

// Options configure a Reader.
type Options struct {
	// Matcher selects the lines to parse; nil yields every record.
	Matcher *literal.Matcher
	// Precheck, when set, is asked about each data line the Matcher
	// selected (each data line when there is no Matcher), with the raw
	// line, before it is split: a cheap test that spares the split of
	// lines holding a literal in the wrong place.
	Precheck func(line []byte) bool
	// Tap, when set, also selects every data line whose named field Match
	// accepts, whether or not it holds a literal (a lookup of each line's
	// client address in a set of thousands, which no literal search does
	// at speed). The Precheck is not asked about such lines.
	Tap *Tap
	// DefaultFields name the values of data lines that come before any
	// #Fields directive (an excerpt, a file whose head was lost); nil
	// leaves such values nameless. ExchangeDefaultFields is the usual
	// choice.
	DefaultFields []string
	// BufferSize overrides DefaultBufferSize (tests use small ones); at
	// least 16.
	BufferSize int
}

// Tap selects lines by the value of one field.
type Tap struct {
	// Field is the field's name in the #Fields list ("c-ip").
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
	Software, Version string
	// Date is the #Date directive as written ("2019-09-03 10:04:35"): when
	// the block was started. A field list without a date field takes its
	// day from here.
	Date string
	// StartDate and EndDate are the W3C #Start-Date and #End-Date
	// directives, which IIS does not write but other writers of the
	// format do.
	StartDate, EndDate string
}

// Record is one data line. It and its slices are valid only during the
// callback.
type Record struct {
	// Line is the 1-based physical line number.
	Line int
	// Raw is the line without its line ending.
	Raw []byte
	// Fields are the values as written, "-" included.
	Fields [][]byte
	// Schema is the field list in force; nil when the file declared none
	// and no default was given (values are then known by position only).
	Schema *Schema
	Header *Header
}

// Field returns the i-th value as written, nil when the line has none.
func (r *Record) Field(i int) []byte {
	if i < 0 || i >= len(r.Fields) {
		return nil
	}
	return r.Fields[i]
}

// GetBytes returns the named value as written ("-" for empty), nil when the
// field list lacks the field.
func (r *Record) GetBytes(name string) []byte { return r.Field(r.Schema.Index(name)) }

// Get returns the named value: "" when the field list lacks it or IIS wrote
// "-" for it.
func (r *Record) Get(name string) string {
	b := r.GetBytes(name)
	if IsEmpty(b) {
		return ""
	}
	return string(b)
}

// Time is when IIS logged the request (UTC, as IIS writes it): the date and
// time fields, or when the list has only a time field, the time on the day
// of the #Date directive (IIS starts a new file each day, so the day does
// not change within a block).
func (r *Record) Time() (time.Time, bool) {
	s := r.Schema
	if s == nil {
		return prefixTime(trimLead(r.Raw), headerDate(r.Header))
	}
	clock := r.Field(s.time)
	if clock == nil {
		return time.Time{}, false
	}
	if s.date >= 0 {
		return dateTime(r.Field(s.date), clock)
	}
	return dateTime(headerDate(r.Header), clock)
}

// Problem is a line the reader could not use, or used with a caveat.
type Problem struct {
	Line int
	Err  string
}

func (p Problem) String() string { return fmt.Sprintf("line %d: %s", p.Line, p.Err) }

// Stats describe a file after reading.
type Stats struct {
	Bytes int64
	// Lines counts physical lines, as wc -l does plus a last line without
	// a line ending.
	Lines int
	// Oldest and Newest bound the times of the file's first data line,
	// of the last data line of every block read, and of the records
	// delivered; IIS writes lines in time order, so this is the span the
	// file covers even when a matcher skipped most lines.
	Oldest, Newest time.Time
	// Problems are the first bad lines; MoreProblems counts those beyond.
	// With a Matcher, only lines holding a literal are examined.
	Problems     []Problem
	MoreProblems int
	// Software is the last #Software directive ("Microsoft Internet
	// Information Services 10.0").
	Software string
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

// ErrUTF16 is returned for files in UTF-16, which IIS does not write (u_
// files are UTF-8, the others the ANSI code page): such a file was
// converted, and reading it byte-wise would find nothing.
var ErrUTF16 = errors.New("file is UTF-16 encoded; IIS writes its logs in UTF-8 or the ANSI code page")

// Reader reads log files one after another, reusing its buffers. It is not
// safe for concurrent use; give each worker its own.
type Reader struct {
	buf      []byte
	matcher  *literal.Matcher
	precheck func([]byte) bool
	tap      *Tap
	// tapped is set while the line being delivered was selected by the
	// tap, which the precheck is not asked about.
	tapped   bool
	defaults *Schema
	fields   [][]byte
	rec      Record
	// cached is the last field list built; the next file of a folder
	// usually declares the same one.
	cached *Schema

	// per-file state
	stats      Stats
	header     Header
	schema     *Schema
	fieldsLine int  // line of the #Fields in force; 0 for the default list
	startup    bool // still reading the leading lines one by one
	lineBase   int  // number of the line that starts at block[counted]
	counted    int
}

// NewReader makes a reader.
func NewReader(opt Options) *Reader {
	rd := &Reader{}
	rd.Reset(opt)
	return rd
}

// Reset changes the options for the next files, keeping the buffer unless
// another size is asked for.
func (rd *Reader) Reset(opt Options) {
	size := opt.BufferSize
	if size <= 0 {
		size = DefaultBufferSize
	}
	size = max(size, minBufferSize)
	if len(rd.buf) != size {
		rd.buf = make([]byte, size)
	}
	rd.matcher = nil
	if opt.Matcher != nil && !opt.Matcher.Empty() {
		rd.matcher = opt.Matcher.Clone()
	}
	rd.precheck = opt.Precheck
	rd.tap = opt.Tap
	rd.defaults = nil
	if len(opt.DefaultFields) > 0 {
		rd.defaults = NewSchema(append([]string(nil), opt.DefaultFields...))
	}
}

// Read reads one file and calls fn for each selected record. It returns the
// file's statistics; the error is for a read that failed (the records
// before it have been delivered) or ErrUTF16.
func (rd *Reader) Read(r io.Reader, fn func(*Record)) (Stats, error) {
	rd.stats = Stats{}
	rd.header = Header{}
	rd.schema, rd.fieldsLine = nil, 0
	rd.startup = true
	rd.lineBase = 1

	buf := rd.buf
	keep := min(longLineOverlap, len(buf)/4)
	carry := 0
	first := true
	skipping := false // inside a line longer than the buffer
	skipHit := false
	skipDirective := false
	skipLine := 0
	var readErr error
	for {
		n, err := io.ReadFull(r, buf[carry:])
		rd.stats.Bytes += int64(n)
		end := err != nil
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			readErr = err
		}
		data := buf[:carry+n]
		if first && len(data) > 0 {
			first = false
			if isUTF16(data) {
				return rd.stats, ErrUTF16
			}
			data = bytes.TrimPrefix(data, bom)
		}
		if skipping {
			// data starts with the kept tail of the line's previous
			// part, which holds no line end.
			nl := bytes.IndexByte(data, '\n')
			part := data
			if nl >= 0 {
				part = data[:nl]
			}
			if rd.matcher != nil && !skipHit && rd.matcher.Contains(part) {
				skipHit = true
			}
			if nl < 0 && !end {
				carry = copy(buf, data[len(data)-keep:])
				continue
			}
			rd.longLine(skipLine, skipHit, skipDirective)
			skipping = false
			rd.lineBase++
			if nl < 0 {
				data = data[:0]
			} else {
				data = data[nl+1:]
			}
		}
		block := data
		if !end {
			cut := bytes.LastIndexByte(data, '\n') + 1
			// Only a buffer filled from its start holds a line longer
			// than the buffer; data that starts further in (after a BOM
			// or a skipped line) is a partial line to complete.
			if cut == 0 && len(data) == len(buf) {
				skipping, skipLine = true, rd.lineBase
				skipHit = rd.matcher != nil && rd.matcher.Contains(data)
				_, kind := classify(data)
				skipDirective = kind == kindDirective
				carry = copy(buf, data[len(data)-keep:])
				continue
			}
			block = data[:cut]
		}
		rd.block(block, fn)
		if end {
			if len(block) > 0 && block[len(block)-1] != '\n' {
				rd.lineBase++ // the last line has no line ending
			}
			break
		}
		carry = copy(buf, data[len(block):])
	}
	rd.stats.Lines = rd.lineBase - 1
	rd.stats.Software = rd.header.Software
	return rd.stats, readErr
}

// isUTF16 recognises UTF-16 by its byte order mark, or without one by the
// zero byte after every ASCII character that a converted file starts with.
func isUTF16(b []byte) bool {
	if bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF}) {
		return true
	}
	if len(b) < 4 {
		return false
	}
	le := b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0
	be := b[0] == 0 && b[1] != 0 && b[2] == 0 && b[3] != 0
	return le || be
}

func (rd *Reader) longLine(line int, hit, directive bool) {
	if directive {
		rd.stats.problem(line, "a directive line longer than %d bytes; skipped, and a field list in it was not taken", len(rd.buf))
		return
	}
	if hit {
		rd.stats.problem(line, "line is longer than %d bytes and contains a searched literal; it was not parsed, review it by hand", len(rd.buf))
		return
	}
	rd.stats.problem(line, "line is longer than %d bytes; skipped", len(rd.buf))
}

// lineAt returns the number of the line starting at pos; positions asked
// for within a block only grow.
func (rd *Reader) lineAt(block []byte, pos int) int {
	rd.lineBase += bytes.Count(block[rd.counted:pos], []byte{'\n'})
	rd.counted = pos
	return rd.lineBase
}

// block processes whole lines; block starts at a line start.
func (rd *Reader) block(block []byte, fn func(*Record)) {
	rd.counted = 0
	cursor := 0
	// The leading lines are read one by one up to the first data line,
	// whose time starts the file's span and which decides whether the
	// default field list is needed.
	for rd.startup && cursor < len(block) {
		end := lineEnd(block, cursor)
		ln := rd.lineAt(block, cursor)
		raw := trimCR(block[cursor:end])
		body, kind := classify(raw)
		selected := rd.matcher == nil || rd.matcher.Contains(raw)
		if !selected && rd.tap != nil && kind == kindData && rd.schema != nil {
			if i := rd.schema.Index(rd.tap.Field); i >= 0 && rd.tap.Match(tokenAt(body, i)) {
				selected, rd.tapped = true, true
			}
		}
		switch kind {
		case kindDirective:
			rd.directive(raw, body, ln)
		case kindNUL:
			if selected {
				rd.data(raw, body, ln, fn, rd.matcher != nil)
			}
		case kindData:
			if rd.schema == nil {
				rd.assumeFields(ln)
			}
			if t, ok := prefixTime(body, headerDate(&rd.header)); ok {
				rd.stats.widen(t)
			}
			rd.startup = false
			if selected {
				rd.data(raw, body, ln, fn, rd.matcher != nil)
			}
		}
		rd.tapped = false
		cursor = end + 1
	}

	if rd.matcher == nil {
		for cursor < len(block) {
			end := lineEnd(block, cursor)
			rd.line(trimCR(block[cursor:end]), rd.lineAt(block, cursor), fn, false)
			cursor = end + 1
		}
	} else {
		rd.searchBlock(block, cursor, fn)
	}
	rd.lineAt(block, len(block))
	rd.widenLast(block)
}

// searchBlock handles, in file order, the directives of the block and the
// lines that hold a literal, and nothing else.
func (rd *Reader) searchBlock(block []byte, cursor int, fn func(*Record)) {
	rd.matcher.Reset()
	nextDir := -2 // -2: not searched yet; -1: none left
	for cursor < len(block) {
		hit := rd.matcher.Index(block, cursor)
		if nextDir == -2 || (nextDir >= 0 && nextDir < cursor) {
			nextDir = nextDirective(block, cursor)
		}
		hitLine := -1
		if hit >= 0 {
			hitLine = bytes.LastIndexByte(block[:hit], '\n') + 1
		}
		if rd.tap != nil {
			limit := len(block)
			if hitLine >= 0 {
				limit = hitLine
			}
			if nextDir >= 0 && nextDir < limit {
				limit = nextDir
			}
			if tapped := rd.tapLines(block, cursor, limit); tapped >= 0 {
				end := lineEnd(block, tapped)
				rd.tapped = true
				rd.line(trimCR(block[tapped:end]), rd.lineAt(block, tapped), fn, false)
				rd.tapped = false
				cursor = end + 1
				continue
			}
		}
		if nextDir >= 0 && (hitLine < 0 || nextDir <= hitLine) {
			end := lineEnd(block, nextDir)
			rd.line(trimCR(block[nextDir:end]), rd.lineAt(block, nextDir), fn, true)
			cursor = end + 1
			continue
		}
		if hitLine < 0 {
			return
		}
		end := lineEnd(block, hitLine)
		rd.line(trimCR(block[hitLine:end]), rd.lineAt(block, hitLine), fn, true)
		cursor = end + 1
	}
}

// tapLines returns the start of the first line in block[from:limit] whose
// tapped field matches, or -1; the lines there are data lines or blank.
func (rd *Reader) tapLines(block []byte, from, limit int) int {
	if rd.schema == nil {
		return -1
	}
	idx := rd.schema.Index(rd.tap.Field)
	if idx < 0 || from >= limit || !literal.HoldsHint(block[from:limit], rd.tap.Hints) {
		return -1
	}
	for from < limit {
		end := lineEnd(block, from)
		if v := tokenAt(trimCR(block[from:end]), idx); len(v) > 0 && rd.tap.Match(v) {
			return from
		}
		from = end + 1
	}
	return -1
}

// tapMatches reports whether a data line's tapped field matches (a line
// the literals chose but the precheck did not is still wanted for its
// client).
func (rd *Reader) tapMatches(body []byte) bool {
	if rd.tap == nil || rd.schema == nil {
		return false
	}
	i := rd.schema.Index(rd.tap.Field)
	return i >= 0 && rd.tap.Match(tokenAt(body, i))
}

// tokenAt is the n-th (0-based) space-separated value of line, nil when it
// has fewer.
func tokenAt(line []byte, n int) []byte {
	if n < 0 {
		return nil
	}
	tok, rest := nextToken(line)
	for ; n > 0 && tok != nil; n-- {
		tok, rest = nextToken(rest)
	}
	return tok
}

func (rd *Reader) line(raw []byte, ln int, fn func(*Record), selected bool) {
	switch body, kind := classify(raw); kind {
	case kindDirective:
		rd.directive(raw, body, ln)
	case kindData, kindNUL:
		rd.data(raw, body, ln, fn, selected)
	}
}

const (
	kindBlank = iota
	kindDirective
	kindData
	kindNUL // only NUL bytes
)

var bom = []byte{0xEF, 0xBB, 0xBF}

// trimLead passes over what may come before the text of a line: NUL bytes
// (when a server stops without closing the file, the file keeps the space
// IIS had reserved, zero-filled, and IIS writes on after it, so that a
// header block or a record follows the zeros on the same line) and byte
// order marks (files joined into one).
func trimLead(raw []byte) []byte {
	for {
		switch {
		case len(raw) > 0 && raw[0] == 0:
			raw = raw[1:]
		case bytes.HasPrefix(raw, bom):
			raw = raw[len(bom):]
		default:
			return raw
		}
	}
}

// classify tells directives from data, past the NUL bytes and byte order
// marks trimLead passes over.
func classify(raw []byte) (body []byte, kind int) {
	body = trimLead(raw)
	switch {
	case len(body) == 0 && bytes.IndexByte(raw, 0) >= 0:
		return body, kindNUL
	case len(bytes.Trim(body, " \t")) == 0:
		return body, kindBlank
	case body[0] == '#':
		return body, kindDirective
	}
	return body, kindData
}

func (rd *Reader) nulPrefix(raw, body []byte, ln int) {
	if n := bytes.Count(raw[:len(raw)-len(body)], []byte{0}); n > 0 {
		rd.stats.problem(ln, "%d NUL bytes before the text: the server stopped without closing the file, and the time until IIS wrote again may be missing", n)
	}
}

func (rd *Reader) assumeFields(ln int) {
	if rd.defaults != nil {
		rd.schema = rd.defaults
		rd.stats.problem(ln, "no #Fields directive before the first record; the default list of %d IIS fields was assumed", len(rd.defaults.Names))
		return
	}
	rd.stats.problem(ln, "no #Fields directive before the first record; values are known by position only")
}

func (rd *Reader) directive(raw, body []byte, ln int) {
	rd.nulPrefix(raw, body, ln)
	text := body[1:]
	colon := bytes.IndexByte(text, ':')
	if colon < 0 {
		return // a comment
	}
	name, value := bytes.TrimSpace(text[:colon]), bytes.TrimSpace(text[colon+1:])
	set := func(dst *string) {
		if string(value) != *dst {
			*dst = string(value)
		}
	}
	switch {
	case literal.EqualFold(name, "fields"):
		rd.setFields(value, ln)
	case literal.EqualFold(name, "software"):
		set(&rd.header.Software)
	case literal.EqualFold(name, "version"):
		set(&rd.header.Version)
	case literal.EqualFold(name, "date"):
		set(&rd.header.Date)
	case literal.EqualFold(name, "start-date"):
		set(&rd.header.StartDate)
	case literal.EqualFold(name, "end-date"):
		set(&rd.header.EndDate)
	}
}

func (rd *Reader) setFields(value []byte, ln int) {
	rd.fieldsLine = ln
	switch {
	case rd.schema.sameNames(value):
	case rd.cached.sameNames(value):
		rd.schema = rd.cached
	default:
		var names []string
		for tok, rest := nextToken(value); tok != nil; tok, rest = nextToken(rest) {
			if len(names) == maxFieldNames {
				rd.stats.problem(ln, "the field list names more than %d fields, which IIS cannot log; the lines under it are not read", maxFieldNames)
				names = nil
				break
			}
			names = append(names, string(tok))
		}
		rd.schema = NewSchema(names)
		rd.cached = rd.schema
	}
}

// data checks a data line against the field list and delivers it.
// selected says that the matcher chose the line, which a problem then
// mentions: the line may be the evidence sought.
func (rd *Reader) data(raw, body []byte, ln int, fn func(*Record), selected bool) {
	if rd.precheck != nil && !rd.tapped && !rd.precheck(raw) && !rd.tapMatches(body) {
		return
	}
	hint := ""
	if selected {
		hint = "; it contains a searched literal, review it by hand"
	}
	if len(body) == 0 {
		rd.stats.problem(ln, "the line is only NUL bytes: the server stopped without closing the file%s", hint)
		return
	}
	rd.nulPrefix(raw, body, ln)
	if bytes.IndexByte(body, 0) >= 0 {
		rd.stats.problem(ln, "NUL bytes inside the line: not a record%s: %s", hint, excerpt(body))
		return
	}
	fields, complete := splitTokens(rd.fields[:0], body)
	rd.fields = fields
	if s := rd.schema; s != nil && (len(fields) != len(s.Names) || !complete) {
		count := fmt.Sprintf("%d values", len(fields))
		switch {
		case !complete:
			count = fmt.Sprintf("more than %d values", maxValues)
		case len(fields) == 1:
			count = "1 value"
		}
		fixed, ok := rd.spacedUserAgent(fields, body)
		if !ok || !complete {
			rd.stats.problem(ln, "%s where %s names %d: not a record of that list%s: %s", count, rd.fieldsSource(), len(s.Names), hint, excerpt(body))
			return
		}
		rd.stats.problem(ln, "%s where %s names %d; the extra spaces were taken to be inside the user agent, which IIS writes with '+' for spaces (the line was edited or converted)", count, rd.fieldsSource(), len(s.Names))
		fields = fixed
	}
	rd.rec = Record{Line: ln, Raw: raw, Fields: fields, Schema: rd.schema, Header: &rd.header}
	if t, ok := rd.rec.Time(); ok {
		rd.stats.widen(t)
	}
	fn(&rd.rec)
}

func (rd *Reader) fieldsSource() string {
	if rd.fieldsLine == 0 {
		return "the assumed default field list"
	}
	return fmt.Sprintf("the #Fields directive of line %d", rd.fieldsLine)
}

// spacedUserAgent reads a line whose user agent holds spaces, as copies
// edited by hand or converted by other tools have them (IIS itself writes
// '+'): the surplus values are taken to belong to the user agent when the
// values before and after it then line up with the field list. A surplus
// value that holds a date is the start of another record whose line end
// was lost (glued to the last value of the record before), and the line is
// refused.
func (rd *Reader) spacedUserAgent(fields [][]byte, body []byte) ([][]byte, bool) {
	s := rd.schema
	ua, n := s.userAgent, len(s.Names)
	if ua < 0 || len(fields) <= n {
		return nil, false
	}
	extra := len(fields) - n
	for _, f := range fields[ua+1 : ua+1+extra] {
		if containsDate(f) {
			return nil, false
		}
	}
	// Values are subslices of body, so their capacities give their
	// offsets in it.
	first, last := fields[ua], fields[ua+extra]
	start := cap(body) - cap(first)
	end := cap(body) - cap(last) + len(last)
	fields[ua] = body[start:end]
	copy(fields[ua+1:], fields[ua+1+extra:])
	return fields[:n], true
}

// containsDate reports whether b holds a yyyy-mm-dd date.
func containsDate(b []byte) bool {
	for i := 0; i+10 <= len(b); i++ {
		if _, _, _, ok := parseDate(b[i : i+10]); ok {
			return true
		}
	}
	return false
}

// widenLast takes the time of the block's last data line into the file's
// span; it looks back over a few lines at most, past a torn or zero-filled
// end.
func (rd *Reader) widenLast(block []byte) {
	end := len(block)
	for range 16 {
		if end == 0 {
			return
		}
		e := end
		if block[e-1] == '\n' {
			e--
		}
		start := bytes.LastIndexByte(block[:e], '\n') + 1
		if body, kind := classify(trimCR(block[start:e])); kind == kindData {
			if t, ok := prefixTime(body, headerDate(&rd.header)); ok {
				rd.stats.widen(t)
				return
			}
		}
		end = start
	}
}

// nextDirective finds the start of the next line at or after from whose
// text, past what trimLead passes over, starts with '#'.
func nextDirective(block []byte, from int) int {
	for from < len(block) {
		i := bytes.IndexByte(block[from:], '#')
		if i < 0 {
			return -1
		}
		p := from + i
		q := p
		for q > 0 {
			if block[q-1] == 0 {
				q--
			} else if bytes.HasSuffix(block[:q], bom) {
				q -= len(bom)
			} else {
				break
			}
		}
		if q == 0 || block[q-1] == '\n' {
			return q
		}
		from = p + 1
	}
	return -1
}

func lineEnd(block []byte, from int) int {
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

// nextToken returns the first space-separated value of b and what follows
// it; tok is nil when b holds no value. Runs of spaces separate like one:
// IIS writes one, and a doubled space in an edited copy is no empty value
// (IIS writes "-" for those).
func nextToken(b []byte) (tok, rest []byte) {
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	if i == len(b) {
		return nil, nil
	}
	b = b[i:]
	if j := bytes.IndexByte(b, ' '); j >= 0 {
		return b[:j], b[j:]
	}
	return b, nil
}

// splitTokens appends the values of line to dst; complete is false when
// there were more than maxValues.
func splitTokens(dst [][]byte, line []byte) (out [][]byte, complete bool) {
	for tok, rest := nextToken(line); tok != nil; tok, rest = nextToken(rest) {
		if len(dst) == maxValues {
			return dst, false
		}
		dst = append(dst, tok)
	}
	return dst, true
}

// excerpt quotes the start of a bad line for a problem.
func excerpt(b []byte) string {
	const n = 60
	if len(b) > n {
		return fmt.Sprintf("%q...", b[:n])
	}
	return fmt.Sprintf("%q", b)
}
