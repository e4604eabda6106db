package winreg

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// Key node ("nk") record layout.
const (
	nkNameOffset   = 76 // the name follows the fixed fields
	nkFlagCompName = 0x0020
)

// Key is one registry key of a Hive.
type Key struct {
	hive   *Hive
	offset uint32
	// depth is how many levels below the root the key is.
	depth int

	name        string
	lastWrite   uint64 // FILETIME
	parent      uint32
	subkeyCount uint32
	subkeyList  uint32
	valueCount  uint32
	valueList   uint32
}

func (h *Hive) keyAt(off uint32, depth int) (*Key, error) {
	nk, err := h.cell(off)
	if err != nil {
		return nil, err
	}
	if !hasSignature(nk, "nk") || len(nk) < nkNameOffset {
		return nil, corruptf("cell at %#x is not a key node", off)
	}
	le := binary.LittleEndian
	nameLen := int(le.Uint16(nk[72:]))
	if nkNameOffset+nameLen > len(nk) {
		return nil, corruptf("key node at %#x has a %d byte name that overruns its cell", off, nameLen)
	}
	return &Key{
		hive:        h,
		offset:      off,
		depth:       depth,
		name:        decodeName(nk[nkNameOffset:nkNameOffset+nameLen], le.Uint16(nk[2:])&nkFlagCompName != 0),
		lastWrite:   le.Uint64(nk[4:]),
		parent:      le.Uint32(nk[16:]),
		subkeyCount: le.Uint32(nk[20:]),
		subkeyList:  le.Uint32(nk[28:]),
		valueCount:  le.Uint32(nk[36:]),
		valueList:   le.Uint32(nk[40:]),
	}, nil
}

// Name returns the key's own name (not its path).
func (k *Key) Name() string { return k.name }

// LastWrite returns when the key or one of its values was last changed, in
// UTC. A key without a timestamp yields the zero Time.
func (k *Key) LastWrite() time.Time { return filetimeToTime(k.lastWrite) }

// FILETIME counts 100 ns intervals since 1601-01-01 UTC.
const (
	filetimeTicksPerSecond     = 10_000_000
	secondsFrom1601To1970Epoch = 11_644_473_600
)

func filetimeToTime(ft uint64) time.Time {
	if ft == 0 {
		return time.Time{}
	}
	return time.Unix(int64(ft/filetimeTicksPerSecond)-secondsFrom1601To1970Epoch, int64(ft%filetimeTicksPerSecond)*100).UTC()
}

// OpenKey walks a backslash-separated path from the root key, comparing
// names case-insensitively as Windows does. Empty components are ignored,
// so "" and `\` name the root. The path is relative to the hive: in the
// SOFTWARE hive, HKLM\SOFTWARE\Microsoft is `Microsoft`. A missing key
// yields an error wrapping ErrNotFound, a damaged one ErrCorrupt.
func (h *Hive) OpenKey(path string) (*Key, error) {
	key, err := h.Root()
	if err != nil {
		return nil, err
	}
	for _, name := range strings.Split(path, `\`) {
		if name == "" {
			continue
		}
		if key, err = key.subkey(name); err != nil {
			return nil, fmt.Errorf("opening %q: %w", path, err)
		}
	}
	return key, nil
}

// subkey finds the subkey with the given name. A damaged sibling does not
// stop the search, but is reported if the name is not found, since the
// damaged one may have been the key asked for.
func (k *Key) subkey(name string) (*Key, error) {
	offsets, err := k.subkeyOffsets()
	if err != nil {
		return nil, err
	}
	var damaged error
	for _, off := range offsets {
		sub, err := k.child(off)
		if err != nil {
			if damaged == nil {
				damaged = err
			}
			continue
		}
		if sameName(sub.name, name) {
			return sub, nil
		}
	}
	if damaged != nil {
		return nil, fmt.Errorf("no readable subkey %q under %q: %w", name, k.name, damaged)
	}
	return nil, fmt.Errorf("%w: no subkey %q under %q", ErrNotFound, name, k.name)
}

// Subkeys returns the key's subkeys in the order the hive lists them, which
// Windows keeps sorted by upper-cased name.
func (k *Key) Subkeys() ([]*Key, error) {
	offsets, err := k.subkeyOffsets()
	if err != nil {
		return nil, err
	}
	subkeys := make([]*Key, 0, len(offsets))
	for _, off := range offsets {
		sub, err := k.child(off)
		if err != nil {
			return nil, err
		}
		subkeys = append(subkeys, sub)
	}
	return subkeys, nil
}

// child reads a key node listed as a subkey of k. Every key node names its
// parent, and requiring that name to be k (and the root to be no one's
// child) makes the keys reachable from the root a tree: a crafted list
// cannot create a cycle or make one key appear under many parents.
func (k *Key) child(off uint32) (*Key, error) {
	if off == k.hive.rootOffset {
		return nil, corruptf("key %q lists the root key as a subkey", k.name)
	}
	sub, err := k.hive.keyAt(off, k.depth+1)
	if err != nil {
		return nil, err
	}
	if sub.parent != k.offset {
		return nil, corruptf("key %q at %#x is listed under key %q at %#x but names %#x as its parent", sub.name, off, k.name, k.offset, sub.parent)
	}
	return sub, nil
}

// subkeyOffsets collects the key node offsets from the key's subkey list,
// following one level of index root ("ri") to its leaves.
func (k *Key) subkeyOffsets() ([]uint32, error) {
	if k.subkeyCount == 0 {
		return nil, nil
	}
	if k.depth >= maxKeyDepth {
		return nil, corruptf("key %q is nested deeper than %d levels", k.name, maxKeyDepth)
	}
	list, err := k.hive.cell(k.subkeyList)
	if err != nil {
		return nil, err
	}
	c := offsetCollector{seen: make(map[uint32]bool)}
	if !hasSignature(list, "ri") {
		if err := c.addLeaf(list, k.subkeyList); err != nil {
			return nil, err
		}
		return c.offsets, nil
	}
	leaves, err := listElements(list, k.subkeyList, 4)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(leaves); i += 4 {
		leafOffset := binary.LittleEndian.Uint32(leaves[i:])
		leaf, err := k.hive.cell(leafOffset)
		if err != nil {
			return nil, err
		}
		// An index root may only point at leaves; allowing nested roots
		// would let a crafted list refer to itself.
		if hasSignature(leaf, "ri") {
			return nil, corruptf("index root at %#x points at another index root at %#x", k.subkeyList, leafOffset)
		}
		if err := c.addLeaf(leaf, leafOffset); err != nil {
			return nil, err
		}
	}
	return c.offsets, nil
}

// offsetCollector gathers key node offsets from subkey list leaves,
// rejecting repeats (Windows never lists a key twice) and lists longer than
// maxSubkeysPerKey.
type offsetCollector struct {
	offsets []uint32
	seen    map[uint32]bool
}

func (c *offsetCollector) addLeaf(leaf []byte, at uint32) error {
	var stride int
	switch {
	case hasSignature(leaf, "lf"), hasSignature(leaf, "lh"):
		stride = 8 // key node offset, then a name hint or hash
	case hasSignature(leaf, "li"):
		stride = 4
	default:
		return corruptf("cell at %#x is not a subkey list", at)
	}
	elements, err := listElements(leaf, at, stride)
	if err != nil {
		return err
	}
	if len(c.offsets)+len(elements)/stride > maxSubkeysPerKey {
		return corruptf("subkey lists reached from %#x hold more than %d keys", at, maxSubkeysPerKey)
	}
	for i := 0; i < len(elements); i += stride {
		off := binary.LittleEndian.Uint32(elements[i:])
		if c.seen[off] {
			return corruptf("subkey list at %#x repeats key node %#x", at, off)
		}
		c.seen[off] = true
		c.offsets = append(c.offsets, off)
	}
	return nil
}

// listElements returns the element array of a subkey list record (a
// two-letter signature, a 16-bit count, then the elements).
func listElements(list []byte, at uint32, stride int) ([]byte, error) {
	if len(list) < 4 {
		return nil, corruptf("subkey list at %#x is truncated", at)
	}
	count := int(binary.LittleEndian.Uint16(list[2:]))
	if 4+count*stride > len(list) {
		return nil, corruptf("subkey list at %#x claims %d elements, more than its cell holds", at, count)
	}
	return list[4 : 4+count*stride], nil
}

// Values returns the key's values in the order the hive stores them.
func (k *Key) Values() ([]*Value, error) {
	offsets, err := k.valueOffsets()
	if err != nil {
		return nil, err
	}
	values := make([]*Value, 0, len(offsets))
	for _, off := range offsets {
		v, err := k.hive.valueAt(off)
		if err != nil {
			return nil, err
		}
		values = append(values, v)
	}
	return values, nil
}

// Value returns the value with the given name, compared case-insensitively;
// "" names the key's default value. As with subkeys, a damaged value does not
// stop the search but is reported if the name is not found.
func (k *Key) Value(name string) (*Value, error) {
	offsets, err := k.valueOffsets()
	if err != nil {
		return nil, err
	}
	var damaged error
	for _, off := range offsets {
		v, err := k.hive.valueAt(off)
		if err != nil {
			if damaged == nil {
				damaged = err
			}
			continue
		}
		if sameName(v.name, name) {
			return v, nil
		}
	}
	if damaged != nil {
		return nil, fmt.Errorf("no readable value %q in key %q: %w", name, k.name, damaged)
	}
	return nil, fmt.Errorf("%w: no value %q in key %q", ErrNotFound, name, k.name)
}

func (k *Key) valueOffsets() ([]uint32, error) {
	if k.valueCount == 0 {
		return nil, nil
	}
	list, err := k.hive.cell(k.valueList)
	if err != nil {
		return nil, err
	}
	if uint64(k.valueCount)*4 > uint64(len(list)) {
		return nil, corruptf("key %q claims %d values, more than its value list at %#x holds", k.name, k.valueCount, k.valueList)
	}
	offsets := make([]uint32, k.valueCount)
	for i := range offsets {
		offsets[i] = binary.LittleEndian.Uint32(list[4*i:])
	}
	return offsets, nil
}
