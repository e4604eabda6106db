package indicators

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

const feeds = "testdata/feeds/"

// problemsText lists problems one a line, without the file name, for
// comparing with a test's expectation.
func problemsText(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%d %s: %s\n", p.Line, p.Ref, p.Err)
	}
	return b.String()
}

func TestLoadFormats(t *testing.T) {
	for _, tc := range []struct {
		file     string
		kinds    map[Kind]int
		problems []string // a substring of each problem, in order, with its line
	}{
		{"cisa-style-bundle.stix21.json",
			map[Kind]int{KindMD5: 1, KindSHA1: 1, KindSHA256: 2, KindFileName: 3, KindIP: 2, KindCIDR: 1, KindDomain: 1, KindURL: 2},
			[]string{
				"113 indicator--8172d1e5-94a6-43c5-e667-18293a4b5c6d: file:name = 'discover.aspx' AND file:size = 2318 not loaded: AND",
				"124 indicator--9283e2f6-a5b7-44d6-f778-293a4b5c6d7e: file:name MATCHES '^error[A-Z]{2,3}\\\\.aspx$' not loaded: the operator MATCHES",
				"135 indicator--a394f307-b6c8-45e7-0889-3a4b5c6d7e8f: [ipv4-addr:value = '5.254.43.18'] REPEATS 5 TIMES WITHIN 600 SECONDS not loaded: the qualifiers REPEATS and WITHIN",
				`146 indicator--b4a50418-c7d9-46f8-199a-4b5c6d7e8f90: pattern_type "yara" is not supported`,
				"157 indicator--c5b61529-d8ea-4709-2aab-5c6d7e8f9001: file:hashes.'SHA-512' = 'abc' not loaded: hash algorithm SHA-512",
				"157 indicator--c5b61529-d8ea-4709-2aab-5c6d7e8f9001: process:name = 'w3wp.exe' not loaded: object path process:name",
			}},
		{"stix-array.json", map[Kind]int{KindIP: 1}, []string{
			"13 ipv4-addr--e8f90123-2345-4bcd-9ef0-123456789abc: STIX ipv4-addr objects are not indicators",
			"19 indicator--f9012345-3456-4cde-8f01-23456789abcd: revoked",
			"31 indicator--01234567-4567-4def-9012-3456789abcde: pattern \"[ipv4-addr:value = '192.0.2.98'\": expected ']' at the end; nothing of it loaded",
		}},
		{"stix-single-indicator.json", map[Kind]int{KindSHA256: 1}, nil},
		{"mstic-feed-excerpt.csv", map[Kind]int{KindSHA256: 3, KindFilePath: 2, KindDomain: 1}, []string{
			"8 8e90ed33c7ee82c0b64078ea36ec95f7420ba435c693b3b3dd728b494abf7df: sha256: not a SHA-256 digest",
			`9 203.0.113.7: IndicatorType "ipv4" is not one exhunt reads`,
		}},
		{"mstic-feed-excerpt.json", map[Kind]int{KindSHA256: 3, KindMD5: 3, KindSHA1: 3, KindFilePath: 2, KindDomain: 1}, []string{
			`65 203.0.113.7: IndicatorType "ipv4"`,
		}},
		{"mstic-feed-excerpt.jsonl", map[Kind]int{KindSHA256: 3, KindMD5: 3, KindSHA1: 3, KindFilePath: 2, KindDomain: 1}, []string{
			"4 : not valid JSON",
		}},
		{"plain-mixed.txt",
			map[Kind]int{KindIP: 4, KindCIDR: 3, KindMD5: 1, KindSHA1: 1, KindSHA256: 1, KindDomain: 2, KindURL: 3,
				KindFilePath: 4, KindFileName: 2, KindFileNameRegex: 1, KindUserAgent: 4},
			[]string{
				"41 see the ticket for details: not an IP address, network, hash",
				`42 300.1.2.3: ip: not an IP address`,
				`43 hash:12345: hash: not a hash of that kind`,
				"44 ([unclosed: file-name-regex: regular expression: error parsing regexp",
				"45 %TEMP%\\x.exe: file-path: %TEMP% differs between users and servers",
				"46 localhost: not an IP address",
			}},
		{"loki-hash-iocs.txt", map[Kind]int{KindSHA256: 2, KindMD5: 1, KindSHA1: 1}, []string{
			"14 b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d;truncated by a copy and paste: 63 hex digits",
		}},
		{"loki-filename-iocs.txt", map[Kind]int{KindFileNameRegex: 4}, []string{
			"15 \\\\Temp\\\\(?!legit)[a-z]+\\.exe$: file-name-regex: regular expression: error parsing regexp: invalid or unsupported Perl syntax",
		}},
		{"hashes-export.csv", map[Kind]int{KindSHA256: 2, KindMD5: 2, KindSHA1: 2}, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s, ps, err := Load(feeds + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			got := s.Count()
			for k, n := range tc.kinds {
				if got[k] != n {
					t.Errorf("%s: %d, want %d", k, got[k], n)
				}
			}
			if len(got) != len(tc.kinds) {
				t.Errorf("kinds %v, want %v", got, tc.kinds)
			}
			text := problemsText(ps)
			if len(ps) != len(tc.problems) {
				t.Errorf("%d problems, want %d:\n%s", len(ps), len(tc.problems), text)
			}
			for i, want := range tc.problems {
				if i < len(ps) && !strings.HasPrefix(fmt.Sprintf("%d %s: %s", ps[i].Line, ps[i].Ref, ps[i].Err), want) {
					t.Errorf("problem %d:\n got %d %s: %s\nwant %s", i, ps[i].Line, ps[i].Ref, ps[i].Err, want)
				}
			}
			for _, p := range ps {
				if p.File != feeds+tc.file {
					t.Errorf("problem of file %q", p.File)
				}
			}
			for ind := range s.All() {
				if ind.Source != feeds+tc.file || ind.Ref == "" {
					t.Errorf("%+v: source or ref", ind)
				}
			}
		})
	}
}

// TestLoadedValues checks what the loaders make of the values and labels
// of the test feeds, through the lookups a check uses.
func TestLoadedValues(t *testing.T) {
	all, ps, err := LoadAll([]string{feeds + "cisa-style-bundle.stix21.json", feeds + "plain-mixed.txt", feeds + "loki-hash-iocs.txt", feeds + "mstic-feed-excerpt.json"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 6+6+1+1 {
		t.Errorf("%d problems", len(ps))
	}
	for _, tc := range []struct {
		what string
		got  *Indicator
		want string // "label|date|ref"; "" for no indicator
	}{
		{"STIX MD5", all.Hash("77318F5E9FC9B143A7877D7DB5FE1002"), "supp0rt.aspx|2021-03-19T14:00:00Z|indicator--1a0b6a7e-2d3f-4c5e-8f90-a1b2c3d4e5f6"},
		{"STIX name from the description's first line", all.Domain("x.krebsonsecurity.top"), "Domain of the campaign.|2021-04-01T00:00:00Z|indicator--5e4faeb2-6173-4092-b334-e5f60718293a"},
		{"STIX escapes", all.FileName("/x/o'brien.aspx"), "Quoted name|2021-03-10T00:00:00Z|indicator--7061c0d4-8395-42b4-d556-0718293a4b5c"},
		{"STIX backslash escape", all.URL(`http://files.example.net/share\a.exe`), "Quoted name|2021-03-10T00:00:00Z|indicator--7061c0d4-8395-42b4-d556-0718293a4b5c"},
		{"STIX IPv6 written long", all.IPText([]byte("2001:db8::1")), "Exploitation source addresses|2021-03-03T00:00:00Z|indicator--4d3e9da1-5062-4f81-a223-d4e5f6071829"},
		{"not loaded: AND", all.FileName("discover.aspx.bak"), ""},
		{"plain defanged", all.IPText([]byte("5.254.43.18")), "Exploitation sources (Volexity via CISA AA21-062A)||" + feeds + "plain-mixed.txt:6"},
		{"plain inline comment", all.Hash("4ef04cba6bec2c3a164b9b755efbeb1c"), "MD5 of the first feed file||" + feeds + "plain-mixed.txt:15"},
		{"plain URL without scheme", all.URL("https://evil.example.com/update/agent.ps1"), "Infrastructure||" + feeds + "plain-mixed.txt:22"},
		{"plain domain: prefix over the .zip extension", all.Domain("files.zip"), "Infrastructure||" + feeds + "plain-mixed.txt:23"},
		{"plain %ProgramData%", all.FileName(`D:\image\ProgramData\it.zip`), "Files||" + feeds + "plain-mixed.txt:27"},
		{"plain regex", all.FileName(`C:\inetpub\wwwroot\aspnet_client\AbCd1234.aspx`), "Files||" + feeds + "plain-mixed.txt:32"},
		{"plain UA with spaces, found in IIS form", all.UserAgent("Mozilla/5.0+(X11;+Linux+x86_64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/51.0.2704.103+Safari/537.36"), "User agents, IIS form and with spaces||" + feeds + "plain-mixed.txt:38"},
		{"Loki comment", all.Hash("097549cf7d0f76f0d99edf8b2d91c60977fd6a96e4b8c3c94b0b1733dc026d3e"), "HAFNIUM web shell||" + feeds + "loki-hash-iocs.txt:9"},
		{"feed JSON MD5 from AdditionalMetadata", all.Hash("fe15fc6341baad2a111462854f96a2bc"), "first seen 2021-03-05T09:51:58.5865879Z, TLP:White, the file of SHA-256 a291305f181e24fe7194154b4cd355ccb039d5765709c80999e392efec69c90a|2021-03-10|" + feeds + "mstic-feed-excerpt.json:26"},
	} {
		got := ""
		if tc.got != nil {
			got = tc.got.Label + "|" + tc.got.Date + "|" + tc.got.Ref
		}
		if got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.what, got, tc.want)
		}
	}
	// The first feed that does not load stops LoadAll, naming it.
	if _, _, err := LoadAll([]string{feeds + "plain-mixed.txt", feeds + "stix1-package.xml"}); err == nil || !strings.Contains(err.Error(), "stix1-package.xml: STIX 1 XML is not supported; convert it to STIX 2.1") {
		t.Errorf("LoadAll: %v", err)
	}
}

// TestRealFeeds loads the public feeds the project keeps beside it, when
// they are there.
func TestRealFeeds(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "data", "ioc")
	if _, err := os.Stat(filepath.Join(dir, "mstic-exchange-iocs-march2021.csv")); err != nil {
		if _, err2 := os.Stat("/work/shared/data/ioc"); err2 != nil {
			t.Skip("shared/data/ioc not found:", err)
		}
		dir = "/work/shared/data/ioc"
	}
	for _, tc := range []struct {
		file  string
		kinds map[Kind]int
	}{
		// Microsoft's feed: 45 SHA-256, 104 path rows of which 99 differ,
		// 3 domains.
		{"mstic-exchange-iocs-march2021.csv", map[Kind]int{KindSHA256: 45, KindFilePath: 99, KindDomain: 3}},
		{"mstic-exchange-iocs-march2021-hashes.csv", map[Kind]int{KindSHA256: 45, KindMD5: 45, KindSHA1: 45}},
		{"proxylogon-attacker-ips-volexity.txt", map[Kind]int{KindIP: 15}},
		// 15 rows, Baiduspider in two contexts.
		{"proxylogon-user-agents.txt", map[Kind]int{KindUserAgent: 14}},
		{"proxylogon-webshell-names.txt", map[Kind]int{KindFileName: 29}},
		{"hash-iocs-hafnium-excerpt.txt", map[Kind]int{KindSHA256: 8}},
		// 77 rows; 6 expressions are listed twice (one with two scores).
		{"filename-iocs-exchange-excerpt.txt", map[Kind]int{KindFileNameRegex: 71}},
		{"exchange_exploitation-samples.sha256", map[Kind]int{KindSHA256: 23}},
	} {
		s, ps, err := Load(filepath.Join(dir, tc.file))
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if len(ps) > 0 {
			t.Errorf("%s: problems:\n%s", tc.file, problemsText(ps))
		}
		got := s.Count()
		for k, n := range tc.kinds {
			if got[k] != n {
				t.Errorf("%s: %s %d, want %d", tc.file, k, got[k], n)
			}
		}
		if len(got) != len(tc.kinds) {
			t.Errorf("%s: kinds %v", tc.file, got)
		}
		switch tc.file {
		case "mstic-exchange-iocs-march2021.csv":
			// The feed's own paths are found in a copy mounted anywhere,
			// TimeoutLogout.aspx among them (it is in the feed; the
			// built-in set leaves it out).
			for _, p := range []string{"/mnt/ex01/inetpub/wwwroot/aspnet_client/xclkmcfldfi948398430fdjkfdkj.aspx",
				"/mnt/ex01/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx",
				`E:\ex01\Users\Public\opera\opera_browser.exe`} {
				if s.FileName(p) == nil {
					t.Errorf("feed path %s not found", p)
				}
			}
			if ind := s.Domain("brian.krebsonsecurity.top"); ind == nil || ind.Date != "2021-04-01" {
				t.Errorf("feed domain: %+v", ind)
			}
		case "filename-iocs-exchange-excerpt.txt":
			for path, want := range map[string]bool{
				"/mnt/ex01/inetpub/wwwroot/aspnet_client/system_web/AbCd1234.aspx":                                     true,
				`C:\inetpub\wwwroot\aspnet_client\discover.aspx`:                                                       true,
				"/mnt/ex01/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx": false, // [^T]
				"/mnt/ex01/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/ecp/auth/errorFS.aspx":       true,
				"/mnt/ex01/inetpub/wwwroot/aspnet_client/system_web/4_0_30319/readme.txt":                              false,
			} {
				if got := s.FileName(path) != nil; got != want {
					t.Errorf("filename IOCs: %s: %v, want %v", path, got, want)
				}
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty.txt", "", "empty.txt: no indicator loaded"},
		{"comments.txt", "# only\n// comments\n\n", "comments.txt: no indicator loaded"},
		{"words.txt", "hello world\nfoo\n", "words.txt: no indicator loaded (2 lines or parts not understood; the first: words.txt:1: hello world: not an IP"},
		{"stix1.xml", "<?xml version=\"1.0\"?>\n<stix:STIX_Package xmlns:stix=\"http://stix.mitre.org/stix-1\"/>", "stix1.xml: STIX 1 XML is not supported; convert it to STIX 2.1"},
		{"other.xml", "<rss></rss>", "other.xml: XML is not a feed format"},
		{"bin.dat", "MZ\x90\x00\x03\x00\x00\x00", "bin.dat: binary data"},
		{"empty.json", "[]", "empty.json: no indicator loaded"},
		{"number.json", "[1, 2]", "number.json: no indicator loaded (2 lines"},
		{"bad.json", "{\"type\": \"bundle\", \"objects\": [", "bad.json: no indicator loaded (1 lines"},
		{"identity.json", `{"type":"identity","id":"identity--1","name":"x"}`, "identity.json: no indicator loaded"},
		{"header.csv", "DateAdded,FirstSeen,Indicator,IndicatorType,TLP\n", "header.csv: no indicator loaded"},
	} {
		_, _, err := LoadReader(tc.name, strings.NewReader(tc.data))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
		if strings.Contains(tc.want, "no indicator loaded") && !errors.Is(err, ErrNothingLoaded) {
			t.Errorf("%s: not ErrNothingLoaded", tc.name)
		}
	}
	// A file over the bound is refused before it is read.
	big := filepath.Join(t.TempDir(), "big.txt")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFeedSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, _, err := Load(big); err == nil || !strings.Contains(err.Error(), "big.txt: 257 MB, more than the 256 MB a feed may have") {
		t.Errorf("big: %v", err)
	}
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing.txt")); err == nil {
		t.Error("missing file loaded")
	}
}

func TestLoadTextForms(t *testing.T) {
	// PowerShell 5's Out-File writes UTF-16 with a byte order mark.
	u := utf16.Encode([]rune("# list\r\n203.160.69.66\r\nkrebsonsecurity.top\r\n"))
	le := []byte{0xFF, 0xFE}
	be := []byte{0xFE, 0xFF}
	for _, c := range u {
		le = append(le, byte(c), byte(c>>8))
		be = append(be, byte(c>>8), byte(c))
	}
	for name, data := range map[string]string{"le.txt": string(le), "be.txt": string(be), "bom.txt": "\xEF\xBB\xBF203.160.69.66\nkrebsonsecurity.top\n"} {
		s, ps, err := LoadReader(name, strings.NewReader(data))
		if err != nil || len(ps) > 0 || s.Len() != 2 || s.IPText([]byte("203.160.69.66")) == nil {
			t.Errorf("%s: %v %v", name, err, ps)
		}
	}
	// A first row of column names is skipped, a later one is a problem.
	s, ps, err := LoadReader("tsv.txt", strings.NewReader("indicator\tcomment\n203.160.69.66\tVolexity\nvalue\tnote\n"))
	if err != nil || s.Len() != 1 || len(ps) != 1 || ps[0].Line != 3 || label(s.IPText([]byte("203.160.69.66"))) != "Volexity" {
		t.Errorf("tsv: %v %v", err, ps)
	}
	// Rows of hashes with other columns: a path column does not make the
	// row a path.
	rows := "sha256,path\n" +
		"8e90ed33c7ee82c0b64078ea36ec95f7420ba435c693b3b3dd728b494abf7dfc,C:\\inetpub\\wwwroot\\aspnet_client\\shell.aspx\n" +
		"shell.aspx,C:\\x\\shell.aspx,2F0BC81C2EA269643CAE307239124D1B6479847867B1ADFE9AE712A1D5EF135E\n" +
		"a291305f181e24fe7194154b4cd355ccb039d5765709c80999e392efec69c90a  C:\\ProgramData\\it.zip\n" +
		"203.160.69.66 seen 2021-03-03\n"
	s, ps, err = LoadReader("rows.txt", strings.NewReader(rows))
	if err != nil || len(ps) > 0 || s.Len() != 4 || s.Count()[KindSHA256] != 3 {
		t.Errorf("rows: %v %v %v", err, ps, s.Count())
	}
	for h, want := range map[string]string{
		"8e90ed33c7ee82c0b64078ea36ec95f7420ba435c693b3b3dd728b494abf7dfc": `C:\inetpub\wwwroot\aspnet_client\shell.aspx`,
		"2f0bc81c2ea269643cae307239124d1b6479847867b1adfe9ae712a1d5ef135e": `shell.aspx C:\x\shell.aspx`,
		"a291305f181e24fe7194154b4cd355ccb039d5765709c80999e392efec69c90a": `C:\ProgramData\it.zip`,
	} {
		if got := label(s.Hash(h)); got != want {
			t.Errorf("%s: label %q, want %q", h, got, want)
		}
	}
	if label(s.IPText([]byte("203.160.69.66"))) != "seen 2021-03-03" {
		t.Error("address with a note")
	}
	// Rows with two candidate columns are not guessed at.
	_, ps, _ = LoadReader("two.txt", strings.NewReader("203.160.69.66\nerrorEE.aspx\tkrebsonsecurity.top\n"))
	if len(ps) != 1 || !strings.Contains(ps[0].Err, "several columns") {
		t.Errorf("two columns: %v", ps)
	}
	// The problems kept are bounded, the rest counted.
	var b strings.Builder
	b.WriteString("203.160.69.66\n")
	for i := 0; i < maxProblems+500; i++ {
		b.WriteString("nothing at all\n")
	}
	s, ps, err = LoadReader("many.txt", strings.NewReader(b.String()))
	if err != nil || s.Len() != 1 || len(ps) != maxProblems+1 || ps[maxProblems].Err != "500 more problems not listed" {
		t.Errorf("many problems: %v, %d problems", err, len(ps))
	}
	// A control character in a bad line is kept in the problem for the
	// caller to escape; a very long one is cut.
	_, ps, _ = LoadReader("long.txt", strings.NewReader("203.160.69.66\n"+strings.Repeat("x y", 1000)+"\n"))
	if len(ps) != 1 || len(ps[0].Ref) > 210 {
		t.Errorf("long line: %v", ps)
	}
}
