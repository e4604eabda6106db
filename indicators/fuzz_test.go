package indicators

import (
	"encoding/json"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// checkLoaded holds for whatever a feed loads: no error without
// indicators; every indicator of a valid kind, accepted again by Add, and
// found by its own lookup; problems inside the feed's lines.
func checkLoaded(t *testing.T, feed []byte, s *Set, ps []Problem, err error) {
	t.Helper()
	if err == nil && (s == nil || s.Len() == 0) {
		t.Fatal("no error and no indicators")
	}
	lines := strings.Count(string(feed), "\n") + 1
	for _, p := range ps {
		if p.Line < 0 || p.Line > lines {
			t.Fatalf("problem on line %d of %d: %v", p.Line, lines, p)
		}
	}
	if s == nil {
		return
	}
	for ind := range s.All() {
		if !ind.Kind.Valid() {
			t.Fatalf("kind %q", ind.Kind)
		}
		if err := (&Set{}).Add(ind); err != nil {
			t.Fatalf("%+v not accepted again: %v", ind, err)
		}
		var found *Indicator
		switch ind.Kind {
		case KindIP:
			found = s.IPText([]byte(ind.Value))
		case KindCIDR:
			found = s.IP(netip.MustParsePrefix(ind.Value).Addr())
		case KindMD5, KindSHA1, KindSHA256:
			found = s.Hash(ind.Value)
		case KindDomain:
			found = s.Domain(ind.Value)
		case KindURL:
			found = s.URL(ind.Value)
		case KindUserAgent:
			found = s.UserAgent(ind.Value)
		case KindFileName:
			found = s.FileName(ind.Value)
		case KindFilePath:
			if strings.Contains(ind.Value, "%") {
				continue // found by the folder the variable names
			}
			found = s.FileName(ind.Value)
		default:
			continue
		}
		if found == nil {
			t.Fatalf("%+v not found by its own lookup", ind)
		}
	}
}

func FuzzSTIX(f *testing.F) {
	for _, name := range []string{"cisa-style-bundle.stix21.json", "stix-array.json", "stix-single-indicator.json", "mstic-feed-excerpt.json", "mstic-feed-excerpt.jsonl"} {
		data, err := os.ReadFile(feeds + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "")
	}
	for _, p := range []string{
		`[file:hashes.'SHA-256' = 'b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0' OR file:name = 'x.aspx']`,
		`[ipv4-addr:value = '10.0.0.0/8'] OR ([ipv6-addr:value = '::1'] AND [url:value = 'http://a/b'])`,
		`[domain-name:value = 'a.example'] REPEATS 2 TIMES WITHIN 5 SECONDS`,
		`[file:name = 'it\'s'] START t'2021-01-01T00:00:00Z' STOP t'2021-02-01T00:00:00Z'`,
		`[file:size IN (1, 2) OR NOT file:name MATCHES 'x' OR EXISTS file:x[*].y]`,
	} {
		f.Add([]byte(nil), p)
	}
	f.Fuzz(func(t *testing.T, doc []byte, pattern string) {
		s, ps, err := LoadReader("f.json", strings.NewReader(string(doc)))
		checkLoaded(t, doc, s, ps, err)
		if pattern == "" {
			return
		}
		obj, _ := json.Marshal(map[string]string{"type": "indicator", "id": "indicator--f", "pattern": pattern})
		s, ps, err = LoadReader("p.json", strings.NewReader(string(obj)))
		checkLoaded(t, obj, s, ps, err)
		// Every part of a pattern that parses is loaded or named.
		if parts, err := parsePattern(pattern); err == nil {
			loaded := 0
			if s != nil {
				loaded = s.Len()
			}
			if len(parts) > 0 && loaded+len(ps) == 0 {
				t.Fatalf("%q: %d parts, none loaded or named", pattern, len(parts))
			}
		}
	})
}

func FuzzPlainList(f *testing.F) {
	for _, name := range []string{"plain-mixed.txt", "loki-hash-iocs.txt", "loki-filename-iocs.txt", "hashes-export.csv", "mstic-feed-excerpt.csv"} {
		data, err := os.ReadFile(feeds + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	f.Add("ip:1.2.3.4\ncidr:::ffff:1.2.3.0/120\nhxxps://a[.]example/x\nua:Foo/1 (x)\n%windir%\\temp\\x.exe\n")
	f.Add("\xff\xfe1\x002\x00")
	f.Fuzz(func(t *testing.T, list string) {
		s, ps, err := LoadReader("f.txt", strings.NewReader(list))
		checkLoaded(t, []byte(list), s, ps, err)
	})
}
