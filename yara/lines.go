package yara

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

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
// When LineSafe reports no error, the literal prefilter runs once over
// the whole chunk and only the lines with a hit are looked at: a line
// none of whose strings match cannot match. Of those, a line is evaluated
// with Scan only when the strings that really match on it (the hits
// verified on the line) could make a rule true, as the analysis of
// LineSafe judges it. Otherwise every line is evaluated on its own, which
// gives the same results much more slowly; rules meant for logs should be
// compiled apart from the others so that the fast path applies.
//
// The error is that of Scan: a missing external variable stops the scan;
// a regular expression that used up its work budget on a line is reported
// with the line's number (at most 10 such lines) and the scan goes on.
func (rs *Rules) ScanLines(data []byte, vars map[string]any, fn func(line, start, end int, ms []Match) bool) error {
	_, err := rs.scanLines(data, vars, fn)
	return err
}

// lineStats counts the work of one ScanLines call, for tests and
// benchmarks.
type lineStats struct {
	hit     int // lines with a literal hit
	checked int // of those, lines whose hits were verified
	scanned int // lines evaluated with Scan
}

func (rs *Rules) scanLines(data []byte, vars map[string]any, fn func(line, start, end int, ms []Match) bool) (lineStats, error) {
	for _, name := range rs.extern {
		if external(vars[name]).k == vUndef {
			return lineStats{}, fmt.Errorf("yara: external variable %q is not defined (or not an int, float64, bool or string)", name)
		}
	}
	ls := &lineScan{rs: rs, info: rs.lineInfo(), data: data, vars: vars, fn: fn}
	if ls.info.safe != nil {
		for start, line := 0, 1; start < len(data); line++ {
			end, next := lineEnd(data, start)
			if !ls.eval(line, start, end) {
				break
			}
			start = next
		}
	} else if rs.matcher != nil && len(data) > 0 {
		ls.fast()
	}
	if ls.nerrs > maxLineErrors {
		ls.errs = append(ls.errs, fmt.Errorf("and %d more lines with errors", ls.nerrs-maxLineErrors))
	}
	return ls.stats, errors.Join(ls.errs...)
}

// lineEnd returns the end of the line of data that starts at start,
// without its line end, and the start of the next line.
func lineEnd(data []byte, start int) (end, next int) {
	i := bytes.IndexByte(data[start:], '\n')
	if i < 0 {
		return len(data), len(data)
	}
	end, next = start+i, start+i+1
	if end > start && data[end-1] == '\r' {
		end--
	}
	return end, next
}

// maxLineHits bounds the hits kept for verifying one line; a line with
// more is evaluated with Scan.
const maxLineHits = 1 << 12

// lineScan is the state of one ScanLines call.
type lineScan struct {
	rs    *Rules
	info  *lineInfo
	data  []byte
	vars  map[string]any
	fn    func(line, start, end int, ms []Match) bool
	errs  []error
	nerrs int
	stats lineStats

	// the current line: number, content data[start:end], next line
	line, start, end, next int
	hits                   []lineHit // its hits (verify sorts them by end offset)
	over                   bool      // more than maxLineHits hits
	hit                    []int     // the strings hit (canonical indexes), in order of first hit
	state                  []strState
	may                    map[string]bool // set of strings that may match -> a rule may be true
	key                    []byte
	set                    []int
}

type lineHit struct{ pat, off int }

// strState is what is known of a string on the current line.
type strState struct {
	hit     bool
	matched bool // a verified match
	done    int  // windowed strings: the starts up to done-1 are verified
}

// eval evaluates one line with Scan and reports its matches; false stops
// the scan.
func (ls *lineScan) eval(line, start, end int) bool {
	ls.stats.scanned++
	ms, err := ls.rs.Scan(ls.data[start:end:end], ls.vars)
	if err != nil {
		if ls.nerrs++; ls.nerrs <= maxLineErrors {
			ls.errs = append(ls.errs, fmt.Errorf("line %d: %w", line, err))
		}
	}
	if len(ms) == 0 {
		return true
	}
	return ls.fn(line, start, end, ms)
}

// fast runs the prefilter over the whole chunk and looks at each line with
// a hit in turn.
func (ls *lineScan) fast() {
	rs, data := ls.rs, ls.data
	ls.state = make([]strState, len(rs.strs))
	ls.may = map[string]bool{}
	ls.line, ls.start = 1, 0
	ls.end, ls.next = lineEnd(data, 0)
	stopped := false
	rs.matcher.Search(data, func(p, off int) bool {
		end := off + rs.pats[p].n
		if off >= ls.next {
			// hits come in order of their atoms' offsets, and a hit
			// within one line has its atom on that line: on to the line
			// holding the hit's first byte (a hit across a line end
			// whose atom is on a later line cannot lead past that line)
			if !ls.flush() {
				stopped = true
				return false
			}
			start := bytes.LastIndexByte(data[:off], '\n') + 1
			ls.line += bytes.Count(data[ls.start:start], []byte{'\n'})
			ls.start = start
			ls.end, ls.next = lineEnd(data, start)
		}
		if off < ls.start || end > ls.end {
			return true // across a line end
		}
		si := rs.pats[p].str
		if !ls.state[si].hit {
			ls.state[si].hit = true
			ls.hit = append(ls.hit, si)
		}
		if len(ls.hits) < maxLineHits {
			ls.hits = append(ls.hits, lineHit{p, off - ls.start})
		} else {
			ls.over = true
		}
		return true
	})
	if !stopped {
		ls.flush()
	}
}

// flush looks at the current line if it has hits, and forgets them; false
// stops the scan.
func (ls *lineScan) flush() bool {
	if len(ls.hit) == 0 {
		return true
	}
	defer func() {
		for _, si := range ls.hit {
			ls.state[si] = strState{}
		}
		ls.hit, ls.hits, ls.over = ls.hit[:0], ls.hits[:0], false
	}()
	ls.stats.hit++
	if !ls.mayMatch(func(si int) bool { return ls.state[si].hit }) {
		return true
	}
	ls.stats.checked++
	if !ls.over {
		ls.verify()
		if !ls.mayMatch(func(si int) bool { return ls.state[si].matched }) {
			return true
		}
	}
	return ls.eval(ls.line, ls.start, ls.end)
}

// verify checks the hits of the current line on the line alone and marks
// the strings that match there. It may mark a string that does not match
// (when the work budget of a regular expression runs out), never the
// reverse.
func (ls *lineScan) verify() {
	rs := ls.rs
	// in order of end offset, so that the windows verified for a string
	// cover those of its later hits up to where they were verified
	byEnd := func(a, b lineHit) int { return a.off + rs.pats[a.pat].n - b.off - rs.pats[b.pat].n }
	if !slices.IsSortedFunc(ls.hits, byEnd) {
		slices.SortStableFunc(ls.hits, byEnd)
	}
	line := ls.data[ls.start:ls.end:ls.end]
	for _, h := range ls.hits {
		ref := rs.pats[h.pat]
		st := &ls.state[ref.str]
		if st.matched {
			continue
		}
		s := rs.strs[ref.str]
		switch {
		case ref.lit >= 0:
			st.matched = s.lits[ref.lit].Verify(line, h.off)
		case s.fixed:
			if p := h.off - ref.off; p >= 0 {
				_, st.matched = s.hx.MatchAt(line, p)
			}
		case s.window > 0:
			lo, hi := max(st.done, h.off+ref.n-s.window), h.off
			if lo > hi {
				break
			}
			st.done = hi + 1
			found := func(int, int) bool {
				st.matched = true
				return false
			}
			if s.re != nil {
				// a line's steps, as a scan of the line may spend them
				left := scanBudget(len(line))
				if !s.re.FindAllRangeLimit(line, lo, hi, &left, found) && left < 0 {
					st.matched = true
				}
				break
			}
			for p := lo; p <= hi && !st.matched; p++ {
				_, st.matched = s.hx.MatchAt(line, p)
			}
		default:
			if st.done > 0 {
				break // searched the whole line
			}
			st.done = 1
			left := scanBudget(len(line))
			s.hx.FindAllLimit(line, &left, func(int, int) bool {
				st.matched = true
				return false
			})
			if left < 0 {
				st.matched = true
			}
		}
	}
}

// mayMatch reports whether a public rule may be true on a line where only
// the strings for which may holds can match, memoized by that set.
func (ls *lineScan) mayMatch(may func(si int) bool) bool {
	ls.key, ls.set = ls.key[:0], ls.set[:0]
	for _, si := range ls.hit {
		if may(si) {
			ls.set = append(ls.set, si)
		}
	}
	set := ls.set
	if len(set) == 0 {
		return false // LineSafe: no rule is true without string matches
	}
	slices.Sort(set)
	for _, si := range set {
		ls.key = binary.AppendUvarint(ls.key, uint64(si))
	}
	if v, ok := ls.may[string(ls.key)]; ok {
		return v
	}
	// only the rules using those strings, or referring to such rules,
	// may be true
	lc := newLineCheck(ls.rs)
	lc.may = make([]bool, len(ls.rs.strs))
	for si, s := range ls.rs.strs {
		lc.may[si] = slices.Contains(set, s.canon)
	}
	v := false
sets:
	for _, si := range set {
		for _, i := range ls.info.users[si] {
			if !ls.rs.rules[i].ast.Private && lc.rule(i)&canTrue != 0 {
				v = true
				break sets
			}
		}
	}
	if len(ls.may) < 1<<12 {
		ls.may[string(ls.key)] = v
	}
	return v
}

// lineInfo is what ScanLines needs to know of the rules.
type lineInfo struct {
	once sync.Once
	safe error // LineSafe's result
	// users: per canonical string, the rules whose outcome its matches
	// may change: the rules with a string sharing its matches, and the
	// rules referring to those, directly or not
	users [][]int
}

// lineInfo returns the analysis of the rules for ScanLines, made on the
// first call.
func (rs *Rules) lineInfo() *lineInfo {
	li := &rs.lines
	li.once.Do(func() {
		li.safe = rs.lineSafe()
		referrers := make([][]int, len(rs.rules))
		for _, r := range rs.rules {
			walk(r.ast.Condition, func(x syntax.Expr) {
				var names []string
				switch x := x.(type) {
				case *syntax.RuleRef:
					names = []string{x.Name}
				case *syntax.Of:
					if x.Rules != nil {
						names = x.Rules.Matched
					}
				}
				for _, n := range names {
					if i, ok := r.file[n]; ok && !slices.Contains(referrers[i], r.idx) {
						referrers[i] = append(referrers[i], r.idx)
					}
				}
			})
		}
		li.users = make([][]int, len(rs.strs))
		for _, s := range rs.strs {
			u := li.users[s.canon]
			for todo := []int{s.rule}; len(todo) > 0; {
				i := todo[len(todo)-1]
				todo = todo[:len(todo)-1]
				if !slices.Contains(u, i) {
					u = append(u, i)
					todo = append(todo, referrers[i]...)
				}
			}
			li.users[s.canon] = u
		}
	})
	return li
}

// LineSafe reports whether ScanLines may skip the lines without a literal
// hit: it returns an error naming each rule for which that would be wrong,
// with the file and line of its definition. Those are the public rules
// whose condition can be true on a line where none of their strings
// match, judged by an analysis of the condition that takes filesize, the
// data, modules and external variables as unknown, and by evaluating the
// condition, without string matches, on an empty line and on a line of
// 4,096 spaces; and the rules with a string that has no literal atom, which
// would have to be searched on every line. The result is computed once.
func (rs *Rules) LineSafe() error { return rs.lineInfo().safe }

func (rs *Rules) lineSafe() error {
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
// string matches but those for which may holds, whatever the line's
// bytes, its length, the modules' values, the external variables and the
// matches of those strings.
type lineCheck struct {
	rs    *Rules
	may   []bool   // per string; nil: none
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
	if lc.constant(x, r) {
		lc.sc.err, lc.sc.iters = nil, 0
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
		if lc.mayMatch(x.ID, r) {
			break
		}
		if x.At != nil {
			return canFalse
		}
		if x.In != nil {
			return canFalse | canUndef
		}
	case *syntax.StringCount:
		if x.In != nil && !lc.mayMatch(x.ID, r) {
			return canFalse | canUndef // 0 or undefined
		}
	}
	return canAny
}

// mayMatch reports whether the string id ($a, #a, @a or !a) of rule r
// may match; a bare $ (the string of a for … of loop) is taken outside
// any loop, where it has no match.
func (lc *lineCheck) mayMatch(id string, r *rule) bool {
	if len(id) <= 1 || lc.may == nil {
		return false
	}
	si, ok := r.byID["$"+id[1:]]
	return ok && lc.may[si]
}

// setMayMatch reports whether a string of the set may match.
func (lc *lineCheck) setMayMatch(set *syntax.StringSet, r *rule) bool {
	if lc.may == nil {
		return false
	}
	for _, si := range stringSetOf(lc.rs, r, set) {
		if lc.may[si] {
			return true
		}
	}
	return false
}

// constant reports whether x's value in rule r's condition depends on
// nothing but its literals: not on filesize, the data, a module, an
// external variable, another rule or a string that may match. Loop
// variables must be bound inside x.
func (lc *lineCheck) constant(x syntax.Expr, r *rule) bool {
	ok := true
	walk(x, func(y syntax.Expr) {
		switch y := y.(type) {
		case *syntax.IntLit, *syntax.FloatLit, *syntax.StringLit, *syntax.RegexLit, *syntax.BoolLit,
			*syntax.Unary, *syntax.Binary, *syntax.ForIn:
		case *syntax.StringRef:
			ok = ok && !lc.mayMatch(y.ID, r)
		case *syntax.StringCount:
			ok = ok && !lc.mayMatch(y.ID, r)
		case *syntax.StringOffset:
			ok = ok && !lc.mayMatch(y.ID, r)
		case *syntax.StringLength:
			ok = ok && !lc.mayMatch(y.ID, r)
		case *syntax.ForOf:
			ok = ok && !lc.setMayMatch(y.Strings, r)
		case *syntax.Ident:
			ok = ok && y.LoopVar
		case *syntax.Of:
			ok = ok && y.Rules == nil && !lc.setMayMatch(y.Strings, r)
		default:
			// filesize, entrypoint, functions reading the data, modules,
			// rule references and whatever is added later
			ok = false
		}
	})
	return ok
}
