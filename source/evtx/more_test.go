package evtx

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
)

// Decoding the chunks in parallel gives the same records as decoding in order.
func TestChunksInParallel(t *testing.T) {
	path := filepath.Join(sampleDir, "application_many_events_2216rec.evtx")
	if _, err := os.Stat(path); err != nil {
		t.Skip(path + " not present")
	}
	f := openSample(t, path)
	var sequential []string
	f.Records(func(r *Record) error { sequential = append(sequential, r.XML()); return nil })

	chunks := f.Chunks()
	perChunk := make([][]string, len(chunks))
	var wg sync.WaitGroup
	for i, c := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Records(func(r *Record) error { perChunk[i] = append(perChunk[i], r.XML()); return nil })
		}()
	}
	wg.Wait()
	var parallel []string
	for _, p := range perChunk {
		parallel = append(parallel, p...)
	}
	if len(sequential) != 2216 || !reflect.DeepEqual(sequential, parallel) {
		t.Errorf("sequential %d records, parallel %d, equal %v", len(sequential), len(parallel), reflect.DeepEqual(sequential, parallel))
	}
}

func readSample(t *testing.T, name string) []byte {
	data, err := os.ReadFile(filepath.Join(sampleDir, name))
	if err != nil {
		t.Skip(name + " not present")
	}
	return data
}

// A dirty file's header may count fewer chunks than it has: signed chunks past the count are read.
func TestChunksPastHeaderCount(t *testing.T) {
	data := bytes.Clone(readSample(t, "security_4756_exchange_admin_group_change.evtx"))
	binary.LittleEndian.PutUint16(data[42:], 0)  // chunk count
	binary.LittleEndian.PutUint32(data[120:], 1) // dirty
	binary.LittleEndian.PutUint32(data[124:], crc32.ChecksumIEEE(data[:120]))
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Header.Dirty() || !f.Header.ChecksumOK {
		t.Errorf("header %+v", f.Header)
	}
	n := 0
	problems := f.Records(func(*Record) error { n++; return nil })
	if n != 15 || len(problems) != 0 {
		t.Errorf("%d records, problems %v", n, problems)
	}
}

// Checksum mismatches are problems; the records are still decoded.
func TestChecksumMismatchIsAProblem(t *testing.T) {
	data := bytes.Clone(readSample(t, "security_4756_exchange_admin_group_change.evtx"))
	data[0x50] ^= 1                   // inside the file header's first 120 bytes (unused part)
	data[fileHeaderSize+0x100] ^= 1   // chunk header's unused part
	recordsCRC := fileHeaderSize + 52 // stored records checksum
	data[recordsCRC] ^= 1
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	problems := f.Records(func(*Record) error { n++; return nil })
	want := map[int64]bool{0: true, fileHeaderSize + 124: true, fileHeaderSize + 52: true}
	for _, p := range problems {
		delete(want, p.Offset)
	}
	if n != 15 || len(want) != 0 {
		t.Errorf("%d records, problems %v (missing %v)", n, problems, want)
	}
}

func TestValueFormats(t *testing.T) {
	sid := []byte{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0x56, 0x34, 0x12, 0, 0x10, 0, 0, 0, 0x20, 0, 0, 0, 0x57, 4, 0, 0}
	guid := []byte{0x63, 0xaa, 0x6b, 0xc7, 0x81, 0xae, 0x1c, 0x42, 0xb4, 0x25, 0x34, 0x0b, 0x4b, 0x24, 0x15, 0x7f}
	systime := []byte{0xe5, 0x07, 6, 0, 5, 0, 4, 0, 8, 0, 41, 0, 47, 0, 0xd6, 0x03}
	for _, c := range []struct {
		typ  uint8
		data []byte
		want []string
	}{
		{typeSID, sid, []string{"S-1-5-21-1193046-16-32-1111"}},
		{typeGUID, guid, []string{"{C76BAA63-AE81-421C-B425-340B4B24157F}"}},
		{typeSystemTime, systime, []string{"2021-06-04T08:41:47.982Z"}},
		{typeHexInt64, []byte{0x37, 0x35, 0x3b, 0x0c, 0, 0, 0, 0}, []string{"0x000000000c3b3537"}},
		{typeInt8, []byte{0xff}, []string{"-1"}},
		{typeBool, []byte{1, 0, 0, 0}, []string{"true"}},
		{typeBinary, []byte{0xde, 0xad}, []string{"DEAD"}},
		{typeFileTime, []byte{0x00, 0x80, 0x3e, 0xd5, 0xde, 0xb1, 0x9d, 0x01}, []string{"1970-01-01T00:00:00.000000000Z"}},
		{typeString | typeArrayFlag, []byte{'a', 0, 0, 0, 0, 0, 'b', 0, 0, 0}, []string{"a", "", "b"}},
		{typeUint16 | typeArrayFlag, []byte{1, 0, 2, 0, 3}, []string{"1", "2"}},
		{typeUint32, []byte{1, 2}, []string{"0102"}}, // too short: shown as bytes, no panic
	} {
		v := value{typ: c.typ, data: c.data}
		if got := v.strings(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("type 0x%02x %x: got %q want %q", c.typ, c.data, got, c.want)
		}
	}
}

// FILETIMEs are written as time.Time.AppendFormat writes them, years 0 to 9999 by hand.
func TestFileTimeFormat(t *testing.T) {
	for _, ft := range []uint64{0, 1, 116444736000000000, 132680784877840000, 132680784877840001, 2650467743999999999, 2650467744000000000, 1<<63 - 1, 1<<64 - 1} {
		want := fileTime(ft).AppendFormat(nil, timeLayout)
		if got := appendFileTime(nil, ft); string(got) != string(want) {
			t.Errorf("%d: %s, want %s", ft, got, want)
		}
	}
	for ft := uint64(0); ft < 1<<63; ft = ft*3 + 12345677 {
		if got, want := appendFileTime(nil, ft), fileTime(ft).AppendFormat(nil, timeLayout); string(got) != string(want) {
			t.Fatalf("%d: %s, want %s", ft, got, want)
		}
	}
}
