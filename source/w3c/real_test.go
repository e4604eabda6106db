package w3c

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/source/literal"
)

const sharedLogs = "../../../shared/data/logs"

var realFiles = []string{
	"iis/Tunna_rdp_tunnel_IIS.log",
	"incident-helsecert/iis_w3svc1_webshell_access_excerpt.log",
	"exchange-2013-samples/W3SVC_u_ex_sample.log",
	"exchange-2016-cu22-samples/iis_u_ex_webshell_example.log",
}

func readShared(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedLogs, name))
	if err != nil {
		t.Skipf("../shared/data is not present: %v", err)
	}
	return data
}

// rec is a record copied out of the callback.
type rec struct {
	Line   int
	Time   time.Time
	Fields map[string]string
}

func readRecords(t *testing.T, data []byte, opt Options) ([]rec, Stats) {
	t.Helper()
	rd := NewReader(opt)
	var out []rec
	st, err := rd.Read(bytes.NewReader(data), func(r *Record) {
		tm, ok := r.Time()
		if !ok {
			t.Errorf("line %d: no time", r.Line)
		}
		m := map[string]string{}
		for i, n := range r.Schema.Names {
			m[n] = string(r.Fields[i])
		}
		out = append(out, rec{r.Line, tm, m})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

func TestRealTunna(t *testing.T) {
	data := readShared(t, realFiles[0])
	recs, st := readRecords(t, data, Options{})
	// 4308 lines: two header blocks of four directives, a comment and a
	// blank line.
	if len(recs) != 4298 || st.Lines != 4308 || len(st.Problems) != 0 {
		t.Fatalf("%d records, %d lines, problems %v", len(recs), st.Lines, st.Problems)
	}
	first, last := recs[0], recs[len(recs)-1]
	if first.Line != 7 || first.Fields[FieldQuery] != "proxy&port=3389&ip=127.0.0.1" || first.Fields[FieldClientIP] != "10.0.2.17" ||
		first.Fields[FieldUserAgent] != "-" || !first.Time.Equal(time.Date(2019, 9, 3, 10, 13, 36, 0, time.UTC)) {
		t.Errorf("first record %+v", first)
	}
	if last.Line != 4308 || !last.Time.Equal(time.Date(2019, 9, 3, 11, 8, 51, 0, time.UTC)) {
		t.Errorf("last record %+v", last)
	}
	// The records around the second header block (lines 2601-2604).
	for i, r := range recs {
		if r.Line == 2600 && recs[i+1].Line != 2605 {
			t.Errorf("after line 2600 comes line %d, want 2605", recs[i+1].Line)
		}
	}
	if !st.Oldest.Equal(first.Time) || !st.Newest.Equal(last.Time) || st.Software != "Microsoft Internet Information Services 10.0" {
		t.Errorf("stats %v %v %q", st.Oldest, st.Newest, st.Software)
	}
	// With a matcher that finds nothing, the span is still known.
	_, st2 := readRecords(t, data, Options{Matcher: literal.NewMatcher("no-such-literal")})
	if !st2.Oldest.Equal(st.Oldest) || !st2.Newest.Equal(st.Newest) || st2.Lines != st.Lines {
		t.Errorf("with a matcher: %v %v %d", st2.Oldest, st2.Newest, st2.Lines)
	}
}

func TestRealHelsecertExcerpt(t *testing.T) {
	data := readShared(t, realFiles[1])
	recs, st := readRecords(t, data, Options{DefaultFields: ExchangeDefaultFields})
	if len(recs) != 8 {
		t.Fatalf("%d records, want every data line of the excerpt", len(recs))
	}
	// Line 1 notes the assumed field list; the "-----" separators of
	// the excerpt are problems.
	if fmt.Sprint(problemLines(st)) != "[1 3 7]" || !strings.Contains(st.Problems[0].Err, "default") || !strings.Contains(st.Problems[1].Err, `"-----"`) {
		t.Errorf("problems %v", st.Problems)
	}
	r := recs[0]
	if r.Line != 1 || !r.Time.Equal(time.Date(2021, 3, 5, 3, 6, 27, 0, time.UTC)) ||
		r.Fields[FieldClientIP] != "139.162.202.236" || r.Fields[FieldStem] != "/owa/auth/RedirSuiteServerProxy.aspx" ||
		r.Fields[FieldStatus] != "200" || r.Fields[FieldServerIP] != "xxx" || r.Fields[FieldPort] != "443" ||
		r.Fields[FieldQuery] != "&CorrelationID=<empty>;&cafeReqId=cde28fc4-299e-4179-b3e9-de56f5c1d9ee;&encoding=;" {
		t.Errorf("first record %+v", r)
	}
	if ua := DecodeUserAgent(r.Fields[FieldUserAgent]); ua != "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/65.0.2345 Safari/537.36" {
		t.Errorf("user agent %q", ua)
	}
	// The shell answered until March 6; on March 8 it redirected.
	status := map[int]string{1: "200", 2: "200", 4: "200", 5: "200", 6: "200", 8: "302", 9: "302", 10: "302"}
	for _, r := range recs {
		if r.Fields[FieldStem] != "/owa/auth/RedirSuiteServerProxy.aspx" || r.Fields[FieldStatus] != status[r.Line] {
			t.Errorf("line %d: %+v", r.Line, r.Fields)
		}
		if a, ok := ClientAddr(r.Fields[FieldClientIP]); !ok || !a.Is4() {
			t.Errorf("line %d: client %q", r.Line, r.Fields[FieldClientIP])
		}
	}
	if last := recs[7]; last.Line != 10 || last.Fields[FieldClientIP] != "67.205.176.9" {
		t.Errorf("last record %+v", last)
	}
}

func TestRealExchange2013Sample(t *testing.T) {
	data := readShared(t, realFiles[2])
	recs, st := readRecords(t, data, Options{})
	if len(recs) != 2 || len(st.Problems) != 0 {
		t.Fatalf("%d records, problems %v", len(recs), st.Problems)
	}
	r := recs[1]
	if r.Line != 6 || r.Fields[FieldSiteName] != "W3SVC1" || r.Fields[FieldClientIP] != "::1" || r.Fields[FieldHost] != "localhost" ||
		r.Fields[FieldReferer] != "http://localhost/" || r.Fields[FieldStem] != "/iisstart.png" || r.Fields[FieldBytesSent] != "99960" ||
		r.Fields[FieldCookie] != "-" || len(r.Fields) != 22 {
		t.Errorf("record %+v", r)
	}
}

// TestRealEditedExample: a published example line written by hand, with
// spaces in its user agent, and "# Fields:" with a space.
func TestRealEditedExample(t *testing.T) {
	data := readShared(t, realFiles[3])
	recs, st := readRecords(t, data, Options{Matcher: literal.NewMatcher("/owa/auth/")})
	if len(recs) != 1 || len(st.Problems) != 1 || st.Problems[0].Line != 3 {
		t.Fatalf("records %+v, problems %v", recs, st.Problems)
	}
	r := recs[0]
	if r.Fields[FieldStem] != "/owa/auth/aKdMadOeT.aspx" || r.Fields[FieldQuery] != "cmd=whoami" || r.Fields[FieldClientIP] != "1.2.3.4" ||
		r.Fields[FieldStatus] != "200" || r.Fields[FieldTimeTaken] != "142" ||
		!strings.HasPrefix(r.Fields[FieldUserAgent], "Mozilla/5.0+Mozilla/5.0 (Windows NT 10.0;") {
		t.Errorf("record %+v", r)
	}
}

// TestRealAgainstGrep compares the reader with grep on the real files: with
// no matcher, the records are the lines grep counts as neither directive
// nor blank, less the bad lines reported; with a matcher, the line numbers
// of the records are those grep -n -i gives for the literal.
func TestRealAgainstGrep(t *testing.T) {
	if _, err := exec.LookPath("grep"); err != nil {
		t.Skip("grep is not installed")
	}
	for _, name := range realFiles {
		data := readShared(t, name)
		path := filepath.Join(sharedLogs, name)
		rd := NewReader(Options{DefaultFields: ExchangeDefaultFields})
		recordLines := map[int]bool{}
		st, err := rd.Read(bytes.NewReader(data), func(r *Record) { recordLines[r.Line] = true })
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for _, p := range st.Problems {
			if !recordLines[p.Line] {
				bad++
			}
		}
		out, _ := exec.Command("grep", "-a", "-c", "-v", "-E", "^(#|\r?$)", path).Output()
		dataLines, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("grep -c: %q", out)
		}
		if len(recordLines) != dataLines-bad {
			t.Errorf("%s: %d records; grep counts %d data lines, %d of them bad", name, len(recordLines), dataLines, bad)
		}

		for _, lit := range []string{"/owa/auth/", "conn.aspx", "Mozilla", "200 0 0 1"} {
			out, _ := exec.Command("grep", "-a", "-n", "-i", "-F", lit, path).Output()
			var want []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if n, rest, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(rest, "#") && recordLines[atoi(n)] {
					want = append(want, n)
				}
			}
			var got []string
			rdm := NewReader(Options{DefaultFields: ExchangeDefaultFields, Matcher: literal.NewMatcher(lit), BufferSize: 4096})
			rdm.Read(bytes.NewReader(data), func(r *Record) { got = append(got, strconv.Itoa(r.Line)) })
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s, %q: lines %v; grep -n says %v", name, lit, got, want)
			}
		}
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
