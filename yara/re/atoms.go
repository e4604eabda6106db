package re

const (
	maxExact   = 16 // most alternative strings tracked
	maxAtomLen = 16
)

// ainfo describes what a subexpression contributes to atoms: either the
// exact (small) set of strings it matches, or a set of strings of which
// each match contains one (nil: none known), at an offset from the start
// of the subexpression's match in [lo, hi] (hi < 0: unbounded). Exact
// strings are whole matches: at offset 0.
type ainfo struct {
	exact   [][]byte
	isExact bool
	atoms   [][]byte
	lo, hi  int
}

// lenRange is the range of the lengths of n's matches (hi < 0: unbounded).
func lenRange(n *node, depth int) (lo, hi int) {
	if depth > 2000 {
		return 0, -1
	}
	switch n.kind {
	case nLit:
		return 1, 1
	case nCat:
		for _, s := range n.subs {
			a, b := lenRange(s, depth+1)
			lo += a
			hi = addHi(hi, b)
		}
		return lo, hi
	case nAlt:
		lo = -1
		for _, s := range n.subs {
			a, b := lenRange(s, depth+1)
			if lo < 0 || a < lo {
				lo = a
			}
			if hi >= 0 && (b < 0 || b > hi) {
				hi = b
			}
		}
		return max(lo, 0), hi
	case nRep:
		a, b := lenRange(n.subs[0], depth+1)
		lo = min(a*n.min, MaxMatch+1)
		switch {
		case n.max < 0 && b != 0 || b < 0:
			hi = -1
		default:
			hi = min(b*n.max, MaxMatch+1)
		}
		return lo, hi
	}
	return 0, 0
}

// addHi adds upper bounds, negative meaning unbounded.
func addHi(a, b int) int {
	if a < 0 || b < 0 {
		return -1
	}
	return min(a+b, MaxMatch+1)
}

// setStrings returns the members of a byte set as one-byte strings,
// lower-cased when nocase; nil if there are too many.
func setStrings(s *byteSet, nocase bool) [][]byte {
	var seen byteSet
	var out [][]byte
	for c := 0; c < 256; c++ {
		b := byte(c)
		if !s.has(b) {
			continue
		}
		if nocase {
			b = lower(b)
		}
		if seen.has(b) {
			continue
		}
		seen.add(b)
		if len(out) == 4 {
			return nil
		}
		out = append(out, []byte{b})
	}
	return out
}

func score(set [][]byte) int {
	if len(set) == 0 {
		return -1
	}
	min := maxAtomLen + 1
	for _, s := range set {
		if len(s) < min {
			min = len(s)
		}
	}
	if min == 0 {
		return -1
	}
	return min*64 - len(set)
}

func (a ainfo) best() ([][]byte, int, int) {
	if a.isExact {
		if score(a.exact) < 0 {
			return nil, 0, 0
		}
		return a.exact, 0, 0
	}
	return a.atoms, a.lo, a.hi
}

func product(a, b [][]byte) ([][]byte, bool) {
	if len(a)*len(b) > maxExact {
		return nil, false
	}
	var out [][]byte
	for _, x := range a {
		for _, y := range b {
			if len(x)+len(y) > maxAtomLen {
				return nil, false
			}
			out = append(out, append(append([]byte(nil), x...), y...))
		}
	}
	return out, true
}

func analyseAtoms(n *node, nocase bool, depth int) ainfo {
	empty := ainfo{exact: [][]byte{{}}, isExact: true}
	if depth > 2000 {
		return ainfo{}
	}
	switch n.kind {
	case nLit:
		if s := setStrings(&n.set, nocase); s != nil {
			return ainfo{exact: s, isExact: true}
		}
		return ainfo{}
	case nEmpty, nBegin, nEnd, nWordB, nNotWordB:
		return empty
	case nCat:
		var best ainfo
		consider := func(c [][]byte, lo, hi int) {
			if score(c) > score(best.atoms) {
				best = ainfo{atoms: c, lo: lo, hi: hi}
			}
		}
		// cur: the exact strings of the subexpressions since curLo..curHi
		// from the start; pLo..pHi: the offset of the current one.
		cur, fresh := [][]byte{{}}, true
		curLo, curHi, pLo, pHi := 0, 0, 0, 0
		allExact := true
		for _, s := range n.subs {
			si := analyseAtoms(s, nocase, depth+1)
			if si.isExact {
				if p, ok := product(cur, si.exact); ok {
					if fresh {
						curLo, curHi, fresh = pLo, pHi, false
					}
					cur = p
				} else {
					consider(cur, curLo, curHi)
					cur, fresh, curLo, curHi = si.exact, false, pLo, pHi
					allExact = false
				}
			} else {
				allExact = false
				consider(cur, curLo, curHi)
				if si.atoms != nil {
					consider(si.atoms, pLo+si.lo, addHi(pHi, si.hi))
				}
				cur, fresh = [][]byte{{}}, true
			}
			a, b := lenRange(s, depth+1)
			pLo, pHi = min(pLo+a, MaxMatch+1), addHi(pHi, b)
		}
		if allExact {
			return ainfo{exact: cur, isExact: true}
		}
		consider(cur, curLo, curHi)
		return best
	case nAlt:
		allExact, none := true, false
		var ex, at [][]byte
		lo, hi := 0, 0
		for i, s := range n.subs {
			si := analyseAtoms(s, nocase, depth+1)
			if si.isExact {
				ex = append(ex, si.exact...)
			} else {
				allExact = false
			}
			b, blo, bhi := si.best()
			if b == nil {
				none = true
			}
			if none && !allExact {
				return ainfo{}
			}
			at = append(at, b...)
			if i == 0 || blo < lo {
				lo = blo
			}
			if i == 0 || hi >= 0 && (bhi < 0 || bhi > hi) {
				hi = bhi
			}
		}
		if allExact && len(ex) <= maxExact {
			return ainfo{exact: ex, isExact: true}
		}
		if allExact {
			// too many alternatives: use them as atoms if none is empty
			if score(ex) > 0 {
				return ainfo{atoms: ex}
			}
			return ainfo{}
		}
		return ainfo{atoms: at, lo: lo, hi: hi}
	case nRep:
		si := analyseAtoms(n.subs[0], nocase, depth+1)
		if n.min == 0 {
			if si.isExact && n.max == 1 && len(si.exact) < maxExact {
				return ainfo{exact: append([][]byte{{}}, si.exact...), isExact: true}
			}
			return ainfo{}
		}
		if si.isExact && n.min == n.max && n.min <= maxAtomLen {
			cur := [][]byte{{}}
			ok := true
			for i := 0; i < n.min && ok; i++ {
				cur, ok = product(cur, si.exact)
			}
			if ok {
				return ainfo{exact: cur, isExact: true}
			}
		}
		// every match has a first iteration, with its atom
		b, lo, hi := si.best()
		return ainfo{atoms: b, lo: lo, hi: hi}
	}
	return ainfo{}
}

// atomsOf returns the atoms of n, each match of which has one at an
// offset in [lo, hi] from its start (hi < 0: unbounded); nil when none.
func atomsOf(n *node, nocase bool) (atoms [][]byte, lo, hi int) {
	b, lo, hi := analyseAtoms(n, nocase, 0).best()
	if score(b) < 0 || len(b) > maxExact {
		return nil, 0, 0
	}
	if hi > MaxMatch {
		hi = -1
	}
	return b, lo, hi
}
