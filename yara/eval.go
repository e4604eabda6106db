package yara

import (
	"bytes"
	"cmp"
	"errors"
	"math"
	"slices"
	"strings"

	"github.com/exhunt/exhunt/yara/re"
	"github.com/exhunt/exhunt/yara/syntax"
)

type vkind uint8

const (
	vUndef vkind = iota
	vBool
	vInt
	vFloat
	vStr
	vObj   // a structure, array or dictionary of a module
	vRegex // a regular expression argument of a module function
)

// value is the result of an expression; booleans keep 0 or 1 in i.
type value struct {
	k vkind
	i int64
	f float64
	s []byte
	o *mobj
}

var undef = value{}

func vbool(b bool) value {
	if b {
		return value{k: vBool, i: 1}
	}
	return value{k: vBool}
}
func vint(i int64) value     { return value{k: vInt, i: i} }
func vfloat(f float64) value { return value{k: vFloat, f: f} }
func vstr(s []byte) value    { return value{k: vStr, s: s} }

// truth is the boolean meaning of v; undefined is false.
func (v value) truth() bool {
	switch v.k {
	case vBool, vInt:
		return v.i != 0
	case vFloat:
		return v.f != 0
	case vStr:
		return len(v.s) > 0
	}
	return false
}

func (v value) num() (float64, bool) {
	switch v.k {
	case vInt, vBool:
		return float64(v.i), true
	case vFloat:
		return v.f, true
	}
	return 0, false
}

type scanner struct {
	rs     *Rules
	data   []byte
	pe     *peFile // the data as a PE file, parsed on first use
	peDone bool
	vars   map[string]any
	ms     [][]smatch
	state  []int8 // 0 not evaluated, 1 true, 2 false, 3 being evaluated
	iters  int64  // loop iterations so far, bounded by maxScanIterations
	err    error
}

type loopVar struct {
	name string
	v    value
}

type env struct {
	r    *rule
	cur  int // the string bound by for … of, -1 none
	vars []loopVar
}

func (sc *scanner) ruleResult(i int) bool {
	switch sc.state[i] {
	case 1:
		return true
	case 2, 3:
		return false
	}
	sc.state[i] = 3
	r := sc.rs.rules[i]
	ok := (!r.needsOK || sc.anyMatch(r.needs)) && sc.eval(r.ast.Condition, &env{r: r, cur: -1}).truth()
	if ok {
		sc.state[i] = 1
	} else {
		sc.state[i] = 2
	}
	return ok
}

// strIndex resolves a string identifier ($a, #a, @a, !a or the bare sigil
// inside for … of).
func (sc *scanner) strIndex(id string, e *env) int {
	if len(id) <= 1 {
		return e.cur
	}
	if i, ok := e.r.byID["$"+id[1:]]; ok {
		return i
	}
	return -1
}

func (sc *scanner) matches(id string, e *env) []smatch {
	i := sc.strIndex(id, e)
	if i < 0 {
		return nil
	}
	return sc.ms[i]
}

func (sc *scanner) rangeOf(r *syntax.Range, e *env) (lo, hi int64, ok bool) {
	a, b := sc.eval(r.Lo, e), sc.eval(r.Hi, e)
	if a.k != vInt || b.k != vInt {
		return 0, 0, false
	}
	return a.i, b.i, true
}

func (sc *scanner) eval(x syntax.Expr, e *env) value {
	switch x := x.(type) {
	case *syntax.IntLit:
		return vint(x.Value)
	case *syntax.FloatLit:
		return vfloat(x.Value)
	case *syntax.StringLit:
		return vstr(x.Value)
	case *syntax.BoolLit:
		return vbool(x.Value)
	case *syntax.Keyword:
		if x.Name == "filesize" {
			return vint(int64(len(sc.data)))
		}
		return undef
	case *syntax.Ident:
		if x.LoopVar {
			for i := len(e.vars) - 1; i >= 0; i-- {
				if e.vars[i].name == x.Name {
					return e.vars[i].v
				}
			}
			return undef
		}
		if x.Module {
			return sc.moduleRoot(x.Name)
		}
		return external(sc.rs.externalValue(sc.vars, x.Name))
	case *syntax.RuleRef:
		if i, ok := e.r.file[x.Name]; ok {
			return vbool(sc.ruleResult(i))
		}
		return undef
	case *syntax.Member:
		if b := sc.eval(x.X, e); b.k == vObj {
			return sc.member(b.o, x.Name)
		}
		return undef
	case *syntax.Index:
		b := sc.eval(x.X, e)
		if b.k != vObj {
			return undef
		}
		switch i := sc.eval(x.Index, e); i.k {
		case vInt:
			return sc.item(b.o, i.i)
		case vStr:
			return sc.key(b.o, i.s)
		}
		return undef
	case *syntax.Call:
		return sc.call(x, e)
	case *syntax.StringRef:
		m := sc.matches(x.ID, e)
		switch {
		case x.At != nil:
			at := sc.eval(x.At, e)
			if at.k != vInt {
				return vbool(false)
			}
			for _, y := range m {
				if int64(y.off) == at.i {
					return vbool(true)
				}
				if int64(y.off) > at.i {
					break
				}
			}
			return vbool(false)
		case x.In != nil:
			lo, hi, ok := sc.rangeOf(x.In, e)
			if !ok {
				return undef // unlike "at" undefined, which is false
			}
			for _, y := range m {
				if int64(y.off) >= lo && int64(y.off) <= hi {
					return vbool(true)
				}
			}
			return vbool(false)
		}
		return vbool(len(m) > 0)
	case *syntax.StringCount:
		m := sc.matches(x.ID, e)
		if x.In == nil {
			return vint(int64(len(m)))
		}
		lo, hi, ok := sc.rangeOf(x.In, e)
		if !ok {
			return undef
		}
		n := 0
		for _, y := range m {
			if int64(y.off) >= lo && int64(y.off) <= hi {
				n++
			}
		}
		return vint(int64(n))
	case *syntax.StringOffset, *syntax.StringLength:
		var id string
		var idx syntax.Expr
		length := false
		if o, ok := x.(*syntax.StringOffset); ok {
			id, idx = o.ID, o.Index
		} else {
			l := x.(*syntax.StringLength)
			id, idx, length = l.ID, l.Index, true
		}
		m := sc.matches(id, e)
		k := int64(1)
		if idx != nil {
			v := sc.eval(idx, e)
			if v.k != vInt {
				return undef
			}
			k = v.i
		}
		if k < 1 || k > int64(len(m)) {
			return undef
		}
		if length {
			return vint(int64(m[k-1].n))
		}
		return vint(int64(m[k-1].off))
	case *syntax.Unary:
		v := sc.eval(x.X, e)
		switch x.Op {
		case "defined":
			return vbool(v.k != vUndef)
		case "not":
			if v.k == vUndef {
				return undef
			}
			return vbool(!v.truth())
		case "-":
			switch v.k {
			case vInt:
				return vint(-v.i)
			case vFloat:
				return vfloat(-v.f)
			}
			return undef
		case "~":
			if v.k == vInt {
				return vint(^v.i)
			}
			return undef
		}
		return undef
	case *syntax.Binary:
		return sc.binary(x, e)
	case *syntax.Of:
		if x.Rules != nil {
			var res []bool
			for _, name := range x.Rules.Matched {
				if i, ok := e.r.file[name]; ok {
					res = append(res, sc.ruleResult(i))
				}
			}
			return sc.quant(x.Quant, e, int64(len(res)), func(i int64) value { return vbool(res[i]) }, true)
		}
		set := sc.stringSet(x.Strings, e)
		return sc.quant(x.Quant, e, int64(len(set)), func(i int64) value { return vbool(len(sc.ms[set[i]]) > 0) }, true)
	case *syntax.ForOf:
		set := sc.stringSet(x.Strings, e)
		return sc.quant(x.Quant, e, int64(len(set)), func(i int64) value {
			save := e.cur
			e.cur = set[i]
			v := sc.eval(x.Body, e)
			e.cur = save
			return v
		}, false) // "for 0 of" is always true, unlike "0 of"

	case *syntax.ForIn:
		return sc.forIn(x, e)
	}
	return undef
}

// externalValue is the value of external name: from vars, else the one
// given to CompileOptions.
func (rs *Rules) externalValue(vars map[string]any, name string) any {
	if v, ok := vars[name]; ok {
		return v
	}
	return rs.defaults[name]
}

// typ is the static type of a value of an external variable.
func (v value) typ() typ {
	switch v.k {
	case vBool:
		return tBool
	case vInt:
		return tInt
	case vFloat:
		return tFloat
	case vStr:
		return tStr
	}
	return tAny
}

func external(v any) value {
	switch v := v.(type) {
	case int:
		return vint(int64(v))
	case int64:
		return vint(v)
	case float64:
		return vfloat(v)
	case bool:
		return vbool(v)
	case string:
		return vstr([]byte(v))
	case []byte:
		return vstr(v)
	}
	return undef
}

// stringSet returns the global indexes of the strings a set covers
// (computed by Compile).
func (sc *scanner) stringSet(s *syntax.StringSet, e *env) []int {
	if set, ok := sc.rs.sets[s]; ok {
		return set
	}
	return stringSetOf(sc.rs, e.r, s)
}

// stringSetOf resolves a string set of rule r: them, names and prefixes
// with a wildcard, each string once, in declaration order of the items.
func stringSetOf(rs *Rules, r *rule, s *syntax.StringSet) []int {
	if s.Them {
		return r.strs
	}
	var out []int
	for _, it := range s.Items {
		for _, si := range r.strs {
			id := rs.strs[si].def.ID
			if (it.Wildcard && strings.HasPrefix(id, it.Name) || !it.Wildcard && id == it.Name) && !slices.Contains(out, si) {
				out = append(out, si)
			}
		}
	}
	return out
}

// quant applies a quantifier to n items; item(i) evaluates one (undefined
// counts as false). It stops as soon as the outcome is known. With
// ofSemantics, "0 of" and "none of" mean none of (yara 4.2); "for 0 i in",
// "for none i in", "for 0 of" and "for none of" are always true.
func (sc *scanner) quant(q syntax.Quantifier, e *env, n int64, item func(i int64) value, ofSemantics bool) value {
	need := int64(0)
	switch q.Kind {
	case syntax.QuantExpr, syntax.QuantPercent:
		v := sc.eval(q.N, e)
		if v.k != vInt {
			// yara 4.2 encodes "all" as an undefined quantifier, so an
			// undefined N means all
			q = syntax.Quantifier{Kind: syntax.QuantAll}
		}
		need = v.i
	}
	switch q.Kind {
	case syntax.QuantAll:
		need = n
	case syntax.QuantAny:
		need = 1
	case syntax.QuantNone:
		// "none of" means none, but yara 4.2.3 compiles "for none" loops
		// as "for 0": always true over a non-empty loop
		need = 0
	case syntax.QuantPercent:
		// count*100 >= need*n, i.e. count >= ceil(need*n/100)
		p := need
		need = (p*n + 99) / 100
		if p*n <= 0 {
			need = 0
			ofSemantics = false
		}
	}
	none := need <= 0 && ofSemantics
	if need <= 0 && !none {
		return vbool(true)
	}
	count := int64(0)
	for i := int64(0); i < n; i++ {
		if sc.iters++; sc.iters > maxScanIterations {
			sc.err = errTooExpensive
			return undef
		}
		if item(i).truth() {
			if none {
				return vbool(false)
			}
			if count++; count >= need {
				return vbool(true)
			}
		} else if q.Kind == syntax.QuantAll {
			return vbool(false)
		}
	}
	return vbool(none)
}

// maxLoopIterations bounds a for … in loop over a range; a longer range is
// undefined (yara would run it). maxScanIterations bounds the iterations of
// all loops of one scan (nested loops multiply); beyond it Scan fails.
const (
	maxLoopIterations = 1 << 26
	maxScanIterations = 1 << 26
)

var errTooExpensive = errors.New("yara: conditions need more than 2^26 loop iterations")

func (sc *scanner) forIn(x *syntax.ForIn, e *env) value {
	var n int64
	var item, key func(i int64) value
	switch it := x.Iter.(type) {
	case *syntax.Range:
		lo, hi, ok := sc.rangeOf(it, e)
		if !ok || hi < lo {
			return vbool(false)
		}
		if uint64(hi-lo) >= maxLoopIterations {
			return undef
		}
		n = hi - lo + 1
		item = func(i int64) value { return vint(lo + i) }
	case *syntax.Enum:
		var items []value
		for _, y := range it.Items {
			items = append(items, sc.eval(y, e))
		}
		n = int64(len(items))
		item = func(i int64) value { return items[i] }
	case *syntax.IterExpr:
		// an array or dictionary of a module; undefined is as empty
		o := sc.eval(it.X, e)
		if o.k != vObj {
			return vbool(false)
		}
		n = int64(sc.length(o.o))
		item = func(i int64) value { return sc.item(o.o, i) }
		if o.o.path == "pe.version_info" {
			key = func(i int64) value { return vstr(sc.pe.versionDict[i].key) }
		}
	default:
		return vbool(false)
	}
	if n == 0 {
		return vbool(false)
	}
	base := len(e.vars)
	defer func() { e.vars = e.vars[:base] }()
	name := ""
	if len(x.Vars) > 0 {
		name = x.Vars[0]
	}
	return sc.quant(x.Quant, e, n, func(i int64) value {
		if key != nil && len(x.Vars) == 2 {
			e.vars = append(e.vars[:base], loopVar{name, key(i)}, loopVar{x.Vars[1], item(i)})
		} else {
			e.vars = append(e.vars[:base], loopVar{name, item(i)})
		}
		return sc.eval(x.Body, e)
	}, false)
}

func (sc *scanner) binary(x *syntax.Binary, e *env) value {
	switch x.Op {
	case "and":
		a := sc.eval(x.X, e)
		if !a.truth() {
			return vbool(false)
		}
		return vbool(sc.eval(x.Y, e).truth())
	case "or":
		if sc.eval(x.X, e).truth() {
			return vbool(true)
		}
		return vbool(sc.eval(x.Y, e).truth())
	case "matches":
		a := sc.eval(x.X, e)
		if a.k != vStr {
			return undef
		}
		rl, ok := x.Y.(*syntax.RegexLit)
		if !ok {
			return undef
		}
		r := sc.regex(rl)
		if r == nil {
			return vbool(false)
		}
		found := false
		r.FindAll(a.s, func(int, int) bool { found = true; return false })
		return vbool(found)
	}
	a, b := sc.eval(x.X, e), sc.eval(x.Y, e)
	if a.k == vUndef || b.k == vUndef {
		if sc.rs.floatLT[x] {
			return vbool(false) // yara 4.2.3's float "<" does not check
		}
		return undef
	}
	if a.k == vStr || b.k == vStr {
		if a.k != vStr || b.k != vStr {
			return undef
		}
		return strOp(x.Op, a.s, b.s)
	}
	if a.k == vFloat || b.k == vFloat {
		fa, _ := a.num()
		fb, _ := b.num()
		return floatOp(x.Op, fa, fb)
	}
	return intOp(x.Op, a.i, b.i)
}

func (sc *scanner) regex(rl *syntax.RegexLit) *re.Regexp {
	if r, ok := sc.rs.regexps[rl]; ok {
		return r
	}
	return nil
}

// lower folds ASCII letters only, as yara does.
func lower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// ordered is the value of a comparison operator given a three-way
// comparison; ok is false for other operators. Floats compare on their
// own: NaN is neither less, equal nor greater.
func ordered(op string, c int) (v value, ok bool) {
	switch op {
	case "==":
		return vbool(c == 0), true
	case "!=":
		return vbool(c != 0), true
	case "<":
		return vbool(c < 0), true
	case "<=":
		return vbool(c <= 0), true
	case ">":
		return vbool(c > 0), true
	case ">=":
		return vbool(c >= 0), true
	}
	return undef, false
}

func strOp(op string, a, b []byte) value {
	if v, ok := ordered(op, bytes.Compare(a, b)); ok {
		return v
	}
	switch op {
	case "contains":
		return vbool(bytes.Contains(a, b))
	case "icontains":
		return vbool(bytes.Contains(lower(a), lower(b)))
	case "startswith":
		return vbool(bytes.HasPrefix(a, b))
	case "istartswith":
		return vbool(bytes.HasPrefix(lower(a), lower(b)))
	case "endswith":
		return vbool(bytes.HasSuffix(a, b))
	case "iendswith":
		return vbool(bytes.HasSuffix(lower(a), lower(b)))
	case "iequals":
		return vbool(bytes.Equal(lower(a), lower(b)))
	}
	return undef
}

func floatOp(op string, a, b float64) value {
	switch op {
	case "+":
		return vfloat(a + b)
	case "-":
		return vfloat(a - b)
	case "*":
		return vfloat(a * b)
	case "\\":
		return vfloat(a / b)
	case "==":
		return vbool(a == b)
	case "!=":
		return vbool(a != b)
	case "<":
		return vbool(a < b)
	case "<=":
		return vbool(a <= b)
	case ">":
		return vbool(a > b)
	case ">=":
		return vbool(a >= b)
	}
	return undef
}

func intOp(op string, a, b int64) value {
	if v, ok := ordered(op, cmp.Compare(a, b)); ok {
		return v
	}
	switch op {
	case "+":
		return vint(a + b)
	case "-":
		return vint(a - b)
	case "*":
		return vint(a * b)
	case "\\":
		if b == 0 || a == math.MinInt64 && b == -1 {
			return undef
		}
		return vint(a / b)
	case "%":
		if b == 0 || a == math.MinInt64 && b == -1 {
			return undef
		}
		return vint(a % b)
	case "&":
		return vint(a & b)
	case "|":
		return vint(a | b)
	case "^":
		return vint(a ^ b)
	case "<<":
		if b < 0 {
			return undef
		}
		if b >= 64 {
			return vint(0)
		}
		return vint(a << b)
	case ">>":
		if b < 0 {
			return undef
		}
		if b >= 64 {
			return vint(0)
		}
		return vint(a >> b)
	}
	return undef
}

// readInt implements uint8 … int32be.
func (sc *scanner) readInt(name string, off value) value {
	if off.k != vInt {
		return undef
	}
	size := 1
	be := len(name) > 2 && name[len(name)-2:] == "be"
	base := name
	if be {
		base = name[:len(name)-2]
	}
	signed := base[0] == 'i'
	switch base[len(base)-2:] {
	case "16":
		size = 2
	case "32":
		size = 4
	}
	if off.i < 0 || off.i > int64(len(sc.data)) || int64(len(sc.data))-off.i < int64(size) {
		return undef
	}
	b := sc.data[off.i : off.i+int64(size)]
	var u uint64
	for k := range size {
		if be {
			u = u<<8 | uint64(b[k])
		} else {
			u |= uint64(b[k]) << (8 * k)
		}
	}
	if signed {
		shift := 64 - 8*size // sign-extend from the read width
		return vint(int64(u<<shift) >> shift)
	}
	return vint(int64(u))
}

func (sc *scanner) call(x *syntax.Call, e *env) value {
	args := make([]value, len(x.Args))
	for i, a := range x.Args {
		if _, ok := a.(*syntax.RegexLit); ok {
			args[i] = value{k: vRegex}
			continue
		}
		args[i] = sc.eval(a, e)
	}
	switch fn := x.Fn.(type) {
	case *syntax.Ident:
		if len(args) == 1 {
			return sc.readInt(fn.Name, args[0])
		}
	case *syntax.Member:
		if id, ok := fn.X.(*syntax.Ident); ok && id.Module {
			for _, a := range args {
				if a.k == vUndef {
					return undef
				}
			}
			switch id.Name {
			case "math":
				return sc.mathFn(fn.Name, args)
			case "hash":
				return sc.hashFn(fn.Name, args)
			case "pe":
				return sc.peCall(fn.Name, args, x)
			}
		} else if o := sc.eval(fn.X, e); o.k == vObj && o.o.path == "pe.rich_signature" {
			for _, a := range args {
				if a.k == vUndef {
					return undef
				}
			}
			return sc.peCall("rich_signature."+fn.Name, args, x)
		}
	}
	return undef
}
