package content_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/detect/content"
	"github.com/exhunt/exhunt/detect/registry"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/scan"
)

const ex = "Program Files/Microsoft/Exchange Server/V15/"

// scanTree writes files into a system-drive-like root and scans it with
// the file checks configured by o.
func scanTree(t *testing.T, files map[string]string, o registry.Options) *result.Server {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "Windows", "System32"), 0o755)
	os.MkdirAll(filepath.Join(dir, ex, "Logging", "HttpProxy"), 0o755)
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		old := time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)
		os.Chtimes(full, old, old)
	}
	rep, err := scan.Run(context.Background(), scan.Config{Roots: []string{dir}, FileDetectors: registry.FileDetectorsWith(o)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Servers) != 1 {
		t.Fatalf("%d servers", len(rep.Servers))
	}
	return rep.Servers[0]
}

func got(res *result.Server, prefix string) []string {
	var out []string
	for _, f := range res.Findings {
		if strings.HasPrefix(f.Rule, prefix) {
			s := fmt.Sprintf("%s %s %s", f.Rule, f.Severity, f.Path)
			if f.Line > 0 {
				s += fmt.Sprintf(":%d", f.Line)
			}
			if r := f.Evidence.Get("yara_rule"); r != "" {
				s += " " + r
			}
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func rulesFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func check(t *testing.T, what string, have, want []string) {
	t.Helper()
	if !slices.Equal(have, want) {
		t.Errorf("%s:\n got  %s\n want %s", what, strings.Join(have, "\n      "), strings.Join(want, "\n      "))
	}
}

// The built-in pack, graded by where the file lies.
func TestBuiltinGrading(t *testing.T) {
	// Stored reversed so that this file is not itself a web shell or a
	// ransom note.
	chopper := reversed(">%;)\"efasnu\",]\"z\"[metI.tseuqeR(lave%<>%\"tpircsJ\"=egaugnaL egaP @%<")
	cab := "MSCF\x00\x00\x00\x00 cabinet"
	files := map[string]string{
		"inetpub/wwwroot/aspnet_client/a.aspx": chopper,
		ex + "ClientAccess/owa/x.aspx":         chopper,
		"Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/root/1/2/a.txt": chopper,
		"Windows/Temp/shell.txt":   chopper,
		"inetpub/wwwroot/data.cab": cab,
		"ProgramData/backup.cab":   cab,
		"Users/Public/readme.txt":  reversed("moc.liamem@neknowneu cc.liamria@pyeidenok"),
		// Benign look-alikes.
		ex + "FrontEnd/HttpProxy/owa/auth/logon.aspx": `<%@ Page Language="C#" Inherits="Microsoft.Exchange.HttpProxy.Logon" %><% Response.Write(Request.QueryString["url"]); %>`,
		ex + "ClientAccess/owa/scripts/json.js":       "function p(t){return eval('(' + t + ')');}",
		"inetpub/wwwroot/web.config":                  "<configuration/>",
	}
	res := scanTree(t, files, registry.Options{})
	check(t, "content findings", got(res, "content-"), []string{
		"content-archive-in-web-folder medium inetpub/wwwroot/data.cab staging_archive_cab",
		"content-ransomware critical Users/Public/readme.txt ransom_dearcry_note",
		"content-webshell critical " + ex + "ClientAccess/owa/x.aspx webshell_chopper_eval",
		"content-webshell critical Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/root/1/2/a.txt webshell_chopper_eval",
		"content-webshell critical inetpub/wwwroot/aspnet_client/a.aspx webshell_chopper_eval",
		"content-webshell high Windows/Temp/shell.txt webshell_chopper_eval",
	})
}

// A user's rules: graded by their meta, a web shell rule on a script in a
// hot spot is critical, LOG-tagged rules of a mixed file are not applied
// to files.
func TestUserRuleGrading(t *testing.T) {
	rules := rulesFile(t, "mine.yar", `
rule tool_marker { meta: score = 60 strings: $a = "TOOL-MARK-9" condition: $a }
rule our_webshell_marker { meta: description = "web shell of case 12" strings: $a = "SHELL-MARK-9" condition: $a }
rule sev_low { meta: severity = "low" strings: $a = "LOW-MARK-9" condition: $a }
rule for_logs : LOG { strings: $a = "TOOL-MARK-9" condition: $a }
rule by_name { condition: filename == "named.aspx" and extension == ".aspx" }
`)
	set, err := content.LoadRules([]string{rules}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.LogRules()) != 0 {
		t.Error("a file with rules for files and for logs taken for a log rules file")
	}
	files := map[string]string{
		"Windows/Temp/t.ps1":                          "TOOL-MARK-9",
		"inetpub/wwwroot/aspnet_client/s.aspx":        "SHELL-MARK-9",
		"Windows/Temp/s.txt":                          "SHELL-MARK-9",
		"inetpub/wwwroot/l.htm":                       "LOW-MARK-9",
		"inetpub/wwwroot/named.aspx":                  "anything",
		ex + "FrontEnd/HttpProxy/owa/auth/logon.aspx": "<%@ Page %>",
	}
	res := scanTree(t, files, registry.Options{Rules: set})
	check(t, "user rule findings", got(res, "content-"), []string{
		"content-rule-match critical inetpub/wwwroot/aspnet_client/s.aspx our_webshell_marker",
		"content-rule-match high Windows/Temp/s.txt our_webshell_marker",
		"content-rule-match high inetpub/wwwroot/named.aspx by_name",
		"content-rule-match low inetpub/wwwroot/l.htm sev_low",
		"content-rule-match medium Windows/Temp/t.ps1 tool_marker",
	})
}

// TestLogLines applies log rules line by line across the read chunks: a
// line that straddles a chunk boundary and a line longer than a chunk keep
// their numbers, and IIS logs are read too.
func TestLogLines(t *testing.T) {
	rules := rulesFile(t, "case_log_sigs.yar", `rule log_marker : LOG { meta: score = 80 strings: $a = "MARKER-Q7" condition: $a }`)
	set, err := content.LoadRules([]string{rules}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.LogRules()) != 1 || len(set.FileRules()) != 0 {
		t.Fatalf("log rules %d, file rules %d", len(set.LogRules()), len(set.FileRules()))
	}
	var b strings.Builder
	line := 0
	want := []string{}
	logPath := ex + "Logging/ECP/Server/ECPServer2021030301-1.LOG"
	add := func(s string, marked bool) {
		line++
		b.WriteString(s + "\r\n")
		if marked {
			want = append(want, fmt.Sprintf("content-log-rule-match high %s:%d log_marker", logPath, line))
		}
	}
	add("#Fields: DateTime,Data", false)
	add("2021-03-03T01:00:00Z,MARKER-Q7 early", true)
	filler := strings.Repeat("x", 99)
	for b.Len() < 4<<20-40 {
		add(filler, false)
	}
	add("2021-03-03T01:00:00Z,straddling the chunk end ....... MARKER-Q7", true)
	add(strings.Repeat("y", 5<<20)+" MARKER-Q7 at the end of a 5 MB line", true)
	add("MARKER-Q7 after the long line", true)
	add("last line without an end MARKER-Q7", true)
	text := strings.TrimSuffix(b.String(), "\r\n")
	files := map[string]string{
		logPath: text,
		"inetpub/logs/LogFiles/W3SVC1/u_ex210303.log": "#Fields: date time cs-uri-stem\n2021-03-03 01:00:00 /owa/MARKER-Q7\n",
		"inetpub/wwwroot/page.htm":                    "MARKER-Q7 in a page: not a log",
	}
	want = append(want, "content-log-rule-match high inetpub/logs/LogFiles/W3SVC1/u_ex210303.log:2 log_marker")
	res := scanTree(t, files, registry.Options{Rules: set})
	have := got(res, "content-")
	slices.Sort(want)
	check(t, "log rule findings", have, want)
	for _, e := range res.Errors {
		// The Exchange log reader reports the 5 MB line it skips; the
		// log rules read it.
		if !strings.Contains(e.Error, "line is longer than") {
			t.Errorf("error %s: %s", e.Path, e.Error)
		}
	}
}

func TestLoadRulesErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"rule a { condition: owner == \"x\" and company }", `"company", which exhunt does not set`},
		{"rule a {\n strings: $a = { 4D 5A\n condition: $a }", "bad.yar:"},
	} {
		p := rulesFile(t, "bad.yar", tc.text)
		if _, err := content.LoadRules([]string{p}, true); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.text, err, tc.want)
		}
	}
	// A log rules file whose rule matches lines without its strings is
	// loaded, with a note that it is slow.
	p := rulesFile(t, "x_log_sigs.yar", "rule a : LOG { strings: $a = \"q\" condition: not $a }")
	set, err := content.LoadRules([]string{p}, true)
	if err != nil || len(set.Notes) != 1 || !strings.Contains(set.Notes[0], "slow") {
		t.Errorf("unsafe log rule: %v, notes %q", err, set.Notes)
	}
}

func reversed(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}
