package yara

import (
	"slices"

	"github.com/exhunt/exhunt/yara/syntax"
)

// needs finds strings of which one at least must have matched for the
// condition x of rule r to be true: ok is false when there is no such
// set (the condition may hold with no string matching). Scan does not
// evaluate a rule whose set had no match: it is false.
func (rs *Rules) needs(r *rule, x syntax.Expr) (set []int, ok bool) {
	str := func(id string) (int, bool) {
		if len(id) <= 1 {
			return 0, false // the string of a for … of loop
		}
		si, ok := r.byID["$"+id[1:]]
		return si, ok
	}
	count := func(x syntax.Expr) (int, bool) {
		if c, isCount := x.(*syntax.StringCount); isCount {
			return str(c.ID)
		}
		return 0, false
	}
	constant := func(x syntax.Expr) (int64, bool) {
		c, err := (&checker{}).check(x)
		return c.c, err == nil && c.isC
	}
	switch x := x.(type) {
	case *syntax.StringRef:
		if si, ok := str(x.ID); ok {
			return []int{si}, true
		}
	case *syntax.Of:
		if x.Strings == nil {
			return nil, false
		}
		switch x.Quant.Kind {
		case syntax.QuantAny, syntax.QuantAll:
		case syntax.QuantExpr, syntax.QuantPercent:
			if n, ok := constant(x.Quant.N); !ok || n < 1 {
				return nil, false
			}
		default:
			return nil, false
		}
		set := rs.sets[x.Strings]
		return set, len(set) > 0
	case *syntax.RuleRef:
		if i, ok := r.file[x.Name]; ok && i < r.idx {
			ref := rs.rules[i]
			return ref.needs, ref.needsOK
		}
	case *syntax.Binary:
		switch x.Op {
		case "and":
			a, aok := rs.needs(r, x.X)
			b, bok := rs.needs(r, x.Y)
			if aok && (!bok || len(a) <= len(b)) {
				return a, true
			}
			return b, bok
		case "or":
			a, aok := rs.needs(r, x.X)
			b, bok := rs.needs(r, x.Y)
			if aok && bok {
				u := slices.Clone(a)
				for _, si := range b {
					if !slices.Contains(u, si) {
						u = append(u, si)
					}
				}
				return u, true
			}
		case ">", ">=", "==", "<", "<=":
			// #a > c (c >= 0), #a >= c and #a == c (c >= 1), and mirrored
			op, cnt, lit := x.Op, x.X, x.Y
			if _, isCount := x.Y.(*syntax.StringCount); isCount {
				cnt, lit = x.Y, x.X
				op = map[string]string{">": "<", ">=": "<=", "==": "==", "<": ">", "<=": ">="}[op]
			}
			si, ok := count(cnt)
			c, isC := constant(lit)
			if ok && isC && (op == ">" && c >= 0 || (op == ">=" || op == "==") && c >= 1) {
				return []int{si}, true
			}
		}
	}
	return nil, false
}

// anyMatch reports whether a string of set matched.
func (sc *scanner) anyMatch(set []int) bool {
	for _, si := range set {
		if len(sc.ms[si]) > 0 {
			return true
		}
	}
	return false
}
