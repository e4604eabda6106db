package yara

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/yara/syntax"
)

// featureRules exercise the condition language; each rule's outcome is
// compared with yara's on every sample.
const featureRules = `
import "math"
import "hash"
import "pe"

rule not_undef { condition: not (uint8(100000) == 1) }
rule undef_or_true { condition: uint8(100000) == 1 or true }
rule undef_and_true { condition: not (uint8(100000) == 1 and true) }
rule neq_undef { condition: uint8(100000) != 1 }
rule undef_or_undef_not { condition: not (uint8(100000) == 1 or uint8(100001) == 1) }
rule defined_undef { condition: not defined uint8(100000) }
rule div0 { condition: not (1 \ (filesize - filesize) == 1) }
rule mod0 { condition: (1 % (filesize - filesize)) != 1 }
rule ovf { condition: 0x7fffffffffffffff + filesize < 0 }
rule shl { condition: 1 << 64 == 0 and 1 << 63 < 0 and -8 >> 1 == -4 and -1 >> 64 == 0 }
rule floats { condition: 1 == 1.0 and 3 \ 2.0 == 1.5 and 1.0 \ (filesize - filesize) > 0 }
rule intops { condition: -7 % 3 == -1 and -7 \ 2 == -3 and (6 & 3) == 2 and (6 | 3) == 7 and (6 ^ 3) == 5 and ~0 == -1 }
rule strcmp { condition: "a" < "b" and "abc" contains "b" and "ABC" icontains "b" and "abc" startswith "ab" and "abc" iendswith "BC" and "abc" iequals "ABC" and "abc" matches /B/i }
rule forin_empty { condition: for all i in (5..1) : (false) }
rule forin_none_empty { condition: for none i in (5..1) : (true) }
rule forin_none_true { condition: for none i in (1..3) : (true) }
rule forin_none_false { condition: for none i in (1..3) : (false) }
rule forin_none_enum { condition: for none i in (1, 2, filesize) : (i == 2) }
rule forof_none { strings: $a = "A" $b = "ZZZ" condition: for none of them : ($) }
rule forof_none2 { strings: $a = "ZZZ" condition: for none of them : ($) }
rule of_none { strings: $a = "A" $b = "ZZZ" condition: none of them }
rule forin_undef { condition: for any i in (0..uint8(100000)) : (true) }
rule forin_body { condition: for all i in (0..1) : (uint8(100000) == 1 or true) }
rule forin_body2 { condition: for all i in (0..1) : (uint8(100000) == 1) }
rule forin_n { condition: for 2 i in (1..3) : (i > 1) and for 0 i in (1..3) : (i > 1) }
rule forin_enum { condition: for any i in (1, 2, filesize) : (i == filesize) }
rule intn { condition: uint8(0) == 0x41 and int8(0) == 0x41 and uint16be(0) == 0x4142 and uint32(0) == 0x44434241 and uint16(0) == 0x4241 and int32be(0) == 0x41424344 }
rule intn_oob { condition: not defined uint32(filesize - 3) and defined uint32(filesize - 4) }
rule pe_undef { condition: pe.number_of_sections == 0 or pe.is_dll() }
rule pe_undef_not { condition: not defined pe.number_of_sections }
rule math_fns { condition: math.entropy(0, filesize) >= 0 and math.mean(0, filesize) > 60 and math.deviation(0, filesize, 64.0) > 0 }
rule math_ent_hi { condition: math.entropy(0, filesize) > 7 }
rule math_ent_str { condition: math.entropy("aabb") == 1.0 and math.mean("AC") == 66.0 and math.deviation("AC", 66.0) == 1.0 }
rule math_count { condition: math.count(0x41) >= 1 and math.count(0x41, 0, 1) == 1 and math.percentage(0x41, 0, 2) == 0.5 }
rule math_misc { condition: math.in_range(2.0, 1.0, 3.0) and math.min(1, 2) == 1 and math.max(1, 2) == 2 and math.to_number(true) == 1 and math.abs(-3) == 3 }
rule math_mode { condition: math.mode() == 0x41 }
rule math_sc { condition: math.serial_correlation(0, filesize) < 0.5 }
rule math_sc2 { condition: math.serial_correlation(0, filesize) > -0.5 }
rule math_mc { condition: math.monte_carlo_pi(0, filesize) < 0.2 }
rule math_oob { condition: not defined math.entropy(filesize + 1, 10) }
rule hash_fns { condition: hash.md5("abc") == "900150983cd24fb0d6963f7d28e17f72" and hash.sha1("abc") == "a9993e364706816aba3e25717850c26cd9cfa0d8" and hash.crc32("abc") == 0x352441c2 and hash.checksum32("abc") == 294 }
rule hash_data { condition: hash.sha256(0, 4) == "e12e115acf4552b2568b55e93cbd39394c4ef81c82447fafc997882a02d23677" or hash.md5(0, 1) == "7fc56270e7a70fa81a5935b72eacbe29" }

rule s_text { strings: $a = "ABCD" $b = "abcd" nocase $c = "BC" fullword condition: $a and $b and not $c }
rule s_wide { strings: $a = "AB" wide condition: $a }
rule s_count { strings: $a = "AB" condition: #a >= 1 and #a in (0..filesize) >= 1 and @a[1] == 0 and !a[1] == 2 and !a == 2 and @a == 0 and not defined @a[0] and not defined @a[1000] }
rule s_at { strings: $a = "BCD" condition: $a at 1 and not ($a at uint8(100000)) and $a in (0..2) }
rule s_re { strings: $a = /B.D/ $b = /x+y/ condition: $a and not $b }
rule s_hex { strings: $a = { 41 ?? 43 [0-2] 44 } condition: $a }
rule s_hex_alt { strings: $a = { 42 ( 43 | 58 ) } condition: #a == 1 }
rule s_of { strings: $a = "A" $b = "ZZZ" $c = "QQQ" condition: 33% of them and not 34% of them and 1 of ($a, $b) and none of ($b, $c) and any of ($b*, $a) }
rule s_of_zero { strings: $a = "A" condition: 0 of them }
rule s_of_zero2 { strings: $a = "ZZZ" condition: 0 of them }
rule s_forof { strings: $a = "A" $b = "B" condition: for all of them : (@ < 2 and # >= 1 and ! == 1) and for any of ($a) : ($ at 0) }
rule s_anon { strings: $ = "AB" $ = "ZZZ" condition: 1 of them and not all of them }
rule s_xor { strings: $a = "BCD" xor(1-3) condition: not $a }
rule s_b64 { strings: $a = "hello" base64 condition: not $a }
rule s_xor_pos { strings: $a = "secret" xor condition: #a >= 1 }
rule s_b64_pos { strings: $a = "secret" base64 $b = "secret" base64wide condition: $a or $b }
rule s_wide_nocase { strings: $a = "secret" wide nocase fullword condition: $a }
rule s_re_wide { strings: $a = /se[a-z]+t/ wide ascii condition: $a }
rule s_hex_jump { strings: $a = { 73 65 [2-4] 65 74 } $b = { 73 ?? 63 [-] 74 } condition: $a or $b }
rule count_undef { strings: $a = "A" condition: not (#a in (0..uint8(100000)) == 0) }
rule off_undef { strings: $a = "A" condition: not defined @a[uint8(100000)] }
rule forof_at { strings: $a = "A" $b = "B" condition: for any of them : ($ at 0 or $ in (1..2)) }
rule n_gt { strings: $a = "A" condition: not 2 of them }
rule mul_wrap { condition: 0x4000000000000000 * (filesize + 4) == 0 or filesize > 1000 or filesize < 4 }
rule neg_off { condition: not defined uint8(-1) and not defined int32(-2) }
rule math_cnt_bad { condition: not defined math.count(256) and not defined math.percentage(1, filesize + 5, 2) }
rule str_undef_cmp { condition: not ("a" == "b") and "a" != "b" }
rule ent_empty { condition: not defined math.entropy(0, 0) }
rule ref_global_gate { condition: s_text or not s_text }
rule mm_ent0 { condition: math.entropy(0, 0) == 0.0 }
rule mm_ent0d { condition: defined math.entropy(0, 0) }
rule mm_cnt256 { condition: defined math.count(256) }
rule mm_cnt256v { condition: math.count(256) == 0 }
rule mm_cntneg { condition: defined math.count(-1) }
rule mm_pct_oob { condition: defined math.percentage(1, filesize + 5, 2) }
rule mm_cnt_oob { condition: defined math.count(1, filesize + 5, 2) }
rule mm_cnt_atend { condition: defined math.count(1, filesize, 2) }
rule mm_ent_atend { condition: defined math.entropy(filesize, 2) }
rule mm_mean0 { condition: defined math.mean(0, 0) }
rule mm_mean_str_empty { condition: defined math.entropy("") }
rule mm_dev0 { condition: defined math.deviation(0, 0, 1.0) }
rule mm_mc0 { condition: defined math.monte_carlo_pi(0, 5) }
rule mm_mode0 { condition: defined math.mode(0, 0) }
rule mm_pct0 { condition: defined math.percentage(65, 0, 0) }
rule mm_sc0 { condition: defined math.serial_correlation(0, 0) }
rule hh_h00 { condition: defined hash.md5(0, 0) }
rule hh_h00v { condition: hash.md5(0, 0) == "d41d8cd98f00b204e9800998ecf8427e" }
rule hh_hend { condition: defined hash.md5(filesize, 1) }
rule hh_hclamp { condition: hash.md5(6, 100) == hash.md5("GH") }
rule hh_hstr0 { condition: defined hash.md5("") }
rule hh_crc0 { condition: defined hash.crc32(0, 0) }
rule hh_ck { condition: hash.checksum32(0, filesize) == 548 }
rule cc_c256 { condition: math.count(256) == math.count(0) }
rule cc_cm1 { condition: math.count(-1) == math.count(255) }
rule cc_c257 { condition: math.count(257) == 0 }
rule cc_c256r { condition: math.count(256, 0, filesize) == 2 }
rule cc_p256 { condition: math.percentage(256) > 0.3 }
rule fx_f1 { strings: $a = "A" condition: $a at 0 }
rule fx_f2 { strings: $a = "A" condition: $a at 0 and any of them }
rule fx_f3 { strings: $a = "A" condition: $a at 0 and #a == 2 }
rule fx_f4 { strings: $a = "A" condition: $a at (1 - 1) }
rule fx_f5 { strings: $a = "A" condition: $a at 0 or $a at 3 }
rule fx_f6 { strings: $a = "A" $b = "x" condition: $a at 0 and for any of ($b) : ($ at 1) }
rule fx_f7 { strings: $a = "A" condition: $a at filesize - 4 }
rule fx_f8 { strings: $a = "A" condition: $a at 0 and $a }
rule big_loop { condition: for any i in (0..0x3fffff) : (i == 5) and not for all i in (0..0x3fffff) : (i < 5) }
rule priv_str { strings: $a = "A" private $b = "B" condition: $a and $b }
rule re_data { strings: $a = /A.B.\n..".{0,2}/s condition: $a }
rule pct100 { strings: $a = "A" $b = "B" condition: 100% of ($a, $b) }
rule forof0 { strings: $a = "A" $b = "ZZZ" condition: for 0 of them : ($) }
rule forof_n { strings: $a = "A" $b = "B" $c = "C" condition: for 2 of them : (# >= 1) }
rule forof_undef { strings: $a = "A" condition: for all of them : (uint8(@ + 100000) == 1 or true) }
rule of_undef_n { strings: $a = "A" condition: not (uint8(100000) of them) }
rule at_range { strings: $a = "B" condition: $a in (1..1) or $a in (filesize - 1..filesize) }
rule idx_undef { strings: $a = "A" condition: not defined !a[uint8(100000)] }
rule shift_neg { condition: not defined (1 << (filesize - filesize - 1)) }
rule mod_neg2 { condition: 7 % -3 == 1 and -7 \ -2 == 3 }
rule str_idx { condition: "abc" != "abd" and "" == "" and not ("" contains "a") and "a" contains "" }
rule nested_for { condition: for all i in (1..3) : (for any j in (1..3) : (i == j)) }
rule any_of_rules_undef { condition: none of (forof0, pct100) or any of (pct*) }
rule undef_n1 { strings: $a = "A" $b = "B" condition: for uint8(100000) of them : ($) }
rule undef_n2 { condition: for uint8(100000) i in (1..2) : (i == 2) }
rule undef_n3 { condition: for uint8(100000) i in (1..2) : (i > 0) }
rule flt_lt1 { condition: not (math.mean(7,-3) < 69.0) }
rule flt_lt2 { condition: not (uint8(100000) < 69.0) and not (69.0 < uint8(100000)) }
rule flt_le { condition: not (math.mean(7,-3) <= 69.0) }
rule flt_gt { condition: not (math.mean(7,-3) > 1) }
rule flt_ne { condition: not (math.mean(7,-3) != 1) }
rule int_lt { condition: not (uint8(100000) < 69) }
private rule priv { strings: $a = "A" condition: $a }
rule uses_priv { condition: priv and not not_undef }
rule of_rules { condition: any of (priv, s_*) and 2 of (s_text, s_wide, s_re) }
`

// samples are scanned with the feature rules.
var samples = map[string][]byte{
	"abcd":   []byte("ABCDabcd ABCD\x00A\x00B\x00C\x00"),
	"hello":  []byte("ABCD aGVsbG8= C@G xy BX"),
	"short":  []byte("AB"),
	"random": nil, // filled in init
	"empty":  {},
	"e8":     []byte("ABCDEFGH"),
	"ax":     []byte("AxxA"),
	"d1":     []byte("A\x00B\x00\n\x01\xff\"\\ A"),
	"zeros":  []byte("A\x00\x00\xff\xffB"),
	"secret": []byte("x s\x00E\x00c\x00R\x00e\x00T\x00 \x00 " + xorWith("secret", 0x21) + " c2VjcmV0 cwBlAGMAcgBlAHQA see..et sec12345et"),
}

func xorWith(s string, k byte) string {
	b := []byte(s)
	for i := range b {
		b[i] ^= k
	}
	return string(b)
}

func init() {
	b := make([]byte, 1<<14)
	x := uint64(7)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	copy(b, "ABCD")
	samples["random"] = b
}

// yaraScan runs yara -s and returns rule -> "id@off" list.
func yaraScan(t *testing.T, yaraBin, rules, file string) map[string][]string {
	t.Helper()
	out, err := exec.Command(yaraBin, "-w", "-s", rules, file).CombinedOutput()
	if err != nil {
		t.Fatalf("yara: %v\n%s", err, out)
	}
	res := map[string][]string{}
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "0x") {
			off, rest, _ := strings.Cut(line, ":")
			id, data, _ := strings.Cut(rest, ": ")
			var o int64
			fmt.Sscanf(off, "0x%x", &o)
			res[cur] = append(res[cur], fmt.Sprintf("%s@%d:%s", id, o, data))
			continue
		}
		cur, _, _ = strings.Cut(line, " ")
		res[cur] = nil
	}
	return res
}

func ourScan(t *testing.T, rs *Rules, data []byte) map[string][]string {
	t.Helper()
	ms, err := rs.Scan(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := map[string][]string{}
	for _, m := range ms {
		res[m.Rule] = nil
		for _, s := range m.Strings {
			data := yaraEscape(s.Data)
			if isHex(rs, m.Rule, s.ID) {
				// yara -s prints at most 64 bytes of a hex string's match
				if len(s.Data) > 64 {
					data = fmt.Sprintf("% X ...", s.Data[:64])
				} else {
					data = fmt.Sprintf("% X", s.Data)
				}
			}
			res[m.Rule] = append(res[m.Rule], fmt.Sprintf("%s@%d:%s", s.ID, s.Offset, data))
		}
	}
	return res
}

func TestFeaturesAgainstYara(t *testing.T) {
	yaraBin := needYara(t)
	dir := t.TempDir()
	rules := filepath.Join(dir, "f.yar")
	os.WriteFile(rules, []byte(featureRules), 0o644)
	rs, err := Compile(Source{Name: "f.yar", Data: []byte(featureRules)})
	if err != nil {
		t.Fatal(err)
	}
	agree, total := 0, 0
	for name, data := range samples {
		f := filepath.Join(dir, name)
		os.WriteFile(f, data, 0o644)
		want := yaraScan(t, yaraBin, rules, f)
		got := ourScan(t, rs, data)
		for _, r := range rs.rules {
			if r.ast.Private {
				continue
			}
			total++
			n := r.ast.Name
			w, wok := want[n]
			g, gok := got[n]
			slices.Sort(w)
			slices.Sort(g)
			if wok != gok || !slices.Equal(w, g) {
				t.Errorf("%s on %s: yara %v %v, ours %v %v", n, name, wok, w, gok, g)
				continue
			}
			agree++
		}
	}
	t.Logf("%d of %d (rule, sample) outcomes agree with yara, string matches included", agree, total)
}

// yaraEscape prints match data as yara -s does: printable ASCII as is,
// other bytes as \xNN.
func yaraEscape(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\x%02X", c)
		}
	}
	return sb.String()
}

func isHex(rs *Rules, rule, id string) bool {
	for _, r := range rs.rules {
		if si, ok := r.byID[id]; ok && r.ast.Name == rule {
			return rs.strs[si].def.Kind == syntax.Hex
		}
	}
	return false
}
