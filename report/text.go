package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/scan"
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

// Text writes the report for a person: the verdict and what to do first,
// then findings grouped by severity and rule, then log coverage and errors.
func Text(out io.Writer, tool Tool, res *scan.Result, opt Options) error {
	t := &textWriter{w: bufio.NewWriter(out), opt: opt}
	t.printf("%s %s - scan of %s\n", tool.Name, tool.Version, Terminal(res.Root))
	if res.Server.ExchangeDir != "" || res.Server.LoggingDir != "" {
		t.printf("Exchange: %s (%s)\n", Terminal(orDash(res.Server.ExchangeDir)), Terminal(res.Server.ExchangeSource))
	} else {
		t.printf("Exchange: not found in this root\n")
	}
	if res.Server.WebRoot != "" {
		t.printf("Web root: %s (%s)\n", Terminal(res.Server.WebRoot), Terminal(res.Server.WebRootSource))
	}
	t.printf("\n")
	t.verdict(res)

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
	t.coverage(res)
	t.context(background)
	t.errors(res.Errors)
	t.printf("\nScanned %d log files (%s) and %d other files in %.2fs.\n",
		res.Stats.LogFiles, sizeText(res.Stats.LogBytes), res.Stats.Files, res.Stats.Duration.Seconds())
	return t.w.Flush()
}

func (t *textWriter) verdict(res *scan.Result) {
	v := res.Verdict
	code := ansiGreen
	switch v.Level {
	case scan.VerdictCompromised:
		code = ansiRed
	case scan.VerdictAttempted:
		code = ansiYellow
	}
	t.printf("%s\n", t.color(code, "VERDICT: "+v.Headline))
	if v.FirstCompromiseBy != "" {
		t.printf("  First sign of compromise: %s\n", Terminal(v.FirstCompromiseBy))
	}
	if v.FirstEvidence != nil {
		t.printf("  Evidence from %s to %s\n", stamp(*v.FirstEvidence), stamp(*v.LastEvidence))
	}
	if v.CoveredFrom != nil {
		t.printf("  Logs cover %s to %s\n", stamp(*v.CoveredFrom), stamp(*v.CoveredTo))
	} else {
		t.printf("  No Exchange log was read: log checks could not run\n")
	}
	counts, context := map[finding.Severity]int{}, 0
	for _, f := range res.Findings {
		if f.Context || f.Severity == finding.Info {
			context++
		} else {
			counts[f.Severity]++
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
	for _, c := range v.Caveats {
		t.printf("  %s %s\n", t.color(ansiYellow, "Caveat:"), Terminal(c))
	}
	t.printf("\n%s\n", t.color(ansiBold, "What to do now:"))
	for i, s := range v.NextSteps {
		t.printf("  %d. %s\n", i+1, s)
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
	where := Terminal(f.Path)
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

func (t *textWriter) coverage(res *scan.Result) {
	t.printf("\n%s\n", t.color(ansiBold, "LOG COVERAGE (evidence older than a log's first entry cannot be judged)"))
	if len(res.Coverage) == 0 {
		t.printf("  no Exchange logs found\n")
	}
	for _, c := range res.Coverage {
		name := c.Family
		if c.Folder != "" {
			name += "/" + c.Folder
		}
		span := "no timestamps"
		if !c.Oldest.IsZero() {
			span = stamp(c.Oldest) + " to " + stamp(c.Newest)
		}
		t.printf("  %-28s %5d files %10s  %s\n", Terminal(name), c.Files, sizeText(c.Bytes), span)
	}
}

// context prints the background findings (info, and lower findings marked
// as context) other than coverage rows, which the coverage table shows.
func (t *textWriter) context(background []finding.Finding) {
	var lines []string
	for _, f := range background {
		if f.Rule == scan.RuleLogCoverage.ID {
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

func sizeText(n int64) string { return scan.HumanBytes(n) }
