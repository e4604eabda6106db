package yara

import (
	"fmt"
	"testing"
)

// TestNeeds: the strings of which one must match for a condition to hold.
func TestNeeds(t *testing.T) {
	for cond, want := range map[string]string{
		`$a`:                         "[0]",
		`$a at 10`:                   "[0]",
		`$b and filesize < 10`:       "[1]",
		`filesize < 10 and $b`:       "[1]",
		`$a or $b`:                   "[0 1]",
		`$a or filesize < 10`:        "none",
		`any of them`:                "[0 1 2]",
		`all of ($a, $c)`:            "[0 2]",
		`2 of ($b*)`:                 "[1]",
		`0 of them`:                  "none",
		`none of them`:               "none",
		`#a > 0`:                     "[0]",
		`#a > -1`:                    "none",
		`3 < #c`:                     "[2]",
		`#b >= 1`:                    "[1]",
		`#b >= 0`:                    "none",
		`#a == 0`:                    "none",
		`#a in (0..10) == 2`:         "[0]",
		`not $a`:                     "none",
		`for any of them : ($ at 0)`: "none",
		`r0`:                         "[0]",
		`r0 and $c`:                  "[0]",
		`uint16(0) == 0x5a4d and ($a or ($b and $c))`: "[0 1]",
		`50% of them`: "[0 1 2]",
	} {
		rs := mustCompile(t, `rule r0 { strings: $x = "x" condition: $x } rule r { strings: $a = "a" $b = "b" $c = "c" condition: (`+cond+`) and (true or ($a and $b and $c)) }`)
		r := rs.rules[1]
		got := "none"
		if r.needsOK {
			var ids []int
			for _, si := range r.needs {
				ids = append(ids, si-1)
			}
			got = fmt.Sprint(ids)
			if cond[0] == 'r' {
				got = fmt.Sprint(r.needs) // r0's string
			}
		}
		if got != want {
			t.Errorf("%s: %s, want %s", cond, got, want)
		}
	}
}
