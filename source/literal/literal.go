// Package literal finds ASCII literals in raw log bytes ignoring case, at
// memory speed: the prefilter every log source (Exchange logs, IIS W3C
// logs, event log text) shares, so that only lines holding a literal a
// detector cares about are ever parsed.
package literal

import (
	"bytes"
	"strings"
)

// Matcher finds the first of several ASCII literals in a buffer, ignoring
// ASCII case. Log text is searched at memory speed by jumping between
// occurrences of each literal's rarest byte with bytes.IndexByte (which is
// vectorised) and verifying the literal only there; a regexp alternation
// over the same literals is two to three orders of magnitude slower.
type Matcher struct {
	lits    []literal
	anchors []anchor
}

type literal struct {
	lower  string // the literal in lower case
	offset int    // where the anchor byte sits in the literal
}

// anchor is one byte value searched with IndexByte; a letter anchor has one
// entry per case.
type anchor struct {
	b    byte
	lits []int // literals anchored on this byte
	// after, when set, holds the anchor's literals by the lower-case byte
	// that follows the anchor in them (tail: those that end with it), so
	// that a frequent anchor byte ('=', '/') shared by many literals
	// verifies only the few whose next byte is right.
	after *[256][]int
	tail  []int
	next  int // cached position of the next occurrence, -1 = none left
	from  int // position the cache was computed from
}

// minIndexed is the number of literals on one anchor from which they are
// looked up by their next byte.
const minIndexed = 4

// NewMatcher compiles literals; empty literals are ignored. A Matcher is
// not safe for concurrent use: give each goroutine its own (Clone).
func NewMatcher(literals ...string) *Matcher {
	m := &Matcher{}
	byByte := map[byte]int{}
	for _, s := range literals {
		if s == "" {
			continue
		}
		low := strings.ToLower(s)
		off := rarestByte([]byte(low))
		idx := len(m.lits)
		m.lits = append(m.lits, literal{lower: low, offset: off})
		c := low[off]
		variants := []byte{c}
		if c >= 'a' && c <= 'z' {
			variants = append(variants, c-'a'+'A')
		}
		for _, v := range variants {
			ai, ok := byByte[v]
			if !ok {
				ai = len(m.anchors)
				byByte[v] = ai
				m.anchors = append(m.anchors, anchor{b: v})
			}
			m.anchors[ai].lits = append(m.anchors[ai].lits, idx)
		}
	}
	for i := range m.anchors {
		a := &m.anchors[i]
		if len(a.lits) < minIndexed {
			continue
		}
		a.after = new([256][]int)
		for _, li := range a.lits {
			l := &m.lits[li]
			if l.offset+1 < len(l.lower) {
				nb := l.lower[l.offset+1]
				a.after[nb] = append(a.after[nb], li)
				if nb >= 'a' && nb <= 'z' {
					a.after[nb-'a'+'A'] = append(a.after[nb-'a'+'A'], li)
				}
			} else {
				a.tail = append(a.tail, li)
			}
		}
	}
	return m
}

// Clone returns a matcher with the same literals and its own search state.
func (m *Matcher) Clone() *Matcher {
	c := &Matcher{lits: m.lits, anchors: make([]anchor, len(m.anchors))}
	copy(c.anchors, m.anchors)
	return c
}

// Empty reports whether the matcher has no literal (every line matches).
func (m *Matcher) Empty() bool { return len(m.lits) == 0 }

// Reset forgets cached positions; call it before searching a new buffer.
// Reset forgets the positions cached from the previous buffer; call it
// before searching a new buffer.
func (m *Matcher) Reset() {
	for i := range m.anchors {
		m.anchors[i].next = -2
	}
}

// Index returns the start of a literal occurrence in buf at or after from,
// or -1: the occurrence whose anchor byte comes first, so that it lies on
// the first line holding any literal (literals hold no line break), which
// is what the log readers need; a literal that starts earlier on the same
// line may be passed over. Successive calls on the same buffer with increasing from reuse
// the cached anchor positions, so a whole buffer is searched in one pass.
func (m *Matcher) Index(buf []byte, from int) int {
	for i := range m.anchors {
		a := &m.anchors[i]
		// The cache holds the first occurrence at or after a.from; it is
		// stale when it lies before from or was computed from further on.
		if a.next == -2 || a.from > from || (a.next >= 0 && a.next < from) {
			a.search(buf, from)
		}
	}
	for {
		best := -1
		for i := range m.anchors {
			if n := m.anchors[i].next; n >= 0 && (best < 0 || n < m.anchors[best].next) {
				best = i
			}
		}
		if best < 0 {
			return -1
		}
		a := &m.anchors[best]
		p := a.next
		if a.after == nil {
			if start := m.verify(a.lits, buf, p, from); start >= 0 {
				return start
			}
		} else {
			if p+1 < len(buf) {
				if start := m.verify(a.after[buf[p+1]], buf, p, from); start >= 0 {
					return start
				}
			}
			if start := m.verify(a.tail, buf, p, from); start >= 0 {
				return start
			}
		}
		a.search(buf, p+1)
	}
}

// verify returns the start of the first of lits that occurs with its
// anchor byte at p, or -1.
func (m *Matcher) verify(lits []int, buf []byte, p, from int) int {
	for _, li := range lits {
		l := &m.lits[li]
		start := p - l.offset
		if start >= from && start+len(l.lower) <= len(buf) && EqualFold(buf[start:start+len(l.lower)], l.lower) {
			return start
		}
	}
	return -1
}

func (a *anchor) search(buf []byte, from int) {
	a.from = from
	if from < len(buf) {
		if j := bytes.IndexByte(buf[from:], a.b); j >= 0 {
			a.next = from + j
			return
		}
	}
	a.next = -1
}

// Contains reports whether any literal occurs in buf.
func (m *Matcher) Contains(buf []byte) bool {
	m.Reset()
	return m.Index(buf, 0) >= 0
}

// EqualFold reports whether b equals an ASCII lower-case word, ignoring the
// case of b, without allocating.
func EqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// IndexFold finds an ASCII lower-case word in b, ignoring b's case. It
// jumps between occurrences of the word's first byte with IndexByte.
func IndexFold(b []byte, lower string) int {
	if lower == "" {
		return 0
	}
	first := lower[0]
	upper := first
	if first >= 'a' && first <= 'z' {
		upper -= 'a' - 'A'
	}
	for i := 0; i+len(lower) <= len(b); {
		j := bytes.IndexByte(b[i:], first)
		if upper != first {
			if k := bytes.IndexByte(b[i:], upper); k >= 0 && (j < 0 || k < j) {
				j = k
			}
		}
		if j < 0 {
			return -1
		}
		i += j
		if i+len(lower) <= len(b) && EqualFold(b[i:i+len(lower)], lower) {
			return i
		}
		i++
	}
	return -1
}

// rarestByte picks the literal byte that is cheapest to search for. Each
// case of a letter is one more vectorised pass over the buffer, and each
// false occurrence one more verification; a pass over a kilobyte costs
// about as much as eight verifications, so a case-less byte that occurs a
// few times per row (a slash) beats a letter that needs two passes.
func rarestByte(lit []byte) int {
	best, bestCost := 0, 1<<30
	for i, c := range lit {
		passes := 1
		if c >= 'a' && c <= 'z' {
			passes = 2
		}
		cost := passes*passCost + perKB(c)
		if cost < bestCost {
			best, bestCost = i, cost
		}
	}
	return best
}

// passCost is the cost of one IndexByte pass over a kilobyte, in
// verifications.
const passCost = 8

// perKB estimates how often a byte (both cases, for letters) occurs in a
// kilobyte of Exchange HttpProxy, ECP or IIS log text, from real rows.
func perKB(c byte) int {
	switch {
	case c == '#' || c == '\'' || c == '<' || c == '>' || c == '!' || c == '^' || c == '`' || c == '|' || c == '$' || c == '"' || c == '*':
		return 0
	case c == '~':
		return 2
	case c == 'q' || c == 'z' || c == 'j' || c == 'x' || c == 'k':
		return 4
	case c == 'v' || c == 'y' || c == 'w' || c == 'b' || c == 'g' || c == 'f':
		return 8
	case c == 'p' || c == 'm' || c == 'u' || c == 'h' || c == 'l':
		return 16
	case c >= 'a' && c <= 'z':
		return 30
	case c == '/' || c == '@' || c == '[' || c == ']' || c == '%' || c == '+' || c == '\\' || c == '?' || c == '&':
		return 10
	case c == ' ' || c == ':' || c == ';' || c == '=' || c == '_' || c == '(' || c == ')':
		return 12
	case c == '.' || c == '-':
		return 20
	case c >= '0' && c <= '9':
		return 30
	case c == ',':
		return 70
	}
	return 6
}

// minHintedStretch is the shortest stretch of log searched for the hints:
// a search restarts at each call, and over the short stretches between two
// literal hits (IIS lines are full of the digits addresses start with)
// looking at each line's client costs less.
const minHintedStretch = 64 << 10

// HoldsHint reports whether b may hold a line a reader's client tap wants:
// it is short, there are no hints, or it holds one of them. Readers pass
// over longer stretches without a hint without looking at their clients.
func HoldsHint(b []byte, hints [][]byte) bool {
	if len(hints) == 0 || len(b) < minHintedStretch {
		return true
	}
	for _, h := range hints {
		if bytes.Contains(b, h) {
			return true
		}
	}
	return false
}
