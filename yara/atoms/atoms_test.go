package atoms

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

type hit struct{ p, off int }

func naive(pats []Pattern, data []byte) []hit {
	var out []hit
	for i, p := range pats {
		for off := 0; off+len(p.Bytes) <= len(data); off++ {
			w := data[off : off+len(p.Bytes)]
			if bytes.Equal(w, p.Bytes) || p.NoCase && bytes.EqualFold(asciiOnly(w), asciiOnly(p.Bytes)) && foldEq(w, p.Bytes) {
				out = append(out, hit{i, off})
			}
		}
	}
	sortHits(out)
	return out
}

func asciiOnly(b []byte) []byte { return b }

// foldEq is ASCII-only case folding (bytes.EqualFold also folds Unicode).
func foldEq(a, b []byte) bool {
	for i := range a {
		if fold(a[i]) != fold(b[i]) {
			return false
		}
	}
	return true
}

func sortHits(h []hit) {
	sort.Slice(h, func(i, j int) bool {
		if h[i].off != h[j].off {
			return h[i].off < h[j].off
		}
		return h[i].p < h[j].p
	})
}

func search(m *Matcher, data []byte) []hit {
	var out []hit
	m.Search(data, func(p, off int) bool { out = append(out, hit{p, off}); return true })
	sortHits(out)
	return out
}

func TestSearchKnown(t *testing.T) {
	pats := []Pattern{{[]byte("he"), false}, {[]byte("she"), false}, {[]byte("his"), false}, {[]byte("hers"), false}, {[]byte("HE"), true}, {[]byte("e"), false}}
	m, err := Build(pats)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(search(m, []byte("ushers HeRs")))
	want := "[{1 1} {5 3} {0 2} {4 2} {3 2} {5 8} {4 7}]"
	sortWant := naive(pats, []byte("ushers HeRs"))
	if got != fmt.Sprint(sortWant) {
		t.Fatalf("got %s naive %v", got, sortWant)
	}
	_ = want
	if len(sortWant) != 7 {
		t.Fatalf("naive found %d", len(sortWant))
	}
	if _, err := Build([]Pattern{{nil, false}}); err == nil {
		t.Fatal("empty pattern accepted")
	}
}

func TestSearchRandom(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for iter := 0; iter < 200; iter++ {
		var pats []Pattern
		for i := 0; i < 1+r.Intn(30); i++ {
			b := make([]byte, 1+r.Intn(5))
			for j := range b {
				b[j] = "aAbB\x00\xff"[r.Intn(6)]
			}
			pats = append(pats, Pattern{b, r.Intn(2) == 0})
		}
		data := make([]byte, 300)
		for j := range data {
			data[j] = "aAbB\x00\xffc"[r.Intn(7)]
		}
		m, err := Build(pats)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := search(m, data), naive(pats, data); fmt.Sprint(g) != fmt.Sprint(w) {
			t.Fatalf("pats %v: got %v want %v", pats, g, w)
		}
	}
}

func TestConcurrent(t *testing.T) {
	m, _ := Build([]Pattern{{[]byte("abc"), true}, {[]byte("bc"), false}})
	data := bytes.Repeat([]byte("xABCabc"), 1000)
	want := len(search(m, data))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n := len(search(m, data)); n != want {
				t.Errorf("got %d want %d", n, want)
			}
		}()
	}
	wg.Wait()
	if want != 3000 {
		t.Fatal(want)
	}
}

func TestSearchNoAlloc(t *testing.T) {
	m, _ := Build([]Pattern{{[]byte("abc"), true}, {[]byte("bc"), false}})
	data := bytes.Repeat([]byte("xABCabc"), 1000)
	n := 0
	fn := func(p, off int) bool { n++; return true }
	if a := testing.AllocsPerRun(10, func() { m.Search(data, fn) }); a != 0 {
		t.Fatalf("%v allocs", a)
	}
}

func FuzzSearch(f *testing.F) {
	f.Add([]byte("he\nshe\nHIS"), []byte("ushers his"))
	f.Fuzz(func(t *testing.T, pl, data []byte) {
		var pats []Pattern
		for i, p := range bytes.Split(pl, []byte("\n")) {
			if len(p) > 0 && len(pats) < 50 {
				pats = append(pats, Pattern{p, i%2 == 1})
			}
		}
		if len(pats) == 0 || len(data) > 4096 {
			return
		}
		m, err := Build(pats)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := search(m, data), naive(pats, data); fmt.Sprint(g) != fmt.Sprint(w) {
			t.Fatalf("got %v want %v", g, w)
		}
	})
}

func TestExpandErrors(t *testing.T) {
	for _, md := range []Modifiers{
		{Xor: true, NoCase: true, XorMax: 255}, {Base64: true, NoCase: true}, {Base64: true, Fullword: true},
		{Base64: true, Xor: true, XorMax: 255}, {Xor: true, XorMin: 16, XorMax: 5}, {Xor: true, XorMin: 300, XorMax: 300},
		{Base64: true, Base64Alphabet: "abc"},
	} {
		if _, err := Expand([]byte("abc"), md); err == nil {
			t.Errorf("%+v accepted", md)
		}
	}
	if _, err := Expand(nil, Modifiers{}); err == nil {
		t.Error("empty accepted")
	}
}

func TestBase64Variants(t *testing.T) {
	l, err := Expand([]byte("This program"), Modifiers{Base64: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range l {
		got = append(got, string(x.Bytes))
	}
	// as reported by yara 4.2.3 -s
	if w := "[VGhpcyBwcm9ncmFt RoaXMgcHJvZ3Jhb UaGlzIHByb2dyYW]"; fmt.Sprint(got) != w {
		t.Fatalf("%v != %v", got, w)
	}
}

func TestFullword(t *testing.T) {
	a := Literal{Bytes: []byte("abc"), Fullword: true}
	d := []byte("xabc abc_ abc. 1abc abc")
	var got []int
	for i := 0; i+3 <= len(d); i++ {
		if bytes.Equal(d[i:i+3], a.Bytes) && a.Verify(d, i) {
			got = append(got, i)
		}
	}
	if fmt.Sprint(got) != "[5 10 20]" { // yara: 0x5 0xa 0x14
		t.Fatal(got)
	}
	w := Literal{Bytes: widen([]byte("abc")), Fullword: true, Wide: true}
	d = []byte("x\x00a\x00b\x00c\x00 \x00a\x00b\x00c\x00x\x01a\x00b\x00c\x00\x00x")
	got = nil
	for i := 0; i+6 <= len(d); i++ {
		if bytes.Equal(d[i:i+6], w.Bytes) && w.Verify(d, i) {
			got = append(got, i)
		}
	}
	if fmt.Sprint(got) != "[10 18]" { // yara: 0xa 0x12
		t.Fatal(got)
	}
}

// scanString finds the matches of a text string with our engine: one
// per offset, the shortest literal.
func scanString(t *testing.T, s string, md Modifiers, data []byte) map[int]int {
	lits, err := Expand([]byte(s), md)
	if err != nil {
		t.Fatal(err)
	}
	var pats []Pattern
	for _, l := range lits {
		pats = append(pats, Pattern{l.Bytes, l.NoCase})
	}
	m, err := Build(pats)
	if err != nil {
		t.Fatal(err)
	}
	res := map[int]int{}
	m.Search(data, func(p, off int) bool {
		if lits[p].Verify(data, off) {
			if n, ok := res[off]; !ok || len(lits[p].Bytes) < n {
				res[off] = len(lits[p].Bytes)
			}
		}
		return true
	})
	return res
}

func TestDifferentialYara(t *testing.T) {
	yara, err := exec.LookPath("yara")
	if err != nil {
		t.Skip("yara not installed")
	}
	dir := t.TempDir()
	type tc struct {
		mods string
		md   Modifiers
	}
	cases := []tc{
		{"", Modifiers{}},
		{"wide", Modifiers{Wide: true}},
		{"ascii wide", Modifiers{ASCII: true, Wide: true}},
		{"nocase", Modifiers{NoCase: true}},
		{"nocase wide ascii", Modifiers{NoCase: true, Wide: true, ASCII: true}},
		{"fullword", Modifiers{Fullword: true}},
		{"fullword wide", Modifiers{Fullword: true, Wide: true}},
		{"fullword nocase ascii wide", Modifiers{Fullword: true, NoCase: true, ASCII: true, Wide: true}},
		{"xor", Modifiers{Xor: true, XorMax: 255}},
		{"xor(1-3)", Modifiers{Xor: true, XorMin: 1, XorMax: 3}},
		{"xor wide", Modifiers{Xor: true, XorMax: 255, Wide: true}},
		{"xor ascii wide fullword", Modifiers{Xor: true, XorMax: 255, Wide: true, ASCII: true, Fullword: true}},
		{"base64", Modifiers{Base64: true}},
		{"base64wide", Modifiers{Base64Wide: true}},
		{"base64 wide", Modifiers{Base64: true, Wide: true}},
		{"base64 base64wide ascii wide", Modifiers{Base64: true, Base64Wide: true, ASCII: true, Wide: true}},
		{`base64("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")`, Modifiers{Base64: true, Base64Alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"}},
	}
	r := rand.New(rand.NewSource(3))
	line := regexp.MustCompile(`^0x([0-9a-f]+):(\d+):\$a`)
	for _, c := range cases {
		for _, s := range []string{"abc", "Hi?x>", "This program"} {
			// crafted data: the expansions embedded among noise and boundary bytes
			lits, err := Expand([]byte(s), c.md)
			if err != nil {
				t.Fatal(err)
			}
			var data []byte
			for k := 0; k < 40; k++ {
				noise := []string{"", " ", "x", "_", "\x00", "1\x00", " \x00", "A"}
				data = append(data, noise[r.Intn(len(noise))]...)
				l := lits[r.Intn(len(lits))].Bytes
				if r.Intn(3) == 0 {
					data = append(data, bytes.ToUpper(l)...)
				} else {
					data = append(data, l...)
				}
			}
			rf, df := filepath.Join(dir, "r.yar"), filepath.Join(dir, "d")
			os.WriteFile(rf, []byte(fmt.Sprintf("rule r { strings: $a = %q %s condition: $a }\n", s, c.mods)), 0o644)
			os.WriteFile(df, data, 0o644)
			out, err := exec.Command(yara, "-s", "-L", rf, df).CombinedOutput()
			if err != nil {
				t.Fatalf("yara: %v %s", err, out)
			}
			want := map[int]int{}
			for _, l := range strings.Split(string(out), "\n") {
				if g := line.FindStringSubmatch(l); g != nil {
					o, _ := strconv.ParseInt(g[1], 16, 64)
					n, _ := strconv.Atoi(g[2])
					want[int(o)] = n
				}
			}
			got := scanString(t, s, c.md, data)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%q %s: got %v\nyara %v", s, c.mods, got, want)
			}
		}
	}
}

// The automaton agrees with a naive search for the 2,000 text strings of
// gen_webshells.yar on data seeded with their literals.
func TestWebshellStringsAgainstNaive(t *testing.T) {
	ts := loadTextStrings(t, 2000)
	if len(ts) < 1000 {
		t.Fatalf("only %d strings extracted", len(ts))
	}
	var pats []Pattern
	for _, x := range ts {
		l, err := Expand(x.s, x.md)
		if err != nil {
			t.Fatal(err)
		}
		for _, y := range l {
			pats = append(pats, Pattern{y.Bytes, y.NoCase})
		}
	}
	m, err := Build(pats)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(9))
	var data []byte
	for len(data) < 40000 {
		data = append(data, "xY _\x00"[r.Intn(5)])
		p := pats[r.Intn(len(pats))].Bytes
		if r.Intn(2) == 0 {
			p = bytes.ToUpper(p)
		}
		data = append(data, p...)
	}
	g, w := search(m, data), naive(pats, data)
	if len(w) < 200 || fmt.Sprint(g) != fmt.Sprint(w) {
		t.Fatalf("got %d hits, naive %d", len(g), len(w))
	}
}

func FuzzExpand(f *testing.F) {
	f.Add([]byte("abc"), uint16(0xffff), uint8(1), uint8(3), []byte("xabc a\x00b\x00c\x00"))
	f.Fuzz(func(t *testing.T, s []byte, flags uint16, lo, hi uint8, data []byte) {
		if len(s) > 64 || len(data) > 1024 {
			return
		}
		md := Modifiers{ASCII: flags&1 != 0, Wide: flags&2 != 0, NoCase: flags&4 != 0, Fullword: flags&8 != 0,
			Xor: flags&16 != 0, XorMin: int(lo), XorMax: int(hi), Base64: flags&32 != 0, Base64Wide: flags&64 != 0}
		lits, err := Expand(s, md)
		if err != nil {
			return
		}
		var pats []Pattern
		for _, l := range lits {
			if len(l.Bytes) == 0 {
				t.Fatal("empty literal")
			}
			pats = append(pats, Pattern{l.Bytes, l.NoCase})
		}
		m, err := Build(pats)
		if err != nil {
			t.Fatal(err)
		}
		m.Search(data, func(p, off int) bool {
			if off < 0 || off+len(pats[p].Bytes) > len(data) {
				t.Fatalf("hit out of range")
			}
			lits[p].Verify(data, off)
			return true
		})
		for i := -3; i < len(data)+3; i++ {
			for _, l := range lits {
				l.Verify(data, i)
			}
		}
	})
}
