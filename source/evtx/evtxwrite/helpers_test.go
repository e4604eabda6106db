package evtxwrite

import (
	"bytes"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/source/evtx"
)

// encode writes the events with the options, failing the test on an error.
func encode(t testing.TB, o Options, events []Event) []byte {
	t.Helper()
	data, err := o.Encode(events)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// decodeAll reads a file with exhunt's decoder; any problem fails the test.
func decodeAll(t testing.TB, data []byte) (*evtx.File, []*evtx.Record) {
	t.Helper()
	f, err := evtx.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var recs []*evtx.Record
	for _, p := range f.Records(func(r *evtx.Record) error { recs = append(recs, r); return nil }) {
		t.Errorf("decoder problem: %v", p)
	}
	return f, recs
}

// ids gives each event the record id the writer gives it.
func ids(events []Event) []uint64 {
	out := make([]uint64, len(events))
	var last uint64
	for i, e := range events {
		id := e.RecordID
		if id == 0 {
			id = last + 1
		}
		out[i], last = id, id
	}
	return out
}

// checkRecords compares every decoded record with the event written with
// the default Options.
func checkRecords(t testing.TB, recs []*evtx.Record, events []Event) {
	t.Helper()
	checkRecordsWith(t, recs, events, Options{})
}

// checkRecordsWith compares every decoded record with the event written;
// the record headers number the records from the first id, or from 1.
func checkRecordsWith(t testing.TB, recs []*evtx.Record, events []Event, o Options) {
	t.Helper()
	if len(recs) != len(events) {
		t.Fatalf("%d records decoded, %d written", len(recs), len(events))
	}
	bad := 0
	for i, id := range ids(events) {
		number := ids(events[:1])[0] + uint64(i)
		if o.Exported {
			number = uint64(i) + 1
		}
		if err := compareRecord(recs[i], &events[i], id, number); err != nil {
			if bad++; bad <= 5 {
				t.Errorf("record %d (id %d): %v\n%.3000s", i, id, err, recs[i].XML())
			}
		}
	}
	if bad > 5 {
		t.Errorf("... %d records differ in all", bad)
	}
}

func compareRecord(r *evtx.Record, e *Event, id, number uint64) error {
	created := e.Time.UTC().Truncate(100)
	written := created
	if !e.Written.IsZero() {
		written = e.Written.UTC().Truncate(100)
	}
	if r.RecordID != id || r.HeaderID != number {
		return fmt.Errorf("ids %d/%d, want %d/%d", r.RecordID, r.HeaderID, id, number)
	}
	if !r.Time.Equal(created) || !r.Written.Equal(written) {
		return fmt.Errorf("times %v/%v, want %v/%v", r.Time, r.Written, created, written)
	}
	if r.EventID != uint32(e.EventID) || r.Provider != e.Provider || r.Channel != e.Channel || r.Computer != e.Computer || r.Level != e.Level {
		return fmt.Errorf("got %d %q %q %q %d", r.EventID, r.Provider, r.Channel, r.Computer, r.Level)
	}
	got, err := systemOf(r.XML())
	if err != nil {
		return err
	}
	if want := wantSystem(e, id); !reflect.DeepEqual(got, want) {
		return fmt.Errorf("System section:\n got  %v\n want %v", got, want)
	}
	want := wantData(e)
	for i := range max(len(r.Data), len(want)) {
		switch {
		case i >= len(r.Data):
			return fmt.Errorf("data item %d missing: want %.200q", i, want[i])
		case i >= len(want):
			return fmt.Errorf("data item %d extra: %.200q", i, r.Data[i])
		case !reflect.DeepEqual(r.Data[i], want[i]):
			return fmt.Errorf("data item %d:\n got  %.200q\n want %.200q", i, r.Data[i], want[i])
		}
	}
	return nil
}

// systemOf flattens the System section of a record's XML: element name to
// text, "element@attribute" to attribute value; absent ones are absent.
func systemOf(x string) (map[string]string, error) {
	d := xml.NewDecoder(strings.NewReader(x))
	m := map[string]string{}
	var path []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, fmt.Errorf("no </System>")
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			path = append(path, tok.Name.Local)
			if len(path) == 3 && path[1] == "System" {
				m[tok.Name.Local] = ""
				for _, a := range tok.Attr {
					m[tok.Name.Local+"@"+a.Name.Local] = a.Value
				}
			}
		case xml.CharData:
			if len(path) == 3 && path[1] == "System" {
				m[path[2]] += string(tok)
			}
		case xml.EndElement:
			path = path[:len(path)-1]
			if tok.Name.Local == "System" {
				return m, nil
			}
		}
	}
}

// wantSystem is the System section exhunt's decoder should show for e.
func wantSystem(e *Event, id uint64) map[string]string {
	m := map[string]string{
		"Provider":               "",
		"EventID":                strconv.Itoa(int(e.EventID)),
		"Level":                  strconv.Itoa(int(e.Level)),
		"Task":                   strconv.Itoa(int(e.Task)),
		"Keywords":               fmt.Sprintf("0x%016x", e.Keywords),
		"TimeCreated":            "",
		"TimeCreated@SystemTime": e.Time.UTC().Truncate(100).Format("2006-01-02T15:04:05.000000000Z"),
		"EventRecordID":          strconv.FormatUint(id, 10),
		"Channel":                e.Channel,
		"Computer":               e.Computer,
		"Security":               "",
	}
	put := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	put("Provider@Name", e.Provider)
	put("Provider@Guid", canonicalGUID(e.ProviderGUID))
	put("Provider@EventSourceName", e.EventSourceName)
	if e.Qualifiers != 0 {
		m["EventID@Qualifiers"] = strconv.Itoa(int(e.Qualifiers))
	}
	if !e.Classic {
		m["Version"] = strconv.Itoa(int(e.Version))
		m["Opcode"] = strconv.Itoa(int(e.Opcode))
		m["Correlation"] = ""
		put("Correlation@ActivityID", canonicalGUID(e.ActivityID))
		put("Correlation@RelatedActivityID", canonicalGUID(e.RelatedActivity))
		m["Execution"] = ""
		m["Execution@ProcessID"] = strconv.FormatUint(uint64(e.ProcessID), 10)
		m["Execution@ThreadID"] = strconv.FormatUint(uint64(e.ThreadID), 10)
	}
	put("Security@UserID", string(e.UserSID))
	return m
}

func canonicalGUID(g GUID) string {
	if g == "" {
		return ""
	}
	return "{" + strings.ToUpper(strings.Trim(string(g), "{}")) + "}"
}

// wantData is the EventData or UserData exhunt's decoder should give for e.
// A null value's element is left out (MS-EVEN6 3.1.4.7.2).
func wantData(e *Event) []evtx.DataItem {
	items := e.Data
	if e.UserData != nil {
		items = e.UserData.Fields
	}
	var out []evtx.DataItem
	for _, d := range items {
		if isNull(d.Value) {
			continue
		}
		value, values := exhuntText(d.Value)
		out = append(out, evtx.DataItem{Name: d.Name, Value: value, Values: values})
	}
	return out
}

// exhuntText is how exhunt's decoder shows a value: the text, and for arrays
// the elements (nil for an empty array).
func exhuntText(v any) (string, []string) {
	var elems []string
	switch v := v.(type) {
	case []string:
		elems = v
	case []uint16:
		elems = texts(v)
	case []uint32:
		elems = texts(v)
	case []uint64:
		elems = texts(v)
	case []int32:
		elems = texts(v)
	case []int64:
		elems = texts(v)
	case []Hex64:
		elems = texts(v)
	case []GUID:
		elems = texts(v)
	default:
		return scalarText(v), nil
	}
	if len(elems) == 0 {
		return "", nil
	}
	return strings.Join(elems, "\n"), elems
}

func texts[T any](v []T) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = scalarText(x)
	}
	return out
}

func scalarText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case ANSIString:
		return string(v)
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []byte:
		return strings.ToUpper(hex.EncodeToString(v))
	case GUID:
		return canonicalGUID(v)
	case SID:
		return string(v)
	case Hex32:
		return fmt.Sprintf("0x%08x", uint32(v))
	case Hex64:
		return fmt.Sprintf("0x%016x", uint64(v))
	case time.Time:
		return v.UTC().Truncate(100).Format("2006-01-02T15:04:05.000000000Z")
	case SystemTime:
		t := time.Time(v).UTC()
		return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1e6)
	}
	return fmt.Sprint(v) // integers and bool
}

// isNull tells the values written as null.
func isNull(v any) bool {
	if v == nil {
		return true
	}
	switch v := v.(type) {
	case []uint16:
		return len(v) == 0
	case []uint32:
		return len(v) == 0
	case []uint64:
		return len(v) == 0
	case []int32:
		return len(v) == 0
	case []int64:
		return len(v) == 0
	case []Hex64:
		return len(v) == 0
	case []GUID:
		return len(v) == 0
	}
	return false
}
