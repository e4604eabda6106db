package re

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

type span struct{ s, e int }

func findAll(t testing.TB, r *Regexp, data []byte) []span {
	var out []span
	r.FindAll(data, func(s, e int) bool {
		out = append(out, span{s, e})
		return true
	})
	return out
}

func fmtSpans(data []byte, sp []span) string {
	var b strings.Builder
	for _, x := range sp {
		fmt.Fprintf(&b, "%d:%q ", x.s, data[x.s:x.e])
	}
	return strings.TrimSpace(b.String())
}

func TestTable(t *testing.T) {
	tests := []struct {
		pat  string
		f    Flags
		in   string
		want string
	}{
		{`ab+`, Flags{}, "abbb", `0:"abbb"`},
		{`b+`, Flags{}, "abbb", `1:"bbb" 2:"bb" 3:"b"`},
		{`a|ab`, Flags{}, "ab", `0:"a"`},
		{`(ab|a)(bc)?d?`, Flags{}, "abcd", `0:"ab"`},
		{`a.*c`, Flags{}, "abcac", `0:"abcac" 3:"ac"`},
		{`a.*?c`, Flags{}, "abcac", `0:"abc" 3:"ac"`},
		{`x{2,3}`, Flags{}, "xxxx", `0:"xxx" 1:"xxx" 2:"xx"`},
		{`x{,2}y`, Flags{}, "xxxy", `1:"xxy" 2:"xy" 3:"y"`},
		{`x{2}`, Flags{}, "xxx", `0:"xx" 1:"xx"`},
		{`x{2,}`, Flags{}, "xxx", `0:"xxx" 1:"xx"`},
		{`x{`, Flags{}, "x{", `0:"x{"`},
		{`a.b`, Flags{}, "a\nb", ``},
		{`a.b`, Flags{DotAll: true}, "a\nb", `0:"a\nb"`},
		{`^ab`, Flags{}, "abab", `0:"ab"`},
		{`ab$`, Flags{}, "abab", `2:"ab"`},
		{`\bfoo\b`, Flags{}, "afoo foo_ foo", `10:"foo"`},
		{`o\B`, Flags{}, "oo o", `0:"o"`},
		// yara: \b holds at the ends of the data whatever the character there
		{`x\.\b`, Flags{}, "x.", `0:"x."`},
		{`\b\.x`, Flags{}, ".x", `0:".x"`},
		{`\.\B`, Flags{}, "..", `0:"."`},
		// wide: the character before is two bytes back
		{`\biex\b`, Flags{Wide: true}, "(\x00i\x00e\x00x\x00 \x00", `2:"i\x00e\x00x\x00"`},
		{`\biex\b`, Flags{Wide: true}, "a\x00i\x00e\x00x\x00", ``},
		{`\biex\b`, Flags{Wide: true, Ascii: true}, "iex i\x00e\x00x\x00 \x00", `0:"iex" 4:"i\x00e\x00x\x00"`},
		{`x\b`, Flags{Wide: true}, "x\x00y\x01", `0:"x\x00"`},
		{`[\x00-\x1f]+`, Flags{}, "a\x01\x02b", `1:"\x01\x02" 2:"\x02"`},
		{`[^a-c]`, Flags{}, "abcd", `3:"d"`},
		{`[]a]+`, Flags{}, "]a", `0:"]a" 1:"a"`},
		{`[a-]+`, Flags{}, "-a", `0:"-a" 1:"a"`},
		{`\w\W\s\S\d\D`, Flags{}, "a. x1z", `0:"a. x1z"`},
		{`\.\*\x41`, Flags{}, ".*A", `0:".*A"`},
		{`FOO`, Flags{Nocase: true}, "fOo", `0:"fOo"`},
		{`[a-c]x`, Flags{Nocase: true}, "BX", `0:"BX"`},
		{`fo+`, Flags{Wide: true}, "f\x00o\x00o\x00", `0:"f\x00o\x00o\x00"`},
		{`fo+`, Flags{Wide: true, Ascii: true}, "foo f\x00o\x00", `0:"foo" 4:"f\x00o\x00"`},
		{`foo`, Flags{Fullword: true}, "foo afoo _foo_ \xe9foo1", `0:"foo" 10:"foo"`},
		{`foo`, Flags{Fullword: true, Wide: true}, "af\x00o\x00o\x00 a\x00f\x00o\x00o\x00", `1:"f\x00o\x00o\x00"`},
		{`(a*)*b`, Flags{}, "aab", `0:"aab" 1:"ab" 2:"b"`},
		{`(a|aa)*c`, Flags{}, "aac", `0:"aac" 1:"ac" 2:"c"`},
		{`Q.*`, Flags{}, "Q" + strings.Repeat(".", 5000), `0:"Q` + strings.Repeat(".", MaxMatch-1) + `" `},
	}
	for _, tc := range tests {
		r, err := Compile(tc.pat, tc.f)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.pat, err)
			continue
		}
		data := []byte(tc.in)
		got := fmtSpans(data, findAll(t, r, data))
		want := strings.TrimSpace(tc.want)
		if tc.pat == `Q.*` {
			// every offset of the dots matches too; check only the first
			got = strings.SplitN(got, " ", 2)[0]
		}
		if got != want {
			t.Errorf("%q %+v on %q:\n got %s\nwant %s", tc.pat, tc.f, tc.in, got, want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, p := range []string{`a{3,2}`, `a{0,32768}`, `a**`, `(?:a)`, `()`, `[z-a]`, `(a`, `a)`, `*a`, `[abc`, `\x4`, `a\`, `+`, `a{1}{2}`, `a{0}b`, `a{0,0}`} {
		if _, err := Compile(p, Flags{}); err == nil {
			t.Errorf("Compile(%q) succeeded, want error", p)
		}
	}
	for _, p := range []string{`a{0,32767}`, `a{,}`, `x{`, `a*`, `a|`, `[]a]`, `(a*)*`, `a{,5}`} {
		if _, err := Compile(p, Flags{}); err != nil {
			t.Errorf("Compile(%q): %v", p, err)
		}
	}
}

func TestAtoms(t *testing.T) {
	tests := []struct {
		pat  string
		f    Flags
		want string
	}{
		{`abc`, Flags{}, `["abc"]`},
		{`ab?c`, Flags{}, `["ac" "abc"]`},
		{`a.*hello`, Flags{}, `["hello"]`},
		{`(foo|bar)x`, Flags{}, `["foox" "barx"]`},
		{`.*`, Flags{}, `[]`},
		{`a*`, Flags{}, `[]`},
		{`HeLLo`, Flags{Nocase: true}, `["hello"]`},
		{`ab`, Flags{Wide: true}, `["a\x00b\x00"]`},
		{`ab`, Flags{Wide: true, Ascii: true}, `["ab" "a\x00b\x00"]`},
		{`x(ab|.)`, Flags{}, `["x"]`},
	}
	for _, tc := range tests {
		r, err := Compile(tc.pat, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var q []string
		for _, a := range r.Atoms() {
			q = append(q, fmt.Sprintf("%q", a))
		}
		got := "[" + strings.Join(q, " ") + "]"
		if got != tc.want {
			t.Errorf("Atoms(%q) = %s, want %s", tc.pat, got, tc.want)
		}
	}
}

// yaraEscape renders match data the way yara -s prints it.
func yaraEscape(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			s.WriteByte(c)
		} else {
			fmt.Fprintf(&s, "\\x%02X", c)
		}
	}
	return s.String()
}

type diffCase struct {
	pat  string
	mods string
}

func flagsOf(pat, mods string) (string, Flags) {
	var f Flags
	i := strings.LastIndexByte(pat, '/')
	for _, c := range pat[i+1:] {
		switch c {
		case 'i':
			f.Nocase = true
		case 's':
			f.DotAll = true
		}
	}
	for _, m := range strings.Fields(mods) {
		switch m {
		case "nocase":
			f.Nocase = true
		case "wide":
			f.Wide = true
		case "ascii":
			f.Ascii = true
		case "fullword":
			f.Fullword = true
		}
	}
	if !f.Wide {
		f.Ascii = false
	}
	return pat[1:i], f
}

var diffCases = []diffCase{
	{`/ab+/`, ""}, {`/b+/`, ""}, {`/a.*c/`, ""}, {`/a.*?c/`, ""}, {`/x{2,3}/`, ""}, {`/x{,3}y/`, ""},
	{`/a|ab/`, ""}, {`/(ab|a)(bc)?d?/`, ""}, {`/a(b|bc)/`, ""}, {`/x(bq|bc)d?/`, ""}, {`/(aa|a)+a/`, ""},
	{`/foo/`, "nocase"}, {`/FoO[a-c]/`, "nocase"}, {`/foo/i`, ""}, {`/fo+/`, "wide"}, {`/fo+/`, "wide ascii"},
	{`/foo/`, "fullword"}, {`/foo/`, "wide fullword"}, {`/f[o]o/`, "nocase wide fullword"}, {`/fo{1,2}/`, "ascii wide fullword"},
	{`/\bfoo\b/`, ""}, {`/o{2}\B/`, ""}, {`/\Bo/`, ""}, {`/[\x00-\x1f]+x/`, ""}, {`/[^a-z .]+/`, ""}, {`/\w+\s\d/`, ""},
	{`/\W\S\D/`, ""}, {`/a.b/`, ""}, {`/a.b/s`, ""}, {`/^ab/`, ""}, {`/cd$/`, ""}, {`/^abc/`, "wide"},
	{`/(cat|dog|bird)s?/`, ""}, {`/q[a-z]{0,5}?r/`, ""}, {`/x+?y/`, ""}, {`/\x41\x42/`, ""}, {`/[\-\]x]+/`, ""},
	{`/(a*)*b/`, ""}, {`/(a|aa)*c/`, ""}, {`/Q.*R/`, ""}, {`/Q.{0,5000}R/`, ""}, {`/Q.*/`, ""}, {`/Q[^R]*$/`, ""},
	{`/eval\s*\(/`, "nocase"}, {`/<%@\s+Page/`, "nocase"}, {`/\.\*\+/`, ""}, {`/[A-Z]{3}/`, "wide"},
	{`/.{0,8}hello/`, ""}, {`/a{0,8}hello/`, ""}, {`/(a|h)ello.{0,3}l/`, ""},
	{`/b{2,}c?/`, "fullword"}, {`/(foo|ba)r/`, "nocase wide"}, {`/a.c/s`, "wide"},
	{`/\bfoo\b/`, "wide"}, {`/\bo/`, "wide"}, {`/o\B/`, "wide ascii"}, {`/\b(iex|ab)\b/`, "nocase wide ascii"},
	{`/x\.\b/`, ""}, {`/\b\.x/`, ""}, {`/\.\B/`, "wide"}, {`/\.\B/`, ""},
}

func diffInput() []byte {
	var b bytes.Buffer
	b.WriteString("abbbxxxxxacacb aaaabcd.abcd.xbcd.aabcd.xxxy.qzzrzzr.aaaa ab abab cd\n")
	b.WriteString("foo Foo FOOa fooo afoo _foo_ \xe91foo\xe9 foo1 .foo. cats dog birds bb bbc abbc\n")
	b.WriteString("f\x00o\x00o\x00 a\x00f\x00o\x00o\x00 .\x00F\x00O\x00o\x00 \x00 F\x00o\x00O\x00b\x00 af\x00o\x00o\x00 f\x00o\x00o\x00\x00b A\x00B\x00C\x00D\x00\n")
	b.WriteString("a\nb a\rb axb a\x00b \x01\x02\x03x \x1f\x1fx [-]x]] hello world 42 ab_c 9 ;!?\n")
	b.WriteString("EVAL (x) eval(y) <%@ Page Language=\"C#\" %> .*+ b ab aab aaab aaaac\n")
	b.WriteString("b\x00a\x00r\x00 F\x00O\x00O\x00R\x00 a\x00\n\x00c\x00 ")
	for _, n := range []int{4093, 4094, 4095, 4096, 4097, 10} {
		b.WriteString("Q" + strings.Repeat(".", n) + "R\n")
	}
	b.WriteString("Q" + strings.Repeat("x", 5000))
	return b.Bytes()
}

func TestDifferentialYara(t *testing.T) {
	yara, err := exec.LookPath("yara")
	if err != nil {
		t.Skip("yara not installed")
	}
	dir := t.TempDir()
	var rules strings.Builder
	rules.WriteString("rule r {\n strings:\n")
	for i, c := range diffCases {
		fmt.Fprintf(&rules, "  $s%d = %s %s\n", i, c.pat, c.mods)
	}
	rules.WriteString(" condition: any of them\n}\n")
	rf := filepath.Join(dir, "r.yar")
	os.WriteFile(rf, []byte(rules.String()), 0o644)
	inputs := [][]byte{diffInput(), []byte("foo"), []byte("abcd"), []byte("aahelloahello"), bytes.Repeat([]byte("ab"), 3000),
		[]byte("x."), []byte(".x"), []byte("..\x00"), []byte(".\x00.\x00"), []byte("(\x00i\x00e\x00x\x00 \x00o\x00"), []byte("f\x00o\x00o\x00")}
	for k, data := range inputs {
		df := filepath.Join(dir, fmt.Sprintf("in%d", k))
		os.WriteFile(df, data, 0o644)
		cmd := exec.Command(yara, "-s", rf, df)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("yara: %v\n%s", err, stderr.String())
		}
		want := map[int][]string{}
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			line := sc.Text()
			var off, id int
			if n, _ := fmt.Sscanf(line, "0x%x:$s%d:", &off, &id); n != 2 {
				continue
			}
			_, dataPart, _ := strings.Cut(line, ": ")
			want[id] = append(want[id], fmt.Sprintf("%d:%s", off, dataPart))
		}
		for i, c := range diffCases {
			pat, f := flagsOf(c.pat, c.mods)
			r, err := Compile(pat, f)
			if err != nil {
				t.Errorf("Compile(%s): %v", c.pat, err)
				continue
			}
			var got []string
			r.FindAll(data, func(s, e int) bool {
				// yara keeps (and prints) at most 512 bytes of match data
				got = append(got, fmt.Sprintf("%d:%s", s, yaraEscape(data[s:min(e, s+512)])))
				return true
			})
			w := want[i]
			sort.Strings(w)
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(w, "\n") {
				t.Errorf("input %d, %s %s: differs from yara\n%s", k, c.pat, c.mods, diffLines(got, w))
			}
		}
	}
}

func diffLines(got, want []string) string {
	g := map[string]bool{}
	for _, x := range got {
		g[x] = true
	}
	w := map[string]bool{}
	for _, x := range want {
		w[x] = true
	}
	var b strings.Builder
	n := 0
	for _, x := range want {
		if !g[x] && n < 8 {
			fmt.Fprintf(&b, "  yara only: %.120s\n", x)
			n++
		}
	}
	for _, x := range got {
		if !w[x] && n < 16 {
			fmt.Fprintf(&b, "  ours only: %.120s\n", x)
			n++
		}
	}
	return b.String()
}

func TestWebshellRulesCompile(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "data", "yara", "gen_webshells.yar")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("rules not present: %v", err)
	}
	n := 0
	for _, line := range strings.Split(string(src), "\n") {
		i := strings.Index(line, "= /")
		if i < 0 {
			continue
		}
		rest := line[i+3:]
		// the regex ends at the last '/' that is followed by flags and modifiers
		j := strings.LastIndexByte(rest, '/')
		if j < 0 {
			continue
		}
		pat, f := flagsOf("/"+rest[:j+1]+strings.Fields(rest[j+1:] + " x")[0], rest[j+1:])
		_ = f
		if _, err := Compile(pat, flagsOfMods(rest[j+1:])); err != nil {
			t.Errorf("line %q: %v", line, err)
		}
		n++
	}
	t.Logf("compiled %d regexes", n)
	if n < 500 {
		t.Errorf("only %d regexes found", n)
	}
}

func flagsOfMods(tail string) Flags {
	_, f := flagsOf("//"+tail, tail)
	return f
}

// TestPathologicalBounded: the work of a search, in steps of the machine
// (threads added), is at most one program's worth per offset tried and
// per offset of the data looked at from it; and a limited search stops
// within one offset's worth of steps past its limit.
func TestPathologicalBounded(t *testing.T) {
	big := bytes.Repeat([]byte("a"), 1<<20)
	mixed := bytes.Repeat([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaax"), 1<<20/101)
	for _, tc := range []struct {
		pat  string
		data []byte
	}{
		{`(a*)*b`, big}, {`(a|aa)*c`, big}, {`.{0,600}x`, big}, {`.{0,600}x`, mixed[:64<<10]}, {`(a|aa)*c`, mixed},
		{`(a{0,100}){0,100}`, mixed[:4<<10]}, {`[a-z]{0,5000}x`, mixed[:4<<10]}, {`((a|b){0,100}c){0,100}`, mixed[:4<<10]},
	} {
		r, err := Compile(tc.pat, Flags{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		t0 := time.Now()
		steps, ok := r.findAll(tc.data, nil, func(s, e int) bool { n++; return true })
		insts := int64(r.ProgLen())
		bound := int64(len(tc.data)) * int64(MaxMatch+1) * insts
		if !ok || steps > bound {
			t.Errorf("%s: %d steps > bound %d", tc.pat, steps, bound)
		}
		t.Logf("%s on %d bytes: %d matches, %d steps (%.0f a byte), %v", tc.pat, len(tc.data), n, steps, float64(steps)/float64(len(tc.data)), time.Since(t0))
		for _, limit := range []int64{0, 1000, steps / 2} {
			left := limit
			spent, ok := r.findAll(tc.data, &left, func(s, e int) bool { return true })
			if limit < steps && (ok || left != -1 || spent > limit+insts) || limit >= steps && (!ok || left != limit-steps) {
				t.Errorf("%s, limit %d of %d: ok=%v left %d, spent %d", tc.pat, limit, steps, ok, left, spent)
			}
		}
	}
	if _, err := Compile(`(a{0,1000}){0,1000}`, Flags{}); err == nil {
		t.Errorf("a program of a million instructions compiles")
	}
}

func TestNoAllocInLoop(t *testing.T) {
	r, _ := Compile(`a[bc]+d|x{1,5}`, Flags{Nocase: true})
	data := []byte(strings.Repeat("abcbd xxxxxx ", 100))
	r.FindAll(data, func(int, int) bool { return true }) // warm the pool
	allocs := testing.AllocsPerRun(20, func() {
		r.FindAll(data, func(int, int) bool { return true })
	})
	if allocs > 1 {
		t.Errorf("FindAll allocates %v times per run", allocs)
	}
}

func FuzzCompileMatch(f *testing.F) {
	f.Add(`a(b|c)*d`, []byte("abcbd"), uint8(0))
	f.Add(`[\x00-\x1f]{,3}\bx`, []byte("\x01x"), uint8(3))
	f.Add(`(a*)*b`, []byte("aaaa"), uint8(31))
	f.Fuzz(func(t *testing.T, pat string, data []byte, fl uint8) {
		if len(pat) > 200 || len(data) > 4096 {
			return
		}
		f := Flags{Nocase: fl&1 != 0, DotAll: fl&2 != 0, Wide: fl&4 != 0, Ascii: fl&8 != 0, Fullword: fl&16 != 0}
		r, err := Compile(pat, f)
		if err != nil {
			return
		}
		prev := -1
		r.FindAll(data, func(s, e int) bool {
			if s <= prev || e < s || e > len(data) || e-s > MaxMatch {
				t.Fatalf("bad match %d-%d", s, e)
			}
			prev = s
			// atoms: every match contains an atom, at an offset in its range
			if at := r.AtomInfo(); len(at) > 0 {
				found := false
				for _, a := range at {
					hi := a.Hi
					if hi < 0 {
						hi = e - s
					}
					for o := a.Lo; o <= hi && s+o+len(a.Bytes) <= e && !found; o++ {
						found = index(data[s+o:s+o+len(a.Bytes)], a.Bytes, f.Nocase) == 0
					}
				}
				if !found {
					t.Fatalf("match %q has no atom of %v at its offsets", data[s:e], at)
				}
			}
			if e2, ok := r.MatchAt(data, s); !ok || e2 != e {
				t.Fatalf("MatchAt disagrees")
			}
			return true
		})
	})
}

func BenchmarkFindAllTypical(b *testing.B) {
	data := bytes.Repeat([]byte("<%@ Page Language=\"C#\" %> Response.Write(x); var y = Request.Form[\"z\"]; eval (q)\n"), 1<<20/80)
	r, err := Compile(`eval\s*\(`, Flags{Nocase: true})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r.FindAll(data, func(int, int) bool { return true })
	}
}

// TestRegexBombBounded checks that expressions whose matching work grows
// with the product of their size and the input's (nested counted repeats
// over dense input) stop at the step budget with ErrTooSlow, instead of
// running for minutes, and that the matches found before are kept.
func TestRegexBombBounded(t *testing.T) {
	data := bytes.Repeat([]byte("a"), 64<<10)
	for _, pat := range []string{
		`((((a{0,9}){0,9}){0,9}){0,9}){0,2}`,
		`(.{0,200}){0,60}`,
	} {
		r, err := Compile(pat, Flags{})
		if err != nil {
			t.Fatalf("%s: %v", pat, err)
		}
		n := 0
		if err := r.FindAll(data, func(int, int) bool { n++; return true }); err != ErrTooSlow {
			t.Errorf("%s: err %v, want ErrTooSlow", pat, err)
		}
		if n == 0 {
			t.Errorf("%s: the matches before the budget ran out were not reported", pat)
		}
		left := int64(StepBudget)
		steps, ok := r.findAll(data, &left, func(int, int) bool { return true })
		if ok || left != -1 || steps > StepBudget+1<<16 {
			t.Errorf("%s: ok=%v left=%d after %d steps, budget %d", pat, ok, left, steps, StepBudget)
		}
		t.Logf("%s: %d matches before the budget ran out", pat, n)
	}
	// A budget shared by calls over parts of one input runs out once.
	r, _ := Compile(`((((a{0,9}){0,9}){0,9}){0,9}){0,2}`, Flags{})
	left := int64(StepBudget)
	calls := 0
	for lo := 0; lo < len(data); lo += 4096 {
		calls++
		if !r.FindAllRangeLimit(data, lo, lo+4095, &left, func(int, int) bool { return true }) {
			break
		}
	}
	if left != -1 || calls == len(data)/4096 {
		t.Errorf("shared budget: left=%d after %d calls", left, calls)
	}
	// Ordinary expressions on ordinary input stay far below the budget.
	page := bytes.Repeat([]byte("<p>evaluate (Request.Item[\"z\"]) and mark it unsafe</p>\n"), 1000)
	for _, pat := range []string{`eval\s*\(\s*Request`, `[a-z]{1,30}\(Request\.Item\[`, `.{0,600}unsafe`} {
		r, _ := Compile(pat, Flags{Nocase: true})
		left := int64(StepBudget)
		if steps, ok := r.findAll(page, &left, func(int, int) bool { return true }); !ok || steps > StepBudget/10 {
			t.Errorf("%s: ok=%v after %d steps", pat, ok, steps)
		}
	}
}

func TestMaxLen(t *testing.T) {
	for _, tc := range []struct {
		pat  string
		f    Flags
		want int
	}{
		{`abc`, Flags{}, 3},
		{`abc`, Flags{Wide: true}, 6},
		{`abc`, Flags{Wide: true, Ascii: true}, 6},
		{`a(bc|d)?e{2,4}\b`, Flags{}, 7},
		{`[^.\w]eval\s{0,10}\(`, Flags{Nocase: true}, 16},
		{`a.*b`, Flags{}, MaxMatch},
		{`a{5000}`, Flags{}, MaxMatch},
		{`(ab){2000}c{100}`, Flags{}, MaxMatch},
		{`\b`, Flags{}, 0},
	} {
		r, err := Compile(tc.pat, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.MaxLen(); got != tc.want {
			t.Errorf("%q %+v: MaxLen %d, want %d", tc.pat, tc.f, got, tc.want)
		}
	}
}
