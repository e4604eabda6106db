package evtx

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
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
