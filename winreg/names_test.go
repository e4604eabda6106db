package winreg

import "testing"

// The expected hashes are examples printed in the libregf format
// documentation, computed by Windows, so they check nameHash against
// hives Windows wrote rather than against itself.
func TestNameHash(t *testing.T) {
	for name, want := range map[string]uint32{
		"lParam":      0x4343bfdd,
		"LPARAM":      0x4343bfdd,
		"Class":       0x07b82c9a,
		"WPPFileName": 0x4588b1a4,
		"bEnableFlag": 0x6f09ddef,
	} {
		if got := nameHash(name); got != want {
			t.Errorf("nameHash(%q) = %#08x, want %#08x", name, got, want)
		}
	}
}

func TestNameHint(t *testing.T) {
	for name, want := range map[string]string{
		"Microsoft": "Micr",
		"v15":       "v15\x00",
		"café":      "caf\xe9",
		"Ключ":      "\x00\x00\x00\x00",
	} {
		if got := string(nameHint(name)); got != want {
			t.Errorf("nameHint(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestNameEncoding(t *testing.T) {
	for _, tc := range []struct {
		name       string
		raw        string
		compressed bool
	}{
		{"Setup", "Setup", true},
		{"café", "caf\xe9", true},
		{"ÿ", "\xff", true},
		{"Ā", "\x00\x01", false},
		{"😀", "\x3d\xd8\x00\xde", false},
	} {
		raw, compressed := encodeName(tc.name)
		if string(raw) != tc.raw || compressed != tc.compressed {
			t.Errorf("encodeName(%q) = %q, %v; want %q, %v", tc.name, raw, compressed, tc.raw, tc.compressed)
		}
		if got := decodeName(raw, compressed); got != tc.name {
			t.Errorf("decodeName(%q, %v) = %q, want %q", raw, compressed, got, tc.name)
		}
	}
	// An odd trailing byte and an unpaired surrogate must not break decoding.
	if got := decodeName([]byte{'a', 0, 0x00, 0xd8, 'b'}, false); got != "a\uFFFD" {
		t.Errorf("decoding malformed UTF-16 = %q", got)
	}
}

func TestSameName(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"MsiInstallPath", "msiinstallpath", true},
		{"café", "CAFÉ", true},
		{"Ключ", "КЛЮЧ", true},
		{"😀", "😀", true},
		{"a", "b", false},
		{"ab", "a", false},
		{"", "", true},
	} {
		if got := sameName(tc.a, tc.b); got != tc.same {
			t.Errorf("sameName(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
