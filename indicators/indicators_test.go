package indicators

import (
	"strings"
	"testing"
)

func TestBuiltinData(t *testing.T) {
	s := BuiltinData()
	if !s.WebshellNames["redirsuiteserverproxy.aspx"] || s.WebshellNames["redirsuiteserviceproxy.aspx"] {
		t.Error("look-alike and real file confused in the web shell names")
	}
	if !s.FrontEndFiles[`frontend\httpproxy\ecp\auth\timeoutlogout.aspx`] || !s.FrontEndFiles[`frontend\httpproxy\owa\auth\logon.aspx`] {
		t.Error("Exchange's own files missing")
	}
	for _, p := range s.Paths {
		if strings.EqualFold(p.Rel, `FrontEnd\HttpProxy\ecp\auth\TimeoutLogout.aspx`) {
			t.Error("the legitimate TimeoutLogout.aspx must not be a path indicator")
		}
		if strings.Contains(p.Rel, ":") {
			t.Errorf("path not re-based: %q", p.Rel)
		}
		if p.Added < "2021-03-09" || p.Added > "2021-04-01" {
			t.Errorf("%s: added %q, outside the feed's dates", p.Rel, p.Added)
		}
	}
	// The feed's 99 distinct paths but the legitimate TimeoutLogout.aspx.
	if len(s.Paths) != 98 {
		t.Errorf("%d path indicators", len(s.Paths))
	}
	if MustBuiltin() != s {
		t.Error("MustBuiltin parsed the data again")
	}
}

func TestReadHashList(t *testing.T) {
	list := "\ufeff# my list\n" +
		"sha256,md5,sha1,DateAdded\n" + // a header is skipped
		"8E90ED33C7EE82C0B64078EA36EC95F7420BA435C693B3B3DD728B494ABF7DFC,4ef04cba6bec2c3a164b9b755efbeb1c,49644cbbb9d234bd4f7a47ed596c8bbfefd39065,2021-03-10\n" +
		"\n" +
		"b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0;HAFNIUM web shell\n" +
		"// a comment\n" +
		"0123456789abcdef0123456789abcdef01234567\n"
	got, err := ReadHashList("mine.txt", strings.NewReader(list))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Errorf("%d hashes: %v", len(got), got)
	}
	if got["8e90ed33c7ee82c0b64078ea36ec95f7420ba435c693b3b3dd728b494abf7dfc"].What != "2021-03-10" ||
		got["b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0"].What != "HAFNIUM web shell" ||
		got["0123456789abcdef0123456789abcdef01234567"].Source != "mine.txt" {
		t.Errorf("descriptions: %v", got)
	}
	for _, bad := range []struct{ list, want string }{
		{"b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0\nnot a hash\n", "mine.txt:2: no MD5"},
		{"# only comments\n", "mine.txt: no hashes found"},
		{"abc;x\n", "mine.txt: no hashes found"}, // a short hex word on line 1 is a header
		{"h\n" + strings.Repeat("a", 70<<10) + "\n", "mine.txt:2:"},
	} {
		if _, err := ReadHashList("mine.txt", strings.NewReader(bad.list)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%.30q: err %v, want %q", bad.list, err, bad.want)
		}
	}
}

func FuzzReadHashList(f *testing.F) {
	f.Add("sha256,md5\nb75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0;x\n")
	f.Fuzz(func(t *testing.T, list string) {
		got, err := ReadHashList("f", strings.NewReader(list))
		for h := range got {
			if !IsHash(h) || strings.ToLower(h) != h {
				t.Fatalf("bad hash %q", h)
			}
		}
		if err == nil && len(got) == 0 {
			t.Fatal("no error and no hashes")
		}
	})
}
