package evtx

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
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
	elem := v.typ &^ typeArrayFlag
	var out []string
	switch elem {
	case typeString:
		// NUL-terminated UTF-16 strings one after the other
		u := utf16le(v.data)
		start := 0
		for i, c := range u {
			if c == 0 {
				out = append(out, string(utf16.Decode(u[start:i])))
				start = i + 1
			}
		}
		if start < len(u) {
			out = append(out, string(utf16.Decode(u[start:])))
		}
	case typeANSIString:
		for _, s := range strings.Split(strings.TrimRight(string(v.data), "\x00"), "\x00") {
			out = append(out, s)
		}
	default:
		size := fixedSize(elem)
		if elem == typeSizeT {
			size = 8
			if len(v.data)%8 != 0 {
				size = 4
			}
		}
		if size == 0 {
			return []string{hexUpper(v.data)}
		}
		for i := 0; i+size <= len(v.data); i += size {
			out = append(out, formatScalar(elem, v.data[i:i+size]))
		}
	}
	return out
}

func utf16le(b []byte) []uint16 {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return u
}

func decodeUTF16(b []byte) string {
	u := utf16le(b)
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}

func hexUpper(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// fileTime converts a Windows FILETIME (100 ns since 1601) to UTC time.
func fileTime(ft uint64) time.Time {
	const epochDiff = 116444736000000000 // 1601-01-01 to 1970-01-01 in 100 ns
	if ft < epochDiff {
		return time.Unix(0, 0).UTC().Add(-time.Duration((epochDiff-ft)/10000000) * time.Second)
	}
	d := ft - epochDiff
	return time.Unix(int64(d/10000000), int64(d%10000000)*100).UTC()
}

// timeLayout is how evtxexport writes times: nine fractional digits.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatScalar(typ uint8, b []byte) string {
	le := binary.LittleEndian
	if n := fixedSize(typ); n > 0 && len(b) < n {
		return hexUpper(b) // too short for its type: show the bytes
	}
	switch typ {
	case typeNull:
		return ""
	case typeString:
		return decodeUTF16(b)
	case typeANSIString:
		return strings.TrimRight(string(b), "\x00")
	case typeInt8:
		return strconv.Itoa(int(int8(b[0])))
	case typeUint8:
		return strconv.Itoa(int(b[0]))
	case typeInt16:
		return strconv.Itoa(int(int16(le.Uint16(b))))
	case typeUint16:
		return strconv.Itoa(int(le.Uint16(b)))
	case typeInt32:
		return strconv.FormatInt(int64(int32(le.Uint32(b))), 10)
	case typeUint32:
		return strconv.FormatUint(uint64(le.Uint32(b)), 10)
	case typeInt64:
		return strconv.FormatInt(int64(le.Uint64(b)), 10)
	case typeUint64:
		return strconv.FormatUint(le.Uint64(b), 10)
	case typeFloat:
		return strconv.FormatFloat(float64(math.Float32frombits(le.Uint32(b))), 'g', -1, 32)
	case typeDouble:
		return strconv.FormatFloat(math.Float64frombits(le.Uint64(b)), 'g', -1, 64)
	case typeBool:
		if le.Uint32(b) != 0 {
			return "true"
		}
		return "false"
	case typeGUID:
		return fmt.Sprintf("{%08X-%04X-%04X-%04X-%s}", le.Uint32(b), le.Uint16(b[4:]), le.Uint16(b[6:]), binary.BigEndian.Uint16(b[8:]), hexUpper(b[10:16]))
	case typeSizeT, typeHexInt32, typeHexInt64, typeEvtHandle:
		switch len(b) {
		case 4:
			return paddedHex(uint64(le.Uint32(b)), 8)
		case 8:
			return paddedHex(le.Uint64(b), 16)
		}
		return "0x" + hex.EncodeToString(b)
	case typeFileTime:
		return fileTime(le.Uint64(b)).Format(timeLayout)
	case typeSystemTime:
		return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", le.Uint16(b), le.Uint16(b[2:]), le.Uint16(b[6:]), le.Uint16(b[8:]), le.Uint16(b[10:]), le.Uint16(b[12:]), le.Uint16(b[14:]))
	case typeSID:
		return formatSID(b)
	}
	return hexUpper(b) // binary and anything unknown
}

func formatSID(b []byte) string {
	if len(b) < 8 {
		return hexUpper(b)
	}
	count := int(b[1])
	if len(b) < 8+4*count {
		return hexUpper(b)
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "S-%d-%d", b[0], auth)
	for i := 0; i < count; i++ {
		fmt.Fprintf(&sb, "-%d", binary.LittleEndian.Uint32(b[8+4*i:]))
	}
	return sb.String()
}

// paddedHex writes n as "0x" and digits lower-case hex digits (fmt is slow here: every record has Keywords).
func paddedHex(n uint64, digits int) string {
	var buf [18]byte
	buf[0], buf[1] = '0', 'x'
	for i := digits + 1; i >= 2; i-- {
		buf[i] = "0123456789abcdef"[n&0xf]
		n >>= 4
	}
	return string(buf[:digits+2])
}
