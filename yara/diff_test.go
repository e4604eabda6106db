package yara

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/testserver"
	"github.com/exhunt/exhunt/yara/syntax"
)

const sharedRules = "../../shared/data/yara"
const sharedLogs = "../../shared/data/logs"

func needYara(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("yara")
	if err != nil {
		t.Skip("yara not installed")
	}
	return p
}

// corpus writes the files scanned by the differential tests.
func corpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Hive = false
	if _, err := testserver.Generate(dir, opt); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir, "shared-logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(sharedLogs, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil {
			os.WriteFile(filepath.Join(logs, d.Name()), b, 0o644)
		}
		return nil
	})
	crafted := map[string]string{
		"empty.bin":    "",
		"chopper.aspx": `<%@ Page Language="Jscript"%><%eval(Request.Item["pass"],"unsafe");%>`,
		"entropy.bin": string(func() []byte {
			b := make([]byte, 4096)
			x := uint32(1)
			for i := range b {
				x = x*1664525 + 1013904223
				b[i] = byte(x >> 24)
			}
			return b
		}()),
	}
	for name, data := range crafted {
		os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644)
	}
	// PE files: built by MinGW when it is installed, and byte-built
	pe := filepath.Join(dir, "pe")
	os.MkdirAll(pe, 0o755)
	for name, data := range mingwPEs(t) {
		os.WriteFile(filepath.Join(pe, name), data, 0o644)
	}
	for _, name := range []string{"imports64", "exports32", "version64", "sections32", "many_sections"} {
		os.WriteFile(filepath.Join(pe, name), handMadePEs()[name], 0o644)
	}
	plant(t, filepath.Join(dir, "planted"))
	return dir
}

// plant writes, for every rule of the shared rules, files made of its text
// strings: all of them, every other one, and all of them after an "MZ" or
// "<%" header, so that many rules' conditions are decided on matching
// data rather than on none.
func plant(t *testing.T, dir string) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	files, _ := filepath.Glob(filepath.Join(sharedRules, "*.yar"))
	for _, f := range files {
		src, _ := os.ReadFile(f)
		pf, err := syntax.Parse(filepath.Base(f), src)
		if err != nil {
			continue
		}
		for _, r := range pf.Rules {
			var all, half []byte
			for i, s := range r.Strings {
				if s.Kind != syntax.Text {
					continue
				}
				txt := s.Text
				if s.Modifiers.Wide && !s.Modifiers.ASCII {
					w := make([]byte, 0, 2*len(txt))
					for _, c := range txt {
						w = append(w, c, 0)
					}
					txt = w
				}
				all = append(append(all, txt...), " \n"...)
				if i%2 == 0 {
					half = append(append(half, txt...), " \n"...)
				}
			}
			if len(all) == 0 {
				continue
			}
			base := filepath.Join(dir, r.Name)
			os.WriteFile(base+".all", all, 0o644)
			os.WriteFile(base+".half", half, 0o644)
			os.WriteFile(base+".mz", append([]byte("MZ\x90\x00"), all...), 0o644)
			os.WriteFile(base+".asp", append([]byte("<%@ Page Language=\"C#\" %>\n"), all...), 0o644)
		}
	}
}

type pair struct{ rule, file string }

// yaraPairs runs yara -s -r and returns the matching (rule, file) pairs
// and the string matches as "rule file $id@offset".
func yaraPairs(t *testing.T, yaraBin, dir string, rules ...string) (map[pair]bool, map[string]bool) {
	t.Helper()
	args := append([]string{"-w", "-s", "-r"}, rules...)
	out, err := exec.Command(yaraBin, append(args, dir)...).Output()
	if err != nil {
		t.Fatalf("yara %s: %v", rules, err)
	}
	got, strs := map[pair]bool{}, map[string]bool{}
	var cur pair
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if off, rest, ok := strings.Cut(line, ":$"); ok && strings.HasPrefix(off, "0x") {
			id, _, _ := strings.Cut(rest, ":")
			o, _ := strconv.ParseInt(off[2:], 16, 64)
			strs[fmt.Sprintf("%s %s $%s@%d", cur.rule, cur.file, id, o)] = true
			continue
		}
		rule, file, ok := strings.Cut(line, " ")
		if ok {
			cur = pair{rule, file}
			got[cur] = true
		}
	}
	return got, strs
}

func ourPairs(t *testing.T, rs *Rules, dir string) (map[pair]bool, map[string]bool) {
	t.Helper()
	got, strs := map[pair]bool{}, map[string]bool{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		ms, err := rs.Scan(data, nil)
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		for _, m := range ms {
			got[pair{m.Rule, p}] = true
			for _, s := range m.Strings {
				strs[fmt.Sprintf("%s %s %s@%d", m.Rule, p, s.ID, s.Offset)] = true
			}
		}
		return nil
	})
	return got, strs
}

// diffSets lists what one set has and the other lacks.
func diffSets(want, got map[string]bool) []string {
	var out []string
	for k := range want {
		if !got[k] {
			out = append(out, "missing "+k)
		}
	}
	for k := range got {
		if !want[k] {
			out = append(out, "extra   "+k)
		}
	}
	slices.Sort(out)
	return out
}

func TestDifferentialSharedRules(t *testing.T) {
	if testing.Short() {
		t.Skip("slow differential test")
	}
	yaraBin := needYara(t)
	files, _ := filepath.Glob(filepath.Join(sharedRules, "*.yar"))
	if len(files) == 0 {
		t.Skip("no shared rules")
	}
	dir := corpus(t)
	nfiles := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			nfiles++
		}
		return nil
	})
	totalAgree, totalDiff, decisions, totalStrs, totalStrDiff := 0, 0, 0, 0, 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := Compile(Source{Name: filepath.Base(f), Data: src})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, r := range rs.rules {
			if !r.ast.Private {
				decisions += nfiles
			}
		}
		want, wantStrs := yaraPairs(t, yaraBin, dir, f)
		got, gotStrs := ourPairs(t, rs, dir)
		sd := diffSets(wantStrs, gotStrs)
		for i, d := range sd {
			if i == 20 {
				t.Errorf("%s: … %d string differences", filepath.Base(f), len(sd))
				break
			}
			t.Errorf("%s: string %s", filepath.Base(f), d)
		}
		totalStrs += len(wantStrs)
		totalStrDiff += len(sd)
		agree := 0
		var diffs []string
		for p := range want {
			if got[p] {
				agree++
			} else {
				diffs = append(diffs, "missing "+p.rule+" "+p.file)
			}
		}
		for p := range got {
			if !want[p] {
				diffs = append(diffs, "extra   "+p.rule+" "+p.file)
			}
		}
		slices.Sort(diffs)
		for _, d := range diffs {
			t.Errorf("%s: %s", filepath.Base(f), d)
		}
		totalAgree += agree
		totalDiff += len(diffs)
		t.Logf("%s: %d (rule, file) matches agree with yara, %d differ", filepath.Base(f), agree, len(diffs))
	}
	t.Logf("total over %d files: %d matches agree, %d differ; %d of %d (rule, file) decisions agree", nfiles, totalAgree, totalDiff, decisions-totalDiff, decisions)
	t.Logf("string matches (rule, file, string, offset): yara %d, %d differ", totalStrs, totalStrDiff)

	// all files at once, as one namespace
	var srcs []Source
	for _, f := range files {
		b, _ := os.ReadFile(f)
		srcs = append(srcs, Source{Name: filepath.Base(f), Data: b})
	}
	rs, err := Compile(srcs...)
	if err != nil {
		t.Fatalf("all sources: %v", err)
	}
	want, _ := yaraPairs(t, yaraBin, dir, files...)
	got, _ := ourPairs(t, rs, dir)
	if len(want) != len(got) {
		t.Errorf("all sources: yara %d matches, ours %d", len(want), len(got))
	}
	for p := range want {
		if !got[p] {
			t.Errorf("all sources: missing %v", p)
		}
	}
	t.Logf("all sources together: yara %d matches, ours %d", len(want), len(got))
}
