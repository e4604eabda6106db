package evtx

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Binary XML value types (MS-EVEN6 2.2.18 / libevtx "value types").
const (
	typeNull       = 0x00
	typeString     = 0x01 // UTF-16LE
	typeANSIString = 0x02
	typeInt8       = 0x03
	typeUint8      = 0x04
	typeInt16      = 0x05
	typeUint16     = 0x06
	typeInt32      = 0x07
	typeUint32     = 0x08
	typeInt64      = 0x09
	typeUint64     = 0x0a
	typeFloat      = 0x0b
	typeDouble     = 0x0c
	typeBool       = 0x0d
	typeBinary     = 0x0e
	typeGUID       = 0x0f
	typeSizeT      = 0x10
	typeFileTime   = 0x11
	typeSystemTime = 0x12
	typeSID        = 0x13
	typeHexInt32   = 0x14
	typeHexInt64   = 0x15
	typeEvtHandle  = 0x20
	typeBinXML     = 0x21
	typeEvtXML     = 0x23
	typeArrayFlag  = 0x80
)

// value is one substitution value of a template instance.
type value struct {
	typ    uint8
	data   []byte
	nested []*node // the decoded fragment when typ is typeBinXML
}

// fixedSize is the size of one element of a fixed-size type, 0 if variable.
func fixedSize(typ uint8) int {
	switch typ {
	case typeInt8, typeUint8:
		return 1
	case typeInt16, typeUint16:
		return 2
	case typeInt32, typeUint32, typeFloat, typeBool, typeHexInt32:
		return 4
	case typeInt64, typeUint64, typeDouble, typeFileTime, typeHexInt64:
		return 8
	case typeGUID, typeSystemTime:
		return 16
	}
	return 0
}

// strings renders the value as text; arrays give one string per element.
func (v *value) strings() []string {
	if v.typ&typeArrayFlag == 0 {
		return []string{formatScalar(v.typ, v.data)}
	}
	var ends []int
	text := string(appendArray(nil, v.typ, v.data, &ends))
	return splitAt(text, ends)
}

// splitAt cuts text, which holds elements separated by one byte, at the
// element ends given.
func splitAt(text string, ends []int) []string {
	if len(ends) == 0 {
		return nil
	}
	out := make([]string, len(ends))
	start := 0
	for i, end := range ends {
		out[i] = text[start:end]
		start = end + 1
	}
	return out
}

// appendArray appends the elements of an array value joined by newlines, as
// the text of an array substitution reads, and the end offset in dst of each
// element to ends.
func appendArray(dst []byte, typ uint8, data []byte, ends *[]int) []byte {
	elem := typ &^ typeArrayFlag
	first := true
	switch elem {
	case typeString:
		// NUL-terminated UTF-16 strings one after the other
		start := 0
		for i := 0; i+1 < len(data); i += 2 {
			if data[i] == 0 && data[i+1] == 0 {
				if !first {
					dst = append(dst, '\n')
				}
				first = false
				dst = appendUTF16(dst, data[start:i])
				*ends = append(*ends, len(dst))
				start = i + 2
			}
		}
		if start < len(data)&^1 {
			if !first {
				dst = append(dst, '\n')
			}
			first = false
			dst = appendUTF16(dst, data[start:])
			*ends = append(*ends, len(dst))
		}
	case typeANSIString:
		text := data
		for len(text) > 0 && text[len(text)-1] == 0 {
			text = text[:len(text)-1]
		}
		for {
			if !first {
				dst = append(dst, '\n')
			}
			first = false
			i := bytes.IndexByte(text, 0)
			if i < 0 {
				dst = append(dst, text...)
				*ends = append(*ends, len(dst))
				break
			}
			dst = append(dst, text[:i]...)
			*ends = append(*ends, len(dst))
			text = text[i+1:]
		}
	default:
		size := fixedSize(elem)
		if elem == typeSizeT {
			size = 8
			if len(data)%8 != 0 {
				size = 4
			}
		}
		if size == 0 {
			dst = appendHexUpper(dst, data)
			*ends = append(*ends, len(dst))
			return dst
		}
		for i := 0; i+size <= len(data); i += size {
			if !first {
				dst = append(dst, '\n')
			}
			first = false
			dst = appendScalar(dst, elem, data[i:i+size])
			*ends = append(*ends, len(dst))
		}
	}
	return dst
}

// appendUTF16 appends UTF-16LE text as UTF-8, an unpaired surrogate as
// U+FFFD (as unicode/utf16 decodes), an odd last byte ignored.
func appendUTF16(dst, b []byte) []byte {
	n := len(b) / 2
	for i := 0; i < n; i++ {
		u := rune(b[2*i]) | rune(b[2*i+1])<<8
		switch {
		case u < 0x80:
			dst = append(dst, byte(u))
			continue
		case u < 0xd800 || u >= 0xe000:
		case u < 0xdc00 && i+1 < n:
			lo := rune(b[2*i+2]) | rune(b[2*i+3])<<8
			if lo >= 0xdc00 && lo < 0xe000 {
				u = 0x10000 + (u-0xd800)<<10 + (lo - 0xdc00)
				i++
			} else {
				u = utf8.RuneError
			}
		default:
			u = utf8.RuneError
		}
		dst = utf8.AppendRune(dst, u)
	}
	return dst
}

// appendUTF16Value is appendUTF16 without the NUL units that end a string value.
func appendUTF16Value(dst, b []byte) []byte {
	b = b[:len(b)&^1]
	for len(b) >= 2 && b[len(b)-1] == 0 && b[len(b)-2] == 0 {
		b = b[:len(b)-2]
	}
	return appendUTF16(dst, b)
}

func appendHexUpper(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&0xf])
	}
	return dst
}

// fileTime converts a Windows FILETIME (100 ns since 1601) to UTC time.
func fileTime(ft uint64) time.Time {
	// Seconds from 1601 less those to 1970: negative before 1970, which
	// time.Unix takes with the fraction still positive (0 is 1601-01-01,
	// Windows' "never").
	const secondsTo1970 = 11644473600
	return time.Unix(int64(ft/10000000)-secondsTo1970, int64(ft%10000000)*100).UTC()
}

// timeLayout is how evtxexport writes times: nine fractional digits.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// appendFileTime writes a FILETIME in timeLayout, by hand for the years
// that have four digits (time.Time.AppendFormat took a tenth of the decoding).
func appendFileTime(dst []byte, ft uint64) []byte {
	t := fileTime(ft)
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, timeLayout)
	}
	hour, minute, second := t.Clock()
	dst = appendDecimal(dst, uint16(year), 4)
	dst = append(dst, '-')
	dst = appendDecimal(dst, uint16(month), 2)
	dst = append(dst, '-')
	dst = appendDecimal(dst, uint16(day), 2)
	dst = append(dst, 'T')
	dst = appendDecimal(dst, uint16(hour), 2)
	dst = append(dst, ':')
	dst = appendDecimal(dst, uint16(minute), 2)
	dst = append(dst, ':')
	dst = appendDecimal(dst, uint16(second), 2)
	dst = append(dst, '.')
	ns := t.Nanosecond()
	var digits [9]byte
	for i := 8; i >= 0; i-- {
		digits[i] = byte('0' + ns%10)
		ns /= 10
	}
	dst = append(dst, digits[:]...)
	return append(dst, 'Z')
}

func formatScalar(typ uint8, b []byte) string { return string(appendScalar(nil, typ, b)) }

// appendScalar appends the text of a value that is not an array.
func appendScalar(dst []byte, typ uint8, b []byte) []byte {
	le := binary.LittleEndian
	if n := fixedSize(typ); n > 0 && len(b) < n {
		return appendHexUpper(dst, b) // too short for its type: show the bytes
	}
	switch typ {
	case typeNull:
		return dst
	case typeString:
		return appendUTF16Value(dst, b)
	case typeANSIString:
		for len(b) > 0 && b[len(b)-1] == 0 {
			b = b[:len(b)-1]
		}
		return append(dst, b...)
	case typeInt8:
		return strconv.AppendInt(dst, int64(int8(b[0])), 10)
	case typeUint8:
		return strconv.AppendUint(dst, uint64(b[0]), 10)
	case typeInt16:
		return strconv.AppendInt(dst, int64(int16(le.Uint16(b))), 10)
	case typeUint16:
		return strconv.AppendUint(dst, uint64(le.Uint16(b)), 10)
	case typeInt32:
		return strconv.AppendInt(dst, int64(int32(le.Uint32(b))), 10)
	case typeUint32:
		return strconv.AppendUint(dst, uint64(le.Uint32(b)), 10)
	case typeInt64:
		return strconv.AppendInt(dst, int64(le.Uint64(b)), 10)
	case typeUint64:
		return strconv.AppendUint(dst, le.Uint64(b), 10)
	case typeFloat:
		return strconv.AppendFloat(dst, float64(math.Float32frombits(le.Uint32(b))), 'g', -1, 32)
	case typeDouble:
		return strconv.AppendFloat(dst, math.Float64frombits(le.Uint64(b)), 'g', -1, 64)
	case typeBool:
		if le.Uint32(b) != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case typeGUID:
		dst = append(dst, '{')
		dst = appendHexUpper(dst, []byte{b[3], b[2], b[1], b[0]})
		dst = append(dst, '-')
		dst = appendHexUpper(dst, []byte{b[5], b[4]})
		dst = append(dst, '-')
		dst = appendHexUpper(dst, []byte{b[7], b[6]})
		dst = append(dst, '-')
		dst = appendHexUpper(dst, b[8:10])
		dst = append(dst, '-')
		dst = appendHexUpper(dst, b[10:16])
		return append(dst, '}')
	case typeSizeT, typeHexInt32, typeHexInt64, typeEvtHandle:
		switch len(b) {
		case 4:
			return appendPaddedHex(dst, uint64(le.Uint32(b)), 8)
		case 8:
			return appendPaddedHex(dst, le.Uint64(b), 16)
		}
		dst = append(dst, "0x"...)
		return hex.AppendEncode(dst, b)
	case typeFileTime:
		return appendFileTime(dst, le.Uint64(b))
	case typeSystemTime:
		dst = appendDecimal(dst, le.Uint16(b), 4)
		dst = append(dst, '-')
		dst = appendDecimal(dst, le.Uint16(b[2:]), 2)
		dst = append(dst, '-')
		dst = appendDecimal(dst, le.Uint16(b[6:]), 2)
		dst = append(dst, 'T')
		dst = appendDecimal(dst, le.Uint16(b[8:]), 2)
		dst = append(dst, ':')
		dst = appendDecimal(dst, le.Uint16(b[10:]), 2)
		dst = append(dst, ':')
		dst = appendDecimal(dst, le.Uint16(b[12:]), 2)
		dst = append(dst, '.')
		dst = appendDecimal(dst, le.Uint16(b[14:]), 3)
		return append(dst, 'Z')
	case typeSID:
		return appendSID(dst, b)
	}
	return appendHexUpper(dst, b) // binary and anything unknown
}

// appendDecimal writes n with at least width digits, zero-padded.
func appendDecimal(dst []byte, n uint16, width int) []byte {
	var buf [5]byte
	i := len(buf)
	for n > 0 || len(buf)-i < width {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, buf[i:]...)
}

func appendSID(dst, b []byte) []byte {
	if len(b) < 8 {
		return appendHexUpper(dst, b)
	}
	count := int(b[1])
	if len(b) < 8+4*count {
		return appendHexUpper(dst, b)
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	dst = append(dst, "S-"...)
	dst = strconv.AppendUint(dst, uint64(b[0]), 10)
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, auth, 10)
	for i := 0; i < count; i++ {
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10)
	}
	return dst
}

// appendPaddedHex writes n as "0x" and digits lower-case hex digits (fmt is slow here: every record has Keywords).
func appendPaddedHex(dst []byte, n uint64, digits int) []byte {
	dst = append(dst, '0', 'x')
	for i := digits - 1; i >= 0; i-- {
		dst = append(dst, "0123456789abcdef"[(n>>(4*uint(i)))&0xf])
	}
	return dst
}
