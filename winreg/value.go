package winreg

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// ValueType is the data type stored with a registry value.
type ValueType uint32

// The value types Windows defines. Other numbers occur (applications may
// store any type) and are returned as they are.
const (
	RegNone                     ValueType = 0
	RegSZ                       ValueType = 1 // UTF-16LE string
	RegExpandSZ                 ValueType = 2 // UTF-16LE string with %VARIABLES%
	RegBinary                   ValueType = 3
	RegDWORD                    ValueType = 4 // 32-bit little-endian
	RegDWORDBigEndian           ValueType = 5
	RegLink                     ValueType = 6 // UTF-16LE symbolic link target
	RegMultiSZ                  ValueType = 7 // NUL-separated UTF-16LE strings
	RegResourceList             ValueType = 8
	RegFullResourceDescriptor   ValueType = 9
	RegResourceRequirementsList ValueType = 10
	RegQWORD                    ValueType = 11 // 64-bit little-endian
)

var valueTypeNames = map[ValueType]string{
	RegNone:                     "REG_NONE",
	RegSZ:                       "REG_SZ",
	RegExpandSZ:                 "REG_EXPAND_SZ",
	RegBinary:                   "REG_BINARY",
	RegDWORD:                    "REG_DWORD",
	RegDWORDBigEndian:           "REG_DWORD_BIG_ENDIAN",
	RegLink:                     "REG_LINK",
	RegMultiSZ:                  "REG_MULTI_SZ",
	RegResourceList:             "REG_RESOURCE_LIST",
	RegFullResourceDescriptor:   "REG_FULL_RESOURCE_DESCRIPTOR",
	RegResourceRequirementsList: "REG_RESOURCE_REQUIREMENTS_LIST",
	RegQWORD:                    "REG_QWORD",
}

// String returns the Windows name of the type, such as "REG_SZ", or the
// number for types Windows does not define.
func (t ValueType) String() string {
	if name, ok := valueTypeNames[t]; ok {
		return name
	}
	return fmt.Sprintf("REG_TYPE_%#x", uint32(t))
}

// Key value ("vk") record layout.
const (
	vkNameOffset    = 20 // the name follows the fixed fields
	vkFlagCompName  = 0x0001
	vkInlineData    = 0x80000000 // in the data size: the data is in the offset field
	maxInlineData   = 4
	bigDataSegment  = 16344 // data bytes per big data segment, and the size above which big data is used
	bigDataMinMinor = 4     // hive minor version from which big data records exist
)

// Value is one value of a registry Key.
type Value struct {
	hive       *Hive
	offset     uint32
	name       string
	typ        ValueType
	dataSize   uint32 // as stored, including the inline flag
	dataOffset uint32
}

func (h *Hive) valueAt(off uint32) (*Value, error) {
	vk, err := h.cell(off)
	if err != nil {
		return nil, err
	}
	if !hasSignature(vk, "vk") || len(vk) < vkNameOffset {
		return nil, corruptf("cell at %#x is not a value record", off)
	}
	le := binary.LittleEndian
	nameLen := int(le.Uint16(vk[2:]))
	if vkNameOffset+nameLen > len(vk) {
		return nil, corruptf("value record at %#x has a %d byte name that overruns its cell", off, nameLen)
	}
	return &Value{
		hive:       h,
		offset:     off,
		name:       decodeName(vk[vkNameOffset:vkNameOffset+nameLen], le.Uint16(vk[16:])&vkFlagCompName != 0),
		typ:        ValueType(le.Uint32(vk[12:])),
		dataSize:   le.Uint32(vk[4:]),
		dataOffset: le.Uint32(vk[8:]),
	}, nil
}

// Name returns the value's name; the key's default value has the name "".
func (v *Value) Name() string { return v.name }

// Type returns the value's data type.
func (v *Value) Type() ValueType { return v.typ }

// Data returns the value's raw data.
func (v *Value) Data() ([]byte, error) {
	if v.dataSize&vkInlineData != 0 {
		size := v.dataSize &^ vkInlineData
		if size > maxInlineData {
			return nil, corruptf("value %q at %#x claims %d bytes of data stored in its record, where at most %d fit", v.name, v.offset, size, maxInlineData)
		}
		var inline [4]byte
		binary.LittleEndian.PutUint32(inline[:], v.dataOffset)
		return inline[:size], nil
	}
	size := int64(v.dataSize)
	if size == 0 {
		return []byte{}, nil
	}
	if size > maxValueDataSize {
		return nil, corruptf("value %q at %#x claims %d bytes of data, over the %d byte limit", v.name, v.offset, size, maxValueDataSize)
	}
	// Big data segments could repeat one cell, but real data cannot be
	// larger than the file holding it.
	if size > v.hive.dataEnd {
		return nil, corruptf("value %q at %#x claims %d bytes of data, more than the hive's %d bytes", v.name, v.offset, size, v.hive.dataEnd)
	}
	data, err := v.hive.cell(v.dataOffset)
	if err != nil {
		return nil, fmt.Errorf("data of value %q at %#x: %w", v.name, v.offset, err)
	}
	if size > bigDataSegment && v.hive.minorVersion >= bigDataMinMinor && hasSignature(data, "db") {
		return v.hive.bigData(data, v.dataOffset, int(size))
	}
	if size > int64(len(data)) {
		return nil, corruptf("value %q at %#x claims %d bytes of data, but its cell at %#x holds %d", v.name, v.offset, size, v.dataOffset, len(data))
	}
	return data[:size], nil
}

// bigData assembles data stored as a big data ("db") record: a list of
// segment cells of bigDataSegment bytes each, the last one partly used.
func (h *Hive) bigData(db []byte, at uint32, size int) ([]byte, error) {
	if len(db) < 8 {
		return nil, corruptf("big data record at %#x is truncated", at)
	}
	le := binary.LittleEndian
	segmentCount := int(le.Uint16(db[2:]))
	listOffset := le.Uint32(db[4:])
	if segmentCount*bigDataSegment < size {
		return nil, corruptf("big data record at %#x has %d segments, too few for %d bytes", at, segmentCount, size)
	}
	list, err := h.cell(listOffset)
	if err != nil {
		return nil, err
	}
	if 4*segmentCount > len(list) {
		return nil, corruptf("big data segment list at %#x is shorter than its %d segments", listOffset, segmentCount)
	}
	out := make([]byte, 0, size)
	for i := 0; len(out) < size; i++ {
		segmentOffset := le.Uint32(list[4*i:])
		segment, err := h.cell(segmentOffset)
		if err != nil {
			return nil, err
		}
		want := min(bigDataSegment, size-len(out))
		if len(segment) < want {
			return nil, corruptf("big data segment at %#x holds %d bytes, want %d", segmentOffset, len(segment), want)
		}
		out = append(out, segment[:want]...)
	}
	return out, nil
}

// String returns the value's data as text. REG_SZ, REG_EXPAND_SZ and
// REG_LINK are decoded from UTF-16LE up to the first NUL, as programs
// reading them through the Windows API see them; REG_MULTI_SZ strings are
// joined with "\n", ending at the empty string that terminates the list;
// integer types are formatted in decimal. Other types return an error; use
// Data for them.
func (v *Value) String() (string, error) {
	switch v.typ {
	case RegSZ, RegExpandSZ, RegLink:
		data, err := v.Data()
		if err != nil {
			return "", err
		}
		s, _, _ := strings.Cut(decodeUTF16(data), "\x00")
		return s, nil
	case RegMultiSZ:
		data, err := v.Data()
		if err != nil {
			return "", err
		}
		var strs []string
		for _, s := range strings.Split(decodeUTF16(data), "\x00") {
			if s == "" {
				break
			}
			strs = append(strs, s)
		}
		return strings.Join(strs, "\n"), nil
	case RegDWORD, RegDWORDBigEndian, RegQWORD:
		n, err := v.Uint64()
		if err != nil {
			return "", err
		}
		return strconv.FormatUint(n, 10), nil
	}
	return "", fmt.Errorf("winreg: value %q has type %v, which is not text or an integer", v.name, v.typ)
}

// Uint64 returns the number stored in a REG_DWORD, REG_DWORD_BIG_ENDIAN or
// REG_QWORD value. Data of the wrong length for its type is an error, as
// it is for regedit.
func (v *Value) Uint64() (uint64, error) {
	var want int
	switch v.typ {
	case RegDWORD, RegDWORDBigEndian:
		want = 4
	case RegQWORD:
		want = 8
	default:
		return 0, fmt.Errorf("winreg: value %q has type %v, not an integer type", v.name, v.typ)
	}
	data, err := v.Data()
	if err != nil {
		return 0, err
	}
	if len(data) != want {
		return 0, corruptf("%v value %q at %#x has %d bytes of data, want %d", v.typ, v.name, v.offset, len(data), want)
	}
	switch v.typ {
	case RegDWORD:
		return uint64(binary.LittleEndian.Uint32(data)), nil
	case RegDWORDBigEndian:
		return uint64(binary.BigEndian.Uint32(data)), nil
	}
	return binary.LittleEndian.Uint64(data), nil
}
