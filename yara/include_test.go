package yara

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// includeTree writes a tree of rules files that include each other, well
// and badly, under dir.
func includeTree(t *testing.T, dir string) {
	t.Helper()
	files := map[string]string{
		"main.yar":               "include \"sub/a.yar\"\ninclude \"c.yar\"\nrule main { condition: ra and rb and rc }\n",
		"sub/a.yar":              "include \"deeper/b.yar\"\n\nrule ra { strings: $a = \"alpha\" condition: $a and rb }\n",
		"sub/deeper/b.yar":       "rule rb { condition: filesize > 3 }\n",
		"c.yar":                  "rule rc { strings: $c = { 61 6C ( 70 | 71 ) } condition: $c }\n",
		"up.yar":                 "include \"sub/up2.yar\"\nrule up { condition: rc }\n",
		"sub/up2.yar":            "include \"../c.yar\"\n",
		"dots.yar":               "include \"sub/deeper/../deeper/b.yar\"\nrule dots { condition: rb }\n",
		"cyc1.yar":               "rule c1 { condition: true }\ninclude \"cyc2.yar\"\n",
		"cyc2.yar":               "\ninclude \"cyc1.yar\"\nrule c2 { condition: true }\n",
		"self.yar":               "\n\ninclude \"self.yar\"\n",
		"missing.yar":            "rule m { condition: true }\ninclude \"nope.yar\"\n",
		"missing2.yar":           "include \"missing.yar\"\n",
		"dir.yar":                "include \"sub\"\n",
		"empty.yar":              "include \"\"\n",
		"dup.yar":                "include \"sub/deeper/b.yar\"\ninclude \"sub/deeper/b.yar\"\n",
		"dotself.yar":            "rule x { condition: true }\ninclude \"./dotself.yar\"\n",
		"undef.yar":              "include \"sub/undef.yar\"\n",
		"sub/undef.yar":          "include \"deeper/undef.yar\"\n",
		"sub/deeper/undef.yar":   "rule z {\n\n condition: q }\n",
		"syntax.yar":             "include \"sub/syntax.yar\"\n",
		"sub/syntax.yar":         "rule ok { condition: true }\ninclude \"deeper/syntax.yar\"\n",
		"sub/deeper/syntax.yar":  "rule z {\n\n condition: }\n",
		"badhex.yar":             "include \"sub/badhex.yar\"\n",
		"sub/badhex.yar":         "rule h {\n strings:\n  $h = { 41 [-] }\n condition: $h }\n",
		"fwd.yar":                "rule f { condition: later }\ninclude \"later.yar\"\n",
		"later.yar":              "rule later { condition: true }\n",
		"back.yar":               "include \"later.yar\"\nrule b { condition: later }\n",
		"twice.yar":              "include \"later.yar\"\nrule later { condition: true }\n",
		"chain0.yar":             "include \"chain1.yar\"\n",
		"modules.yar":            "include \"sub/mod.yar\"\nrule usesmath { condition: math.entropy(0, filesize) >= 0 }\n",
		"sub/mod.yar":            "import \"math\"\n",
		"sub/deeper/nothing.yar": "",
	}
	for i := 1; i < 20; i++ {
		files[fmt.Sprintf("chain%d.yar", i)] = fmt.Sprintf("include \"chain%d.yar\"\n", i+1)
	}
	files["chain20.yar"] = "rule deep { condition: true }\n"
	for i := 0; i < 7; i++ {
		files[fmt.Sprintf("from%d.yar", i)] = fmt.Sprintf("include \"chain%d.yar\"\n", i)
	}
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	abs := filepath.Join(dir, "abs.yar")
	os.WriteFile(abs, []byte("include \""+filepath.ToSlash(filepath.Join(dir, "sub", "deeper", "b.yar"))+"\"\nrule abs { condition: rb }\n"), 0o644)
	absBad := filepath.Join(dir, "absbad.yar")
	os.WriteFile(absBad, []byte("include \""+filepath.ToSlash(filepath.Join(dir, "sub", "deeper", "undef.yar"))+"\"\n"), 0o644)
}

var yaraErrPos = regexp.MustCompile(`([^\s"]+)\((\d+)\)`)

// TestIncludesAgainstYara compiles trees of includes, good and bad, with
// CompileFiles and with yara, from the tree's folder and from below it:
// the same rules match, or the first error names the same file and line.
func TestIncludesAgainstYara(t *testing.T) {
	ref := needYara(t)
	dir := t.TempDir()
	includeTree(t, dir)
	data := filepath.Join(dir, "data.txt")
	os.WriteFile(data, []byte("xx alpha alq"), 0o644)
	names, _ := filepath.Glob(filepath.Join(dir, "*.yar"))
	checked, refused := 0, 0
	for _, cwd := range []string{dir, filepath.Join(dir, "sub")} {
		t.Chdir(cwd)
		for _, full := range names {
			rel, _ := filepath.Rel(cwd, full)
			rel = filepath.ToSlash(rel)
			cmd := exec.Command(ref, rel, data)
			var o, e bytes.Buffer
			cmd.Stdout, cmd.Stderr = &o, &e
			yerr := cmd.Run()
			var want []string
			for _, l := range strings.Split(strings.TrimSpace(o.String()), "\n") {
				if f := strings.Fields(l); len(f) == 2 {
					want = append(want, f[0])
				}
			}
			rs, err := CompileFiles(rel)
			switch {
			case yerr != nil && err == nil:
				t.Errorf("%s (from %s): yara fails (%s), CompileFiles does not", rel, cwd, strings.TrimSpace(e.String()))
			case yerr == nil && err != nil:
				t.Errorf("%s (from %s): CompileFiles fails (%v), yara does not", rel, cwd, err)
			case err != nil:
				first := strings.SplitN(strings.TrimSpace(e.String()), "\n", 2)[0]
				m := yaraErrPos.FindStringSubmatch(first)
				if m == nil {
					t.Errorf("%s: no position in yara's error %q", rel, first)
					continue
				}
				if !strings.HasPrefix(err.Error(), m[1]+":"+m[2]+":") {
					t.Errorf("%s (from %s): error %q, yara's %q", rel, cwd, err, first)
				}
				refused++
			default:
				ms, serr := rs.Scan(mustRead(t, data), nil)
				if serr != nil {
					t.Errorf("%s: scan: %v", rel, serr)
				}
				got := ruleNames(ms)
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s (from %s): matched %v, yara %v", rel, cwd, got, want)
				}
			}
			checked++
		}
	}
	t.Logf("%d rules files agree with yara, %d of them refused by both", checked, refused)
	if refused < 20 || checked-refused < 10 {
		t.Errorf("the tree should have more good and bad rules files")
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCompileOptionsIncludes: includes through a custom Include, several
// sources each with includes, and includes refused without one.
func TestCompileOptionsIncludes(t *testing.T) {
	files := map[string]string{"lib/x.yar": "rule x { condition: true }", "lib/y.yar": "include \"x.yar\"\nrule y { condition: x }"}
	inc := func(from, name string) (string, []byte, error) {
		p := name
		if i := strings.LastIndex(from, "/"); i >= 0 {
			p = from[:i+1] + name
		}
		s, ok := files[p]
		if !ok {
			return "", nil, os.ErrNotExist
		}
		return p, []byte(s), nil
	}
	rs, err := CompileOptions(Options{Include: inc},
		Source{"lib/a.yar", []byte("include \"y.yar\"\nrule a { condition: y }")},
		Source{"b.yar", []byte("rule b { condition: a and x }")})
	if err != nil {
		t.Fatal(err)
	}
	if got := scanNames(t, rs, "", nil); got != "x,y,a,b" {
		t.Errorf("got %q", got)
	}
	_, err = CompileOptions(Options{Include: inc}, Source{"lib/a.yar", []byte("rule a { condition: true }\ninclude \"z.yar\"")})
	if err == nil || !strings.HasPrefix(err.Error(), "lib/a.yar:2: can't open include file \"z.yar\"") {
		t.Errorf("missing include: %v", err)
	}
	_, err = Compile(Source{"a.yar", []byte("\ninclude \"x.yar\"")})
	if err == nil || !strings.HasPrefix(err.Error(), "a.yar:2:") {
		t.Errorf("include without Include: %v", err)
	}
}
