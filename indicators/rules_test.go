package indicators

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/testserver"
	"github.com/exhunt/exhunt/yara"
)

// sharedData is the project's shared folder of real public data, beside
// the repository; tests that read it skip when it is absent.
const sharedData = "../../shared/data"

var severityRank = map[string]int{"low": 1, "medium": 2, "high": 3, "critical": 4}

// rank is the severity of a built-in rule's match.
func rank(m yara.Match) int { return severityRank[MetaOf(m).Severity] }

func TestRulesCompile(t *testing.T) {
	srcs := Rules()
	if len(srcs) < 4 {
		t.Fatalf("%d rule files embedded", len(srcs))
	}
	for _, s := range srcs {
		if !strings.HasPrefix(s.Name, RuleSourcePrefix) || !strings.HasSuffix(s.Name, ".yar") {
			t.Errorf("source name %q", s.Name)
		}
		if _, err := yara.Compile(s); err != nil {
			t.Errorf("%s alone: %v", s.Name, err)
		}
	}
	rs, err := BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	if MustBuiltinRules() != rs {
		t.Error("MustBuiltinRules compiled the rules again")
	}
	// The files on disk are the embedded ones.
	files, _ := filepath.Glob("rules/*.yar")
	if len(files) != len(srcs) {
		t.Errorf("%d files in rules/, %d embedded", len(files), len(srcs))
	}

	yarac, err := exec.LookPath("yarac")
	if err != nil {
		t.Log("yarac not installed: the reference compiler half is skipped")
		return
	}
	out := filepath.Join(t.TempDir(), "compiled")
	for _, f := range files {
		// Warnings (such as a string that may slow scanning) fail too.
		if msg, err := exec.Command(yarac, "--fail-on-warnings", f, out).CombinedOutput(); err != nil {
			t.Errorf("yarac %s: %v\n%s", f, err, msg)
		}
	}
	if msg, err := exec.Command(yarac, append(append([]string{"--fail-on-warnings"}, files...), out)...).CombinedOutput(); err != nil {
		t.Errorf("yarac on all files: %v\n%s", err, msg)
	}
}

func TestRuleMeta(t *testing.T) {
	cat, err := RuleCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	rs := MustBuiltinRules()
	seen := map[string]bool{}
	for _, r := range cat {
		if seen[r.Rule] {
			t.Errorf("%s: defined twice", r.Rule)
		}
		seen[r.Rule] = true
		if r.Description == "" || strings.ContainsAny(r.Description, "\r\n") || len(r.Description) > 160 {
			t.Errorf("%s: description %q: want one line a person understands", r.Rule, r.Description)
		}
		if !slices.Contains(RuleSeverities, r.Severity) {
			t.Errorf("%s: severity %q, want one of %v", r.Rule, r.Severity, RuleSeverities)
		}
		if !slices.Contains(RuleKinds, r.Kind) {
			t.Errorf("%s: kind %q, want one of %v", r.Rule, r.Kind, RuleKinds)
		}
		if !strings.HasPrefix(r.Reference, "https://") || strings.ContainsAny(r.Reference, " \t") {
			t.Errorf("%s: reference %q, want a public https URL", r.Rule, r.Reference)
		}
		if r.Author != "exhunt" {
			t.Errorf("%s: author %q", r.Rule, r.Author)
		}
		for _, tag := range r.Tags {
			if strings.EqualFold(tag, "LOG") {
				t.Errorf("%s: tag LOG means per-line log rules in exhunt; these rules are for files", r.Rule)
			}
		}
		// Every rule has its true positives.
		samples, _ := filepath.Glob(filepath.Join(contentDir, "tp", r.Rule, "*"))
		if len(samples) < 2 {
			t.Errorf("%s: %d samples in %s/tp/%s, want several", r.Rule, len(samples), contentDir, r.Rule)
		}
	}
	if len(cat) < 15 {
		t.Errorf("%d rules", len(cat))
	}
	// Every sample folder names a rule.
	dirs, _ := os.ReadDir(filepath.Join(contentDir, "tp"))
	for _, d := range dirs {
		if !seen[d.Name()] {
			t.Errorf("tp/%s: no rule of that name", d.Name())
		}
	}
	// The required meta reach the matches.
	ms, err := rs.Scan([]byte("DEARCRY!\x00\x01"), nil)
	if err != nil || len(ms) != 1 {
		t.Fatalf("scan: %v %v", ms, err)
	}
	if m := MetaOf(ms[0]); m.Rule != "ransom_dearcry_encrypted" || m.Severity != "critical" || m.Kind != "ransom-note" || m.Author != "exhunt" || m.Reference == "" || m.Description == "" {
		t.Errorf("MetaOf: %+v", m)
	}
}

// sample is one file of the content corpus.
type sample struct {
	rel  string // relative to contentDir, forward slashes
	data []byte
}

func corpusFiles(t *testing.T, sub string) []sample {
	t.Helper()
	var out []sample
	root := filepath.Join(contentDir, sub)
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(contentDir, p)
		out = append(out, sample{filepath.ToSlash(rel), b})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ruleNames(ms []yara.Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Rule)
	}
	return out
}

func TestTruePositives(t *testing.T) {
	rs := MustBuiltinRules()
	perRule := map[string]int{}
	files := corpusFiles(t, "tp")
	for _, s := range files {
		want := strings.Split(s.rel, "/")[1]
		ms, err := rs.Scan(s.data, nil)
		if err != nil {
			t.Errorf("%s: %v", s.rel, err)
			continue
		}
		if !slices.Contains(ruleNames(ms), want) {
			t.Errorf("%s: matched %v, want %s", s.rel, ruleNames(ms), want)
			continue
		}
		perRule[want]++
	}
	for r, n := range perRule {
		t.Logf("%-34s %d samples", r, n)
	}
	t.Logf("%d true-positive samples", len(files))
}

func TestFalsePositives(t *testing.T) {
	rs := MustBuiltinRules()
	files := corpusFiles(t, "fp")
	if len(files) < 15 {
		t.Fatalf("%d false-positive samples", len(files))
	}
	for _, s := range files {
		ms, err := rs.Scan(s.data, nil)
		if err != nil {
			t.Errorf("%s: %v", s.rel, err)
		}
		for _, m := range ms {
			if rank(m) >= severityRank["medium"] {
				t.Errorf("%s: benign look-alike matched %s (%s)", s.rel, m.Rule, MetaOf(m).Severity)
			}
		}
	}
	t.Logf("%d false-positive samples, none matched", len(files))
}

// The rule sources are compiled into the binary: neither they nor the
// binary (which holds them verbatim) may match a rule, whatever header
// precedes them.
func TestRulesDoNotMatchThemselves(t *testing.T) {
	rs := MustBuiltinRules()
	var all []byte
	for _, s := range Rules() {
		all = append(append(all, s.Data...), '\n')
		if ms, _ := rs.Scan(s.Data, nil); len(ms) > 0 {
			t.Errorf("%s matches %v", s.Name, ruleNames(ms))
		}
	}
	for _, prefix := range []string{"", "MZ", "<%@ Page Language=\"JScript\" %>\n", "<script runat=\"server\">\n"} {
		data := append([]byte(prefix), all...)
		if ms, _ := rs.Scan(data, nil); len(ms) > 0 {
			t.Errorf("all rule sources after %q match %v", prefix, ruleNames(ms))
		}
	}
}

// The shells the synthetic server plants (OAB settings dumps carrying the
// incident's China Chopper) match; nothing else it writes matches at high
// or above, and only expected files match at all.
func TestTestserverShells(t *testing.T) {
	dir := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Hive = false
	man, err := testserver.Generate(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	// Every file the manifest names as a planted shell holds the OAB
	// settings dump (an .aspx, or the google.log of Microsoft's feed).
	planted := map[string]bool{}
	// Files only their content gives away, with the rule the manifest's
	// finding comes from.
	contentOnly := map[string]bool{}
	for _, e := range man.Expected {
		if e.Line == 0 && (strings.HasPrefix(e.Rule, "webshell-") || e.Rule == "ioc-known-path") {
			planted[e.Path] = true
		}
	}
	for _, e := range man.Expected {
		if e.Line == 0 && strings.HasPrefix(e.Rule, "content-") && !planted[e.Path] {
			contentOnly[e.Path] = true
		}
	}
	if len(planted) < 4 {
		t.Fatalf("%d planted pages in the manifest", len(planted))
	}
	rs := MustBuiltinRules()
	nShells, nECP, nContent := 0, 0, 0
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		ms, err := rs.Scan(data, nil)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
		}
		names := ruleNames(ms)
		switch {
		case planted[rel]:
			nShells++
			if !slices.Contains(names, "oab_config_dump_script") || !slices.Contains(names, "webshell_chopper_eval") {
				t.Errorf("planted %s matched %v", rel, names)
			}
		case contentOnly[rel]:
			nContent++
			if len(ms) == 0 {
				t.Errorf("content-only plant %s matched no rule", rel)
			}
			for _, m := range ms {
				if k := MetaOf(m).Kind; k != "webshell" && k != "compiled-webshell" && k != "ransom-note" {
					t.Errorf("content-only plant %s matched %s of kind %s", rel, m.Rule, k)
				}
			}
		case strings.Contains(rel, "Logging/ECP/Server/") && len(ms) > 0:
			// The attacker's Set-OabVirtualDirectory lines quote the page.
			nECP++
			if !slices.Equal(names, []string{"webshell_chopper_eval"}) {
				t.Errorf("ECP Server log %s matched %v, want the China Chopper it quotes", rel, names)
			}
		case strings.Contains(rel, "winevt/Logs/MSExchange Management.evtx"):
			// The cmdlet audit quotes the page set into ExternalUrl.
			if !slices.Equal(names, []string{"webshell_chopper_eval"}) {
				t.Errorf("cmdlet audit %s matched %v, want the China Chopper it quotes", rel, names)
			}
		case bytes.HasPrefix(data, []byte("PK\x03\x04")):
			// Archives (and files the generator fills with the ZIP magic).
			if !slices.Equal(names, []string{"staging_archive_zip"}) {
				t.Errorf("%s matched %v", rel, names)
			}
		default:
			if len(ms) > 0 {
				t.Errorf("%s matched %v", rel, names)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if nContent != len(contentOnly) || len(contentOnly) < 5 {
		t.Errorf("%d of %d content-only plants scanned", nContent, len(contentOnly))
	}
	if nShells != len(planted) || nECP != 1 {
		t.Errorf("scanned %d of %d planted pages; %d ECP Server logs quote the shell, want the one of the attack day", nShells, len(planted), nECP)
	}
}

// highMatches scans every file below root and returns, per file relative to
// root, the rules of severity high or critical it matches.
func highMatches(t *testing.T, root string, skip func(rel string, d os.DirEntry) bool) (map[string][]string, int) {
	t.Helper()
	rs := MustBuiltinRules()
	got := map[string][]string{}
	n := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if skip != nil && skip(rel, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		ms, err := rs.Scan(data, nil)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
		}
		for _, m := range ms {
			if rank(m) >= severityRank["high"] {
				got[rel] = append(got[rel], m.Rule)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, n
}

// checkExpected compares the high matches with the justified list: every
// listed file matches exactly the listed rules, nothing else matches.
func checkExpected(t *testing.T, got map[string][]string, want map[string][]string) {
	t.Helper()
	for f, rules := range got {
		if w, ok := want[f]; !ok {
			t.Errorf("%s: matched %v (severity high or above)", f, rules)
		} else if !slices.Equal(rules, w) {
			t.Errorf("%s: matched %v, want %v", f, rules, w)
		}
	}
	for f, w := range want {
		if _, ok := got[f]; !ok {
			t.Errorf("%s: want %v, matched nothing (a stale entry, or a missed detection)", f, w)
		}
	}
}

func TestSharedDataNoHighMatches(t *testing.T) {
	if _, err := os.Stat(sharedData); err != nil {
		t.Skip("no shared data")
	}
	got := map[string][]string{}
	total := 0
	for _, sub := range []string{"logs", "config", "baselines", "evtx"} {
		root := filepath.Join(sharedData, sub)
		if _, err := os.Stat(root); err != nil {
			t.Logf("%s absent", root)
			continue
		}
		g, n := highMatches(t, root, nil)
		total += n
		for f, rules := range g {
			got[sub+"/"+f] = rules
		}
	}
	if total == 0 {
		t.Skip("no shared files")
	}
	want := map[string][]string{
		// The real incident's ECP Server log lines: the attacker's
		// Set-OabVirtualDirectory commands carry the China Chopper page
		// written into ExternalUrl.
		"logs/incident-helsecert/ecpserver_cve27065_excerpt.log": {"webshell_chopper_eval"},
	}
	checkExpected(t, got, want)
	t.Logf("%d shared files scanned", total)
}

func TestSourceTreeNoHighMatches(t *testing.T) {
	// The true-positive samples are left out (they must match, see
	// TestTruePositives); the false-positive ones are scanned.
	// Only the module's own files: bench-data/ and other local output are
	// not part of it.
	tracked := map[string]bool{}
	if out, err := exec.Command("git", "-C", "..", "ls-files").Output(); err == nil {
		for _, f := range strings.Split(string(out), "\n") {
			tracked[f] = true
		}
	}
	got, n := highMatches(t, "..", func(rel string, d os.DirEntry) bool {
		if rel == ".git" || rel == "indicators/"+contentDir+"/tp" || rel == "bench-data" {
			return true
		}
		return len(tracked) > 0 && !d.IsDir() && !tracked[rel]
	})
	want := map[string][]string{
		// Tests that carry a China Chopper line as their input.
		"yara/diff_test.go":                    {"webshell_chopper_eval"},
		"detect/webshell/webshell_test.go":     {"webshell_chopper_eval"},
		"detect/proxylogon/proxylogon_test.go": {"webshell_chopper_eval"},
		"cmd/exhunt/yara_test.go":              {"webshell_chopper_eval"},
		// Event log checks' tests: the cmdlet audit quoting the page, an
		// LSASS dump command line.
		"detect/eventlog/eventlog_test.go":             {"hacktool_lsass_dump_command", "webshell_chopper_eval"},
		"source/evtx/evtxwrite/examples_table_test.go": {"webshell_chopper_eval"},
		"source/evtx/evtxwrite/examples_test.go":       {"webshell_chopper_eval"},
		// The yara benchmark generates China Chopper pages.
		"scripts/bench-yara.sh": {"webshell_chopper_eval"},
	}
	checkExpected(t, got, want)
	if n < 100 {
		t.Errorf("only %d files in the module", n)
	}
}

func needYara(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("yara")
	if err != nil {
		t.Skip("yara not installed")
	}
	return p
}

// TestDifferential runs the yara CLI with the same rule files over the
// true- and false-positive corpora and requires the same matches, down to
// each string's offsets.
func TestDifferential(t *testing.T) {
	yaraBin := needYara(t)
	files, _ := filepath.Glob("rules/*.yar")
	rs := MustBuiltinRules()
	args := append([]string{"-w", "-s", "-r"}, files...)
	out, err := exec.Command(yaraBin, append(args, contentDir)...).Output()
	if err != nil {
		t.Fatalf("yara: %v", err)
	}
	want := map[string]bool{}
	wantFiles := map[string]bool{}
	var cur string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if off, rest, ok := strings.Cut(line, ":$"); ok && strings.HasPrefix(off, "0x") {
			id, _, _ := strings.Cut(rest, ":")
			o, _ := strconv.ParseInt(off[2:], 16, 64)
			want[fmt.Sprintf("%s $%s@%d", cur, id, o)] = true
			continue
		}
		rule, file, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("yara output %q", line)
		}
		cur = rule + " " + path.Clean(filepath.ToSlash(file))
		wantFiles[cur] = true
	}
	got := map[string]bool{}
	gotFiles := map[string]bool{}
	nfiles := 0
	for _, sub := range []string{"tp", "fp"} {
		for _, s := range corpusFiles(t, sub) {
			nfiles++
			ms, err := rs.Scan(s.data, nil)
			if err != nil {
				t.Errorf("%s: %v", s.rel, err)
			}
			for _, m := range ms {
				key := m.Rule + " " + path.Join(filepath.ToSlash(contentDir), s.rel)
				gotFiles[key] = true
				for _, sm := range m.Strings {
					got[fmt.Sprintf("%s %s@%d", key, sm.ID, sm.Offset)] = true
				}
			}
		}
	}
	for _, d := range diff(wantFiles, gotFiles) {
		t.Errorf("(rule, file) %s", d)
	}
	for _, d := range diff(want, got) {
		t.Errorf("string match %s", d)
	}
	if len(wantFiles) == 0 {
		t.Fatal("yara matched nothing")
	}
	t.Logf("%d files: yara and exhunt agree on %d (rule, file) matches and %d string matches", nfiles, len(gotFiles), len(got))
}

func diff(want, got map[string]bool) []string {
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
