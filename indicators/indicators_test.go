package indicators

import (
	"strings"
	"testing"
)

func TestBuiltinData(t *testing.T) {
	s, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	// Counts from the sources named in the data files.
	if n := len(s.KnownBad); n < 65 {
		t.Errorf("%d known-bad hashes, want the 8 blog + 45 MSTIC + ESET ones (deduplicated)", n)
	}
	for h := range s.KnownBad {
		if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
			t.Errorf("bad hash %q", h)
		}
	}
	// The first web shell hash Microsoft published.
	if _, ok := s.KnownBad["b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0"]; !ok {
		t.Error("blog hash missing")
	}
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
	}
	if len(s.Paths) < 90 {
		t.Errorf("%d path indicators", len(s.Paths))
	}
}
