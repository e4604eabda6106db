package yara

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gen writes random conditions over integers, booleans, strings and
// string matches, for a differential test against yara.
type gen struct{ r *rand.Rand }

func (g gen) intExpr(d int) string {
	if d <= 0 || g.r.Intn(3) == 0 {
		switch g.r.Intn(9) {
		case 0:
			return "filesize"
		case 1:
			return fmt.Sprintf("uint8(%d)", g.r.Intn(12))
		case 2:
			return fmt.Sprintf("uint16be(%d)", g.r.Intn(12))
		case 3:
			return "#a"
		case 4:
			return fmt.Sprintf("@a[%d]", g.r.Intn(4))
		case 5:
			return fmt.Sprintf("!b[%d]", g.r.Intn(3))
		case 6:
			return fmt.Sprintf("int8(%d)", g.r.Intn(12))
		case 7:
			// lo 0: yara 4.2.3 fails the scan for any lo > 0
			return fmt.Sprintf("#b in (0..%d)", 4+g.r.Intn(8))
		}
		return fmt.Sprint(g.r.Intn(20) - 5)
	}
	ops := []string{"+", "-", "*", "\\", "%", "&", "|", "^", "<<", ">>"}
	op := ops[g.r.Intn(len(ops))]
	if g.r.Intn(6) == 0 {
		return "(-" + g.intExpr(d-1) + ")"
	}
	return "(" + g.intExpr(d-1) + " " + op + " " + g.intExpr(d-1) + ")"
}

func (g gen) boolExpr(d int) string {
	if d <= 0 || g.r.Intn(4) == 0 {
		switch g.r.Intn(9) {
		case 0:
			return "$a"
		case 1:
			return fmt.Sprintf("$b at %s", g.intExpr(1))
		case 2:
			return fmt.Sprintf("$a in (%s..%s)", g.intExpr(1), g.intExpr(1))
		case 3:
			return fmt.Sprintf("%d of ($a, $b, $c)", g.r.Intn(4))
		case 4:
			return "defined " + g.intExpr(2)
		case 5:
			return fmt.Sprintf("for any i in (%d..%d) : (uint8(i) == %d)", g.r.Intn(3), g.r.Intn(8), 65+g.r.Intn(4))
		case 6:
			return "for all of ($a, $c) : (# > 0)"
		case 7:
			switch g.r.Intn(6) {
			case 0:
				return fmt.Sprintf("(%s * 1.5) > (%s \\ 2.0)", g.intExpr(1), g.intExpr(1))
			case 1:
				return fmt.Sprintf("math.entropy(%s, %s) >= %d.5", g.intExpr(1), g.intExpr(1), g.r.Intn(3))
			case 2:
				return fmt.Sprintf("math.mean(%s, %s) < %d.0", g.intExpr(1), g.intExpr(1), 60+g.r.Intn(10))
			case 3:
				return fmt.Sprintf("hash.md5(%s, %s) contains \"%x\"", g.intExpr(1), g.intExpr(1), g.r.Intn(16))
			case 4:
				return fmt.Sprintf("math.count(%d, %s, %s) == %s", 65+g.r.Intn(3), g.intExpr(1), g.intExpr(1), g.intExpr(1))
			}
			return fmt.Sprintf("math.in_range(math.deviation(0, filesize, %d.0), 1.0, %d.0)", 60+g.r.Intn(10), g.r.Intn(10))
		}
		return []string{"true", "false"}[g.r.Intn(2)]
	}
	switch g.r.Intn(5) {
	case 0:
		return "(" + g.boolExpr(d-1) + " and " + g.boolExpr(d-1) + ")"
	case 1:
		return "(" + g.boolExpr(d-1) + " or " + g.boolExpr(d-1) + ")"
	case 2:
		return "(not " + g.boolExpr(d-1) + ")"
	}
	cmp := []string{"==", "!=", "<", "<=", ">", ">="}
	return "(" + g.intExpr(d-1) + " " + cmp[g.r.Intn(len(cmp))] + " " + g.intExpr(d-1) + ")"
}

func TestRandomConditionsAgainstYara(t *testing.T) {
	if testing.Short() {
		t.Skip("slow differential test")
	}
	for _, seed := range []int64{42, 7, 1234, 99, 1, 2} {
		randomConditions(t, seed)
	}
}

const imports = "import \"math\"\nimport \"hash\"\n"

func randomConditions(t *testing.T, seed int64) {
	yaraBin := needYara(t)
	g := gen{rand.New(rand.NewSource(seed))}
	var sb strings.Builder
	n := 0
	for i := 0; n < 400 && i < 2000; i++ {
		rule := fmt.Sprintf("rule r%d { strings: $a = \"A\" $b = /B+/ $c = { 43 ?? 45 } condition: %s and ($a or $b or $c or true) }\n", i, g.boolExpr(4))
		if _, err := Compile(Source{Name: "r.yar", Data: []byte(imports + rule)}); err != nil {
			continue // a constant division by zero or overflow, as yara
		}
		sb.WriteString(rule)
		n++
	}
	src := imports + sb.String()
	dir := t.TempDir()
	rules := filepath.Join(dir, "r.yar")
	os.WriteFile(rules, []byte(src), 0o644)
	rs, err := Compile(Source{Name: "r.yar", Data: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	agree, total := 0, 0
	for name, data := range map[string]string{"s1": "ABBCxEAB", "s2": "xxAxxBBBBCCE", "s3": "", "s4": "BBBBBBBBBBBBBBBB"} {
		f := filepath.Join(dir, name)
		os.WriteFile(f, []byte(data), 0o644)
		want := yaraScan(t, yaraBin, rules, f)
		got := ourScan(t, rs, []byte(data))
		for _, r := range rs.rules {
			total++
			_, w := want[r.ast.Name]
			_, g := got[r.ast.Name]
			if w != g {
				t.Errorf("%s on %q: yara %v, ours %v: %s", r.ast.Name, data, w, g, r.ast.Condition)
				continue
			}
			agree++
		}
	}
	t.Logf("seed %d, %d random rules: %d of %d (rule, sample) outcomes agree with yara", seed, n, agree, total)
}
