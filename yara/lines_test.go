package yara

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// lineRules are LOG rules over the corners of line scanning: fullword at
// the line's edges, counts and offsets per line, filesize, anchors, a
// string with a line end in it, a private rule, modifiers.
const lineRules = `
rule lit : LOG { strings: $a = "POST /owa/" condition: $a }
rule fw : LOG { strings: $a = "cmd" fullword condition: $a }
rule count2 : LOG { strings: $a = "ab" condition: #a == 2 }
rule at0 : LOG { strings: $a = "GET " condition: $a at 0 }
rule small : LOG { strings: $a = "xyz" condition: $a and filesize < 12 }
rule atend : LOG { strings: $a = "END" condition: $a at filesize - 3 }
rule anchored : LOG { strings: $r = /id=[0-9]+$/ condition: $r }
rule start : LOG { strings: $r = /^2021-[0-9]{2}/ condition: #r == 1 and @r[1] == 0 }
rule hexs : LOG { strings: $h = { 41 42 ?? 44 } condition: $h }
rule wides : LOG { strings: $w = "ServerInfo~" ascii wide condition: $w }
rule nocases : LOG { strings: $a = "select" nocase condition: $a and not $a at 0 }
rule cr : LOG { strings: $a = "q\x0d" condition: $a }
rule nl : LOG { strings: $a = "k\nl" condition: $a }
rule span : LOG { strings: $r = /u[^z]{0,6}v/ condition: $r }
private rule p { strings: $a = "foo" condition: $a }
rule q : LOG { strings: $b = "bar" condition: p and $b }
rule q2 : LOG { condition: p }
rule ranges : LOG { strings: $a = "ab" $b = "cd" condition: $a in (0..4) or ($b and #b in (0..filesize) > 1) }
rule length : LOG { strings: $a = /ww+x/ condition: !a[1] > 3 }
rule metas : LOG { meta: score = 70 author = "x" strings: $a = "meta" condition: $a }
rule xored : LOG { strings: $a = "hid" xor(1-2) condition: $a }
rule b64 : LOG { strings: $a = "secret" base64 condition: $a }
rule hexjump : LOG { strings: $h = { 45 [2-] 47 48 49 4A } condition: $h }
rule hexrange : LOG { strings: $h = { 49 [1-3] 4B 4C 4D 4E } condition: #h == 1 }
rule yyany : LOG { strings: $r = /yy[^y]/ condition: $r and @r[1] > 0 }
rule dup1 : LOG { strings: $a = "dupe" $b = "never" condition: $a and $b }
rule dup2 : LOG { strings: $a = "dupe" condition: $a }
rule cntin : LOG { strings: $a = "cnt" condition: #a in (1..filesize) }
rule lastof : LOG { strings: $a = "zz" condition: @a[#a] == filesize - 2 and #a > 1 }
`

// lineChunks are crafted chunks for the line scanning tests.
var lineChunks = []string{
	"",
	"\n",
	"\r\n\r\n",
	"\r",
	"POST /owa/x",
	"GET /a\r\nGET /b\nxGET /c\r\n\r\n\n",
	"cmd\ncmd\r\nxcmd\ncmd.exe\n cmdx\r\ncmd",
	"abab\nab\nab ab ab\nabab\r\nab\n",
	"xyz\nxyz xyz xyz xyz\r\n xyz\r\nxyz       x\n",
	"fooEND\nEND\r\nENDx\nxEND",
	"id=12\r\nid=3x\nid=44",
	"2021-03 2021-04\n2021-05\n x2021-06\r\n2021-0",
	"ABCD\nAB\nD\nABxD\r\nAB\r\nD",
	"S\x00e\x00r\x00v\x00e\x00r\x00I\x00n\x00f\x00o\x00~\x00\nServerInfo~\r\nServerInfo\n~",
	"SELECT\nx select\r\nsel\nect",
	"q\r\nq\rx\nq\r",
	"k\nl\nk\\nl\nk\r\nl",
	"u12\n3v\nu123v\nu\r\nv",
	"foo bar\nfoo\nbar\nbarfoo",
	"abcd\ncd cd\nxx ab cd cd\n",
	"wwx\nwwwwx\nwwwwwx\r\n",
	"meta\nmet\na",
	"zz zz\nzz\nazzb zz\nzz zzq",
	"c2VjcmV0\nxc2VjcmV0x\n",
	"yyy1\nyy\nyyy\nayy\r\nyyyyyyy-\n",
	"dupe\ndup\ne\nnever dupe\n",
	"cnt\nxcnt cnt\ncn\nt\n",
	"ExxGHIJ\nEGHIJ\nExGHIJ\nE\nxxGHIJ\nxE--GHIJ\r\n",
	"IxKLMN\nIKLMN\nIxxxxKLMN\nIxxKLMN IxKLMN\r\nI\nxKLMN\nIxxxKLMN",
	string([]byte{'h' ^ 1, 'i' ^ 1, 'd' ^ 1, '\n', 'h' ^ 2, 'i' ^ 2, 'd' ^ 2, '\r', '\n', 'h' ^ 3, 'i' ^ 3, 'd' ^ 3}),
	// lines longer than 1 MB, a hit at each end
	"POST /owa/" + strings.Repeat("a", 1<<20+1000) + " cmd\n" + strings.Repeat("b", 1<<20+17) + "END\r\nab ab",
}

// lineResult is what ScanLines reports for one line.
type lineResult struct {
	Line, Start, End int
	Matches          []Match
}

// splitLines is the reference split of a chunk into lines: spans without
// the line end.
func splitLines(data []byte) [][2]int {
	var out [][2]int
	start := 0
	for i, c := range data {
		if c != '\n' {
			continue
		}
		end := i
		if end > start && data[end-1] == '\r' {
			end--
		}
		out = append(out, [2]int{start, end})
		start = i + 1
	}
	if start < len(data) {
		out = append(out, [2]int{start, len(data)})
	}
	return out
}

// perLine is the reference for ScanLines: Scan on every line on its own.
func perLine(t testing.TB, rs *Rules, data []byte, vars map[string]any) []lineResult {
	t.Helper()
	var out []lineResult
	for i, sp := range splitLines(data) {
		ms, err := rs.Scan(bytes.Clone(data[sp[0]:sp[1]]), vars)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if len(ms) > 0 {
			out = append(out, lineResult{i + 1, sp[0], sp[1], ms})
		}
	}
	return out
}

func scanLines(t testing.TB, rs *Rules, data []byte, vars map[string]any) []lineResult {
	t.Helper()
	var out []lineResult
	err := rs.ScanLines(data, vars, func(line, start, end int, ms []Match) bool {
		out = append(out, lineResult{line, start, end, ms})
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameLines reports the first difference between ScanLines' results and
// the reference's.
func sameLines(want, got []lineResult) error {
	if reflect.DeepEqual(want, got) {
		return nil
	}
	for i := 0; i < max(len(want), len(got)); i++ {
		switch {
		case i >= len(got):
			return fmt.Errorf("missing line %d %v", want[i].Line, ruleNames(want[i].Matches))
		case i >= len(want):
			return fmt.Errorf("extra line %d %v", got[i].Line, ruleNames(got[i].Matches))
		case !reflect.DeepEqual(want[i], got[i]):
			return fmt.Errorf("line %d [%d:%d] %+v, want line %d [%d:%d] %+v", got[i].Line, got[i].Start, got[i].End, got[i].Matches, want[i].Line, want[i].Start, want[i].End, want[i].Matches)
		}
	}
	return nil
}

func hafniumSource(t testing.TB) Source {
	t.Helper()
	src, ok := hafnium()
	if !ok {
		t.Skip("no shared rules")
	}
	return src
}

// hafnium returns the shared HAFNIUM log rules, if present.
func hafnium() (Source, bool) {
	src, err := os.ReadFile(filepath.Join(sharedRules, "apt_hafnium_log_sigs.yar"))
	return Source{Name: "apt_hafnium_log_sigs.yar", Data: src}, err == nil
}

// lineTokens make up the random chunks: the rules' strings, pieces of
// them, line ends and filler.
var lineTokens = []string{
	"POST /owa/", "cmd", "ab", "GET ", "xyz", "END", "id=", "12", "2021-", "03", "AB", "D", "ServerInfo~",
	"S\x00e\x00r\x00v\x00e\x00r\x00I\x00n\x00f\x00o\x00~\x00", "select", "SeLeCt", "q", "k", "l", "u", "v", "foo",
	"bar", "cd", "ww", "x", "meta", "zz", "c2VjcmV0", "hid", "E", "GHIJ", "I", "KLMN", "dupe", "cnt", "yy", "\n", "\n", "\n", "\r\n", "\r", " ", " ", "-", "\x00",
	"POST /ecp/y.js ", "python-requests/2.25.1 ", " 200 ", "/ecp/a.js", "/ecp/main.css",
	strings.Repeat("z", 120), strings.Repeat(" ", 220),
}

func randomChunk(r *rand.Rand) []byte {
	var b []byte
	for n := r.Intn(40); n > 0; n-- {
		if r.Intn(8) == 0 {
			b = append(b, byte(r.Intn(256)))
			continue
		}
		b = append(b, lineTokens[r.Intn(len(lineTokens))]...)
	}
	return b
}

func TestScanLinesAgainstScan(t *testing.T) {
	srcs := []Source{{Name: "lines.yar", Data: []byte(lineRules)}}
	if h, ok := hafnium(); ok {
		srcs = append(srcs, h)
	}
	rs, err := Compile(srcs...)
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.LineSafe(); err != nil {
		t.Fatalf("LineSafe: %v", err)
	}
	chunks := slices.Clone(lineChunks)
	helsecert, _ := filepath.Glob(filepath.Join(sharedLogs, "incident-helsecert", "*"))
	for _, f := range helsecert {
		b, _ := os.ReadFile(f)
		chunks = append(chunks, string(b))
	}
	r := rand.New(rand.NewSource(1))
	for range 2000 {
		chunks = append(chunks, string(randomChunk(r)))
	}
	lines, matched := 0, map[string]bool{}
	for i, c := range chunks {
		want := perLine(t, rs, []byte(c), nil)
		got := scanLines(t, rs, []byte(c), nil)
		if err := sameLines(want, got); err != nil {
			t.Errorf("chunk %d %.200q: %v", i, c, err)
		}
		lines += len(want)
		for _, l := range want {
			for _, m := range l.Matches {
				matched[m.Rule] = true
			}
		}
	}
	// every public rule of lineRules must have matched somewhere, or the
	// comparison misses its corner
	for _, r := range rs.rules {
		// nl's string holds a line end: it can match no line
		if r.ast.Pos.File == "lines.yar" && !r.ast.Private && matched[r.ast.Name] == (r.ast.Name == "nl") {
			t.Errorf("rule %s: matched %v", r.ast.Name, matched[r.ast.Name])
		}
	}
	t.Logf("%d chunks, %d matching lines, %d rules matched", len(chunks), lines, len(matched))

	// each rule alone, so that no other rule's strings bring a line to
	// Scan
	var private []string
	for l := range strings.Lines(lineRules) {
		if strings.HasPrefix(l, "private ") {
			private = append(private, l)
		}
	}
	for l := range strings.Lines(lineRules) {
		if !strings.HasPrefix(l, "rule ") {
			continue
		}
		rs, err := Compile(Source{Name: "rule.yar", Data: []byte(strings.Join(private, "") + l)})
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range chunks[:len(chunks)-1500] {
			if err := sameLines(perLine(t, rs, []byte(c), nil), scanLines(t, rs, []byte(c), nil)); err != nil {
				t.Errorf("%s chunk %d %.200q: %v", l, i, c, err)
			}
		}
	}
}

// TestScanLinesStop checks that fn returning false stops the scan.
func TestScanLinesStop(t *testing.T) {
	rs := mustCompile(t, `rule a : LOG { strings: $a = "a" condition: $a }`)
	for _, data := range []string{"a\na\na\n", "a\nb\na\n\n"} {
		calls := 0
		rs.ScanLines([]byte(data), nil, func(line, start, end int, ms []Match) bool {
			calls++
			return false
		})
		if calls != 1 {
			t.Errorf("%q: %d calls after fn returned false", data, calls)
		}
	}
	unsafe := mustCompile(t, `rule a : LOG { strings: $a = "a" condition: not $a }`)
	calls := 0
	unsafe.ScanLines([]byte("\n\n\n"), nil, func(line, start, end int, ms []Match) bool {
		calls++
		return line < 2
	})
	if calls != 2 {
		t.Errorf("slow path: %d calls, want 2", calls)
	}
}

// TestScanLinesUnsafe checks the per-line fallback on rules LineSafe
// rejects: the lines without a literal hit match too.
func TestScanLinesUnsafe(t *testing.T) {
	cases := []struct {
		rules, msg, data string
		want             []int
	}{
		{`rule r : LOG { strings: $a = "x" condition: not $a }`,
			"f.yar:1: rule r: the condition can be true", "x\n\nax\r\nb\r\n\r\nc", []int{2, 4, 5, 6}},
		{"rule ok : LOG { strings: $a = \"x\" condition: $a }\nrule re : LOG {\n strings: $a = /[0-9]+[a-z]+/ condition: $a }",
			"f.yar:3: rule re: string $a has no literal atom", "12ab\nx\n\nab12\r\n1a", []int{1, 2, 5}},
		{`rule e : LOG { condition: filesize == 0 }`,
			"f.yar:1: rule e: the condition can be true", "\na\r\n\r\n", []int{1, 3}},
	}
	for _, c := range cases {
		rs, err := Compile(Source{Name: "f.yar", Data: []byte(c.rules)})
		if err != nil {
			t.Fatal(err)
		}
		if err := rs.LineSafe(); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: LineSafe %v, want %q", c.rules, err, c.msg)
		}
		want := perLine(t, rs, []byte(c.data), nil)
		got := scanLines(t, rs, []byte(c.data), nil)
		if err := sameLines(want, got); err != nil {
			t.Errorf("%s: %v", c.rules, err)
		}
		var lines []int
		for _, l := range got {
			lines = append(lines, l.Line)
		}
		if !slices.Equal(lines, c.want) {
			t.Errorf("%s on %q: lines %v, want %v", c.rules, c.data, lines, c.want)
		}
	}
}

// TestLineSafe checks which conditions LineSafe accepts.
func TestLineSafe(t *testing.T) {
	if h, ok := hafnium(); ok {
		if err := mustCompileSrc(t, h).LineSafe(); err != nil {
			t.Errorf("apt_hafnium_log_sigs.yar: %v", err)
		}
	}
	cases := []struct {
		cond string
		safe bool
	}{
		{"$a", true},
		{"not $a", false},
		{"1 of them", true},
		{"none of them", false},
		{"0 of them", false},
		{"all of them", true},
		{"#a == 0", false},
		{"#a > 0", true},
		{"#a < 1", false},
		{"$a at 0", true},
		{"not $a at 0", false},
		{"$a in (0..filesize)", true},
		{"not ($a in (0..filesize))", false},
		{"#a in (0..filesize) == 0", false},
		{"$a and filesize > 10", true},
		{"filesize > 10 and $a", true},
		{"$a or filesize > 10", false},
		{"filesize == 0", false},
		{"uint8(0) == 0x41", false}, // false on both probes: only the analysis sees it
		{"uint8(0) == 0x41 and $b", true},
		{"for any of them : ($ at 0)", true},
		{"for all of them : (# == 0)", false},
		{"for any i in (0..10) : (uint8(i) == 65)", false},
		{"for any i in (1..#a) : (@a[i] > 2)", true},
		{"@a[1] == 0 or !b[1] > 3", true},
		{"not (@a[1] == 0)", true}, // not undefined is undefined
		{"ext and $a", true},
		{"ext", false},
		{"ext == 3 or $b", false},
		{"priv and $a", true},
		{"priv", true},
		{"neg and $a", true},
		{"neg", false},
		{"not priv", false},
		{"1 of (priv, neg) and $a", true},
		{"1 of (priv, neg)", false},
		{"math.entropy(0, filesize) > 7", false},
		{"pe.number_of_sections == 1", false},
		{"pe.is_dll() and $a", true},
		{"true", false},
		{"false", true},
		{"\"a\" matches /a/", false},
		{"\"a\" matches /b/ or $a", true},
		{"defined @a[1]", true},
		{"not defined @a[1]", false},
		{"not (not $a)", true},
		{"not ($a or not $b)", true},
		{"not ($a and not $b)", false},
	}
	for _, c := range cases {
		src := `import "math"
import "pe"
private rule priv { strings: $x = "x" condition: $x }
private rule neg { strings: $x = "x" condition: not $x }
rule r : LOG { strings: $a = "a" $b = "b" condition: (` + c.cond + `) and (true or $a or $b) }`
		rs, err := Compile(Source{Name: "f.yar", Data: []byte(src)})
		if err != nil {
			t.Errorf("%s: %v", c.cond, err)
			continue
		}
		err = rs.LineSafe()
		if (err == nil) != c.safe {
			t.Errorf("%s: LineSafe %v, want safe %v", c.cond, err, c.safe)
		} else if err != nil && !strings.Contains(err.Error(), "f.yar:5: rule r:") {
			t.Errorf("%s: LineSafe %q does not name the rule", c.cond, err)
		}
	}
}

func mustCompileSrc(t testing.TB, src ...Source) *Rules {
	t.Helper()
	rs, err := Compile(src...)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestLineSafeRandomConditions checks LineSafe's analysis on random
// conditions: a rule it accepts must be false on any line where its
// strings do not match, which both the evaluation without string matches
// on random lines and ScanLines against Scan line by line test.
func TestLineSafeRandomConditions(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	g := gen{r}
	var lines [][]byte
	for range 200 {
		n := r.Intn(12)
		b := make([]byte, n)
		for i := range b {
			b[i] = "ABCEx\x00\xff "[r.Intn(8)]
		}
		lines = append(lines, b)
	}
	safe, unsafe := 0, 0
	for i := 0; i < 3000; i++ {
		cond := g.boolExpr(3)
		src := imports + "rule r : LOG { strings: $a = \"A\" $b = /B+/ $c = { 43 ?? 45 } condition: (" + cond + ") and (true or $a or $b or $c) }"
		rs, err := Compile(Source{Name: "r.yar", Data: []byte(src)})
		if err != nil {
			continue
		}
		if rs.LineSafe() != nil {
			unsafe++
			continue
		}
		safe++
		for _, l := range lines {
			if len(rs.trueWithoutStrings(l)) > 0 {
				t.Errorf("%s: accepted, but true on %q without string matches", cond, l)
				break
			}
		}
		data := randomChunk(r)
		data = append(data, "\nA\nBB\nCxE\n\nAxA BCCE"...)
		if err := sameLines(perLine(t, rs, data, nil), scanLines(t, rs, data, nil)); err != nil {
			t.Errorf("%s on %q: %v", cond, data, err)
		}
	}
	t.Logf("%d random conditions accepted, %d rejected", safe, unsafe)
	if safe < 300 || unsafe < 300 {
		t.Errorf("%d accepted, %d rejected: the generator no longer tests both sides", safe, unsafe)
	}
}

// TestScanLinesAgainstYara splits the shared logs into one file per line,
// runs yara on them with the HAFNIUM log rules, then with all the shared
// rules, and compares the (rule, line) pairs and string matches with
// ScanLines over each whole log.
func TestScanLinesAgainstYara(t *testing.T) {
	yaraBin := needYara(t)
	hafnium := hafniumSource(t)
	var logs []string
	filepath.WalkDir(sharedLogs, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			logs = append(logs, p)
		}
		return nil
	})
	if len(logs) == 0 {
		t.Skip("no shared logs")
	}
	dir := t.TempDir()
	nlines := 0
	for li, p := range logs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, sp := range splitLines(data) {
			name := filepath.Join(dir, fmt.Sprintf("%d.%d", li, i+1))
			if err := os.WriteFile(name, data[sp[0]:sp[1]], 0o644); err != nil {
				t.Fatal(err)
			}
			nlines++
		}
	}
	all, _ := filepath.Glob(filepath.Join(sharedRules, "*.yar"))
	var allSrc []Source
	for _, f := range all {
		b, _ := os.ReadFile(f)
		allSrc = append(allSrc, Source{Name: filepath.Base(f), Data: b})
	}
	for _, set := range []struct {
		name  string
		files []string
		srcs  []Source
	}{
		{"apt_hafnium_log_sigs.yar", []string{filepath.Join(sharedRules, "apt_hafnium_log_sigs.yar")}, []Source{hafnium}},
		{"all shared rules", all, allSrc},
	} {
		rs := mustCompileSrc(t, set.srcs...)
		if err := rs.LineSafe(); err != nil {
			t.Errorf("%s: LineSafe: %v", set.name, err)
		}
		got, gotStrs := map[string]bool{}, map[string]bool{}
		for li, p := range logs {
			data, _ := os.ReadFile(p)
			err := rs.ScanLines(data, nil, func(line, start, end int, ms []Match) bool {
				name := filepath.Join(dir, fmt.Sprintf("%d.%d", li, line))
				for _, m := range ms {
					got[m.Rule+" "+name] = true
					for _, s := range m.Strings {
						gotStrs[fmt.Sprintf("%s %s %s@%d", m.Rule, name, s.ID, s.Offset)] = true
					}
				}
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		pairs, wantStrs := yaraPairs(t, yaraBin, dir, set.files...)
		want := map[string]bool{}
		for p := range pairs {
			want[p.rule+" "+p.file] = true
		}
		for _, d := range diffSets(want, got) {
			t.Errorf("%s: (rule, line) %s", set.name, d)
		}
		for _, d := range diffSets(wantStrs, gotStrs) {
			t.Errorf("%s: string %s", set.name, d)
		}
		// the HAFNIUM traces of the incident must be found
		var found []string
		for k := range got {
			rule, name, _ := strings.Cut(k, " ")
			l, n, _ := strings.Cut(filepath.Base(name), ".")
			i, _ := strconv.Atoi(l)
			if strings.Contains(logs[i], "incident-helsecert") {
				found = append(found, fmt.Sprintf("%s:%s %s", filepath.Base(logs[i]), n, rule))
			}
		}
		slices.Sort(found)
		for _, f := range found {
			t.Logf("%s: match %s", set.name, f)
		}
		if len(found) == 0 {
			t.Errorf("%s: no match in the incident-helsecert logs", set.name)
		}
		t.Logf("%s: %d logs, %d lines: yara and ScanLines agree on %d (rule, line) matches and %d string matches", set.name, len(logs), nlines, len(want), len(wantStrs))
	}
}

// iisLog writes an Exchange IIS log of about size bytes: ordinary traffic,
// much of it hitting the HAFNIUM rules' atoms (ECP, OWA themes, crawler
// user agents, python-requests), and a HAFNIUM request every so many
// lines. It returns the log and the number of HAFNIUM requests.
func iisLog(size, every int) ([]byte, int) {
	r := rand.New(rand.NewSource(7))
	var agents []string
	for _, a := range []struct {
		weight int
		agent  string
	}{
		{30, "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/88.0.4324.182+Safari/537.36"},
		{25, "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.5095;+Pro)"},
		{15, "Apple-iPhone12C1/1803.40"},
		{15, "AMProbe/Local/ClientAccess"},
		{5, "Mozilla/5.0+(compatible;+MSIE+10.0;+Windows+NT+6.1;+Trident/6.0)"},
		{2, "Mozilla/5.0+(compatible;+Googlebot/2.1;++http://www.google.com/bot.html)"},
		{2, "python-requests/2.22.0"},
		{6, "ExchangeServicesClient/15.01.2176.002"},
	} {
		for range a.weight {
			agents = append(agents, a.agent)
		}
	}
	reqs := []string{
		"POST /mapi/emsmdb/ mailboxId=6f1f3d1b-1b5f-4c2e-9d2e-5a6b7c8d9e0f@contoso.com&CorrelationID=<empty>;&cafeReqId=%s;",
		"POST /EWS/Exchange.asmx &CorrelationID=<empty>;&cafeReqId=%s;",
		"POST /Microsoft-Server-ActiveSync/default.eas Cmd=Sync&User=jdoe&DeviceId=ABC123&DeviceType=iPhone&cafeReqId=%s;",
		"GET /owa/ &CorrelationID=<empty>;&cafeReqId=%s;",
		"POST /owa/service.svc action=GetItem&ID=-34&AC=1&CorrelationID=<empty>;&cafeReqId=%s;",
		"GET /owa/auth/Current/themes/resources/favicon.ico &CorrelationID=<empty>;&cafeReqId=%s;",
		"GET /ecp/ &CorrelationID=<empty>;&cafeReqId=%s;",
		"POST /ecp/DDI/DDIService.svc/GetList schema=MailboxService&msExchEcpCanary=Xk3&cafeReqId=%s;",
		"GET /rpc/rpcproxy.dll &CorrelationID=<empty>;&RequestId=%s;",
		"GET /Autodiscover/Autodiscover.xml &CorrelationID=<empty>;&cafeReqId=%s;",
	}
	var b []byte
	injected := 0
	for n := 0; len(b) < size; n++ {
		ts := fmt.Sprintf("2021-03-%02d %02d:%02d:%02d", 1+n/200000%28, n/3600%24, n/60%60, n%60)
		id := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Intn(1<<16), r.Intn(1<<16), r.Intn(1<<16), r.Int63n(1<<48))
		if n%every == every-1 {
			b = fmt.Appendf(b, "%s 10.0.0.5 POST /ecp/y.js &CorrelationID=<empty>;&cafeReqId=%s;&encoding=;&msExchEcpCanary=M1xSxxxDuw 443 - 130.255.189.21 "+
				"python-requests/2.25.1 - 200 0 0 %d %s%s\r\n", ts, id, 10+r.Intn(900), strings.Repeat("x", 200), strings.Repeat(" 200 ", 1))
			injected++
			continue
		}
		req := fmt.Sprintf(reqs[r.Intn(len(reqs))], id)
		b = fmt.Appendf(b, "%s 10.0.0.5 %s 443 CONTOSO\\user%d 10.1.%d.%d %s - %d 0 0 %d\r\n", ts, req, r.Intn(500), r.Intn(256), r.Intn(256),
			agents[r.Intn(len(agents))], []int{200, 200, 200, 302, 401, 440}[r.Intn(6)], r.Intn(2000))
	}
	return b, injected
}

// BenchmarkScanLines scans 64 MB of IIS logs with the HAFNIUM log rules:
// a generated Exchange log with a HAFNIUM request every 20,000 lines, and
// the shared IIS log repeated.
func BenchmarkScanLines(b *testing.B) {
	rs := mustCompileSrc(b, hafniumSource(b))
	b.Run("generated", func(b *testing.B) {
		data, injected := iisLog(64<<20, 20000)
		benchmarkScanLines(b, rs, data, injected)
	})
	b.Run("shared-iis", func(b *testing.B) {
		log, err := os.ReadFile(filepath.Join(sharedLogs, "iis", "Tunna_rdp_tunnel_IIS.log"))
		if err != nil || len(log) == 0 {
			b.Skip("no shared IIS log")
		}
		data := bytes.Repeat(log, (64<<20)/len(log)+1)[:64<<20]
		data = data[:bytes.LastIndexByte(data, '\n')+1]
		benchmarkScanLines(b, rs, data, 0)
	})
}

func benchmarkScanLines(b *testing.B, rs *Rules, data []byte, want int) {
	lines := bytes.Count(data, []byte{'\n'})
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	var st lineStats
	for i := 0; i < b.N; i++ {
		n := 0
		var err error
		st, err = rs.scanLines(data, nil, func(line, start, end int, ms []Match) bool {
			n++
			return true
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != want {
			b.Fatalf("%d matching lines, want %d", n, want)
		}
	}
	b.ReportMetric(float64(st.hit)/float64(lines), "hit-lines/line")
	b.ReportMetric(float64(st.checked)/float64(lines), "checked/line")
	b.ReportMetric(float64(st.scanned)/float64(lines), "scanned/line")
}

// TestScanLinesWork checks on a generated IIS log that the lines with
// hits whose strings do not match, or whose strings cannot make a rule
// true, are not evaluated with Scan, also after a line with very many
// hits.
func TestScanLinesWork(t *testing.T) {
	rs := mustCompileSrc(t, hafniumSource(t))
	data, injected := iisLog(2<<20, 1000)
	data = append(bytes.Repeat([]byte("/ecp/ ServerInfo~ "), 5000), append([]byte{'\n'}, data...)...)
	n := 0
	st, err := rs.scanLines(data, nil, func(line, start, end int, ms []Match) bool {
		n++
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Count(data, []byte{'\n'})
	t.Logf("%d lines, %d with hits, %d verified, %d evaluated, %d match", lines, st.hit, st.checked, st.scanned, n)
	if n != injected || st.scanned != injected+1 || st.checked >= st.hit || st.hit < lines/10 {
		t.Errorf("want %d matching lines, %d evaluated, fewer verified than hit", injected, injected+1)
	}
}

// FuzzScanLines compares ScanLines with Scan on each line, with fixed
// rules over fuzzed chunks.
func FuzzScanLines(f *testing.F) {
	for _, c := range lineChunks[:len(lineChunks)-1] {
		f.Add([]byte(c))
	}
	rs, err := Compile(Source{Name: "lines.yar", Data: []byte(lineRules)})
	if err != nil {
		f.Fatal(err)
	}
	if err := rs.LineSafe(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := sameLines(perLine(t, rs, data, nil), scanLines(t, rs, data, nil)); err != nil {
			t.Error(err)
		}
	})
}

// TestScanLinesHitOrder: the prefilter reports hits in the order of their
// atoms, not of their ends; a hit across a line end whose atom comes first
// must not move the scan past a hit on the line before it, and a string's
// windows are verified whatever the order of its atoms' hits.
func TestScanLinesHitOrder(t *testing.T) {
	rs := mustCompile(t, `rule long { strings: $a = "QZ-start tail\nof-a-long-literal" condition: $a }
rule short { strings: $b = "tail" condition: $b }
rule re { strings: $c = /(XYZW|ab)cdefgh/ condition: $c }`)
	data := []byte("QZ-start tail\nof-a-long-literal\nzzzzabcdefgh XYZWcdefgh\n")
	var got []string
	err := rs.ScanLines(data, nil, func(line, start, end int, ms []Match) bool {
		for _, m := range ms {
			got = append(got, fmt.Sprintf("%d %s", line, m.Rule))
		}
		return true
	})
	if want := "[1 short 3 re]"; err != nil || fmt.Sprint(got) != want {
		t.Errorf("got %v (%v), want %s", got, err, want)
	}
}
