package winreg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// runWithDeadline runs f on another goroutine and fails the test if it
// does not return in time, which is how a reader loop would show.
func runWithDeadline(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not finish within 30s", what)
	}
}

// edit overwrites a 2 or 4 byte field of a hive file.
type edit struct {
	at    int // file offset
	width int
	value uint32
}

// field returns the file offset of a field of the cell at off, counted from
// the start of the cell's data as the record layouts are.
func field(off uint32, fieldOffset int) int { return baseBlockSize + int(off) + 4 + fieldOffset }

func applyEdits(data []byte, edits ...edit) []byte {
	out := slices.Clone(data)
	for _, e := range edits {
		if e.width == 2 {
			binary.LittleEndian.PutUint16(out[e.at:], uint16(e.value))
		} else {
			binary.LittleEndian.PutUint32(out[e.at:], e.value)
		}
	}
	return out
}

func le32(at int, v uint32) edit { return edit{at, 4, v} }
func le16(at int, v uint32) edit { return edit{at, 2, v} }

func TestOpenRejectsNonHives(t *testing.T) {
	valid := smallHive(t, "lh")
	withBase := func(at int, v uint32) []byte {
		out := applyEdits(valid, le32(at, v))
		// Keep the checksum right so only the named field is wrong.
		binary.LittleEndian.PutUint32(out[checksumOffset:], baseBlockChecksum(out))
		return out
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty file", nil},
		{"100 bytes", valid[:100]},
		{"base block only", valid[:baseBlockSize]},
		{"base block and part of a bin header", valid[:baseBlockSize+16]},
		{"wrong signature", withBase(0, 0x67676572)},
		{"major version 2", withBase(20, 2)},
		{"minor version 2", withBase(24, 2)},
		{"minor version 7", withBase(24, 7)},
		{"transaction log", withBase(28, 1)},
		{"no hive bin", applyEdits(valid, le32(baseBlockSize, 0))},
		{"declared bins smaller than a bin header", withBase(40, 16)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Open(bytes.NewReader(tc.data), int64(len(tc.data))); err == nil {
				t.Error("Open succeeded")
			} else {
				t.Log(err)
			}
		})
	}
	if _, err := Open(nil, 0); err == nil {
		t.Error("Open(nil) succeeded")
	}
	// A size larger than what the reader holds surfaces as a read error.
	if _, err := Open(bytes.NewReader(valid[:5000]), int64(len(valid))); err == nil {
		t.Error("Open succeeded though the reader is shorter than the size given")
	}
}

func TestDirtyHive(t *testing.T) {
	valid := smallHive(t, "lh")
	for name, data := range map[string][]byte{
		"sequence numbers differ": applyEdits(valid, le32(4, 7)),
		"bad checksum":            applyEdits(valid, le32(checksumOffset, 0x12345678)),
	} {
		h := openBytes(t, data)
		if !h.Dirty() {
			t.Errorf("%s: Dirty() = false", name)
		}
		// The base block still leads to the data.
		if _, err := h.OpenKey(exchangeSetupKey); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestTruncatedHives cuts a hive at many lengths. A truncated hive must
// either fail or read exactly as the whole one: a cut that removes a cell
// the tree needs may not go unnoticed.
func TestTruncatedHives(t *testing.T) {
	data := buildModel(t, richModel(), "lh")
	want, err := describeHive(openBytes(t, data))
	if err != nil {
		t.Fatal(err)
	}
	lengths := []int{0, 1, baseBlockSize - 1, baseBlockSize, baseBlockSize + hbinHeaderSize, len(data) - 1}
	for n := 0; n < len(data); n += 97 {
		lengths = append(lengths, n)
	}
	complete := 0
	runWithDeadline(t, "reading truncated hives", func() {
		for _, n := range lengths {
			for _, claimedSize := range []int{n, len(data)} {
				h, err := Open(bytes.NewReader(data[:n]), int64(claimedSize))
				if err != nil {
					continue
				}
				got, err := describeHive(h)
				if err != nil {
					continue
				}
				if got != want {
					t.Errorf("hive cut to %d bytes (size given %d) read without error but differently", n, claimedSize)
				}
				complete++
			}
		}
	})
	// Only cuts in the unused end of the last bin may read completely.
	if complete > 2*len(lengths)/20 {
		t.Errorf("%d of %d truncated reads succeeded; truncation is not being noticed", complete, 2*len(lengths))
	}
}

// TestRandomCorruption damages a valid hive in many deterministic random
// ways and reads all of it each time.
func TestRandomCorruption(t *testing.T) {
	// Without big data, whose 32 KiB of value bytes would take most hits.
	valid := smallHive(t, "lh")
	cells := cellOffsets(t, valid)
	// Values that make offsets, counts and sizes interesting.
	special := []uint32{0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x80000004, 0x80000005, 0xFFFF, 0x10000, 0xFFFFFFF8, uint32(len(valid))}
	rng := rand.New(rand.NewPCG(20210302, 1))
	const iterations = 4000
	failures := 0
	runWithDeadline(t, "reading corrupted hives", func() {
		for i := 0; i < iterations; i++ {
			damaged := slices.Clone(valid)
			for range 1 + rng.IntN(4) {
				at := baseBlockSize + rng.IntN(len(valid)-baseBlockSize-4)
				switch rng.IntN(4) {
				case 0: // flip a bit
					damaged[at] ^= 1 << rng.IntN(8)
				case 1: // an extreme value in an aligned field
					binary.LittleEndian.PutUint32(damaged[at&^3:], special[rng.IntN(len(special))])
				case 2: // a reference to some other cell, or to this one
					target := cells[rng.IntN(len(cells))]
					if rng.IntN(4) == 0 {
						target = uint32(at&^3 - baseBlockSize - 4)
					}
					binary.LittleEndian.PutUint32(damaged[at&^3:], target)
				case 3: // a random byte
					damaged[at] = byte(rng.Uint32())
				}
			}
			if _, problem := exerciseHive(damaged); problem != nil {
				t.Errorf("iteration %d: %v", i, problem)
			}
			if _, err := describeDamaged(damaged); err != nil {
				failures++
			}
		}
	})
	t.Logf("%d of %d damaged hives failed to read completely", failures, iterations)
	if failures < iterations/20 {
		t.Errorf("only %d of %d damaged hives produced errors; damage is not being noticed", failures, iterations)
	}
}

// describeDamaged reads all of a hive, returning the first error.
func describeDamaged(data []byte) (string, error) {
	h, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", err
	}
	return describeHive(h)
}

// cellOffsets lists the offsets of all cells, allocated or not, by tiling
// the hive bins.
func cellOffsets(t *testing.T, data []byte) []uint32 {
	le := binary.LittleEndian
	var offsets []uint32
	end := int(le.Uint32(data[40:]))
	for bin := 0; bin < end; bin += int(le.Uint32(data[baseBlockSize+bin+8:])) {
		binSize := int(le.Uint32(data[baseBlockSize+bin+8:]))
		for c := bin + hbinHeaderSize; c < bin+binSize; {
			offsets = append(offsets, uint32(c))
			size := int(int32(le.Uint32(data[baseBlockSize+c:])))
			c += max(size, -size)
		}
	}
	if len(offsets) < 50 {
		t.Fatalf("found only %d cells", len(offsets))
	}
	return offsets
}

// hostileFixture is a small hive with index roots and big data, and the
// offsets of its records, for tests that damage particular records.
type hostileFixture struct {
	data                               []byte
	root                               uint32
	microsoft, exchange, v15, many     *Key
	setup                              *Key
	installPath, productMajor, bigData *Value
	manyLeaves                         []uint32
	bigDataSegments                    uint32
}

func newHostileFixture(t *testing.T) hostileFixture {
	data := smallHive(t, "lh", modelValue{"BigData", "just16345", RegBinary, make([]byte, bigDataSegment+1)})
	h := openBytes(t, data)
	value := func(k *Key, name string) *Value {
		v, err := k.Value(name)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	f := hostileFixture{
		data:      data,
		root:      h.rootOffset,
		microsoft: mustOpen(t, h, "Microsoft"),
		exchange:  mustOpen(t, h, `Microsoft\ExchangeServer`),
		v15:       mustOpen(t, h, `Microsoft\ExchangeServer\v15`),
		many:      mustOpen(t, h, "Many"),
		setup:     mustOpen(t, h, exchangeSetupKey),
	}
	f.installPath = value(f.setup, "MsiInstallPath")
	f.productMajor = value(f.setup, "MsiProductMajor")
	f.bigData = value(mustOpen(t, h, "BigData"), "just16345")
	ri, err := h.cell(f.many.subkeyList)
	if err != nil || !hasSignature(ri, "ri") {
		t.Fatalf("Many has no index root: %v", err)
	}
	for i := 0; i < int(binary.LittleEndian.Uint16(ri[2:])); i++ {
		f.manyLeaves = append(f.manyLeaves, binary.LittleEndian.Uint32(ri[4+4*i:]))
	}
	db, err := h.cell(f.bigData.dataOffset)
	if err != nil || !hasSignature(db, "db") {
		t.Fatalf("no big data record: %v", err)
	}
	f.bigDataSegments = binary.LittleEndian.Uint32(db[4:])
	return f
}

// Offsets of fields in the records, from the format specification.
const (
	nkParent        = 16
	nkSubkeyList    = 28
	nkValueCount    = 36
	nkValueList     = 40
	nkNameLength    = 72
	vkNameLength    = 2
	vkDataSize      = 4
	listCount       = 2
	listFirstEntry  = 4
	dbSegmentCount  = 2
	lhEntrySize     = 8
	baseRootOffset  = 36
	baseBinsSize    = 40
	cellSizeAtStart = -4
)

// TestCyclesAndSelfReferences points references back at their own
// records, at ancestors and at the root. Each must end in an error wrapping
// ErrCorrupt, and must not hang.
func TestCyclesAndSelfReferences(t *testing.T) {
	f := newHostileFixture(t)
	for _, tc := range []struct {
		name    string
		edits   []edit
		wantErr string
	}{
		{"subkey list entry is its own key", []edit{le32(field(f.microsoft.subkeyList, listFirstEntry), f.microsoft.offset)}, "names"},
		{"subkey list entry is the root", []edit{le32(field(f.microsoft.subkeyList, listFirstEntry), f.root)}, "root key"},
		{"subkey list entry is an ancestor", []edit{le32(field(f.v15.subkeyList, listFirstEntry), f.microsoft.offset)}, "parent"},
		{"subkey list is the key node", []edit{le32(field(f.many.offset, nkSubkeyList), f.many.offset)}, "not a subkey list"},
		{"index root lists itself", []edit{le32(field(f.many.subkeyList, listFirstEntry), f.many.subkeyList)}, "index root"},
		{"index root repeats a leaf", []edit{le32(field(f.many.subkeyList, listFirstEntry+4), f.manyLeaves[0])}, "repeats"},
		{"leaf repeats a key", []edit{le32(field(f.microsoft.subkeyList, listFirstEntry+lhEntrySize), f.exchange.offset)}, "repeats"},
		{"value list lists itself", []edit{le32(field(f.setup.valueList, 0), f.setup.valueList)}, "not a value record"},
		{"big data segment is the big data record", []edit{le32(field(f.bigDataSegments, 0), f.bigData.dataOffset)}, "segment"},
		{
			"parents forged into a cycle",
			[]edit{
				le32(field(f.exchange.subkeyList, listFirstEntry), f.microsoft.offset),
				le32(field(f.microsoft.offset, nkParent), f.exchange.offset),
			},
			"parent",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			damaged := applyEdits(f.data, tc.edits...)
			var readErr, problem error
			runWithDeadline(t, "walk", func() {
				_, problem = exerciseHive(damaged)
				_, readErr = describeDamaged(damaged)
			})
			if problem != nil {
				t.Error(problem)
			}
			if !errors.Is(readErr, ErrCorrupt) || !strings.Contains(readErr.Error(), tc.wantErr) {
				t.Errorf("read error = %v, want ErrCorrupt mentioning %q", readErr, tc.wantErr)
			} else {
				t.Log(readErr)
			}
		})
	}
}

// TestDamagedSibling checks that a damaged subkey does not hide its
// siblings, and is reported instead of "not found" when it might be the
// key asked for.
func TestDamagedSibling(t *testing.T) {
	f := newHostileFixture(t)
	// Microsoft lists ExchangeServer, then Windows NT; damage the first.
	h := openBytes(t, applyEdits(f.data, le32(field(f.microsoft.subkeyList, listFirstEntry), f.microsoft.offset)))
	if _, err := h.OpenKey(`Microsoft\Windows NT\CurrentVersion`); err != nil {
		t.Errorf("sibling of a damaged key: %v", err)
	}
	if _, err := h.OpenKey(exchangeSetupKey); !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotFound) {
		t.Errorf("damaged key: err = %v, want ErrCorrupt and not ErrNotFound", err)
	}

	// The same for values: damage MsiInstallPath's record.
	h = openBytes(t, applyEdits(f.data, le32(field(f.setup.valueList, 0), f.setup.offset)))
	setup := mustOpen(t, h, exchangeSetupKey)
	if _, err := setup.Value("MsiProductMajor"); err != nil {
		t.Errorf("sibling of a damaged value: %v", err)
	}
	if _, err := setup.Value("MsiInstallPath"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("damaged value: err = %v, want ErrCorrupt", err)
	}
}

func TestDepthLimit(t *testing.T) {
	b := NewBuilder("root")
	b.SetDWORD(strings.Repeat(`k\`, maxKeyDepth+50), "deep", 1)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	h := openBytes(t, data)
	if _, err := walkHive(h, 10_000); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "deeper") {
		t.Errorf("walking %d levels: err = %v, want ErrCorrupt about depth", maxKeyDepth+50, err)
	}
	if _, err := h.OpenKey(strings.Repeat(`k\`, maxKeyDepth)); err != nil {
		t.Errorf("key at the depth limit: %v", err)
	}
	if _, err := h.OpenKey(strings.Repeat(`k\`, maxKeyDepth+1)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("key past the depth limit: err = %v, want ErrCorrupt", err)
	}
}

// TestHugeDeclaredSizes sets sizes and counts to large values. Reading must
// fail with ErrCorrupt without allocating anything near the claimed sizes.
func TestHugeDeclaredSizes(t *testing.T) {
	f := newHostileFixture(t)
	for _, tc := range []struct {
		name string
		edit edit
	}{
		{"value data size near 2 GiB", le32(field(f.installPath.offset, vkDataSize), 0x7FFFFFF0)},
		{"value data size 16 MiB, larger than the hive", le32(field(f.installPath.offset, vkDataSize), 16<<20)},
		{"inline data size 16", le32(field(f.productMajor.offset, vkDataSize), 0x80000010)},
		{"data cell size near 2 GiB", le32(field(f.installPath.dataOffset, cellSizeAtStart), 0x80000008)},
		{"value count 2^32-1", le32(field(f.setup.offset, nkValueCount), 0xFFFFFFFF)},
		{"leaf count 65535", le16(field(f.microsoft.subkeyList, listCount), 0xFFFF)},
		{"index root count 65535", le16(field(f.many.subkeyList, listCount), 0xFFFF)},
		{"big data segment count 65535", le16(field(f.bigData.dataOffset, dbSegmentCount), 0xFFFF)},
		{"big data segment count 1", le16(field(f.bigData.dataOffset, dbSegmentCount), 1)},
		{"key name length 65535", le16(field(f.setup.offset, nkNameLength), 0xFFFF)},
		{"value name length 65535", le16(field(f.installPath.offset, vkNameLength), 0xFFFF)},
		{"root offset past the end", le32(baseRootOffset, 0xFFFFFFF0)},
		{"root offset inside the bin header", le32(baseRootOffset, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			damaged := applyEdits(f.data, tc.edit)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := describeDamaged(damaged)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("err = %v, want ErrCorrupt", err)
			} else {
				t.Log(err)
			}
			if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 8<<20 {
				t.Errorf("allocated %d bytes reading a %d byte hive", allocated, len(damaged))
			}
		})
	}

	// A declared hive bins size beyond the file only means the copy is
	// truncated: everything present still reads.
	want, err := describeHive(openBytes(t, f.data))
	if err != nil {
		t.Fatal(err)
	}
	got, err := describeHive(openBytes(t, applyEdits(f.data, le32(baseBinsSize, 0xFFFFFFFF))))
	if err != nil || got != want {
		t.Errorf("hive declaring 4 GiB of bins: read differs, err %v", err)
	}
}
