package probe

import (
	"errors"
	"strings"
	"testing"
)

func TestParseTargets(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // Target.String of each
		url  string   // URL("/owa/") of the first
	}{
		{"mail.contoso.com", []string{"https://mail.contoso.com"}, "https://mail.contoso.com:443/owa/"},
		{"MAIL.Contoso.com.", []string{"https://mail.contoso.com"}, ""},
		{"mail.contoso.com:8443", []string{"https://mail.contoso.com:8443"}, "https://mail.contoso.com:8443/owa/"},
		{"192.0.2.10", []string{"https://192.0.2.10"}, ""},
		{"192.0.2.10:444", []string{"https://192.0.2.10:444"}, ""},
		{"2001:db8::1", []string{"https://[2001:db8::1]"}, "https://[2001:db8::1]:443/owa/"},
		{"[2001:db8::1]:8443", []string{"https://[2001:db8::1]:8443"}, ""},
		{"http://ex01", []string{"http://ex01"}, "http://ex01:80/owa/"},
		{"https://webmail.example.org/owa/", []string{"https://webmail.example.org"}, ""},
		{"https://example.org/mail/ecp", []string{"https://example.org/mail"}, "https://example.org:443/mail/owa/"},
		{"192.0.2.0/30", []string{"https://192.0.2.1", "https://192.0.2.2"}, ""},
		{"192.0.2.7/31", []string{"https://192.0.2.6", "https://192.0.2.7"}, ""},
		{"192.0.2.9/32", []string{"https://192.0.2.9"}, ""},
		{"2001:db8::/126", []string{"https://[2001:db8::]", "https://[2001:db8::1]", "https://[2001:db8::2]", "https://[2001:db8::3]"}, ""},
		{"  # a comment", nil, ""},
	} {
		got, err := Parse([]string{tc.in}, 100)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		var names []string
		for _, g := range got {
			names = append(names, g.String())
		}
		if strings.Join(names, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%q: %q, want %q", tc.in, names, tc.want)
		}
		if tc.url != "" && got[0].URL("/owa/") != tc.url {
			t.Errorf("%q: URL %q, want %q", tc.in, got[0].URL("/owa/"), tc.url)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, in := range []string{
		"ftp://host", "https://user:pw@host", "https://host/?q=1", "host:0", "host:70000", "host:https",
		"bad_host!", "-host", "host/path", "10.0.0.0/33", "fe80::1%eth0", "a b", "host\x00", "https://",
	} {
		if got, err := Parse([]string{in}, 100); err == nil {
			t.Errorf("%q: read as %v", in, got)
		}
	}
}

// A range wider than the confirmed bound is refused whole, before any
// address is contacted; duplicates count once.
func TestParseBound(t *testing.T) {
	if _, err := Parse([]string{"10.0.0.0/8"}, 65536); !errors.Is(err, ErrTooMany) || !strings.Contains(err.Error(), "16777214") {
		t.Errorf("a /8: %v", err)
	}
	if _, err := Parse([]string{"::/0"}, 65536); !errors.Is(err, ErrTooMany) {
		t.Errorf("all of IPv6: %v", err)
	}
	if _, err := Parse([]string{"192.0.2.0/24", "host"}, 254); !errors.Is(err, ErrTooMany) {
		t.Errorf("255 targets under a bound of 254: %v", err)
	}
	got, err := Parse([]string{"192.0.2.0/24", "192.0.2.1", "https://192.0.2.1/", "HOST", "host"}, 255)
	if err != nil || len(got) != 255 {
		t.Errorf("duplicates: %d targets, %v", len(got), err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"mail.contoso.com", "192.0.2.0/30", "[::1]:8443", "https://h/owa", "2001:db8::/120", "a:b:c", "http://[::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := Parse(strings.Split(s, "\n"), 1000)
		if err != nil {
			return
		}
		if len(ts) > 1000 {
			t.Fatalf("%d targets under a bound of 1000", len(ts))
		}
		for _, tg := range ts {
			if tg.Port < 1 || tg.Port > 65535 || tg.Host == "" || (tg.Scheme != "http" && tg.Scheme != "https") {
				t.Fatalf("%q gave %+v", s, tg)
			}
			if again, err := Parse([]string{tg.URL("/")}, 1); err != nil || len(again) != 1 || again[0].HostPort() != tg.HostPort() {
				t.Fatalf("%+v: its URL %q reads back as %v, %v", tg, tg.URL("/"), again, err)
			}
		}
	})
}
