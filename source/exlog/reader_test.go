package exlog

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/source/literal"
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

func TestReaderContainerForms(t *testing.T) {
	const fieldsBlock = "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2375.007\r\n#Log-type: HttpProxy Logs\r\n#Date: 2023-01-09T19:00:00.130Z\r\n#Fields: DateTime,RequestId,AnchorMailbox,HttpStatus\r\n"
	tests := []struct {
		name  string
		text  string
		match []string
		want  []got
	}{
		{
			name: "bare header then directive block, CRLF, BOM",
			text: "\xEF\xBB\xBFDateTime,RequestId,AnchorMailbox,HttpStatus\r\n" + fieldsBlock +
				"2021-03-03T06:49:42.162Z,r1,ServerInfo~a]@ex:444/ecp/x?#,200\r\n" +
				"2021-03-03T06:49:43.162Z,r2,Sid~S-1-5,200\r\n",
			want: []got{
				{7, map[string]string{"RequestId": "r1", "AnchorMailbox": "ServerInfo~a]@ex:444/ecp/x?#", "HttpStatus": "200"}},
				{8, map[string]string{"RequestId": "r2", "AnchorMailbox": "Sid~S-1-5", "HttpStatus": "200"}},
			},
		},
		{
			name:  "prefilter keeps physical line numbers",
			text:  fieldsBlock + "2021-03-03T06:49:42.162Z,r1,Sid~x,200\n2021-03-03T06:49:43.162Z,r2,SERVERINFO~a/ecp,500\n\n2021-03-03T06:49:44.162Z,r3,ServerInfo~b/owa,200\n",
			match: []string{"serverinfo~"},
			want: []got{
				{7, map[string]string{"RequestId": "r2", "AnchorMailbox": "SERVERINFO~a/ecp", "HttpStatus": "500"}},
				{9, map[string]string{"RequestId": "r3", "AnchorMailbox": "ServerInfo~b/owa", "HttpStatus": "200"}},
			},
		},
		{
			name: "field list changes mid-file",
			text: fieldsBlock + "2021-03-03T06:49:42.162Z,r1,a,200\n" +
				"#Fields: DateTime,HttpStatus,RequestId,AnchorMailbox\n2021-03-03T06:49:43.162Z,404,r2,b\n",
			want: []got{
				{6, map[string]string{"RequestId": "r1", "AnchorMailbox": "a", "HttpStatus": "200"}},
				{8, map[string]string{"RequestId": "r2", "AnchorMailbox": "b", "HttpStatus": "404"}},
			},
		},
		{
			name: "quoting, missing and extra trailing columns, no final newline",
			text: fieldsBlock + "2021-03-03T06:49:42.162Z,\"r,1\",\"say \"\"hi\"\"\"\n2021-03-03T06:49:43.162Z,r2,b,200,extra,extra2",
			want: []got{
				{6, map[string]string{"RequestId": "r,1", "AnchorMailbox": `say "hi"`, "HttpStatus": ""}},
				{7, map[string]string{"RequestId": "r2", "AnchorMailbox": "b", "HttpStatus": "200"}},
			},
		},
		{
			name: "PowerShell Export-Csv output with #TYPE line",
			text: "#TYPE Selected.System.Management.Automation.PSCustomObject\n\"DateTime\",\"RequestId\",\"AnchorMailbox\",\"HttpStatus\"\n\"2021-03-03T06:49:42.162Z\",\"xxx\",\"ServerInfo~a]@s:444/mapi/emsmdb/?#\",\"200\"\n",
			want: []got{
				{3, map[string]string{"RequestId": "xxx", "AnchorMailbox": "ServerInfo~a]@s:444/mapi/emsmdb/?#", "HttpStatus": "200"}},
			},
		},
		{
			name:  "quoted field spanning lines counts from its first line",
			text:  fieldsBlock + "2021-03-03T06:49:42.162Z,r1,\"ServerInfo~a\nb/c\",200\n2021-03-03T06:49:43.162Z,r2,ServerInfo~z/y,200\n",
			match: []string{"serverinfo~"},
			want: []got{
				{6, map[string]string{"RequestId": "r1", "AnchorMailbox": "ServerInfo~a\nb/c", "HttpStatus": "200"}},
				{8, map[string]string{"RequestId": "r2", "AnchorMailbox": "ServerInfo~z/y", "HttpStatus": "200"}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, bufSize := range []int{DefaultBufferSize, 100, 131} {
				opt := Options{BufferSize: bufSize}
				if tc.match != nil {
					opt.Matcher = literal.NewMatcher(tc.match...)
				}
				g, _ := readAll(t, tc.text, opt, "RequestId", "AnchorMailbox", "HttpStatus")
				if !reflect.DeepEqual(g, tc.want) {
					t.Errorf("buffer %d:\n got %+v\nwant %+v", bufSize, g, tc.want)
				}
			}
		})
	}
}

func TestReaderStats(t *testing.T) {
	text := "#Fields: DateTime,X\n2021-03-01T00:00:01.000Z,a\n2021-03-02T00:00:01.000Z,b\n#Date: x\n2021-03-04T10:00:00.000Z,c\n"
	_, st := readAll(t, text, Options{Matcher: literal.NewMatcher("nothing-matches")})
	if st.Lines != 5 {
		t.Errorf("Lines = %d, want 5", st.Lines)
	}
	wantFirst := time.Date(2021, 3, 1, 0, 0, 1, 0, time.UTC)
	wantLast := time.Date(2021, 3, 4, 10, 0, 0, 0, time.UTC)
	if !st.Oldest.Equal(wantFirst) || !st.Newest.Equal(wantLast) {
		t.Errorf("Oldest, Newest = %v, %v; want %v, %v", st.Oldest, st.Newest, wantFirst, wantLast)
	}
	if st.Bytes != int64(len(text)) {
		t.Errorf("Bytes = %d, want %d", st.Bytes, len(text))
	}
}

func TestReaderLongLines(t *testing.T) {
	long := strings.Repeat("A", 5000)
	text := "#Fields: DateTime,AnchorMailbox\n" +
		"2021-03-01T00:00:01.000Z," + long + "\n" +
		"2021-03-01T00:00:02.000Z,ServerInfo~" + long + "\n" +
		"2021-03-01T00:00:03.000Z,ServerInfo~short/ecp\n"
	g, st := readAll(t, text, Options{BufferSize: 1024, Matcher: literal.NewMatcher("serverinfo~")}, "AnchorMailbox")
	if len(g) != 1 || g[0].Line != 4 {
		t.Fatalf("records = %+v, want only line 4", g)
	}
	if len(st.Problems) != 2 || st.Problems[0].Line != 2 || st.Problems[1].Line != 3 {
		t.Fatalf("problems = %+v, want lines 2 and 3", st.Problems)
	}
	if !strings.Contains(st.Problems[1].Err, "indicator") || strings.Contains(st.Problems[0].Err, "indicator") {
		t.Errorf("only the long line holding the literal should say so: %+v", st.Problems)
	}
	if st.Lines != 4 {
		t.Errorf("Lines = %d, want 4", st.Lines)
	}
}

func TestReaderNoHeaderUsesDefault(t *testing.T) {
	text := "2021-03-01T00:00:01.000Z,r1,15,1,2375,7,,Ecp,host,/ecp/y.js,,,false,,,ServerInfo~a/b\n"
	g, st := readAll(t, text, Options{DefaultSchema: NewSchema(HttpProxyFields)}, "AnchorMailbox", "UrlStem")
	if len(g) != 1 || g[0].Fields["AnchorMailbox"] != "ServerInfo~a/b" || g[0].Fields["UrlStem"] != "/ecp/y.js" {
		t.Fatalf("got %+v", g)
	}
	if len(st.Problems) != 1 {
		t.Errorf("want one problem noting the assumed fields, got %+v", st.Problems)
	}
}

// TestReaderFragmentIsNotAHeader: a copy cut mid-record starts with a
// fragment, which must not become the field list.
func TestReaderFragmentIsNotAHeader(t *testing.T) {
	text := "rver.contoso.local,ServerInfo~x/y,200\n2021-03-01T00:00:01.000Z,r1,15,1,2375,7,,Ecp,host,/ecp/y.js,,,false,,,ServerInfo~a/b\n"
	g, st := readAll(t, text, Options{DefaultSchema: NewSchema(HttpProxyFields)}, "AnchorMailbox")
	if len(g) != 2 || g[1].Fields["AnchorMailbox"] != "ServerInfo~a/b" {
		t.Fatalf("got %+v", g)
	}
	if len(st.Problems) != 1 || st.Problems[0].Line != 1 {
		t.Errorf("want one problem at line 1, got %+v", st.Problems)
	}
}

func TestReaderRejectsUTF16(t *testing.T) {
	rd := NewReader(Options{})
	if _, err := rd.Read(strings.NewReader("\xFF\xFE#\x00F\x00"), func(*Record) {}); err != ErrUTF16 {
		t.Errorf("err = %v, want ErrUTF16", err)
	}
}

// TestReaderRealSamples reads every real Exchange log sample in full and
// checks that every record has the field count its #Fields line declares,
// which the samples' authors verified for these files.
func TestReaderRealSamples(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/data/logs/exchange-2016-cu22-samples/*.LOG")
	more, _ := filepath.Glob("../../../shared/data/logs/exchange-2013-samples/*.LOG")
	files = append(files, more...)
	if len(files) == 0 {
		t.Skip("../shared/data is not present")
	}
	rd := NewReader(Options{})
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		st, err := rd.Read(bytes.NewReader(data), func(r *Record) {
			n++
			if len(r.Fields) != len(r.Schema.Names) {
				t.Errorf("%s:%d: %d fields, schema has %d", filepath.Base(f), r.Line, len(r.Fields), len(r.Schema.Names))
			}
			if _, ok := r.Time(); !ok {
				t.Errorf("%s:%d: no timestamp", filepath.Base(f), r.Line)
			}
		})
		if err != nil || n == 0 || len(st.Problems) > 0 {
			t.Errorf("%s: err=%v records=%d problems=%v", filepath.Base(f), err, n, st.Problems)
		}
		if st.Oldest.IsZero() || st.Newest.Before(st.Oldest) {
			t.Errorf("%s: oldest %v newest %v", filepath.Base(f), st.Oldest, st.Newest)
		}
	}
}

// referenceLines is the slow obvious reading: physical lines that contain a
// literal, ignoring case, and are not directives.
func referenceLines(text string, lits []string) []int {
	var out []int
	for i, line := range strings.Split(text, "\n") {
		l := strings.ToLower(line)
		if strings.HasPrefix(l, "#") {
			continue
		}
		for _, lit := range lits {
			if strings.Contains(l, lit) {
				out = append(out, i+1)
				break
			}
		}
	}
	return out
}

// TestPrefilterAgreesWithReference generates random logs and compares the
// lines the prefilter selects with the obvious reading.
func TestPrefilterAgreesWithReference(t *testing.T) {
	lits := []string{"serverinfo~", "server~", "virtualdirectory"}
	alphabet := []string{"ServerInfo~", "server~", "SERVER", "~", "VirtualDirectory", "virtual", "a", "b", ",", "\n", "\r\n", "#", "\"", "2021-03-03T00:00:00Z,"}
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 3000; iter++ {
		var b strings.Builder
		b.WriteString("#Fields: DateTime,A,B\n")
		for n := rng.Intn(60); n > 0; n-- {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		text := strings.ReplaceAll(b.String(), "\"", "") // quotes would join lines
		want := referenceLines(text, lits)
		for _, bufSize := range []int{32, 47, 1 << 16} {
			rd := NewReader(Options{Matcher: literal.NewMatcher(lits...), BufferSize: bufSize})
			var gotLines []int
			st, err := rd.Read(strings.NewReader(text), func(r *Record) { gotLines = append(gotLines, r.Line) })
			if err != nil {
				t.Fatal(err)
			}
			// Lines longer than the buffer are reported, not parsed; only
			// those.
			var skipped []int
			lines := strings.Split(text, "\n")
			for _, p := range st.Problems {
				skipped = append(skipped, p.Line)
				if len(lines[p.Line-1]) < bufSize {
					t.Fatalf("buffer %d: line %d (%d bytes) reported as too long: %q", bufSize, p.Line, len(lines[p.Line-1]), text)
				}
			}
			wantHere := without(want, skipped)
			if fmt.Sprint(gotLines) != fmt.Sprint(wantHere) {
				t.Fatalf("buffer %d, text %q:\n got %v\nwant %v (skipped %v)", bufSize, text, gotLines, wantHere, skipped)
			}
		}
	}
}

func without(a, drop []int) []int {
	var out []int
	for _, x := range a {
		keep := true
		for _, d := range drop {
			if x == d {
				keep = false
			}
		}
		if keep {
			out = append(out, x)
		}
	}
	return out
}

// TestTap: lines are selected by their client address alone, with quoted
// fields holding commas before it, beside the lines the literals select.
func TestTap(t *testing.T) {
	text := "#Fields: DateTime,UserAgent,ClientIpAddress,UrlStem\n" +
		"2021-03-03T01:00:00Z,\"Mozilla/5.0 (KHTML, like Gecko)\",10.0.0.1,/owa/\n" +
		"2021-03-03T01:00:01Z,\"x, \"\"quoted\"\", y\",5.254.43.18,/owa/\n" +
		"2021-03-03T01:00:02Z,plain,10.0.0.2,/ecp/y.js\n" +
		"2021-03-03T01:00:03Z,plain,\"5.254.43.18\",/ews/\n" +
		"2021-03-03T01:00:04Z,plain\n"
	want := map[string]bool{"5.254.43.18": true}
	for _, size := range []int{0, 64, 97} {
		rd := NewReader(Options{BufferSize: size, Matcher: literal.NewMatcher("/ecp/y.js"), Precheck: func([]byte) bool { return true },
			Tap: &Tap{Field: "ClientIpAddress", Match: func(v []byte) bool { return want[string(v)] }}})
		var got []string
		if _, err := rd.Read(strings.NewReader(text), func(r *Record) {
			got = append(got, fmt.Sprintf("%d:%s", r.Line, r.Get("ClientIpAddress")))
		}); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, " ") != "3:5.254.43.18 4:10.0.0.2 5:5.254.43.18" {
			t.Errorf("buffer %d: got %v", size, got)
		}
	}
	// A line the literals choose but the precheck refuses is still
	// delivered for its client.
	both := "#Fields: DateTime,ClientIpAddress,UrlStem\n2021-03-03T01:00:00Z,5.254.43.18,/ecp/y.js\n"
	rd := NewReader(Options{Matcher: literal.NewMatcher("/ecp/y.js"), Precheck: func([]byte) bool { return false },
		Tap: &Tap{Field: "ClientIpAddress", Match: func(v []byte) bool { return want[string(v)] }}})
	n := 0
	rd.Read(strings.NewReader(both), func(*Record) { n++ })
	if n != 1 {
		t.Errorf("a literal line refused by the precheck but tapped: %d records", n)
	}
	for _, tc := range []struct {
		line string
		n    int
		want string
		ok   bool
	}{
		{`a,"b,c",d`, 2, "d", true},
		{`a,"b,c",d`, 1, "b,c", true},
		{`a,"b""c",d`, 2, "d", true},
		{`a,b`, 2, "", false},
		{`"unclosed,x`, 1, "", false},
		{``, 0, "", true},
	} {
		got, ok := fieldAt([]byte(tc.line), tc.n)
		if string(got) != tc.want || ok != tc.ok {
			t.Errorf("fieldAt(%q, %d) = %q, %v", tc.line, tc.n, got, ok)
		}
	}
}
