package indicators

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func mustSet(t testing.TB, inds ...Indicator) *Set {
	t.Helper()
	s := &Set{}
	for _, ind := range inds {
		if err := s.Add(ind); err != nil {
			t.Fatalf("Add(%+v): %v", ind, err)
		}
	}
	return s
}

// label returns the label of a lookup's answer, "" for none, so that a
// table can say which indicator was expected to answer.
func label(ind *Indicator) string {
	if ind == nil {
		return ""
	}
	return ind.Label
}

func TestIPLookups(t *testing.T) {
	s := mustSet(t,
		Indicator{Kind: KindIP, Value: "203.160.69.66", Label: "exact"},
		Indicator{Kind: KindIP, Value: "2001:db8::1", Label: "exact6"},
		Indicator{Kind: KindCIDR, Value: "198.51.100.0/24", Label: "net24"},
		Indicator{Kind: KindCIDR, Value: "10.0.0.0/8", Label: "net8"},
		Indicator{Kind: KindCIDR, Value: "10.1.0.0/16", Label: "net16"},
		Indicator{Kind: KindCIDR, Value: "192.0.2.77/32", Label: "host32"},
		Indicator{Kind: KindCIDR, Value: "2001:db8:1234::/48", Label: "net48"},
		Indicator{Kind: KindCIDR, Value: "::ffff:100.64.0.0/106", Label: "mapped"}, // 100.64.0.0/10
	)
	for _, tc := range []struct{ text, want string }{
		{"203.160.69.66", "exact"},
		{"203.160.69.67", ""},
		{"::ffff:203.160.69.66", "exact"}, // IPv4-mapped: the same peer
		{"198.51.100.0", "net24"},         // both edges of the network
		{"198.51.100.255", "net24"},
		{"198.51.99.255", ""}, // just outside
		{"198.51.101.0", ""},
		{"10.1.2.3", "net16"}, // the most specific network answers
		{"10.2.2.3", "net8"},
		{"192.0.2.77", "host32"},
		{"192.0.2.78", ""},
		{"2001:db8::1", "exact6"},
		{"2001:db8:1234:ffff:ffff:ffff:ffff:ffff", "net48"},
		{"2001:db8:1235::", ""},
		{"100.127.255.255", "mapped"},
		{"100.128.0.0", ""},
	} {
		a := netip.MustParseAddr(tc.text)
		if got := label(s.IP(a)); got != tc.want {
			t.Errorf("IP(%s) = %q, want %q", tc.text, got, tc.want)
		}
		if got := label(s.IPText([]byte(tc.text))); got != tc.want {
			t.Errorf("IPText(%s) = %q, want %q", tc.text, got, tc.want)
		}
	}
	// Addresses as logs write them.
	for _, tc := range []struct{ text, want string }{
		{"203.160.69.66:5555", "exact"},
		{` "203.160.69.66" `, "exact"},
		{"[2001:db8::1]:443", "exact6"},
		{"[2001:db8::1]", "exact6"},
		{"2001:db8::1%12", "exact6"},
		{"[2001:db8::1%eth0]:443", "exact6"},
		{"203.160.069.66", ""}, // leading zero: octal to some parsers
		{"203.160.69.66.1", ""},
		{"203.160.69", ""},
		{"203.160.69.66:", ""},
		{"203.160.69.66:123456", ""},
		{"[2001:db8::1]x", ""},
		{"not an address", ""},
		{"", ""},
	} {
		if got := label(s.IPText([]byte(tc.text))); got != tc.want {
			t.Errorf("IPText(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	if s.IP(netip.Addr{}) != nil {
		t.Error("the zero Addr matched")
	}
	var empty Set
	if empty.IP(netip.MustParseAddr("10.0.0.1")) != nil || empty.IPText([]byte("10.0.0.1")) != nil {
		t.Error("the zero Set matched")
	}
	// A /0 holds everything.
	all := mustSet(t, Indicator{Kind: KindCIDR, Value: "0.0.0.0/0", Label: "all"})
	if label(all.IPText([]byte("1.2.3.4"))) != "all" || all.IPText([]byte("::1")) != nil {
		t.Error("/0")
	}
}

// TestIPTextAllocations: the log checks call IPText on every line; the
// common case, an IPv4 address that is not listed, must not allocate.
func TestIPTextAllocations(t *testing.T) {
	s := mustSet(t, Indicator{Kind: KindIP, Value: "203.160.69.66"}, Indicator{Kind: KindCIDR, Value: "198.51.100.0/24"})
	for _, text := range []string{"192.0.2.1", "203.160.69.66:443", "198.51.100.7"} {
		b := []byte(text)
		if n := testing.AllocsPerRun(100, func() { s.IPText(b) }); n != 0 {
			t.Errorf("IPText(%s): %v allocations", text, n)
		}
	}
	h := "B75F163CA9B9240BF4B37AD92BC7556B40A17E27C2B8ED5C8991385FE07D17D0"
	if n := testing.AllocsPerRun(100, func() { s.Hash(h) }); n != 0 {
		t.Errorf("Hash: %v allocations", n)
	}
}

func TestDomainLookups(t *testing.T) {
	s := mustSet(t, Indicator{Kind: KindDomain, Value: "KrebsOnSecurity.top.", Label: "krebs"},
		Indicator{Kind: KindDomain, Value: "*.files.example.net", Label: "files"})
	for _, tc := range []struct{ host, want string }{
		{"krebsonsecurity.top", "krebs"},
		{"KREBSONSECURITY.TOP", "krebs"},
		{"brian.krebsonsecurity.top", "krebs"}, // parent domain
		{"a.b.jennifer.krebsonsecurity.top.", "krebs"},
		{"krebsonsecurity.top:443", "krebs"},
		{"evilkrebsonsecurity.top", ""}, // look-alike: not a parent
		{"krebsonsecurity.top.evil.net", ""},
		{"top", ""},
		{"krebsonsecurity", ""},
		{"x.files.example.net", "files"},
		{"example.net", ""},
		{"", ""},
	} {
		if got := label(s.Domain(tc.host)); got != tc.want {
			t.Errorf("Domain(%q) = %q, want %q", tc.host, got, tc.want)
		}
	}
	for _, bad := range []string{"top", "localhost", "a..b", "1.2.3.4", "ex ample.com", strings.Repeat("a", 64) + ".com", "-"} {
		if err := (&Set{}).Add(Indicator{Kind: KindDomain, Value: bad}); err == nil {
			t.Errorf("domain %q accepted", bad)
		}
	}
}

func TestUserAgentLookups(t *testing.T) {
	var s Set
	for _, ua := range PublishedUserAgents() {
		if err := s.Add(Indicator{Kind: KindUserAgent, Value: ua.UA, Label: ua.Context}); err != nil {
			t.Fatal(err)
		}
	}
	s.Add(Indicator{Kind: KindUserAgent, Value: "Mozilla/5.0 (compatible; MyScanner/1.0)", Label: "spaces"})
	for _, tc := range []struct {
		ua   string
		want bool
	}{
		// As IIS writes them and as HttpProxy logs write them.
		{"python-requests/2.25.1", true},
		{"DuckDuckBot/1.0;+(+http://duckduckgo.com/duckduckbot.html)", true},
		{"DuckDuckBot/1.0; (+http://duckduckgo.com/duckduckbot.html)", true},
		{"Mozilla/5.0+(compatible;+Baiduspider/2.0;++http://www.baidu.com/search/spider.html)", true},
		{"Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", true},
		{"  antSword/v2.1 ", true},
		{"Mozilla/5.0+(compatible;+MyScanner/1.0)", true},
		// The real Googlebot has the closing parenthesis the published
		// agent lacks.
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", false},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html", true},
		{"python-requests/2.25.2", false},
		{"Python-Requests/2.25.1", false}, // exact case
		{"antSword/v2.1 extra", false},
		{"", false},
	} {
		if got := s.UserAgent(tc.ua) != nil; got != tc.want {
			t.Errorf("UserAgent(%q) = %v, want %v", tc.ua, got, tc.want)
		}
	}
	// Baiduspider is published in two contexts: one indicator.
	if n := s.Count()[KindUserAgent]; n != 15 {
		t.Errorf("%d user agents, want the 14 published distinct ones and one more", n)
	}
}

func TestURLLookups(t *testing.T) {
	s := mustSet(t,
		Indicator{Kind: KindURL, Value: "http://files.example.net/dl", Label: "dl"},
		Indicator{Kind: KindURL, Value: "https://paste.example.org/raw/Zx41?dl=1", Label: "query"},
		Indicator{Kind: KindURL, Value: "http://bad.example.com", Label: "host"},
		Indicator{Kind: KindURL, Value: "evil.example/a/", Label: "slash"},
	)
	for _, tc := range []struct{ url, want string }{
		{"http://files.example.net/dl", "dl"},
		{"https://FILES.example.net:8443/dl/x.exe", "dl"}, // scheme, case of the host and port ignored
		{"http://files.example.net/dl?id=1", "dl"},
		{"http://files.example.net/dl#frag", "dl"},
		{"files.example.net/dl/x", "dl"},
		{"http://user@files.example.net/dl", "dl"},
		{"http://files.example.net/dl2", ""}, // not a folder boundary
		{"http://files.example.net/DL", ""},  // paths compare exactly
		{"http://files.example.net/", ""},
		{"https://paste.example.org/raw/Zx41?dl=1", "query"},
		{"https://paste.example.org/raw/Zx41?dl=2", ""},
		{"https://paste.example.org/raw/Zx41", ""},
		{"http://bad.example.com/anything/at/all?x=1", "host"},
		{"http://bad.example.com", "host"},
		{"http://sub.bad.example.com/", ""}, // a URL is its host, not its domain
		{"http://evil.example/a/b", "slash"},
		{"http://evil.example/a/", "slash"},
		{"http://evil.example/a", ""},
		{"", ""},
	} {
		if got := label(s.URL(tc.url)); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

func TestHashLookups(t *testing.T) {
	s := mustSet(t,
		Indicator{Kind: KindSHA256, Value: "B75F163CA9B9240BF4B37AD92BC7556B40A17E27C2B8ED5C8991385FE07D17D0", Label: "sha256"},
		Indicator{Kind: KindMD5, Value: "4ef04cba6bec2c3a164b9b755efbeb1c", Label: "md5"},
		Indicator{Kind: KindSHA1, Value: "49644cbbb9d234bd4f7a47ed596c8bbfefd39065", Label: "sha1"},
	)
	for _, tc := range []struct{ hash, want string }{
		{"b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0", "sha256"},
		{"4EF04CBA6BEC2C3A164B9B755EFBEB1C", "md5"},
		{" 49644cbbb9d234bd4f7a47ed596c8bbfefd39065\n", "sha1"},
		{"4ef04cba6bec2c3a164b9b755efbeb1d", ""},
		{"4ef04cba6bec2c3a164b9b755efbeb1", ""},
		{"zzf04cba6bec2c3a164b9b755efbeb1c", ""},
	} {
		if got := label(s.Hash(tc.hash)); got != tc.want {
			t.Errorf("Hash(%q) = %q, want %q", tc.hash, got, tc.want)
		}
	}
	for ind := range s.All() {
		if ind.Value != strings.ToLower(ind.Value) {
			t.Errorf("hash kept in upper case: %s", ind.Value)
		}
	}
	for _, bad := range []Indicator{{Kind: KindMD5, Value: "49644cbbb9d234bd4f7a47ed596c8bbfefd39065"}, {Kind: KindSHA256, Value: "xyz"}} {
		if err := (&Set{}).Add(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestFileNameLookups(t *testing.T) {
	s := mustSet(t,
		Indicator{Kind: KindFilePath, Value: `C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\bob.aspx`, Label: "bob"},
		Indicator{Kind: KindFilePath, Value: `%ProgramData%\it.zip`, Label: "it.zip"},
		Indicator{Kind: KindFilePath, Value: `C:\mscoree.dll`, Label: "root"},
		Indicator{Kind: KindFileName, Value: "supp0rt.aspx", Label: "name"},
		Indicator{Kind: KindFileNameRegex, Value: `\\inetpub\\wwwroot\\aspnet_client\\system_web\\[A-Za-z0-9]{8}\.aspx$`, Label: "loki"},
		Indicator{Kind: KindFileNameRegex, Value: `(?i)/ecp/auth/[^/]+\.aspx$`, Except: `(?i)/TimeoutLogout\.aspx$`, Label: "ecp"},
	)
	for _, tc := range []struct{ path, want string }{
		// Published paths found wherever the copy is mounted, either slash.
		{`C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\bob.aspx`, "bob"},
		{"/mnt/ex01/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/BOB.ASPX", "bob"},
		{"Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/bob.aspx", "bob"},
		{`\\?\D:\case\ex01\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\bob.aspx`, "bob"},
		{"/mnt/ex01/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/bob.aspx", ""},
		{"/mnt/ex01/xProgram Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/bob.aspx", ""},
		{"ProgramData/it.zip", "it.zip"},
		{"/evidence/c/ProgramData/it.zip", "it.zip"},
		{"/evidence/c/Users/x/ProgramData2/it.zip", ""},
		// A file in the root of the drive matches only there.
		{"mscoree.dll", "root"},
		{`C:\mscoree.dll`, "root"},
		{"Windows/System32/mscoree.dll", ""},
		// Base names.
		{"/any/where/SUPP0RT.aspx", "name"},
		{`inetpub\wwwroot\aspnet_client\supp0rt.aspx`, "name"},
		{"supp0rt.aspx.txt", ""},
		// Loki's expressions are written for '\'.
		{"/mnt/ex01/inetpub/wwwroot/aspnet_client/system_web/abCD1234.aspx", "loki"},
		{`C:\inetpub\wwwroot\aspnet_client\system_web\abCD12345.aspx`, ""},
		{"inetpub/wwwroot/aspnet_client/system_web/4_0_30319/readme.txt", ""},
		// The exception of a regex.
		{"/x/FrontEnd/HttpProxy/ecp/auth/errorFS.aspx", "ecp"},
		{"/x/FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx", ""},
		{"", ""},
	} {
		if got := label(s.FileName(tc.path)); got != tc.want {
			t.Errorf("FileName(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
	for _, bad := range []Indicator{
		{Kind: KindFileName, Value: `a\b.exe`},
		{Kind: KindFilePath, Value: `%TEMP%\x.exe`},
		{Kind: KindFilePath, Value: `C:\Windows\`},
		{Kind: KindFileNameRegex, Value: `(?<=x)y`},
		{Kind: KindFileNameRegex, Value: `x`, Except: `(`},
		{Kind: KindFileNameRegex, Value: strings.Repeat("a", maxRegex+1)},
	} {
		if err := (&Set{}).Add(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestSetAddMerge(t *testing.T) {
	var s Set // the zero value is usable
	if err := s.Add(Indicator{Kind: KindIP, Value: "192.0.2.1", Label: "first"}); err != nil {
		t.Fatal(err)
	}
	// The same indicator again, written differently: the first one stays.
	if err := s.Add(Indicator{Kind: KindIP, Value: "::ffff:192.0.2.1", Label: "second"}); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 1 || label(s.IPText([]byte("192.0.2.1"))) != "first" {
		t.Errorf("duplicate: len %d", s.Len())
	}
	for _, bad := range []Indicator{{Kind: "ipv5", Value: "x"}, {Kind: KindIP, Value: " "}, {Kind: KindIP, Value: "1.2.3.4/24"},
		{Kind: KindCIDR, Value: "1.2.3.4"}, {Kind: KindCIDR, Value: "::ffff:1.2.3.4/64"}, {Kind: KindURL, Value: "/no/host"},
		{Kind: KindUserAgent, Value: "+++"}, {Kind: KindIP, Value: strings.Repeat("1", maxValue+1)}} {
		if err := s.Add(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	o := mustSet(t, Indicator{Kind: KindIP, Value: "192.0.2.1", Label: "other"}, Indicator{Kind: KindFileNameRegex, Value: `\.aspx$`, Label: "re"})
	s.Merge(o)
	s.Merge(&s)
	s.Merge(nil)
	if s.Len() != 2 || label(s.IPText([]byte("192.0.2.1"))) != "first" || label(s.FileName("a.aspx")) != "re" {
		t.Errorf("merge: len %d", s.Len())
	}
	if c := s.Count(); c[KindIP] != 1 || c[KindFileNameRegex] != 1 || len(c) != 2 {
		t.Errorf("count %v", c)
	}
	c := s.Count()
	c[KindIP] = 99 // a copy
	if s.Count()[KindIP] != 1 {
		t.Error("Count returned the Set's own map")
	}
	for _, k := range Kinds() {
		if !k.Valid() {
			t.Errorf("kind %s not valid", k)
		}
	}
}

func TestSetBound(t *testing.T) {
	defer func(n int) { indicatorLimit = n }(indicatorLimit)
	indicatorLimit = 3
	var s Set
	for i, v := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		if err := s.Add(Indicator{Kind: KindIP, Value: v}); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
	}
	if err := s.Add(Indicator{Kind: KindIP, Value: "192.0.2.4"}); !errors.Is(err, ErrTooMany) {
		t.Errorf("fourth: %v", err)
	}
	if err := s.Add(Indicator{Kind: KindIP, Value: "192.0.2.1"}); err != nil {
		t.Errorf("a duplicate at the bound: %v", err)
	}
	_, _, err := LoadReader("big.txt", strings.NewReader("192.0.2.1\n192.0.2.2\n192.0.2.3\n192.0.2.4\n192.0.2.5\n"))
	if !errors.Is(err, ErrTooMany) || !strings.Contains(err.Error(), "big.txt:4:") {
		t.Errorf("feed over the bound: %v", err)
	}
}

func TestBuiltin(t *testing.T) {
	s := Builtin()
	want := map[Kind]int{KindIP: 24, KindDomain: 3, KindUserAgent: 14, KindMD5: 40, KindSHA1: 40, KindSHA256: 71, KindFilePath: 98}
	got := s.Count()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d built-in indicators, want %d", k, got[k], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("kinds %v", got)
	}
	for ind := range s.All() {
		if ind.Source == "" || !strings.HasPrefix(ind.Ref, "indicators/data/") || ind.Label == "" {
			t.Errorf("built-in indicator without source, ref or label: %+v", ind)
		}
		if ind.Date != "" && !isDate(ind.Date) {
			t.Errorf("date %q", ind.Date)
		}
	}
	// The responders' addresses are labelled with their source.
	for addr, src := range map[string]string{"5.2.69.14": "CISA AA21-062A", "172.104.251.234": "Capuano", "89.34.111.11": "ESET", "86.105.18.116": "ESET"} {
		if ind := s.IPText([]byte(addr)); ind == nil || !strings.Contains(ind.Source, src) {
			t.Errorf("%s: %+v", addr, ind)
		}
	}
	if ind := s.Domain("jennifer.krebsonsecurity.top"); ind == nil || ind.Date != "2021-04-01" || !strings.Contains(ind.Source, "MSTIC") {
		t.Errorf("domain: %+v", ind)
	}
	if ind := s.Hash("4ef04cba6bec2c3a164b9b755efbeb1c"); ind == nil || ind.Date != "2021-03-10" || !strings.Contains(ind.Label, "first seen 2021-03-05") {
		t.Errorf("feed MD5: %+v", ind)
	}
	if ind := s.Hash("b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0"); ind == nil {
		t.Error("the first web shell hash Microsoft published is missing")
	}
	if ind := s.FileName("/mnt/ex01/inetpub/wwwroot/aspnet_client/system_web/log.aspx"); ind == nil || ind.Date != "2021-03-09" {
		t.Errorf("planted path: %+v", ind)
	}
	if ind := s.FileName("Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx"); ind != nil {
		t.Errorf("Exchange's own TimeoutLogout.aspx matched %+v", ind)
	}
	if ind := s.UserAgent("Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"); ind == nil ||
		!strings.Contains(ind.Label, ContextOWAAuthCurrentPost) || !strings.Contains(ind.Label, ContextWebshellAccess) {
		t.Errorf("agent of two contexts: %+v", ind)
	}
	// Every call gives an independent Set.
	s.Add(Indicator{Kind: KindIP, Value: "192.0.2.200"})
	if Builtin().IPText([]byte("192.0.2.200")) != nil {
		t.Error("Builtin returned a shared Set")
	}

	uas := PublishedUserAgents()
	byContext := map[string]int{}
	for _, ua := range uas {
		byContext[ua.Context]++
		if ua.Source == "" || ua.UA == "" {
			t.Errorf("%+v", ua)
		}
	}
	if len(uas) != 15 || byContext[ContextOWAAuthCurrentPost] != 9 || byContext[ContextECPPost] != 3 || byContext[ContextWebshellAccess] != 3 {
		t.Errorf("published user agents by context: %v", byContext)
	}
	uas[0].UA = "changed"
	if PublishedUserAgents()[0].UA == "changed" {
		t.Error("PublishedUserAgents returned the shared slice")
	}
}
