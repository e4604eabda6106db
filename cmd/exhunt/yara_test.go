package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/testserver"
)

func needYaraCLI(t *testing.T) string {
	t.Helper()
	ref, err := exec.LookPath("yara")
	if err != nil {
		t.Skip("yara is not installed (the test command installs it)")
	}
	return ref
}

// runRef runs the reference yara and returns stdout, stderr and whether it
// succeeded.
func runRef(t *testing.T, ref string, args ...string) (string, string, bool) {
	t.Helper()
	cmd := exec.Command(ref, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return o.String(), e.String(), err == nil
}

func sortedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestYaraDefineAgainstReference: -d values are read as yara reads them
// (integers wrapping to 32 bits, floats, booleans, strings), and rules with
// undefined identifiers or type errors are refused by both.
func TestYaraDefineAgainstReference(t *testing.T) {
	ref := needYaraCLI(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "f")
	os.WriteFile(data, []byte("x"), 0o644)
	rules := filepath.Join(dir, "e.yar")
	cases := []struct {
		cond string
		defs []string
	}{
		{`x == 5`, []string{"x=5"}},
		{`x == -5`, []string{"x=-5"}},
		{`x == 10`, []string{"x=010"}},
		{`x == 1`, []string{"x=4294967297"}},
		{`x == -2147483648`, []string{"x=2147483648"}},
		{`x == -1`, []string{"x=99999999999999999999"}},
		{`x == 0`, []string{"x=-0"}},
		{`x == "+5"`, []string{"x=+5"}},
		{`x == "0x10"`, []string{"x=0x10"}},
		{`x == "1e5"`, []string{"x=1e5"}},
		{`x > 1.4 and x < 1.6`, []string{"x=1.5"}},
		{`x < -1.4`, []string{"x=-1.5"}},
		{`x == 5.0`, []string{"x=5."}},
		{`x == -1`, []string{"x=-1."}},
		{`x == 0.5`, []string{"x=.5"}},
		{`x == ".5"`, []string{"x=.5"}},
		{`x == "."`, []string{"x=."}},
		{`x == "-"`, []string{"x=-"}},
		{`x == "1.2.3"`, []string{"x=1.2.3"}},
		{`x`, []string{"x=true"}},
		{`not x`, []string{"x=false"}},
		{`x == "TRUE"`, []string{"x=TRUE"}},
		{`x`, []string{"x=TRUE"}},
		{`x == ""`, []string{"x="}},
		{`not x`, []string{"x="}},
		{`x == "a=b"`, []string{"x=a=b"}},
		{`x == "a b"`, []string{"x=a b"}},
		{`x contains "ell" and y == 2`, []string{"x=hello", "y=2"}},
		{`x > 5`, []string{"x=abc"}},
		{`x contains "a"`, []string{"x=5"}},
		{`x`, nil},
		{`x and y`, []string{"x=1"}},
		{`x == 1`, []string{"x=1", "x=2"}},
		{`x`, []string{"x"}},
	}
	for _, c := range cases {
		os.WriteFile(rules, []byte("rule r { condition: "+c.cond+" }\n"), 0o644)
		var args []string
		for _, d := range c.defs {
			args = append(args, "-d", d)
		}
		want, _, wantOK := runRef(t, ref, append(args, rules, data)...)
		got, stderr, code := exhunt(t, append(append([]string{"yara"}, args...), rules, data)...)
		if wantOK != (code == 0) || want != got {
			t.Errorf("%s with %q: exhunt exit %d %q %s; yara ok=%v %q", c.cond, c.defs, code, got, strings.TrimSpace(stderr), wantOK, want)
		}
		if code != 0 && code != 2 {
			t.Errorf("%s: exit %d", c.cond, code)
		}
	}
}

// TestYaraIncludesCLI: the rules file's includes are read relative to it,
// and an error in an included file names it.
func TestYaraIncludesCLI(t *testing.T) {
	ref := needYaraCLI(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"rules/main.yar":        "include \"lib/a.yar\"\nrule main { condition: a }\n",
		"rules/lib/a.yar":       "rule a { strings: $a = \"needle\" condition: $a }\n",
		"rules/bad.yar":         "include \"lib/bad.yar\"\n",
		"rules/lib/bad.yar":     "\nrule b { condition: nothing }\n",
		"data/hay":              "a needle",
		"data/sub/other":        "no",
		"rules/lib/nothing.yar": "",
	})
	t.Chdir(dir)
	want, _, _ := runRef(t, ref, "-r", "rules/main.yar", "data")
	got, stderr, code := exhunt(t, "yara", "rules/main.yar", "data")
	if code != 0 || strings.Join(sortedLines(got), "\n") != strings.Join(sortedLines(want), "\n") {
		t.Errorf("exit %d %q %s, yara %q", code, got, stderr, want)
	}
	_, yerr, _ := runRef(t, ref, "rules/bad.yar", "data")
	if _, stderr, code := exhunt(t, "yara", "rules/bad.yar", "data"); code != 2 || !strings.Contains(stderr, "rules/lib/bad.yar:2:") || !strings.Contains(yerr, "rules/lib/bad.yar(2)") {
		t.Errorf("bad include: exit %d %q; yara %q", code, stderr, yerr)
	}
}

// yaraTree writes files for the parallel tests: several folders of files
// of various sizes, some matching.
func yaraTree(t *testing.T, dir string, n int) {
	t.Helper()
	files := map[string]string{}
	for i := range n {
		var b strings.Builder
		for k := range i % 37 * 50 {
			fmt.Fprintf(&b, "line %d of file %d\n", k, i)
		}
		switch i % 5 {
		case 0:
			b.WriteString("<%@ Page Language=\"C#\" %><% eval(Request.Item[\"x\"]) %>")
		case 1:
			b.WriteString("needle")
		case 2:
			b.WriteString("MZ\x90\x00 needle needle")
		}
		files[fmt.Sprintf("d%d/s%d/f%03d.txt", i%4, i%3, i)] = b.String()
	}
	writeFiles(t, dir, files)
}

const parallelRules = `
rule needle { strings: $a = "needle" condition: $a }
rule two_needles { strings: $a = "needle" condition: #a == 2 }
rule eval_page { strings: $e = /eval\s*\(Request/ $p = "<%@" condition: $p at 0 and $e }
rule mz { condition: uint16(0) == 0x5A4D }
rule big { condition: filesize > 20000 }
`

// TestYaraParallel: any number of workers prints the same lines in the
// same order, each file's lines together, the files in walk order; and the
// same set of lines as yara -r -p.
func TestYaraParallel(t *testing.T) {
	dir := t.TempDir()
	yaraTree(t, filepath.Join(dir, "tree"), 200)
	rules := filepath.Join(dir, "r.yar")
	os.WriteFile(rules, []byte(parallelRules), 0o644)
	tree := filepath.Join(dir, "tree")
	one, _, code := exhunt(t, "yara", "-p", "1", rules, tree)
	if code != 0 || one == "" {
		t.Fatalf("-p 1: exit %d, %d bytes", code, len(one))
	}
	for _, args := range [][]string{{"-p", "4"}, {"--threads", "16"}, {"-r"}, {rules, tree, "-p", "3"}} {
		full := append([]string{"yara"}, args...)
		if args[0] != rules {
			full = append(full, rules, tree)
		}
		got, stderr, code := exhunt(t, full...)
		if code != 0 || got != one {
			t.Errorf("%v: exit %d %s; output differs from -p 1", args, code, stderr)
		}
	}
	// walk order: files in path order (the names sort as the walk goes)
	var files []string
	for _, l := range strings.Split(strings.TrimSpace(one), "\n") {
		f := l[strings.IndexByte(l, ' ')+1:]
		if len(files) == 0 || files[len(files)-1] != f {
			files = append(files, f)
		}
	}
	if !slices.IsSorted(files) || len(slices.Compact(slices.Clone(files))) != len(files) {
		t.Errorf("files not in walk order, or one file's lines apart")
	}
	if ref, err := exec.LookPath("yara"); err == nil {
		want, _, _ := runRef(t, ref, "-r", "-p", "4", rules, tree)
		if w, g := sortedLines(want), sortedLines(one); !slices.Equal(w, g) {
			t.Errorf("yara -r -p 4 printed %d lines, exhunt %d", len(w), len(g))
		}
	}
}

// TestYaraPrintStrings: -s prints what yara -s prints, over crafted files
// and over the demo server with every shared rule file.
func TestYaraPrintStrings(t *testing.T) {
	ref := needYaraCLI(t)
	dir := t.TempDir()
	long := strings.Repeat("B", 700)
	writeFiles(t, dir, map[string]string{
		"data/s.bin": "hello\x00\x01\xff\"\\ w\x00i\x00d\x00e\x00 HELLO tab\there\n" + strings.Repeat("A", 150) + "\n" + long + "\x01\x02",
		"r.yar": `rule s {
 strings:
  $w = "wide" wide
  $a = "hello" nocase
  $h = { 68 65 6C 6C 6F 00 01 }
  $r = /hello.{0,6}/
  $p = "tab" private
  $l = { 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 }
  $b = /B{600}/
  $j = { 42 42 42 42 [0-700] 01 }
  $ = "tab"
  $x = "here\x0a" xor
  $at = "hello"
 condition: any of them and $at at 0
}
rule t { condition: true }
`})
	t.Chdir(dir)
	want, _, _ := runRef(t, ref, "-s", "r.yar", "data/s.bin")
	got, stderr, code := exhunt(t, "yara", "-s", "r.yar", "data/s.bin")
	if code != 0 || got != want {
		t.Errorf("exit %d %s\n%s", code, stderr, lineDiff(want, got))
	}
	rules, _ := filepath.Glob("../../../shared/data/yara/*.yar")
	if len(rules) == 0 {
		t.Skip("../shared/data is not present")
	}
	demo := t.TempDir()
	if _, err := testserver.Generate(demo, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		want, _, _ := runRef(t, ref, "-s", "-r", r, demo)
		got, stderr, code := exhunt(t, "yara", "-s", r, demo)
		if w, g := blocks(want), blocks(got); code != 0 || !slices.Equal(w, g) {
			t.Errorf("%s: exit %d %s\n%s", filepath.Base(r), code, stderr, lineDiff(strings.Join(w, "\n"), strings.Join(g, "\n")))
		}
	}
}

// blocks splits yara -s output into one text per match (the rule line and
// its string lines), sorted: yara prints files in its own order.
func blocks(out string) []string {
	var bs []string
	for _, l := range strings.Split(out, "\n") {
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "0x") && len(bs) > 0 {
			bs[len(bs)-1] += "\n" + l
			continue
		}
		bs = append(bs, l)
	}
	slices.Sort(bs)
	return bs
}

// lineDiff shows the first lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nyara:   %.300q\nexhunt: %.300q", i+1, a, b)
		}
	}
	return "same"
}

// TestYaraBadFiles: FIFOs, dangling links and other non-files in folders
// are skipped as yara skips them; named on the command line they are
// errors (exit 2) that do not stop the other files; -z skips large files
// found in folders, as yara -z.
func TestYaraBadFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("FIFOs and symlinks")
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"t/a.txt": "hello", "t/sub/b": "hello hello", "t/big": strings.Repeat("hello ", 100)})
	t.Chdir(dir)
	rules := "r.yar"
	os.WriteFile(rules, []byte(`rule r { strings: $a = "hello" condition: $a }`), 0o644)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(mkfifo("t/fifo"))
	must(os.Symlink("/nonexistent", "t/dangling"))
	must(os.Symlink("a.txt", "t/link"))
	must(os.Symlink("sub", "t/dirlink"))
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(time.Minute):
			panic("exhunt yara hangs on a FIFO")
		}
	}()
	defer close(done)
	out, stderr, code := exhunt(t, "yara", rules, "t")
	if want := "r t/a.txt\nr t/big\nr t/link\nr t/sub/b\n"; code != 0 || out != want || stderr != "" {
		t.Errorf("folder: exit %d %q %q", code, out, stderr)
	}
	out, stderr, code = exhunt(t, "yara", rules, "t/fifo", "t/dangling", "t/a.txt", "t/missing", "t/sub")
	if code != 2 || out != "r t/a.txt\nr t/sub/b\n" || strings.Count(stderr, "\n") != 3 ||
		!strings.Contains(stderr, "t/fifo: not a regular file") || !strings.Contains(stderr, "t/dangling") || !strings.Contains(stderr, "t/missing") {
		t.Errorf("named: exit %d %q %q", code, out, stderr)
	}
	ref, err := exec.LookPath("yara")
	if err != nil {
		return
	}
	want, wantErr, _ := runRef(t, ref, "-r", "-z", "20", rules, "t")
	// yara follows the link to a folder, exhunt does not
	want = strings.ReplaceAll(want, "r t/dirlink/b\n", "")
	out, stderr, code = exhunt(t, "yara", "-z", "20", rules, "t")
	if code != 0 || strings.Join(sortedLines(out), "\n") != strings.Join(sortedLines(want), "\n") ||
		strings.Join(sortedLines(strings.ReplaceAll(stderr, "exhunt yara: ", "")), "\n") != strings.Join(sortedLines(wantErr), "\n") {
		t.Errorf("-z: exit %d %q %q; yara %q %q", code, out, stderr, want, wantErr)
	}
	// -z does not apply to files named on the command line, as in yara
	if out, _, code := exhunt(t, "yara", "-z", "2", rules, "t/big"); code != 0 || out != "r t/big\n" {
		t.Errorf("-z, file named: exit %d %q", code, out)
	}
}

// TestYaraReadAll: a file read as it is when read, grown or shrunk since
// it was listed, within the limit.
func TestYaraReadAll(t *testing.T) {
	for _, c := range []struct {
		data        string
		size, limit int64
		ok          bool
	}{
		{"hello", 5, 10, true},
		{"hello", 2, 10, true},   // grew since
		{"hello", 50, 10, true},  // shrank since
		{"hello", 0, 10, true},   // was empty
		{"hello", 5, 5, true},    // at the limit
		{"hello!", 5, 5, false},  // grew past it
		{"hello!", 50, 5, false}, // larger than said, and than the limit
		{"", 0, 5, true},
	} {
		for _, buf := range [][]byte{nil, make([]byte, 0, 3), make([]byte, 0, 100)} {
			got, err := readAll(strings.NewReader(c.data), buf, c.size, c.limit)
			if c.ok && (err != nil || string(got) != c.data) || !c.ok && err == nil {
				t.Errorf("%q size %d limit %d: %q %v", c.data, c.size, c.limit, got, err)
			}
		}
	}
}

// TestYaraVanished: a file that vanishes between the walk and its scan,
// or turns into a folder, is reported and the scan goes on; the exit
// status fails only for files named on the command line.
func TestYaraVanished(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "folder"), 0o755)
	y := &yaraRun{threads: 1, skipLarger: -1, maxFile: maxYaraFile}
	for _, direct := range []bool{false, true} {
		for _, p := range []string{filepath.Join(dir, "gone"), filepath.Join(dir, "folder")} {
			_, r := y.scan(&yaraJob{path: p, name: p, direct: direct}, nil)
			if !bytes.Contains(r.errs, []byte("error scanning "+p)) || r.failed != direct || len(r.out) != 0 {
				t.Errorf("%s direct=%v: %q failed=%v", p, direct, r.errs, r.failed)
			}
		}
	}
}

// TestYaraTooSlow: a file on which a hostile rule would run for minutes is
// reported as too slow to match, naming the string; named on the command
// line it fails the exit status, found in a folder it does not (as yara
// with its scan errors).
func TestYaraTooSlow(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"r.yar":      "rule slow {\n strings:\n  $a = /[a-z]{0,5000}x/\n condition: $a\n}\nrule fine { strings: $b = \"needle\" condition: $b }\n",
		"t/hostile":  strings.Repeat(strings.Repeat("a", 100)+"x", 600),
		"t/needle":   "a needle",
		"t/z/needle": "needle",
	})
	rules, tree := filepath.Join(dir, "r.yar"), filepath.Join(dir, "t")
	out, stderr, code := exhunt(t, "yara", rules, tree)
	want := "fine " + tree + "/needle\nfine " + tree + "/z/needle\n"
	if code != 0 || out != want || !strings.Contains(stderr, "error scanning "+tree+"/hostile") || !strings.Contains(stderr, "string $a of rule slow") || !strings.Contains(stderr, "too slow") {
		t.Errorf("folder: exit %d %q %q", code, out, stderr)
	}
	if _, stderr, code := exhunt(t, "yara", rules, filepath.Join(tree, "hostile")); code != 2 || !strings.Contains(stderr, "too slow") {
		t.Errorf("file named: exit %d %q", code, stderr)
	}
}
