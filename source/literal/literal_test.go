package literal

import (
	"bytes"
	"strings"
	"testing"
)

func TestIndexFold(t *testing.T) {
	for _, tc := range []struct {
		s, word string
		want    int
	}{
		{"GET /OWA/Auth/x.aspx", "/owa/auth/", 4},
		{"a/ow/owa/auth/", "/owa/auth/", 4},
		{"ServerINFO~x", "serverinfo~", 0},
		{"xxSERVERinfo", "serverinfo~", -1},
		{"", "a", -1},
		{"abc", "", 0},
	} {
		if got := IndexFold([]byte(tc.s), tc.word); got != tc.want {
			t.Errorf("IndexFold(%q, %q) = %d, want %d", tc.s, tc.word, got, tc.want)
		}
	}
}

// naiveIndex is the first occurrence of any literal at or after from,
// ignoring ASCII case, found the slow way.
func naiveIndex(buf []byte, from int, lits []string) int {
	lowBytes := make([]byte, len(buf))
	for i, c := range buf {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lowBytes[i] = c
	}
	low := string(lowBytes)
	best := -1
	for _, l := range lits {
		if l == "" {
			continue
		}
		if i := strings.Index(low[from:], strings.ToLower(l)); i >= 0 && (best < 0 || from+i < best) {
			best = from + i
		}
	}
	return best
}

// FuzzIndex compares the matcher with a plain search, with enough literals
// on one anchor byte for them to be looked up by the byte that follows it.
func FuzzIndex(f *testing.F) {
	f.Add([]byte("GET /x?cmd=whoami&a=net+user =NET"), "=whoami|=net|=cmd|=powershell|=ipconfig|=dir|=x")
	f.Add([]byte("ServerInfo~a]@x:444/ecp/y.js ="), "serverinfo~|/ecp/|=|/owa/auth/|/aspnet_client/")
	f.Fuzz(func(t *testing.T, buf []byte, joined string) {
		var lits []string
		for _, l := range strings.Split(joined, "|") {
			if len(lits) < 64 {
				lits = append(lits, l)
			}
		}
		m := NewMatcher(lits...)
		if m.Empty() {
			return
		}
		if !isASCII(joined) {
			return // literals are ASCII; bytes above 0x7f have no case
		}
		lineOf := func(i int) int { return bytes.Count(buf[:i], []byte{'\n'}) }
		m.Reset()
		for from := 0; from <= len(buf); {
			got, want := m.Index(buf, from), naiveIndex(buf, from, lits)
			// Index finds the occurrence whose anchor byte comes first:
			// on the first line holding any literal (a literal has no line
			// break), which is what the readers need, and a real one.
			if (got < 0) != (want < 0) || got >= 0 && (lineOf(got) != lineOf(want) || naiveIndex(buf[got:], 0, lits) != 0 && !occursAt(buf, got, lits)) {
				t.Fatalf("Index(%q, %d) = %d, want %d or on its line (literals %q)", buf, from, got, want, lits)
			}
			if got < 0 {
				break
			}
			from = got + 1
		}
	})
}

// occursAt reports whether a literal starts at i.
func occursAt(buf []byte, i int, lits []string) bool {
	for _, l := range lits {
		if l != "" && i+len(l) <= len(buf) && EqualFold(buf[i:i+len(l)], strings.ToLower(l)) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
