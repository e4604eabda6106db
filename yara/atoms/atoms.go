// Package atoms is a multi-pattern literal search (Aho-Corasick) and the
// expansion of YARA text strings with their modifiers (ascii, wide,
// nocase, fullword, xor, base64, base64wide) into literals.
package atoms

import (
	"errors"
	"fmt"
)

// Pattern is one literal; NoCase makes ASCII letters match either case.
type Pattern struct {
	Bytes  []byte
	NoCase bool
}

// Limits on hostile input.
const (
	MaxPatterns = 1 << 20
	MaxStates   = 1 << 24
)

// Matcher is built once and is safe for concurrent use by many goroutines.
type Matcher struct {
	pats   []Pattern
	class  [256]uint8 // byte (folded) -> class
	ncls   int
	delta  []int32 // state*ncls + class -> next state*ncls, negated (-(x+1)) when it has outputs
	out    []int32 // state -> first output index into outs, -1 none
	outs   []int32 // pattern indices, grouped per state, chained via outNext
	onext  []int32 // per entry in outs: next entry (dictionary link chain), -1 end
	exact  []bool  // pattern needs a case-sensitive check after the folded hit
	hasOut []bool
}

func fold(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 32
	}
	return b
}

func hasLetter(b []byte) bool {
	for _, c := range b {
		if (c|32) >= 'a' && (c|32) <= 'z' {
			return true
		}
	}
	return false
}

// Build compiles the patterns. Empty patterns are an error.
func Build(pats []Pattern) (*Matcher, error) {
	if len(pats) > MaxPatterns {
		return nil, errors.New("atoms: too many patterns")
	}
	m := &Matcher{pats: pats}
	// byte classes over folded bytes that occur in patterns
	var used [256]bool
	for i, p := range pats {
		if len(p.Bytes) == 0 {
			return nil, fmt.Errorf("atoms: pattern %d is empty", i)
		}
		for _, c := range p.Bytes {
			used[fold(c)] = true
		}
	}
	m.ncls = 1
	var fc [256]uint8
	for c := 0; c < 256; c++ {
		if used[c] {
			if m.ncls == 256 {
				return nil, errors.New("atoms: internal class overflow")
			}
			fc[c] = uint8(m.ncls)
			m.ncls++
		}
	}
	for c := 0; c < 256; c++ {
		m.class[c] = fc[fold(byte(c))]
	}
	// trie
	type node struct {
		next map[uint8]int32
		pats []int32
	}
	nodes := []node{{}}
	m.exact = make([]bool, len(pats))
	for i, p := range pats {
		m.exact[i] = !p.NoCase && hasLetter(p.Bytes)
		s := int32(0)
		for _, c := range p.Bytes {
			k := m.class[c]
			if nodes[s].next == nil {
				nodes[s].next = map[uint8]int32{}
			}
			t, ok := nodes[s].next[k]
			if !ok {
				if len(nodes) >= MaxStates {
					return nil, errors.New("atoms: automaton too large")
				}
				t = int32(len(nodes))
				nodes = append(nodes, node{})
				nodes[s].next[k] = t
			}
			s = t
		}
		nodes[s].pats = append(nodes[s].pats, int32(i))
	}
	n := len(nodes)
	if n*m.ncls > 1<<30 {
		return nil, errors.New("atoms: automaton too large")
	}
	m.delta = make([]int32, n*m.ncls)
	failL := make([]int32, n)
	m.out = make([]int32, n)
	m.hasOut = make([]bool, n)
	// BFS building a full DFA
	queue := make([]int32, 0, n)
	for k := 0; k < m.ncls; k++ {
		if t, ok := nodes[0].next[uint8(k)]; ok {
			m.delta[k] = t
			queue = append(queue, t)
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		if int(s)*m.ncls > 1<<30 {
			return nil, errors.New("atoms: automaton too large")
		}
		for k := 0; k < m.ncls; k++ {
			t, ok := nodes[s].next[uint8(k)]
			if ok {
				failL[t] = m.delta[int(failL[s])*m.ncls+k]
				m.delta[int(s)*m.ncls+k] = t
				queue = append(queue, t)
			} else {
				m.delta[int(s)*m.ncls+k] = m.delta[int(failL[s])*m.ncls+k]
			}
		}
	}
	// outputs: own patterns, then chain to the fail state's outputs (BFS
	// order guarantees the fail state is done first).
	for i := range m.out {
		m.out[i] = -1
	}
	order := append([]int32{0}, queue...)
	for _, s := range order {
		next := int32(-1)
		if s != 0 {
			next = m.out[failL[s]]
		}
		for j := len(nodes[s].pats) - 1; j >= 0; j-- {
			m.outs = append(m.outs, nodes[s].pats[j])
			m.onext = append(m.onext, next)
			next = int32(len(m.outs) - 1)
		}
		m.out[s] = next
		m.hasOut[s] = next >= 0
	}
	// premultiply targets and mark states with outputs
	for i, t := range m.delta {
		v := t * int32(m.ncls)
		if m.hasOut[t] {
			v = -(v + 1)
		}
		m.delta[i] = v
	}
	return m, nil
}

// Len is the number of patterns.
func (m *Matcher) Len() int { return len(m.pats) }

// Search calls fn(pattern index, start offset) for every occurrence,
// overlapping ones included, in order of end offset, until fn returns
// false. It does not allocate.
func (m *Matcher) Search(data []byte, fn func(pat, off int) bool) {
	s := int32(0)
	delta, class := m.delta, &m.class
	for i, c := range data {
		x := delta[s+int32(class[c])]
		if x >= 0 {
			s = x
			continue
		}
		s = -x - 1
		for o := m.out[s/int32(m.ncls)]; o >= 0; o = m.onext[o] {
			p := m.outs[o]
			b := m.pats[p].Bytes
			off := i + 1 - len(b)
			if m.exact[p] && string(data[off:i+1]) != string(b) {
				continue
			}
			if !fn(int(p), off) {
				return
			}
		}
	}
}
