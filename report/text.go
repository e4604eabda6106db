package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/exhunt/exhunt/detect/scope"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

// maxEvidenceValue bounds how much of one evidence value the text report
// prints; the JSON report has it whole.
const maxEvidenceValue = 400

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[33m"
	ansiGreen  = "\x1b[1;32m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

type textWriter struct {
	w   *bufio.Writer
	opt Options
}

func (t *textWriter) color(code, s string) string {
	if !t.opt.Color {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) printf(format string, args ...any) { fmt.Fprintf(t.w, format, args...) }

func severityColor(s finding.Severity) string {
	switch s {
	case finding.Critical, finding.High:
		return ansiRed
	case finding.Medium:
		return ansiYellow
	case finding.Low:
		return ansiCyan
	}
	return ansiDim
}

// Text writes the report for a person: for several servers a table of
// them first; then for each server who it is, the verdict and what to do
// first, findings grouped by severity and rule, the files to preserve and
// remove, log coverage and errors.
func Text(out io.Writer, rep *result.Report, opt Options) error {
	t := &textWriter{w: bufio.NewWriter(out), opt: opt}
	t.printf("%s %s - scan %s, %s\n", rep.Tool.Name, rep.Tool.Version, rep.Scan.ID, stamp(rep.Scan.Started))
	if len(rep.Servers) == 0 {
		t.printf("\nVERDICT: INTERRUPTED, INCOMPLETE: no server was scanned (the scan was interrupted before the first one).\n")
		for _, d := range rep.NotReached {
			t.printf("  not reached: %s\n", Terminal(d))
		}
		return t.w.Flush()
	}
	if len(rep.Servers) > 1 {
		t.caseTable(rep)
	}
	if len(rep.NotReached) > 0 {
		t.printf("\n%s\n", t.color(ansiYellow, fmt.Sprintf("NOT REACHED (%d): the scan was interrupted before these servers", len(rep.NotReached))))
		for _, d := range rep.NotReached {
			t.printf("  %s\n", Terminal(d))
		}
	}
	if len(rep.Skipped) > 0 {
		t.printf("\n%s\n", t.color(ansiYellow, fmt.Sprintf("NOT SCANNED (%d): folders of the case", len(rep.Skipped))))
		for _, d := range rep.Skipped {
			t.printf("  %s: %s\n", Terminal(d.Dir), Terminal(d.Why))
		}
	}
	for i, s := range rep.Servers {
		if len(rep.Servers) > 1 {
			t.printf("\n%s\n", t.color(ansiBold, fmt.Sprintf("==== SERVER %d of %d: %s ====", i+1, len(rep.Servers), Terminal(s.Server.Name))))
		} else {
			t.printf("\n")
		}
		t.server(s)
	}
	return t.w.Flush()
}

// caseTable is one line per server: the answer for a case of many servers
// at a glance.
func (t *textWriter) caseTable(rep *result.Report) {
	sum := rep.Summary()
	t.printf("\n%s\n", t.color(ansiBold, fmt.Sprintf("CASE: %d servers", sum.Servers)))
	t.printf("  %-16s %-24s %-18s %-14s %-11s %-10s %-9s %s\n", "SERVER", "VERDICT", "FIRST COMPROMISE", "BUILD", "VULNERABLE", "PATCHED", "MITIGATED", "FOLDER")
	for i, row := range sum.Table {
		first := "-"
		if row.FirstCompromise != nil {
			first = row.FirstCompromise.UTC().Format("2006-01-02 15:04")
		}
		build := rep.Servers[i].Verdict.Exposure.Build
		vuln := map[string]string{result.ExposureVulnerable: "YES", result.ExposurePatched: "no", result.ExposureUnknown: "unknown"}[row.Vulnerable]
		patched := "-"
		if row.PatchedAt != nil {
			patched = row.PatchedAt.UTC().Format("2006-01-02")
		}
		mitigated := "no"
		if row.Mitigated {
			mitigated = "yes"
		}
		t.printf("  %-16s %s %-18s %-14s %-11s %-10s %-9s %s\n", Terminal(row.Name), t.color(verdictColor(row.Verdict), fmt.Sprintf("%-24s", row.Verdict)),
			first, orDash(build), vuln, patched, mitigated, Terminal(row.Root))
	}
	for _, n := range sum.SameName {
		t.printf("  %s %s is the host name of more than one folder: two copies of one server? Their evidence is reported apart.\n",
			t.color(ansiYellow, "Note:"), Terminal(n))
	}
	t.campaign(sum.Campaign)
}

func verdictColor(level string) string {
	switch level {
	case result.VerdictCompromised:
		return ansiRed
	case result.VerdictAttempted, result.VerdictInconclusive:
		return ansiYellow
	}
	return ansiGreen
}

func (t *textWriter) server(res *result.Server) {
	si := res.Server
	name := Terminal(si.Name)
	if si.HostNameSource != "" {
		name += " (" + Terminal(si.HostNameSource) + ")"
	} else {
		name += " (host name unknown: the folder's name)"
	}
	t.printf("Server:   %s\n", name)
	var about []string
	if si.FQDN != "" {
		about = append(about, "FQDN "+Terminal(si.FQDN))
	}
	if si.Windows != "" {
		about = append(about, Terminal(si.Windows))
	}
	if si.Exchange != "" {
		about = append(about, "Exchange "+Terminal(si.Exchange))
	}
	if len(si.Roles) > 0 {
		about = append(about, "roles "+Terminal(strings.Join(si.Roles, ", ")))
	}
	if len(about) > 0 {
		t.printf("          %s\n", strings.Join(about, "; "))
	}
	t.printf("Scanned:  %s (%s) on %s\n", Terminal(res.Root), Terminal(si.RootKindDetail), stamp(res.Stats.Started))
	for _, v := range si.Volumes {
		t.printf("Volume:   %s: = %s\n", Terminal(v.Letter), Terminal(v.Dir))
	}
	if c := res.Collection; c != nil {
		t.printf("Collected: %s\n", Terminal(CollectionSummary(c)))
	}
	switch {
	case si.ExchangeDir != "":
		t.printf("Exchange: %s (%s)\n", Terminal(si.ExchangeDir), Terminal(si.ExchangeSource))
	case si.ExchangeSource != "":
		t.printf("Exchange: only part of it was copied (%s)\n", Terminal(si.ExchangeSource))
	case si.Exchange2010Dir != "":
		t.printf("Exchange: Exchange 2010 at %s (its own logs are not read: exhunt's log checks are for Exchange 2013 and later)\n", Terminal(si.Exchange2010Dir))
	default:
		t.printf("Exchange: not found in this folder\n")
	}
	if si.InstallPath != "" {
		t.printf("          installed at %s\n", Terminal(si.InstallPath))
	}
	if si.WebRoot != "" {
		t.printf("Web root: %s (%s)\n", Terminal(si.WebRoot), Terminal(si.WebRootSource))
	}
	t.printf("\n")
	t.verdict(res)
	t.timeline(res)
	t.attackers(res)
	t.mailboxes(res)

	var alarms, background []finding.Finding
	for _, f := range res.Findings {
		if f.Context || f.Severity == finding.Info {
			background = append(background, f)
		} else {
			alarms = append(alarms, f)
		}
	}
	groups := groupFindings(alarms)
	for _, sev := range []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low} {
		t.severitySection(sev, groups[sev])
	}
	t.preserve(alarms)
	t.coverage(res)
	t.context(background)
	t.errors(res.Errors)
	t.printf("\nScanned %d log files (%s) and %d other files in %.2fs.\n",
		res.Stats.LogFiles, sizeText(res.Stats.LogBytes), res.Stats.Files, res.Stats.Duration.Seconds())
}

// artefact is one file or log line with every reason it was flagged.
type artefact struct {
	where    string
	severity finding.Severity
	reasons  []string
	line     bool
}

// artefacts merges findings on the same file (whole-file findings) or the
// same log line: a web shell under three rules is one artefact.
func artefacts(fs []finding.Finding) []*artefact {
	var out []*artefact
	index := map[string]*artefact{}
	for _, f := range fs {
		where := f.WindowsPath
		if where == "" {
			where = f.Path
		}
		key := where
		if f.Line > 0 {
			key += fmt.Sprintf(":%d", f.Line)
		}
		a, ok := index[key]
		if !ok {
			a = &artefact{where: key, severity: f.Severity, line: f.Line > 0}
			index[key] = a
			out = append(out, a)
		}
		if f.Severity > a.severity {
			a.severity = f.Severity
		}
		a.reasons = append(a.reasons, f.Title)
	}
	return out
}

// toPreserve are the files an administrator must copy for the responders
// and then remove: files (not log lines) flagged medium or above as
// evidence of an attack.
func toPreserve(fs []finding.Finding) []*artefact {
	var files []finding.Finding
	for _, f := range fs {
		if !f.Context && !f.Exposure && f.Severity >= finding.Medium && f.Line == 0 && f.Path != "" {
			files = append(files, f)
		}
	}
	return artefacts(files)
}

// preserve lists the files an administrator must copy for the responders
// and then remove.
func (t *textWriter) preserve(alarms []finding.Finding) {
	arts := toPreserve(alarms)
	if len(arts) == 0 {
		return
	}
	t.printf("\n%s\n", t.color(ansiBold, fmt.Sprintf("FILES TO PRESERVE, THEN REMOVE (%d)", len(arts))))
	t.printf("  Copy each with its timestamps and hash for the responders before removing it.\n")
	for _, a := range arts {
		t.printf("  - [%s] %s\n", a.severity, Terminal(a.where))
		for _, r := range a.reasons {
			t.printf("      %s\n", Terminal(r))
		}
	}
}

func (t *textWriter) verdict(res *result.Server) {
	v := res.Verdict
	t.printf("%s\n", t.color(verdictColor(v.Level), "VERDICT: "+Terminal(v.Headline)))
	if v.FirstCompromiseBy != "" {
		t.printf("  First sign of compromise: %s\n", Terminal(v.FirstCompromiseBy))
	}
	e := v.Exposure
	if e.State != "" {
		label := t.color(ansiYellow, "Vulnerable now?")
		if e.State == result.ExposureVulnerable {
			label = t.color(ansiRed, "Vulnerable now?")
		}
		t.printf("  %s %s\n", label, Terminal(e.Answer))
		if e.PatchedAt != nil {
			t.printf("  ProxyLogon fix installed on %s: the March 2021 chain could not be used after that date\n", e.PatchedAt.UTC().Format("2006-01-02"))
		}
	}
	if v.FirstEvidence != nil {
		t.printf("  Evidence from %s to %s\n", stamp(*v.FirstEvidence), stamp(*v.LastEvidence))
	}
	if v.CoveredFrom != nil {
		t.printf("  Logs cover %s to %s\n", stamp(*v.CoveredFrom), stamp(*v.CoveredTo))
	} else {
		t.printf("  No Exchange log was read: log checks could not run\n")
	}
	var alarms []finding.Finding
	for _, f := range res.Findings {
		if !f.Context && !f.Exposure && f.Severity >= finding.Low {
			alarms = append(alarms, f)
		}
	}
	if arts := artefacts(alarms); len(arts) > 0 {
		nFiles, nLines := 0, 0
		for _, a := range arts {
			if a.line {
				nLines++
			} else {
				nFiles++
			}
		}
		t.printf("  Artefacts: %d file(s) and %d log line(s) flagged\n", nFiles, nLines)
	}
	counts, context := map[finding.Severity]int{}, 0
	for _, f := range res.Findings {
		if f.Context || f.Severity == finding.Info {
			context++
		} else {
			counts[f.Severity]++
		}
	}
	// The verdict counts every finding raised, listed or not.
	for name, n := range v.Counts {
		if sev, err := finding.ParseSeverity(name); err == nil && sev > finding.Info && n > counts[sev] {
			counts[sev] = n
		}
	}
	var parts []string
	for _, s := range []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low} {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "none of low severity or above")
	}
	t.printf("  Findings: %s (and %d for context)\n", strings.Join(parts, ", "), context)
	if res.Stats.Truncated > 0 {
		t.printf("  %s of %d findings raised, %d are not listed (bounds per file and per scan); all are counted above\n",
			t.color(ansiYellow, "Note:"), res.Stats.Findings, res.Stats.Truncated)
	}
	// The checks that did not run are one caveat each; a list reads
	// better than a dozen "Caveat:" lines.
	var notChecked []string
	for _, c := range v.Caveats {
		if rest, ok := strings.CutPrefix(c, result.NotCheckedPrefix); ok {
			notChecked = append(notChecked, rest)
			continue
		}
		t.printf("  %s %s\n", t.color(ansiYellow, "Caveat:"), Terminal(c))
	}
	if len(notChecked) > 0 {
		t.printf("  %s\n", t.color(ansiYellow, fmt.Sprintf("Not checked (%d of %d checks):", len(notChecked), len(v.ChecksRun)+len(v.ChecksNotRun))))
		for _, c := range notChecked {
			t.printf("    - %s\n", Terminal(c))
		}
	}
	t.printf("\n%s\n", t.color(ansiBold, "What to do now:"))
	for i, s := range v.NextSteps {
		t.printf("  %d. %s\n", i+1, Terminal(s))
	}
}

// ruleGroup is the findings of one rule at one severity.
type ruleGroup struct {
	rule     string
	findings []finding.Finding
}

func groupFindings(fs []finding.Finding) map[finding.Severity][]ruleGroup {
	out := map[finding.Severity][]ruleGroup{}
	index := map[string]int{}
	for _, f := range fs {
		key := f.Severity.String() + "/" + f.Rule
		i, ok := index[key]
		if !ok {
			i = len(out[f.Severity])
			index[key] = i
			out[f.Severity] = append(out[f.Severity], ruleGroup{rule: f.Rule})
		}
		out[f.Severity][i].findings = append(out[f.Severity][i].findings, f)
	}
	return out
}

func (t *textWriter) severitySection(sev finding.Severity, groups []ruleGroup) {
	if len(groups) == 0 {
		return
	}
	n := 0
	for _, g := range groups {
		n += len(g.findings)
	}
	t.printf("\n%s\n", t.color(severityColor(sev), fmt.Sprintf("%s (%d)", strings.ToUpper(sev.String()), n)))
	for _, g := range groups {
		first := g.findings[0]
		cves := ""
		if len(first.CVEs) > 0 {
			cves = " [" + strings.Join(first.CVEs, ", ") + "]"
		}
		t.printf("\n  %s%s\n", t.color(ansiBold, Terminal(first.Title)), cves)
		t.printf("  rule %s, %d finding(s)\n", first.Rule, len(g.findings))
		if first.Remediation != "" {
			t.printf("  What to do: %s\n", Terminal(first.Remediation))
		}
		shown := g.findings
		if t.opt.MaxPerRule > 0 && len(shown) > t.opt.MaxPerRule {
			shown = shown[:t.opt.MaxPerRule]
		}
		for _, f := range shown {
			t.instance(f)
		}
		if len(shown) < len(g.findings) {
			t.printf("    ... and %d more (--all lists every one; --format json has them all)\n", len(g.findings)-len(shown))
		}
	}
}

func (t *textWriter) instance(f finding.Finding) {
	where := Terminal(f.WindowsPath)
	if f.WindowsPath == "" {
		where = Terminal(f.Path)
	}
	if f.Line > 0 {
		where += fmt.Sprintf(":%d", f.Line)
	}
	when := ""
	if f.Time != nil {
		when = stamp(*f.Time) + "  "
	}
	t.printf("    - %s%s\n", when, where)
	for _, e := range f.Evidence {
		if e.Value == "" {
			continue
		}
		v := e.Value
		if len(v) > maxEvidenceValue {
			v = v[:maxEvidenceValue] + "..."
		}
		t.printf("        %s: %s\n", Terminal(e.Name), Terminal(v))
	}
}

func (t *textWriter) coverage(res *result.Server) {
	t.printf("\n%s\n", t.color(ansiBold, "LOG COVERAGE (evidence older than a log's first entry cannot be judged)"))
	if len(res.Coverage) == 0 {
		t.printf("  no logs found\n")
	}
	// Event log channels have long names (Microsoft-Windows-Sysmon/
	// Operational): the column fits the longest, within reason.
	names := make([]string, len(res.Coverage))
	width := 28
	for i, c := range res.Coverage {
		names[i] = c.Family
		if c.Folder != "" {
			names[i] += "/" + c.Folder
		}
		names[i] = Terminal(names[i])
		width = max(width, min(utf8.RuneCountInString(names[i]), 64))
	}
	for i, c := range res.Coverage {
		span := "no timestamps"
		if !c.Oldest.IsZero() {
			span = stamp(c.Oldest) + " to " + stamp(c.Newest)
		}
		t.printf("  %-*s %5d files %10s  %s\n", width, names[i], c.Files, sizeText(c.Bytes), span)
	}
}

// context prints the background findings (info, and lower findings marked
// as context) other than coverage rows, which the coverage table shows.
func (t *textWriter) context(background []finding.Finding) {
	var lines []string
	for _, f := range background {
		if f.Rule == scope.RuleLogCoverage.ID {
			continue
		}
		line := "  - " + Terminal(f.Title)
		if f.Severity != finding.Info {
			line = "  - [" + f.Severity.String() + "] " + Terminal(f.Title)
		}
		if f.Path != "" {
			line += ": " + Terminal(f.Path)
		}
		var ev []string
		for _, e := range f.Evidence {
			if e.Value != "" {
				ev = append(ev, Terminal(e.Name)+": "+Terminal(e.Value))
			}
		}
		if len(ev) > 0 {
			line += "\n      " + strings.Join(ev, "\n      ")
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return
	}
	t.printf("\n%s\n", t.color(ansiBold, "CONTEXT"))
	for _, l := range lines {
		t.printf("%s\n", l)
	}
}

// maxErrorsShown bounds the error list in the text report.
const maxErrorsShown = 30

func (t *textWriter) errors(errs []finding.ScanError) {
	if len(errs) == 0 {
		return
	}
	t.printf("\n%s\n", t.color(ansiYellow, fmt.Sprintf("ERRORS (%d): these inputs were not (fully) read; the rest of the scan went on", len(errs))))
	for i, e := range errs {
		if i == maxErrorsShown {
			t.printf("  ... and %d more (--format json lists all)\n", len(errs)-maxErrorsShown)
			break
		}
		where := Terminal(e.Path)
		if e.Line > 0 {
			where += fmt.Sprintf(":%d", e.Line)
		}
		t.printf("  %s: %s\n", where, Terminal(e.Error))
	}
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
