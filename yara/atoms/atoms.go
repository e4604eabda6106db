// Package atoms is a multi-pattern literal search (by short atoms and bitmaps) and the
// expansion of YARA text strings with their modifiers (ascii, wide,
// nocase, fullword, xor, base64, base64wide) into literals.
package atoms

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Pattern is one literal; NoCase makes ASCII letters match either case.
type Pattern struct {
	Bytes  []byte
	NoCase bool
}

// AtomLen is the longest atom: each pattern is found by one window of at
// most AtomLen of its bytes (its atom, chosen by quality), and verified
// whole where its atom is found.
const AtomLen = 4

// Limits on hostile input.
const MaxPatterns = 1 << 20

// Matcher finds many patterns at once. At each offset of the data, the
// two bytes there are looked up in a bitmap of the atoms' first two bytes
// (in every case for letters), and the three bytes there in a hashed
// bitmap of their first three; only where both are set are the atoms
// starting with those two bytes compared, and the patterns of those found
// verified. The bitmaps fit the CPU's first-level cache, no offset waits
// on the one before (unlike the states of an Aho-Corasick automaton), and
// the loop branches only where both bitmaps pass.
//
// A Matcher is built once and is safe for concurrent use by many
// goroutines.
type Matcher struct {
	pats  []Pattern
	bits2 [1 << 16 / 64]uint64 // first two bytes of an atom, as they may be in the data
	// first three bytes, hashed; an atom of one or two bytes sets them
	// with every third byte
	bits3 [1 << hash3Bits / 64]uint64
	// the atoms by their first two bytes, folded: atoms[first[k]:first[k+1]]
	first []int32
	atoms []atom
	uses  []use
}

const hash3Bits = 18

func hash3(x uint32) uint32 { return (x * 0x9E3779B1) >> (32 - hash3Bits) }

// atom is a window of patterns, folded; its uses are uses[u0:u1].
type atom struct {
	b      [AtomLen]byte
	n      uint8
	u0, u1 int32
}

// use is a pattern an atom was chosen for.
type use struct {
	pat    int32
	k      int32 // the atom's offset in the pattern
	verify uint8 // 0 none (the atom is the pattern), 1 exact, 2 ASCII case folded
}

var foldTab = func() (t [256]byte) {
	for c := range t {
		t[c] = fold(byte(c))
	}
	return
}()

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

// quality scores a window: bytes common in files (00, 20, FF, CC, 90,
// digits, line ends, lower-case letters) are worth less, distinct bytes
// more, and the first two bytes (the bitmap's key) count double.
func quality(b []byte) int {
	var seen [256]bool
	q := 0
	for i, c := range b {
		v := 10
		switch {
		case c == 0x00 || c == 0xFF || c == 0x20 || c == 0xCC || c == 0x90:
			v = 2
		case c >= '0' && c <= '9', c == '\n', c == '\r', c == '\t':
			v = 6
		case c >= 'a' && c <= 'z':
			v = 8
		}
		if i < 2 {
			v *= 2
		}
		q += v
		if !seen[c] {
			seen[c] = true
			q += 4
		}
	}
	return q
}

// window picks the atom of a pattern: the offset and length of its best
// window, by quality of the folded bytes.
func window(b []byte) (int, int) {
	n := min(len(b), AtomLen)
	best, bestQ := 0, -1
	var f [AtomLen]byte
	for k := 0; k+n <= len(b); k++ {
		for i := range n {
			f[i] = fold(b[k+i])
		}
		if q := quality(f[:n]); q > bestQ {
			best, bestQ = k, q
		}
	}
	return best, n
}

// caseVariants calls fn with every spelling of b that folds to it.
func caseVariants(b []byte, fn func([]byte)) {
	v := make([]byte, len(b))
	var rec func(i int)
	rec = func(i int) {
		if i == len(b) {
			fn(v)
			return
		}
		v[i] = b[i]
		rec(i + 1)
		if b[i] >= 'a' && b[i] <= 'z' {
			v[i] = b[i] - 32
			rec(i + 1)
		}
	}
	rec(0)
}

func setBit(bits []uint64, k uint32) { bits[k>>6] |= 1 << (k & 63) }

// Build compiles the patterns. Empty patterns are an error.
func Build(pats []Pattern) (*Matcher, error) {
	if len(pats) > MaxPatterns {
		return nil, errors.New("atoms: too many patterns")
	}
	m := &Matcher{pats: pats}
	type pending struct {
		a    atom
		uses []use
	}
	var list []*pending
	index := map[string]*pending{}
	for i, p := range pats {
		if len(p.Bytes) == 0 {
			return nil, fmt.Errorf("atoms: pattern %d is empty", i)
		}
		k, n := window(p.Bytes)
		var a atom
		a.n = uint8(n)
		for j := range n {
			a.b[j] = fold(p.Bytes[k+j])
		}
		var v uint8
		switch {
		case n == len(p.Bytes) && (p.NoCase || !hasLetter(p.Bytes)):
		case p.NoCase:
			v = 2
		default:
			v = 1
		}
		key := string(a.b[:n])
		pe := index[key]
		if pe == nil {
			pe = &pending{a: a}
			index[key] = pe
			list = append(list, pe)
		}
		pe.uses = append(pe.uses, use{int32(i), int32(k), v})
	}
	// bitmaps, and the atoms grouped by their first two bytes
	byKey := make([][]int32, 1<<16)
	addKey := func(k uint32, id int) {
		if l := byKey[k]; len(l) == 0 || l[len(l)-1] != int32(id) {
			byKey[k] = append(l, int32(id))
		}
	}
	for id, pe := range list {
		a := pe.a.b[:pe.a.n]
		pe.a.u0 = int32(len(m.uses))
		m.uses = append(m.uses, pe.uses...)
		pe.a.u1 = int32(len(m.uses))
		m.atoms = append(m.atoms, pe.a)
		switch len(a) {
		case 1:
			caseVariants(a, func(v []byte) {
				for x := range 256 {
					k := uint32(v[0]) | uint32(x)<<8
					setBit(m.bits2[:], k)
					for y := range 256 {
						setBit(m.bits3[:], hash3(k|uint32(y)<<16))
					}
				}
			})
			for x := range 256 {
				addKey(uint32(a[0])|uint32(fold(byte(x)))<<8, id)
			}
		case 2:
			caseVariants(a, func(v []byte) {
				k := uint32(v[0]) | uint32(v[1])<<8
				setBit(m.bits2[:], k)
				for y := range 256 {
					setBit(m.bits3[:], hash3(k|uint32(y)<<16))
				}
			})
			addKey(uint32(a[0])|uint32(a[1])<<8, id)
		default:
			caseVariants(a[:3], func(v []byte) {
				k := uint32(v[0]) | uint32(v[1])<<8
				setBit(m.bits2[:], k)
				setBit(m.bits3[:], hash3(k|uint32(v[2])<<16))
			})
			addKey(uint32(a[0])|uint32(a[1])<<8, id)
		}
	}
	m.first = make([]int32, 1<<16+1)
	var flat []int32
	for k, l := range byKey {
		m.first[k] = int32(len(flat))
		flat = append(flat, l...)
	}
	m.first[1<<16] = int32(len(flat))
	// the atoms in key order, so that first indexes them directly
	sorted := make([]atom, len(flat))
	for i, id := range flat {
		sorted[i] = m.atoms[id]
	}
	m.atoms = sorted
	return m, nil
}

// Len is the number of patterns.
func (m *Matcher) Len() int { return len(m.pats) }

// Search calls fn(pattern index, start offset) for every occurrence,
// overlapping ones included, until fn returns false. The occurrences come
// in the order of their atoms' offsets, not sorted. It does not allocate.
func (m *Matcher) Search(data []byte, fn func(pat, off int) bool) {
	bits2, bits3 := &m.bits2, &m.bits3
	i := 0
	for ; i+3 < len(data); i++ {
		x := binary.LittleEndian.Uint32(data[i:i+4]) & 0xFFFFFF
		k, h := x&0xFFFF, hash3(x)
		if bits2[k>>6]>>(k&63)&(bits3[h>>6]>>(h&63))&1 == 0 {
			continue
		}
		if !m.at(data, i, fn) {
			return
		}
	}
	for ; i < len(data); i++ {
		if !m.at(data, i, fn) {
			return
		}
	}
}

// at checks the atoms that may start at offset i, and verifies their
// patterns; false when fn stopped the search.
func (m *Matcher) at(data []byte, i int, fn func(pat, off int) bool) bool {
	k := uint32(foldTab[data[i]])
	if i+1 < len(data) {
		k |= uint32(foldTab[data[i+1]]) << 8
	} else {
		k |= uint32(fold(0)) << 8 // the last byte: only one-byte atoms can be there
	}
	for ai := m.first[k]; ai < m.first[k+1]; ai++ {
		a := &m.atoms[ai]
		if i+int(a.n) > len(data) {
			continue
		}
		ok := true
		for j := 2; j < int(a.n); j++ {
			if foldTab[data[i+j]] != a.b[j] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		for _, u := range m.uses[a.u0:a.u1] {
			b := m.pats[u.pat].Bytes
			start := i - int(u.k)
			if start < 0 || start+len(b) > len(data) {
				continue
			}
			switch u.verify {
			case 1:
				if string(data[start:start+len(b)]) != string(b) {
					continue
				}
			case 2:
				if !foldEqual(data[start:start+len(b)], b) {
					continue
				}
			}
			if !fn(int(u.pat), start) {
				return false
			}
		}
	}
	return true
}

// foldEqual compares with ASCII case folding.
func foldEqual(a, b []byte) bool {
	for i := range a {
		if a[i] != b[i] && foldTab[a[i]] != foldTab[b[i]] {
			return false
		}
	}
	return true
}
