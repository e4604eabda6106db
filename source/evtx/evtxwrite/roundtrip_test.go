package evtxwrite

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/source/evtx"
)

var t0 = time.Date(2021, 3, 3, 6, 49, 43, 699123456, time.UTC)

// allTypes has one value of every supported type, edge values included.
func allTypes() []Data {
	return []Data{
		{"String", "plain"},
		{"Empty", ""},
		{"Unicode", "é中文 🙂 &<>\"' tab\tend"},
		{"Multiline", "line 1\r\nline 2\nline 3"},
		{"Long", strings.Repeat("0123456789abcdef", 500)},
		{"ANSI", ANSIString("ansi text")},
		{"Int8", int8(-128)},
		{"Uint8", uint8(255)},
		{"Int16", int16(-32768)},
		{"Uint16", uint16(65535)},
		{"Int32", int32(-2147483648)},
		{"Uint32", uint32(4294967295)},
		{"Int64", int64(-9223372036854775808)},
		{"Int", -42},
		{"Uint64", uint64(18446744073709551615)},
		{"Uint", uint(7)},
		{"Float32", float32(1.25)},
		{"Float64", -2.5e-300},
		{"True", true},
		{"False", false},
		{"Binary", []byte{0xde, 0xad, 0xbe, 0xef, 0}},
		{"EmptyBinary", []byte{}},
		{"GUID", GUID("{c76baa63-ae81-421c-b425-340b4b24157f}")},
		{"GUIDNoBraces", GUID("365ABB72-4A01-5CE7-0000-0010EE9DAC00")},
		{"SID", SID("S-1-5-21-4230534742-2542757381-3142984815-1111")},
		{"SIDNoSub", SID("S-1-0")},
		{"Hex32", Hex32(0xc000006d)},
		{"Hex64", Hex64(0x9cf992)},
		{"FileTime", t0},
		{"SystemTime", SystemTime(t0)},
		{"Strings", []string{"Set-OabVirtualDirectory", "", "-ExternalUrl 'http://f/<script>'"}},
		{"NoStrings", []string{}},
		{"OneEmptyString", []string{""}},
		{"Uint16s", []uint16{1, 65535}},
		{"Uint32s", []uint32{0, 4294967295}},
		{"Uint64s", []uint64{1 << 63}},
		{"Int32s", []int32{-1, 2}},
		{"Int64s", []int64{-1 << 63}},
		{"Hex64s", []Hex64{0x3e7, 0}},
		{"GUIDs", []GUID{"{C76BAA63-AE81-421C-B425-340B4B24157F}", "{365ABB72-4A01-5CE7-0000-0010EE9DAC00}"}},
		{"", "unnamed"},
	}
}

func fullEvent() Event {
	return Event{
		RecordID: 7184, Time: t0, Written: t0.Add(time.Second),
		Provider: "Microsoft-Windows-Sysmon", ProviderGUID: "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}", EventSourceName: "Sysmon",
		EventID: 65535, Qualifiers: 49152, Version: 5, Level: 255, Task: 65535, Opcode: 255, Keywords: 0x8000000000000001,
		ActivityID: "{82cc33be-98c2-4050-bd7f-53aaed825502}", RelatedActivity: "{365ABB72-49D6-5CE7-0000-001020A7A700}",
		ProcessID: 4294967295, ThreadID: 2092, Channel: "Microsoft-Windows-Sysmon/Operational", Computer: "ex01.corp.local",
		UserSID: "S-1-5-18", Data: allTypes(),
	}
}

func TestOneEventEveryType(t *testing.T) {
	events := []Event{fullEvent()}
	f, recs := decodeAll(t, encode(t, Options{}, events))
	checkRecords(t, recs, events)
	h := f.Header
	if !h.ChecksumOK || h.MajorVersion != 3 || h.MinorVersion != 1 || h.ChunkCount != 1 || h.NextRecordID != 7185 || h.Dirty() || len(f.Problems) != 0 {
		t.Errorf("file header %+v, problems %v", h, f.Problems)
	}
}

func TestClassicEvent(t *testing.T) {
	e := Event{Time: t0, Provider: "MSExchange CmdletLogs", EventID: 6, Qualifiers: 49152, Level: 2, Task: 1, Keywords: classicKeywords,
		Version: 9, Opcode: 9, ProcessID: 1, ThreadID: 2, ActivityID: "{82cc33be-98c2-4050-bd7f-53aaed825502}", // not shown by classic events
		Channel: "MSExchange Management", Computer: "exchange01.offsec.lan", Classic: true,
		Data: []Data{{Value: []string{"Install-TransportAgent", `-Name "Evil"`, "", "en-US"}}}}
	_, recs := decodeAll(t, encode(t, Options{}, []Event{e}))
	checkRecords(t, recs, []Event{e})
	x := recs[0].XML()
	for _, absent := range []string{"<Version", "<Opcode", "<Correlation", "<Execution"} {
		if strings.Contains(x, absent) {
			t.Errorf("classic event shows %s:\n%s", absent, x)
		}
	}
	if !strings.Contains(x, "    <Data>Install-TransportAgent</Data>\n    <Data>-Name &quot;Evil&quot;</Data>\n    <Data/>\n") &&
		!strings.Contains(x, "    <Data>Install-TransportAgent</Data>\n    <Data>-Name \"Evil\"</Data>\n    <Data/>\n") {
		t.Errorf("string array not shown as one <Data> per string:\n%s", x)
	}
}

func TestUserData(t *testing.T) {
	events := []Event{SecurityLogCleared(t0, "EX01", "Administrator", "CORP"), SystemLogCleared(t0, "EX01", "Administrator", "CORP"),
		{Time: t0, Channel: "C", UserData: &UserData{Name: "Bare"}}}
	_, recs := decodeAll(t, encode(t, Options{}, events))
	checkRecords(t, recs, events)
	if x := recs[0].XML(); !strings.Contains(x, `<LogFileCleared xmlns="http://manifests.microsoft.com/win/2004/08/windows/eventlog">`) {
		t.Errorf("no LogFileCleared element:\n%s", x)
	}
}

func TestExamplesRoundTrip(t *testing.T) {
	var events []Event
	for _, ex := range exampleEvents(t0, "EX01") {
		events = append(events, ex.Event)
	}
	_, recs := decodeAll(t, encode(t, Options{}, events))
	checkRecords(t, recs, events)
}

// manyEvents returns n events of a few shapes and sizes, so that templates
// and names are both defined and referenced in every chunk.
func manyEvents(n int) []Event {
	examples := exampleEvents(t0, "EX01")
	events := make([]Event, n)
	for i := range events {
		var e Event
		switch i % 4 {
		case 0:
			e = examples[i/4%len(examples)].Event
		case 1:
			e = fullEvent()
			e.RecordID = 0
			e.Data = append(e.Data[:4:4], e.Data[5:]...) // without the long string
			e.Data = e.Data[:i%len(e.Data)]
		case 2:
			e = Event{Provider: "P", Channel: "Application", Computer: fmt.Sprintf("host%d", i%7), EventID: uint16(i), Classic: i%3 == 0,
				Data: []Data{{Value: []string{fmt.Sprintf("event %d", i), strings.Repeat("x", i%3000)}}}}
		default:
			e = Event{Provider: "P", Channel: "Security", Computer: "h", EventID: 4624,
				Data: []Data{{"N", uint32(i)}, {"S", strings.Repeat("é", i%500)}}}
		}
		e.Time = t0.Add(time.Duration(i) * 1234567)
		events[i] = e
	}
	return events
}

func TestThousandsOfEventsManyChunks(t *testing.T) {
	events := manyEvents(3000)
	data := encode(t, Options{}, events)
	f, recs := decodeAll(t, data)
	checkRecords(t, recs, events)
	chunks := f.Chunks()
	t.Logf("%d events in %d chunks", len(events), len(chunks))
	if len(chunks) < 20 || int(f.Header.ChunkCount) != len(chunks) || f.Header.NextRecordID != 3001 || len(data) != fileHeaderSize+len(chunks)*chunkSize {
		t.Fatalf("%d chunks, header %+v, %d bytes", len(chunks), f.Header, len(data))
	}
	next := uint64(1)
	for _, c := range chunks {
		_, h, problems, err := c.Read()
		if err != nil || len(problems) != 0 || !h.HeaderChecksumOK || !h.RecordsChecksumOK {
			t.Fatalf("chunk %d: %v %v %+v", c.Index, err, problems, h)
		}
		n := 0
		c.Records(func(r *evtx.Record) error { n++; return nil })
		if h.FirstRecordNumber != next || h.FirstRecordID != next || h.AnnouncedRecords() != uint64(n) || h.LastRecordID != h.LastRecordNumber {
			t.Errorf("chunk %d header %+v holds %d records from %d", c.Index, h, n, next)
		}
		next += uint64(n)
	}
}

// Each chunk defines a name or template once, lists it in its hash tables
// and refers to it by offset afterwards.
func TestChunkTables(t *testing.T) {
	data := encode(t, Options{}, manyEvents(600))
	le := binary.LittleEndian
	for off := fileHeaderSize; off < len(data); off += chunkSize {
		c := data[off : off+chunkSize]
		free := int(le.Uint32(c[48:]))
		names := 0
		for b := 0; b < 64; b++ {
			for p := le.Uint32(c[128+4*b:]); p != 0; p = le.Uint32(c[p:]) {
				n := int(le.Uint16(c[p+6:]))
				u := make([]uint16, n)
				for i := range u {
					u[i] = le.Uint16(c[int(p)+8+2*i:])
				}
				if h := nameHash(u); h != le.Uint16(c[p+4:]) || int(h%64) != b || le.Uint16(c[int(p)+8+2*n:]) != 0 || int(p) >= free {
					t.Fatalf("chunk at %d: name at %d in bucket %d: bad hash, bucket or terminator", off, p, b)
				}
				names++
			}
		}
		for _, name := range []string{"EventRecordID", "TimeCreated", "EventData"} {
			u := utf16le(name)
			if got := bytes.Count(c[:free], u); got != 1 {
				t.Errorf("chunk at %d holds %q %d times", off, name, got)
			}
		}
		templates := 0
		for b := 0; b < 32; b++ {
			for p := le.Uint32(c[384+4*b:]); p != 0; p = le.Uint32(c[p:]) {
				id := le.Uint32(c[p+4:]) // the GUID's first four bytes
				if le.Uint32(c[p-8:]) != id || le.Uint32(c[p-4:]) != p || c[p-10] != tokTemplate || int(id%32) != b {
					t.Fatalf("chunk at %d: template at %d is not defined where the table says", off, p)
				}
				templates++
			}
		}
		if names < 20 || templates < 3 {
			t.Errorf("chunk at %d lists %d names, %d templates", off, names, templates)
		}
	}
}

// The record headers number the records without gaps, whatever their
// EventRecordIDs: libevtx skips records when they do not.
func TestRecordIDs(t *testing.T) {
	events := []Event{{Time: t0, RecordID: 7184}, {Time: t0}, {Time: t0, RecordID: 9000}, {Time: t0}, {Time: t0, RecordID: 50}, {Time: t0}}
	for _, o := range []Options{{}, {Exported: true}} {
		f, recs := decodeAll(t, encode(t, o, events))
		checkRecordsWith(t, recs, events, o)
		if next := recs[len(recs)-1].HeaderID + 1; f.Header.NextRecordID != next {
			t.Errorf("%+v: next record id %d, want %d", o, f.Header.NextRecordID, next)
		}
	}
}

func TestDirtyUncountedChunk(t *testing.T) {
	events := manyEvents(1500)
	data := encode(t, Options{Dirty: true, UncountedChunks: 1, MinorVersion: 2}, events)
	f, recs := decodeAll(t, data)
	checkRecords(t, recs, events)
	h := f.Header
	chunks := f.Chunks()
	last, _, _, _ := chunks[len(chunks)-2].Read()
	lastID := binary.LittleEndian.Uint64(last[32:])
	if !h.Dirty() || !h.ChecksumOK || h.MinorVersion != 2 || int(h.ChunkCount) != len(chunks)-1 || h.LastChunk != uint64(len(chunks)-2) || h.NextRecordID != lastID+1 || lastID >= 1500 {
		t.Errorf("header %+v for %d chunks (last counted ends at %d)", h, len(chunks), lastID)
	}
}

func TestNoEvents(t *testing.T) {
	data := encode(t, Options{}, nil)
	f, recs := decodeAll(t, data)
	if len(data) != fileHeaderSize || len(recs) != 0 || f.Header.ChunkCount != 0 || f.Header.NextRecordID != 1 || !f.Header.ChecksumOK {
		t.Errorf("%d bytes, %d records, header %+v", len(data), len(recs), f.Header)
	}
}

// A null value leaves its element out: MS-EVEN6 3.1.4.7.2 says an element
// enclosing an optional substitution whose value is null is not rendered.
func TestNullValue(t *testing.T) {
	unnamed := []Event{
		{Time: t0, Data: []Data{{"", "a"}, {"", nil}, {"", "b"}, {"", []uint32{}}, {"", []GUID{}}, {"", []string{}}}},
		{Time: t0, UserData: &UserData{Name: "U", Fields: []Data{{"A", "a"}, {"V", nil}, {"W", []Hex64{}}}}},
	}
	_, recs := decodeAll(t, encode(t, Options{}, unnamed))
	checkRecords(t, recs, unnamed)

	named := []Event{{Time: t0, Data: []Data{{"A", "a"}, {"V", nil}, {"B", "b"}}}}
	_, recs = decodeAll(t, encode(t, Options{}, named))
	if len(recs[0].Data) != 2 || recs[0].Data[1].Name != "B" {
		t.Errorf(`<Data Name="V"> whose only content is a null optional substitution must be left out: %+v`, recs[0].Data)
	}
	checkRecords(t, recs, named)
}

// FILETIME values before 1970: 1601-01-01 (FILETIME 0) is what Windows
// writes for "never".
func TestFileTimeBefore1970(t *testing.T) {
	events := []Event{{Time: t0, Data: []Data{
		{"Half", time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC)},
		{"Zero", time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)},
	}}}
	_, recs := decodeAll(t, encode(t, Options{}, events))
	half, _ := recs[0].Get("Half")
	zero, _ := recs[0].Get("Zero")
	if half != "1969-12-31T23:59:59.500000000Z" || zero != "1601-01-01T00:00:00.000000000Z" {
		t.Errorf("FILETIME 1969-12-31T23:59:59.5 decoded as %s, FILETIME 0 as %s", half, zero)
	}
	checkRecords(t, recs, events)
}

func TestFileTime(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want uint64
	}{
		{time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Unix(0, 0), 116444736000000000},
		{time.Unix(0, 199), 116444736000000001},
		{time.Date(2021, 6, 4, 8, 41, 47, 982128100, time.UTC), 0x01d7591d74d5f3e1},
	} {
		if got, err := FileTime(c.t); err != nil || got != c.want {
			t.Errorf("FileTime(%v) = %d, %v; want %d", c.t, got, err, c.want)
		}
	}
	for _, bad := range []time.Time{{}, time.Date(1600, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(60000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, err := FileTime(bad); err == nil {
			t.Errorf("FileTime(%v) accepted", bad)
		}
	}
}

func TestErrors(t *testing.T) {
	ok := Event{Time: t0}
	with := func(d ...Data) Event { e := ok; e.Data = d; return e }
	for _, c := range []struct {
		what string
		o    Options
		e    Event
	}{
		{"zero time", Options{}, Event{}},
		{"bad GUID", Options{}, with(Data{"G", GUID("{not-a-guid}")})},
		{"bad provider GUID", Options{}, Event{Time: t0, ProviderGUID: "x"}},
		{"bad SID", Options{}, with(Data{"S", SID("S-1-x")})},
		{"bad user SID", Options{}, Event{Time: t0, UserSID: "1-5-18"}},
		{"unsupported type", Options{}, with(Data{"X", struct{}{}})},
		{"NUL in a string array", Options{}, with(Data{"A", []string{"a\x00b"}})},
		{"value too long", Options{}, with(Data{"L", strings.Repeat("x", 32768)})},
		{"event too large for a chunk", Options{}, with(Data{"A", strings.Repeat("x", 30000)}, Data{"B", strings.Repeat("y", 30000)}, Data{"C", strings.Repeat("z", 30000)})},
		{"both Data and UserData", Options{}, Event{Time: t0, Data: []Data{{"A", "a"}}, UserData: &UserData{Name: "U"}}},
		{"UserData without a name", Options{}, Event{Time: t0, UserData: &UserData{}}},
		{"UserData field without a name", Options{}, Event{Time: t0, UserData: &UserData{Name: "U", Fields: []Data{{"", "a"}}}}},
		{"version 3.3", Options{MinorVersion: 3}, ok},
		{"more uncounted chunks than chunks", Options{UncountedChunks: 2}, ok},
	} {
		if _, err := c.o.Encode([]Event{c.e}); err == nil {
			t.Errorf("%s: no error", c.what)
		} else {
			t.Logf("%s: %v", c.what, err)
		}
	}
	// A value of nearly a chunk fits.
	if _, err := (Options{}).Encode([]Event{with(Data{"L", strings.Repeat("x", 31000)})}); err != nil {
		t.Error(err)
	}
}

func TestWriteFile(t *testing.T) {
	path := t.TempDir() + "/x.evtx"
	events := manyEvents(10)
	if err := WriteFile(path, events); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, events); err != nil {
		t.Fatal(err)
	}
	data := encode(t, Options{}, events)
	if !bytes.Equal(buf.Bytes(), data) {
		t.Error("Write and Encode differ")
	}
}
