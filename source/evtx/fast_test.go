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
	"time"

	"github.com/exhunt/exhunt/source/evtx/evtxwrite"
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

// Logs written as Windows writes them (package evtxwrite), in shapes the
// samples lack: every value type, arrays, absent values that drop their
// element, unnamed classic data, UserData, no data at all. Every record must
// take the fast path and agree with the generic path.
func TestFastPathOnWrittenLogs(t *testing.T) {
	t0 := time.Date(2021, 3, 3, 6, 49, 43, 699123456, time.UTC)
	all := []evtxwrite.Data{
		{Name: "String", Value: "plain"}, {Name: "Empty", Value: ""}, {Name: "Unicode", Value: "é中文 🙂 &<>\"'\tend"},
		{Name: "ANSI", Value: evtxwrite.ANSIString("ansi")}, {Name: "Int8", Value: int8(-128)}, {Name: "Uint8", Value: uint8(255)},
		{Name: "Int16", Value: int16(-32768)}, {Name: "Uint16", Value: uint16(65535)}, {Name: "Int32", Value: int32(-1)},
		{Name: "Uint32", Value: uint32(4294967295)}, {Name: "Int64", Value: int64(-1 << 63)}, {Name: "Uint64", Value: uint64(1<<64 - 1)},
		{Name: "Float32", Value: float32(1.25)}, {Name: "Float64", Value: -2.5e-300}, {Name: "Bool", Value: true},
		{Name: "Binary", Value: []byte{0xde, 0xad}}, {Name: "EmptyBinary", Value: []byte{}}, {Name: "Null", Value: nil},
		{Name: "GUID", Value: evtxwrite.GUID("{c76baa63-ae81-421c-b425-340b4b24157f}")}, {Name: "SID", Value: evtxwrite.SID("S-1-5-18")},
		{Name: "Hex32", Value: evtxwrite.Hex32(0xc000006d)}, {Name: "Hex64", Value: evtxwrite.Hex64(0x9cf992)},
		{Name: "FileTime", Value: t0}, {Name: "SystemTime", Value: evtxwrite.SystemTime(t0)},
		{Name: "Strings", Value: []string{"a", "", "b\nc"}}, {Name: "NoStrings", Value: []string{}}, {Name: "OneEmpty", Value: []string{""}},
		{Name: "Uint16s", Value: []uint16{1, 65535}}, {Name: "Uint32s", Value: []uint32{}}, {Name: "Int64s", Value: []int64{-1 << 63}},
		{Name: "Hex64s", Value: []evtxwrite.Hex64{0x3e7, 0}}, {Name: "GUIDs", Value: []evtxwrite.GUID{"{C76BAA63-AE81-421C-B425-340B4B24157F}"}},
		{Name: "", Value: "unnamed"}, {Name: "Data", Value: "named Data"}, {Name: "String", Value: "the name again"},
	}
	base := evtxwrite.Event{Time: t0, Provider: "Microsoft-Windows-Sysmon", ProviderGUID: "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",
		EventID: 1, Qualifiers: 16384, Level: 4, Keywords: 0x8000000000000000, ProcessID: 4, ThreadID: 8,
		Channel: "Microsoft-Windows-Sysmon/Operational", Computer: "ex01.corp.local", UserSID: "S-1-5-18"}
	var events []evtxwrite.Event
	for i := range 3000 {
		e := base
		e.EventID = uint16(i)
		e.Level = uint8(i % 6)
		switch i % 6 {
		case 0:
			e.Data = all
		case 1:
			e.Data = all[i%len(all):]
		case 2:
			e.Classic, e.Provider, e.Channel = true, "MSExchange CmdletLogs", "MSExchange Management"
			e.Data = []evtxwrite.Data{{Value: []string{"Install-TransportAgent", "-Name x", "", "en-US"}}}
		case 3:
			e.UserData = &evtxwrite.UserData{Name: "LogFileCleared", Namespace: "http://manifests.microsoft.com/win/2004/08/windows/eventlog",
				Fields: []evtxwrite.Data{{Name: "SubjectUserName", Value: "admin"}, {Name: "Absent", Value: nil}, {Name: "Count", Value: uint32(i)}}}
		case 4:
			// no data: an empty EventData
		case 5:
			e.Data = []evtxwrite.Data{{Name: "OnlyNull", Value: nil}, {Name: "Strings", Value: []string{"x"}}}
		}
		events = append(events, e)
	}
	for _, o := range []evtxwrite.Options{{}, {MinorVersion: 2, Exported: true}} {
		data, err := o.Encode(events)
		if err != nil {
			t.Fatal(err)
		}
		n, fast, err := compareFile(data)
		if err != nil {
			t.Error(err)
		}
		if n != len(events) || fast != n {
			t.Errorf("%d records, %d by the fast path, %d events written", n, fast, len(events))
		}
	}
}
