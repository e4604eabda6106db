package literal

import "testing"

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
