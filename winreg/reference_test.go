package winreg

// Differential tests: the hives the Builder writes are read by two
// independent implementations, reglookup (libregfi) and hivex, and every key
// and value they report must match what this package reads. The tests skip
// when a tool is not installed (Debian packages reglookup and libhivex-bin).

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (Debian: apt-get install reglookup libhivex-bin); skipping the comparison with it", name)
	}
	return path
}

// referenceHives writes the model hive with each kind of subkey list leaf
// to files the tools can read.
func referenceHives(t *testing.T) map[string]string {
	files := map[string]string{}
	for _, leaf := range []string{"lh", "lf", "li"} {
		file := filepath.Join(t.TempDir(), leaf+".hive")
		if err := os.WriteFile(file, buildModel(t, richModel(), leaf), 0o644); err != nil {
			t.Fatal(err)
		}
		files[leaf] = file
	}
	return files
}

func readFile(t *testing.T, file string) *Hive {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return openBytes(t, data)
}

func TestReglookupAgrees(t *testing.T) {
	reglookup := requireTool(t, "reglookup")
	for leaf, file := range referenceHives(t) {
		t.Run(leaf, func(t *testing.T) {
			cmd := exec.Command(reglookup, "-H", file)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("reglookup: %v\n%s", err, stderr.Bytes())
			}
			if bytes.Contains(stderr.Bytes(), []byte("ERROR")) {
				t.Errorf("reglookup reported errors:\n%s", stderr.Bytes())
			}
			got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			want := reglookupListing(t, readFile(t, file))
			compareListings(t, got, want)
		})
	}
}

func compareListings(t *testing.T, got, want []string) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Fatalf("line %d of %d/%d differs:\nreference tool: %.300q\nthis package:   %.300q", i+1, len(got), len(want), g, w)
		}
	}
	if len(want) < manySubkeys {
		t.Fatalf("only %d lines compared", len(want))
	}
}

// reglookupListing renders what this package reads in reglookup's CSV
// format: "path,type,value,mtime" per key and value, depth-first. reglookup
// converts text to ASCII and, where that fails, prints the raw stored
// bytes instead; it quotes bytes as %XX.
func reglookupListing(t *testing.T, h *Hive) []string {
	keys, err := walkHive(h, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, wk := range keys {
		var path strings.Builder
		for _, name := range wk.path {
			path.WriteString("/" + reglookupQuote(reglookupName(name), "/"))
		}
		keyPath := path.String()
		if keyPath == "" {
			keyPath = "/"
		}
		lines = append(lines, fmt.Sprintf("%s,KEY,,%s", keyPath, wk.key.LastWrite().Format("2006-01-02 15:04:05")))
		for _, v := range wk.values {
			typ, text := reglookupValue(t, v)
			lines = append(lines, fmt.Sprintf("%s/%s,%s,%s,", strings.TrimSuffix(keyPath, "/"), reglookupQuote(reglookupName(v.Name()), "/"), typ, text))
		}
	}
	return lines
}

// reglookupName is how reglookup shows a name: names stored one Latin-1
// byte per character (as the Builder stores all names it can) are shown as
// those bytes, names stored as UTF-16 as their raw UTF-16LE bytes, since
// reglookup cannot convert them to ASCII.
func reglookupName(name string) []byte {
	if latin1, ok := encodeLatin1(name); ok {
		return latin1
	}
	return encodeUTF16(name)
}

func reglookupValue(t *testing.T, v *Value) (typ, text string) {
	data, err := v.Data()
	if err != nil {
		t.Fatal(err)
	}
	typ = map[ValueType]string{
		RegNone: "NONE", RegSZ: "SZ", RegExpandSZ: "EXPAND_SZ", RegBinary: "BINARY", RegDWORD: "DWORD",
		RegDWORDBigEndian: "DWORD_BE", RegLink: "LINK", RegMultiSZ: "MULTI_SZ", RegResourceList: "RSRC_LIST", RegQWORD: "QWORD",
	}[v.Type()]
	if typ == "" {
		typ = fmt.Sprintf("0x%08X", uint32(v.Type()))
	}
	if len(data) == 0 {
		return typ, "(null)"
	}
	raw := reglookupQuote(data, "")
	switch v.Type() {
	case RegSZ, RegExpandSZ, RegLink:
		if !isASCIIUTF16(data) {
			return typ, raw
		}
		s, err := v.String()
		if err != nil {
			t.Fatal(err)
		}
		return typ, reglookupQuote([]byte(s), "")
	case RegMultiSZ:
		if !isASCIIUTF16(data) {
			return typ, raw
		}
		s, err := v.String()
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, part := range strings.Split(s, "\n") {
			parts = append(parts, reglookupQuote([]byte(part), "|"))
		}
		return typ, strings.Join(parts, "|")
	case RegDWORD, RegDWORDBigEndian, RegQWORD:
		n, err := v.Uint64()
		if err != nil {
			return typ, raw // reglookup shows data of the wrong size raw
		}
		if v.Type() == RegQWORD {
			return typ, fmt.Sprintf("0x%016X", n)
		}
		return typ, fmt.Sprintf("0x%08X", n)
	}
	return typ, raw
}

func isASCIIUTF16(data []byte) bool {
	for _, r := range decodeUTF16(data) {
		if r > 0x7F {
			return false
		}
	}
	return true
}

// reglookupQuote escapes as reglookup does: control and non-ASCII bytes,
// and the characters that delimit its output (",", "%", `"`, plus "/" in
// names and "|" in string lists), as %XX.
func reglookupQuote(b []byte, delimiters string) string {
	var sb strings.Builder
	for _, c := range b {
		if c < 0x20 || c >= 0x7F || c == ',' || c == '%' || c == '"' || strings.IndexByte(delimiters, c) >= 0 {
			fmt.Fprintf(&sb, "%%%02X", c)
		} else {
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// hivexmlNode is one key in hivexml's XML.
type hivexmlNode struct {
	Name   string         `xml:"name,attr"`
	MTime  string         `xml:"mtime"`
	Values []hivexmlValue `xml:"value"`
	Nodes  []hivexmlNode  `xml:"node"`
}

type hivexmlValue struct {
	Type     string   `xml:"type,attr"`
	Key      string   `xml:"key,attr"`
	Default  string   `xml:"default,attr"`
	Encoding string   `xml:"encoding,attr"`
	Value    string   `xml:"value,attr"`
	Strings  []string `xml:"string"`
}

func TestHivexmlAgrees(t *testing.T) {
	hivexml := requireTool(t, "hivexml")
	for leaf, file := range referenceHives(t) {
		t.Run(leaf, func(t *testing.T) {
			out, err := exec.Command(hivexml, file).Output()
			if err != nil {
				t.Fatalf("hivexml: %v", err)
			}
			var doc struct {
				Root hivexmlNode `xml:"node"`
			}
			if err := xml.Unmarshal(out, &doc); err != nil {
				t.Fatal(err)
			}
			h := readFile(t, file)
			root, err := h.Root()
			if err != nil {
				t.Fatal(err)
			}
			if n := compareHivexNode(t, `\`, doc.Root, root); n < manySubkeys {
				t.Errorf("only %d keys compared", n)
			}
		})
	}
}

// compareHivexNode compares a key and its subtree with hivexml's node,
// returning the number of keys compared.
func compareHivexNode(t *testing.T, path string, node hivexmlNode, key *Key) int {
	t.Helper()
	if node.Name != key.Name() {
		t.Fatalf("%s: hivex names the key %q, this package %q", path, node.Name, key.Name())
	}
	if want := key.LastWrite().Format("2006-01-02T15:04:05Z"); node.MTime != want {
		t.Errorf("%s: hivex mtime %s, this package %s", path, node.MTime, want)
	}
	values, err := key.Values()
	if err != nil {
		t.Fatal(err)
	}
	if len(values) != len(node.Values) {
		t.Fatalf("%s: hivex has %d values, this package %d", path, len(node.Values), len(values))
	}
	for i, v := range values {
		compareHivexValue(t, path, node.Values[i], v)
	}
	subkeys, err := key.Subkeys()
	if err != nil {
		t.Fatal(err)
	}
	if len(subkeys) != len(node.Nodes) {
		t.Fatalf("%s: hivex has %d subkeys, this package %d", path, len(node.Nodes), len(subkeys))
	}
	compared := 1
	for i, sub := range subkeys {
		compared += compareHivexNode(t, path+sub.Name()+`\`, node.Nodes[i], sub)
	}
	return compared
}

func compareHivexValue(t *testing.T, path string, hv hivexmlValue, v *Value) {
	t.Helper()
	where := path + v.Name()
	if hv.Key != v.Name() || (hv.Default == "1") != (v.Name() == "") {
		t.Fatalf("%s: hivex names the value %q (default %q)", where, hv.Key, hv.Default)
	}
	wantType := map[ValueType]string{
		RegNone: "none", RegSZ: "string", RegExpandSZ: "expand", RegBinary: "binary", RegDWORD: "int32",
		RegDWORDBigEndian: "int32", RegLink: "link", RegMultiSZ: "string-list", RegResourceList: "resource-list", RegQWORD: "int64",
	}[v.Type()]
	if wantType == "" {
		wantType = "unknown"
	}
	if hv.Type != wantType {
		t.Errorf("%s: hivex type %q, want %q for %v", where, hv.Type, wantType, v.Type())
	}
	data, err := v.Data()
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case hv.Encoding == "base64":
		hivexData, err := base64.StdEncoding.DecodeString(hv.Value)
		if err != nil || !bytes.Equal(hivexData, data) {
			t.Errorf("%s: hivex data %x, this package %x", where, hivexData, data)
		}
	case hv.Type == "string-list":
		s, err := v.String()
		if err != nil {
			t.Fatal(err)
		}
		// hivex also lists the empty string that ends the list.
		if got := strings.Join(hv.Strings, "\n"); strings.TrimRight(got, "\n") != s {
			t.Errorf("%s: hivex strings %q, this package %q", where, hv.Strings, s)
		}
	case hv.Type == "int32" || hv.Type == "int64":
		if got, want := hv.Value, hivexNumber(v); got != want {
			t.Errorf("%s: hivex number %s, this package %s", where, got, want)
		}
	default:
		s, err := v.String()
		if err != nil || hv.Value != s {
			t.Errorf("%s: hivex text %.100q, this package %.100q (%v)", where, hv.Value, s, err)
		}
	}
}

// hivexNumber formats a number as hivex does: signed, and -1 for data of
// the wrong size.
func hivexNumber(v *Value) string {
	n, err := v.Uint64()
	switch {
	case err != nil:
		return "-1"
	case v.Type() == RegQWORD:
		return strconv.FormatInt(int64(n), 10)
	}
	return strconv.FormatInt(int64(int32(uint32(n))), 10)
}

// TestHivexgetAgrees asks hivexget for every value by path and name, the way
// an analyst would check one (hivexget hive 'Microsoft\ExchangeServer\v15\Setup'
// MsiInstallPath).
func TestHivexgetAgrees(t *testing.T) {
	hivexget := requireTool(t, "hivexget")
	file := referenceHives(t)["lh"]
	keys, err := walkHive(readFile(t, file), 10_000)
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for i, wk := range keys {
		// Every key outside Many, and a sample of its 600 alike subkeys.
		if len(wk.path) > 1 && wk.path[0] == "Many" && i%50 != 0 {
			continue
		}
		keyPath := `\` + strings.Join(wk.path, `\`)
		for _, v := range wk.values {
			name := v.Name()
			if name == "" {
				name = "@"
			}
			out, err := exec.Command(hivexget, file, keyPath, name).Output()
			if err != nil {
				t.Fatalf("hivexget %s %s: %v", keyPath, name, err)
			}
			if want := hivexgetOutput(t, v); !bytes.Equal(out, want) {
				t.Errorf("hivexget %s %s:\nhivexget:     %.200q\nthis package: %.200q", keyPath, name, out, want)
			}
			compared++
		}
	}
	if compared < len(richModel())-manySubkeys {
		t.Errorf("only %d values compared", compared)
	}
}

// hivexgetOutput is what hivexget prints for a value: text as UTF-8 with a
// newline, string lists one per line (including the empty string ending
// the list), numbers in signed decimal, other data raw.
func hivexgetOutput(t *testing.T, v *Value) []byte {
	data, err := v.Data()
	if err != nil {
		t.Fatal(err)
	}
	switch v.Type() {
	case RegSZ, RegExpandSZ, RegLink:
		s, err := v.String()
		if err != nil {
			t.Fatal(err)
		}
		return []byte(s + "\n")
	case RegMultiSZ:
		var out []byte
		for _, s := range strings.Split(decodeUTF16(data), "\x00") {
			out = append(out, s+"\n"...)
		}
		return out[:len(out)-1]
	case RegDWORD, RegDWORDBigEndian, RegQWORD:
		return []byte(hivexNumber(v) + "\n")
	}
	return data
}
