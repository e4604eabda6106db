package atoms

import (
	"errors"
	"fmt"
)

// Modifiers of a YARA text string. With neither ASCII nor Wide the string
// is ASCII. Xor uses keys XorMin..XorMax (yara's plain `xor` is 0..255).
type Modifiers struct {
	ASCII, Wide, NoCase, Fullword bool
	Xor                           bool
	XorMin, XorMax                int
	Base64, Base64Wide            bool
	Base64Alphabet                string // "" = standard alphabet
}

// Literal is one byte string to search for, derived from a text string.
type Literal struct {
	Bytes    []byte
	NoCase   bool
	Fullword bool
	Wide     bool // fullword boundaries are checked as UTF-16LE characters
}

const stdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// MaxLiteral bounds the length of a text string.
const MaxLiteral = 1 << 16

// Expand returns the literals for text string s with modifiers md; a hit
// of Literal l at offset o is a match of the string iff l.Verify(data, o).
// Invalid combinations are rejected as yara 4.2 does.
func Expand(s []byte, md Modifiers) ([]Literal, error) {
	switch {
	case len(s) == 0:
		return nil, errors.New("empty text string")
	case len(s) > MaxLiteral:
		return nil, errors.New("text string too long")
	case md.Xor && md.NoCase:
		return nil, errors.New("invalid modifier combination: xor nocase")
	case (md.Base64 || md.Base64Wide) && md.NoCase:
		return nil, errors.New("invalid modifier combination: base64 nocase")
	case (md.Base64 || md.Base64Wide) && md.Fullword:
		return nil, errors.New("invalid modifier combination: base64 fullword")
	case (md.Base64 || md.Base64Wide) && md.Xor:
		return nil, errors.New("invalid modifier combination: base64 xor")
	case md.Xor && (md.XorMin < 0 || md.XorMax > 255 || md.XorMin > 255 || md.XorMax < 0):
		return nil, errors.New("invalid xor range")
	case md.Xor && md.XorMin > md.XorMax:
		return nil, errors.New("xor lower bound exceeds upper bound")
	}
	alpha := md.Base64Alphabet
	if alpha == "" {
		alpha = stdAlphabet
	} else if len(alpha) != 64 {
		return nil, errors.New("length of base64 alphabet must be 64")
	}
	var forms [][]byte
	var wide []bool
	if md.ASCII || !md.Wide {
		forms, wide = append(forms, s), append(wide, false)
	}
	if md.Wide {
		forms, wide = append(forms, widen(s)), append(wide, true)
	}
	var out []Literal
	seen := map[string]bool{}
	add := func(b []byte, w bool) {
		k := string(b)
		if w {
			k = "w" + k
		}
		if len(b) == 0 || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, Literal{Bytes: b, NoCase: md.NoCase, Fullword: md.Fullword, Wide: w})
	}
	for i, f := range forms {
		switch {
		case md.Base64 || md.Base64Wide:
			for _, e := range base64Variants(f, alpha) {
				if md.Base64 {
					add(e, false)
				}
				if md.Base64Wide {
					add(widen(e), false)
				}
			}
		case md.Xor:
			for k := md.XorMin; k <= md.XorMax; k++ {
				x := make([]byte, len(f))
				for j, c := range f {
					x[j] = c ^ byte(k)
				}
				add(x, wide[i])
			}
		default:
			add(f, wide[i])
		}
	}
	return out, nil
}

func widen(s []byte) []byte {
	w := make([]byte, 2*len(s))
	for i, c := range s {
		w[2*i] = c
	}
	return w
}

// base64Variants gives the encodings of s at the three alignments, cut
// to the characters that depend only on s (yara's three derived strings).
func base64Variants(s []byte, alpha string) [][]byte {
	var out [][]byte
	for k := 0; k < 3; k++ {
		buf := make([]byte, k+len(s))
		copy(buf[k:], s)
		enc := encode(buf, alpha)
		lead := []int{0, 2, 3}[k]
		trail := 0
		if (k+len(s))%3 != 0 {
			trail = 1
		}
		if lead+trail >= len(enc) {
			continue
		}
		out = append(out, enc[lead:len(enc)-trail])
	}
	return out
}

// encode is unpadded base64 with the given alphabet.
func encode(b []byte, alpha string) []byte {
	var out []byte
	for i := 0; i < len(b); i += 3 {
		var v uint32
		n := min(3, len(b)-i)
		for j := 0; j < 3; j++ {
			v <<= 8
			if j < n {
				v |= uint32(b[i+j])
			}
		}
		for j := 0; j < n+1; j++ {
			out = append(out, alpha[v>>(18-6*j)&63])
		}
	}
	return out
}

func alnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// Verify checks a hit of l at start in data (the fullword condition, as
// yara 4.2: the neighbouring bytes must not be ASCII alphanumeric; for
// wide literals the neighbouring character is an alphanumeric byte
// followed (after) or preceded by its 0x00, i.e. data[start-2] alnum and
// data[start-1]==0, or data[end] alnum and data[end+1]==0; an '_' is
// not alphanumeric).
func (l Literal) Verify(data []byte, start int) bool {
	end := start + len(l.Bytes)
	if start < 0 || end > len(data) {
		return false
	}
	if !l.Fullword {
		return true
	}
	if l.Wide {
		if start >= 2 && data[start-1] == 0 && alnum(data[start-2]) {
			return false
		}
		if end+1 < len(data) && data[end+1] == 0 && alnum(data[end]) {
			return false
		}
		return true
	}
	if start >= 1 && alnum(data[start-1]) {
		return false
	}
	if end < len(data) && alnum(data[end]) {
		return false
	}
	return true
}

// String describes a literal for errors and debugging.
func (l Literal) String() string {
	return fmt.Sprintf("%q nocase=%v fullword=%v wide=%v", l.Bytes, l.NoCase, l.Fullword, l.Wide)
}
