package winreg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Builder makes a minimal but valid regf hive: version 1.5, hash leaf
// ("lh") subkey lists sorted as Windows sorts them and split under an index
// root when long, value data in the value record when it fits in 4 bytes and
// in big data segments when it is over 16344 bytes, one security descriptor
// shared by all keys, and a base block with a correct checksum. The tests
// check that reglookup and hivex read its hives as this package does.
//
// Every key gets the same LastWrite time, 2021-03-02 00:00:00 UTC, so the
// same calls always yield the same bytes.
type Builder struct {
	root *buildKey
	// leafSignature is the kind of subkey list leaf written: "lh" as
	// Windows writes for version 1.5 hives; tests switch it to "lf" or
	// "li" to exercise the reader on the older kinds.
	leafSignature string
	// leafCapacity is the most entries a leaf holds before the list is
	// split under an index root; tests lower it to get index roots in
	// small hives.
	leafCapacity int
	// err is the first invalid name or value given; Bytes reports it.
	err error
}

type buildKey struct {
	name    string
	subkeys []*buildKey
	values  []buildValue
}

type buildValue struct {
	name string
	typ  ValueType
	data []byte
}

// builderTimestamp is the LastWrite time of every key a Builder writes:
// 2021-03-02, the day Microsoft disclosed the ProxyLogon Exchange flaws.
var builderTimestamp = time.Date(2021, 3, 2, 0, 0, 0, 0, time.UTC)

// Name limits Windows enforces, in UTF-16 code units.
const (
	maxKeyNameLen   = 255
	maxValueNameLen = 16383
)

// NewBuilder starts a hive whose root key has the given name. Windows names
// the root of SOFTWARE like "CMI-CreateHive{...}"; the name is not part of
// any key path.
func NewBuilder(rootName string) *Builder {
	b := &Builder{root: &buildKey{name: rootName}, leafSignature: "lh", leafCapacity: maxLeafEntries}
	b.checkKeyName(rootName)
	return b
}

// SetString sets a REG_SZ value, creating the key and any missing parent
// keys. keyPath is backslash-separated and relative to the root, like the
// paths Hive.OpenKey takes; name "" sets the key's default value.
func (b *Builder) SetString(keyPath, name, value string) {
	b.SetValue(keyPath, name, RegSZ, append(encodeUTF16(value), 0, 0))
}

// SetDWORD sets a REG_DWORD value; see SetString.
func (b *Builder) SetDWORD(keyPath, name string, v uint32) {
	b.SetValue(keyPath, name, RegDWORD, binary.LittleEndian.AppendUint32(nil, v))
}

// SetValue sets a value of any type with the given raw data; see SetString.
// Setting an existing name (compared case-insensitively) replaces it.
func (b *Builder) SetValue(keyPath, name string, typ ValueType, data []byte) {
	if utf16Len(name) > maxValueNameLen {
		b.fail(fmt.Errorf("winreg: value name %.40q... is longer than %d characters", name, maxValueNameLen))
		return
	}
	if len(data) > maxValueDataSize {
		b.fail(fmt.Errorf("winreg: value %q has %d bytes of data, over the %d byte limit", name, len(data), maxValueDataSize))
		return
	}
	key := b.root
	for _, part := range strings.Split(keyPath, `\`) {
		if part != "" {
			key = b.subkey(key, part)
		}
	}
	v := buildValue{name: name, typ: typ, data: slices.Clone(data)}
	for i := range key.values {
		if sameName(key.values[i].name, name) {
			key.values[i] = v
			return
		}
	}
	key.values = append(key.values, v)
}

func (b *Builder) subkey(parent *buildKey, name string) *buildKey {
	for _, sub := range parent.subkeys {
		if sameName(sub.name, name) {
			return sub
		}
	}
	b.checkKeyName(name)
	sub := &buildKey{name: name}
	parent.subkeys = append(parent.subkeys, sub)
	return sub
}

func (b *Builder) checkKeyName(name string) {
	if utf16Len(name) > maxKeyNameLen {
		b.fail(fmt.Errorf("winreg: key name %.40q... is longer than %d characters", name, maxKeyNameLen))
	}
}

func (b *Builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// Layout constants of the records the Builder writes.
const (
	// maxLeafEntries keeps each subkey list leaf (4 byte cell size, 4 byte
	// header, 8 bytes per entry) inside one 4 KiB hive bin; longer lists
	// are split into leaves under an index root.
	maxLeafEntries = 500
	binAlignment   = 4096
	// Root key flags: KEY_HIVE_ENTRY | KEY_NO_DELETE.
	nkFlagsRoot = 0x0004 | 0x0008
	// A key security ("sk") record has 20 bytes of signature, list links,
	// reference count and descriptor size before the descriptor.
	skDescriptorOffset = 20
)

// Bytes returns the hive file: a base block with equal sequence numbers and
// a correct checksum, followed by 4096-aligned hive bins.
func (b *Builder) Bytes() ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	w := &cellWriter{}
	security := w.alloc(skDescriptorOffset + len(defaultSecurityDescriptor))
	keys := 0
	w.leafSignature, w.leafCapacity = b.leafSignature, b.leafCapacity
	root, err := w.writeKey(b.root, nkFlagsRoot, noCell, security, &keys)
	if err != nil {
		return nil, err
	}
	w.closeBin()
	writeSecurityRecord(w.body(security), security, keys)
	if len(w.data) > 1<<31 {
		return nil, errors.New("winreg: hive would exceed 2 GiB")
	}

	le := binary.LittleEndian
	base := make([]byte, baseBlockSize, baseBlockSize+len(w.data))
	copy(base, "regf")
	le.PutUint32(base[4:], 1) // primary sequence number
	le.PutUint32(base[8:], 1) // secondary sequence number, equal: cleanly written
	le.PutUint64(base[12:], timeToFiletime(builderTimestamp))
	le.PutUint32(base[20:], 1) // major version
	le.PutUint32(base[24:], 5) // minor version
	le.PutUint32(base[28:], fileTypePrimary)
	le.PutUint32(base[32:], 1) // file format: direct memory load
	le.PutUint32(base[36:], root)
	le.PutUint32(base[40:], uint32(len(w.data)))
	le.PutUint32(base[44:], 1) // clustering factor: 512 byte sectors
	le.PutUint32(base[checksumOffset:], baseBlockChecksum(base))
	return append(base, w.data...), nil
}

func timeToFiletime(t time.Time) uint64 {
	return uint64(t.Unix()+secondsFrom1601To1970Epoch)*filetimeTicksPerSecond + uint64(t.Nanosecond()/100)
}

// cellWriter lays out cells in hive bins. Cells are allocated first and
// filled in later through body, because records refer to each other in
// both directions (a key to its subkey list, the list to the subkeys, each
// subkey back to its parent).
type cellWriter struct {
	leafSignature string
	leafCapacity  int

	data []byte // the hive bins data written so far
	// binEnd and next are the end of the current bin and its first
	// unallocated byte.
	binEnd, next int
}

func align(n, to int) int { return (n + to - 1) / to * to }

// alloc reserves an allocated cell for n bytes of data and returns its
// offset.
func (w *cellWriter) alloc(n int) uint32 {
	size := align(4+n, 8)
	if w.next+size > w.binEnd {
		w.closeBin()
		w.openBin(size)
	}
	off := w.next
	binary.LittleEndian.PutUint32(w.data[off:], uint32(-int32(size)))
	w.next += size
	return uint32(off)
}

// openBin starts a bin large enough for a cell of cellSize bytes; a cell
// never spans bins, so large cells get a bin of several 4 KiB blocks.
func (w *cellWriter) openBin(cellSize int) {
	start := len(w.data)
	size := align(hbinHeaderSize+cellSize, binAlignment)
	w.data = append(w.data, make([]byte, size)...)
	header := w.data[start:]
	copy(header, "hbin")
	binary.LittleEndian.PutUint32(header[4:], uint32(start))
	binary.LittleEndian.PutUint32(header[8:], uint32(size))
	if start == 0 {
		// The first bin's timestamp backs up the base block's.
		binary.LittleEndian.PutUint64(header[20:], timeToFiletime(builderTimestamp))
	}
	w.binEnd, w.next = start+size, start+hbinHeaderSize
}

// closeBin marks the unused end of the current bin as one free cell, so
// that the cells of every bin add up to its size.
func (w *cellWriter) closeBin() {
	if free := w.binEnd - w.next; free > 0 {
		binary.LittleEndian.PutUint32(w.data[w.next:], uint32(free))
		w.next = w.binEnd
	}
}

// body returns the data of the cell at off. The slice is only valid until
// the next alloc.
func (w *cellWriter) body(off uint32) []byte {
	size := int(-int32(binary.LittleEndian.Uint32(w.data[off:])))
	return w.data[off+4 : int(off)+size]
}

// writeKey writes the key node of k and everything below it, returning the
// key node's offset. keys counts the key nodes written, for the security
// record's reference count.
func (w *cellWriter) writeKey(k *buildKey, flags uint16, parent, security uint32, keys *int) (uint32, error) {
	*keys++
	name, compressed := encodeName(k.name)
	if compressed {
		flags |= nkFlagCompName
	}
	node := w.alloc(nkNameOffset + len(name))

	valueList := uint32(noCell)
	var maxValueNameLen, maxValueDataLen int
	if len(k.values) > 0 {
		valueList = w.alloc(4 * len(k.values))
		for i, v := range k.values {
			vk := w.writeValue(v)
			binary.LittleEndian.PutUint32(w.body(valueList)[4*i:], vk)
			maxValueNameLen = max(maxValueNameLen, 2*utf16Len(v.name))
			maxValueDataLen = max(maxValueDataLen, len(v.data))
		}
	}

	// Windows finds subkeys by binary search, so lists are sorted by
	// upper-cased name.
	subkeys := slices.Clone(k.subkeys)
	slices.SortFunc(subkeys, func(a, b *buildKey) int {
		return slices.Compare(upcaseUnits(a.name), upcaseUnits(b.name))
	})
	subkeyOffsets := make([]uint32, len(subkeys))
	var maxSubkeyNameLen int
	for i, sub := range subkeys {
		off, err := w.writeKey(sub, 0, node, security, keys)
		if err != nil {
			return 0, err
		}
		subkeyOffsets[i] = off
		maxSubkeyNameLen = max(maxSubkeyNameLen, 2*utf16Len(sub.name))
	}
	subkeyList, err := w.writeSubkeyList(subkeys, subkeyOffsets)
	if err != nil {
		return 0, err
	}

	le := binary.LittleEndian
	nk := w.body(node)
	copy(nk, "nk")
	le.PutUint16(nk[2:], flags)
	le.PutUint64(nk[4:], timeToFiletime(builderTimestamp))
	le.PutUint32(nk[16:], parent)
	le.PutUint32(nk[20:], uint32(len(subkeys)))
	le.PutUint32(nk[28:], subkeyList)
	le.PutUint32(nk[32:], noCell) // volatile subkeys are never on disk
	le.PutUint32(nk[36:], uint32(len(k.values)))
	le.PutUint32(nk[40:], valueList)
	le.PutUint32(nk[44:], security)
	le.PutUint32(nk[48:], noCell) // no class name
	le.PutUint32(nk[52:], uint32(maxSubkeyNameLen))
	le.PutUint32(nk[60:], uint32(maxValueNameLen))
	le.PutUint32(nk[64:], uint32(maxValueDataLen))
	le.PutUint16(nk[72:], uint16(len(name)))
	copy(nk[nkNameOffset:], name)
	return node, nil
}

// writeSubkeyList writes the list of the given sorted subkeys: one leaf, or
// leaves of at most leafCapacity entries under an index root.
func (w *cellWriter) writeSubkeyList(subkeys []*buildKey, offsets []uint32) (uint32, error) {
	if len(subkeys) == 0 {
		return noCell, nil
	}
	var leaves []uint32
	for start := 0; start < len(subkeys); start += w.leafCapacity {
		end := min(start+w.leafCapacity, len(subkeys))
		leaves = append(leaves, w.writeLeaf(subkeys[start:end], offsets[start:end]))
	}
	if len(leaves) == 1 {
		return leaves[0], nil
	}
	if len(leaves) > 0xFFFF {
		return 0, fmt.Errorf("winreg: %d subkeys are more than one index root can list", len(subkeys))
	}
	root := w.alloc(4 + 4*len(leaves))
	ri := w.body(root)
	copy(ri, "ri")
	binary.LittleEndian.PutUint16(ri[2:], uint16(len(leaves)))
	for i, leaf := range leaves {
		binary.LittleEndian.PutUint32(ri[4+4*i:], leaf)
	}
	return root, nil
}

func (w *cellWriter) writeLeaf(subkeys []*buildKey, offsets []uint32) uint32 {
	signature := w.leafSignature
	stride := 8
	if signature == "li" {
		stride = 4
	}
	off := w.alloc(4 + stride*len(subkeys))
	leaf := w.body(off)
	copy(leaf, signature)
	le := binary.LittleEndian
	le.PutUint16(leaf[2:], uint16(len(subkeys)))
	for i, sub := range subkeys {
		entry := leaf[4+stride*i:]
		le.PutUint32(entry, offsets[i])
		switch signature {
		case "lh":
			le.PutUint32(entry[4:], nameHash(sub.name))
		case "lf":
			copy(entry[4:8], nameHint(sub.name))
		}
	}
	return off
}

// nameHash is the hash a hash leaf ("lh") stores for each subkey.
func nameHash(name string) uint32 {
	var h uint32
	for _, u := range upcaseUnits(name) {
		h = h*37 + uint32(u)
	}
	return h
}

// nameHint is the hint a fast leaf ("lf") stores for each subkey: its first
// four characters, or a leading NUL when one of them does not fit in a byte.
func nameHint(name string) []byte {
	hint := make([]byte, 4)
	for i, r := range []rune(name)[:min(4, len([]rune(name)))] {
		if r > 0xFF {
			return make([]byte, 4)
		}
		hint[i] = byte(r)
	}
	return hint
}

// writeValue writes a value record and its data, returning the record's
// offset.
func (w *cellWriter) writeValue(v buildValue) uint32 {
	name, compressed := encodeName(v.name)
	record := w.alloc(vkNameOffset + len(name))

	size := uint32(len(v.data))
	var dataOffset uint32
	switch {
	case len(v.data) <= maxInlineData:
		size |= vkInlineData
		var inline [4]byte
		copy(inline[:], v.data)
		dataOffset = binary.LittleEndian.Uint32(inline[:])
	case len(v.data) <= bigDataSegment:
		dataOffset = w.alloc(len(v.data))
		copy(w.body(dataOffset), v.data)
	default:
		dataOffset = w.writeBigData(v.data)
	}

	le := binary.LittleEndian
	vk := w.body(record)
	copy(vk, "vk")
	le.PutUint16(vk[2:], uint16(len(name)))
	le.PutUint32(vk[4:], size)
	le.PutUint32(vk[8:], dataOffset)
	le.PutUint32(vk[12:], uint32(v.typ))
	if compressed {
		le.PutUint16(vk[16:], vkFlagCompName)
	}
	copy(vk[vkNameOffset:], name)
	return record
}

// writeBigData writes data over 16344 bytes as a big data record. Every
// segment cell, the last one too, has room for a full segment, as Windows
// allocates them.
func (w *cellWriter) writeBigData(data []byte) uint32 {
	segments := (len(data) + bigDataSegment - 1) / bigDataSegment
	db := w.alloc(8)
	list := w.alloc(4 * segments)
	le := binary.LittleEndian
	for i := 0; i < segments; i++ {
		segment := w.alloc(bigDataSegment)
		copy(w.body(segment), data[i*bigDataSegment:])
		le.PutUint32(w.body(list)[4*i:], segment)
	}
	record := w.body(db)
	copy(record, "db")
	le.PutUint16(record[2:], uint16(segments))
	le.PutUint32(record[4:], list)
	return db
}

// writeSecurityRecord fills the key security ("sk") record that every key
// refers to. It is the only one, so its list links point to itself.
func writeSecurityRecord(sk []byte, at uint32, references int) {
	le := binary.LittleEndian
	copy(sk, "sk")
	le.PutUint32(sk[4:], at)
	le.PutUint32(sk[8:], at)
	le.PutUint32(sk[12:], uint32(references))
	le.PutUint32(sk[16:], uint32(len(defaultSecurityDescriptor)))
	copy(sk[skDescriptorOffset:], defaultSecurityDescriptor)
}

// defaultSecurityDescriptor is a self-relative security descriptor owned by
// BUILTIN\Administrators with group SYSTEM, whose DACL gives Administrators
// and SYSTEM full control and Everyone read access, inherited by subkeys.
var defaultSecurityDescriptor = func() []byte {
	sid := func(authority byte, subAuthorities ...uint32) []byte {
		s := []byte{1, byte(len(subAuthorities)), 0, 0, 0, 0, 0, authority}
		for _, sa := range subAuthorities {
			s = binary.LittleEndian.AppendUint32(s, sa)
		}
		return s
	}
	system := sid(5, 18)
	administrators := sid(5, 32, 544)
	everyone := sid(1, 0)

	const (
		keyAllAccess      = 0x000F003F
		keyRead           = 0x00020019
		containerInherit  = 0x02
		accessAllowedType = 0
	)
	ace := func(mask uint32, who []byte) []byte {
		a := []byte{accessAllowedType, containerInherit}
		a = binary.LittleEndian.AppendUint16(a, uint16(8+len(who)))
		a = binary.LittleEndian.AppendUint32(a, mask)
		return append(a, who...)
	}
	aces := slices.Concat(ace(keyAllAccess, administrators), ace(keyAllAccess, system), ace(keyRead, everyone))
	acl := []byte{2, 0} // revision, padding
	acl = binary.LittleEndian.AppendUint16(acl, uint16(8+len(aces)))
	acl = binary.LittleEndian.AppendUint16(acl, 3) // ACE count
	acl = binary.LittleEndian.AppendUint16(acl, 0)
	acl = append(acl, aces...)

	const (
		headerSize     = 20
		seDACLPresent  = 0x0004
		seSelfRelative = 0x8000
	)
	sd := []byte{1, 0} // revision, padding
	sd = binary.LittleEndian.AppendUint16(sd, seDACLPresent|seSelfRelative)
	ownerAt := headerSize
	groupAt := ownerAt + len(administrators)
	daclAt := groupAt + len(system)
	sd = binary.LittleEndian.AppendUint32(sd, uint32(ownerAt))
	sd = binary.LittleEndian.AppendUint32(sd, uint32(groupAt))
	sd = binary.LittleEndian.AppendUint32(sd, 0) // no SACL
	sd = binary.LittleEndian.AppendUint32(sd, uint32(daclAt))
	return slices.Concat(sd, administrators, system, acl)
}()
