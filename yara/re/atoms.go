package re

const (
	maxExact   = 16 // most alternative strings tracked
	maxAtomLen = 16
)

// ainfo describes what a subexpression contributes to atoms: either the
// exact (small) set of strings it matches, or a set of strings of which
// each match contains one (nil: none known).
type ainfo struct {
	exact   [][]byte
	isExact bool
	atoms   [][]byte
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

func (a ainfo) best() [][]byte {
	if a.isExact {
		if score(a.exact) < 0 {
			return nil
		}
		return a.exact
	}
	return a.atoms
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
		var best [][]byte
		cur := [][]byte{{}}
		consider := func(c [][]byte) {
			if score(c) > score(best) {
				best = c
			}
		}
		allExact := true
		for _, s := range n.subs {
			si := analyseAtoms(s, nocase, depth+1)
			if si.isExact {
				if p, ok := product(cur, si.exact); ok {
					cur = p
					continue
				}
				consider(cur)
				cur = si.exact
				allExact = false
				continue
			}
			allExact = false
			consider(cur)
			consider(si.atoms)
			cur = [][]byte{{}}
		}
		if allExact {
			return ainfo{exact: cur, isExact: true}
		}
		consider(cur)
		return ainfo{atoms: best}
	case nAlt:
		allExact, none := true, false
		var ex, at [][]byte
		for _, s := range n.subs {
			si := analyseAtoms(s, nocase, depth+1)
			if si.isExact {
				ex = append(ex, si.exact...)
			} else {
				allExact = false
			}
			b := si.best()
			if b == nil {
				none = true
			}
			if none && !allExact {
				return ainfo{}
			}
			at = append(at, b...)
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
		return ainfo{atoms: at}
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
		return ainfo{atoms: si.best()}
	}
	return ainfo{}
}

func atomsOf(n *node, nocase bool) [][]byte {
	b := analyseAtoms(n, nocase, 0).best()
	if score(b) < 0 || len(b) > maxExact {
		return nil
	}
	return b
}
