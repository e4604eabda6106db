package evtxwrite

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

// Binary XML value types (MS-EVEN6 2.2.18; libevtx "value types").
const (
	typeNull       = 0x00
	typeString     = 0x01
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
	typeFileTime   = 0x11
	typeSystemTime = 0x12
	typeSID        = 0x13
	typeHexInt32   = 0x14
	typeHexInt64   = 0x15
	typeBinXML     = 0x21
	typeArray      = 0x80
)

// GUID is a value written as a binary GUID (type 0x0f), given in its usual
// text form "{C76BAA63-AE81-421C-B425-340B4B24157F}" (braces optional).
type GUID string

// SID is a value written as a binary security identifier (type 0x13),
// given in its text form "S-1-5-21-...".
type SID string

// ANSIString is a value written as an 8-bit string (type 0x02) instead of UTF-16.
type ANSIString string

// Hex32 and Hex64 are integers that readers print in hexadecimal (types 0x14
// and 0x15), as Windows stores logon ids, process ids of the Security log,
// status codes and keywords.
type (
	Hex32 uint32
	Hex64 uint64
)

// SystemTime is a time written as a SYSTEMTIME structure (type 0x12, millisecond precision).
type SystemTime time.Time

// fileTimeEpoch is 1970-01-01 in 100 ns intervals since 1601-01-01.
const fileTimeEpoch = 116444736000000000

// FileTime converts t to a Windows FILETIME; the time is truncated to 100 ns.
func FileTime(t time.Time) (uint64, error) {
	if t.IsZero() {
		return 0, fmt.Errorf("zero time")
	}
	// Split seconds and nanoseconds: UnixNano overflows outside 1678..2262.
	secs := t.Unix() + fileTimeEpoch/1e7 // seconds since 1601
	if secs < 0 || secs >= math.MaxInt64/10_000_000 {
		return 0, fmt.Errorf("time %v cannot be a FILETIME", t)
	}
	return uint64(secs*1e7 + int64(t.Nanosecond()/100)), nil
}

// encodeValue returns the binary XML type and bytes of a substitution value.
// An empty array other than []string is null: libevtx cannot read an empty
// array of fixed-size elements.
func encodeValue(v any) (byte, []byte, error) {
	typ, data, err := encodeValue1(v)
	if typ&typeArray != 0 && typ != typeArray|typeString && len(data) == 0 {
		return typeNull, nil, err
	}
	return typ, data, err
}

func encodeValue1(v any) (byte, []byte, error) {
	le := binary.LittleEndian
	switch v := v.(type) {
	case nil:
		return typeNull, nil, nil
	case string:
		return typeString, utf16le(v), nil
	case ANSIString:
		return typeANSIString, []byte(v), nil
	case int8:
		return typeInt8, []byte{byte(v)}, nil
	case uint8:
		return typeUint8, []byte{v}, nil
	case int16:
		return typeInt16, le.AppendUint16(nil, uint16(v)), nil
	case uint16:
		return typeUint16, le.AppendUint16(nil, v), nil
	case int32:
		return typeInt32, le.AppendUint32(nil, uint32(v)), nil
	case uint32:
		return typeUint32, le.AppendUint32(nil, v), nil
	case int64:
		return typeInt64, le.AppendUint64(nil, uint64(v)), nil
	case int:
		return typeInt64, le.AppendUint64(nil, uint64(v)), nil
	case uint64:
		return typeUint64, le.AppendUint64(nil, v), nil
	case uint:
		return typeUint64, le.AppendUint64(nil, uint64(v)), nil
	case float32:
		return typeFloat, le.AppendUint32(nil, math.Float32bits(v)), nil
	case float64:
		return typeDouble, le.AppendUint64(nil, math.Float64bits(v)), nil
	case bool:
		var b uint32
		if v {
			b = 1
		}
		return typeBool, le.AppendUint32(nil, b), nil
	case []byte:
		return typeBinary, v, nil
	case GUID:
		b, err := parseGUID(string(v))
		return typeGUID, b, err
	case Hex32:
		return typeHexInt32, le.AppendUint32(nil, uint32(v)), nil
	case Hex64:
		return typeHexInt64, le.AppendUint64(nil, uint64(v)), nil
	case time.Time:
		ft, err := FileTime(v)
		return typeFileTime, le.AppendUint64(nil, ft), err
	case SystemTime:
		b, err := systemTime(time.Time(v))
		return typeSystemTime, b, err
	case SID:
		b, err := parseSID(string(v))
		return typeSID, b, err
	case []string:
		var b []byte
		for _, s := range v {
			if strings.ContainsRune(s, 0) {
				return 0, nil, fmt.Errorf("string array element %q holds a NUL, the element separator", s)
			}
			b = append(b, utf16le(s)...)
			b = append(b, 0, 0)
		}
		return typeArray | typeString, b, nil
	case []uint16:
		return typeArray | typeUint16, appendAll(v, le.AppendUint16), nil
	case []uint32:
		return typeArray | typeUint32, appendAll(v, le.AppendUint32), nil
	case []uint64:
		return typeArray | typeUint64, appendAll(v, le.AppendUint64), nil
	case []int32:
		return typeArray | typeInt32, appendAll(v, func(b []byte, n int32) []byte { return le.AppendUint32(b, uint32(n)) }), nil
	case []int64:
		return typeArray | typeInt64, appendAll(v, func(b []byte, n int64) []byte { return le.AppendUint64(b, uint64(n)) }), nil
	case []Hex64:
		return typeArray | typeHexInt64, appendAll(v, func(b []byte, n Hex64) []byte { return le.AppendUint64(b, uint64(n)) }), nil
	case []GUID:
		var b []byte
		for _, g := range v {
			gb, err := parseGUID(string(g))
			if err != nil {
				return 0, nil, err
			}
			b = append(b, gb...)
		}
		return typeArray | typeGUID, b, nil
	}
	return 0, nil, fmt.Errorf("unsupported value type %T", v)
}

func appendAll[T any](v []T, add func([]byte, T) []byte) []byte {
	var b []byte
	for _, n := range v {
		b = add(b, n)
	}
	return b
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// parseGUID turns "{8-4-4-4-12}" into the 16 bytes of a Windows GUID: the
// first three groups little-endian, the last two as written.
func parseGUID(s string) ([]byte, error) {
	t := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	parts := strings.Split(t, "-")
	if len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 4 || len(parts[2]) != 4 || len(parts[3]) != 4 || len(parts[4]) != 12 {
		return nil, fmt.Errorf("GUID %q is not of the form {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}", s)
	}
	raw, err := hex.DecodeString(strings.Join(parts, ""))
	if err != nil {
		return nil, fmt.Errorf("GUID %q: %v", s, err)
	}
	b := make([]byte, 16)
	binary.LittleEndian.PutUint32(b, binary.BigEndian.Uint32(raw))
	binary.LittleEndian.PutUint16(b[4:], binary.BigEndian.Uint16(raw[4:]))
	binary.LittleEndian.PutUint16(b[6:], binary.BigEndian.Uint16(raw[6:]))
	copy(b[8:], raw[8:])
	return b, nil
}

// parseSID turns "S-1-5-21-1-2-3-500" into the binary SID: revision,
// sub-authority count, 48-bit big-endian authority, little-endian sub-authorities.
func parseSID(s string) ([]byte, error) {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || !strings.EqualFold(parts[0], "S") || len(parts)-3 > 15 {
		return nil, fmt.Errorf("SID %q is not of the form S-1-5-...", s)
	}
	rev, err := strconv.ParseUint(parts[1], 10, 8)
	if err != nil {
		return nil, fmt.Errorf("SID %q: revision: %v", s, err)
	}
	auth, err := strconv.ParseUint(parts[2], 0, 48)
	if err != nil {
		return nil, fmt.Errorf("SID %q: authority: %v", s, err)
	}
	b := []byte{byte(rev), byte(len(parts) - 3), byte(auth >> 40), byte(auth >> 32), byte(auth >> 24), byte(auth >> 16), byte(auth >> 8), byte(auth)}
	for _, p := range parts[3:] {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("SID %q: sub-authority: %v", s, err)
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
	}
	return b, nil
}

// systemTime encodes a SYSTEMTIME: year, month, day of week, day, hour,
// minute, second, milliseconds, each a little-endian uint16.
func systemTime(t time.Time) ([]byte, error) {
	t = t.UTC()
	if t.Year() < 1601 || t.Year() > 30827 {
		return nil, fmt.Errorf("time %v cannot be a SYSTEMTIME", t)
	}
	var b []byte
	for _, n := range []int{t.Year(), int(t.Month()), int(t.Weekday()), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond() / 1e6} {
		b = binary.LittleEndian.AppendUint16(b, uint16(n))
	}
	return b, nil
}
