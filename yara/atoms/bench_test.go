package atoms

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const rulesPath = "../../../shared/data/yara/gen_webshells.yar"

type textString struct {
	s    []byte
	mods string
	md   Modifiers
}

// unquote decodes a yara text string body (\\ \" \n \t \r \xNN).
func unquote(s string) ([]byte, bool) {
	var out []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(s) {
			return nil, false
		}
		switch s[i] {
		case '\\', '"':
			out = append(out, s[i])
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'x':
			if i+2 >= len(s) {
				return nil, false
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return nil, false
			}
			out = append(out, byte(v))
			i += 2
		default:
			return nil, false
		}
	}
	return out, true
}

// loadTextStrings extracts up to n text strings with a simple line scan.
func loadTextStrings(tb testing.TB, n int) []textString {
	f, err := os.Open(rulesPath)
	if err != nil {
		tb.Skip("rules not available:", err)
	}
	defer f.Close()
	var out []textString
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && len(out) < n {
		l := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(l, "$") {
			continue
		}
		eq := strings.Index(l, "= \"")
		if eq < 0 {
			continue
		}
		rest := l[eq+3:]
		end := -1
		for i := 0; i < len(rest); i++ {
			if rest[i] == '\\' {
				i++
			} else if rest[i] == '"' {
				end = i
				break
			}
		}
		if end <= 0 {
			continue
		}
		s, ok := unquote(rest[:end])
		if !ok {
			continue
		}
		mods := strings.TrimSpace(rest[end+1:])
		var md Modifiers
		okm := true
		for _, w := range strings.Fields(mods) {
			switch w {
			case "ascii":
				md.ASCII = true
			case "wide":
				md.Wide = true
			case "nocase":
				md.NoCase = true
			case "fullword":
				md.Fullword = true
			case "private":
			default:
				okm = false
			}
		}
		if okm {
			out = append(out, textString{s, mods, md})
		}
	}
	return out
}

func benchData() []byte {
	r := rand.New(rand.NewSource(42))
	data := make([]byte, 64<<20)
	const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789  \n.,;(){}<>=\"'$_/"
	for i := range data {
		data[i] = alpha[r.Intn(len(alpha))]
	}
	return data
}

func benchPatterns(b *testing.B) ([]textString, []Literal, []Pattern) {
	ts := loadTextStrings(b, 2000)
	var lits []Literal
	var pats []Pattern
	for _, t := range ts {
		l, err := Expand(t.s, t.md)
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range l {
			lits = append(lits, x)
			pats = append(pats, Pattern{x.Bytes, x.NoCase})
		}
	}
	return ts, lits, pats
}

// BenchmarkAtoms: 2,000 text strings of gen_webshells.yar (expanded by
// their modifiers) over 64 MB of pseudo-random ASCII text.
func BenchmarkAtoms(b *testing.B) {
	ts, lits, pats := benchPatterns(b)
	data := benchData()
	t0 := time.Now()
	m, err := Build(pats)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d strings, %d literals, build %v, %d atoms", len(ts), len(pats), time.Since(t0), len(m.atoms))
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		m.Search(data, func(p, off int) bool {
			if lits[p].Verify(data, off) {
				hits++
			}
			return true
		})
	}
	b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
}

// BenchmarkBytesIndexBaseline: the same literals, one bytes.Index loop
// per literal (case-sensitive only: a rough lower bound of the work).
func BenchmarkBytesIndexBaseline(b *testing.B) {
	_, _, pats := benchPatterns(b)
	data := benchData()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		for _, p := range pats {
			for d := data; ; {
				k := bytes.Index(d, p.Bytes)
				if k < 0 {
					break
				}
				hits++
				d = d[k+1:]
			}
		}
	}
	b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
}

// BenchmarkYaraCLI runs `yara` on the same data with a rule of the same
// strings; the time of a run on an empty file (compiling) is subtracted.
func BenchmarkYaraCLI(b *testing.B) {
	yara, err := exec.LookPath("yara")
	if err != nil {
		b.Skip("yara not installed")
	}
	ts, _, _ := benchPatterns(b)
	dir := b.TempDir()
	var rb strings.Builder
	rb.WriteString("rule bench {\n strings:\n")
	for i, t := range ts {
		fmt.Fprintf(&rb, "  $s%d = \"", i)
		for _, c := range t.s {
			if c == '"' || c == '\\' || c < 0x20 || c > 0x7e {
				fmt.Fprintf(&rb, "\\x%02x", c)
			} else {
				rb.WriteByte(c)
			}
		}
		fmt.Fprintf(&rb, "\" %s\n", t.mods)
	}
	rb.WriteString(" condition:\n  any of them\n}\n")
	rf, df, ef := filepath.Join(dir, "r.yar"), filepath.Join(dir, "d"), filepath.Join(dir, "e")
	os.WriteFile(rf, []byte(rb.String()), 0o644)
	os.WriteFile(df, benchData(), 0o644)
	os.WriteFile(ef, nil, 0o644)
	run := func(f string) time.Duration {
		t0 := time.Now()
		if out, err := exec.Command(yara, "-p", "1", rf, f).CombinedOutput(); err != nil {
			b.Fatalf("yara: %v %s", err, out)
		}
		return time.Since(t0)
	}
	// cross-check: the number of matches yara reports equals ours (one per
	// string and offset, verified).
	out, err := exec.Command(yara, "-s", rf, df).Output()
	if err != nil {
		b.Fatal(err)
	}
	yn := strings.Count(string(out), "\n0x") // lines "0xOFF:$id: data"
	if strings.HasPrefix(string(out), "0x") {
		yn++
	}
	_, lits, pats := benchPatterns(b)
	owner := make([]int, 0, len(lits))
	for i, t := range ts {
		l, _ := Expand(t.s, t.md)
		for range l {
			owner = append(owner, i)
		}
	}
	m, _ := Build(pats)
	data := benchData()
	seen := map[[2]int]bool{}
	m.Search(data, func(p, off int) bool {
		if lits[p].Verify(data, off) {
			seen[[2]int{owner[p], off}] = true
		}
		return true
	})
	if yn != len(seen) {
		b.Errorf("yara reports %d matches, we find %d", yn, len(seen))
	}
	b.Logf("matches: yara %d, ours %d", yn, len(seen))
	b.SetBytes(64 << 20)
	b.ResetTimer()
	var scan time.Duration
	for i := 0; i < b.N; i++ {
		scan += run(df) - run(ef)
	}
	b.ReportMetric(float64(64<<20)/1e6/(scan.Seconds()/float64(b.N)), "yaraMB/s")
}
