package scan

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/detect/content"
	"github.com/exhunt/exhunt/detect/registry"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/testserver"
)

// sharedRoot is the public data beside the project.
const sharedRoot = "../../shared/data"

func findingsOf(res *result.Server, prefix string) []string {
	var out []string
	for _, f := range res.Findings {
		if strings.HasPrefix(f.Rule, prefix) {
			out = append(out, key(f.Rule, f.Path, f.Line, f.Severity))
		}
	}
	slices.Sort(out)
	return out
}

func notRun(res *result.Server, id string) string {
	for _, c := range res.Verdict.ChecksNotRun {
		if c.ID == id {
			return c.Why
		}
	}
	return ""
}

func writeBaseline(t *testing.T, lines []string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "baseline.csv")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\r\n")+"\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestModifiedExchangeFiles compares the generated server with the baseline
// of the files it installed: the logon page with a shell appended is
// critical, a page changed harmlessly is high, a page whose only change is
// its timestamp is not flagged, and every other Exchange file matches.
func TestModifiedExchangeFiles(t *testing.T) {
	dir := t.TempDir()
	man, err := testserver.Generate(dir, testserver.DemoOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(man.Baseline) < 10 {
		t.Fatalf("%d baseline lines", len(man.Baseline))
	}
	ex := "Program Files/Microsoft/Exchange Server/V15/"
	// A harmless edit (an administrator's) and a touched timestamp.
	if err := os.WriteFile(filepath.Join(dir, ex+"FrontEnd/HttpProxy/owa/web.config"), []byte("<configuration><!-- edited --></configuration>"), 0o644); err != nil {
		t.Fatal(err)
	}
	touched := filepath.Join(dir, ex+"FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx")
	if err := os.Chtimes(touched, time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	b, err := content.LoadBaselines([]string{writeBaseline(t, man.Baseline)})
	if err != nil {
		t.Fatal(err)
	}
	res := runScan(t, dir, Config{FileDetectors: registry.FileDetectorsWith(registry.Options{Baselines: b})})
	got := findingsOf(res, "baseline-")
	want := []string{
		key("baseline-modified-exchange-file", ex+"FrontEnd/HttpProxy/owa/auth/logon.aspx", 0, finding.Critical),
		key("baseline-modified-exchange-file", ex+"FrontEnd/HttpProxy/owa/web.config", 0, finding.High),
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if why := notRun(res, "modified-exchange-files"); why != "" {
		t.Errorf("check not run: %s", why)
	}

	// Without a baseline, or with one of another build, the check is not
	// run, and says why.
	res = runScan(t, dir, Config{})
	if why := notRun(res, "modified-exchange-files"); !strings.Contains(why, "--baseline") {
		t.Errorf("without a baseline: %q", why)
	}
	other := slices.Clone(man.Baseline)
	for i, l := range other {
		other[i] = strings.Replace(l, ","+strings.Split(l, ",")[1]+",", ",15.2.1118.7,", 1)
	}
	b, err = content.LoadBaselines([]string{writeBaseline(t, other)})
	if err != nil {
		t.Fatal(err)
	}
	res = runScan(t, dir, Config{FileDetectors: registry.FileDetectorsWith(registry.Options{Baselines: b})})
	if why := notRun(res, "modified-exchange-files"); !strings.Contains(why, "15.2.1118.7") || len(findingsOf(res, "baseline-")) > 0 {
		t.Errorf("baseline of another build: %q, %v", why, findingsOf(res, "baseline-"))
	}
}

// TestRealBaselines reads Microsoft's baselines and compares a generated
// server of the build one of them is for: every generated file whose name
// Exchange ships is flagged (the generator's pages are not Microsoft's),
// which shows the real paths map onto the server's folders.
func TestRealBaselines(t *testing.T) {
	dirB := filepath.Join(sharedRoot, "baselines")
	if _, err := os.Stat(dirB); err != nil {
		t.Skip("no shared data")
	}
	b, err := content.LoadBaselines([]string{dirB})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Builds(); !slices.Equal(got, []string{"15.1.2176.2", "15.2.792.10"}) {
		t.Errorf("builds %v", got)
	}
	dir := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Build, opt.Updates = "15.1.2176.2", nil
	if _, err := testserver.Generate(dir, opt); err != nil {
		t.Fatal(err)
	}
	res := runScan(t, dir, Config{FileDetectors: registry.FileDetectorsWith(registry.Options{Baselines: b})})
	got := findingsOf(res, "baseline-")
	ex := "Program Files/Microsoft/Exchange Server/V15/"
	for _, f := range []string{"FrontEnd/HttpProxy/owa/auth/logon.aspx", "FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx", "FrontEnd/HttpProxy/owa/web.config"} {
		if !slices.ContainsFunc(got, func(k string) bool { return strings.Contains(k, ex+f+":") }) {
			t.Errorf("%s not compared with the real baseline (findings: %v)", f, got)
		}
	}
	// Files Exchange does not ship are not this check's business.
	for _, k := range got {
		if strings.Contains(k, "RedirSuiteServerProxy.aspx") || strings.Contains(k, "errorEEA.aspx") {
			t.Errorf("not an Exchange file name: %s", k)
		}
	}
	t.Logf("%d files differ from the real 15.1.2176.2 baseline", len(got))
}

func TestBaselineFormatErrors(t *testing.T) {
	for _, tc := range []struct{ content, want string }{
		{"not,a,baseline\r\n", "baseline.csv:1: want SHA256,build,\\relative\\path"},
		{strings.Repeat("A", 64) + ",15.1.2176.2,FrontEnd\\x\r\n", ":1: want"}, // the path must start with a backslash
		{strings.Repeat("A", 64) + ",15.1.2176.2,\\FrontEnd\\x\r\n" + strings.Repeat("A", 63) + ",15.1.2176.2,\\y\r\n", ":2: want"},
		{"\r\n\r\n", "no hashes"},
	} {
		p := filepath.Join(t.TempDir(), "baseline.csv")
		os.WriteFile(p, []byte(tc.content), 0o644)
		if _, err := content.LoadBaselines([]string{p}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.content, err, tc.want)
		}
	}
}

// TestUserRules applies signature-base's rule files, as a responder would,
// to the generated server beside the built-in pack: the planted shells
// match, Exchange's own pages do not, and the log-line rules are kept for
// the logs.
func TestUserRules(t *testing.T) {
	yaraDir := filepath.Join(sharedRoot, "yara")
	if _, err := os.Stat(yaraDir); err != nil {
		t.Skip("no shared data")
	}
	set, err := content.LoadRules([]string{yaraDir}, false)
	if err != nil {
		t.Fatal(err)
	}
	var forLogs []string
	for _, f := range set.LogRules() {
		forLogs = append(forLogs, filepath.Base(f.Origin))
	}
	if !slices.Equal(forLogs, []string{"apt_hafnium_log_sigs.yar"}) {
		t.Errorf("log rule files %v", forLogs)
	}
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	res := runScan(t, dir, Config{FileDetectors: registry.FileDetectorsWith(registry.Options{Rules: set})})
	user := map[string][]string{}
	for _, f := range res.Findings {
		if f.Rule == content.RuleUserRule.ID {
			user[f.Path] = append(user[f.Path], f.Evidence.Get("yara_rule")+" "+f.Severity.String())
		}
	}
	shell := "inetpub/wwwroot/aspnet_client/discover.aspx"
	if len(user[shell]) == 0 {
		t.Errorf("signature-base's rules found nothing in %s; all: %v", shell, user)
	}
	for p, ms := range user {
		if strings.HasSuffix(p, "/TimeoutLogout.aspx") || strings.HasSuffix(p, "/ExSetup.exe") || strings.HasSuffix(p, "/RedirSuiteServiceProxy.aspx") {
			t.Errorf("Exchange's own %s matched %v", p, ms)
		}
	}
	t.Logf("signature-base matches: %d files", len(user))
	// The log rules mark the attacker's Set-OabVirtualDirectory command
	// on a line the ECP check reports (signature-base's rule knows the
	// ExternalUrl form only; the ECP check also reports InternalUrl).
	var vdir, logRule []string
	for _, f := range res.Findings {
		switch {
		case f.Rule == "proxylogon-vdir-script":
			vdir = append(vdir, fmt.Sprintf("%s:%d", f.Path, f.Line))
		case f.Rule == content.RuleLogLine.ID && f.Evidence.Get("yara_rule") == "EXPL_LOG_CVE_2021_27065_Exchange_Forensic_Artefacts_Mar21_1":
			logRule = append(logRule, fmt.Sprintf("%s:%d", f.Path, f.Line))
		}
	}
	slices.Sort(vdir)
	slices.Sort(logRule)
	if len(logRule) == 0 || slices.ContainsFunc(logRule, func(l string) bool { return !slices.Contains(vdir, l) }) {
		t.Errorf("ECP check at %v, log rule at %v", vdir, logRule)
	}
}

// TestContentSizeCap: a file over the limit in a web folder is named among
// the errors (its content was not checked) and keeps the verdict honest;
// the same file in a drop place is only hashed.
func TestContentSizeCap(t *testing.T) {
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, testserver.Options{Seed: 3}); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 2<<20)
	copy(big, "<%@ Page Language=\"C#\"%>")
	for _, p := range []string{"inetpub/wwwroot/aspnet_client/big.aspx", "ProgramData/big.bin"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), big, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := runScan(t, dir, Config{FileDetectors: registry.FileDetectorsWith(registry.Options{MaxFileSize: 1 << 20})})
	var errs []string
	for _, e := range res.Errors {
		if strings.Contains(e.Error, "content not checked") {
			errs = append(errs, e.Path)
		}
	}
	if !slices.Equal(errs, []string{"inetpub/wwwroot/aspnet_client/big.aspx"}) {
		t.Errorf("content-not-checked errors on %v", errs)
	}
}

// TestLogRulesOnIncidentExcerpt: a responder's copy of a few log files
// (the real incident's excerpts) gets the log rules too, on the lines
// yara gives when each line is a file of its own.
func TestLogRulesOnIncidentExcerpt(t *testing.T) {
	dir := filepath.Join(sharedRoot, "logs", "incident-helsecert")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no shared data")
	}
	set, err := content.LoadRules([]string{filepath.Join(sharedRoot, "yara", "apt_hafnium_log_sigs.yar")}, true)
	if err != nil {
		t.Fatal(err)
	}
	res := runScan(t, dir, Config{FileDetectors: registry.FileDetectorsWith(registry.Options{Rules: set})})
	var got []string
	for _, f := range res.Findings {
		if f.Rule == content.RuleLogLine.ID {
			got = append(got, fmt.Sprintf("%s:%d", filepath.Base(f.Path), f.Line))
		}
	}
	slices.Sort(got)
	want := []string{"ecpserver_cve27065_excerpt.log:19", "ecpserver_cve27065_excerpt.log:7"}
	for l := 10; l <= 13; l++ {
		want = append(want, fmt.Sprintf("httpproxy_ecp_testproxylogon_cve26855_hits.csv:%d", l))
	}
	for l := 3; l <= 9; l++ {
		want = append(want, fmt.Sprintf("httpproxy_ecp_testproxylogon_cve26855_hits.csv:%d", l))
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}
