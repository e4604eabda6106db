package finding

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestJSONRoundTrip: a finding written as JSON reads back the same, with
// evidence in its order and the severity by name.
func TestJSONRoundTrip(t *testing.T) {
	r := Rule{ID: "r", Title: "t", CVEs: []string{"CVE-2021-26855"}}
	f := r.New(High, "a/b.log", 7, time.Date(2021, 3, 3, 6, 49, 43, 0, time.UTC),
		Evidence{{Name: "z", Value: "1"}, {Name: "a", Value: "\"2\""}})
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back Finding
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f, back) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, f)
	}
	if err := json.Unmarshal([]byte(`{"severity":"severe"}`), &back); err == nil {
		t.Error("an unknown severity must not decode")
	}
	if err := json.Unmarshal([]byte(`{"evidence":["x"]}`), &back); err == nil {
		t.Error("evidence must be an object")
	}
}

func TestSortAndDedupe(t *testing.T) {
	at := time.Date(2021, 3, 3, 0, 0, 0, 0, time.UTC)
	mk := func(rule string, sev Severity, line int, withTime bool) Finding {
		f := Finding{Rule: rule, Severity: sev, Path: "p", Line: line}
		if withTime {
			f.At(at.Add(time.Duration(line) * time.Minute))
		}
		return f
	}
	fs := []Finding{mk("a", Low, 1, true), mk("b", High, 9, false), mk("b", High, 2, true), mk("a", Low, 1, true)}
	Sort(fs)
	fs = Dedupe(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.Fingerprint())
	}
	want := []string{"b:p:2", "b:p:9", "a:p:1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
