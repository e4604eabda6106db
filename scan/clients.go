package scan

import (
	"bytes"
	"hash/maphash"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

// clientFilter remembers, approximately, the client addresses of one log
// file, as the first pass reads them: the pass that follows the attackers
// then reads only the files in which one of them may appear, instead of
// every log again. A Bloom filter: no address seen is ever denied; a few
// never seen are let through.
type clientFilter struct {
	bits [clientFilterBits / 64]uint64
	// added counts the addresses that set a new bit; beyond
	// maxFilteredClients the filter says yes to everything.
	added int
	full  bool
	// last is the previous raw address and its canonical form: clients
	// repeat from one line to the next, and IPv6 text costs a parse.
	lastRaw, lastCanon string
}

const (
	clientFilterBits   = 1 << 15 // 4 KB a file
	maxFilteredClients = 4000    // about 3% let through at this fill
)

var clientSeed = maphash.MakeSeed()

// canonical is an address as findings write it: plain IPv4 text as it is,
// other forms (IPv6, zones, ports, mapped addresses) normalised.
func (c *clientFilter) canonical(raw []byte) string {
	if bytes.IndexByte(raw, ':') < 0 && bytes.IndexByte(raw, '%') < 0 && bytes.IndexByte(raw, '[') < 0 {
		return string(raw)
	}
	if string(raw) == c.lastRaw {
		return c.lastCanon
	}
	c.lastRaw, c.lastCanon = string(raw), finding.NormaliseIP(string(raw))
	return c.lastCanon
}

func (c *clientFilter) positions(addr string) [3]uint32 {
	h := maphash.String(clientSeed, addr)
	return [3]uint32{uint32(h) % clientFilterBits, uint32(h>>21) % clientFilterBits, uint32(h>>42) % clientFilterBits}
}

// add records a raw client address.
func (c *clientFilter) add(raw []byte) {
	if c.full || len(raw) == 0 {
		return
	}
	addr := c.canonical(raw)
	if addr == "" {
		return
	}
	fresh := false
	for _, p := range c.positions(addr) {
		w, b := p/64, uint64(1)<<(p%64)
		if c.bits[w]&b == 0 {
			c.bits[w] |= b
			fresh = true
		}
	}
	if fresh {
		c.added++
		c.full = c.added > maxFilteredClients
	}
}

// mayHold reports whether the file may hold a request of the address
// (canonical form).
func (c *clientFilter) mayHold(addr string) bool {
	if c == nil || c.full {
		return true
	}
	for _, p := range c.positions(addr) {
		if c.bits[p/64]&(uint64(1)<<(p%64)) == 0 {
			return false
		}
	}
	return true
}

// clientFields are the client address fields of the log families that
// have one.
var clientFields = map[detect.LogFamily]string{
	detect.HttpProxy: finding.KeyClientIP,
	detect.IIS:       finding.KeyW3CClientIP,
}
