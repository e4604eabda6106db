package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/correlate"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sample is a fixed report of one server with attacker-controlled text in
// it.
func sample() *result.Report {
	at := time.Date(2021, 3, 3, 6, 49, 43, 699e6, time.UTC)
	later := at.Add(10 * time.Minute)
	from, to := at.Add(-30*time.Hour), at.Add(30*time.Hour)
	mk := func(rule string, sev finding.Severity, path string, line int, t *time.Time, ev finding.Evidence) finding.Finding {
		return finding.Finding{Rule: rule, Severity: sev, Path: path, Line: line, Time: t, Title: "Title of " + rule, CVEs: []string{"CVE-2021-26855"}, Evidence: ev, Remediation: "Do something about " + rule + "."}
	}
	srv := &result.Server{
		Root: "/evidence/ex01",
		Server: result.ServerInfo{Name: "EX01", Identity: result.Identity{HostName: "EX01", HostNameSource: "registry hive Windows/System32/config/SYSTEM (ComputerName)", Domain: "contoso.local", FQDN: "EX01.contoso.local", Exchange: "15.1.2176.2"},
			RootKind: "system-drive", RootKindDetail: "a system drive",
			ExchangeDir: "Program Files/Microsoft/Exchange Server/V15", ExchangeSource: "default install folder", WebRoot: "inetpub/wwwroot", WebRootSource: "default IIS web root"},
		Findings: []finding.Finding{
			mk("proxylogon-reset-vdir", finding.Critical, "Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG", 22, &later, finding.Evidence{
				{Name: "ClientIpAddress", Value: "203.0.113.45"},
				{Name: "AnchorMailbox", Value: "ServerInfo~a]@ex01:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#"}}),
			mk("proxylogon-ssrf-backend", finding.High, "Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG", 18, &at, finding.Evidence{
				{Name: "ClientIpAddress", Value: "203.0.113.45"},
				{Name: "AuthenticatedUser", Value: "CONTOSO\\boss\u202etxt.exe"},
				{Name: "UserAgent", Value: "evil\x1b[2J\x1b]0;pwned\x07agent"},
				{Name: "UrlStem", Value: "=HYPERLINK(\"http://x\")"},
				{Name: "Note", Value: "rtl\u202eoverride and bad utf8 \xff"},
			}),
			mk("postexploit-programdata-archive", finding.Low, "ProgramData/McAfee/x.zip", 0, &at, finding.Evidence{{Name: "why", Value: "context"}}),
			mk("log-coverage", finding.Info, "Logging/HttpProxy/Ecp", 0, &from, finding.Evidence{{Name: "files", Value: "3"}}),
		},
		Errors:   []finding.ScanError{{Path: "Logging/HttpProxy/Ecp/bad.LOG", Line: 7, Error: "line is longer than 1048576 bytes; skipped"}},
		Coverage: []result.Coverage{{Family: "HttpProxy", Folder: "Ecp", Dir: "Logging/HttpProxy/Ecp", Files: 3, Bytes: 12345, Oldest: from, Newest: to}},
		Verdict: result.Verdict{
			Level: result.VerdictCompromised, Headline: "COMPROMISED: evidence of successful exploitation since 2021-03-03 06:49 UTC",
			FirstEvidence: &at, LastEvidence: &later, FirstCompromise: &at, CoveredFrom: &from, CoveredTo: &to,
			NextSteps: []string{"Keep the evidence.", "Patch."}, Counts: map[string]int{"critical": 1, "high": 1, "low": 1, "info": 1},
		},
		Stats: result.Stats{LogFiles: 3, LogBytes: 12345, Files: 7, Started: from, Duration: 1500 * time.Millisecond, DurationS: 1.5},
	}
	for i := range srv.Findings {
		f := &srv.Findings[i]
		f.Normalise()
		f.Volume, f.WindowsPath = "C", `C:\Program Files\Microsoft\Exchange Server\V15\`+strings.ReplaceAll(f.Path, "/", `\`)
	}
	// The stages the rules give, so that the correlation has a story.
	stages := map[string]finding.Stage{"proxylogon-reset-vdir": finding.StageWebshellWritten, "proxylogon-ssrf-backend": finding.StageExploitation,
		"postexploit-programdata-archive": finding.StagePostExploitation}
	for i := range srv.Findings {
		srv.Findings[i].Stage = stages[srv.Findings[i].Rule]
	}
	correlate.Server(srv)
	return &result.Report{
		Tool:    tool,
		Scan:    result.Scan{ID: "0123456789abcdef0123456789abcdef", Started: from, Ended: from.Add(1500 * time.Millisecond)},
		Servers: []*result.Server{srv},
	}
}

var tool = result.Tool{Name: "exhunt", Version: "test"}

// checkGolden compares a report with its golden file (rewritten with
// -update).
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./report -update rewrites it):\n%s", golden, got)
	}
}

func TestGolden(t *testing.T) {
	for name, w := range Formats {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := w(&buf, sample(), Options{}); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "report."+name), buf.Bytes())
		})
	}
}

func TestTextEscapesAttackerStrings(t *testing.T) {
	var buf bytes.Buffer
	if err := Text(&buf, sample(), Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// Only our own colour codes may carry ESC: every ESC is one of them.
	for _, seq := range []string{ansiReset, ansiBold, ansiRed, ansiYellow, ansiGreen, ansiCyan, ansiDim} {
		out = strings.ReplaceAll(out, seq, "")
	}
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\xff"} {
		if strings.Contains(out, bad) {
			t.Errorf("text report contains %q", bad)
		}
	}
	if !strings.Contains(out, `evil\x1b[2J\x1b]0;pwned\x07agent`) || !strings.Contains(out, `\u202e`) || !strings.Contains(out, `\xff`) {
		t.Errorf("escaped forms missing:\n%s", out)
	}
}

func TestCSVNeutralisesFormulas(t *testing.T) {
	var buf bytes.Buffer
	if err := CSV(&buf, sample(), Options{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+4+1 {
		t.Fatalf("%d rows, want header + 4 findings + 1 error", len(rows))
	}
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell starts with a formula character: %q", cell)
			}
		}
	}
	if rows[len(rows)-1][1] != ErrorRule {
		t.Errorf("last row should be the scan error, got %v", rows[len(rows)-1])
	}
	for _, s := range []string{"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"} {
		if got := Spreadsheet(s); got[0] != '\'' {
			t.Errorf("Spreadsheet(%q) = %q", s, got)
		}
	}
	if Spreadsheet("plain") != "plain" || Spreadsheet("") != "" {
		t.Error("plain cells must stay as they are")
	}
}

// TestJSONContract checks the fields outside checks rely on.
func TestJSONContract(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, sample(), Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tool     map[string]string `json:"tool"`
		Findings []struct {
			Rule, Severity, Path, Time, Title string
			Line                              int
			CVEs                              []string `json:"cves"`
			Evidence                          map[string]string
		} `json:"findings"`
		Errors []struct{ Path, Error string } `json:"errors"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tool["name"] != "exhunt" || doc.Tool["version"] != "test" {
		t.Errorf("tool = %v", doc.Tool)
	}
	f := doc.Findings[1]
	if f.Rule != "proxylogon-ssrf-backend" || f.Severity != "high" || f.Line != 18 || f.Time != "2021-03-03T06:49:43.699Z" || f.CVEs[0] != "CVE-2021-26855" || f.Evidence["UserAgent"] == "" {
		t.Errorf("finding = %+v", f)
	}
	if len(doc.Errors) != 1 || doc.Errors[0].Path == "" {
		t.Errorf("errors = %+v", doc.Errors)
	}
	// JSON Lines: every line is one object of the same shape.
	buf.Reset()
	JSONL(&buf, sample(), Options{})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d JSON lines, want 5", len(lines))
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["rule"] == nil || m["severity"] == nil || m["root"] != "/evidence/ex01" {
			t.Errorf("bad line %s: %v", l, err)
		}
	}
}

// caseSample is a run over two servers and a folder that held none.
func caseSample() *result.Report {
	rep := sample()
	first := rep.Servers[0]
	first.Verdict.Caveats = []string{"The logs start on 2021-03-02: activity before that date cannot be judged from them.",
		result.NotCheckedPrefix + "CVE-2021-26857 Unified Messaging deserialization (needs the Windows event logs)."}
	first.Verdict.ChecksNotRun = []result.CheckStatus{{ID: "cve-2021-26857-eventlog", Title: "CVE-2021-26857 Unified Messaging deserialization", Why: "needs the Windows event logs"}}
	second := &result.Server{
		Root:   "/evidence/case/\x1b[31mEX02",
		Server: result.ServerInfo{Name: "EX02", RootKind: "unrecognised", RootKindDetail: "no part of a Windows system drive or of Exchange was recognised"},
		Verdict: result.Verdict{Level: result.VerdictInconclusive, Headline: "INCONCLUSIVE: nothing of an Exchange server was found in this folder",
			NextSteps: []string{"Point --root at the copy of the server's system drive."}, Counts: map[string]int{}},
	}
	rep.Servers = append(rep.Servers, second)
	rep.Skipped = []result.SkippedFolder{{Dir: "/evidence/case/notes", Why: "nothing of a server was recognised in it"}}
	return rep
}

func TestGoldenCase(t *testing.T) {
	for _, name := range []string{"text", "json", "html"} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Formats[name](&buf, caseSample(), Options{}); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "case."+name), buf.Bytes())
			if name == "json" {
				var doc struct {
					Servers []json.RawMessage
					Summary result.Summary
				}
				if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || len(doc.Servers) != 2 || doc.Summary.ExitStatus != result.ExitFindings || len(doc.Summary.Skipped) != 1 {
					t.Errorf("case JSON: %v, %d servers, summary %+v", err, len(doc.Servers), doc.Summary)
				}
			} else if strings.Contains(buf.String(), "\x1b") {
				t.Error("an escape sequence from a folder name reached the text report")
			}
		})
	}
}

// TestCSVNeutralisesControlCharacters: a raw escape sequence in a CSV cell
// would reach whoever cats or greps the file.
func TestCSVNeutralisesControlCharacters(t *testing.T) {
	var buf bytes.Buffer
	if err := CSV(&buf, sample(), Options{}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\xff"} {
		if strings.Contains(buf.String(), bad) {
			t.Errorf("CSV report contains %q", bad)
		}
	}
	if !strings.Contains(buf.String(), `evil\x1b[2J`) {
		t.Error("the escaped form of the user agent is missing")
	}
}

// TestTimelineContract checks the timeline's keys as the contract fixes
// them, and that a server without attack evidence has none.
func TestTimelineContract(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, caseSample(), Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Servers []map[string]json.RawMessage `json:"servers"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var tl struct {
		Milestones []struct {
			Name     string   `json:"name"`
			Time     string   `json:"time"`
			Findings []string `json:"findings"`
		} `json:"milestones"`
	}
	if err := json.Unmarshal(doc.Servers[0]["timeline"], &tl); err != nil || len(tl.Milestones) == 0 {
		t.Fatalf("timeline of the attacked server: %v %s", err, doc.Servers[0]["timeline"])
	}
	names := map[string]bool{result.MilestoneFirstAttempt: true, result.MilestoneFirstSuccess: true, result.MilestoneFirstShellWritten: true,
		result.MilestoneFirstShellUse: true, result.MilestoneLastShellUse: true, result.MilestoneLastActivity: true, result.MilestonePatched: true}
	for _, m := range tl.Milestones {
		if !names[m.Name] || m.Time == "" || len(m.Findings) == 0 || strings.Count(m.Findings[0], ":") < 2 {
			t.Errorf("milestone %+v", m)
		}
	}
	for _, key := range []string{"timeline", "sessions", "mailboxes"} {
		if _, ok := doc.Servers[1][key]; ok {
			t.Errorf("the inconclusive server has %q", key)
		}
	}
}

// TestCampaignText: what several servers share is listed under the case
// table, escaped like the rest.
func TestCampaignText(t *testing.T) {
	rep := caseSample()
	ua := "evil\x1b[2J\x1b]0;pwned\x07agent"
	first := time.Date(2021, 3, 4, 1, 2, 3, 0, time.UTC)
	rep.Campaign = &result.Campaign{
		SourceIPs:  []result.CampaignIndicator{{Value: "203.0.113.45", Servers: []result.CampaignServer{{Name: "EX01", First: &first, Outcome: result.OutcomeSuccessful}, {Name: "EX02\x1b[31m"}}}},
		UserAgents: []result.CampaignIndicator{{Value: ua, Servers: []result.CampaignServer{{Name: "EX01"}, {Name: "EX02"}}}},
	}
	var buf bytes.Buffer
	if err := Text(&buf, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"CAMPAIGN: seen on more than one server",
		"address 203.0.113.45: EX01 (2021-03-04 01:02:03, successful); EX02\\x1b[31m (time unknown)", `user agent evil\x1b[2J`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("an escape sequence reached the text report")
	}
	// The JSON summary carries it.
	buf.Reset()
	if err := JSON(&buf, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Summary result.Summary }
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || doc.Summary.Campaign == nil || len(doc.Summary.Campaign.SourceIPs) != 1 {
		t.Errorf("summary campaign: %v %+v", err, doc.Summary.Campaign)
	}
}
