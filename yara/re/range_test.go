package re

import (
	"fmt"
	"testing"
)

// TestFindAllRange checks FindAllRange against FindAll restricted to the
// same starts; the data outside the range still counts as context.
func TestFindAllRange(t *testing.T) {
	data := []byte("ab abc\nabcc xabc abc")
	for _, p := range []string{`abc`, `\babc+`, `^ab`, `c$`, `b.?c`} {
		for _, f := range []Flags{{}, {Fullword: true}, {Nocase: true}} {
			r, err := Compile(p, f)
			if err != nil {
				t.Fatal(err)
			}
			for lo := -1; lo <= len(data); lo += 3 {
				hi := lo + 7
				var want, got []string
				r.FindAll(data, func(s, e int) bool {
					if s >= lo && s <= hi {
						want = append(want, fmt.Sprint(s, e))
					}
					return true
				})
				r.FindAllRange(data, lo, hi, func(s, e int) bool { got = append(got, fmt.Sprint(s, e)); return true }, nil)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("/%s/ %+v [%d,%d]: %v, want %v", p, f, lo, hi, got, want)
				}
			}
		}
	}
}
