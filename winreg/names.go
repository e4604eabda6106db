package winreg

import (
	"encoding/binary"
	"unicode"
	"unicode/utf16"
)

// decodeName turns a stored key or value name into a string. Names whose
// characters all fit in one byte are stored "compressed", one Latin-1 byte
// per character; all others are UTF-16LE.
func decodeName(raw []byte, compressed bool) string {
	if compressed {
		runes := make([]rune, len(raw))
		for i, b := range raw {
			runes[i] = rune(b)
		}
		return string(runes)
	}
	return decodeUTF16(raw)
}

// decodeUTF16 decodes UTF-16LE, dropping an odd trailing byte (Windows
// sometimes stores string data one byte short) and replacing unpaired
// surrogates with U+FFFD.
func decodeUTF16(raw []byte) string {
	units := make([]uint16, len(raw)/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	return string(utf16.Decode(units))
}

// encodeName returns the stored form of a name and whether it is compressed,
// choosing the compressed form whenever it can hold the name, as Windows
// does.
func encodeName(name string) (raw []byte, compressed bool) {
	if latin1, ok := encodeLatin1(name); ok {
		return latin1, true
	}
	return encodeUTF16(name), false
}

func encodeLatin1(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			return nil, false
		}
		out = append(out, byte(r))
	}
	return out, true
}

func encodeUTF16(s string) []byte {
	units := utf16.Encode([]rune(s))
	out := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(out[2*i:], u)
	}
	return out
}

// utf16Len is the length of s in UTF-16 code units, the unit of Windows'
// name length limits.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// upcaseUnit upper-cases one UTF-16 code unit the way the registry compares
// names: unit by unit, leaving surrogates (characters outside the BMP)
// unchanged.
func upcaseUnit(u uint16) uint16 {
	if utf16.IsSurrogate(rune(u)) {
		return u
	}
	if up := unicode.ToUpper(rune(u)); up <= 0xFFFF {
		return uint16(up)
	}
	return u
}

// upcaseUnits returns the name as upper-cased UTF-16 code units, the form
// in which Windows compares, sorts and hashes names.
func upcaseUnits(name string) []uint16 {
	units := utf16.Encode([]rune(name))
	for i, u := range units {
		units[i] = upcaseUnit(u)
	}
	return units
}

// sameName reports whether two key or value names are equal under the
// registry's case-insensitive comparison.
func sameName(a, b string) bool {
	ua, ub := upcaseUnits(a), upcaseUnits(b)
	if len(ua) != len(ub) {
		return false
	}
	for i := range ua {
		if ua[i] != ub[i] {
			return false
		}
	}
	return true
}
