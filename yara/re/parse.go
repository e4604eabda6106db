// Package re is a byte-oriented regular-expression engine with the syntax
// and matching behaviour of YARA regular-expression strings.
package re

import (
	"errors"
	"fmt"
	"strconv"
)

// MaxRepeat is the largest repeat bound accepted (YARA rejects larger).
const MaxRepeat = 32767

// maxProg bounds the compiled program size, in instructions (the largest
// of the shared rules has about 5,000; yara bounds its code to 32 KB, but
// runs bounded repeats in a loop, where this engine unrolls them).
const maxProg = 1 << 16

type nodeKind uint8

const (
	nLit      nodeKind = iota // byte set (single byte or class)
	nCat                      // concatenation
	nAlt                      // alternation
	nRep                      // repetition
	nEmpty                    // matches the empty string
	nBegin                    // ^
	nEnd                      // $
	nWordB                    // \b
	nNotWordB                 // \B
)

type byteSet [4]uint64

func (s *byteSet) add(b byte)      { s[b>>6] |= 1 << (b & 63) }
func (s *byteSet) has(b byte) bool { return s[b>>6]&(1<<(b&63)) != 0 }
func (s *byteSet) addRange(lo, hi int) {
	for c := lo; c <= hi; c++ {
		s.add(byte(c))
	}
}
func (s *byteSet) negate() {
	for i := range s {
		s[i] = ^s[i]
	}
}
func (s *byteSet) union(o *byteSet) {
	for i := range s {
		s[i] |= o[i]
	}
}

type node struct {
	kind     nodeKind
	set      byteSet
	subs     []*node
	min, max int // max < 0: unbounded
	lazy     bool
	isQuant  bool
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func isAlnum(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func classSet(c byte) (byteSet, bool) {
	var s byteSet
	switch c {
	case 'w', 'W':
		for x := 0; x < 256; x++ {
			if isWordByte(byte(x)) {
				s.add(byte(x))
			}
		}
	case 's', 'S':
		for _, x := range []byte{' ', '\t', '\n', '\r', '\f', '\v'} {
			s.add(x)
		}
	case 'd', 'D':
		s.addRange('0', '9')
	default:
		return s, false
	}
	if c == 'W' || c == 'S' || c == 'D' {
		s.negate()
	}
	return s, true
}

// Error is a syntax error in a regular expression.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("regexp: %s at offset %d", e.Msg, e.Pos) }

type parser struct {
	s     string
	pos   int
	flags Flags
	depth int
}

func (p *parser) errf(format string, a ...any) error {
	return &Error{Pos: p.pos, Msg: fmt.Sprintf(format, a...)}
}

func parse(pattern string, f Flags) (*node, error) {
	p := &parser{s: pattern, flags: f}
	n, err := p.alt()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.s) {
		return nil, p.errf("syntax error: unexpected %q", p.s[p.pos])
	}
	return n, nil
}

func (p *parser) alt() (*node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 1000 {
		return nil, p.errf("nesting too deep")
	}
	var alts []*node
	for {
		c, err := p.cat()
		if err != nil {
			return nil, err
		}
		alts = append(alts, c)
		if p.pos < len(p.s) && p.s[p.pos] == '|' {
			p.pos++
			continue
		}
		break
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return &node{kind: nAlt, subs: alts}, nil
}

func (p *parser) cat() (*node, error) {
	var items []*node
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '|' || c == ')' {
			break
		}
		a, err := p.atom()
		if err != nil {
			return nil, err
		}
		a, err = p.quant(a)
		if err != nil {
			return nil, err
		}
		items = append(items, a)
	}
	switch len(items) {
	case 0:
		return &node{kind: nEmpty}, nil
	case 1:
		return items[0], nil
	}
	return &node{kind: nCat, subs: items}, nil
}

// repeatAt parses {n}, {n,}, {n,m} or {,m} at p.pos; ok is false when the
// text there is not a repeat (then '{' is a literal).
func (p *parser) repeatAt() (lo, hi int, ok bool, err error) {
	i := p.pos + 1
	num := func() (int, bool) {
		st := i
		for i < len(p.s) && p.s[i] >= '0' && p.s[i] <= '9' {
			i++
		}
		if i == st {
			return -1, false
		}
		if i-st > 6 {
			return MaxRepeat + 1, true
		}
		v, _ := strconv.Atoi(p.s[st:i])
		return v, true
	}
	lo, hasLo := num()
	if i < len(p.s) && p.s[i] == '}' {
		if !hasLo {
			return 0, 0, false, nil
		}
		hi = lo
	} else if i < len(p.s) && p.s[i] == ',' {
		i++
		var hasHi bool
		hi, hasHi = num()
		if !hasHi {
			hi = -1
		}
		if !hasLo {
			lo = 0
		}
		if i >= len(p.s) || p.s[i] != '}' {
			return 0, 0, false, nil
		}
	} else {
		return 0, 0, false, nil
	}
	if lo > MaxRepeat || hi > MaxRepeat {
		return 0, 0, false, p.errf("repeat interval too large")
	}
	if hi >= 0 && lo > hi || hi == 0 {
		return 0, 0, false, p.errf("bad repeat interval")
	}
	p.pos = i + 1
	return lo, hi, true, nil
}

func (p *parser) quant(a *node) (*node, error) {
	for p.pos < len(p.s) {
		var lo, hi int
		switch p.s[p.pos] {
		case '*':
			lo, hi = 0, -1
			p.pos++
		case '+':
			lo, hi = 1, -1
			p.pos++
		case '?':
			lo, hi = 0, 1
			p.pos++
		case '{':
			var ok bool
			var err error
			lo, hi, ok, err = p.repeatAt()
			if err != nil {
				return nil, err
			}
			if !ok {
				return a, nil
			}
		default:
			return a, nil
		}
		if a.kind == nRep && a.done() {
			return nil, p.errf("syntax error: repeated quantifier")
		}
		if isAssert(a.kind) || a.kind == nEmpty {
			return nil, p.errf("syntax error: nothing to repeat")
		}
		r := &node{kind: nRep, subs: []*node{a}, min: lo, max: hi}
		if p.pos < len(p.s) && p.s[p.pos] == '?' {
			r.lazy = true
			p.pos++
		}
		r.setDone()
		a = r
	}
	return a, nil
}

// quantified nodes are marked so that a second quantifier is rejected
// (YARA: "a**" is a syntax error), while "(a*)*" is fine.
func (n *node) done() bool { return n.isQuant }
func (n *node) setDone()   { n.isQuant = true }

func isAssert(k nodeKind) bool {
	return k == nBegin || k == nEnd || k == nWordB || k == nNotWordB
}

func lit(b byte) *node {
	n := &node{kind: nLit}
	n.set.add(b)
	return n
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// escape parses an escape after '\' (p.pos at the char after '\') that
// denotes one byte. It returns the byte.
func (p *parser) escByte() (byte, error) {
	if p.pos >= len(p.s) {
		return 0, p.errf("trailing backslash")
	}
	c := p.s[p.pos]
	p.pos++
	switch c {
	case 'x':
		if p.pos+2 > len(p.s) || hexVal(p.s[p.pos]) < 0 || hexVal(p.s[p.pos+1]) < 0 {
			return 0, p.errf("invalid \\x escape")
		}
		v := hexVal(p.s[p.pos])<<4 | hexVal(p.s[p.pos+1])
		p.pos += 2
		return byte(v), nil
	case 'n':
		return '\n', nil
	case 't':
		return '\t', nil
	case 'r':
		return '\r', nil
	case 'f':
		return '\f', nil
	case 'a':
		return '\a', nil
	}
	return c, nil
}

func (p *parser) atom() (*node, error) {
	c := p.s[p.pos]
	switch c {
	case '(':
		p.pos++
		if p.pos < len(p.s) && (p.s[p.pos] == ')' || p.s[p.pos] == '?') {
			return nil, p.errf("syntax error in group")
		}
		n, err := p.alt()
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.s) || p.s[p.pos] != ')' {
			return nil, p.errf("missing )")
		}
		p.pos++
		// wrap so that a quantified group accepts another quantifier check correctly
		return &node{kind: nCat, subs: []*node{n}}, nil
	case ')':
		return nil, p.errf("unmatched )")
	case '*', '+', '?':
		return nil, p.errf("syntax error: nothing to repeat")
	case '[':
		return p.class()
	case '.':
		p.pos++
		n := &node{kind: nLit}
		n.set.addRange(0, 255)
		if !p.flags.DotAll {
			n.set[0] &^= 1 << '\n'
		}
		return n, nil
	case '^':
		p.pos++
		return &node{kind: nBegin}, nil
	case '$':
		p.pos++
		return &node{kind: nEnd}, nil
	case '\\':
		p.pos++
		if p.pos < len(p.s) {
			e := p.s[p.pos]
			if s, ok := classSet(e); ok {
				p.pos++
				return &node{kind: nLit, set: s}, nil
			}
			if e == 'b' {
				p.pos++
				return &node{kind: nWordB}, nil
			}
			if e == 'B' {
				p.pos++
				return &node{kind: nNotWordB}, nil
			}
		}
		b, err := p.escByte()
		if err != nil {
			return nil, err
		}
		return lit(b), nil
	}
	p.pos++
	return lit(c), nil
}

func (p *parser) class() (*node, error) {
	start := p.pos
	p.pos++ // '['
	n := &node{kind: nLit}
	neg := false
	if p.pos < len(p.s) && p.s[p.pos] == '^' {
		neg = true
		p.pos++
	}
	first := true
	for {
		if p.pos >= len(p.s) {
			p.pos = start
			return nil, p.errf("missing ]")
		}
		c := p.s[p.pos]
		if c == ']' && !first {
			p.pos++
			break
		}
		first = false
		var lo int
		if c == '\\' {
			p.pos++
			if p.pos < len(p.s) {
				if s, ok := classSet(p.s[p.pos]); ok {
					p.pos++
					n.set.union(&s)
					continue
				}
			}
			b, err := p.escByte()
			if err != nil {
				return nil, err
			}
			lo = int(b)
		} else {
			p.pos++
			lo = int(c)
		}
		hi := lo
		if p.pos+1 < len(p.s) && p.s[p.pos] == '-' && p.s[p.pos+1] != ']' {
			p.pos++
			if p.s[p.pos] == '\\' {
				p.pos++
				if p.pos < len(p.s) {
					if _, ok := classSet(p.s[p.pos]); ok {
						return nil, p.errf("bad character range")
					}
				}
				b, err := p.escByte()
				if err != nil {
					return nil, err
				}
				hi = int(b)
			} else {
				hi = int(p.s[p.pos])
				p.pos++
			}
			if hi < lo {
				return nil, p.errf("bad character range")
			}
		}
		n.set.addRange(lo, hi)
	}
	if neg {
		n.set.negate()
	}
	return n, nil
}

var errTooBig = errors.New("regexp: expression too large")
