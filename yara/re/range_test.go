package re

import (
	"fmt"
	"slices"
	"strings"
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
				r.FindAllRange(data, lo, hi, func(s, e int) bool { got = append(got, fmt.Sprint(s, e)); return true })
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("/%s/ %+v [%d,%d]: %v, want %v", p, f, lo, hi, got, want)
				}
			}
		}
	}
}

// TestAtomOffsets checks the offsets of atoms from the match start on
// examples, and on every match of many patterns that one atom lies within
// its range.
func TestAtomOffsets(t *testing.T) {
	for _, c := range []struct {
		pat  string
		f    Flags
		want string
	}{
		{`abc`, Flags{}, `[{abc 0 0}]`},
		{`x.{0,5}abcd`, Flags{}, `[{abcd 1 6}]`},
		{`eval\s*\(`, Flags{}, `[{eval 0 0}]`},
		{`\s*eval\(`, Flags{}, `[{eval( 0 -1}]`},
		{`(ab|cd)ef.+`, Flags{}, `[{abef 0 0} {cdef 0 0}]`},
		{`[0-9]{2,4}(hello|world)`, Flags{}, `[{hello 2 4} {world 2 4}]`},
		{`q(a.{1,2}bcde|xy.z)`, Flags{}, `[{bcde 1 4} {xy 1 4}]`},
		{`(abcd){2,}`, Flags{}, `[{abcd 0 0}]`},
		{`abc`, Flags{Wide: true, Ascii: true}, `[{a\x00b\x00c\x00 0 0} {abc 0 0}]`},
		{`.{0,600}x`, Flags{}, `[{x 0 600}]`},
		{`.*xyz`, Flags{}, `[{xyz 0 -1}]`},
	} {
		r, err := Compile(c.pat, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range r.AtomInfo() {
			got = append(got, fmt.Sprintf("{%s %d %d}", strings.Trim(fmt.Sprintf("%q", a.Bytes), `"`), a.Lo, a.Hi))
		}
		slices.Sort(got)
		if g := "[" + strings.Join(got, " ") + "]"; g != c.want {
			t.Errorf("/%s/ %+v: %s, want %s", c.pat, c.f, g, c.want)
		}
	}
	data := []byte("xx abcd abcdabcd q a12bcde xy-z 1234hello 99world evaleval  eval( ab\x00c\x00 hello world\n" + strings.Repeat("abc xyz ", 20))
	for _, p := range []string{`abcd`, `a.{1,2}bcde`, `(abcd){1,3}`, `[0-9]{2,4}(hello|world)`, `(ev|xy).(al|z)`, `\s*eval\(`, `(a|b|c|d){2}cd`, `x?y?z`, `e(v(a(l)))`, `(hello|x.{0,3}z)\s+`, `1?2?3?4?hello`} {
		for _, f := range []Flags{{}, {Nocase: true}, {Wide: true, Ascii: true}} {
			r, err := Compile(p, f)
			if err != nil {
				t.Fatal(err)
			}
			atoms := r.AtomInfo()
			if len(atoms) == 0 {
				continue
			}
			r.FindAll(data, func(s, e int) bool {
				for _, a := range atoms {
					hi := a.Hi
					if hi < 0 {
						hi = e - s
					}
					for o := a.Lo; o <= hi && s+o+len(a.Bytes) <= e; o++ {
						if index(data[s+o:s+o+len(a.Bytes)], a.Bytes, f.Nocase) == 0 {
							return true
						}
					}
				}
				t.Errorf("/%s/ %+v: match %q at %d has no atom of %v at its offsets", p, f, data[s:e], s, atoms)
				return true
			})
		}
	}
}
