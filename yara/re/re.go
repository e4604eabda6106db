package re

import (
	"bytes"
	"sync"
)

// MaxMatch is the longest match YARA reports for a regular expression:
// matching looks at most this many bytes from the start offset.
const MaxMatch = 4096

// Flags are the string modifiers and regex flags that change matching.
type Flags struct {
	Nocase   bool // modifier nocase or regex flag /i
	DotAll   bool // regex flag /s: dot matches '\n'
	Wide     bool // modifier wide: each byte followed by 0x00
	Ascii    bool // with Wide: match both the ascii and the wide form
	Fullword bool // no alphanumeric character before or after the match
}

type opcode uint8

const (
	opSet opcode = iota
	opSplit
	opJmp
	opMatch
	opBegin
	opEnd
	opWordB
	opNotWordB
)

type inst struct {
	op   opcode
	x, y int32 // jump targets; x is preferred for opSplit; set index for opSet
}

type prog struct {
	insts []inst
	sets  []byteSet
	wide  bool
	first byteSet // bytes a match can start with
	empty bool    // a match may be empty or start with an assertion only
}

// Regexp is a compiled YARA regular expression. It is safe for concurrent use.
type Regexp struct {
	pattern string
	flags   Flags
	progs   []*prog // ascii and/or wide forms, ascii first
	atoms   [][]byte
	offs    [][2]int // per atom: the range of its offset from a match's start (hi < 0: unbounded)
	maxLen  int      // the longest match of any form, at most MaxMatch
	pool    sync.Pool
}

// Compile parses a YARA regular expression (without the enclosing slashes).
func Compile(pattern string, f Flags) (*Regexp, error) {
	ast, err := parse(pattern, f)
	if err != nil {
		return nil, err
	}
	if f.Nocase {
		foldCase(ast)
	}
	r := &Regexp{pattern: pattern, flags: f}
	var asts []*node
	if !f.Wide || f.Ascii {
		asts = append(asts, ast)
	}
	if f.Wide {
		asts = append(asts, widen(ast))
	}
	noAtoms := false
	for _, a := range asts {
		if n := maxLen(a); n < 0 || n > MaxMatch {
			r.maxLen = MaxMatch
		} else {
			r.maxLen = max(r.maxLen, n)
		}
		c := &compiler{}
		if err := c.emit(a); err != nil {
			return nil, err
		}
		c.add(inst{op: opMatch})
		if len(c.p.insts) > maxProg {
			return nil, errTooBig
		}
		c.p.wide = a != ast
		c.p.analyse()
		r.progs = append(r.progs, &c.p)
		at, lo, hi := atomsOf(a, f.Nocase)
		if at == nil {
			noAtoms = true
		}
		for _, x := range at {
			r.addAtom(x, lo, hi)
		}
	}
	if noAtoms {
		r.atoms, r.offs = nil, nil
	}
	r.pool.New = func() any { return r.newMachine() }
	return r, nil
}

// addAtom adds atom a at offsets lo..hi, or widens the range of an equal
// atom.
func (r *Regexp) addAtom(a []byte, lo, hi int) {
	for i, y := range r.atoms {
		if bytes.Equal(a, y) {
			o := &r.offs[i]
			o[0] = min(o[0], lo)
			if o[1] >= 0 && (hi < 0 || hi > o[1]) {
				o[1] = hi
			}
			return
		}
	}
	r.atoms = append(r.atoms, a)
	r.offs = append(r.offs, [2]int{lo, hi})
}

// MaxLen returns the length of the longest match the expression can have,
// at most MaxMatch: a match that contains an atom starts at most MaxLen
// bytes before the atom's end.
func (r *Regexp) MaxLen() int { return r.maxLen }

// maxLen is the longest string n matches, -1 when unbounded.
func maxLen(n *node) int {
	switch n.kind {
	case nLit:
		return 1
	case nCat, nAlt:
		total := 0
		for _, s := range n.subs {
			m := maxLen(s)
			if m < 0 {
				return -1
			}
			if n.kind == nCat {
				total += m
			} else {
				total = max(total, m)
			}
			if total > MaxMatch {
				return -1
			}
		}
		return total
	case nRep:
		m := maxLen(n.subs[0])
		switch {
		case m == 0:
			return 0
		case m < 0 || n.max < 0 || n.max > MaxMatch:
			return -1
		}
		return min(m*n.max, MaxMatch+1)
	}
	return 0
}

// String returns the source pattern.
func (r *Regexp) String() string { return r.pattern }

// Atoms returns literal byte strings of which every match contains at least
// one, for a multi-pattern prefilter. With Nocase the atoms are lower-case
// and must be searched case-insensitively (ASCII folding); with Wide they are
// in UTF-16LE form. Nil means no atom could be derived: every offset is a
// candidate.
func (r *Regexp) Atoms() [][]byte {
	out := make([][]byte, len(r.atoms))
	for i, a := range r.atoms {
		out[i] = append([]byte(nil), a...)
	}
	return out
}

// Atom is an atom with the range of its offset from the start of a match:
// every match has an occurrence of one of the atoms at an offset from Lo
// to Hi from its start (Hi < 0: no bound but MaxMatch).
type Atom struct {
	Bytes  []byte
	Lo, Hi int
}

// AtomInfo is Atoms with the offsets of the atoms.
func (r *Regexp) AtomInfo() []Atom {
	out := make([]Atom, len(r.atoms))
	for i, a := range r.atoms {
		out[i] = Atom{append([]byte(nil), a...), r.offs[i][0], r.offs[i][1]}
	}
	return out
}

func foldCase(n *node) {
	if n.kind == nLit {
		for c := 'a'; c <= 'z'; c++ {
			if n.set.has(byte(c)) || n.set.has(byte(c-32)) {
				n.set.add(byte(c))
				n.set.add(byte(c - 32))
			}
		}
	}
	for _, s := range n.subs {
		foldCase(s)
	}
}

// widen returns a copy of the tree in which every byte is followed by 0x00.
func widen(n *node) *node {
	if n.kind == nLit {
		return &node{kind: nCat, subs: []*node{{kind: nLit, set: n.set}, lit(0)}}
	}
	m := *n
	m.subs = make([]*node, len(n.subs))
	for i, s := range n.subs {
		m.subs[i] = widen(s)
	}
	return &m
}

type compiler struct {
	p prog
}

func (c *compiler) add(i inst) int32 {
	c.p.insts = append(c.p.insts, i)
	return int32(len(c.p.insts) - 1)
}

func (c *compiler) emit(n *node) error {
	if len(c.p.insts) > maxProg {
		return errTooBig
	}
	switch n.kind {
	case nLit:
		c.p.sets = append(c.p.sets, n.set)
		c.add(inst{op: opSet, x: int32(len(c.p.sets) - 1)})
	case nEmpty:
	case nBegin:
		c.add(inst{op: opBegin})
	case nEnd:
		c.add(inst{op: opEnd})
	case nWordB:
		c.add(inst{op: opWordB})
	case nNotWordB:
		c.add(inst{op: opNotWordB})
	case nCat:
		for _, s := range n.subs {
			if err := c.emit(s); err != nil {
				return err
			}
		}
	case nAlt:
		var jumps []int32
		for i, s := range n.subs {
			if i < len(n.subs)-1 {
				sp := c.add(inst{op: opSplit})
				c.p.insts[sp].x = sp + 1
				if err := c.emit(s); err != nil {
					return err
				}
				jumps = append(jumps, c.add(inst{op: opJmp}))
				c.p.insts[sp].y = int32(len(c.p.insts))
			} else if err := c.emit(s); err != nil {
				return err
			}
		}
		for _, j := range jumps {
			c.p.insts[j].x = int32(len(c.p.insts))
		}
	case nRep:
		sub := n.subs[0]
		for i := 0; i < n.min; i++ {
			if err := c.emit(sub); err != nil {
				return err
			}
		}
		if n.max < 0 {
			// L: split body, out; body; jmp L
			l := c.add(inst{op: opSplit})
			if err := c.emit(sub); err != nil {
				return err
			}
			c.add(inst{op: opJmp, x: l})
			c.split(l, l+1, int32(len(c.p.insts)), n.lazy)
			return nil
		}
		var splits []int32
		for i := n.min; i < n.max; i++ {
			s := c.add(inst{op: opSplit})
			splits = append(splits, s)
			if err := c.emit(sub); err != nil {
				return err
			}
		}
		end := int32(len(c.p.insts))
		for _, s := range splits {
			c.split(s, s+1, end, n.lazy)
		}
	}
	if len(c.p.insts) > maxProg {
		return errTooBig
	}
	return nil
}

func (c *compiler) split(at, body, out int32, lazy bool) {
	if lazy {
		body, out = out, body
	}
	c.p.insts[at].x, c.p.insts[at].y = body, out
}

// analyse computes the set of possible first bytes.
func (p *prog) analyse() {
	seen := make([]bool, len(p.insts))
	stack := []int32{0}
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[pc] {
			continue
		}
		seen[pc] = true
		in := p.insts[pc]
		switch in.op {
		case opSet:
			p.first.union(&p.sets[in.x])
		case opSplit:
			stack = append(stack, in.x, in.y)
		case opJmp:
			stack = append(stack, in.x)
		case opMatch:
			p.empty = true
		default: // assertions: pass through
			stack = append(stack, pc+1)
		}
	}
}

// ProgLen is the number of instructions of the compiled programs.
func (r *Regexp) ProgLen() int {
	n := 0
	for _, p := range r.progs {
		n += len(p.insts)
	}
	return n
}
