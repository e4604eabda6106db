package evtx

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkDecodeSamples decodes the samples that evtxexport reads too (the
// two it cannot read hold no templates, which are the common case), from
// memory, with every Record field filled. Besides MB/s it reports records/s
// and allocations per record.
func BenchmarkDecodeSamples(b *testing.B) {
	var files [][]byte
	var size int64
	for _, path := range samples(b) {
		switch filepath.Base(path) {
		case "defender_1151_evtx_v3.2_23chunks.evtx", "rdp_1149_nulltype_edgecase.evtx":
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		size += int64(len(data))
	}
	for _, mode := range []struct {
		name    string
		workers int // 0: Records
	}{{"sequential", 0}, {"parallel-1", 1}, {"parallel-2", 2}} {
		b.Run(mode.name, func(b *testing.B) {
			b.SetBytes(size)
			var records int
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				for _, data := range files {
					f, err := Open(bytes.NewReader(data), int64(len(data)))
					if err != nil {
						b.Fatal(err)
					}
					count := func(r *Record) error { records++; return nil }
					if mode.workers == 0 {
						f.Records(count)
					} else {
						f.RecordsParallel(mode.workers, count)
					}
				}
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(records), "allocs/record")
		})
	}
}

// TestDecodeFiles is the decoder alone for scripts/bench-evtx.sh: it decodes
// the files listed one per line in the file EVTX_DECODE names, with
// RecordsParallel when EVTX_DECODE_WORKERS is set (else Records), and prints
// the records, bytes and problems.
func TestDecodeFiles(t *testing.T) {
	list := os.Getenv("EVTX_DECODE")
	if list == "" {
		t.Skip("EVTX_DECODE not set")
	}
	names, err := os.ReadFile(list)
	if err != nil {
		t.Fatal(err)
	}
	workers, parallel := 0, false
	if w := os.Getenv("EVTX_DECODE_WORKERS"); w != "" {
		if workers, err = strconv.Atoi(w); err != nil {
			t.Fatal(err)
		}
		parallel = true
	}
	var records, data, problems int
	for _, name := range strings.Fields(string(names)) {
		fh, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		st, err := fh.Stat()
		if err != nil {
			t.Fatal(err)
		}
		f, err := Open(fh, st.Size())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		count := func(r *Record) error {
			records++
			data += len(r.Data) // every field is filled: the count only keeps the loop honest
			return nil
		}
		var ps []Problem
		if parallel {
			ps = f.RecordsParallel(workers, count)
		} else {
			ps = f.Records(count)
		}
		problems += len(ps)
		fh.Close()
	}
	fmt.Printf("records %d data-items %d problems %d\n", records, data, problems)
}
