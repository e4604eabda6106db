package yara

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"math"
)

// block returns the bytes the (offset, size) arguments select; ok is false
// when the offset is not inside the data (yara 4.2: offset == filesize is
// undefined too). The size is clamped to the data.
func (sc *scanner) block(off, size value) ([]byte, bool) {
	if off.k != vInt || size.k != vInt || off.i < 0 || size.i < 0 || off.i >= int64(len(sc.data)) {
		return nil, false
	}
	end := off.i + size.i
	if end > int64(len(sc.data)) || end < off.i {
		end = int64(len(sc.data))
	}
	return sc.data[off.i:end], true
}

// dataArg handles the two forms of the math and hash functions: (offset,
// size, rest…) over the scanned data, or (string, rest…).
func (sc *scanner) dataArg(args []value, extra int) ([]byte, []value, bool) {
	if len(args) == extra+1 && args[0].k == vStr {
		return args[0].s, args[1:], true
	}
	if len(args) == extra+2 {
		b, ok := sc.block(args[0], args[1])
		return b, args[2:], ok
	}
	return nil, nil, false
}

func histogram(b []byte) *[256]int64 {
	var h [256]int64
	for _, c := range b {
		h[c]++
	}
	return &h
}

// mathFn evaluates a function of the math module. A NaN result (a mean
// of nothing) is undefined, as in yara 4.2.
func (sc *scanner) mathFn(name string, args []value) value {
	v := sc.mathValue(name, args)
	if v.k == vFloat && math.IsNaN(v.f) {
		return undef
	}
	return v
}

func (sc *scanner) mathValue(name string, args []value) value {
	switch name {
	case "in_range":
		if len(args) != 3 {
			return undef
		}
		t, ok1 := args[0].num()
		lo, ok2 := args[1].num()
		hi, ok3 := args[2].num()
		if !ok1 || !ok2 || !ok3 {
			return undef
		}
		return vbool(t >= lo && t <= hi)
	case "min", "max":
		if len(args) != 2 || args[0].k != vInt || args[1].k != vInt {
			return undef
		}
		a, b := uint64(args[0].i), uint64(args[1].i)
		if (name == "min") == (a < b) {
			return vint(int64(a))
		}
		return vint(int64(b))
	case "to_number":
		if len(args) != 1 || args[0].k != vBool && args[0].k != vInt {
			return undef
		}
		if args[0].i != 0 {
			return vint(1)
		}
		return vint(0)
	case "abs":
		if len(args) != 1 || args[0].k != vInt {
			return undef
		}
		if args[0].i < 0 {
			return vint(-args[0].i)
		}
		return args[0]
	case "count", "percentage":
		if len(args) < 1 || args[0].k != vInt {
			return undef
		}
		c := args[0].i
		var b []byte
		switch len(args) {
		case 1:
			if b = sc.data; len(b) == 0 {
				return undef
			}
		case 3:
			var ok bool
			if b, ok = sc.block(args[1], args[2]); !ok {
				return undef
			}
		default:
			return undef
		}
		n := histogram(b)[uint8(c)] // yara 4.2 takes the byte value modulo 256
		if name == "count" {
			return vint(n)
		}
		if len(b) == 0 {
			return undef
		}
		return vfloat(float64(n) / float64(len(b)))
	case "mode":
		var b []byte
		switch len(args) {
		case 0:
			if b = sc.data; len(b) == 0 {
				return undef
			}
		case 2:
			var ok bool
			if b, ok = sc.block(args[0], args[1]); !ok {
				return undef
			}
		default:
			return undef
		}
		if len(b) == 0 {
			return vint(0)
		}
		h := histogram(b)
		best := 0
		for i := 1; i < 256; i++ {
			if h[i] > h[best] {
				best = i
			}
		}
		return vint(int64(best))
	}
	extra := 0
	if name == "deviation" {
		extra = 1
	}
	b, rest, ok := sc.dataArg(args, extra)
	if !ok {
		return undef
	}
	n := float64(len(b))
	switch name {
	case "entropy":
		h := histogram(b)
		ent := 0.0
		for _, c := range h {
			if c > 0 {
				p := float64(c) / n
				ent -= p * math.Log2(p)
			}
		}
		return vfloat(ent)
	case "mean":
		sum := 0.0
		for _, c := range b {
			sum += float64(c)
		}
		return vfloat(sum / n)
	case "deviation":
		m, ok := rest[0].num()
		if !ok {
			return undef
		}
		sum := 0.0
		for _, c := range b {
			sum += math.Abs(float64(c) - m)
		}
		return vfloat(sum / n)
	case "serial_correlation":
		// Sum of products of neighbouring bytes; yara 4.2 closes the cycle
		// with the last byte times itself (not times the first), and so
		// does this, to agree with it.
		var prod, sum, sq float64
		for i, c := range b {
			v := float64(c)
			if i > 0 {
				prod += float64(b[i-1]) * v
			}
			sum += v
			sq += v * v
		}
		if len(b) > 0 {
			last := float64(b[len(b)-1])
			prod += last * last
		}
		sum *= sum
		d := n*sq - sum
		if d == 0 {
			return vfloat(-100000)
		}
		return vfloat((n*prod - sum) / d)
	case "monte_carlo_pi":
		const mpsize = 6
		incirc := math.Pow(256.0, mpsize/2) - 1
		incirc *= incirc
		inmont, mcount := 0, 0
		for i := 0; i+mpsize <= len(b); i += mpsize {
			var x, y float64
			for j := 0; j < mpsize/2; j++ {
				x = x*256 + float64(b[i+j])
				y = y*256 + float64(b[i+j+mpsize/2])
			}
			mcount++
			if x*x+y*y <= incirc {
				inmont++
			}
		}
		if mcount == 0 {
			return undef
		}
		pi := 4 * float64(inmont) / float64(mcount)
		return vfloat(math.Abs(pi-math.Pi) / math.Pi)
	}
	return undef
}

func (sc *scanner) hashFn(name string, args []value) value {
	b, _, ok := sc.dataArg(args, 0)
	if !ok {
		return undef
	}
	var sum []byte
	switch name {
	case "md5":
		s := md5.Sum(b)
		sum = s[:]
	case "sha1":
		s := sha1.Sum(b)
		sum = s[:]
	case "sha256":
		s := sha256.Sum256(b)
		sum = s[:]
	case "crc32":
		return vint(int64(crc32.ChecksumIEEE(b)))
	case "checksum32":
		var c uint32
		for _, x := range b {
			c += uint32(x)
		}
		return vint(int64(c))
	default:
		return undef
	}
	return vstr([]byte(hex.EncodeToString(sum)))
}
