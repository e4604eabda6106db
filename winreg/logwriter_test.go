package winreg

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
)

// The writer side of transaction logs, for tests: hives in three states
// written by the Builder, and logs holding the changes from one state to
// the next, laid out as the format specification describes.

// dirtyStates are three successive states of one hive: v1 changes a value
// of v0 (an Exchange update raising the build number), v2 adds a key with
// a value large enough to grow the hive.
type dirtyStates struct {
	v0, v1, v2 []byte
	// described holds describeHive of each state, by name.
	described map[string]string
}

const (
	buildBefore   = 1544
	buildAfter    = 1748
	patchesKey    = exchangeSetupKey + `\Patches`
	patchName     = "KB5049233"
	patchDataSize = 3 * bigDataSegment
)

func newDirtyStates(t testing.TB) dirtyStates {
	t.Helper()
	build := func(step int) []byte {
		b := NewBuilder("ROOT")
		b.leafCapacity = 4
		for _, v := range smallModel() {
			b.SetValue(v.key, v.name, v.typ, v.data)
		}
		if step >= 1 {
			b.SetDWORD(exchangeSetupKey, "MsiBuildMajor", buildAfter)
		}
		if step >= 2 {
			b.SetString(patchesKey, "", patchName)
			b.SetValue(patchesKey, "Payload", RegBinary, bytes.Repeat([]byte{0xA5}, patchDataSize))
		}
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	s := dirtyStates{v0: build(0), v1: build(1), v2: build(2)}
	s.described = map[string]string{"v0": describeBytes(t, s.v0), "v1": describeBytes(t, s.v1), "v2": describeBytes(t, s.v2)}
	if len(s.v2) <= len(s.v0) {
		t.Fatalf("the last state (%d bytes) does not grow the hive (%d bytes)", len(s.v2), len(s.v0))
	}
	return s
}

// Sequence numbers of the test hives: the primary file's last complete
// write was primarySecondary, the write that began after it is
// primarySecondary+1.
const primarySecondary = 10

// dirtyPrimary returns the hive file as a copy of a live system holds it:
// the state v0, with a base block saying a write began (primary sequence
// number one more than the secondary) that never reached the file.
func dirtyPrimary(hive []byte) []byte {
	out := slices.Clone(hive)
	le := binary.LittleEndian
	le.PutUint32(out[4:], primarySecondary+1)
	le.PutUint32(out[8:], primarySecondary)
	le.PutUint32(out[checksumOffset:], baseBlockChecksum(out))
	return out
}

// testPage is a page a log entry writes: data at offset in the hive bins.
type testPage struct {
	offset uint32
	data   []byte
}

// changedPages returns the runs of pageSize blocks of hive bins data in
// which after differs from before, as Windows logs its dirty blocks.
func changedPages(before, after []byte, pageSize int) []testPage {
	oldBins, newBins := before[baseBlockSize:], after[baseBlockSize:]
	var pages []testPage
	for at := 0; at < len(newBins); at += pageSize {
		end := min(at+pageSize, len(newBins))
		var old []byte
		if at < len(oldBins) {
			old = oldBins[at:min(end, len(oldBins))]
		}
		if bytes.Equal(old, newBins[at:end]) {
			continue
		}
		if n := len(pages); n > 0 && int(pages[n-1].offset)+len(pages[n-1].data) == at {
			pages[n-1].data = append(pages[n-1].data, newBins[at:end]...)
			continue
		}
		pages = append(pages, testPage{offset: uint32(at), data: slices.Clone(newBins[at:end])})
	}
	return pages
}

// hvleEntry writes a new-format log entry: the header, the page
// references, the pages, padding to a whole sector, and both hashes.
func hvleEntry(sequence, binsSize uint32, pages []testPage) []byte {
	le := binary.LittleEndian
	e := make([]byte, hvleHeaderSize, 4096)
	copy(e, "HvLE")
	le.PutUint32(e[12:], sequence)
	le.PutUint32(e[16:], binsSize)
	le.PutUint32(e[20:], uint32(len(pages)))
	for _, p := range pages {
		e = le.AppendUint32(e, p.offset)
		e = le.AppendUint32(e, uint32(len(p.data)))
	}
	for _, p := range pages {
		e = append(e, p.data...)
	}
	e = append(e, make([]byte, align(len(e), sectorSize)-len(e))...)
	le.PutUint32(e[4:], uint32(len(e)))
	rehashEntry(e)
	return e
}

// rehashEntry recomputes the hashes of the entry at the start of e.
func rehashEntry(e []byte) {
	le := binary.LittleEndian
	size := int(le.Uint32(e[4:]))
	le.PutUint64(e[hvleHash1:], marvin32Sum(hvLogSeed, e[hvleHeaderSize:size]))
	le.PutUint64(e[hvleHash2:], marvin32Sum(hvLogSeed, e[:hvleHash2]))
}

// rehashLog recomputes the hashes of every entry of a new-format log that
// fits in it, so that tests and the fuzzer can change entries and still
// get past the hash checks.
func rehashLog(log []byte) {
	for off := logBaseBlockSize; off+hvleHeaderSize <= len(log) && string(log[off:off+4]) == "HvLE"; {
		size := int(binary.LittleEndian.Uint32(log[off+4:]))
		if size < hvleHeaderSize || size > len(log)-off {
			return
		}
		rehashEntry(log[off:])
		if size%sectorSize != 0 {
			return
		}
		off += size
	}
}

// logBaseBlock is the first sector of a log: a copy of the hive's base
// block with the log's file type and sequence number.
func logBaseBlock(hive []byte, fileType, sequence uint32) []byte {
	base := slices.Clone(hive[:logBaseBlockSize])
	le := binary.LittleEndian
	le.PutUint32(base[4:], sequence)
	le.PutUint32(base[8:], sequence)
	le.PutUint32(base[28:], fileType)
	le.PutUint32(base[checksumOffset:], baseBlockChecksum(base))
	return base
}

// newFormatLog writes a new-format log whose base block has the given
// sequence number (that of its first entry) followed by the entries.
func newFormatLog(hive []byte, sequence uint32, entries ...[]byte) []byte {
	return slices.Concat(append([][]byte{logBaseBlock(hive, fileTypeLogNew, sequence)}, entries...)...)
}

// oldFormatLog writes an old-format log of the change from before to
// after: the base block of after, the dirty vector, and the dirty 512 byte
// pages.
func oldFormatLog(before, after []byte, sequence uint32) []byte {
	binsSize := len(after) - baseBlockSize
	bitmap := make([]byte, binsSize/sectorSize/8)
	var pages []byte
	for _, p := range changedPages(before, after, sectorSize) {
		for i := 0; i < len(p.data); i += sectorSize {
			bit := (int(p.offset) + i) / sectorSize
			bitmap[bit/8] |= 1 << (bit % 8)
		}
	}
	// The pages follow in bitmap order, which changedPages already has.
	for _, p := range changedPages(before, after, sectorSize) {
		pages = append(pages, p.data...)
	}
	vector := append([]byte("DIRT"), bitmap...)
	vector = append(vector, make([]byte, align(len(vector), sectorSize)-len(vector))...)
	return slices.Concat(logBaseBlock(after, fileTypeLogOld1, sequence), vector, pages)
}

// newFormatFixture is a dirty primary file in state v0 and a log that
// takes it to v2 in two entries: the first to v1, the second to v2.
type newFormatFixture struct {
	states  dirtyStates
	primary []byte
	entry1  []byte // sequence primarySecondary: v0 to v1
	entry2  []byte // sequence primarySecondary+1: v1 to v2
	log     []byte
}

func newNewFormatFixture(t testing.TB) newFormatFixture {
	s := newDirtyStates(t)
	f := newFormatFixture{
		states:  s,
		primary: dirtyPrimary(s.v0),
		entry1:  hvleEntry(primarySecondary, uint32(len(s.v1)-baseBlockSize), changedPages(s.v0, s.v1, binAlignment)),
		entry2:  hvleEntry(primarySecondary+1, uint32(len(s.v2)-baseBlockSize), changedPages(s.v1, s.v2, binAlignment)),
	}
	f.log = newFormatLog(f.primary, primarySecondary, f.entry1, f.entry2)
	return f
}

func logFile(name string, data []byte) LogFile {
	return LogFile{Name: name, R: bytes.NewReader(data), Size: int64(len(data))}
}

// hiveImage returns the whole file an opened hive reads, such as a
// recovered hive, so that other tools can read it.
func hiveImage(t testing.TB, h *Hive) []byte {
	t.Helper()
	out := make([]byte, h.file.size)
	if err := readFull(h.file.r, out, 0); err != nil {
		t.Fatal(err)
	}
	return out
}

// describeBytes is describeHive for a hive file in memory.
func describeBytes(t testing.TB, data []byte) string {
	t.Helper()
	d, err := describeHive(openBytes(t, data))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// stateOf says which of the states a hive reads as.
func stateOf(t testing.TB, h *Hive, s dirtyStates) string {
	t.Helper()
	got, err := describeHive(h)
	if err != nil {
		return fmt.Sprintf("unreadable (%v)", err)
	}
	for name, want := range s.described {
		if got == want {
			return name
		}
	}
	return "none of the states"
}
