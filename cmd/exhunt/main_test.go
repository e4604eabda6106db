package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/chromiumtest"
	"github.com/exhunt/exhunt/testserver"
)

// binary is the exhunt command built once for the end-to-end tests, which
// run it as a user would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "exhunt-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "exhunt")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	// -buildvcs=true: the environment may turn stamping off, and the
	// version must come from the revision when no release version is set.
	build := exec.Command("go", "build", "-buildvcs=true", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func exhunt(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

func TestEndToEndScan(t *testing.T) {
	dir := t.TempDir()
	man, err := testserver.Generate(dir, testserver.DemoOptions())
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, code := exhunt(t, "scan", "--root", dir, "--format", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings of medium or above); stderr: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr should be empty when it is not a terminal, got %q", stderr)
	}
	var doc struct {
		Tool     struct{ Name, Version string }
		Findings []struct {
			Rule, Severity, Path string
			Line                 int
		}
		Errors []any
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	// The version comes from the build: a git checkout stamps the revision.
	if doc.Tool.Name != "exhunt" || doc.Tool.Version == "" || doc.Tool.Version == "dev" || strings.HasPrefix(doc.Tool.Version, "devel (") {
		t.Errorf("tool = %+v", doc.Tool)
	}
	got := map[string]bool{}
	for _, f := range doc.Findings {
		got[f.Rule+" "+f.Path+" "+f.Severity] = true
	}
	for _, e := range man.Expected {
		if !got[e.Rule+" "+e.Path+" "+e.Severity.String()] {
			t.Errorf("missing %s %s %s", e.Rule, e.Path, e.Severity)
		}
	}

	// Every format runs and reports to --out outside the root.
	for _, format := range []string{"text", "jsonl", "csv", "html"} {
		outFile := filepath.Join(t.TempDir(), "report."+format)
		if _, stderr, code := exhunt(t, "scan", "--root", dir, "--format", format, "--out", outFile); code != 1 {
			t.Errorf("%s: exit %d: %s", format, code, stderr)
		}
		data, _ := os.ReadFile(outFile)
		if len(data) == 0 {
			t.Errorf("%s: empty report", format)
		}
	}
	text, _, _ := exhunt(t, "scan", "--root", dir)
	if !strings.Contains(text, "\nVERDICT: COMPROMISED") || strings.Index(text, "VERDICT") > 1000 || strings.Contains(text, "\x1b[") {
		t.Errorf("text report should start with the verdict and have no colour when piped:\n%s", text[:min(len(text), 600)])
	}
}

func TestEndToEndExitCodes(t *testing.T) {
	clean := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Attacks = false
	if _, err := testserver.Generate(clean, opt); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := exhunt(t, "scan", "--root", clean); code != 0 {
		t.Errorf("clean server: exit %d, want 0: %s", code, stderr)
	}
	for _, args := range [][]string{
		{"scan", "--root", filepath.Join(clean, "missing")},
		{"scan", "--root", clean, "--format", "pdf"},
		{"scan", "--root", clean, "--out", filepath.Join(clean, "report.json")},
		{"scan", "--root", clean, "--window", "yesterday"},
		{"scan", "--root", clean, "--exchange-dir", "D:/nowhere/V15"},
		{"scan", "extra-argument"},
		{"frobnicate"},
		{},
	} {
		if _, stderr, code := exhunt(t, args...); code != 2 || stderr == "" {
			t.Errorf("exhunt %q: exit %d (want 2) stderr %q", args, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(clean, "report.json")); err == nil {
		t.Error("a report was written inside the root")
	}
}

func TestEndToEndDemoVersionHelp(t *testing.T) {
	out, stderr, code := exhunt(t, "demo")
	if code != 0 || !strings.Contains(out, "VERDICT: COMPROMISED") || !strings.Contains(out, "proxylogon-reset-vdir") {
		t.Errorf("demo: exit %d, stderr %q, output:\n%s", code, stderr, out)
	}
	if out, _, code := exhunt(t, "--version"); code != 0 || !strings.HasPrefix(out, "exhunt ") {
		t.Errorf("--version: %d %q", code, out)
	}
	if out, _, code := exhunt(t, "--help"); code != 0 || !strings.Contains(out, "exhunt scan") {
		t.Errorf("--help: %d %q", code, out)
	}
	for _, args := range [][]string{{"scan", "--help"}, {"help", "scan"}, {"scan", "-h"}} {
		if out, stderr, code := exhunt(t, args...); code != 0 || !strings.Contains(out, "-exchange-dir") || !strings.Contains(out, "-volume") || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, stderr)
		}
	}
}

func TestEndToEndOutDanglingLinkIntoRoot(t *testing.T) {
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	listing := func() []string {
		var l []string
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := d.Info()
			if !d.IsDir() {
				p += " " + fi.ModTime().String() + " " + fi.Mode().String()
			}
			l = append(l, p)
			return nil
		})
		return l
	}
	before := listing()
	target := filepath.Join(dir, "report.json")
	link := filepath.Join(t.TempDir(), "report.json")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlink: %v", err)
	}
	_, stderr, code := exhunt(t, "scan", "--root", dir, "--format", "json", "--out", link)
	if code != 2 || !strings.Contains(stderr, "--out "+link+": ") || !strings.Contains(stderr, "symbolic link") {
		t.Errorf("exit %d (want 2), stderr %q", code, stderr)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Error("the report was written inside the root through the link")
	}
	if after := listing(); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("the root changed:\nbefore:\n%s\nafter:\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
	}
}

// TestEndToEndOperatorErrors: mistakes are caught before the scan with a
// message naming the flag, and exit 2.
func TestEndToEndOperatorErrors(t *testing.T) {
	clean := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Attacks = false
	if _, err := testserver.Generate(clean, opt); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	file := filepath.Join(other, "x.txt")
	os.WriteFile(file, []byte("x"), 0o644)
	badRules := filepath.Join(other, "bad.yar")
	os.WriteFile(badRules, []byte("rule ok { condition: true }\nrule bad {\n  strings: $a = \"x\"\n  condition: $b\n}\n"), 0o644)
	externRules := filepath.Join(other, "extern.yar")
	os.WriteFile(externRules, []byte("rule e { condition: company == \"x\" }\n"), 0o644)
	badIOC := filepath.Join(other, "iocs.txt")
	// A feed that loads nothing is an error; one that loads some lines
	// warns of the others (TestEndToEndIOCFeeds).
	os.WriteFile(badIOC, []byte("# my list\nnot a hash\nnor this\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "--root", clean, "--window", "2021-06-30..2021-01-01"}, "TO is before FROM"},
		{[]string{"scan", "--root", clean, "--window", "2021-13-01..2021-12-31"}, "--window"},
		{[]string{"scan", "--root", clean, "--workers", "-1"}, "--workers -1"},
		{[]string{"scan", "--root", clean, "--volume", "D"}, "--volume"},
		{[]string{"scan", "--root", clean, "--volume", "1=" + other}, "not a drive letter"},
		{[]string{"scan", "--root", clean, "--volume", "D=" + file}, "not a folder"},
		{[]string{"scan", "--root", clean, "--root", other, "--volume", "D=" + t.TempDir()}, "servers were found"},
		{[]string{"scan", "--root", file}, "neither a folder nor a zip archive"},
		{[]string{"scan", "--root", clean, "--out", filepath.Join(other, "missing", "r.json")}, "--out"},
		{[]string{"scan", "--root", clean, "--max-findings", "0"}, "--max-findings"},
		{[]string{"scan", "--bogus"}, "flag provided but not defined"},
		{[]string{"scan", "--root", clean, "--root", clean}, "scanned twice"},
		{[]string{"scan", "--root", clean, "--root", filepath.Join(clean, "inetpub")}, "scanned twice"},
		{[]string{"scan", "--root", clean, "--volume", "D=" + filepath.Join(clean, "inetpub")}, "scanned twice"},
		{[]string{"scan", "--root", clean, "--volume", "C=" + other}, "system drive"},
		{[]string{"help", "frobnicate"}, "unknown command"},
		{[]string{"scan", "--root", clean, "--rules", badRules}, "bad.yar:4"},
		{[]string{"scan", "--root", clean, "--rules", externRules}, "\"company\", which exhunt does not set"},
		{[]string{"scan", "--root", clean, "--rules", filepath.Join(other, "missing.yar")}, "--rules"},
		{[]string{"scan", "--root", clean, "--rules", t.TempDir()}, "no .yar or .yara file"},
		{[]string{"scan", "--root", clean, "--no-builtin-rules"}, "no rule at all"},
		{[]string{"scan", "--root", clean, "--ioc", badIOC}, "iocs.txt: no indicator loaded (2 lines or parts not understood; the first: " + badIOC + ":2: not a hash"},
		{[]string{"scan", "--root", clean, "--baseline", file}, "x.txt:1: want SHA256"},
		{[]string{"scan", "--root", clean, "--max-file-size", "12XB"}, "--max-file-size"},
		{[]string{"scan", "--root", clean, "--max-file-size", "0"}, "--max-file-size"},
	} {
		_, stderr, code := exhunt(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("exhunt %q: exit %d (want 2), stderr %q (want %q)", tc.args, code, stderr, tc.want)
		}
	}
}

// TestEndToEndProfileNeverInRoot: --cpuprofile, a developer's option, is
// held to the rule of --out: refused inside a scanned folder (it was
// created there, over any file of that name, before the roots were
// known), written whole elsewhere.
func TestEndToEndProfileNeverInRoot(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "page.aspx"), []byte("<% Response.Write(\"profiled\") %>"), 0o644); err != nil {
		t.Fatal(err)
	}
	rules := filepath.Join(t.TempDir(), "r.yar")
	if err := os.WriteFile(rules, []byte("rule r { strings: $a = \"profiled\" condition: $a }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inside := filepath.Join(root, "cpu.prof")
	for _, args := range [][]string{
		{"scan", "--root", root, "--cpuprofile", inside},
		{"yara", "--cpuprofile", inside, rules, root},
	} {
		_, stderr, code := exhunt(t, args...)
		if code != 2 || !strings.Contains(stderr, "--cpuprofile "+inside+": it is inside the scanned root") {
			t.Errorf("exhunt %q: exit %d (want 2), stderr %q", args, code, stderr)
		}
		if _, err := os.Lstat(inside); err == nil {
			t.Fatalf("exhunt %q wrote its profile inside the scanned folder", args)
		}
	}
	outside := filepath.Join(t.TempDir(), "cpu.prof")
	if _, stderr, code := exhunt(t, "yara", "--cpuprofile", outside, rules, root); code != 0 {
		t.Fatalf("yara with a profile outside: exit %d, %s", code, stderr)
	}
	if st, err := os.Stat(outside); err != nil || st.Size() == 0 {
		t.Errorf("the profile outside the root: %v, %v", st, err)
	}
}

// TestEndToEndInconclusiveAndCase: a folder with nothing of a server exits
// 3 and says so; a case of several servers writes one JSON object with
// servers and a summary, JSON Lines name their server, and the exit
// status is the worst.
func TestEndToEndInconclusiveAndCase(t *testing.T) {
	empty := t.TempDir()
	out, _, code := exhunt(t, "scan", "--root", empty)
	if code != 3 || !strings.Contains(out, "VERDICT: INCONCLUSIVE") || strings.Contains(out, "NO EVIDENCE FOUND") {
		t.Errorf("empty folder: exit %d\n%s", code, out)
	}
	if _, _, code := exhunt(t, "scan", "--root", empty, "--format", "json"); code != 3 {
		t.Errorf("empty folder, json: exit %d", code)
	}

	caseDir := t.TempDir()
	attacked := testserver.DemoOptions()
	clean := attacked
	clean.Attacks, clean.HostName = false, "EX02"
	for name, opt := range map[string]testserver.Options{"EX01": attacked, "EX02": clean} {
		dir := filepath.Join(caseDir, name)
		os.MkdirAll(dir, 0o755)
		if _, err := testserver.Generate(dir, opt); err != nil {
			t.Fatal(err)
		}
	}
	out, stderr, code := exhunt(t, "scan", "--root", caseDir, "--root", empty, "--format", "json")
	if code != 1 {
		t.Fatalf("case: exit %d, stderr %s", code, stderr)
	}
	var doc struct {
		SchemaVersion int `json:"schema_version"`
		Tool          struct{ Name, Version string }
		Scan          struct{ ID string }
		Servers       []struct {
			Root   string
			Server struct {
				Name     string
				HostName string `json:"host_name"`
			}
			Verdict struct {
				Level        string
				ChecksNotRun []struct{ ID, Why string } `json:"checks_not_run"`
			}
			Findings []struct{ ID, Rule, Path, Volume string }
		}
		Summary struct {
			Servers    int
			Verdicts   map[string]int
			ExitStatus int `json:"exit_status"`
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc.SchemaVersion < 2 || doc.Scan.ID == "" || len(doc.Servers) != 3 || doc.Summary.Servers != 3 || doc.Summary.ExitStatus != 1 {
		t.Fatalf("document: schema %d scan %q servers %d summary %+v", doc.SchemaVersion, doc.Scan.ID, len(doc.Servers), doc.Summary)
	}
	levels := map[string]string{}
	for _, s := range doc.Servers {
		levels[s.Server.Name] = s.Verdict.Level
		notRun := ""
		for _, c := range s.Verdict.ChecksNotRun {
			notRun += c.ID + " "
		}
		// The generated servers have an Application log; the empty folder
		// has none, and must say the CVE-2021-26857 check did not run.
		if hasApp := s.Server.Name == "EX01" || s.Server.Name == "EX02"; hasApp == strings.Contains(notRun, "cve-2021-26857-eventlog") {
			t.Errorf("%s: CVE-2021-26857 check listed as not run: %v (checks not run: %s)", s.Server.Name, !hasApp, notRun)
		}
		for _, f := range s.Findings {
			if f.ID != f.Rule+":"+f.Path+":"+strings.Split(f.ID, ":")[len(strings.Split(f.ID, ":"))-1] {
				t.Errorf("finding id %q does not follow rule:path:line", f.ID)
				break
			}
		}
	}
	if levels["EX01"] != "compromised" || levels["EX02"] != "no-evidence-found" || levels[filepath.Base(empty)] != "inconclusive" {
		t.Errorf("verdicts %v", levels)
	}
	out, _, code = exhunt(t, "scan", "--root", caseDir, "--format", "jsonl")
	if code != 1 {
		t.Errorf("jsonl: exit %d", code)
	}
	servers := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var l struct {
			Server string
			Host   struct{ Name string }
			Scan   struct{ ID string }
			Rule   string
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Server == "" || l.Host.Name != l.Server || l.Scan.ID == "" || l.Rule == "" {
			t.Fatalf("line %s: %v", line, err)
		}
		servers[l.Server]++
	}
	if servers["EX01"] == 0 || servers["EX02"] == 0 {
		t.Errorf("lines per server %v", servers)
	}
	text, _, _ := exhunt(t, "scan", "--root", caseDir)
	if !strings.Contains(text, "CASE: 2 servers") || !strings.Contains(text, "==== SERVER 1 of 2: EX01 ====") {
		t.Errorf("text report of a case:\n%s", text[:min(len(text), 1500)])
	}
}

// TestEndToEndRules: the rule catalogue lists the campaign's CVEs with the
// checks of each.
func TestEndToEndRules(t *testing.T) {
	out, _, code := exhunt(t, "rules")
	if code != 0 || !strings.Contains(out, "proxylogon-ssrf-backend") || !strings.Contains(out, "CVE-2021-26857  checked by build-patch-state, cve-2021-26857-eventlog") {
		t.Errorf("rules: exit %d\n%s", code, out)
	}
	out, _, code = exhunt(t, "rules", "--format", "json")
	var doc struct {
		Rules []struct{ ID string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Rules) < 20 {
		t.Errorf("rules json: exit %d, %d rules", code, len(doc.Rules))
	}
}

// TestEndToEndDemoHint: the command the demo prints works as printed.
func TestEndToEndDemoHint(t *testing.T) {
	_, stderr, code := exhunt(t, "demo", "--keep", "--format", "json")
	if code != 0 {
		t.Fatalf("demo --keep: exit %d %s", code, stderr)
	}
	i := strings.Index(stderr, "exhunt scan --root ")
	if i < 0 {
		t.Fatalf("no scan command in %q", stderr)
	}
	dir := strings.TrimSpace(strings.SplitN(stderr[i+len("exhunt scan --root "):], "\n", 2)[0])
	defer os.RemoveAll(dir)
	if out, _, code := exhunt(t, "scan", "--root", dir); code != 1 || !strings.Contains(out, "VERDICT: COMPROMISED") {
		t.Errorf("the printed command exits %d", code)
	}
	if _, stderr, _ := exhunt(t, "demo", "--format", "json"); !strings.Contains(stderr, "exhunt demo --keep") {
		t.Errorf("demo without --keep does not say how to keep the server: %q", stderr)
	}
}

// TestEndToEndBuild: the contract's keys of exhunt build.
func TestEndToEndBuild(t *testing.T) {
	out, stderr, code := exhunt(t, "build", "--format", "json", "15.01.2176.002")
	var a struct {
		Build             string   `json:"build"`
		Product           string   `json:"product"`
		CU                string   `json:"cu"`
		SU                *string  `json:"su"`
		ProxyLogonPatched *bool    `json:"proxylogon_patched"`
		MissingCVEs       []string `json:"missing_cves"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &a) != nil {
		t.Fatalf("exit %d, %s %s", code, out, stderr)
	}
	if a.Build != "15.1.2176.2" || a.Product != "Exchange 2016" || a.CU != "CU19" || a.SU == nil || *a.SU != "" ||
		a.ProxyLogonPatched == nil || *a.ProxyLogonPatched || len(a.MissingCVEs) < 7 {
		t.Errorf("answer %+v", a)
	}
	out, _, code = exhunt(t, "build", "15.1.2176.9")
	if code != 0 || !strings.Contains(out, "Exchange 2016 CU19 Mar21SU") || !strings.Contains(out, "PATCHED") || !strings.Contains(out, "next       install") {
		t.Errorf("text answer: exit %d\n%s", code, out)
	}
	if _, stderr, code := exhunt(t, "build", "fifteen"); code != 2 || !strings.Contains(stderr, "not an Exchange build number") {
		t.Errorf("bad build: exit %d %q", code, stderr)
	}
}

// TestEndToEndMitigate: the script is printed only on request, and names
// what the scan recognises.
func TestEndToEndMitigate(t *testing.T) {
	out, _, code := exhunt(t, "mitigate", "--script")
	if code != 0 || !strings.Contains(out, "X-BEResource Abort - inbound") || !strings.Contains(out, "MSExchangeECPAppPool") {
		t.Errorf("mitigate --script: exit %d\n%.400s", code, out)
	}
	out, _, code = exhunt(t, "mitigate", "--script", "--rollback")
	if code != 0 || !strings.Contains(out, "Clear-WebConfiguration") {
		t.Errorf("--rollback: exit %d", code)
	}
	if _, stderr, code := exhunt(t, "mitigate"); code != 2 || !strings.Contains(stderr, "never changes a server") {
		t.Errorf("mitigate without --script: exit %d %q", code, stderr)
	}
}

// TestEndToEndYaraAgainstReference: exhunt yara prints the same matches as
// yara -r for every shared rule file over the demo server's tree.
func TestEndToEndYaraAgainstReference(t *testing.T) {
	ref, err := exec.LookPath("yara")
	if err != nil {
		t.Skip("yara is not installed (the test command installs it)")
	}
	rules, _ := filepath.Glob("../../../shared/data/yara/*.yar")
	if len(rules) == 0 {
		t.Skip("../shared/data is not present")
	}
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	lines := func(out string) []string {
		l := strings.Split(strings.TrimSpace(out), "\n")
		if len(l) == 1 && l[0] == "" {
			return nil
		}
		sort.Strings(l)
		return l
	}
	total := 0
	for _, r := range rules {
		cmd := exec.Command(ref, "-r", r, dir)
		var o bytes.Buffer
		cmd.Stdout = &o
		if err := cmd.Run(); err != nil {
			t.Errorf("yara %s: %v", r, err)
			continue
		}
		out, stderr, code := exhunt(t, "yara", r, dir)
		if code != 0 {
			t.Errorf("exhunt yara %s: exit %d %s", r, code, stderr)
			continue
		}
		want, got := lines(o.String()), lines(out)
		total += len(want)
		if strings.Join(want, "\n") != strings.Join(got, "\n") {
			t.Errorf("%s: yara printed\n%s\nexhunt printed\n%s", filepath.Base(r), strings.Join(want, "\n"), strings.Join(got, "\n"))
		}
	}
	t.Logf("%d rule files, %d matching lines agree", len(rules), total)
	bad := filepath.Join(t.TempDir(), "bad.yar")
	os.WriteFile(bad, []byte("rule x {\n condition: y\n}\n"), 0o644)
	if _, stderr, code := exhunt(t, "yara", bad, dir); code != 2 || !strings.Contains(stderr, "bad.yar:2:") {
		t.Errorf("bad rules: exit %d %q", code, stderr)
	}
}

// TestEndToEndContentInputs: a user's hash list and rules file reach the
// scan: a file known only by its MD5 in the list, and a page only the
// user's rule knows, are found in a clean server's web folder.
func TestEndToEndContentInputs(t *testing.T) {
	dir := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Attacks = false
	if _, err := testserver.Generate(dir, opt); err != nil {
		t.Fatal(err)
	}
	_, _, code := exhunt(t, "scan", "--root", dir, "--quiet")
	if code != 0 {
		t.Fatalf("clean server: exit %d", code)
	}
	tool := []byte("a tool the attackers dropped")
	os.MkdirAll(filepath.Join(dir, "ProgramData", "x"), 0o755)
	os.WriteFile(filepath.Join(dir, "ProgramData", "x", "t.exe"), tool, 0o644)
	os.WriteFile(filepath.Join(dir, "inetpub", "wwwroot", "status.htm"), []byte("<html>our own marker ZX-41</html>"), 0o644)
	inputs := t.TempDir()
	sum := md5.Sum(tool)
	iocs := filepath.Join(inputs, "iocs.txt")
	os.WriteFile(iocs, []byte("# case 12\n"+hex.EncodeToString(sum[:])+";dropped tool\n"), 0o644)
	rules := filepath.Join(inputs, "mine.yar")
	os.WriteFile(rules, []byte("rule case12_marker { meta: score = 60 strings: $m = \"marker ZX-41\" condition: $m }\n"), 0o644)
	stdout, stderr, code := exhunt(t, "scan", "--root", dir, "--quiet", "--format", "jsonl", "--ioc", iocs, "--rules", rules)
	if code != 1 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	for _, want := range []string{`"rule":"ioc-known-bad-hash"`, `"rule":"content-rule-match"`, `"yara_rule":"case12_marker"`, `"severity":"medium"`, "dropped tool"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %s:\n%s", want, stdout)
		}
	}
	// --no-content: the hash is still checked, the rules are not, and the
	// verdict says so.
	stdout, _, _ = exhunt(t, "scan", "--root", dir, "--quiet", "--format", "json", "--ioc", iocs, "--rules", rules, "--no-content")
	if !strings.Contains(stdout, `"rule": "ioc-known-bad-hash"`) || strings.Contains(stdout, `"rule": "content-rule-match"`) ||
		!strings.Contains(stdout, "turned off with --no-content") {
		t.Errorf("--no-content:\n%s", stdout)
	}
}

// TestEndToEndDemoHTML: exhunt demo --format html --out writes one page
// that opens in a browser with the verdict on top and its script running.
func TestEndToEndDemoHTML(t *testing.T) {
	dir := chromiumtest.ArtefactDir(t)
	page := filepath.Join(dir, "demo.html")
	os.Remove(page)
	start := time.Now()
	if _, stderr, code := exhunt(t, "demo", "--format", "html", "--out", page); code != 0 {
		t.Fatalf("demo --format html: exit %d: %s", code, stderr)
	}
	t.Logf("demo scan and HTML report: %v", time.Since(start).Round(time.Millisecond))
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo.html: %d bytes", len(data))
	html := string(data)
	verdict := strings.Index(html, "Verdict: <span class=\"badge badge-compromised\">Compromised</span>")
	if !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.Contains(html, `http-equiv="Content-Security-Policy"`) || verdict < 0 {
		t.Fatalf("not the HTML report with the verdict:\n%.2000s", html)
	}
	for _, later := range []string{"What to do now", "<svg", "Findings by stage", "Log coverage", "proxylogon-reset-vdir"} {
		if i := strings.Index(html, later); i < verdict {
			t.Errorf("%q missing or before the verdict", later)
		}
	}
	b := chromiumtest.Find(t)
	start = time.Now()
	dom := b.DumpDOM(t, chromiumtest.FileURL(t, page, "severity=critical,high"))
	t.Logf("Chromium load and render: %v", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(dom, `data-report-ready="1"`) || !strings.Contains(dom, "COMPROMISED: evidence of successful exploitation") {
		t.Errorf("the page did not render with its script in Chromium:\n%.2000s", dom)
	}
	if !strings.Contains(dom, `data-severity="medium" data-group="attempt" hidden=""`) {
		t.Error("#severity=critical,high left medium rows shown")
	}
	b.Screenshot(t, chromiumtest.FileURL(t, page, ""), filepath.Join(dir, "demo.png"), 1280, 2000)
}
