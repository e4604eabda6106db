// Package hex compiles and matches YARA hex strings (the text between the
// braces of `$a = { ... }`), following the semantics of yara 4.2:
//
//   - bytes are two hex digits, either nibble may be '?' (wildcard);
//   - jumps [n], [n-m], [n-], [-] between bytes; never first or last
//     (of the string or of an alternative); [0] is an error, [0-0] is not;
//     adjacent jumps add up;
//   - alternatives ( a | b | ... ), nested; inside them jumps must be
//     bounded and at most 200;
//   - // and /* */ comments; '~' (negation) is rejected (not in yara 4.2).
//
// Matching reports at most one match per start offset. Among the possible
// lengths the one reported is the first in backtracking priority order:
// alternatives are tried left to right, jumps try the fewest bytes first
// (yara reports 41 43 42 42 42 for `41 41 41 41 [0-1] (43 42 42 42 | 42)`
// on "AAAACBBB", not the shorter "AAAAxB"-style match).
package hex

import (
	"bytes"
	"fmt"
	"math"
	"sort"
)

// Limits on hostile input.
const (
	MaxSource  = 1 << 16 // bytes of source text
	MaxDepth   = 32      // nesting of alternatives
	MaxAltJump = 200     // largest jump allowed inside an alternative (yara)
	// MaxWork bounds items × maximum length of a part of the pattern with
	// alternatives: the work of trying one position.
	MaxWork       = 1 << 22
	maxJumpNumber = 1 << 31 // larger jump numbers are clamped (yara accepts them)
)

// item kinds
const (
	kByte = iota
	kJump
	kAlt
)

type item struct {
	id       int // unique within a pattern, for memoisation
	kind     int
	val, msk byte
	min, max int // jump; max<0 = unbounded
	alts     [][]item
}

// Atom is a literal fragment; Offset is its offset from the start of every
// match when fixed, else -1.
type Atom struct {
	Bytes  []byte
	Offset int
}

// Pattern is a compiled hex string; it is immutable and safe for concurrent use.
type Pattern struct {
	segs  []*segment // separated by top-level jumps
	jumps []item     // jumps[i] is between segs[i] and segs[i+1]
	atoms []Atom
}

// segment is a part of the pattern without top-level jumps.
type segment struct {
	items  []item
	simple bool // only bytes
	vals   []byte
	msks   []byte
	maxLen int
	atom   []byte // literal at fixed offset atomOff inside the segment, or nil
	atomOf int
}

// Error describes a rejected hex string.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("hex string: %s (at offset %d)", e.Msg, e.Pos) }

type parser struct {
	s   string
	i   int
	err error
}

func (p *parser) fail(msg string) {
	if p.err == nil {
		p.err = &Error{p.i, msg}
	}
}

// skip skips white space and comments.
func (p *parser) skip() {
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			p.i++
		case c == '/' && p.i+1 < len(p.s) && p.s[p.i+1] == '/':
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
		case c == '/' && p.i+1 < len(p.s) && p.s[p.i+1] == '*':
			end := len(p.s)
			if k := indexStr(p.s[p.i+2:], "*/"); k >= 0 {
				end = p.i + 2 + k + 2
			} else {
				p.fail("unterminated comment")
			}
			p.i = end
		default:
			return
		}
	}
}

func indexStr(s, sub string) int { return bytes.Index([]byte(s), []byte(sub)) }

func nib(c byte) (v, m byte, ok bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', 0xF, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, 0xF, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, 0xF, true
	case c == '?':
		return 0, 0, true
	}
	return 0, 0, false
}

// seq parses items until ')' , '|' or end.
func (p *parser) seq(depth int) []item {
	var out []item
	for p.err == nil {
		p.skip()
		if p.err != nil || p.i >= len(p.s) {
			break
		}
		c := p.s[p.i]
		if c == ')' || c == '|' {
			break
		}
		switch {
		case c == '(':
			if depth >= MaxDepth {
				p.fail("alternatives nested too deeply")
				return nil
			}
			p.i++
			var alts [][]item
			for {
				a := p.seq(depth + 1)
				if p.err != nil {
					return nil
				}
				if len(a) == 0 {
					p.fail("empty alternative")
					return nil
				}
				alts = append(alts, a)
				p.skip()
				if p.i >= len(p.s) {
					p.fail("missing )")
					return nil
				}
				if p.s[p.i] == ')' {
					p.i++
					break
				}
				p.i++ // '|'
			}
			out = append(out, item{kind: kAlt, alts: alts})
		case c == '[':
			out = append(out, p.jump(depth > 0))
		default:
			v1, m1, ok1 := nib(c)
			if !ok1 {
				p.fail(fmt.Sprintf("unexpected character %q", c))
				return nil
			}
			p.i++
			if p.i >= len(p.s) {
				p.fail("uneven number of digits")
				return nil
			}
			v2, m2, ok2 := nib(p.s[p.i])
			if !ok2 {
				p.fail("uneven number of digits")
				return nil
			}
			p.i++
			out = append(out, item{kind: kByte, val: v1<<4 | v2, msk: m1<<4 | m2})
		}
	}
	return out
}

func (p *parser) num() (int, bool) {
	p.skip()
	st := p.i
	n := 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		if n < maxJumpNumber {
			n = n*10 + int(p.s[p.i]-'0')
		}
		p.i++
	}
	if n > maxJumpNumber {
		n = maxJumpNumber
	}
	return n, p.i > st
}

func (p *parser) jump(inAlt bool) item {
	p.i++ // '['
	lo, hasLo := p.num()
	p.skip()
	it := item{kind: kJump}
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
		hi, hasHi := p.num()
		if !hasLo {
			lo = 0
		}
		if !hasHi {
			hi = -1
		} else if hi < lo {
			p.fail("invalid jump range")
		}
		it.min, it.max = lo, hi
	} else {
		if !hasLo {
			p.fail("invalid jump")
		} else if lo == 0 {
			p.fail("invalid jump length")
		}
		it.min, it.max = lo, lo
	}
	p.skip()
	if p.i >= len(p.s) || p.s[p.i] != ']' {
		p.fail("invalid jump")
		return it
	}
	p.i++
	if inAlt {
		if it.max < 0 {
			p.fail("unbounded jumps not allowed inside alternation")
		} else if it.max > MaxAltJump {
			p.fail("jumps over 200 not allowed inside alternation")
		}
	}
	return it
}

// normalize merges adjacent jumps and checks that no sequence starts or
// ends with a jump.
func normalize(items []item) ([]item, error) {
	var out []item
	for _, it := range items {
		if it.kind == kAlt {
			for k, a := range it.alts {
				n, err := normalize(a)
				if err != nil {
					return nil, err
				}
				it.alts[k] = n
			}
		}
		if it.kind == kJump && len(out) > 0 && out[len(out)-1].kind == kJump {
			l := &out[len(out)-1]
			l.min += it.min
			if l.min > maxJumpNumber {
				l.min = maxJumpNumber
			}
			if l.max < 0 || it.max < 0 {
				l.max = -1
			} else {
				l.max += it.max
				if l.max > maxJumpNumber {
					l.max = maxJumpNumber
				}
			}
			continue
		}
		out = append(out, it)
	}
	if len(out) > 0 && (out[0].kind == kJump || out[len(out)-1].kind == kJump) {
		return nil, &Error{0, "a hex string or alternative must not start or end with a jump"}
	}
	return out, nil
}

// Compile parses a hex string.
func Compile(src string) (*Pattern, error) {
	if len(src) > MaxSource {
		return nil, &Error{0, "hex string too long"}
	}
	for i := 0; i < len(src); i++ {
		if src[i] == '~' {
			return nil, &Error{i, "'~' (negation) is not supported by yara 4.2"}
		}
	}
	p := &parser{s: src}
	items := p.seq(0)
	if p.err == nil && p.i < len(p.s) {
		p.fail(fmt.Sprintf("unexpected %q", p.s[p.i]))
	}
	if p.err != nil {
		return nil, p.err
	}
	if len(items) == 0 {
		return nil, &Error{0, "empty hex string"}
	}
	items, err := normalize(items)
	if err != nil {
		return nil, err
	}
	n := 0
	number(items, &n)
	pat := &Pattern{}
	var cur []item
	flush := func() {
		pat.segs = append(pat.segs, newSegment(cur))
		cur = nil
	}
	for _, it := range items {
		if it.kind == kJump {
			flush()
			pat.jumps = append(pat.jumps, it)
			continue
		}
		cur = append(cur, it)
	}
	flush()
	for _, s := range pat.segs {
		if !s.simple && countItems(s.items)*(s.maxLen+1) > MaxWork {
			return nil, &Error{0, "hex string too complex (alternatives with too many long jumps)"}
		}
	}
	pat.atoms = bestAtoms(pat)
	return pat, nil
}

func countItems(items []item) int {
	n := len(items)
	for _, it := range items {
		for _, a := range it.alts {
			n += countItems(a)
		}
	}
	return n
}

func number(items []item, n *int) {
	for i := range items {
		*n++
		items[i].id = *n
		for _, a := range items[i].alts {
			number(a, n)
		}
	}
}

func maxLen(items []item) int {
	n := 0
	for _, it := range items {
		switch it.kind {
		case kByte:
			n++
		case kJump:
			n += it.max
		case kAlt:
			m := 0
			for _, a := range it.alts {
				m = max(m, maxLen(a))
			}
			n += m
		}
	}
	return n
}

func newSegment(items []item) *segment {
	s := &segment{items: items, simple: true, maxLen: maxLen(items), atomOf: -1}
	for _, it := range items {
		if it.kind != kByte {
			s.simple = false
			break
		}
		s.vals = append(s.vals, it.val)
		s.msks = append(s.msks, it.msk)
	}
	// best literal run at a fixed offset
	off, fixed := 0, true
	var run []byte
	runOff := 0
	best, bestQ := []byte(nil), -1
	consider := func() {
		if len(run) > 0 {
			if q := quality(run); q > bestQ {
				best, bestQ, s.atomOf = append([]byte(nil), run...), q, runOff
			}
		}
		run = nil
	}
	for _, it := range items {
		if !fixed {
			break
		}
		if it.kind == kByte && it.msk == 0xFF {
			if len(run) == 0 {
				runOff = off
			}
			run = append(run, it.val)
			off++
			continue
		}
		consider()
		if it.kind == kByte {
			off++
		} else {
			fixed = false
		}
	}
	consider()
	s.atom = best
	return s
}

// quality scores a literal: longer is better, common bytes (00, FF, 20,
// 90, CC, letters repeated) are worth less, distinct bytes more.
func quality(b []byte) int {
	var seen [256]bool
	q := 0
	for _, c := range b {
		switch c {
		case 0x00, 0xFF, 0x20, 0x90, 0xCC:
			q += 2
		default:
			q += 10
		}
		if !seen[c] {
			seen[c] = true
			q += 4
		}
	}
	return q
}

// litAtoms returns literal alternatives of which every match of items
// contains one, and their (minimum) quality.
func litAtoms(items []item) ([][]byte, int) {
	var best [][]byte
	bestQ := -1
	var run []byte
	consider := func() {
		if len(run) > 0 {
			if q := quality(run); q > bestQ {
				best, bestQ = [][]byte{append([]byte(nil), run...)}, q
			}
		}
		run = nil
	}
	for _, it := range items {
		if it.kind == kByte && it.msk == 0xFF {
			run = append(run, it.val)
			continue
		}
		consider()
		if it.kind == kAlt {
			var all [][]byte
			q := 1 << 30
			for _, a := range it.alts {
				la, qa := litAtoms(a)
				if qa < 0 {
					q = -1
					break
				}
				all = append(all, la...)
				q = min(q, qa)
			}
			if q > bestQ {
				best, bestQ = all, q
			}
		}
	}
	consider()
	return best, bestQ
}

func bestAtoms(p *Pattern) []Atom {
	// fixed-offset literal in the first segment wins if as good as any other
	var out []Atom
	bq := -1
	for i, s := range p.segs {
		la, q := litAtoms(s.items)
		if q > bq {
			bq = q
			out = out[:0]
			for _, a := range la {
				out = append(out, Atom{Bytes: a, Offset: -1})
			}
			if i == 0 && s.atom != nil && len(la) == 1 && bytes.Equal(la[0], s.atom) {
				out[0].Offset = s.atomOf
			}
		}
	}
	return out
}

// Atoms returns literal fragments of which every match contains at least
// one; nil when the pattern has none (every position must be tried).
func (p *Pattern) Atoms() [][]byte {
	var out [][]byte
	for _, a := range p.atoms {
		out = append(out, append([]byte(nil), a.Bytes...))
	}
	return out
}

// AtomInfo is like Atoms with the offset of each atom from the match
// start when it is fixed (else -1).
func (p *Pattern) AtomInfo() []Atom {
	out := make([]Atom, len(p.atoms))
	for i, a := range p.atoms {
		out[i] = Atom{append([]byte(nil), a.Bytes...), a.Offset}
	}
	return out
}

// MinLen and MaxLen give the length bounds of a match; MaxLen is -1 when
// unbounded.
func (p *Pattern) MaxLen() int {
	n := 0
	for _, s := range p.segs {
		n += s.maxLen
	}
	for _, j := range p.jumps {
		if j.max < 0 {
			return -1
		}
		n += j.max
	}
	return n
}

// ends calls fn with each distinct end of a match of the segment at pos,
// in priority order, until fn returns false.
func (s *segment) ends(w *walker, data []byte, pos int, fn func(end int) bool) {
	if s.simple {
		if w.sr != nil {
			w.sr.step()
		}
		if pos+len(s.vals) > len(data) {
			return
		}
		for k, v := range s.vals {
			if data[pos+k]&s.msks[k] != v {
				return
			}
		}
		fn(pos + len(s.vals))
		return
	}
	// a map grown large at one offset is replaced, not cleared: clearing
	// costs its size at every offset after
	if len(w.seen) > 1<<10 {
		w.seen, w.emitted = map[[2]int]bool{}, map[int]bool{}
	}
	clear(w.seen)
	clear(w.emitted)
	w.data, w.fn, w.stop = data, fn, false
	w.run(s.items, pos, nil)
}

func newWalker() *walker {
	return &walker{seen: map[[2]int]bool{}, emitted: map[int]bool{}, ids: map[[2]int]int{}}
}

type walker struct {
	data    []byte
	seen    map[[2]int]bool // (continuation id, pos) already explored
	emitted map[int]bool
	ids     map[[2]int]int
	fn      func(int) bool
	stop    bool
	sr      *searcher // counts the steps, when not nil
}

// cont is a linked continuation: the items still to match after the
// current list.
type cont struct {
	items []item
	next  *cont
	id    int
}

// contID interns "this item list followed by that continuation": two
// explorations with the same id and position reach the same ends, so the
// second one is skipped (it cannot yield an end not already emitted).
func (w *walker) contID(items []item, k *cont) int {
	key := [2]int{0, 0}
	if len(items) > 0 {
		key[0] = items[0].id
	}
	if k != nil {
		key[1] = k.id
	}
	id, ok := w.ids[key]
	if !ok {
		id = len(w.ids) + 1
		w.ids[key] = id
	}
	return id
}

func (w *walker) run(items []item, pos int, k *cont) {
	if w.stop {
		return
	}
	if w.sr != nil && w.sr.walkStep() {
		w.stop = true
		return
	}
	key := [2]int{w.contID(items, k), pos}
	if w.seen[key] {
		return
	}
	w.seen[key] = true
	for len(items) > 0 {
		it := items[0]
		items = items[1:]
		switch it.kind {
		case kByte:
			if pos >= len(w.data) || w.data[pos]&it.msk != it.val {
				return
			}
			pos++
		case kJump:
			for n := it.min; n <= it.max && pos+n <= len(w.data) && !w.stop; n++ {
				w.run(items, pos+n, k)
			}
			return
		case kAlt:
			nk := &cont{items: items, next: k, id: w.contID(items, k)}
			for _, a := range it.alts {
				w.run(a, pos, nk)
			}
			return
		}
	}
	if k != nil {
		w.run(k.items, pos, k.next)
		return
	}
	if !w.emitted[pos] {
		w.emitted[pos] = true
		if !w.fn(pos) {
			w.stop = true
		}
	}
}

// candidate returns the first position at or after from at which the
// segment may start (its atom is there), or -1.
func (s *segment) candidate(data []byte, from int) int {
	if from >= len(data) {
		return -1
	}
	if s.atom == nil {
		return from
	}
	if from+s.atomOf > len(data) {
		return -1
	}
	k := bytes.Index(data[from+s.atomOf:], s.atom)
	if k < 0 {
		return -1
	}
	return from + k
}

// cursor finds, lazily and going forward, the positions at which the
// pattern's suffix from one segment matches, and the end of that
// (priority-first) match. Positions below s are decided; those that match
// and may still be asked for are kept.
type cursor struct {
	seg  *segment
	jump item    // the jump after seg, when next is not nil
	next *cursor // the cursor of the segment after the jump
	w    *walker
	data []byte
	s    int   // positions below s are decided
	pos  []int // the matching positions kept, increasing, from head
	end  []int
	head int
	sr   *searcher
}

// first returns the end of the match of the suffix at the first position
// from lo to hi (hi < 0: no bound) where it matches. The caller promises
// never to ask again below drop, which does not decrease between calls and
// is at most lo: the positions below it are forgotten.
func (c *cursor) first(lo, hi, drop int) (int, bool) {
	for c.head < len(c.pos) && c.pos[c.head] < drop {
		c.head++
	}
	if c.head > 64 && 2*c.head > len(c.pos) {
		n := copy(c.pos, c.pos[c.head:])
		copy(c.end, c.end[c.head:])
		c.pos, c.end, c.head = c.pos[:n], c.end[:n], 0
	}
	c.s = max(c.s, drop)
	live := c.pos[c.head:]
	if k := sort.SearchInts(live, lo); k < len(live) {
		if hi >= 0 && live[k] > hi {
			return 0, false
		}
		return c.end[c.head+k], true
	}
	// decide positions from s on, until one at or after lo matches
	for {
		if hi >= 0 && c.s > hi || c.sr.over {
			return 0, false
		}
		q := c.seg.candidate(c.data, c.s)
		if q < 0 {
			c.s = len(c.data) + 1
			return 0, false
		}
		if hi >= 0 && q > hi {
			c.s = q // none matches before q
			return 0, false
		}
		c.s = q + 1
		if end, ok := c.at(q); ok {
			c.pos, c.end = append(c.pos, q), append(c.end, end)
			c.sr.kept = max(c.sr.kept, len(c.pos)-c.head)
			if q >= lo {
				return end, true
			}
		}
	}
}

// at decides whether the suffix matches at q.
func (c *cursor) at(q int) (end int, ok bool) {
	c.seg.ends(c.w, c.data, q, func(e int) bool {
		c.sr.work++
		if c.next == nil {
			end, ok = e, true
			return false
		}
		hi := -1
		if c.jump.max >= 0 {
			hi = e + c.jump.max
		}
		if r, found := c.next.first(e+c.jump.min, hi, q+c.jump.min); found {
			end, ok = r, true
			return false
		}
		return true
	})
	if c.sr.over {
		return 0, false
	}
	return
}

// searcher finds matches at increasing starts in one data.
type searcher struct {
	head *cursor // the pattern from its first segment
	work int64   // ends of parts tried
	kept int     // the most positions a cursor kept
	// steps counts the offsets tried and the steps of the walks of parts
	// with alternatives; past limit, over is set and the search stops.
	steps, limit, from int64
	over               bool
}

// step counts one step, and reports whether the search is over its limit.
func (sr *searcher) step() bool {
	sr.steps++
	if sr.steps > sr.limit {
		sr.over = true
	}
	return sr.over
}

// WalkStepCost is what a step of the walk of a part with alternatives
// counts for: it takes about as long as that many offsets tried in a plain
// part, or steps of a regular expression.
const WalkStepCost = 16

// walkStep counts a step of a walk.
func (sr *searcher) walkStep() bool {
	sr.steps += WalkStepCost - 1
	return sr.step()
}

// begin sets the limit for a search that may spend *left steps (nil: no
// bound); end subtracts the steps spent from *left, or sets it to -1 when
// the search ran out of them, and reports that.
func (sr *searcher) begin(left *int64) {
	sr.limit, sr.from = math.MaxInt64, sr.steps
	if left != nil {
		sr.limit = sr.steps + *left
	}
}

func (sr *searcher) end(left *int64) bool {
	if left != nil {
		*left -= sr.steps - sr.from
		if sr.over {
			*left = -1
		}
	}
	return sr.over
}

func (p *Pattern) searcher(data []byte) *searcher {
	sr := &searcher{limit: math.MaxInt64}
	var next *cursor
	for i := len(p.segs) - 1; i >= 0; i-- {
		c := &cursor{seg: p.segs[i], next: next, w: newWalker(), data: data, sr: sr}
		c.w.sr = sr
		if next != nil {
			c.jump = p.jumps[i]
		}
		next = c
	}
	sr.head = next
	return sr
}

// FindAll calls fn for every match (one per start offset, in increasing
// start order) until fn returns false. Each part of the pattern between
// top-level jumps is tried at most once at each offset, with work bounded
// by MaxWork for parts with alternatives and by their length for plain
// parts, so time is linear in the data; a jump never multiplies it. Memory
// does not grow with the data: the offsets kept for a part are those that
// the part before it may still reach without its jump, so at most that
// part's longest match (and one more).
func (p *Pattern) FindAll(data []byte, fn func(start, end int) bool) {
	p.findAll(data, nil, fn)
}

// FindAllLimit is FindAll spending at most *left steps (an offset tried
// in a part, or WalkStepCost for a step of the walk of a part with
// alternatives): it
// subtracts those it spent, and when it runs out it stops, sets *left to
// -1 and reports false. Nil left: no bound.
func (p *Pattern) FindAllLimit(data []byte, left *int64, fn func(start, end int) bool) bool {
	return !p.findAll(data, left, fn).over
}

func (p *Pattern) findAll(data []byte, left *int64, fn func(start, end int) bool) *searcher {
	sr := p.searcher(data)
	sr.begin(left)
	c := sr.head
	for q := c.seg.candidate(data, 0); q >= 0 && !sr.over; q = c.seg.candidate(data, q+1) {
		if end, ok := c.at(q); ok && !fn(q, end) {
			break
		}
	}
	sr.end(left)
	return sr
}

// Searcher finds the matches of a pattern in one data at starts that
// increase from call to call, sharing its work between them: however many
// starts, the time is linear in the data, as for FindAll.
type Searcher struct {
	sr   *searcher
	last int
}

// Searcher returns a Searcher of the pattern in data.
func (p *Pattern) Searcher(data []byte) *Searcher {
	return &Searcher{sr: p.searcher(data), last: -1}
}

// MatchAt reports the match starting at start, which must be greater than
// at the previous call (else there is none). It spends at most *left
// steps, as FindAllLimit (nil: no bound); when they run out, *left is -1
// and there is no match.
func (s *Searcher) MatchAt(start int, left *int64) (end int, ok bool) {
	c := s.sr.head
	if start <= s.last || start >= len(c.data) || s.sr.over {
		return 0, false
	}
	s.last = start
	s.sr.begin(left)
	end, ok = c.at(start)
	s.sr.end(left)
	return end, ok
}

// FindRange calls fn for every match starting from lo to hi, in
// increasing order, until fn returns false; it reports false when fn
// stopped it or it ran out of steps (then *left is -1; see MatchAt). lo
// must be greater than the starts of the previous calls.
func (s *Searcher) FindRange(lo, hi int, left *int64, fn func(start, end int) bool) bool {
	c := s.sr.head
	if s.sr.over {
		return false
	}
	s.sr.begin(left)
	defer s.sr.end(left)
	for q := c.seg.candidate(c.data, max(lo, s.last+1)); q >= 0 && q <= hi; q = c.seg.candidate(c.data, q+1) {
		s.last = q
		end, ok := c.at(q)
		if s.sr.over || ok && !fn(q, end) {
			return false
		}
	}
	s.last = max(s.last, hi)
	return true
}

// MatchAt reports the match starting at start, if any.
func (p *Pattern) MatchAt(data []byte, start int) (end int, ok bool) {
	if start < 0 || start >= len(data) {
		return 0, false
	}
	if ml := p.MaxLen(); ml >= 0 && start+ml < len(data) {
		data = data[:start+ml] // no match from start can reach further
	}
	return p.searcher(data).head.at(start)
}
