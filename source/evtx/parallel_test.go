package evtx

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// describe writes down everything a caller can see of a record.
func describe(r *Record, withXML bool) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d %d %v %v %d %q %q %q %d\n", r.RecordID, r.HeaderID, r.Time, r.Written, r.EventID, r.Provider, r.Channel, r.Computer, r.Level)
	for _, d := range r.Data {
		fmt.Fprintf(&sb, "  %q=%q %q\n", d.Name, d.Value, d.Values)
	}
	if withXML {
		sb.WriteString(r.XML())
	}
	return sb.String()
}

func collect(decode func(func(*Record) error) []Problem, stopAt int) ([]string, []Problem) {
	var got []string
	problems := decode(func(r *Record) error {
		if len(got) == stopAt {
			return errors.New("enough")
		}
		got = append(got, describe(r, len(got)%7 == 0))
		return nil
	})
	return got, problems
}

// RecordsParallel gives what Records gives, whatever the number of workers,
// also when fn stops it and on damaged files.
func TestRecordsParallelSameAsRecords(t *testing.T) {
	inputs := map[string][]byte{}
	for _, path := range samples(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		inputs[path] = data
	}
	damaged := bytes.Clone(inputs[sampleDir+"/application_many_events_2216rec.evtx"])
	if damaged != nil {
		for i := fileHeaderSize + 3000; i < len(damaged); i += 40000 {
			damaged[i] ^= 0x5a
		}
		inputs["damaged"] = damaged
	}
	for name, data := range inputs {
		f, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, stopAt := range []int{-1, 0, 150, 1000} {
			want, wantProblems := collect(f.Records, stopAt)
			for _, workers := range []int{0, 1, 2, 3, 16} {
				got, problems := collect(func(fn func(*Record) error) []Problem { return f.RecordsParallel(workers, fn) }, stopAt)
				if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(problems, wantProblems) {
					t.Errorf("%s, %d workers, stop at %d: %d records and %d problems, Records gives %d and %d",
						name, workers, stopAt, len(got), len(problems), len(want), len(wantProblems))
				}
			}
		}
	}
}

// A panic in fn reaches the caller, and the workers stop.
func TestRecordsParallelPanic(t *testing.T) {
	data := readSample(t, "application_many_events_2216rec.evtx")
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	f.RecordsParallel(2, func(r *Record) error { panic("boom") })
}

// Records kept after the callback, and their XML rendered later from
// several goroutines at once, are right (run with -race).
func TestKeptRecordsXML(t *testing.T) {
	data := readSample(t, "security_smb_password_guessing_3MB.evtx")
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	f.Records(func(r *Record) error { want = append(want, r.XML()); return nil })
	var kept []*Record
	f.RecordsParallel(2, func(r *Record) error { kept = append(kept, r); return nil })
	if len(kept) != len(want) {
		t.Fatalf("%d records kept, want %d", len(kept), len(want))
	}
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := g; i < len(kept); i += 4 {
				if got := kept[i].XML(); got != want[i] {
					errs <- fmt.Errorf("record %d: XML differs", i)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// XML() of a record may be called from another goroutine while the
// decoding goes on in the same chunk (run with -race).
func TestXMLWhileDecoding(t *testing.T) {
	data := readSample(t, "application_many_events_2216rec.evtx")
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	f.Records(func(r *Record) error { want = append(want, r.XML()); return nil })
	records := make(chan *Record, 64)
	got := make(chan []string)
	go func() {
		var xml []string
		for r := range records {
			xml = append(xml, r.XML())
		}
		got <- xml
	}()
	f.Records(func(r *Record) error { records <- r; return nil })
	close(records)
	if xml := <-got; !reflect.DeepEqual(xml, want) {
		t.Errorf("%d records rendered, %d expected, or some differ", len(xml), len(want))
	}
}

// XML on a record kept after its chunk was decoded reads the chunk again
// from the file (once per chunk): after the file is closed, only the chunks
// read again before give XML.
func TestXMLAfterClose(t *testing.T) {
	path := sampleDir + "/application_many_events_2216rec.evtx"
	fh, err := os.Open(path)
	if err != nil {
		t.Skip(path + " not present")
	}
	st, _ := fh.Stat()
	f, err := Open(fh, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	var kept []*Record
	var want []string
	f.Records(func(r *Record) error {
		kept, want = append(kept, r), append(want, r.XML())
		return nil
	})
	first, last := kept[0], kept[len(kept)-1]
	if first.src == last.src {
		t.Fatal("want records of two chunks")
	}
	if got := first.XML(); got != want[0] {
		t.Errorf("XML of a kept record differs:\n%s\nwant\n%s", got, want[0])
	}
	fh.Close()
	if got := first.XML(); got != want[0] {
		t.Error("XML of a chunk read again before the file was closed is lost")
	}
	if got := last.XML(); got != "" {
		t.Errorf("XML of a record whose file is closed: %q", got)
	}
}
