package w3c

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/source/literal"
)

// FuzzRead feeds arbitrary bytes, literals and small buffers to the reader
// with and without a matcher. Besides not panicking: every record is the
// physical line its number names, numbers ascend within the file's line
// count, a matched record's line holds a literal, and the matcher selects
// a subset of the records of a full read, with the same values.
func FuzzRead(f *testing.F) {
	for _, name := range realFiles {
		if data, err := os.ReadFile(filepath.Join(sharedLogs, name)); err == nil {
			f.Add(data[:min(len(data), 1500)], "/owa/auth/|conn.aspx", uint16(200))
		}
	}
	f.Add([]byte("\xEF\xBB\xBF"+header15+lineOwa+"-----\r\n"+lineSh), "shell.aspx|-----", uint16(100))
	f.Add([]byte(header15+strings.Repeat("\x00", 40)+"#Fields: time c-ip\r\n#Date: 2021-03-03 00:00:00\n12:00:00 ::1\n"), "::1|#", uint16(17))
	f.Add([]byte("\xEF\xBB\xBF"+header15+lineOwa+"\xEF\xBB\xBF\x00"+header15+"\xEF\xBB\xBF\n"+lineSh), "x.js|#Fields", uint16(64))
	f.Add([]byte("2021-03-03 06:49:42 a (b c) d\n#Fields: date time cs(User-Agent) x\n2021-03-03 06:49:42 a (b c) d\n"), "(b", uint16(9))
	f.Fuzz(func(t *testing.T, data []byte, lits string, bufSize uint16) {
		size := int(bufSize)%512 + minBufferSize
		var literals []string
		for _, l := range strings.Split(lits, "|") {
			// Literals are searched within lines.
			if !strings.ContainsAny(l, "\r\n") {
				literals = append(literals, l)
			}
		}
		physical := bytes.Split(bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF}), []byte{'\n'})
		lineCount := len(physical)
		if len(physical[lineCount-1]) == 0 {
			lineCount--
		}

		type rec struct {
			Raw    string
			Fields []string
		}
		read := func(m *literal.Matcher, tap *Tap) (map[int]rec, Stats, error) {
			out := map[int]rec{}
			last := 0
			rd := NewReader(Options{BufferSize: size, Matcher: m, DefaultFields: ExchangeDefaultFields, Tap: tap})
			st, err := rd.Read(bytes.NewReader(data), func(r *Record) {
				if r.Line <= last || r.Line > lineCount {
					t.Fatalf("line %d after line %d, in a file of %d lines", r.Line, last, lineCount)
				}
				last = r.Line
				if want := bytes.TrimSuffix(physical[r.Line-1], []byte{'\r'}); !bytes.Equal(r.Raw, want) {
					t.Fatalf("record of line %d is %q; the line is %q", r.Line, r.Raw, want)
				}
				var fields []string
				for _, f := range r.Fields {
					fields = append(fields, string(f))
				}
				out[r.Line] = rec{string(r.Raw), fields}
				r.Get(FieldUserAgent)
				r.Time()
				DecodeURI(r.Get(FieldQuery))
				ClientAddr(r.Get(FieldClientIP))
			})
			return out, st, err
		}
		full, stFull, errFull := read(nil, nil)
		m := literal.NewMatcher(literals...)
		matched, stMatch, errMatch := read(m, nil)
		// With a tap on the client address, a line is selected by a
		// literal or by its address, and is still a record of the full read.
		tap := &Tap{Field: FieldClientIP, Match: func(v []byte) bool { return len(v) > 0 && v[len(v)-1]&1 == 1 }}
		tapped, stTap, _ := read(m, tap)
		if stTap.Lines != stFull.Lines {
			t.Fatalf("lines: tap %d, full %d", stTap.Lines, stFull.Lines)
		}
		for line, r := range tapped {
			if want, ok := full[line]; !ok || !reflect.DeepEqual(want, r) {
				t.Fatalf("tap selected line %d (%q), which a full read gives as %q", line, r, want)
			}
		}
		if errFull != errMatch {
			t.Fatalf("errors differ: %v, %v", errFull, errMatch)
		}
		if errFull != nil {
			return
		}
		if stFull.Lines != lineCount || stMatch.Lines != lineCount || stFull.Bytes != int64(len(data)) || stMatch.Bytes != stFull.Bytes {
			t.Fatalf("lines %d/%d, bytes %d/%d; the file has %d lines, %d bytes", stFull.Lines, stMatch.Lines, stFull.Bytes, stMatch.Bytes, lineCount, len(data))
		}
		for _, p := range append(stFull.Problems, stMatch.Problems...) {
			if p.Line < 1 || p.Line > lineCount {
				t.Fatalf("problem at line %d of %d: %v", p.Line, lineCount, p)
			}
		}
		check := literal.NewMatcher(literals...)
		for line, r := range matched {
			if !m.Empty() && !check.Contains([]byte(r.Raw)) {
				t.Fatalf("line %d selected without a literal: %q", line, r.Raw)
			}
			want, ok := full[line]
			if !ok {
				t.Fatalf("the matcher selected line %d, which a full read did not yield", line)
			}
			if !reflect.DeepEqual(want, r) {
				t.Fatalf("line %d: with the matcher %q, without %q", line, r, want)
			}
		}
	})
}
