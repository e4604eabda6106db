package yara

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/exhunt/exhunt/yara/hex"
)

// TestHexAtomPath checks that verifying hex strings only at the starts
// implied by their fixed-offset atoms finds what a full FindAll finds.
func TestHexAtomPath(t *testing.T) {
	pats := []string{
		"41 42 43", "41 ?? 43", "4? 42 [1-3] 43 44", "(41 42 | 43 44) 45",
		"41 [2] 42 43", "?? 41 42 ?? 43", "41 42 [-] 43 44", "(41 | 42) [0-2] (43 44 | 45 46)",
	}
	rng := rand.New(rand.NewSource(1))
	data := make([]byte, 1<<16)
	for i := range data {
		data[i] = "ABCDEF\x00"[rng.Intn(7)]
	}
	for _, p := range pats {
		rs := mustCompile(t, fmt.Sprintf("rule r { strings: $a = { %s } condition: $a }", p))
		hp, err := hex.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		hp.FindAll(data, func(s, e int) bool { want = append(want, fmt.Sprint(s, e)); return true })
		x := rs.getScratch()
		rs.scanStrings(data, x)
		ms := x.ms
		var got []string
		for _, m := range ms[0] {
			got = append(got, fmt.Sprint(m.off, m.off+m.n))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s (fixed=%v): %d matches, FindAll %d", p, rs.strs[0].fixed, len(got), len(want))
		}
	}
}

// TestRegexWindowPath checks that verifying regular expressions only in the
// windows around their atom hits finds what a full FindAll finds.
func TestRegexWindowPath(t *testing.T) {
	pats := []string{`AB+C`, `(AB|CD)E`, `\bABC\b`, `^AB`, `F[^A]{0,40}AB`, `AC.{100,200}DE`, `[a-c]+d`}
	rng := rand.New(rand.NewSource(2))
	data := make([]byte, 1<<16)
	for i := range data {
		data[i] = "ABCDEFabcd \n\x00"[rng.Intn(13)]
	}
	for _, p := range pats {
		for _, mods := range []string{"", " nocase", " wide ascii", " fullword"} {
			rs := mustCompile(t, fmt.Sprintf("rule r { strings: $a = /%s/%s condition: $a }", p, mods))
			var want []string
			rs.strs[0].re.FindAll(data, func(s, e int) bool { want = append(want, fmt.Sprint(s, e)); return true })
			var got []string
			x := rs.getScratch()
			rs.scanStrings(data, x)
			for _, m := range x.ms[0] {
				got = append(got, fmt.Sprint(m.off, m.off+m.n))
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("/%s/%s (window=%d): %d matches, FindAll %d", p, mods, rs.strs[0].window, len(got), len(want))
			}
		}
	}
}
