package evtx

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// sameRecords compares what the fast path and the generic path made of a
// chunk, field by field, problems included.
func sameRecords(fast, generic chunkBatch) error {
	if len(fast.records) != len(generic.records) {
		return fmt.Errorf("%d records, generic path %d", len(fast.records), len(generic.records))
	}
	for i := range fast.records {
		f, g := fast.records[i], generic.records[i]
		if f.RecordID != g.RecordID || f.HeaderID != g.HeaderID || !f.Time.Equal(g.Time) || !f.Written.Equal(g.Written) ||
			f.EventID != g.EventID || f.Provider != g.Provider || f.Channel != g.Channel || f.Computer != g.Computer || f.Level != g.Level ||
			f.at != g.at || f.size != g.size {
			return fmt.Errorf("record %d (header id %d):\nfast    %d %d %v %v %d %q %q %q %d\ngeneric %d %d %v %v %d %q %q %q %d", i, g.HeaderID,
				f.RecordID, f.HeaderID, f.Time, f.Written, f.EventID, f.Provider, f.Channel, f.Computer, f.Level,
				g.RecordID, g.HeaderID, g.Time, g.Written, g.EventID, g.Provider, g.Channel, g.Computer, g.Level)
		}
		if !reflect.DeepEqual(f.Data, g.Data) {
			return fmt.Errorf("record %d (header id %d): data\nfast    %#v\ngeneric %#v", i, g.HeaderID, f.Data, g.Data)
		}
	}
	if !reflect.DeepEqual(fast.problems, generic.problems) || !reflect.DeepEqual(fast.before, generic.before) {
		return fmt.Errorf("problems\nfast    %v %v\ngeneric %v %v", fast.problems, fast.before, generic.problems, generic.before)
	}
	return nil
}

// compareFile decodes every chunk both ways; it returns the records decoded
// and how many of them the fast path decoded.
func compareFile(data []byte) (records, fast int, err error) {
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return 0, 0, nil
	}
	ws, wsGeneric := newWorkspace(), newWorkspace()
	for _, c := range f.Chunks() {
		a, b := decodeBatch(c, ws, false), decodeBatch(c, wsGeneric, true)
		ws.spare = a.src.release(ws.spare)
		wsGeneric.spare = b.src.release(wsGeneric.spare)
		if err := sameRecords(a, b); err != nil {
			return records, ws.fast, fmt.Errorf("chunk %d: %v", c.Index, err)
		}
		records += len(a.records)
	}
	return records, ws.fast, nil
}

// readCorpusFile reads a file of Go's fuzzing corpus format holding one []byte.
func readCorpusFile(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	header, body, _ := strings.Cut(string(raw), "\n")
	body = strings.TrimSpace(body)
	if header != "go test fuzz v1" || !strings.HasPrefix(body, "[]byte(") || !strings.HasSuffix(body, ")") {
		return nil, fmt.Errorf("%s: not a one-[]byte corpus file", path)
	}
	s, err := strconv.Unquote(body[len("[]byte(") : len(body)-1])
	return []byte(s), err
}

// fuzzCorpus lists the FuzzFile inputs kept in testdata and in the Go cache
// (EVTX_FUZZ_CORPUS names another folder).
func fuzzCorpus(t *testing.T) []string {
	dirs := []string{"testdata/fuzz/FuzzFile"}
	if d := os.Getenv("EVTX_FUZZ_CORPUS"); d != "" {
		dirs = append(dirs, d)
	} else if out, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil {
		dirs = append(dirs, filepath.Join(strings.TrimSpace(string(out)), "fuzz/github.com/exhunt/exhunt/source/evtx/FuzzFile"))
	}
	var files []string
	for _, d := range dirs {
		fs, _ := filepath.Glob(filepath.Join(d, "*"))
		files = append(files, fs...)
	}
	return files
}

// The fast path must give exactly what the generic path gives, on every
// record of the samples and of the fuzzing corpus.
func TestFastPathAgreesWithGeneric(t *testing.T) {
	for _, path := range samples(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		n, fast, err := compareFile(data)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(path), err)
		}
		t.Logf("%s: %d records, %d by the fast path", filepath.Base(path), n, fast)
	}
	corpus := fuzzCorpus(t)
	var records, fast int
	for _, path := range corpus {
		data, err := readCorpusFile(path)
		if err != nil {
			t.Log(err)
			continue
		}
		n, nf, err := compareFile(data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
		}
		records += n
		fast += nf
	}
	t.Logf("fuzz corpus: %d inputs, %d records, %d by the fast path", len(corpus), records, fast)
}
