package winreg

import "math/bits"

// marvin32 computes the 64-bit Marvin32 hash, which Windows uses (through
// SymCrypt) to authenticate the entries of new-format transaction logs.
// Written from the algorithm's public definition: the state is two 32-bit
// halves initialized from the seed (low half first); each little-endian
// 32-bit word of input is added to the low half and mixed; the 0-3
// remaining bytes are padded with a 0x80 byte into one last word, which is
// mixed in followed by a zero word; the hash is high<<32 | low.
type marvin32 struct {
	lo, hi uint32
	tail   [4]byte
	tailN  int
}

// hvLogSeed is the Marvin32 seed of registry log entries, 0x82EF4D887A4E55C5
// (its bytes as the format specification lists them: 82 EF 4D 88 7A 4E 55 C5).
const hvLogSeed = 0x82EF4D887A4E55C5

func newMarvin32(seed uint64) *marvin32 {
	return &marvin32{lo: uint32(seed), hi: uint32(seed >> 32)}
}

func (m *marvin32) mix(word uint32) {
	m.lo += word
	m.hi ^= m.lo
	m.lo = bits.RotateLeft32(m.lo, 20) + m.hi
	m.hi = bits.RotateLeft32(m.hi, 9) ^ m.lo
	m.lo = bits.RotateLeft32(m.lo, 27) + m.hi
	m.hi = bits.RotateLeft32(m.hi, 19)
}

// Write adds p to the hashed data; it may be called many times.
func (m *marvin32) Write(p []byte) {
	for len(p) > 0 {
		if m.tailN == 0 && len(p) >= 4 {
			m.mix(uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16 | uint32(p[3])<<24)
			p = p[4:]
			continue
		}
		m.tail[m.tailN] = p[0]
		m.tailN++
		p = p[1:]
		if m.tailN == 4 {
			m.mix(uint32(m.tail[0]) | uint32(m.tail[1])<<8 | uint32(m.tail[2])<<16 | uint32(m.tail[3])<<24)
			m.tailN = 0
		}
	}
}

// Sum64 returns the hash of the data written so far.
func (m *marvin32) Sum64() uint64 {
	final := *m
	last := uint32(0x80)
	for i := final.tailN - 1; i >= 0; i-- {
		last = last<<8 | uint32(final.tail[i])
	}
	final.mix(last)
	final.mix(0)
	return uint64(final.hi)<<32 | uint64(final.lo)
}

func marvin32Sum(seed uint64, data []byte) uint64 {
	m := newMarvin32(seed)
	m.Write(data)
	return m.Sum64()
}
