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

func TestPathEscapedForNamesThatAreNotText(t *testing.T) {
	f := Finding{Rule: "r", Path: "inetpub/wwwroot/aspnet_client/\xff\xfe/a\\b.aspx"}
	f.Normalise()
	if f.PathEscaped != `inetpub/wwwroot/aspnet_client/\xff\xfe/a\\b.aspx` {
		t.Errorf("PathEscaped = %q", f.PathEscaped)
	}
	g := Finding{Rule: "r", Path: "inetpub/wwwroot/aspnet_client/é.aspx"}
	g.Normalise()
	if g.PathEscaped != "" {
		t.Errorf("a UTF-8 name got PathEscaped %q", g.PathEscaped)
	}
}

func TestNormaliseMachineFields(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.45": "203.0.113.45", "203.0.113.45:51234": "203.0.113.45", "[2001:db8::1]:443": "2001:db8::1",
		"fe80::1%12": "fe80::1", "::ffff:198.51.100.7": "198.51.100.7", "[2001:db8::2]": "2001:db8::2",
		"": "", "not an address": "", "1.2.3.4.5": "",
	} {
		if got := NormaliseIP(in); got != want {
			t.Errorf("NormaliseIP(%q) = %q, want %q", in, got, want)
		}
	}
	f := Finding{Rule: "r", Path: "a.log", Line: 3, Evidence: Evidence{
		{Name: KeyClientIP, Value: "203.0.113.45:4444"}, {Name: KeyUserAgent, Value: " python-requests/2.25.1 "},
		{Name: KeyURLHost, Value: "mail.contoso.com"}, {Name: KeyURLStem, Value: "/ecp/y.js"}, {Name: KeyURLQuery, Value: "?a=1"},
	}}
	f.Normalise()
	if f.ID != "r:a.log:3" || f.SourceIP != "203.0.113.45" || f.UserAgent != "python-requests/2.25.1" || f.URL != "https://mail.contoso.com/ecp/y.js?a=1" {
		t.Errorf("normalised %+v", f)
	}
	if f.Evidence.Get(KeyClientIP) != "203.0.113.45:4444" {
		t.Error("the raw evidence changed")
	}
}

func TestDecodeW3CAgent(t *testing.T) {
	for in, want := range map[string]string{
		"Mozilla/5.0+(compatible;+Googlebot/2.1;++http://www.google.com/bot.html)": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Googlebot/2.1+(+http://www.googlebot.com/bot.html)":                       "Googlebot/2.1 (+http://www.googlebot.com/bot.html)",
		"python-requests/2.25.1": "python-requests/2.25.1",
		"-":                      "",
		"a+++b":                  "a + b",
	} {
		if got := DecodeW3CAgent(in); got != want {
			t.Errorf("DecodeW3CAgent(%q) = %q, want %q", in, got, want)
		}
	}
}
