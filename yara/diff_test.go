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
	return dir
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
