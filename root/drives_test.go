package root

import "testing"

func TestDrivesName(t *testing.T) {
	d := &Drives{SystemLetter: 'C'}
	for _, tc := range [][3]string{{"", "a/b", "a/b"}, {"C", "a/b", "a/b"}, {"c", "a", "a"}, {"D", "a/b", "D:/a/b"}, {"D", ".", "D:"}} {
		if got := d.Name(tc[0], tc[1]); got != tc[2] {
			t.Errorf("Name(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}
