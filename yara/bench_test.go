package yara

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkWebshellRules scans 4 MB of the shared logs, repeated, with
// gen_webshells.yar.
func BenchmarkWebshellRules(b *testing.B) {
	src, err := os.ReadFile(filepath.Join(sharedRules, "gen_webshells.yar"))
	if err != nil {
		b.Skip("no shared rules")
	}
	rs, err := Compile(Source{Name: "gen_webshells.yar", Data: src})
	if err != nil {
		b.Fatal(err)
	}
	var data []byte
	filepath.WalkDir(sharedLogs, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			x, _ := os.ReadFile(p)
			data = append(data, x...)
		}
		return nil
	})
	for len(data) < 4<<20 && len(data) > 0 {
		data = append(data, data...)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := rs.Scan(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}
