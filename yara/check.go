package yara

import (
	"fmt"
	"math"
	"strings"

	"github.com/exhunt/exhunt/yara/syntax"
)

// typ is the static type of an expression; tAny is a value whose type is
// not known at compile time (external variables, modules out of scope).
type typ uint8

const (
	tAny typ = iota
	tBool
	tInt
	tFloat
	tStr
	tRegex
)

func (t typ) String() string {
	switch t {
	case tBool:
		return "boolean"
	case tInt:
		return "integer"
	case tFloat:
		return "float"
	case tStr:
		return "string"
	case tRegex:
		return "regexp"
	}
	return "unknown"
}

func (t typ) numeric() bool { return t == tInt || t == tFloat || t == tAny }

// signature of a module function: the argument types of each overload,
// one letter per argument (i integer, f float, s string, b boolean).
type signature struct {
	args []string
	ret  typ
}

var moduleFuncs = map[string]map[string]signature{
	"math": {
		"entropy":            {[]string{"ii", "s"}, tFloat},
		"mean":               {[]string{"ii", "s"}, tFloat},
		"deviation":          {[]string{"iif", "sf"}, tFloat},
		"serial_correlation": {[]string{"ii", "s"}, tFloat},
		"monte_carlo_pi":     {[]string{"ii", "s"}, tFloat},
		"count":              {[]string{"iii", "i"}, tInt},
		"percentage":         {[]string{"iii", "i"}, tFloat},
		"mode":               {[]string{"ii", ""}, tInt},
		"in_range":           {[]string{"fff"}, tBool},
		"min":                {[]string{"ii"}, tInt},
		"max":                {[]string{"ii"}, tInt},
		"to_number":          {[]string{"b"}, tInt},
		"abs":                {[]string{"i"}, tInt},
	},
	"hash": {
		"md5":        {[]string{"ii", "s"}, tStr},
		"sha1":       {[]string{"ii", "s"}, tStr},
		"sha256":     {[]string{"ii", "s"}, tStr},
		"checksum32": {[]string{"ii", "s"}, tInt},
		"crc32":      {[]string{"ii", "s"}, tInt},
	},
}

func letter(t typ) byte {
	switch t {
	case tInt:
		return 'i'
	case tFloat:
		return 'f'
	case tStr:
		return 's'
	case tBool:
		return 'b'
	case tRegex:
		return 'r'
	}
	return '?'
}

// checker finds the type errors and constant-expression errors yara's
// compiler reports (type mismatches, wrong operand types, wrong module
// function arguments, division by zero and integer overflow between
// constants).
type checker struct {
	scope []loopVarType
	// floatLT collects the float comparisons "<": yara 4.2.3 makes them
	// false, not undefined, when an operand is undefined.
	floatLT map[*syntax.Binary]bool
	// ext: the types of the external variables when they are declared.
	ext map[string]typ
}

type loopVarType struct {
	name string
	t    typ
	m    *mtype // a structure of a module (t is tAny)
}

type cinfo struct {
	t     typ
	isC   bool // an integer constant
	c     int64
	isMod bool // a module function not called
}

func errAt(x syntax.Expr, format string, args ...any) error {
	p := x.Position()
	return fmt.Errorf("%s:%d: %s", p.File, p.Line, fmt.Sprintf(format, args...))
}

func (ck *checker) rng(r *syntax.Range, what string) error {
	for _, b := range []syntax.Expr{r.Lo, r.Hi} {
		c, err := ck.check(b)
		if err != nil {
			return err
		}
		if c.t != tInt && c.t != tAny {
			return errAt(b, "wrong type for %s", what)
		}
	}
	return nil
}

func (ck *checker) intArg(x syntax.Expr, what string) error {
	if x == nil {
		return nil
	}
	c, err := ck.check(x)
	if err != nil {
		return err
	}
	if c.t != tInt && c.t != tAny {
		return errAt(x, "wrong type %q for %s", c.t.String(), what)
	}
	return nil
}

func (ck *checker) quant(q syntax.Quantifier) error {
	if err := ck.intArg(q.N, "quantifier"); err != nil {
		return err
	}
	if q.Kind == syntax.QuantPercent {
		if c, _ := ck.check(q.N); c.isC && (c.c < 1 || c.c > 100) {
			return errAt(q.N, "percentage must be between 1 and 100 (inclusive)")
		}
	}
	return nil
}

func (ck *checker) check(x syntax.Expr) (cinfo, error) {
	switch x := x.(type) {
	case *syntax.IntLit:
		return cinfo{t: tInt, isC: true, c: x.Value}, nil
	case *syntax.FloatLit:
		return cinfo{t: tFloat}, nil
	case *syntax.StringLit:
		return cinfo{t: tStr}, nil
	case *syntax.RegexLit:
		return cinfo{t: tRegex}, nil
	case *syntax.BoolLit, *syntax.RuleRef:
		return cinfo{t: tBool}, nil
	case *syntax.Keyword:
		if x.Name == "entrypoint" {
			// Deprecated in yara and not computed here: refused rather
			// than left undefined.
			return cinfo{}, errAt(x, "entrypoint is not supported by this engine (use pe.entry_point)")
		}
		return cinfo{t: tInt}, nil
	case *syntax.Ident:
		if m, ok, err := ck.modType(x); ok || err != nil {
			return scalar(x, m, err)
		}
		if x.LoopVar {
			for i := len(ck.scope) - 1; i >= 0; i-- {
				if ck.scope[i].name == x.Name {
					return cinfo{t: ck.scope[i].t}, nil
				}
			}
		} else if t, ok := ck.ext[x.Name]; ok && !x.Module {
			return cinfo{t: t}, nil
		}
		return cinfo{t: tAny}, nil
	case *syntax.Member:
		if m, ok, err := ck.modType(x); ok || err != nil {
			return scalar(x, m, err)
		}
		if id, ok := x.X.(*syntax.Ident); ok && id.Module {
			if fns, ok := moduleFuncs[id.Name]; ok {
				if _, ok := fns[x.Name]; ok {
					return cinfo{t: tAny, isMod: true}, nil
				}
				return cinfo{}, errAt(x, "invalid field name %q", x.Name)
			}
		}
		c, err := ck.check(x.X)
		if err != nil {
			return cinfo{}, err
		}
		if c.t != tAny {
			return cinfo{}, errAt(x, "%s (%s) is not a structure", x.X.String(), c.t)
		}
		return cinfo{t: tAny}, nil
	case *syntax.Index:
		if m, ok, err := ck.modType(x); ok || err != nil {
			return scalar(x, m, err)
		}
		if _, err := ck.check(x.X); err != nil {
			return cinfo{}, err
		}
		if _, err := ck.check(x.Index); err != nil {
			return cinfo{}, err
		}
		return cinfo{t: tAny}, nil
	case *syntax.Call:
		if m, ok, err := ck.modType(x); ok || err != nil {
			return scalar(x, m, err)
		}
		var ts []typ
		for _, a := range x.Args {
			c, err := ck.check(a)
			if err != nil {
				return cinfo{}, err
			}
			ts = append(ts, c.t)
		}
		switch fn := x.Fn.(type) {
		case *syntax.Ident:
			for _, t := range ts {
				if t != tInt && t != tAny {
					return cinfo{}, errAt(x, "wrong type %q for intXXXX or uintXXXX operator", t.String())
				}
			}
			return cinfo{t: tInt}, nil
		case *syntax.Member:
			if id, ok := fn.X.(*syntax.Ident); ok && id.Module {
				if fns, ok := moduleFuncs[id.Name]; ok {
					sig, ok := fns[fn.Name]
					if !ok {
						return cinfo{}, errAt(fn, "invalid field name %q", fn.Name)
					}
					for _, want := range sig.args {
						if len(want) != len(ts) {
							continue
						}
						match := true
						for i, t := range ts {
							if t != tAny && letter(t) != want[i] {
								match = false
							}
						}
						if match {
							return cinfo{t: sig.ret}, nil
						}
					}
					return cinfo{}, errAt(x, "wrong arguments for function %q", fn.Name)
				}
			}
			if _, err := ck.check(fn); err != nil {
				return cinfo{}, err
			}
		}
		return cinfo{t: tAny}, nil
	case *syntax.StringRef:
		if err := ck.intArg(x.At, "at"); err != nil {
			return cinfo{}, err
		}
		if x.In != nil {
			if err := ck.rng(x.In, "range bound"); err != nil {
				return cinfo{}, err
			}
		}
		return cinfo{t: tBool}, nil
	case *syntax.StringCount:
		if x.In != nil {
			if err := ck.rng(x.In, "range bound"); err != nil {
				return cinfo{}, err
			}
		}
		return cinfo{t: tInt}, nil
	case *syntax.StringOffset:
		return cinfo{t: tInt}, ck.intArg(x.Index, "index")
	case *syntax.StringLength:
		return cinfo{t: tInt}, ck.intArg(x.Index, "index")
	case *syntax.Unary:
		c, err := ck.check(x.X)
		if err != nil {
			return cinfo{}, err
		}
		switch x.Op {
		case "not", "defined":
			return cinfo{t: tBool}, nil
		case "-":
			if !c.t.numeric() {
				return cinfo{}, errAt(x, "wrong type %q for - operator", c.t.String())
			}
			if c.isC {
				return cinfo{t: tInt, isC: true, c: -c.c}, nil
			}
			return cinfo{t: c.t}, nil
		case "~":
			if c.t != tInt && c.t != tAny {
				return cinfo{}, errAt(x, "wrong type %q for ~ operator", c.t.String())
			}
			if c.isC {
				return cinfo{t: tInt, isC: true, c: ^c.c}, nil
			}
			return cinfo{t: c.t}, nil
		}
		return cinfo{t: tAny}, nil
	case *syntax.Binary:
		return ck.binary(x)
	case *syntax.Of:
		return cinfo{t: tBool}, ck.quant(x.Quant)
	case *syntax.ForOf:
		if err := ck.quant(x.Quant); err != nil {
			return cinfo{}, err
		}
		_, err := ck.check(x.Body)
		return cinfo{t: tBool}, err
	case *syntax.ForIn:
		if err := ck.quant(x.Quant); err != nil {
			return cinfo{}, err
		}
		vt := tInt
		switch it := x.Iter.(type) {
		case *syntax.Range:
			if err := ck.rng(it, "range's bound"); err != nil {
				return cinfo{}, err
			}
		case *syntax.Enum:
			for _, y := range it.Items {
				c, err := ck.check(y)
				if err != nil {
					return cinfo{}, err
				}
				if c.t != tInt && c.t != tAny {
					return cinfo{}, errAt(y, "wrong type for enumeration item")
				}
			}
		case *syntax.IterExpr:
			m, ok, err := ck.modType(it.X)
			if err != nil {
				return cinfo{}, err
			}
			if ok {
				return ck.forModule(x, m)
			}
			if _, err := ck.check(it.X); err != nil {
				return cinfo{}, err
			}
			vt = tAny
		}
		base := len(ck.scope)
		for _, v := range x.Vars {
			ck.scope = append(ck.scope, loopVarType{name: v, t: vt})
		}
		_, err := ck.check(x.Body)
		ck.scope = ck.scope[:base]
		return cinfo{t: tBool}, err
	}
	return cinfo{t: tAny}, nil
}

func (ck *checker) binary(x *syntax.Binary) (cinfo, error) {
	a, err := ck.check(x.X)
	if err != nil {
		return cinfo{}, err
	}
	b, err := ck.check(x.Y)
	if err != nil {
		return cinfo{}, err
	}
	switch x.Op {
	case "and", "or":
		return cinfo{t: tBool}, nil
	case "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "iequals":
		for _, t := range []typ{a.t, b.t} {
			if t != tStr && t != tAny {
				return cinfo{}, errAt(x, "wrong type %q for %s operator", t.String(), x.Op)
			}
		}
		return cinfo{t: tBool}, nil
	case "matches":
		if a.t != tStr && a.t != tAny {
			return cinfo{}, errAt(x, "wrong type %q for matches operator", a.t.String())
		}
		return cinfo{t: tBool}, nil
	case "==", "!=", "<", "<=", ">", ">=":
		if a.t != tAny && b.t != tAny && (a.t == tStr) != (b.t == tStr) {
			return cinfo{}, errAt(x, "type mismatch")
		}
		if x.Op == "<" && (a.t == tFloat || b.t == tFloat) && ck.floatLT != nil {
			ck.floatLT[x] = true
		}
		return cinfo{t: tBool}, nil
	case "+", "-", "*", "\\":
		if a.t == tStr || b.t == tStr || a.t == tRegex || b.t == tRegex {
			return cinfo{}, errAt(x, "type mismatch")
		}
		if a.t == tFloat || b.t == tFloat {
			return cinfo{t: tFloat}, nil
		}
	case "%", "&", "|", "^", "<<", ">>":
		for _, t := range []typ{a.t, b.t} {
			if t != tInt && t != tAny && t != tBool {
				return cinfo{}, errAt(x, "wrong type %q for %s operator", t.String(), x.Op)
			}
		}
	}
	if (x.Op == "\\" || x.Op == "%") && b.isC && b.c == 0 {
		return cinfo{}, errAt(x, "division by zero")
	}
	if (x.Op == "<<" || x.Op == ">>") && b.isC && b.c < 0 {
		// yara 4.2 rejects it (with an empty message)
		return cinfo{}, errAt(x, "negative shift count %d", b.c)
	}
	if a.t == tAny || b.t == tAny {
		return cinfo{t: tAny}, nil
	}
	if !a.isC || !b.isC {
		return cinfo{t: tInt}, nil
	}
	p, q := a.c, b.c
	var r int64
	overflow := false
	switch x.Op {
	case "+":
		r = p + q
		overflow = q > 0 && p > math.MaxInt64-q || q < 0 && p < math.MinInt64-q
	case "-":
		r = p - q
		overflow = q < 0 && p > math.MaxInt64+q || q > 0 && p < math.MinInt64+q
	case "*":
		r = p * q
		// yara compares magnitudes, so it rejects 2^62 * -2 as well
		if p != 0 && q != 0 {
			overflow = absU(p) > uint64(math.MaxInt64)/absU(q)
		}
	case "\\", "%":
		if q == 0 {
			return cinfo{}, errAt(x, "division by zero")
		}
		if p == math.MinInt64 && q == -1 {
			overflow = true
		} else if x.Op == "\\" {
			r = p / q
		} else {
			r = p % q
		}
	default:
		v := intOp(x.Op, p, q)
		if v.k != vInt {
			return cinfo{t: tInt}, nil
		}
		r = v.i
	}
	if overflow {
		return cinfo{}, errAt(x, "integer overflow in \"%d %s %d\"", p, x.Op, q)
	}
	return cinfo{t: tInt, isC: true, c: r}, nil
}

func absU(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

// scalar is the cinfo of a module value: integers and strings are values;
// structures, arrays, dictionaries and functions not called are not.
func scalar(x syntax.Expr, m *mtype, err error) (cinfo, error) {
	if err != nil {
		return cinfo{}, err
	}
	switch m.kind {
	case mInt:
		return cinfo{t: tInt}, nil
	case mStr:
		return cinfo{t: tStr}, nil
	case mFunc:
		return cinfo{}, errAt(x, "%s is a function: call it", m.name)
	}
	return cinfo{}, errAt(x, "%s is not a value: use one of its fields or items", m.name)
}

// modType types an expression rooted at a module declared in
// moduleSchemas, or at a loop variable over one; ok is false for other
// expressions. A value the engine does not compute is an error, naming it.
func (ck *checker) modType(x syntax.Expr) (m *mtype, ok bool, err error) {
	switch x := x.(type) {
	case *syntax.Ident:
		if x.Module {
			m, ok := moduleSchemas[x.Name]
			return m, ok, nil
		}
		if x.LoopVar {
			for i := len(ck.scope) - 1; i >= 0; i-- {
				if ck.scope[i].name == x.Name {
					return ck.scope[i].m, ck.scope[i].m != nil, nil
				}
			}
		}
	case *syntax.Member:
		t, ok, err := ck.modType(x.X)
		if !ok || err != nil {
			return nil, ok, err
		}
		if t.kind != mStruct {
			return nil, true, errAt(x, "%s has no field %q", t.name, x.Name)
		}
		f := t.fields[x.Name]
		if f == nil {
			return nil, true, errAt(x, "invalid field name %q", x.Name)
		}
		if f.unsupported {
			return nil, true, errAt(x, "%s is not supported by this engine", f.name)
		}
		return f, true, nil
	case *syntax.Index:
		t, ok, err := ck.modType(x.X)
		if !ok || err != nil {
			return nil, ok, err
		}
		c, err := ck.check(x.Index)
		if err != nil {
			return nil, true, err
		}
		switch t.kind {
		case mArray:
			if c.t != tInt && c.t != tAny {
				return nil, true, errAt(x, "array %s indexed by a %s", t.name, c.t)
			}
		case mDict:
			if c.t != tStr && c.t != tAny {
				return nil, true, errAt(x, "dictionary %s indexed by a %s", t.name, c.t)
			}
		default:
			return nil, true, errAt(x, "%s is not an array or a dictionary", t.name)
		}
		return t.elem, true, nil
	case *syntax.Call:
		t, ok, err := ck.modType(x.Fn)
		if !ok || err != nil {
			return nil, ok, err
		}
		if t.kind != mFunc {
			return nil, true, errAt(x, "%s is not a function", t.name)
		}
		args := make([]byte, len(x.Args))
		for i, a := range x.Args {
			c, err := ck.check(a)
			if err != nil {
				return nil, true, err
			}
			args[i] = letter(c.t)
			if c.t == tAny {
				args[i] = '?'
			}
		}
		for _, f := range t.funcs {
			if len(f.args) != len(args) {
				continue
			}
			match := true
			for i := range args {
				if args[i] != '?' && args[i] != f.args[i] {
					match = false
				}
			}
			if !match {
				continue
			}
			if f.unsupported {
				return nil, true, errAt(x, "%s(%s) is not supported by this engine", t.name, argNames(f.args))
			}
			if f.ret == mStr {
				return mStrType, true, nil
			}
			return mIntType, true, nil
		}
		return nil, true, errAt(x, "wrong arguments for function %q", t.name)
	}
	return nil, false, nil
}

func argNames(args string) string {
	var out []string
	for _, a := range args {
		switch a {
		case 'i':
			out = append(out, "integer")
		case 's':
			out = append(out, "string")
		case 'r':
			out = append(out, "regexp")
		}
	}
	return strings.Join(out, ", ")
}

// forModule checks a for … in loop over a module's array (one variable)
// or dictionary (two: key and value).
func (ck *checker) forModule(x *syntax.ForIn, m *mtype) (cinfo, error) {
	var vars []loopVarType
	switch m.kind {
	case mArray:
		if len(x.Vars) != 1 {
			return cinfo{}, errAt(x, "an array gives one value per iteration, not %d", len(x.Vars))
		}
		vars = []loopVarType{ck.loopVar(x.Vars[0], m.elem)}
	case mDict:
		if len(x.Vars) != 2 {
			return cinfo{}, errAt(x, "a dictionary gives two values per iteration (key and value), not %d", len(x.Vars))
		}
		vars = []loopVarType{{name: x.Vars[0], t: tStr}, ck.loopVar(x.Vars[1], m.elem)}
	default:
		return cinfo{}, errAt(x, "%s is not iterable", m.name)
	}
	base := len(ck.scope)
	ck.scope = append(ck.scope, vars...)
	_, err := ck.check(x.Body)
	ck.scope = ck.scope[:base]
	return cinfo{t: tBool}, err
}

func (ck *checker) loopVar(name string, m *mtype) loopVarType {
	switch m.kind {
	case mInt:
		return loopVarType{name: name, t: tInt}
	case mStr:
		return loopVarType{name: name, t: tStr}
	}
	return loopVarType{name: name, t: tAny, m: m}
}
