package evtx

import (
	"os"
	"path/filepath"
	"testing"
)

// sampleDir holds the real EVTX samples shared by the project (absent outside it).
const sampleDir = "../../../shared/data/evtx"

func samples(t testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join(sampleDir, "*.evtx"))
	if len(files) == 0 {
		t.Skip(sampleDir + " is not present")
	}
	return files
}

func openSample(t testing.TB, path string) *File {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	st, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(fh, st.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

func TestHeaderAndChunks(t *testing.T) {
	for _, path := range samples(t) {
		f := openSample(t, path)
		if !f.Header.ChecksumOK {
			t.Errorf("%s: header checksum mismatch", path)
		}
		if len(f.Chunks()) < int(f.Header.ChunkCount) {
			t.Errorf("%s: %d chunks found, header announces %d", path, len(f.Chunks()), f.Header.ChunkCount)
		}
		for _, c := range f.Chunks() {
			_, h, problems, err := c.Read()
			if err != nil || len(problems) > 0 {
				t.Errorf("%s chunk %d: %v %v", path, c.Index, err, problems)
			}
			if !h.HeaderChecksumOK || !h.RecordsChecksumOK {
				t.Errorf("%s chunk %d: checksum mismatch", path, c.Index)
			}
		}
		t.Logf("%s: version %d.%d, %d chunks (header %d), flags %d", filepath.Base(path), f.Header.MajorVersion, f.Header.MinorVersion, len(f.Chunks()), f.Header.ChunkCount, f.Header.Flags)
	}
}

func TestOpenRejectsGarbage(t *testing.T) {
	if _, err := Open(bytesReader("not an evtx file at all, not at all........................................................................................................."), 140); err == nil {
		t.Fatal("garbage accepted")
	}
}
