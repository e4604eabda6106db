package yara

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/exhunt/exhunt/yara/syntax"
)

// Line-by-line scanning of text logs, for rules meant to be applied to
// each line of a log separately (signature-base tags them LOG), as THOR
// applies them.

// maxLineErrors bounds the per-line errors ScanLines reports.
const maxLineErrors = 10

// ScanLines applies the rules to each line of data separately. data is a
// chunk of a text log made of whole lines: a line ends with "\n" or
// "\r\n", and the last line may lack an end. For each line on which at
// least one rule matches, fn gets the line's number (1-based within data),
// the span data[start:end] of the line without its line end, and the
// matches exactly as Scan(data[start:end], vars) returns them: offsets are
// relative to the line, filesize is the line's length. Lines are reported
// in order; fn returns false to stop.
//
// When LineSafe reports no error, only the lines that contain a literal
// atom of some string are evaluated: the literal prefilter runs once over
// the whole chunk, and a line without a hit cannot match. Otherwise every
// line is evaluated on its own, which gives the same results much more
// slowly; rules meant for logs should be compiled apart from the others so
// that the fast path applies.
//
// The error is that of Scan: a missing external variable stops the scan;
// a regular expression that used up its work budget on a line is reported
// with the line's number (at most 10 such lines) and the scan goes on.
func (rs *Rules) ScanLines(data []byte, vars map[string]any, fn func(line, start, end int, ms []Match) bool) error {
	for _, name := range rs.extern {
		if external(vars[name]).k == vUndef {
			return fmt.Errorf("yara: external variable %q is not defined (or not an int, float64, bool or string)", name)
		}
	}
	var errs []error
	lineErrs := 0
	eval := func(line, start, end int) bool {
		ms, err := rs.Scan(data[start:end:end], vars)
		if err != nil {
			if lineErrs++; lineErrs <= maxLineErrors {
				errs = append(errs, fmt.Errorf("line %d: %w", line, err))
			}
		}
		if len(ms) == 0 {
			return true
		}
		return fn(line, start, end, ms)
	}
	if rs.LineSafe() != nil {
		for ls, line := 0, 1; ls < len(data); line++ {
			le, next := lineEnd(data, ls)
			if !eval(line, ls, le) {
				break
			}
			ls = next
		}
	} else {
		for _, c := range rs.candidateLines(data) {
			if !eval(c.line, c.start, c.end) {
				break
			}
		}
	}
	if lineErrs > maxLineErrors {
		errs = append(errs, fmt.Errorf("and %d more lines with errors", lineErrs-maxLineErrors))
	}
	return errors.Join(errs...)
}

// lineEnd returns the end of the line of data that starts at ls, without
// its line end, and the start of the next line.
func lineEnd(data []byte, ls int) (end, next int) {
	i := bytes.IndexByte(data[ls:], '\n')
	if i < 0 {
		return len(data), len(data)
	}
	end, next = ls+i, ls+i+1
	if end > ls && data[end-1] == '\r' {
		end--
	}
	return end, next
}

// lineSpan is one line of a chunk: its number and its bytes without the
// line end.
type lineSpan struct{ line, start, end int }

// candidateLines runs the literal prefilter once over data and returns, in
// order, the lines that hold at least one hit entirely.
func (rs *Rules) candidateLines(data []byte) []lineSpan {
	var out []lineSpan
	if rs.matcher == nil || len(data) == 0 {
		return out
	}
	line, ls := 1, 0
	le, next := lineEnd(data, 0)
	rs.matcher.Search(data, func(p, off int) bool {
		end := off + rs.pats[p].n
		if end > next {
			// hits come in order of end offset: move on to the line
			// holding the hit's last byte
			nls := bytes.LastIndexByte(data[:end-1], '\n') + 1
			line += bytes.Count(data[ls:nls], []byte{'\n'})
			ls = nls
			le, next = lineEnd(data, ls)
		}
		if off >= ls && end <= le && (len(out) == 0 || out[len(out)-1].line != line) {
			out = append(out, lineSpan{line, ls, le})
		}
		return true
	})
	return out
}

// LineSafe reports whether ScanLines may skip the lines without a literal
// hit: it returns an error naming each rule for which that would be wrong,
// with the file and line of its definition. Those are the public rules
// whose condition can be true on a line where none of their strings
// match, judged by an analysis of the condition that takes filesize, the
// data, modules and external variables as unknown, and by evaluating the
// condition, without string matches, on an empty line and on a line of
// 4,096 spaces; and the rules with a string that has no literal atom, which
// would have to be searched on every line.
func (rs *Rules) LineSafe() error {
	var errs []error
	for _, si := range rs.scanAll {
		s := rs.strs[si]
		r := rs.rules[s.rule].ast
		errs = append(errs, fmt.Errorf("%s:%d: rule %s: string %s has no literal atom to find the lines it may match", s.def.Pos.File, s.def.Pos.Line, r.Name, s.def.ID))
	}
	lc := newLineCheck(rs)
	bad := make([]bool, len(rs.rules))
	for _, r := range rs.rules {
		if r.ast.Private {
			continue
		}
		if lc.rule(r.idx)&canTrue != 0 {
			bad[r.idx] = true
			errs = append(errs, fmt.Errorf("%s:%d: rule %s: the condition can be true on a line where none of the strings match", r.ast.Pos.File, r.ast.Pos.Line, r.ast.Name))
		}
	}
	for _, probe := range []struct {
		name string
		data []byte
	}{{"an empty line", nil}, {"a line of 4,096 spaces", bytes.Repeat([]byte{' '}, 4096)}} {
		for _, i := range rs.trueWithoutStrings(probe.data) {
			if !bad[i] {
				bad[i] = true
				r := rs.rules[i].ast
				errs = append(errs, fmt.Errorf("%s:%d: rule %s: the condition is true on %s without string matches", r.Pos.File, r.Pos.Line, r.Name, probe.name))
			}
		}
	}
	return errors.Join(errs...)
}

// trueWithoutStrings returns the public rules whose condition is true on
// data when no string matches, external variables undefined.
func (rs *Rules) trueWithoutStrings(data []byte) []int {
	sc := &scanner{rs: rs, data: data, ms: make([][]smatch, len(rs.strs)), state: make([]int8, len(rs.rules))}
	var out []int
	for _, r := range rs.rules {
		if !r.ast.Private && sc.ruleResult(r.idx) {
			out = append(out, r.idx)
		}
	}
	return out
}

// The truth values an expression may take: truthy, defined and falsy,
// undefined.
const (
	canTrue uint8 = 1 << iota
	canFalse
	canUndef
	canAny = canTrue | canFalse | canUndef
)

// lineCheck finds the truth values conditions may take on a line where no
// string matches, whatever the line's bytes, its length, the modules'
// values and the external variables.
type lineCheck struct {
	rs    *Rules
	sc    *scanner // evaluates the parts that depend on none of those
	rules []uint8  // per rule: 0 not yet known, else its truth values | known
}

const (
	known    uint8 = 0x80
	checking uint8 = 0x40
)

func newLineCheck(rs *Rules) *lineCheck {
	return &lineCheck{
		rs:    rs,
		sc:    &scanner{rs: rs, ms: make([][]smatch, len(rs.strs)), state: make([]int8, len(rs.rules))},
		rules: make([]uint8, len(rs.rules)),
	}
}

// rule returns the truth values of rule i's result: canTrue, canFalse or
// both.
func (lc *lineCheck) rule(i int) uint8 {
	switch m := lc.rules[i]; {
	case m&known != 0:
		return m &^ known
	case m&checking != 0:
		return canTrue | canFalse
	}
	lc.rules[i] = checking
	r := lc.rs.rules[i]
	c := lc.expr(r.ast.Condition, r)
	m := uint8(0)
	if c&canTrue != 0 {
		m |= canTrue
	}
	if c&(canFalse|canUndef) != 0 {
		m |= canFalse
	}
	lc.rules[i] = m | known
	return m
}

// expr returns the truth values x may take in rule r's condition, outside
// any loop.
func (lc *lineCheck) expr(x syntax.Expr, r *rule) uint8 {
	if constantOnLine(x) {
		lc.sc.err = nil
		v := lc.sc.eval(x, &env{r: r, cur: -1})
		if lc.sc.err != nil {
			return canAny
		}
		switch {
		case v.k == vUndef:
			return canUndef
		case v.truth():
			return canTrue
		}
		return canFalse
	}
	switch x := x.(type) {
	case *syntax.Binary:
		switch x.Op {
		case "and":
			a, b := lc.expr(x.X, r), lc.expr(x.Y, r)
			m := uint8(0)
			if a&canTrue != 0 && b&canTrue != 0 {
				m |= canTrue
			}
			if (a|b)&(canFalse|canUndef) != 0 {
				m |= canFalse
			}
			return m
		case "or":
			a, b := lc.expr(x.X, r), lc.expr(x.Y, r)
			m := uint8(0)
			if (a|b)&canTrue != 0 {
				m |= canTrue
			}
			if a&(canFalse|canUndef) != 0 && b&(canFalse|canUndef) != 0 {
				m |= canFalse
			}
			return m
		}
	case *syntax.Unary:
		if x.Op == "not" {
			a := lc.expr(x.X, r)
			m := a & canUndef
			if a&canTrue != 0 {
				m |= canFalse
			}
			if a&canFalse != 0 {
				m |= canTrue
			}
			return m
		}
	case *syntax.RuleRef:
		if i, ok := r.file[x.Name]; ok {
			return lc.rule(i)
		}
		return canUndef
	case *syntax.StringRef:
		// with no match, "$a at x" is false and "$a in (lo..hi)" false
		// or undefined, whatever x, lo and hi
		if x.At != nil {
			return canFalse
		}
		if x.In != nil {
			return canFalse | canUndef
		}
	case *syntax.StringCount:
		if x.In != nil {
			return canFalse | canUndef // 0 or undefined
		}
	}
	return canAny
}

// constantOnLine reports whether x's value, when no string matches,
// depends on nothing but its literals: not on filesize, the data, a
// module, an external variable or another rule. Loop variables must be
// bound inside x.
func constantOnLine(x syntax.Expr) bool {
	ok := true
	walk(x, func(y syntax.Expr) {
		switch y := y.(type) {
		case *syntax.IntLit, *syntax.FloatLit, *syntax.StringLit, *syntax.RegexLit, *syntax.BoolLit,
			*syntax.StringRef, *syntax.StringCount, *syntax.StringOffset, *syntax.StringLength,
			*syntax.Unary, *syntax.Binary, *syntax.ForOf, *syntax.ForIn:
		case *syntax.Ident:
			ok = ok && y.LoopVar
		case *syntax.Of:
			ok = ok && y.Rules == nil
		default:
			// filesize, entrypoint, functions reading the data, modules,
			// rule references and whatever is added later
			ok = false
		}
	})
	return ok
}
