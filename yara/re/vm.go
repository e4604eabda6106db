package re

import (
	"bytes"
	"errors"
	"math"
)

// StepBudget bounds the work of one FindAll or MatchAt call (the number of
// threads the matching machine adds), about a second of CPU. Ordinary
// expressions stay far below it on any input; nested counted repeats over
// dense input ("((a{0,9}){0,9}){0,9}" on a run of a's) would otherwise
// take minutes per kilobyte. yara stops such an expression with an error
// too (too many fibers). Callers that search one input in several calls
// share a budget of their own through FindAllLimit and FindAllRangeLimit.
const StepBudget = 1 << 28

// ErrTooSlow reports that an expression used up its budget of steps on an
// input: matches after that point are missing.
var ErrTooSlow = errors.New("regular expression too slow on this input: matching stopped after its work budget")

// queue is a sparse set of program counters that keeps insertion order
// (thread priority).
type queue struct {
	sparse []uint32
	dense  []int32
}

func newQueue(n int) queue {
	return queue{sparse: make([]uint32, n), dense: make([]int32, 0, n)}
}

func (q *queue) has(pc int32) bool {
	i := q.sparse[pc]
	return int(i) < len(q.dense) && q.dense[i] == pc
}

func (q *queue) add(pc int32) {
	q.sparse[pc] = uint32(len(q.dense))
	q.dense = append(q.dense, pc)
}

type machine struct {
	qs    [][2]queue // per program
	stack []int32
	// steps counts the threads added (the work); past limit the search
	// stops and over is set.
	steps, limit int64
	over         bool
}

// start readies the machine for a search that may spend *left steps (nil:
// no bound).
func (m *machine) start(left *int64) {
	m.steps, m.limit, m.over = 0, math.MaxInt64, false
	if left != nil {
		m.limit = *left
	}
}

// stop accounts for the steps spent, and reports whether the search ran
// out of them (then *left is -1).
func (m *machine) stop(left *int64) bool {
	if left != nil {
		*left -= m.steps
		if m.over {
			*left = -1
		}
	}
	return m.over
}

func (r *Regexp) newMachine() any {
	m := &machine{}
	max := 0
	for _, p := range r.progs {
		m.qs = append(m.qs, [2]queue{newQueue(len(p.insts)), newQueue(len(p.insts))})
		if len(p.insts) > max {
			max = len(p.insts)
		}
	}
	m.stack = make([]int32, 0, 2*max+2)
	return m
}

// boundary is \b at pos as yara 4.2 evaluates it: a character is one byte,
// or in a wide program a byte followed by 0x00, and \b holds where the
// characters before and after pos differ in being word characters, and
// always at the first and the last character position of the data.
func (p *prog) boundary(data []byte, pos int) bool {
	cs := 1
	if p.wide {
		cs = 2
	}
	if pos < cs || len(data)-pos < cs {
		return true
	}
	return wordChar(data[pos:], cs) != wordChar(data[pos-cs:], cs)
}

func wordChar(b []byte, cs int) bool { return isWordByte(b[0]) && (cs == 1 || b[1] == 0) }

// addThread adds pc and its epsilon closure at position pos, in priority order.
func (m *machine) addThread(p *prog, q *queue, pc int32, data []byte, pos int) {
	st := append(m.stack[:0], pc)
	for len(st) > 0 {
		if m.steps >= m.limit {
			m.over = true // the closure is incomplete
			break
		}
		pc := st[len(st)-1]
		st = st[:len(st)-1]
		if q.has(pc) {
			continue
		}
		q.add(pc)
		m.steps++
		in := &p.insts[pc]
		switch in.op {
		case opSplit:
			st = append(st, in.y, in.x)
		case opJmp:
			st = append(st, in.x)
		case opBegin:
			if pos == 0 {
				st = append(st, pc+1)
			}
		case opEnd:
			if pos == len(data) {
				st = append(st, pc+1)
			}
		case opWordB, opNotWordB:
			if p.boundary(data, pos) == (in.op == opWordB) {
				st = append(st, pc+1)
			}
		}
	}
	m.stack = st
}

// run returns the end of the highest-priority match of program p that
// starts at start, looking at no more than MaxMatch bytes.
func (m *machine) run(pi int, p *prog, data []byte, start int) int {
	w := len(data)
	if w-start > MaxMatch {
		w = start + MaxMatch
	}
	cl, nl := &m.qs[pi][0], &m.qs[pi][1]
	cl.dense = cl.dense[:0]
	m.addThread(p, cl, 0, data, start)
	end := -1
	for pos := start; len(cl.dense) > 0; pos++ {
		if m.over || m.steps >= m.limit {
			m.over = true
			return -1
		}
		nl.dense = nl.dense[:0]
		for _, pc := range cl.dense {
			in := &p.insts[pc]
			if in.op == opMatch {
				end = pos
				break // lower-priority threads are cut
			}
			if in.op == opSet && pos < w && p.sets[in.x].has(data[pos]) {
				m.addThread(p, nl, pc+1, data, pos+1)
			}
		}
		cl, nl = nl, cl
	}
	return end
}

func (r *Regexp) fullwordOK(p *prog, data []byte, start, end int) bool {
	if !r.flags.Fullword {
		return true
	}
	if p.wide {
		if start >= 2 && data[start-1] == 0 && isAlnum(data[start-2]) {
			return false
		}
		if end+1 < len(data) && isAlnum(data[end]) && data[end+1] == 0 {
			return false
		}
		return true
	}
	if start > 0 && isAlnum(data[start-1]) {
		return false
	}
	return end >= len(data) || !isAlnum(data[end])
}

func (r *Regexp) matchAt(m *machine, data []byte, start int) (int, bool) {
	best := -1
	for i, p := range r.progs {
		if start < len(data) && !p.empty && !p.first.has(data[start]) || m.over {
			continue
		}
		e := m.run(i, p, data, start)
		if e >= 0 && r.fullwordOK(p, data, start, e) && e > best {
			best = e
		}
	}
	return best, best >= 0
}

// MatchAt reports whether the expression matches data starting at offset
// start and returns the end of the match YARA would report. Anchors and \b
// see all of data. It spends at most StepBudget steps, and reports no
// match beyond them.
func (r *Regexp) MatchAt(data []byte, start int) (end int, ok bool) {
	if start < 0 || start > len(data) {
		return 0, false
	}
	m := r.pool.Get().(*machine)
	defer r.pool.Put(m)
	left := int64(StepBudget)
	m.start(&left)
	return r.matchAt(m, data, start)
}

// FindAll calls fn for every offset at which YARA would report a match, in
// increasing order of start, with the match's end. Matches may overlap (one
// per start offset). fn returns false to stop. It spends at most
// StepBudget steps: beyond them it stops with ErrTooSlow, the matches
// before having been reported.
func (r *Regexp) FindAll(data []byte, fn func(start, end int) bool) error {
	left := int64(StepBudget)
	if !r.FindAllLimit(data, &left, fn) {
		return ErrTooSlow
	}
	return nil
}

// FindAllLimit is FindAll spending at most *left steps of the matching
// machine (a thread added at an offset is one step): it subtracts those it
// spent, and when it runs out it stops, sets *left to -1 and reports
// false. Nil left: no bound.
func (r *Regexp) FindAllLimit(data []byte, left *int64, fn func(start, end int) bool) bool {
	_, ok := r.findAll(data, left, fn)
	return ok
}

// findAll is FindAllLimit that also returns the steps spent.
func (r *Regexp) findAll(data []byte, left *int64, fn func(start, end int) bool) (steps int64, ok bool) {
	m := r.pool.Get().(*machine)
	defer r.pool.Put(m)
	m.start(left)
	defer func() { steps, ok = m.steps, !m.stop(left) }()
	var first byteSet
	anyStart := false
	for _, p := range r.progs {
		first.union(&p.first)
		anyStart = anyStart || p.empty
	}
	// atom cursors: next hit of each atom at or after the current offset
	minLen := MaxMatch
	for _, a := range r.atoms {
		if len(a) < minLen {
			minLen = len(a)
		}
	}
	var cur [16]int
	next := cur[:0]
	if len(r.atoms) > 0 && len(r.atoms) <= len(cur) {
		next = cur[:len(r.atoms)]
		for i := range next {
			next[i] = -1
		}
	}
	nocase := r.flags.Nocase
	for s := 0; s < len(data); s++ {
		if !anyStart && !first.has(data[s]) {
			continue
		}
		if len(next) > 0 {
			hit := len(data)
			for i, a := range r.atoms {
				if next[i] < s {
					if next[i] == -2 {
						continue
					}
					j := index(data[s:], a, nocase)
					if j < 0 {
						next[i] = -2
						continue
					}
					next[i] = s + j
				}
				if next[i] < hit {
					hit = next[i]
				}
			}
			if hit == len(data) {
				break // no atom left: no more matches
			}
			if hit-s > MaxMatch-minLen {
				s = hit - (MaxMatch - minLen) - 1
				continue
			}
		}
		e, matched := r.matchAt(m, data, s)
		if m.over {
			return
		}
		if matched && !fn(s, e) {
			break
		}
	}
	return
}

func lower(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 32
	}
	return b
}

// index finds atom a in data, folding ASCII case when nocase (a is lower-case).
func index(data, a []byte, nocase bool) int {
	if !nocase {
		return bytes.Index(data, a)
	}
	if len(a) == 0 {
		return 0
	}
	c0, c1 := a[0], a[0]
	if c0 >= 'a' && c0 <= 'z' {
		c1 = c0 - 32
	}
	for i := 0; i+len(a) <= len(data); i++ {
		if d := data[i]; d != c0 && d != c1 {
			continue
		}
		ok := true
		for k := 1; k < len(a); k++ {
			if lower(data[i+k]) != a[k] {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// FindAllRange is FindAll restricted to match starts in [lo, hi]; the data
// outside the range still serves as context (anchors, word boundaries,
// fullword) and as room for the matches. It reports false when fn stopped
// it.
func (r *Regexp) FindAllRange(data []byte, lo, hi int, fn func(start, end int) bool) bool {
	return r.FindAllRangeLimit(data, lo, hi, nil, fn)
}

// FindAllRangeLimit is FindAllRange spending at most *left steps, as
// FindAllLimit; it reports false when fn stopped it or it ran out of steps
// (then *left is -1).
func (r *Regexp) FindAllRangeLimit(data []byte, lo, hi int, left *int64, fn func(start, end int) bool) bool {
	m := r.pool.Get().(*machine)
	defer r.pool.Put(m)
	m.start(left)
	defer m.stop(left)
	var first byteSet
	anyStart := false
	for _, p := range r.progs {
		first.union(&p.first)
		anyStart = anyStart || p.empty
	}
	lo = max(lo, 0)
	hi = min(hi, len(data)-1)
	for s := lo; s <= hi; s++ {
		if !anyStart && !first.has(data[s]) {
			continue
		}
		e, ok := r.matchAt(m, data, s)
		if m.over || ok && !fn(s, e) {
			return false
		}
	}
	return true
}
