package winreg

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

// modelValue is one value the tests put into a hive and expect back.
type modelValue struct {
	key, name string
	typ       ValueType
	data      []byte
}

func utf16z(s string) []byte { return append(encodeUTF16(s), 0, 0) }

func dword(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

const (
	exchangeSetupKey   = `Microsoft\ExchangeServer\v15\Setup`
	exchangeInstallDir = `C:\Program Files\Microsoft\Exchange Server\V15\`
	manySubkeys        = 600
)

// richModel covers what the reader must handle: the values exhunt reads,
// every value type, inline, cell and big data storage, Latin-1 and UTF-16
// names, characters the reference tools quote, and a key with enough
// subkeys to need an index root.
func richModel() []modelValue {
	longText := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 450) // 20250 characters
	pattern := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + i/251)
		}
		return b
	}
	m := []modelValue{
		{exchangeSetupKey, "MsiInstallPath", RegSZ, utf16z(exchangeInstallDir)},
		{exchangeSetupKey, "MsiProductMajor", RegDWORD, dword(15)},
		{exchangeSetupKey, "MsiProductMinor", RegDWORD, dword(2)},
		{exchangeSetupKey, "MsiBuildMajor", RegDWORD, dword(1544)},
		{exchangeSetupKey, "MsiBuildMinor", RegDWORD, dword(4)},
		{`Microsoft\ExchangeServer\v15`, "", RegSZ, utf16z("default value")},
		{`Microsoft\Windows NT\CurrentVersion`, "ProductName", RegSZ, utf16z("Windows Server 2019 Standard")},
		{`Microsoft\Windows NT\CurrentVersion`, "CurrentBuild", RegSZ, utf16z("17763")},
		{`Microsoft\Windows NT\CurrentVersion`, "CurrentMajorVersionNumber", RegDWORD, dword(10)},
		{`Microsoft\Windows NT\CurrentVersion`, "UBR", RegDWORD, dword(5830)},
		{`Microsoft\Windows NT\CurrentVersion`, "InstallTime", RegQWORD, binary.LittleEndian.AppendUint64(nil, 132588000000000000)},
		{`Microsoft\Windows NT\CurrentVersion`, "PathName", RegExpandSZ, utf16z(`%SystemRoot%\system32`)},
		{`Types`, "multi", RegMultiSZ, utf16z("first|one\x00second,two\x00")},
		{`Types`, "binary3", RegBinary, []byte{1, 2, 3}},
		{`Types`, "binary8", RegBinary, []byte("AZaz09%\xff")},
		{`Types`, "emptyBinary", RegBinary, []byte{}},
		{`Types`, "dwordBE", RegDWORDBigEndian, []byte{0, 0, 1, 2}},
		{`Types`, "allOnes", RegDWORD, dword(0xFFFFFFFF)},
		{`Types`, "none", RegNone, []byte{1, 2}},
		{`Types`, "link", RegLink, encodeUTF16(`\Registry\Machine\Software`)},
		{`Types`, "unknownType", ValueType(99), []byte{1, 2, 3, 4, 5}},
		{`Types`, "resourceList", RegResourceList, []byte{9, 8, 7, 6, 5}},
		{`Types`, "shortDword", RegDWORD, []byte{1, 2}},
		{`Types`, "embeddedNul", RegSZ, utf16z("visible\x00hidden")},
		{`Types`, "onlyNul", RegSZ, []byte{0, 0}},
		{`BigData`, "exactly16344", RegBinary, pattern(bigDataSegment)},
		{`BigData`, "just16345", RegBinary, pattern(bigDataSegment + 1)},
		{`BigData`, "longText", RegSZ, utf16z(longText)},
		{`Uni\café`, "naïve", RegSZ, utf16z("crème brûlée")},
		{`Uni\Ключ`, "名前", RegSZ, utf16z("値")},
		{`Uni\Emoji😀`, "smile😀", RegSZ, utf16z("😀")},
		{`Quoting\a/b,c%d|e f"g`, `v/a,l%u|e "x`, RegSZ, utf16z("s,t/r%i|n\"g\n\tx")},
	}
	// Inserted out of order: the Builder must sort them.
	for i := 0; i < manySubkeys; i++ {
		n := i * 7 % manySubkeys
		m = append(m, modelValue{fmt.Sprintf(`Many\Sub%03d`, n), "Index", RegDWORD, dword(uint32(n))})
	}
	return m
}

func buildModel(t testing.TB, m []modelValue, leafSignature string) []byte {
	t.Helper()
	b := NewBuilder("CMI-CreateHive{199DAFC2-6F16-4946-BF90-5A3FC3A60902}")
	b.leafSignature = leafSignature
	for _, v := range m {
		b.SetValue(v.key, v.name, v.typ, v.data)
	}
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func openBytes(t testing.TB, data []byte) *Hive {
	t.Helper()
	h, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// walkedKey is a key met by walkHive, with the names leading to it from
// the root.
type walkedKey struct {
	path   []string
	key    *Key
	values []*Value
}

// walkHive visits the keys depth-first, each before its subkeys, stopping
// at the first error or after maxKeys keys.
func walkHive(h *Hive, maxKeys int) ([]walkedKey, error) {
	root, err := h.Root()
	if err != nil {
		return nil, err
	}
	var out []walkedKey
	var visit func(path []string, k *Key) error
	visit = func(path []string, k *Key) error {
		if len(out) >= maxKeys {
			return fmt.Errorf("more than %d keys", maxKeys)
		}
		values, err := k.Values()
		if err != nil {
			return err
		}
		out = append(out, walkedKey{path: path, key: k, values: values})
		subkeys, err := k.Subkeys()
		if err != nil {
			return err
		}
		for _, sub := range subkeys {
			if err := visit(append(path[:len(path):len(path)], sub.Name()), sub); err != nil {
				return err
			}
		}
		return nil
	}
	return out, visit(nil, root)
}

// describeHive renders everything the reader returns for a hive as text,
// for comparing two reads of the same hive.
func describeHive(h *Hive) (string, error) {
	keys, err := walkHive(h, 100_000)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	for _, wk := range keys {
		fmt.Fprintf(&sb, "key %q %v\n", strings.Join(wk.path, `\`), wk.key.LastWrite())
		for _, v := range wk.values {
			data, err := v.Data()
			if err != nil {
				return "", err
			}
			s, serr := v.String()
			fmt.Fprintf(&sb, "  value %q %v %x %q %v\n", v.Name(), v.Type(), data, s, serr)
		}
	}
	return sb.String(), nil
}
