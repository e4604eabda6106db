package winreg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
)

func TestExchangeSetupValues(t *testing.T) {
	h := openBytes(t, buildModel(t, richModel(), "lh"))
	if h.Dirty() {
		t.Error("Dirty() = true for a cleanly written hive")
	}
	setup, err := h.OpenKey(exchangeSetupKey)
	if err != nil {
		t.Fatal(err)
	}
	path, err := setup.Value("MsiInstallPath")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := path.String(); err != nil || got != exchangeInstallDir {
		t.Errorf("MsiInstallPath = %q, %v; want %q", got, err, exchangeInstallDir)
	}
	if path.Type() != RegSZ {
		t.Errorf("MsiInstallPath type = %v, want REG_SZ", path.Type())
	}
	for name, want := range map[string]uint64{"MsiProductMajor": 15, "MsiProductMinor": 2, "MsiBuildMajor": 1544, "MsiBuildMinor": 4} {
		v, err := setup.Value(name)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := v.Uint64(); err != nil || got != want {
			t.Errorf("%s = %d, %v; want %d", name, got, err, want)
		}
		if got, err := v.String(); err != nil || got != fmt.Sprint(want) {
			t.Errorf("%s as string = %q, %v; want %q", name, got, err, fmt.Sprint(want))
		}
	}

	version, err := h.OpenKey(`Microsoft\Windows NT\CurrentVersion`)
	if err != nil {
		t.Fatal(err)
	}
	product, err := version.Value("productname")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := product.String(); got != "Windows Server 2019 Standard" {
		t.Errorf("ProductName = %q", got)
	}
}

// TestRoundTrip checks that every value of the model reads back through
// OpenKey and Value with the names in another case, and that the hive holds
// nothing else.
func TestRoundTrip(t *testing.T) {
	for _, leaf := range []string{"lh", "lf", "li"} {
		t.Run(leaf, func(t *testing.T) {
			model := richModel()
			h := openBytes(t, buildModel(t, model, leaf))
			for i, mv := range model {
				keyPath, name := mv.key, mv.name
				if i%2 == 0 {
					keyPath, name = swapCase(keyPath), swapCase(name)
				}
				key, err := h.OpenKey(keyPath)
				if err != nil {
					t.Fatalf("OpenKey(%q): %v", keyPath, err)
				}
				v, err := key.Value(name)
				if err != nil {
					t.Fatalf("%q: Value(%q): %v", keyPath, name, err)
				}
				if v.Name() != mv.name || v.Type() != mv.typ {
					t.Errorf("%q: got value %q of type %v, want %q of type %v", keyPath, v.Name(), v.Type(), mv.name, mv.typ)
				}
				data, err := v.Data()
				if err != nil || !bytes.Equal(data, mv.data) {
					t.Errorf("%q %q: data differs (%d bytes, %v; want %d bytes)", keyPath, name, len(data), err, len(mv.data))
				}
			}

			want := map[string]bool{}
			for _, mv := range model {
				want[strings.ToUpper(mv.key+`\\`+mv.name)] = true
				for p := mv.key; p != ""; p = p[:max(0, strings.LastIndex(p, `\`))] {
					want[strings.ToUpper(p)] = true
				}
			}
			want[""] = true // the root
			keys, err := walkHive(h, 10_000)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, wk := range keys {
				p := strings.Join(wk.path, `\`)
				got[strings.ToUpper(p)] = true
				for _, v := range wk.values {
					got[strings.ToUpper(p+`\\`+v.Name())] = true
				}
			}
			for k := range want {
				if !got[k] {
					t.Errorf("walk did not find %q", k)
				}
			}
			for k := range got {
				if !want[k] {
					t.Errorf("walk found unexpected %q", k)
				}
			}
		})
	}
}

// swapCase inverts the case of every letter, including non-ASCII ones
// (é/É, к/К), which the registry also compares case-insensitively.
func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) {
			return unicode.ToLower(r)
		}
		return unicode.ToUpper(r)
	}, s)
}

func TestManySubkeys(t *testing.T) {
	for _, leaf := range []string{"lh", "lf", "li"} {
		t.Run(leaf, func(t *testing.T) {
			h := openBytes(t, buildModel(t, richModel(), leaf))
			many, err := h.OpenKey("MANY")
			if err != nil {
				t.Fatal(err)
			}
			// The list must really be an index root over leaves of the
			// requested kind, or this test would not cover them.
			list, err := h.cell(many.subkeyList)
			if err != nil || !hasSignature(list, "ri") {
				t.Fatalf("subkey list of Many is not an index root: %q, %v", list[:min(2, len(list))], err)
			}
			firstLeaf, err := h.cell(binary.LittleEndian.Uint32(list[4:]))
			if err != nil || !hasSignature(firstLeaf, leaf) {
				t.Fatalf("first leaf is not %q: %v", leaf, err)
			}

			subkeys, err := many.Subkeys()
			if err != nil {
				t.Fatal(err)
			}
			if len(subkeys) != manySubkeys {
				t.Fatalf("got %d subkeys, want %d", len(subkeys), manySubkeys)
			}
			for i, sub := range subkeys {
				if want := fmt.Sprintf("Sub%03d", i); sub.Name() != want {
					t.Fatalf("subkey %d is %q, want %q (sorted)", i, sub.Name(), want)
				}
				v, err := sub.Value("index")
				if err != nil {
					t.Fatal(err)
				}
				if n, err := v.Uint64(); err != nil || n != uint64(i) {
					t.Fatalf("%s\\Index = %d, %v", sub.Name(), n, err)
				}
				if !sub.LastWrite().Equal(builderTimestamp) {
					t.Fatalf("%s LastWrite = %v, want %v", sub.Name(), sub.LastWrite(), builderTimestamp)
				}
			}
			if _, err := h.OpenKey(`many\sub599`); err != nil {
				t.Errorf("key in the second leaf: %v", err)
			}
		})
	}
}

func TestBigData(t *testing.T) {
	model := richModel()
	h := openBytes(t, buildModel(t, model, "lh"))
	key, err := h.OpenKey("BigData")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		viaBigRec bool
	}{{"exactly16344", false}, {"just16345", true}, {"longText", true}} {
		v, err := key.Value(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		cell, err := h.cell(v.dataOffset)
		if err != nil {
			t.Fatal(err)
		}
		if hasSignature(cell, "db") != tc.viaBigRec {
			t.Errorf("%s: stored as big data record = %v, want %v", tc.name, !tc.viaBigRec, tc.viaBigRec)
		}
		data, err := v.Data()
		if err != nil {
			t.Fatal(err)
		}
		for _, mv := range model {
			if mv.key == "BigData" && mv.name == tc.name && !bytes.Equal(mv.data, data) {
				t.Errorf("%s: got %d bytes, want %d (or content differs)", tc.name, len(data), len(mv.data))
			}
		}
	}
	long, _ := key.Value("LONGTEXT")
	s, err := long.String()
	if err != nil || len(s) != 20250 || !strings.HasSuffix(s, "lazy dog. ") {
		t.Errorf("longText = %d characters, %v", len(s), err)
	}
}

func TestValueConversions(t *testing.T) {
	h := openBytes(t, buildModel(t, richModel(), "lh"))
	types, err := h.OpenKey("Types")
	if err != nil {
		t.Fatal(err)
	}
	value := func(name string) *Value {
		t.Helper()
		v, err := types.Value(name)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for name, want := range map[string]string{
		"multi":       "first|one\nsecond,two",
		"dwordBE":     "258",
		"allOnes":     "4294967295",
		"embeddedNul": "visible",
		"onlyNul":     "",
		"link":        `\Registry\Machine\Software`,
	} {
		if got, err := value(name).String(); err != nil || got != want {
			t.Errorf("%s.String() = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, name := range []string{"binary3", "none", "unknownType"} {
		if got, err := value(name).String(); err == nil {
			t.Errorf("%s.String() = %q, want an error for a non-text type", name, got)
		}
	}
	if n, err := value("dwordBE").Uint64(); err != nil || n != 258 {
		t.Errorf("dwordBE = %d, %v", n, err)
	}
	if _, err := value("multi").Uint64(); err == nil {
		t.Error("Uint64 of REG_MULTI_SZ succeeded")
	}
	if _, err := value("shortDword").Uint64(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("2 byte REG_DWORD: err = %v, want ErrCorrupt", err)
	}
	if data, err := value("emptyBinary").Data(); err != nil || len(data) != 0 {
		t.Errorf("emptyBinary = %x, %v", data, err)
	}
	if got := ValueType(99).String(); got != "REG_TYPE_0x63" {
		t.Errorf("ValueType(99) = %q", got)
	}

	uni, err := h.OpenKey(`UNI\КЛЮЧ`)
	if err != nil {
		t.Fatal(err)
	}
	v, err := uni.Value("名前")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := v.String(); s != "値" || uni.Name() != "Ключ" {
		t.Errorf("got key %q value %q", uni.Name(), s)
	}
	def, err := mustOpen(t, h, `Microsoft\ExchangeServer\v15`).Value("")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := def.String(); s != "default value" || def.Name() != "" {
		t.Errorf("default value %q = %q", def.Name(), s)
	}
}

func mustOpen(t *testing.T, h *Hive, path string) *Key {
	t.Helper()
	k, err := h.OpenKey(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestNotFound(t *testing.T) {
	h := openBytes(t, buildModel(t, richModel(), "lh"))
	for _, path := range []string{`Microsoft\ExchangeServer\v14`, `Nope`, `Microsoft\ExchangeServer\v15\Setup\Deeper`, `Many\Sub600`} {
		if _, err := h.OpenKey(path); !errors.Is(err, ErrNotFound) {
			t.Errorf("OpenKey(%q): err = %v, want ErrNotFound", path, err)
		}
	}
	setup := mustOpen(t, h, exchangeSetupKey)
	if _, err := setup.Value("MsiInstallPathX"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing value: err = %v, want ErrNotFound", err)
	}
	if _, err := setup.Value(""); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing default value: err = %v, want ErrNotFound", err)
	}
	root := mustOpen(t, h, `\`)
	if root.Name() != "CMI-CreateHive{199DAFC2-6F16-4946-BF90-5A3FC3A60902}" {
		t.Errorf("root name = %q", root.Name())
	}
	if _, err := h.OpenKey(`\Microsoft\\ExchangeServer\`); err != nil {
		t.Errorf("path with extra separators: %v", err)
	}
}

// TestBuilderLayout checks the file structure the Builder promises,
// independently of the reader.
func TestBuilderLayout(t *testing.T) {
	data := buildModel(t, richModel(), "lh")
	le := binary.LittleEndian
	if string(data[:4]) != "regf" {
		t.Fatal("no regf signature")
	}
	if le.Uint32(data[4:]) != le.Uint32(data[8:]) {
		t.Error("sequence numbers differ")
	}
	if major, minor := le.Uint32(data[20:]), le.Uint32(data[24:]); major != 1 || minor != 5 {
		t.Errorf("version %d.%d, want 1.5", major, minor)
	}
	var xor uint32
	for i := 0; i < 0x1FC; i += 4 {
		xor ^= le.Uint32(data[i:])
	}
	if got := le.Uint32(data[0x1FC:]); got != xor {
		t.Errorf("checksum %#x, want %#x", got, xor)
	}
	binsSize := int(le.Uint32(data[0x28:]))
	if len(data) != 4096+binsSize {
		t.Fatalf("file is %d bytes, base block + declared bins = %d", len(data), 4096+binsSize)
	}
	bins := 0
	for off := 0; off < binsSize; bins++ {
		bin := data[4096+off:]
		size := int(le.Uint32(bin[8:]))
		if string(bin[:4]) != "hbin" || int(le.Uint32(bin[4:])) != off || size == 0 || size%4096 != 0 || off+size > binsSize {
			t.Fatalf("bad hive bin header at %#x: %q offset %#x size %#x", off, bin[:4], le.Uint32(bin[4:]), size)
		}
		// The cells of a bin must tile it exactly.
		for c := 32; c != size; {
			cellSize := int(int32(le.Uint32(bin[c:])))
			if cellSize < 0 {
				cellSize = -cellSize
			}
			if cellSize < 8 || cellSize%8 != 0 || c+cellSize > size {
				t.Fatalf("bad cell at %#x in bin %#x: size %d", c, off, cellSize)
			}
			c += cellSize
		}
		off += size
	}
	if bins < 2 {
		t.Errorf("only %d hive bins; the model should need several", bins)
	}
}

func TestBuilderRejectsOverlongNames(t *testing.T) {
	b := NewBuilder("root")
	b.SetDWORD(strings.Repeat("k", 256), "v", 1)
	if _, err := b.Bytes(); err == nil {
		t.Error("a 256 character key name was accepted")
	}
	b = NewBuilder("root")
	b.SetDWORD("k", strings.Repeat("v", 16384), 1)
	if _, err := b.Bytes(); err == nil {
		t.Error("a 16384 character value name was accepted")
	}
}

func TestBuilderReplacesValues(t *testing.T) {
	b := NewBuilder("root")
	b.SetDWORD(`A\B`, "Value", 1)
	b.SetString(`a\b`, "VALUE", "two")
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	h := openBytes(t, data)
	values, err := mustOpen(t, h, `A\B`).Values()
	if err != nil || len(values) != 1 {
		t.Fatalf("got %d values, %v; want 1", len(values), err)
	}
	if s, _ := values[0].String(); s != "two" {
		t.Errorf("value = %q, want the replacement", s)
	}
}

// TestSmallCache reads through a cache that holds only two pages, so every
// walk evicts pages, from several goroutines at once.
func TestSmallCache(t *testing.T) {
	data := buildModel(t, richModel(), "lh")
	want, err := describeHive(openBytes(t, data))
	if err != nil {
		t.Fatal(err)
	}
	h := openBytes(t, data)
	h.file.capacity = 2
	var wg sync.WaitGroup
	results := make([]string, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = describeHive(h) })
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil || results[i] != want {
			t.Errorf("goroutine %d: description differs (err %v)", i, errs[i])
		}
	}
	if n := h.file.lru.Len(); n > 2 {
		t.Errorf("cache holds %d pages, capacity 2", n)
	}
}

func TestLeafEntriesSorted(t *testing.T) {
	// Windows binary-searches subkey lists by upper-cased name, so names
	// differing in case and non-ASCII names must sort as their upper case.
	b := NewBuilder("root")
	names := []string{"b", "A", "é", "Z", "_", "Ж", "a1"}
	for _, n := range names {
		b.SetDWORD(n, "v", 1)
	}
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	subkeys, err := mustOpen(t, openBytes(t, data), "").Subkeys()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range subkeys {
		got = append(got, k.Name())
	}
	want := []string{"A", "a1", "b", "Z", "_", "é", "Ж"}
	if !slices.Equal(got, want) {
		t.Errorf("subkey order %q, want %q", got, want)
	}
}
