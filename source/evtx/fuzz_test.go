package evtx

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzFile decodes arbitrary bytes as an EVTX file: it must never panic, and
// the fast path must give the same records as the generic path.
// Seeds are a small real sample, truncated and bit-flipped copies of it.
// Run it with -fuzzminimizetime 0: the inputs are at least 68 KiB (a file
// header and one chunk) and the fuzzer otherwise spends its time minimizing
// every new interesting input:
//
//	go test -run XXX -fuzz FuzzFile -fuzztime 60s -fuzzminimizetime 0 ./source/evtx/
func FuzzFile(f *testing.F) {
	sample, err := os.ReadFile(filepath.Join(sampleDir, "msexchange_management_cmdletlogs_ev6.evtx"))
	if err == nil {
		f.Add(sample)
		f.Add(sample[:fileHeaderSize+chunkSize/2])
		f.Add(sample[:fileHeaderSize+chunkHeaderSize+100])
		for _, at := range []int{fileHeaderSize + 48, fileHeaderSize + 600, fileHeaderSize + 700, fileHeaderSize + 1000, fileHeaderSize + 2000} {
			flipped := bytes.Clone(sample)
			flipped[at] ^= 0x10
			f.Add(flipped)
		}
	}
	f.Add([]byte("ElfFile\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		// XML asked later, once the chunk's decoder went on, decodes the
		// chunk again: it must come out as it did from the callback.
		var kept []*Record
		var xml []string
		file.Records(func(r *Record) error {
			kept = append(kept, r)
			xml = append(xml, r.XML())
			return nil
		})
		for i, r := range kept {
			if got := r.XML(); got != xml[i] {
				t.Errorf("record %d: XML from the callback\n%s\nlater\n%s", i, xml[i], got)
			}
		}
		if _, _, err := compareFile(data); err != nil {
			t.Errorf("fast path and generic path differ: %v", err)
		}
	})
}

// TestDamagedSample checks that damage is reported and the rest still decodes.
func TestDamagedSample(t *testing.T) {
	path := filepath.Join(sampleDir, "security_4756_exchange_admin_group_change.evtx")
	sample, err := os.ReadFile(path)
	if err != nil {
		t.Skip(path + " not present")
	}
	damaged := bytes.Clone(sample)
	copy(damaged[fileHeaderSize+chunkHeaderSize:], "XXXX") // first record's signature
	file, err := Open(bytes.NewReader(damaged), int64(len(damaged)))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	problems := file.Records(func(r *Record) error { n++; return nil })
	if n != 14 {
		t.Errorf("%d records decoded after damaging the first, want 14", n)
	}
	var sawRecord bool
	for _, p := range problems {
		if p.Offset == fileHeaderSize+chunkHeaderSize {
			sawRecord = true
		}
	}
	if !sawRecord || len(problems) < 2 { // the records checksum no longer matches either
		t.Errorf("problems %v", problems)
	}
}
