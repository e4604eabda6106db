package yara

import (
	"bytes"
	"strings"
	"testing"
)

// TestHostileBounded: rules that would make a scan take minutes (yara
// 4.2 takes 52 s on 1 MB for /.{0,600}x/, over a minute on 100 KB for
// /[a-z]{0,5000}x/) either finish within the scan's budget of steps or
// fail with an error saying so; hex strings without literals keep their
// memory bounded and stop at MaxMatchesPerString matches.
func TestHostileBounded(t *testing.T) {
	mixed := bytes.Repeat([]byte(strings.Repeat("a", 100)+"x"), (48<<10)/101)
	as := bytes.Repeat([]byte("A"), 4<<20)
	zeros := make([]byte, 4<<20)
	for _, c := range []struct {
		str  string
		data []byte
		slow bool // the scan must fail
	}{
		{`/.{0,600}x/`, mixed, false},
		{`/[a-z]{0,5000}x/`, mixed, true},
		{`/(a{0,100}){0,100}/`, mixed, true},
		{`/((a|b){0,100}c){0,100}/`, mixed, false},
		{`/a.*x/`, mixed, true}, // yara: 17 s for 256 KB of the same
		{`{ ?? ?? [-] ?? }`, zeros, false},
		{`{ ?? [-] ?? [-] ?? }`, zeros, false},
		{`{ 41 [-] 42 }`, as, false},
		{`{ 41 41 [0-1000000] 41 42 }`, as, false},
		{`{ 41 ( ?? [0-200] 42 | ?? [0-200] ?? 43 | 41 [0-200] 44 ) [0-200] ( ?? [0-200] 42 | ?? [0-200] ?? 43 ) 45 }`, as[:48<<10], true},
	} {
		rs := mustCompile(t, "rule r { strings: $a = "+c.str+" condition: $a }")
		x := rs.getScratch()
		err := rs.scanStrings(c.data, x)
		n := len(x.ms[0])
		steps := x.steps
		rs.putScratch(x)
		budget := scanBudget(len(c.data))
		switch {
		case err != nil && !strings.Contains(err.Error(), "too slow"):
			t.Errorf("%s: %v", c.str, err)
		case c.slow != (err != nil):
			t.Errorf("%s: error %v, %d steps of %d", c.str, err, steps, budget)
		case err == nil && steps > budget:
			t.Errorf("%s: %d steps, over the budget of %d", c.str, steps, budget)
		case n > MaxMatchesPerString:
			t.Errorf("%s: %d matches", c.str, n)
		}
		t.Logf("%s on %d bytes: %d matches, %d steps (%.0f a byte), %v", c.str, len(c.data), n, steps, float64(steps)/float64(len(c.data)), err)
	}
}
