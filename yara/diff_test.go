package yara

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

func yaraPairs(t *testing.T, yaraBin, rules, dir string) map[pair]bool {
	t.Helper()
	out, err := exec.Command(yaraBin, "-w", "-r", rules, dir).Output()
	if err != nil {
		t.Fatalf("yara %s: %v", rules, err)
	}
	got := map[pair]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		rule, file, ok := strings.Cut(sc.Text(), " ")
		if ok {
			got[pair{rule, file}] = true
		}
	}
	return got
}

func ourPairs(t *testing.T, rs *Rules, dir string) map[pair]bool {
	t.Helper()
	got := map[pair]bool{}
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
		}
		return nil
	})
	return got
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
	totalAgree, totalDiff, decisions := 0, 0, 0
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
		want := yaraPairs(t, yaraBin, f, dir)
		got := ourPairs(t, rs, dir)
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
}
