package w3c

import (
	"bytes"
	"fmt"
	"math/rand"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/source/literal"
)

const (
	header15 = "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:01\r\n" +
		"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n"
	lineOwa  = "2021-03-03 06:49:42 10.0.0.5 POST /owa/auth/x.js - 443 - 192.0.2.7 python-requests/2.25.1 - 200 0 0 15\r\n"
	lineEcp  = "2021-03-03 06:50:01 10.0.0.5 POST /ecp/DDI/DDIService.svc/SetObject schema=ResetOABVirtualDirectory&msExchEcpCanary=x 443 - 192.0.2.7 ExchangeServicesClient/0.0.0.0 - 200 0 0 88\r\n"
	lineSh   = "2021-03-03 07:12:00 10.0.0.5 POST /owa/auth/shell.aspx - 443 - 203.0.113.9 Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 5\r\n"
	lineHome = "2021-03-03 08:00:00 10.0.0.5 GET /owa/ - 443 DOMAIN\\alice 198.51.100.1 Mozilla/5.0 - 302 0 0 1\r\n"
)

type got struct {
	Line   int
	Fields map[string]string
}

func readAll(t *testing.T, text string, opt Options, names ...string) ([]got, Stats) {
	t.Helper()
	rd := NewReader(opt)
	var out []got
	st, err := rd.Read(strings.NewReader(text), func(r *Record) {
		g := got{Line: r.Line, Fields: map[string]string{}}
		for _, n := range names {
			g.Fields[n] = r.Get(n)
		}
		out = append(out, g)
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return out, st
}

func problemLines(st Stats) []int {
	var out []int
	for _, p := range st.Problems {
		out = append(out, p.Line)
	}
	return out
}

func TestReaderForms(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		match    []string
		defaults []string
		fields   []string
		want     []got
		problems []int
	}{
		{
			name:   "header block, CRLF, BOM",
			text:   "\xEF\xBB\xBF" + header15 + lineOwa + lineEcp,
			fields: []string{FieldStem, FieldClientIP, FieldStatus},
			want: []got{
				{5, map[string]string{FieldStem: "/owa/auth/x.js", FieldClientIP: "192.0.2.7", FieldStatus: "200"}},
				{6, map[string]string{FieldStem: "/ecp/DDI/DDIService.svc/SetObject", FieldClientIP: "192.0.2.7", FieldStatus: "200"}},
			},
		},
		{
			name:   "LF only, no final line end",
			text:   strings.ReplaceAll(header15+lineOwa+strings.TrimSuffix(lineSh, "\r\n"), "\r\n", "\n"),
			fields: []string{FieldStem, FieldTimeTaken},
			want: []got{
				{5, map[string]string{FieldStem: "/owa/auth/x.js", FieldTimeTaken: "15"}},
				{6, map[string]string{FieldStem: "/owa/auth/shell.aspx", FieldTimeTaken: "5"}},
			},
		},
		{
			name:   "header block repeated after an IIS restart, blank line and comment",
			text:   header15 + "# Default traces: x\r\n\r\n" + lineOwa + header15 + lineSh,
			fields: []string{FieldStem},
			want: []got{
				{7, map[string]string{FieldStem: "/owa/auth/x.js"}},
				{12, map[string]string{FieldStem: "/owa/auth/shell.aspx"}},
			},
		},
		{
			name: "field list changes mid-file",
			text: header15 + lineOwa +
				"#Fields: date time c-ip cs-method cs-uri-stem sc-status cs-host\r\n" +
				"2021-03-03 09:00:00 192.0.2.8 GET /ecp/y.js 500 mail.contoso.com\r\n",
			fields: []string{FieldStem, FieldClientIP, FieldStatus, FieldHost, FieldPort},
			want: []got{
				{5, map[string]string{FieldStem: "/owa/auth/x.js", FieldClientIP: "192.0.2.7", FieldStatus: "200", FieldHost: "", FieldPort: "443"}},
				{7, map[string]string{FieldStem: "/ecp/y.js", FieldClientIP: "192.0.2.8", FieldStatus: "500", FieldHost: "mail.contoso.com", FieldPort: ""}},
			},
		},
		{
			name: "custom fields of a u_ex..._x.log, names in another case",
			text: "#Fields: date time cs-uri-stem c-ip X-Forwarded-For crypt-protocol\n" +
				"2021-03-03 09:00:00 /owa/auth/errorEE.aspx 10.0.0.1 203.0.113.50 400\n",
			fields: []string{"x-forwarded-for", "CRYPT-PROTOCOL", "C-IP"},
			want: []got{
				{2, map[string]string{"x-forwarded-for": "203.0.113.50", "CRYPT-PROTOCOL": "400", "C-IP": "10.0.0.1"}},
			},
		},
		{
			name:     "no #Fields: the default list, bad lines are problems",
			text:     strings.TrimPrefix(lineOwa, "") + "-----\n" + lineSh,
			defaults: ExchangeDefaultFields,
			fields:   []string{FieldStem, FieldUserAgent},
			want: []got{
				{1, map[string]string{FieldStem: "/owa/auth/x.js", FieldUserAgent: "python-requests/2.25.1"}},
				{3, map[string]string{FieldStem: "/owa/auth/shell.aspx", FieldUserAgent: "Mozilla/5.0+(Windows+NT+10.0)"}},
			},
			problems: []int{1, 2},
		},
		{
			name:   "no #Fields and no default: values by position only",
			text:   "-----\n" + lineSh,
			fields: []string{FieldStem},
			want: []got{
				{1, map[string]string{FieldStem: ""}},
				{2, map[string]string{FieldStem: ""}},
			},
			problems: []int{1},
		},
		{
			name:   "'-' is the empty value",
			text:   header15 + lineHome,
			fields: []string{FieldQuery, FieldUserName, FieldReferer},
			want: []got{
				{5, map[string]string{FieldQuery: "", FieldUserName: `DOMAIN\alice`, FieldReferer: ""}},
			},
		},
		{
			name:   "prefilter keeps physical line numbers, ignores case",
			text:   header15 + lineOwa + lineHome + "\r\n" + lineSh + lineEcp,
			match:  []string{"SHELL.ASPX", "resetoabvirtualdirectory"},
			fields: []string{FieldStem},
			want: []got{
				{8, map[string]string{FieldStem: "/owa/auth/shell.aspx"}},
				{9, map[string]string{FieldStem: "/ecp/DDI/DDIService.svc/SetObject"}},
			},
		},
		{
			name: "prefilter follows a field list that changes between hits",
			text: header15 + lineSh +
				"#Fields: date time cs-uri-stem c-ip\n" +
				"2021-03-03 09:00:00 /owa/auth/shell.aspx 192.0.2.99\n",
			match:  []string{"shell.aspx"},
			fields: []string{FieldStem, FieldClientIP},
			want: []got{
				{5, map[string]string{FieldStem: "/owa/auth/shell.aspx", FieldClientIP: "203.0.113.9"}},
				{7, map[string]string{FieldStem: "/owa/auth/shell.aspx", FieldClientIP: "192.0.2.99"}},
			},
		},
		{
			name: "a header block after zeros left by a crash",
			text: header15 + lineOwa + strings.Repeat("\x00", 300) +
				"#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time cs-uri-stem c-ip\r\n" +
				"2021-03-03 09:00:00 /owa/auth/shell.aspx 192.0.2.99\r\n",
			match:    []string{"shell.aspx", "x.js"},
			fields:   []string{FieldStem, FieldClientIP},
			problems: []int{6},
			want: []got{
				{5, map[string]string{FieldStem: "/owa/auth/x.js", FieldClientIP: "192.0.2.7"}},
				{8, map[string]string{FieldStem: "/owa/auth/shell.aspx", FieldClientIP: "192.0.2.99"}},
			},
		},
		{
			name:   "files joined with their byte order marks",
			text:   "\xEF\xBB\xBF" + header15 + lineOwa + "\xEF\xBB\xBF#Fields: date time cs-uri-stem c-ip\r\n" + "2021-03-03 09:00:00 /owa/auth/shell.aspx 192.0.2.99\r\n",
			match:  []string{"shell.aspx", "x.js"},
			fields: []string{FieldStem, FieldClientIP},
			want: []got{
				{5, map[string]string{FieldStem: "/owa/auth/x.js", FieldClientIP: "192.0.2.7"}},
				{7, map[string]string{FieldStem: "/owa/auth/shell.aspx", FieldClientIP: "192.0.2.99"}},
			},
		},
		{
			name:     "a record after zeros left by a crash",
			text:     header15 + "\x00\x00\x00" + lineSh,
			fields:   []string{FieldStem},
			problems: []int{5},
			want:     []got{{5, map[string]string{FieldStem: "/owa/auth/shell.aspx"}}},
		},
		{
			name:     "wrong field counts, binary and zero lines are problems",
			text:     header15 + "2021-03-03 06:49:42 10.0.0.5 POST\r\n" + lineOwa + "garbage\x00\x01 shell.aspx\r\n\x00\x00\x00\r\n" + lineSh,
			fields:   []string{FieldStem},
			problems: []int{5, 7, 8},
			want: []got{
				{6, map[string]string{FieldStem: "/owa/auth/x.js"}},
				{9, map[string]string{FieldStem: "/owa/auth/shell.aspx"}},
			},
		},
		{
			name: "spaces inside the user agent of an edited copy",
			text: header15 + "2023-12-25 11:54:21 10.10.130.5 GET /owa/auth/a.aspx cmd=whoami 443 - 1.2.3.4 Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/121 - 200 0 0 142\r\n" +
				// Two records on one line (a lost line end) are not one
				// record with a long user agent.
				strings.TrimSuffix(lineOwa, "\r\n") + lineSh,
			fields:   []string{FieldUserAgent, FieldQuery, FieldStatus, FieldTimeTaken},
			problems: []int{5, 6},
			want: []got{
				{5, map[string]string{FieldUserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/121", FieldQuery: "cmd=whoami", FieldStatus: "200", FieldTimeTaken: "142"}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, bufSize := range []int{DefaultBufferSize, 400, 257} {
				opt := Options{BufferSize: bufSize, DefaultFields: tc.defaults}
				if tc.match != nil {
					opt.Matcher = literal.NewMatcher(tc.match...)
				}
				g, st := readAll(t, tc.text, opt, tc.fields...)
				if !reflect.DeepEqual(g, tc.want) {
					t.Errorf("buffer %d:\n got %+v\nwant %+v", bufSize, g, tc.want)
				}
				if pl := problemLines(st); fmt.Sprint(pl) != fmt.Sprint(tc.problems) {
					t.Errorf("buffer %d: problems at %v, want %v: %v", bufSize, pl, tc.problems, st.Problems)
				}
				if want := strings.Count(tc.text, "\n") + btoi(!strings.HasSuffix(tc.text, "\n")); st.Lines != want {
					t.Errorf("buffer %d: Lines = %d, want %d", bufSize, st.Lines, want)
				}
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestReaderProblemText(t *testing.T) {
	text := header15 + "-----\r\n2021-03-03 06:49:42 10.0.0.5 GET /owa/auth/shell.aspx\r\n"
	_, st := readAll(t, text, Options{Matcher: literal.NewMatcher("shell.aspx", "-----")})
	if len(st.Problems) != 2 {
		t.Fatalf("problems %v", st.Problems)
	}
	for _, want := range []string{`1 value where the #Fields directive of line 4 names 15`, `"-----"`, "searched literal"} {
		if !strings.Contains(st.Problems[0].Err, want) {
			t.Errorf("%q lacks %q", st.Problems[0].Err, want)
		}
	}
	if s := st.Problems[1].String(); !strings.HasPrefix(s, "line 6: 5 values") {
		t.Errorf("String() = %q", s)
	}
}

func TestReaderTime(t *testing.T) {
	tests := []struct {
		name string
		text string
		want time.Time
		ok   bool
	}{
		{"date and time", header15 + lineOwa, time.Date(2021, 3, 3, 6, 49, 42, 0, time.UTC), true},
		{"fraction", "#Fields: date time c-ip\n2021-03-03 06:49:42.125 1.2.3.4\n", time.Date(2021, 3, 3, 6, 49, 42, 125e6, time.UTC), true},
		{"only time: the day of #Date", "#Date: 2021-03-04 00:00:00\n#Fields: time c-ip\n23:59:59 1.2.3.4\n", time.Date(2021, 3, 4, 23, 59, 59, 0, time.UTC), true},
		{"only time, no #Date", "#Fields: time c-ip\n23:59:59 1.2.3.4\n", time.Time{}, false},
		{"date fields elsewhere", "#Fields: c-ip time date\n1.2.3.4 01:02:03 2021-03-05\n", time.Date(2021, 3, 5, 1, 2, 3, 0, time.UTC), true},
		{"no such day", "#Fields: date time\n2021-02-30 01:02:03\n", time.Time{}, false},
		{"bad clock", "#Fields: date time\n2021-02-03 24:02:03\n", time.Time{}, false},
		{"no schema: IIS order", "2021-03-03 06:49:42 a b c\n", time.Date(2021, 3, 3, 6, 49, 42, 0, time.UTC), true},
	}
	for _, tc := range tests {
		rd := NewReader(Options{})
		n := 0
		_, err := rd.Read(strings.NewReader(tc.text), func(r *Record) {
			n++
			tm, ok := r.Time()
			if ok != tc.ok || !tm.Equal(tc.want) {
				t.Errorf("%s: Time() = %v, %v; want %v, %v", tc.name, tm, ok, tc.want, tc.ok)
			}
		})
		if err != nil || n != 1 {
			t.Errorf("%s: %d records, %v", tc.name, n, err)
		}
	}
}

func TestReaderStats(t *testing.T) {
	text := header15 + lineOwa + lineEcp + header15 + lineHome + lineSh
	for _, bufSize := range []int{DefaultBufferSize, 300} {
		rd := NewReader(Options{Matcher: literal.NewMatcher("nothing-matches"), BufferSize: bufSize})
		st, err := rd.Read(strings.NewReader(text), func(*Record) { t.Error("a record without the literal") })
		if err != nil {
			t.Fatal(err)
		}
		if st.Lines != 12 || st.Bytes != int64(len(text)) {
			t.Errorf("Lines, Bytes = %d, %d", st.Lines, st.Bytes)
		}
		if want := time.Date(2021, 3, 3, 6, 49, 42, 0, time.UTC); !st.Oldest.Equal(want) {
			t.Errorf("buffer %d: Oldest = %v, want %v", bufSize, st.Oldest, want)
		}
		if want := time.Date(2021, 3, 3, 7, 12, 0, 0, time.UTC); !st.Newest.Equal(want) {
			t.Errorf("buffer %d: Newest = %v, want %v (the last line)", bufSize, st.Newest, want)
		}
		if st.Software != "Microsoft Internet Information Services 10.0" {
			t.Errorf("Software = %q", st.Software)
		}
	}
}

func TestReaderReuse(t *testing.T) {
	rd := NewReader(Options{})
	var schemas []*Schema
	collect := func(r *Record) { schemas = append(schemas, r.Schema) }
	rd.Read(strings.NewReader(header15+lineOwa+header15+lineSh), collect)
	rd.Read(strings.NewReader(header15+lineEcp), collect)
	if len(schemas) != 3 || schemas[0] != schemas[1] || schemas[1] != schemas[2] {
		t.Errorf("the same field list should give the same schema: %p", schemas)
	}
	// The next file's data before its own #Fields must not take the
	// previous file's list.
	schemas = nil
	st, _ := rd.Read(strings.NewReader(lineOwa), collect)
	if len(schemas) != 1 || schemas[0] != nil || len(st.Problems) != 1 {
		t.Errorf("schema leaked from the previous file: %v, %v", schemas, st.Problems)
	}
	rd.Reset(Options{DefaultFields: ExchangeDefaultFields, BufferSize: 64})
	var stems []string
	st, _ = rd.Read(strings.NewReader(lineOwa+lineSh), func(r *Record) { stems = append(stems, r.Get(FieldStem)) })
	if len(stems) != 0 || len(st.Problems) != 2 {
		t.Errorf("a 64-byte buffer should skip both lines as too long: %v %v", stems, st.Problems)
	}
}

func TestReaderPrecheck(t *testing.T) {
	text := header15 + lineOwa + lineSh + lineEcp
	var seen [][]byte
	opt := Options{
		Matcher: literal.NewMatcher("/owa/auth/"),
		Precheck: func(line []byte) bool {
			seen = append(seen, bytes.Clone(line))
			return bytes.Contains(line, []byte(".aspx"))
		},
	}
	g, _ := readAll(t, text, opt, FieldStem)
	if len(g) != 1 || g[0].Line != 6 {
		t.Errorf("records %+v, want line 6 only", g)
	}
	if len(seen) != 2 || !bytes.HasSuffix(seen[0], []byte(" 15")) {
		t.Errorf("Precheck saw %q; want the two matched lines without line ends", seen)
	}
}

func TestReaderLongLines(t *testing.T) {
	long := strings.Repeat("A", 5000)
	text := header15 +
		"2021-03-03 06:49:42 10.0.0.5 GET /x " + long + " 443 - 1.2.3.4 - - 200 0 0 1\n" +
		"2021-03-03 06:49:43 10.0.0.5 GET /owa/auth/shell.aspx " + long + " 443 - 1.2.3.4 - - 200 0 0 1\n" +
		lineSh +
		"2021-03-03 06:49:44 " + long + "shell.aspx" + long
	for _, match := range []bool{true, false} {
		opt := Options{BufferSize: 1024}
		if match {
			opt.Matcher = literal.NewMatcher("shell.aspx")
		}
		g, st := readAll(t, text, opt, FieldStem)
		if len(g) != 1 || g[0].Line != 7 {
			t.Errorf("matcher %v: records %+v, want line 7", match, g)
		}
		if fmt.Sprint(problemLines(st)) != "[5 6 8]" {
			t.Fatalf("matcher %v: problems %v", match, st.Problems)
		}
		for i, p := range st.Problems {
			if says := strings.Contains(p.Err, "searched literal"); says != (match && i > 0) {
				t.Errorf("matcher %v: %v", match, p)
			}
		}
		if st.Lines != 8 {
			t.Errorf("Lines = %d, want 8", st.Lines)
		}
	}
}

func TestReaderBoundsProblems(t *testing.T) {
	text := header15 + strings.Repeat("-----\n", 120) + lineSh
	g, st := readAll(t, text, Options{}, FieldStem)
	if len(g) != 1 || g[0].Line != 125 {
		t.Errorf("records %+v", g)
	}
	if len(st.Problems) != maxProblems || st.MoreProblems != 120-maxProblems || st.Problems[0].Line != 5 || st.Problems[49].Line != 54 {
		t.Errorf("%d problems kept (first %v), %d more", len(st.Problems), st.Problems[0], st.MoreProblems)
	}
}

func TestReaderRejectsUTF16(t *testing.T) {
	for _, text := range []string{"\xFF\xFE#\x00F\x00", "\xFE\xFF\x00#\x00F", "#\x00S\x00o\x00f\x00", "\x002\x000\x002"} {
		rd := NewReader(Options{})
		if _, err := rd.Read(strings.NewReader(text), func(*Record) {}); err != ErrUTF16 {
			t.Errorf("%q: err = %v, want ErrUTF16", text, err)
		}
	}
	rd := NewReader(Options{})
	if _, err := rd.Read(strings.NewReader("\x00\x00\x00\x00"+lineOwa), func(*Record) {}); err != nil {
		t.Errorf("zeros are not UTF-16: %v", err)
	}
}

// TestPrefilterAgreesWithReference generates random logs and checks that
// the prefilter selects exactly the data lines that contain a literal, by
// the line numbers a plain split gives, and that a full read yields every
// data line.
func TestPrefilterAgreesWithReference(t *testing.T) {
	lits := []string{"shell.aspx", "/ecp/", "python"}
	alphabet := []string{"Shell.ASPX", "shell", ".aspx", "/ECP/", "/ecp", "Python", "a", " ", " ", "-", "\n", "\r\n", "#", "#Fields: a b\n", "2021-03-03 00:00:00 ", "\x00", "\uFEFF"}
	rng := rand.New(rand.NewSource(1))
	for iter := range 3000 {
		var b strings.Builder
		b.WriteString("#Fields: date time x\n")
		for n := rng.Intn(60); n > 0; n-- {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		text := b.String()
		lines := strings.Split(text, "\n")
		var wantMatch, wantAll []int
		for i, line := range lines {
			raw := strings.TrimSuffix(line, "\r")
			body := raw
			for strings.HasPrefix(body, "\x00") || strings.HasPrefix(body, "\uFEFF") {
				body = strings.TrimPrefix(strings.TrimPrefix(body, "\x00"), "\uFEFF")
			}
			zeros := body == "" && strings.Contains(raw, "\x00") // a problem, not a blank line
			if strings.HasPrefix(body, "#") {
				// Every directive is read, and zeros before it are a
				// problem with or without a matcher.
				if strings.Contains(raw[:len(raw)-len(body)], "\x00") {
					wantAll = append(wantAll, i+1)
					wantMatch = append(wantMatch, i+1)
				}
				continue
			}
			if strings.Trim(body, " \t") == "" && !zeros {
				continue
			}
			wantAll = append(wantAll, i+1)
			for _, lit := range lits {
				if strings.Contains(strings.ToLower(line), lit) {
					wantMatch = append(wantMatch, i+1)
					break
				}
			}
		}
		for _, bufSize := range []int{32, 47, 1 << 16} {
			for _, m := range []*literal.Matcher{nil, literal.NewMatcher(lits...)} {
				rd := NewReader(Options{Matcher: m, BufferSize: bufSize})
				var gotLines []int
				// Count every selected data line, good or bad: records
				// and the problems of lines that were not records.
				st, err := rd.Read(strings.NewReader(text), func(r *Record) {
					gotLines = append(gotLines, r.Line)
					if !bytes.Equal(r.Raw, []byte(strings.TrimSuffix(lines[r.Line-1], "\r"))) {
						t.Fatalf("line %d is %q, record says %q", r.Line, lines[r.Line-1], r.Raw)
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				var long []int
				for _, p := range st.Problems {
					if strings.Contains(p.Err, "longer than") {
						long = append(long, p.Line)
						continue
					}
					gotLines = append(gotLines, p.Line)
				}
				gotLines = uniqueSorted(gotLines)
				want := wantAll
				if m != nil {
					want = wantMatch
				}
				want = without(want, long)
				if st.MoreProblems == 0 && fmt.Sprint(gotLines) != fmt.Sprint(want) {
					t.Fatalf("iteration %d, buffer %d, matcher %v, text %q:\n got %v\nwant %v (long %v)", iter, bufSize, m != nil, text, gotLines, want, long)
				}
				if st.Lines != len(lines)-btoi(strings.HasSuffix(text, "\n")) {
					t.Fatalf("Lines = %d for %q", st.Lines, text)
				}
			}
		}
	}
}

func uniqueSorted(a []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, x := range a {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func without(a, drop []int) []int {
	var out []int
	for _, x := range a {
		keep := true
		for _, d := range drop {
			keep = keep && x != d
		}
		if keep {
			out = append(out, x)
		}
	}
	return out
}

func TestReaderLongDirective(t *testing.T) {
	text := header15 + "#Fields: " + strings.Repeat("x-custom ", 200) + "\n" + lineSh
	g, st := readAll(t, text, Options{BufferSize: 1024}, FieldStem)
	if len(g) != 1 || g[0].Fields[FieldStem] != "/owa/auth/shell.aspx" {
		t.Errorf("records %+v; want line 6 read with the field list before the long one", g)
	}
	if len(st.Problems) != 1 || st.Problems[0].Line != 5 || !strings.Contains(st.Problems[0].Err, "field list in it was not taken") {
		t.Errorf("problems %v", st.Problems)
	}
}

// TestTap: lines are selected by their client address alone, beside the
// lines the literals select, and a literal line the precheck refuses is
// still delivered for its client.
func TestTap(t *testing.T) {
	text := "#Fields: date time cs-method cs-uri-stem c-ip\n" +
		"2021-03-03 01:00:00 GET /owa/ 10.0.0.1\n" +
		"2021-03-03 01:00:01 GET /owa/ 5.254.43.18\n" +
		"2021-03-03 01:00:02 POST /ecp/y.js 10.0.0.2\n" +
		"2021-03-03 01:00:03 POST /ecp/y.js 5.254.43.18\n" +
		"#Fields: date time c-ip cs-uri-stem\n" +
		"2021-03-03 01:00:04 5.254.43.18 /ews/\n"
	tap := &Tap{Field: FieldClientIP, Match: func(v []byte) bool { return string(v) == "5.254.43.18" }}
	for _, tc := range []struct {
		precheck func([]byte) bool
		want     string
	}{
		{nil, "3 4 5 7"},
		{func([]byte) bool { return false }, "3 5 7"},
	} {
		for _, size := range []int{0, 64, 100} {
			rd := NewReader(Options{BufferSize: size, Matcher: literal.NewMatcher("/ecp/y.js"), Precheck: tc.precheck, Tap: tap})
			var got []string
			if _, err := rd.Read(strings.NewReader(text), func(r *Record) { got = append(got, strconv.Itoa(r.Line)) }); err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("buffer %d, precheck %v: lines %v, want %s", size, tc.precheck != nil, got, tc.want)
			}
		}
	}
}
