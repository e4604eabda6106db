package indicators

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParsePattern(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    string // parts, "path=value" or "!text: why", joined by " | "; or "error: ..."
	}{
		{`[file:hashes.MD5 = 'abc']`, `file:hashes.MD5=abc`},
		{`[file:hashes.'SHA-256' = 'a' OR file:hashes.SHA256 = 'b']`, `file:hashes.SHA-256=a | file:hashes.SHA256=b`},
		{`[ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'x.example']`, `ipv4-addr:value=1.2.3.4 | domain-name:value=x.example`},
		{`([url:value = 'http://a.example/']) OR (([file:name = 'b.aspx']))`, `url:value=http://a.example/ | file:name=b.aspx`},
		{`[(file:name = 'a' OR (file:name = 'b'))]`, `file:name=a | file:name=b`},
		{`[file:name = 'it\'s \\ here']`, `file:name=it's \ here`},
		{"[\n\tfile:name\t=\t'x'\n]", `file:name=x`},
		{`[file:extensions.'windows-pebinary-ext'.sections[*].name = 'x']`, `file:extensions.windows-pebinary-ext.sections[*].name=x`},
		// Parts that are not loaded, each named with why.
		{`[file:name = 'a' AND file:size = 1]`, `!file:name = 'a' AND file:size = 1: AND`},
		{`[file:name = 'a' AND file:size = 1 OR file:name = 'c']`, `!file:name = 'a' AND file:size = 1: AND | file:name=c`},
		{`[file:name = 'a'] AND [file:name = 'b'] OR [file:name = 'c']`, `![file:name = 'a'] AND [file:name = 'b']: AND of observations | file:name=c`},
		{`[file:name = 'a'] FOLLOWEDBY [file:name = 'b']`, `![file:name = 'a'] FOLLOWEDBY [file:name = 'b']: FOLLOWEDBY`},
		{`[file:name MATCHES '^a']`, `!file:name MATCHES '^a': the operator MATCHES`},
		{`[file:name LIKE 'a%']`, `!file:name LIKE 'a%': the operator LIKE`},
		{`[file:name NOT = 'a']`, `!file:name NOT = 'a': NOT`},
		{`[file:name != 'a']`, `!file:name != 'a': the operator !=`},
		{`[file:size >= 10]`, `!file:size >= 10: the operator >=`},
		{`[file:size = 10]`, `!file:size = 10: only string values`},
		{`[ipv4-addr:value IN ('1.2.3.4', '5.6.7.8')]`, `!ipv4-addr:value IN ('1.2.3.4', '5.6.7.8'): the operator IN`},
		{`[ipv4-addr:value ISSUBSET '10.0.0.0/8']`, `!ipv4-addr:value ISSUBSET '10.0.0.0/8': the operator ISSUBSET`},
		{`[EXISTS file:name]`, `!EXISTS file:name: EXISTS`},
		{`[file:name = 'a'] WITHIN 60 SECONDS`, `![file:name = 'a'] WITHIN 60 SECONDS: the qualifier WITHIN`},
		{`[file:name = 'a'] START t'2021-01-01T00:00:00Z' STOP t'2021-04-01T00:00:00Z'`, `![file:name = 'a'] START t'2021-01-01T00:00:00Z' STOP t'2021-04-01T00:00:00Z': the qualifier START/STOP`},
		{`[file:created = t'2021-01-01T00:00:00Z']`, `!file:created = t'2021-01-01T00:00:00Z': only string values`},
		{`[artifact:payload_bin = b'aGVsbG8=']`, `!artifact:payload_bin = b'aGVsbG8=': only string values`},
		// Syntax errors: nothing of the pattern is trusted.
		{`[file:name = 'a'`, `error: expected ']' at the end`},
		{`[file:name = 'a]`, `error: at 13: unterminated string`},
		{`[file:name = 'a\n']`, `error: at 13: a string allows only the escapes`},
		{`file:name = 'a'`, `error: at 0: expected '[', found "file"`},
		{`[file:name = 'a'] OR`, `error: expected '[' at the end`},
		{`[file:name 'a']`, `error: at 11: expected an operator, found "a"`},
		{`[:name = 'a']`, `error: at 1: expected an object type, found ":"`},
		{`[file:name = 'a'] REPEATS 2`, `error: at 27: expected TIMES`},
		{`[file:name = 'a'] ]`, `error: at 18: unexpected "]"`},
		{`[file:name ! 'a']`, `error: at 11: '!' without '='`},
		{`[file:name = 'a'] @`, `error: at 18: unexpected '@'`},
		{strings.Repeat("(", 100) + "[file:name = 'a']" + strings.Repeat(")", 100), `error: parentheses nested too deeply`},
		{"[" + strings.Repeat("(", 100) + "file:name = 'a'" + strings.Repeat(")", 100) + "]", `error: parentheses nested too deeply`},
		{``, `error: expected '[' at the end`},
	} {
		parts, err := parsePattern(tc.pattern)
		var got []string
		if err != nil {
			got = []string{"error: " + err.Error()}
		}
		for _, p := range parts {
			if p.why != "" {
				got = append(got, "!"+p.text+": "+p.why)
			} else {
				got = append(got, p.path+"="+p.value)
			}
		}
		want := strings.Split(tc.want, " | ")
		ok := len(got) == len(want)
		for i := 0; ok && i < len(got); i++ {
			ok = strings.HasPrefix(got[i], want[i])
		}
		if !ok {
			t.Errorf("%s\n got %s\nwant %s", tc.pattern, strings.Join(got, " | "), tc.want)
		}
	}
}

func TestSTIXTerms(t *testing.T) {
	for _, tc := range []struct{ path, value, want string }{
		{"file:hashes.MD5", "x", "md5"},
		{"file:hashes.md5", "x", "md5"},
		{"file:hashes.SHA-1", "x", "sha1"},
		{"file:hashes.SHA1", "x", "sha1"},
		{"file:hashes.SHA_256", "x", "sha256"},
		{"file:hashes.SSDEEP", "x", "hash algorithm SSDEEP is not supported (MD5, SHA-1, SHA-256)"},
		{"file:name", "x", "file-name"},
		{"ipv4-addr:value", "1.2.3.4", "ip"},
		{"ipv4-addr:value", "1.2.3.0/24", "cidr"},
		{"ipv4-addr:value", "2001:db8::1", `"2001:db8::1" is not of the address family of ipv4-addr`},
		{"ipv6-addr:value", "2001:db8::/32", "cidr"},
		{"ipv6-addr:value", "1.2.3.4", `"1.2.3.4" is not of the address family of ipv6-addr`},
		{"ipv4-addr:resolves_to_refs[*].value", "x", "object path ipv4-addr:resolves_to_refs[*].value is not supported"},
		{"domain-name:value", "x.example", "domain"},
		{"url:value", "http://x.example", "url"},
		{"email-addr:value", "a@x.example", "object path email-addr:value is not supported"},
	} {
		kind, _, why := stixTerm(tc.path, tc.value)
		if got := string(kind) + why; got != tc.want {
			t.Errorf("%s = %q: %q, want %q", tc.path, tc.value, got, tc.want)
		}
	}
}

// TestSTIXShapes: a bundle, a bare array, one object, JSON Lines of
// bundles, and a bundle inside an array all load.
func TestSTIXShapes(t *testing.T) {
	ind := func(id, pattern string) string {
		b, _ := json.Marshal(map[string]string{"type": "indicator", "spec_version": "2.1", "id": id, "pattern": pattern, "pattern_type": "stix", "valid_from": "2021-03-02T00:00:00Z"})
		return string(b)
	}
	a := ind("indicator--a", `[ipv4-addr:value = '192.0.2.1']`)
	b := ind("indicator--b", `[ipv4-addr:value = '192.0.2.2']`)
	for name, doc := range map[string]string{
		"bundle":              `{"type":"bundle","id":"bundle--1","objects":[` + a + "," + b + `]}`,
		"objects before type": `{"objects":[` + a + "," + b + `],"id":"bundle--1","type":"bundle"}`,
		"array":               "[" + a + ",\n" + b + "]",
		"two values":          a + " " + b,
		"JSON Lines":          `{"type":"bundle","id":"bundle--1","objects":[` + a + "]}\n" + `{"type":"bundle","id":"bundle--2","objects":[` + b + "]}\n",
		"bundle in an array":  `[{"type":"bundle","id":"bundle--1","objects":[` + a + "," + b + `]}]`,
	} {
		s, ps, err := LoadReader(name, strings.NewReader(doc))
		if err != nil || len(ps) > 0 || s.Len() != 2 {
			t.Errorf("%s: %v %v", name, err, ps)
			continue
		}
		if ind := s.IPText([]byte("192.0.2.2")); ind == nil || ind.Ref != "indicator--b" || ind.Date != "2021-03-02T00:00:00Z" {
			t.Errorf("%s: %+v", name, ind)
		}
	}
	// An object with objects that is not a bundle is read as one, and said.
	_, ps, _ := LoadReader("x", strings.NewReader(`{"type":"report","objects":[`+a+`]}`))
	if len(ps) != 1 || !strings.Contains(ps[0].Err, "not a STIX bundle") {
		t.Errorf("report with objects: %v", ps)
	}
	// Wrong JSON types in one object cost only that object.
	s, ps, _ := LoadReader("x", strings.NewReader(`[{"type":"indicator","id":5,"pattern":"[file:name = 'x.aspx']"},`+a+`]`))
	if s == nil || s.Len() != 1 || len(ps) != 1 || !strings.Contains(ps[0].Err, "not an object exhunt can read") {
		t.Errorf("wrong types: %v", ps)
	}
}
