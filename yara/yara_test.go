package yara

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

func mustCompile(t *testing.T, src string) *Rules {
	t.Helper()
	rs, err := Compile(Source{Name: "t.yar", Data: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func ruleNames(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Rule)
	}
	return out
}

func scanNames(t *testing.T, rs *Rules, data string, vars map[string]any) string {
	t.Helper()
	ms, err := rs.Scan([]byte(data), vars)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(ruleNames(ms), ",")
}

func TestConditions(t *testing.T) {
	cases := []struct {
		cond string
		data string
		want bool
	}{
		{"true", "", true},
		{"filesize == 4", "ABCD", true},
		{"uint8(10) == 0 or true", "ABCD", true},
		{"not (uint8(10) == 0)", "ABCD", false},
		{"not (uint8(10) == 0 and true)", "ABCD", true},
		{"not defined uint8(10)", "ABCD", true},
		{"defined uint8(3)", "ABCD", true},
		{"(1 \\ (filesize - 4)) != 1", "ABCD", false},
		{"0x7fffffffffffffff + filesize < 0", "ABCD", true},
		{"uint32be(0) == 0x41424344 and int16(0) == 0x4241", "ABCD", true},
		{"for all i in (1..0) : (true)", "", false},
		{"for 2 i in (1..3) : (i >= 2)", "", true},
		{"for any i in (1, 2, 3) : (i == filesize)", "ABC", true},
		{"2.5 * 2 == 5", "", true},
		{`"abc" matches /^a.c$/`, "", true},
		{`"abc" icontains "B" and "abc" endswith "bc"`, "", true},
		{"ext_int == 3 and ext_str == \"x\" and ext_bool and ext_float > 1.5", "", true},
		{"math.entropy(\"aabb\") == 1.0", "", true},
		{"math.mean(0, filesize) == 66.0", "ABC", true},
		{`hash.md5(0, filesize) == "902fbdd2b1df0c4f70b4a5d23525e932"`, "ABC", true},
		{`hash.sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"`, "", true},
		{"pe.number_of_sections > 0", "MZ", false},
		{"not defined pe.entry_point", "MZ", true},
	}
	vars := map[string]any{"ext_int": 3, "ext_str": "x", "ext_bool": true, "ext_float": 2.0}
	for _, c := range cases {
		rs := mustCompile(t, "import \"math\"\nimport \"hash\"\nimport \"pe\"\nrule r { condition: "+c.cond+" }")
		got := scanNames(t, rs, c.data, vars) == "r"
		if got != c.want {
			t.Errorf("%s on %q: got %v, want %v", c.cond, c.data, got, c.want)
		}
	}
}

func TestStrings(t *testing.T) {
	rs := mustCompile(t, `
rule r : tag1 tag2 {
  meta: author = "me" n = 3 ok = true
  strings:
    $a = "AB"
    $b = /C[0-9]+/
    $c = { 44 ?? 46 }
    $p = "AB" private
  condition: #a == 2 and @a[2] == 5 and !b == 2 and $c at 10 and $p
}`)
	ms, err := rs.Scan([]byte("ABC1 ABC22DxF"), nil)
	if err != nil || len(ms) != 1 {
		t.Fatalf("%v %v", ms, err)
	}
	m := ms[0]
	if m.Rule != "r" || m.Namespace != "default" || strings.Join(m.Tags, " ") != "tag1 tag2" || len(m.Meta) != 3 || m.Meta[1].Value != int64(3) {
		t.Errorf("match %+v", m)
	}
	var got []string
	for _, s := range m.Strings {
		got = append(got, s.ID+":"+string(s.Data))
	}
	if strings.Join(got, " ") != "$a:AB $a:AB $b:C1 $b:C22 $c:DxF" {
		t.Errorf("strings %v", got)
	}
}

func TestDataCap(t *testing.T) {
	rs := mustCompile(t, `rule r { strings: $a = /A+/ condition: $a }`)
	ms, _ := rs.Scan(bytes.Repeat([]byte("A"), 2000), nil)
	if len(ms) != 1 || len(ms[0].Strings[0].Data) != MaxMatchData || len(ms[0].Strings) != 2000 {
		t.Fatalf("%d strings, first data %d", len(ms[0].Strings), len(ms[0].Strings[0].Data))
	}
}

func TestPrivateAndGlobal(t *testing.T) {
	rs := mustCompile(t, `
global rule g { condition: filesize > 2 }
private rule p { condition: true }
rule a { condition: p }
`)
	if got := scanNames(t, rs, "abc", nil); got != "g,a" {
		t.Errorf("got %q", got)
	}
	if got := scanNames(t, rs, "ab", nil); got != "" {
		t.Errorf("global false: got %q", got)
	}
}

func TestOf(t *testing.T) {
	rs := mustCompile(t, `
rule o1 { strings: $a1 = "x" $a2 = "y" $b = "z" condition: 2 of ($a*) and not $b }
rule o0 { strings: $a = "x" condition: 0 of them }
rule anon { strings: $ = "x" $ = "q" condition: any of them and not all of them }
rule forof { strings: $a = "x" $b = "y" condition: for all of them : (# == 1 and @ < 2) }
rule rules { condition: 2 of (o*) }
`)
	if got := scanNames(t, rs, "xy", nil); got != "o1,anon,forof" {
		t.Errorf("got %q", got)
	}
	if got := scanNames(t, rs, "", nil); got != "o0" {
		t.Errorf("empty: got %q", got)
	}
}

func TestCompileErrors(t *testing.T) {
	cases := map[string]string{
		"rule r {\n condition: $a }":                                  "t.yar:2",
		"rule r {\n strings:\n  $a = /(/\n condition: $a }":           "t.yar:3: string $a",
		"rule r {\n strings:\n  $a = { 41 [0] 42 }\n condition: $a }": "t.yar:3: string $a",
		"rule r {\n condition:\n  \"a\" matches /[/ }":                "t.yar:3",
		"rule r { condition: true }\n":                                "",
	}
	for src, want := range cases {
		_, err := Compile(Source{Name: "t.yar", Data: []byte(src)})
		if want == "" {
			if err != nil {
				t.Errorf("%q: %v", src, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: error %v, want prefix %q", src, err, want)
		}
	}
	_, err := Compile(Source{"a.yar", []byte("rule r { condition: true }")}, Source{"b.yar", []byte("rule r { condition: true }")})
	if err == nil || !strings.HasPrefix(err.Error(), "b.yar:1") {
		t.Errorf("duplicate across files: %v", err)
	}
}

func TestConcurrentScan(t *testing.T) {
	rs := mustCompile(t, `rule r { strings: $a = /ab+c/ $b = "xyz" nocase condition: $a and $b }`)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				if got := scanNames(t, rs, "..abbbc..XyZ", nil); got != "r" {
					t.Errorf("got %q", got)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestExternals(t *testing.T) {
	rs := mustCompile(t, `rule r { condition: ext_a == 1 and for any i in (1..2) : (i == ext_b) }`)
	if got := rs.Externals(); strings.Join(got, ",") != "ext_a,ext_b" {
		t.Errorf("externals %v", got)
	}
	if _, err := rs.Scan(nil, map[string]any{"ext_a": 1}); err == nil || !strings.Contains(err.Error(), "ext_b") {
		t.Errorf("missing external: %v", err)
	}
	if got := scanNames(t, rs, "", map[string]any{"ext_a": int64(1), "ext_b": 2}); got != "r" {
		t.Errorf("got %q", got)
	}
}

func TestMultipleSources(t *testing.T) {
	rs, err := Compile(
		Source{"a.yar", []byte("rule a { strings: $x = \"x\" condition: $x }")},
		Source{"b.yar", []byte("rule b { condition: a and filesize < 10 }")},
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := scanNames(t, rs, "xx", nil); got != "a,b" {
		t.Errorf("got %q", got)
	}
	_, err = Compile(Source{"a.yar", []byte("rule a { condition: b }")}, Source{"b.yar", []byte("rule b { condition: true }")})
	if err == nil || !strings.HasPrefix(err.Error(), "a.yar:1") {
		t.Errorf("forward reference: %v", err)
	}
	_, err = Compile(Source{"a.yar", []byte("include \"b.yar\"\nrule a { condition: true }")}, Source{"b.yar", nil})
	if err == nil || !strings.HasPrefix(err.Error(), "a.yar:1") {
		t.Errorf("include: %v", err)
	}
}

func TestSharedStringsAndFixedOffset(t *testing.T) {
	rs := mustCompile(t, `
rule a { strings: $x = "A" condition: $x at 0 }
rule b { strings: $x = "A" $y = "A" private condition: #x == 2 and #y == 2 }
`)
	ms, err := rs.Scan([]byte("AxxA"), nil)
	if err != nil || len(ms) != 2 {
		t.Fatalf("%v %v", ruleNames(ms), err)
	}
	if len(ms[0].Strings) != 1 || ms[0].Strings[0].Offset != 0 {
		t.Errorf("a: %+v", ms[0].Strings)
	}
	if len(ms[1].Strings) != 2 || ms[1].Strings[1].Offset != 3 {
		t.Errorf("b: %+v", ms[1].Strings)
	}
	if len(rs.pats) != 1 {
		t.Errorf("%d atom patterns for one distinct string", len(rs.pats))
	}
}

func TestLoopBudget(t *testing.T) {
	rs := mustCompile(t, `rule r { condition: for all i in (0..0x3ffffff) : (for all j in (0..0x3ffffff) : (true)) }`)
	if _, err := rs.Scan(nil, nil); err == nil {
		t.Error("no error for 2^52 iterations")
	}
}

func TestCaseFoldingIsASCII(t *testing.T) {
	rs := mustCompile(t, "rule r { condition: not (\"\\xc3\\x84\" iequals \"\\xc3\\xa4\") and \"K\" iequals \"k\" and not (\"\\xe2\\x84\\xaa\" icontains \"k\") }")
	if got := scanNames(t, rs, "", nil); got != "r" {
		t.Errorf("got %q", got)
	}
}

func TestCountInRange(t *testing.T) {
	// Debian's yara 4.2.3 fails the scan ("error: 31") for every
	// "#a in (lo..hi)" with lo > 0, reversed or not; this engine counts.
	rs := mustCompile(t, `rule r { strings: $a = "A" condition: #a in (1..2) == 1 and #a in (filesize..1) == 0 and #a in (0..uint8(1000)) == 0 }`)
	if got := scanNames(t, rs, "xAAxxA", nil); got != "" {
		t.Errorf("undefined bound: got %q", got)
	}
	rs = mustCompile(t, `rule r { strings: $a = "A" condition: #a in (1..2) == 2 and #a in (filesize..1) == 0 and #a in (3..5) == 1 }`)
	if got := scanNames(t, rs, "xAAxxA", nil); got != "r" {
		t.Errorf("got %q", got)
	}
}

func TestPercentRange(t *testing.T) {
	for src, bad := range map[string]bool{
		"rule a { condition: true }\nrule r {\n condition: 0% of (a) }":   true,
		"rule a { condition: true }\nrule r {\n condition: 101% of (a) }": true,
		"rule a { condition: true }\nrule r {\n condition: 100% of (a) }": false,
	} {
		_, err := Compile(Source{Name: "t.yar", Data: []byte(src)})
		if (err != nil) != bad || bad && !strings.HasPrefix(err.Error(), "t.yar:3") {
			t.Errorf("%q: %v", src, err)
		}
	}
}

// TestExternalsLikeYara mirrors `yara -d ext_i=5 -d ext_s=hello -d
// ext_b=true -d ext_f=false -d ext_x=1.25 -d ext_e=`, whose output is
// e_int, e_str, e_bool, e_float, e_str_true (checked with yara 4.2.3).
func TestExternalsLikeYara(t *testing.T) {
	rs := mustCompile(t, `
rule e_int { condition: ext_i == 5 and ext_i + 1 == 6 }
rule e_str { condition: ext_s contains "ell" and ext_s matches /^h.l/ }
rule e_bool { condition: ext_b }
rule e_bool_f { condition: ext_f }
rule e_float { condition: ext_x > 1.2 and ext_x < 1.3 }
rule e_str_empty { condition: ext_e }
rule e_str_true { condition: ext_s }
`)
	vars := map[string]any{"ext_i": 5, "ext_s": "hello", "ext_b": true, "ext_f": false, "ext_x": 1.25, "ext_e": ""}
	if got := scanNames(t, rs, "ABCDEFGH", vars); got != "e_int,e_str,e_bool,e_float,e_str_true" {
		t.Errorf("got %q", got)
	}
}

// TestDeclaredExternals: with Options.Externals, undefined identifiers and
// type errors are compile errors (as with yara -d), and the values are
// Scan's defaults.
func TestDeclaredExternals(t *testing.T) {
	ext := map[string]any{"n": 5, "s": "hello", "b": true, "f": 1.5}
	rs, err := CompileOptions(Options{Externals: ext}, Source{"e.yar", []byte(`
rule r { condition: n == 5 and s contains "ell" and b and f > 1.4 }`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := scanNames(t, rs, "", nil); got != "r" {
		t.Errorf("defaults: got %q", got)
	}
	if got := scanNames(t, rs, "", map[string]any{"n": 6}); got != "" {
		t.Errorf("override: got %q", got)
	}
	for src, want := range map[string]string{
		"rule r {\n condition: m == 1 }":                                                    `e.yar:2: undefined identifier "m"`,
		"rule r {\n condition: s > 5 }":                                                     "e.yar:2:",
		"rule r {\n condition: n contains \"a\" }":                                          "e.yar:2:",
		"rule r {\n condition: s matches /a/ and n + 1 == 6 and f * 2.0 == 3.0 and not b }": "",
	} {
		_, err := CompileOptions(Options{Externals: ext}, Source{"e.yar", []byte(src)})
		if want == "" && err != nil || want != "" && (err == nil || !strings.HasPrefix(err.Error(), want)) {
			t.Errorf("%q: %v, want %q", src, err, want)
		}
	}
	if _, err := CompileOptions(Options{Externals: map[string]any{"x": struct{}{}}}, Source{"e.yar", []byte("rule r { condition: x }")}); err == nil {
		t.Error("an external of an unknown type compiles")
	}
}

// TestUnsupportedRefused: what the engine does not compute is refused when
// the rules load, with file, line and name, never left to silently fail.
func TestUnsupportedRefused(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"import \"dotnet\"\nrule a { condition: dotnet.is_dotnet }", `r.yar:1: module "dotnet" is not supported`},
		{"import \"math\"\n\nimport \"elf\"\nrule a { condition: true }", `r.yar:3: module "elf" is not supported`},
		{"rule a {\n condition: entrypoint == 0 }", "r.yar:2: entrypoint is not supported"},
		{"import \"pe\"\nrule a {\n condition: pe.number_of_signatures > 0 }", "r.yar:3:"},
	} {
		_, err := Compile(Source{Name: "r.yar", Data: []byte(tc.src)})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.src, err, tc.want)
		}
	}
	if _, err := Compile(Source{Name: "r.yar", Data: []byte("import \"math\"\nimport \"hash\"\nimport \"pe\"\nrule a { condition: true }")}); err != nil {
		t.Errorf("supported modules: %v", err)
	}
}
