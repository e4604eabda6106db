package w3c

import (
	"net/netip"
	"testing"
)

func TestDecodeUserAgent(t *testing.T) {
	for in, want := range map[string]string{
		"Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
		"python-requests/2.25.1":                    "python-requests/2.25.1",
		"-":                                         "",
		"--":                                        "--",
		"":                                          "",
		"a++b":                                      "a  b",
	} {
		if got := DecodeUserAgent(in); got != want {
			t.Errorf("DecodeUserAgent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeURI(t *testing.T) {
	for in, want := range map[string]string{
		"/owa/auth/x.js":                         "/owa/auth/x.js",
		"/ecp/DDI/DDIService.svc/GetObject":      "/ecp/DDI/DDIService.svc/GetObject",
		"Log=PrxFrom:fe80%3a%3a2063%3a570a_":     "Log=PrxFrom:fe80::2063:570a_",
		"a%2Fb%2fc":                              "a/b/c",
		"%41%4":                                  "A%4",
		"%":                                      "%",
		"%%41":                                   "%A",
		"%zz%4g":                                 "%zz%4g",
		"%u0041%U00e9":                           "Aé",
		"%u00":                                   "%u00",
		"%u00zz":                                 "%u00zz",
		"%uD800":                                 "\uFFFD",
		"%00%ff":                                 "\x00\xff",
		"-":                                      "",
		"cmd=whoami+%2Fall":                      "cmd=whoami+/all",
		"&CorrelationID=<empty>;&cafeReqId=a-b;": "&CorrelationID=<empty>;&cafeReqId=a-b;",
	} {
		if got := DecodeURI(in); got != want {
			t.Errorf("DecodeURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClientAddr(t *testing.T) {
	for in, want := range map[string]string{
		"139.162.202.236":              "139.162.202.236",
		"139.162.202.236:51234":        "139.162.202.236",
		"::1":                          "::1",
		"fe80::2063:570a:9da1:9b71%12": "fe80::2063:570a:9da1:9b71%12",
		"::ffff:1.2.3.4":               "1.2.3.4",
		"[2001:db8::1]:443":            "2001:db8::1",
		"[fe80::1%12]":                 "fe80::1%12",
		"2001:db8::1":                  "2001:db8::1",
	} {
		a, ok := ClientAddr(in)
		if !ok || a != netip.MustParseAddr(want) {
			t.Errorf("ClientAddr(%q) = %v, %v; want %s", in, a, ok, want)
		}
	}
	for _, in := range []string{"-", "", "xxx", "1.2.3.4:", "1.2.3.4:port", "1.2.3.4:1234567", "[::1", "[::1]x", "300.1.1.1", "1.2.3.4,5.6.7.8"} {
		if a, ok := ClientAddr(in); ok {
			t.Errorf("ClientAddr(%q) = %v; want none", in, a)
		}
	}
}

func TestValueAndIsEmpty(t *testing.T) {
	if Value("-") != "" || Value("a") != "a" || Value("") != "" {
		t.Error("Value")
	}
	if !IsEmpty(nil) || !IsEmpty([]byte("-")) || IsEmpty([]byte("--")) || IsEmpty([]byte("0")) {
		t.Error("IsEmpty")
	}
}
