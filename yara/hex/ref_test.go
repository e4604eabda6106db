package hex

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
)

// refFindAll is the earlier implementation of FindAll, which kept for each
// part after a jump every position where the rest matches: the reference
// for the lazy cursors.
func refFindAll(p *Pattern, data []byte, fn func(start, end int) bool) {
	type okList struct{ pos, end []int }
	firstOf := func(o *okList, lo, hi int) (int, bool) {
		k := sort.SearchInts(o.pos, lo)
		if k < len(o.pos) && (hi < 0 || o.pos[k] <= hi) {
			return o.end[k], true
		}
		return 0, false
	}
	var next *okList
	for si := len(p.segs) - 1; si >= 0; si-- {
		s := p.segs[si]
		cur := &okList{}
		w := newWalker()
		stop := false
		for pos := 0; pos < len(data) && !stop; pos++ {
			s.ends(w, data, pos, func(e int) bool {
				end := e
				if next != nil {
					j := p.jumps[si]
					hi := -1
					if j.max >= 0 {
						hi = e + j.max
					}
					r, ok := firstOf(next, e+j.min, hi)
					if !ok {
						return true
					}
					end = r
				}
				if si > 0 {
					cur.pos, cur.end = append(cur.pos, pos), append(cur.end, end)
				} else if !fn(pos, end) {
					stop = true
				}
				return false
			})
		}
		next = cur
	}
}

// TestCursorsAgainstReference compares FindAll, a Searcher and
// MatchAt with the reference on random patterns with jumps over random
// data of few distinct bytes.
func TestCursorsAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	tok := func() string {
		switch rng.Intn(8) {
		case 0:
			return "??"
		case 1:
			return "4?"
		case 2:
			return "( 41 | 42 43 )"
		case 3:
			return "( 41 [0-2] 42 | 43 )"
		}
		return fmt.Sprintf("4%d", 1+rng.Intn(3))
	}
	jump := func() string {
		switch rng.Intn(5) {
		case 0:
			return "[-]"
		case 1:
			return fmt.Sprintf("[%d-]", rng.Intn(4))
		case 2:
			return fmt.Sprintf("[%d]", 1+rng.Intn(4))
		}
		lo := rng.Intn(4)
		return fmt.Sprintf("[%d-%d]", lo, lo+rng.Intn(6))
	}
	for iter := 0; iter < 3000; iter++ {
		var parts []string
		for range 1 + rng.Intn(4) {
			seg := []string{}
			for range 1 + rng.Intn(3) {
				seg = append(seg, tok())
			}
			parts = append(parts, strings.Join(seg, " "))
		}
		var src strings.Builder
		for i, part := range parts {
			if i > 0 {
				src.WriteString(" " + jump() + " ")
			}
			src.WriteString(part)
		}
		p, err := Compile(src.String())
		if err != nil {
			continue
		}
		data := make([]byte, 20+rng.Intn(200))
		for i := range data {
			data[i] = "ABCD"[rng.Intn(4)]
		}
		var want, got, at, rg []string
		refFindAll(p, data, func(s, e int) bool { want = append(want, fmt.Sprint(s, e)); return true })
		p.FindAll(data, func(s, e int) bool { got = append(got, fmt.Sprint(s, e)); return true })
		var starts []int
		for s := 0; s < len(data); s += 1 + rng.Intn(3) {
			starts = append(starts, s)
		}
		sr := p.Searcher(data)
		for _, s := range starts {
			if e, ok := sr.MatchAt(s, nil); ok {
				at = append(at, fmt.Sprint(s, e))
			}
		}
		lo, hi := rng.Intn(len(data)), rng.Intn(len(data))
		sr = p.Searcher(data)
		mid := (lo + hi) / 2
		sr.FindRange(lo, mid, nil, func(s, e int) bool { rg = append(rg, fmt.Sprint(s, e)); return true })
		sr.FindRange(mid+1, hi, nil, func(s, e int) bool { rg = append(rg, fmt.Sprint(s, e)); return true })
		var wantAt, wantRg []string
		for _, w := range want {
			var s, e int
			fmt.Sscan(w, &s, &e)
			if i := sort.SearchInts(starts, s); i < len(starts) && starts[i] == s {
				wantAt = append(wantAt, w)
			}
			if s >= lo && s <= hi {
				wantRg = append(wantRg, w)
			}
			if e2, ok := p.MatchAt(data, s); !ok || e2 != e {
				t.Fatalf("{ %s } MatchAt(%d) = %d %v, want %d", src.String(), s, e2, ok, e)
			}
		}
		matched := map[int]bool{}
		for _, w := range want {
			var s int
			fmt.Sscan(w, &s)
			matched[s] = true
		}
		for s := 0; s < len(data); s++ {
			if _, ok := p.MatchAt(data, s); ok != matched[s] {
				t.Fatalf("{ %s } MatchAt(%d) = %v", src.String(), s, ok)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(at) != fmt.Sprint(wantAt) || fmt.Sprint(rg) != fmt.Sprint(wantRg) {
			t.Fatalf("{ %s } on %q:\nFindAll   %v\nreference %v\nFindAt %v want %v\nFindRange %v want %v", src.String(), data, got, want, at, wantAt, rg, wantRg)
		}
	}
}

// TestNoLiteralsBounded: patterns without literals, with unbounded jumps,
// over data where every offset matches, keep a bounded number of offsets
// and try each part at each offset once (the earlier implementation kept
// two ints per offset of the data for each part after a jump).
func TestNoLiteralsBounded(t *testing.T) {
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, src := range []string{
		"?? ?? [-] ??",
		"?? [-] ?? [-] ?? [-] ??",
		"?? [0-100000] ??",
		"(?? | ?? ??) [-] ( ?? ?? | ?? ) [2-] ??",
		"?? ?? [-] 00 01",
		"4? [-] 4? [1-] 5?",
	} {
		p, err := Compile(src)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		sr := p.findAll(data, nil, func(s, e int) bool { n++; return true })
		// each part tried at most once per offset (and the ends of the
		// alternatives of a part at most twice there)
		if bound := int64(2 * len(p.segs) * len(data)); sr.work > bound {
			t.Errorf("{ %s }: %d tries, more than %d", src, sr.work, bound)
		}
		if sr.kept > 1000 {
			t.Errorf("{ %s }: %d offsets kept", src, sr.kept)
		}
		t.Logf("{ %s }: %d matches, %d tries, at most %d offsets kept", src, n, sr.work, sr.kept)
	}
}
