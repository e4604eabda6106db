package syntax

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const sharedDir = "../../../shared/data/yara"

// yaraBin returns the path of the yara binary, or "" when it is absent.
func yaraBin() string {
	p, err := exec.LookPath("yara")
	if err != nil {
		return ""
	}
	return p
}

// yaraCompiles reports whether yara accepts src (with externals defined).
func yaraCompiles(t *testing.T, bin, src string, ext []string) (bool, string) {
	t.Helper()
	fn := filepath.Join(t.TempDir(), "r.yar")
	if err := os.WriteFile(fn, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-w"}
	for _, e := range ext {
		args = append(args, "-d", e+"=1")
	}
	args = append(args, fn, os.DevNull)
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("running yara: %v", err)
		}
		return false, string(out)
	}
	return true, string(out)
}

// Expected counts, checked against yara -S when yara is installed.
var sharedCounts = map[string][2]int{
	"apt_hafnium.yar":               {21, 94},
	"apt_hafnium_log_sigs.yar":      {6, 20},
	"apt_webshell_chinachopper.yar": {1, 4},
	"crime_dearcry_ransom.yar":      {2, 17},
	"expl_proxyshell.yar":           {13, 55},
	"gen_webshells.yar":             {59, 2587},
}

var statRe = regexp.MustCompile(`number of (rules|strings)\s*:\s*(\d+)`)

func TestSharedRules(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(sharedDir, "*.yar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("../shared/data is not present (no rule files in %s)", sharedDir)
	}
	bin := yaraBin()
	for _, fn := range files {
		t.Run(filepath.Base(fn), func(t *testing.T) {
			src, err := os.ReadFile(fn)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(fn, src)
			if err != nil {
				t.Fatal(err)
			}
			nstr := 0
			var names []string
			for _, r := range f.Rules {
				nstr += len(r.Strings)
				if !r.Private {
					names = append(names, r.Name)
				}
			}
			want, ok := sharedCounts[filepath.Base(fn)]
			if !ok {
				t.Errorf("no expected counts for %s (got %d rules, %d strings)", fn, len(f.Rules), nstr)
			} else if want != [2]int{len(f.Rules), nstr} {
				t.Errorf("got %d rules, %d strings; want %v", len(f.Rules), nstr, want)
			}
			if bin == "" {
				return
			}
			// yara -S prints the numbers of rules and strings it compiled.
			out, err := exec.Command(bin, "-w", "-S", fn, os.DevNull).CombinedOutput()
			if err != nil {
				t.Fatalf("yara: %v\n%s", err, out)
			}
			got := map[string]int{}
			for _, m := range statRe.FindAllStringSubmatch(string(out), -1) {
				got[m[1]], _ = strconv.Atoi(m[2])
			}
			if got["rules"] != len(f.Rules) || got["strings"] != nstr {
				t.Errorf("yara -S: %d rules, %d strings; parsed %d, %d", got["rules"], got["strings"], len(f.Rules), nstr)
			}
			// Every public rule is printed either matching or, with -n, not.
			var ynames []string
			for _, flag := range []string{"", "-n"} {
				args := []string{"-w", fn, os.DevNull}
				if flag != "" {
					args = append([]string{flag}, args...)
				}
				out, err := exec.Command(bin, args...).CombinedOutput()
				if err != nil {
					t.Fatalf("yara %v: %v\n%s", args, err, out)
				}
				for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
					if fs := strings.Fields(line); len(fs) > 0 {
						ynames = append(ynames, fs[0])
					}
				}
			}
			slices.Sort(ynames)
			slices.Sort(names)
			if !slices.Equal(ynames, names) {
				t.Errorf("rule names differ:\nyara:  %v\nparsed: %v", ynames, names)
			}
		})
	}
}

type snippet struct {
	src string
	ok  bool     // this package's verdict
	ext []string // external variables to define for yara
	// yaraDiffers marks a deliberate difference from yara 4.2: yara's
	// verdict is !ok.
	yaraDiffers string
}

var snippets = []snippet{
	// Valid.
	{src: `rule a { condition: true }`, ok: true},
	{src: `rule a { condition: 1 }`, ok: true},
	{src: `rule a { condition: not 1 == 2 }`, ok: true},
	{src: `rule a { condition: defined 1 }`, ok: true},
	{src: `rule a { condition: (1) + 1 == 2 }`, ok: true},
	{src: `rule a { condition: 1 \ 2 and 5 % 2 and 1 << 2 and ~1 and -1 and 1 >> 1 | 2 ^ 3 & 4 }`, ok: true},
	{src: `rule a { condition: 0o17 == 15 and 1KB == 1024 and 1MB == 0x100000 and 1.5 > 1 }`, ok: true},
	{src: `rule a { condition: "a" iequals "A" and "ab" contains "a" and "ab" icontains "A" and "ab" startswith "a" and "ab" istartswith "A" and "ab" endswith "b" and "ab" iendswith "B" }`, ok: true},
	{src: `rule a { condition: "a" matches /a/is and "\x41\"\\\t\n\r" != "" }`, ok: true},
	{src: `rule a { condition: uint8(0) == 1 or int32be(filesize - 4) < 0 or uint16(entrypoint) == 0x5a4d }`, ok: true},
	{src: `private global rule a { condition: true }`, ok: true},
	{src: `rule a : t1 t2 { meta: a = -1 b = true c = "x" d = 5 condition: true }`, ok: true},
	{src: `rule a { strings: $a = "x" condition: $a }`, ok: true},
	{src: `rule a { strings: $a = "x" wide ascii nocase fullword private condition: $a }`, ok: true},
	{src: `rule a { strings: $a = "x" xor condition: $a }`, ok: true},
	{src: `rule a { strings: $a = "x" xor(1) wide condition: $a }`, ok: true},
	{src: `rule a { strings: $a = "x" xor(0x01-0xff) fullword condition: $a }`, ok: true},
	{src: `rule a { strings: $a = "x" base64 base64wide wide condition: $a }`, ok: true},
	{src: `rule a { strings: $a = "xyz" base64("!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_` + "`" + `") condition: $a }`, ok: true},
	{src: `rule a { strings: $a = /x/is nocase wide fullword private ascii condition: $a }`, ok: true},
	{src: `rule a { strings: $a = {41 42} private condition: $a }`, ok: true},
	{src: `rule a { strings: $a = { 4? ?2 41 [2] 42 [1-3] (43 | 44 45) [-] 46 [2-] 47 } condition: $a }`, ok: true},
	{src: "rule a { strings: $a = { 41 // c\n 42 /* x } */ } condition: $a }", ok: true},
	{src: `rule a { strings: $ = "x" $ = "y" condition: all of them }`, ok: true},
	{src: `rule a { strings: $a1 = "x" $a2 = "y" $b = "z" condition: any of ($a*) and $b }`, ok: true},
	{src: `rule a { strings: $a = "x" $b = "y" condition: 2 of ($a, $b) and none of them and 50% of them and (1+1) of them }`, ok: true},
	{src: `rule a { strings: $a = "x" condition: $a at 0 and $a in (0..filesize) and $a at 1+1 }`, ok: true},
	{src: `rule a { strings: $a = "x" condition: #a == 1 and #a in (0..1) == 1 and @a == 0 and @a[1] == 0 and !a == 1 and !a[1] == 1 }`, ok: true},
	{src: `rule a { strings: $a = "x" condition: for any of ($a) : ( $ at 0 and # > 1 and @ > 1 and ! > 1 and @[1] > 0 and ![1] > 0 ) }`, ok: true},
	{src: `rule a { strings: $a = "x" condition: for all i in (1..#a) : ( @a[i] > 0 ) }`, ok: true},
	{src: `rule a { condition: for any i in (1, 2, 3) : (i == 2) and true }`, ok: true},
	{src: `rule a { condition: for all i in (1..4) : ( for all j in (1..4) : ( for all k in (1..4) : ( for all l in (1..4) : (i + j + k + l > 0) ) ) ) }`, ok: true},
	{src: `import "pe" rule a { condition: for any s in pe.sections : ( s.name == ".text" ) }`, ok: true},
	{src: `import "pe" rule a { condition: for any k, v in pe.version_info : ( k == "x" and v == "y" ) }`, ok: true},
	{src: `import "pe" rule a { condition: pe.exports(/foo/) and pe.imports("kernel32.dll", "X") and pe.number_of_sections > 1 and pe.sections[0].name == ".text" }`, ok: true},
	{src: `import "math" rule a { condition: math.entropy(0, filesize) > 7.0 }`, ok: true},
	{src: `import "pe" import "pe" rule a { condition: defined pe.number_of_sections }`, ok: true},
	{src: `rule b { condition: true } rule a { condition: b and any of (b) and all of (b*) }`, ok: true},
	{src: `rule b1 { condition: true } rule b2 { condition: true } rule a { condition: 1 of (b1, b2) }`, ok: true},
	{src: `rule a { condition: x and y == 2 }`, ok: true, ext: []string{"x", "y"}},
	{src: `rule a { condition: (true) and ((1 < 2) or not (false)) }`, ok: true},
	// Invalid.
	{src: `rule a { condition: true == true }`},
	{src: `rule a { condition: (1 < 2) + 1 }`},
	{src: `rule a { condition: 1 < 2 == 1 }`},
	{src: `rule a { condition: 1 + true }`},
	{src: `rule a { condition: -true }`},
	{src: `rule a { condition: 1 == 2 of them }`},
	{src: `rule a { strings: $a = "x" condition: $a at 1 == 1 }`},
	{src: `rule a { strings: $a = "x" condition: $a + 1 }`},
	{src: `rule a { strings: $a = "x" $b = "y" condition: $a }`},
	{src: `rule a { strings: $a = "x" condition: $b }`},
	{src: `rule a { strings: $a = "x" condition: $a and $c* }`},
	{src: `rule a { strings: $a = "x" condition: $a and any of ($c*) }`},
	{src: `rule a { strings: $a = "x" condition: $a* }`},
	{src: `rule a { strings: $a = "x" condition: any of ($) }`},
	{src: `rule a { condition: any of them }`},
	{src: `rule a { strings: $ = "x" condition: $ }`},
	{src: `rule a { condition: $ }`},
	{src: `rule a { condition: # > 0 }`},
	{src: `rule a { strings: $a = "" condition: $a }`},
	{src: `rule a { strings: $a = "x" xor nocase condition: $a }`},
	{src: `rule a { strings: $a = "x" base64 fullword condition: $a }`},
	{src: `rule a { strings: $a = "x" base64 nocase condition: $a }`},
	{src: `rule a { strings: $a = "x" base64wide nocase condition: $a }`},
	{src: `rule a { strings: $a = "x" xor(1) base64 condition: $a }`},
	{src: `rule a { strings: $a = /x/ xor condition: $a }`},
	{src: `rule a { strings: $a = /x/ base64 condition: $a }`},
	{src: `rule a { strings: $a = {41 42} nocase condition: $a }`},
	{src: `rule a { strings: $a = {41 42} wide condition: $a }`},
	{src: `rule a { strings: $a = "x" ascii ascii condition: $a }`},
	{src: `rule a { strings: $a = "x" xor(3-1) condition: $a }`},
	{src: `rule a { strings: $a = "x" xor(300) condition: $a }`},
	{src: `rule a { strings: $a = "x" base64("abc") condition: $a }`},
	{src: `rule a { strings: $a = { 4 } condition: $a }`},
	{src: `rule a { strings: $a = { 41 [2-1] 42 } condition: $a }`},
	{src: `rule a { strings: $a = {} condition: $a }`},
	{src: `rule a { strings: $a = { 41 (42 } condition: $a }`},
	{src: `rule a { strings: $a = { 41 xx } condition: $a }`},
	{src: `rule a { strings: $a = "x" $a = "y" condition: $a }`},
	{src: `rule a { strings: condition: true }`},
	{src: `rule a { strings: $a = "\q" condition: $a }`},
	{src: `rule a { condition: "\x4" == "a" }`},
	{src: `rule a { condition: 99999999999999999999 }`},
	{src: `rule a { condition: 0x }`},
	{src: `rule a { condition: 1MB + 1KBx }`},
	{src: `rule a : t t { condition: true }`},
	{src: `rule a { meta: d = 1.5 condition: true }`},
	{src: `rule a { meta: condition = 1 condition: true }`},
	{src: `rule a { condition: x }`, ok: true, ext: []string{"x"}},
	{src: `rule a { condition: b } rule b { condition: true }`},
	{src: `rule a { condition: true } rule a { condition: true }`},
	{src: `rule a { condition: pe.x }`},
	{src: `rule a { condition: pe.x } import "pe"`},
	{src: `import "pe" rule a { condition: pe }`},
	{src: `import "foo" rule a { condition: true }`},
	{src: `rule a { condition: foo(0) }`},
	{src: `rule a { condition: x.y }`},
	{src: `rule b { condition: true } rule a { condition: any of (c*) }`},
	{src: `rule a { condition: any of (1,2) }`},
	{src: `rule a { condition: for all i in (1..4) : ( for all j in (1..4) : ( for all k in (1..4) : ( for all l in (1..4) : (for any m in (1,2) : (true)) ) ) ) }`},
	{src: `rule a { condition: for all i in (1..4) : ( for all i in (1..4) : (true)) }`},
	{src: `rule a { strings: $a = "x" condition: any of them at 0 }`},
	{src: `include "x.yar" rule a { condition: true }`},
	{src: `rule a { condition: true`},
	{src: `rule a { condition: }`},
	{src: `rule { condition: true }`},
	{src: `rule a { condition: "abc }`},
	{src: `rule a { condition: /* }`},
	{src: `rule a { condition: (true }`},
	{src: `rule a { condition: 1 .. 2 }`},
	{src: `rule rule { condition: true }`},
	// Deliberate differences from yara 4.2.
	{src: `rule a { strings: $a = "x" condition: for 50% of them : ( $ ) }`, ok: true, yaraDiffers: "yara 4.2 has no percentages in for … of (4.3 has)"},
	{src: `rule a { strings: $a = { 41 ~41 } condition: $a }`, ok: true, yaraDiffers: "hex strings are only outlined here (yara/hex checks them); ~ is yara 4.3"},
	{src: `rule a { strings: $a = { [1] 41 } condition: $a }`, ok: true, yaraDiffers: "hex strings are only outlined here"},
	{src: `rule a { strings: $a = { 41 ( 42 [-] 43 | 44) } condition: $a }`, ok: true, yaraDiffers: "hex strings are only outlined here"},
	{src: `rule a { condition: a }`, yaraDiffers: "yara 4.2 accepts a rule referring to itself"},
	{src: `rule a { condition: "a" + 1 }`, ok: true, yaraDiffers: "no type checking"},
	{src: `rule a { condition: filesize matches /a/ }`, ok: true, yaraDiffers: "no type checking"},
	{src: `import "pe" rule a { condition: pe.nonexistent }`, ok: true, yaraDiffers: "no module schemas"},
	{src: `rule b { condition: true } rule a { condition: b + 1 == 2 }`, ok: true, yaraDiffers: "no type checking"},
}

func TestSnippets(t *testing.T) {
	bin := yaraBin()
	if bin == "" {
		t.Log("yara not installed: checking this package's verdicts only")
	}
	for i, s := range snippets {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			_, err := Parse("r.yar", []byte(s.src))
			if (err == nil) != s.ok {
				t.Errorf("%s\nParse: %v, want ok=%v", s.src, err, s.ok)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "r.yar:1: ") {
				t.Errorf("error %q lacks file:line", err)
			}
			if bin == "" {
				return
			}
			yok, out := yaraCompiles(t, bin, s.src, s.ext)
			want := s.ok
			if s.yaraDiffers != "" {
				want = !want
			}
			if yok != want {
				t.Errorf("%s\nyara verdict %v, table says %v (differs: %q)\n%s", s.src, yok, want, s.yaraDiffers, out)
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	cases := []struct{ in, want string }{
		{`1 + 2 * 3 == 7`, `((1 + (2 * 3)) == 7)`},
		{`1 * 2 + 3 == 5`, `(((1 * 2) + 3) == 5)`},
		{`1 - 2 - 3 == 0`, `(((1 - 2) - 3) == 0)`},
		{`8 \ 2 % 3 * 4 == 0`, `((((8 \ 2) % 3) * 4) == 0)`},
		{`1 | 2 ^ 3 & 4 << 5 + 6 == 0`, `((1 | (2 ^ (3 & (4 << (5 + 6))))) == 0)`},
		{`1 << 2 >> 3 == 0`, `(((1 << 2) >> 3) == 0)`},
		{`-1 + ~2 * -3 == 0`, `(((-1) + ((~2) * (-3))) == 0)`},
		{`- -1 == 1`, `((-(-1)) == 1)`},
		{`true or false and true`, `(true or (false and true))`},
		{`true and false or true`, `((true and false) or true)`},
		{`not true and false`, `((not true) and false)`},
		{`not 1 == 2`, `(not (1 == 2))`},
		{`not not true`, `(not (not true))`},
		{`defined 1 and true`, `((defined 1) and true)`},
		{`1 < 2 and 3 >= 4 or 5 != 6`, `(((1 < 2) and (3 >= 4)) or (5 != 6))`},
		{`(1 + 2) * 3 == 9`, `(((1 + 2) * 3) == 9)`},
		{`"ab" contains "a" and "x" matches /x/i`, `(("ab" contains "a") and ("x" matches /x/i))`},
		{`filesize > 1KB and entrypoint == 0x10`, `((filesize > 1024) and (entrypoint == 16))`},
		{`$a at 1 + 2 and #a in (0..filesize - 1) == 1`, `(($a at (1 + 2)) and ((#a in (0..(filesize - 1))) == 1))`},
		{`@a[1 + 1] + !a == 3`, `((@a[(1 + 1)] + !a) == 3)`},
		{`2 of ($a, $b*) or 1 + 1 of them`, `((2 of ($a, $b*)) or ((1 + 1) of them))`},
		{`50% of them and any of ($a)`, `((50% of them) and (any of ($a)))`},
		{`10 % 3 == 1`, `((10 % 3) == 1)`},
		{`for any of ($a, $b*) : ($ at 0)`, `(for any of ($a, $b*) : (($ at 0)))`},
		{`for 2 i in (1..#a) : (@a[i] > 1)`, `(for 2 i in (1..#a) : ((@a[i] > 1)))`},
		{`for all i in (1, 2, 3) : (i > 0)`, `(for all i in (1, 2, 3) : ((i > 0)))`},
		{`for any s in pe.sections : (s.name == ".t\x00")`, `(for any s in pe.sections : ((s.name == ".t\x00")))`},
		{`pe.imports("k.dll", "X") and math.entropy(0, filesize) > 7.5`, `(pe.imports("k.dll", "X") and (math.entropy(0, filesize) > 7.5))`},
		{`uint16(0) == 0x5a4d and uint32(uint32(0x3c)) == 0x4550`, `((uint16(0) == 23117) and (uint32(uint32(60)) == 17744))`},
		{`ext and r1`, `(ext and r1)`},
	}
	for _, c := range cases {
		src := fmt.Sprintf(`import "pe" import "math" rule r1 { condition: true } rule r { strings: $a = "x" $b1 = "y" condition: (%s) and any of them }`, c.in)
		f, err := Parse("p.yar", []byte(src))
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		b := f.Rules[1].Condition.(*Binary)
		if got := b.X.String(); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.in, got, c.want)
			continue
		}
		// The printed form parses back to itself.
		src2 := strings.Replace(src, "("+c.in+")", c.want, 1)
		f2, err := Parse("p.yar", []byte(src2))
		if err != nil {
			t.Errorf("reparse %s: %v", c.want, err)
			continue
		}
		if got := f2.Rules[1].Condition.(*Binary).X.String(); got != c.want {
			t.Errorf("reparse %s: got %s", c.want, got)
		}
	}
}

func TestAST(t *testing.T) {
	src := `import "pe"
// comment
private global rule first : tag1 tag2 {
  meta:
    author = "me \"q\""
    score = -5
    big = 0x10
    flag = false
  strings:
    $t = "a\tb\n\\\"\x41" wide ascii
    $ = { 41 ?? [1-2] 42 } private
    $r = /ab\/c+/is nocase
    $x = "k" xor(1-3)
    $b = "k" base64wide
  condition:
    $t and any of them
}
rule second { condition: first and ext }
`
	f, err := Parse("t.yar", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Imports) != 1 || f.Imports[0].Module != "pe" || f.Imports[0].Pos.Line != 1 {
		t.Errorf("imports %+v", f.Imports)
	}
	r := f.Rules[0]
	if r.Name != "first" || !r.Private || !r.Global || !slices.Equal(r.Tags, []string{"tag1", "tag2"}) || r.Pos != (Pos{"t.yar", 3, 1}) {
		t.Errorf("rule %+v", r)
	}
	wantMeta := []any{`me "q"`, int64(-5), int64(16), false}
	for i, m := range r.Meta {
		if m.Value != wantMeta[i] {
			t.Errorf("meta %s = %#v, want %#v", m.Key, m.Value, wantMeta[i])
		}
	}
	s := r.Strings
	if len(s) != 5 {
		t.Fatalf("%d strings", len(s))
	}
	if s[0].ID != "$t" || s[0].Kind != Text || !bytes.Equal(s[0].Text, []byte("a\tb\n\\\"A")) || !s[0].Modifiers.Wide || !s[0].Modifiers.ASCII || s[0].Pos != (Pos{"t.yar", 10, 5}) {
		t.Errorf("string 0 %+v", s[0])
	}
	if s[1].ID != "$" || s[1].Kind != Hex || s[1].Hex != " 41 ?? [1-2] 42 " || !s[1].Modifiers.Private {
		t.Errorf("string 1 %+v", s[1])
	}
	if s[2].Kind != Regex || s[2].Regex != `ab\/c+` || !s[2].RegexFlags.NoCase || !s[2].RegexFlags.DotAll || !s[2].Modifiers.NoCase {
		t.Errorf("string 2 %+v", s[2])
	}
	if m := s[3].Modifiers; !m.Xor || m.XorMin != 1 || m.XorMax != 3 {
		t.Errorf("string 3 %+v", m)
	}
	if m := s[4].Modifiers; !m.Base64Wide || m.Base64 || m.Base64Alphabet != nil {
		t.Errorf("string 4 %+v", m)
	}
	c := f.Rules[1].Condition.(*Binary)
	if _, ok := c.X.(*RuleRef); !ok {
		t.Errorf("first is %T, want *RuleRef", c.X)
	}
	if id, ok := c.Y.(*Ident); !ok || id.LoopVar || id.Module || id.Name != "ext" || id.Pos != (Pos{"t.yar", 18, 36}) {
		t.Errorf("ext is %#v", c.Y)
	}
	of := r.Condition.(*Binary).Y.(*Of)
	if !slices.Equal(of.Strings.Matched, []string{"$t", "$", "$r", "$x", "$b"}) {
		t.Errorf("them matched %v", of.Strings.Matched)
	}
}

func TestErrorPositions(t *testing.T) {
	cases := []struct{ src, want string }{
		{"rule a {\n strings:\n  $a = \"x\"\n  $b = \"y\"\n condition:\n  $a\n}", `e.yar:4: unreferenced string "$b"`},
		{"rule a {\n condition:\n  $c\n}", `e.yar:3: undefined string "$c"`},
		{"rule a {\n condition:\n  b\n}\n\nrule b { condition: true }", `e.yar:3: undefined identifier "b"`},
		{"rule a { condition: true }\n\nrule a { condition: true }", `e.yar:3: duplicated identifier "a"`},
		{"rule a {\n condition:\n  1 +\n}", `e.yar:4: syntax error, unexpected "}"`},
		{"rule a {\n condition:\n  \"abc\n}", `e.yar:3: unterminated string`},
		{"\n\nrule a { strings: $a = \"x\" nocase xor condition: $a }", `e.yar:3: invalid modifier combination: xor nocase`},
	}
	for _, c := range cases {
		_, err := Parse("e.yar", []byte(c.src))
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.src, err, c.want)
		}
		var pe *Error
		if err != nil && !errors.As(err, &pe) {
			t.Errorf("%T is not *Error", err)
		}
	}
}

func TestIncludes(t *testing.T) {
	files := map[string]string{
		"a.yar":    `import "pe" rule ra { condition: pe.number_of_sections > 0 }`,
		"b.yar":    `include "a.yar" rule rb { condition: ra }`,
		"loop.yar": `include "loop.yar" rule x { condition: true }`,
		"bad.yar":  "rule ok { condition: true }\nrule bad { condition: }",
	}
	for i := 0; i < 20; i++ {
		files[fmt.Sprintf("deep%d.yar", i)] = fmt.Sprintf("include \"deep%d.yar\"", i+1)
	}
	inc := func(from, name string) (string, []byte, error) {
		s, ok := files[name]
		if !ok {
			return "", nil, os.ErrNotExist
		}
		return name, []byte(s), nil
	}
	f, err := ParseOptions("main.yar", []byte(`include "b.yar" rule m { condition: rb and ra and pe.is_dll() }`), Options{Include: inc})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range f.Rules {
		names = append(names, r.Name+"@"+r.Pos.File)
	}
	if want := []string{"ra@a.yar", "rb@b.yar", "m@main.yar"}; !slices.Equal(names, want) {
		t.Errorf("rules %v, want %v", names, want)
	}
	for src, want := range map[string]string{
		`include "loop.yar"`:    "loop.yar:1: includes circular reference",
		`include "deep0.yar"`:   "deep14.yar:1: too many levels of includes",
		`include "missing.yar"`: `main.yar:1: can't open include file "missing.yar"`,
		`include "bad.yar"`:     `bad.yar:2: syntax error, unexpected "}"`,
	} {
		_, err := ParseOptions("main.yar", []byte(src), Options{Include: inc})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", src, err, want)
		}
	}
	if _, err := Parse("main.yar", []byte(`include "a.yar"`)); err == nil || !strings.Contains(err.Error(), "includes are disabled") {
		t.Errorf("include without callback: %v", err)
	}
}

func TestDeepNesting(t *testing.T) {
	n := 100000
	for name, src := range map[string]string{
		"parens": "rule a { condition: " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + " }",
		"not":    "rule a { condition: " + strings.Repeat("not ", n) + "true }",
		"minus":  "rule a { condition: " + strings.Repeat("- ", n) + "1 }",
		"calls":  "rule a { condition: " + strings.Repeat("uint8(", n) + "0" + strings.Repeat(")", n) + " }",
		"member": `import "pe" rule a { condition: pe` + strings.Repeat(".x", n) + " }",
		"index":  `import "pe" rule a { condition: pe.x` + strings.Repeat("[pe.x", n) + strings.Repeat("]", n) + " }",
		"hex":    `rule a { strings: $a = {` + strings.Repeat("(", n) + "41" + strings.Repeat(")", n) + `} condition: $a }`,
	} {
		_, err := Parse("d.yar", []byte(src))
		if err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.Contains(err.Error(), "too deep") && !strings.Contains(err.Error(), "too many nested") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Long flat chains are fine.
	src := "rule a { condition: " + strings.Repeat("1 + ", n) + "1 > 0" + strings.Repeat(" and true", n) + " }"
	if _, err := Parse("d.yar", []byte(src)); err != nil {
		t.Errorf("flat chain: %v", err)
	}
}

func TestPrintRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedDir, "*.yar"))
	for _, fn := range files {
		src, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(fn, src)
		if err != nil {
			t.Fatal(err)
		}
		out := f.String()
		f2, err := Parse("printed.yar", []byte(out))
		if err != nil {
			t.Fatalf("%s: printed form does not parse: %v", fn, err)
		}
		if f2.String() != out || len(f2.Rules) != len(f.Rules) {
			t.Errorf("%s: printed form is not stable", fn)
		}
		for i, r := range f.Rules {
			for j, s := range r.Strings {
				s2 := f2.Rules[i].Strings[j]
				if !bytes.Equal(s.Text, s2.Text) || s.Hex != s2.Hex || s.Regex != s2.Regex || s.Modifiers.Xor != s2.Modifiers.Xor {
					t.Errorf("%s: %s %s changed to %s", fn, r.Name, s, s2)
				}
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range snippets {
		f.Add([]byte(s.src))
	}
	if files, _ := filepath.Glob(filepath.Join(sharedDir, "*.yar")); len(files) > 0 {
		for _, fn := range files {
			if b, err := os.ReadFile(fn); err == nil && len(b) < 20000 {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("f.yar", src)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "f.yar:") {
				t.Fatalf("bad error %T %v", err, err)
			}
			return
		}
		// Printing and parsing again reaches a fixed point.
		out := file.String()
		file2, err := Parse("f.yar", []byte(out))
		if err != nil {
			t.Fatalf("printed file does not parse: %v\n%s", err, out)
		}
		if out2 := file2.String(); out2 != out {
			t.Fatalf("printing is not stable:\n%s\n---\n%s", out, out2)
		}
	})
}
