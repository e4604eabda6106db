package registry

import (
	"fmt"
	"github.com/exhunt/exhunt/indicators"
	"io"
	"sort"
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/scope"
	"github.com/exhunt/exhunt/finding"
)

// Entry is one rule of the catalogue with the check that raises it.
type Entry struct {
	Rule  *finding.Rule
	Check detect.Check
}

// Catalogue lists every rule exhunt can raise, detectors' rules first in
// registry order, then the scan's own.
func Catalogue() []Entry {
	var out []Entry
	var ds []detect.Described
	for _, d := range LogDetectors() {
		ds = append(ds, d)
	}
	for _, d := range FileDetectors() {
		ds = append(ds, d)
	}
	for _, d := range ServerDetectors() {
		ds = append(ds, d)
	}
	listed := map[*finding.Rule]bool{}
	for _, d := range ds {
		for _, r := range d.Rules() {
			// One detector may run on several log families.
			if !listed[r] {
				listed[r] = true
				out = append(out, Entry{Rule: r, Check: d.Check()})
			}
		}
	}
	for _, r := range scope.Rules() {
		out = append(out, Entry{Rule: r, Check: detect.Check{ID: "scan", Title: "What the scan could look at"}})
	}
	return out
}

// CampaignCVEs are the four CVEs of the March 2021 chain, which every
// catalogue must account for.
var CampaignCVEs = []string{"CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"}

// CVECoverage tells, for one CVE, which checks look for it and which are
// still to come.
type CVECoverage struct {
	CVE     string   `json:"cve"`
	Checks  []string `json:"checks"`
	Planned []string `json:"planned,omitempty"`
}

// Coverage lists each campaign CVE with the checks that cover it.
func Coverage() []CVECoverage {
	var out []CVECoverage
	for _, cve := range CampaignCVEs {
		c := CVECoverage{CVE: cve, Checks: []string{}}
		seen := map[string]bool{}
		for _, e := range Catalogue() {
			if seen[e.Check.ID] {
				continue
			}
			for _, x := range append(append([]string{}, e.Check.CVEs...), e.Rule.CVEs...) {
				if x == cve {
					seen[e.Check.ID] = true
					c.Checks = append(c.Checks, e.Check.ID)
					break
				}
			}
		}
		for _, p := range scope.Planned() {
			for _, x := range p.CVEs {
				if x == cve {
					c.Planned = append(c.Planned, p.ID)
				}
			}
		}
		sort.Strings(c.Checks)
		out = append(out, c)
	}
	return out
}

// WriteMarkdown writes the catalogue as the README's tables: every rule,
// then every campaign CVE with its checks.
func WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| rule | severity | what | CVEs |\n|---|---|---|---|\n")
	for _, e := range Catalogue() {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", e.Rule.ID, cell(e.Rule.Grading), cell(e.Rule.Title), strings.Join(e.Rule.CVEs, ", "))
	}
	b.WriteString("\n| CVE | checked by | not checked yet |\n|---|---|---|\n")
	for _, c := range Coverage() {
		checks := "**nothing yet**"
		if len(c.Checks) > 0 {
			checks = "`" + strings.Join(c.Checks, "`, `") + "`"
		}
		planned := ""
		if len(c.Planned) > 0 {
			planned = "`" + strings.Join(c.Planned, "`, `") + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", c.CVE, checks, planned)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// WriteText writes the catalogue for a terminal.
func WriteText(w io.Writer) error {
	var b strings.Builder
	last := ""
	for _, e := range Catalogue() {
		if e.Check.ID != last {
			last = e.Check.ID
			fmt.Fprintf(&b, "\n%s: %s\n", e.Check.ID, e.Check.Title)
		}
		cves := ""
		if len(e.Rule.CVEs) > 0 {
			cves = " [" + strings.Join(e.Rule.CVEs, ", ") + "]"
		}
		fmt.Fprintf(&b, "  %-36s %s%s\n      severity: %s\n", e.Rule.ID, e.Rule.Title, cves, e.Rule.Grading)
	}
	if pack, err := indicators.RuleCatalogue(); err == nil {
		b.WriteString("\nBuilt-in content rules (YARA, checked by webshell-content):\n")
		for _, r := range pack {
			fmt.Fprintf(&b, "  %-36s %s\n      severity: %s, kind: %s\n", r.Rule, r.Description, r.Severity, r.Kind)
		}
	}
	if planned := scope.Planned(); len(planned) > 0 {
		b.WriteString("\nNot checked by this version:\n")
		for _, p := range planned {
			fmt.Fprintf(&b, "  %-36s %s (needs %s)\n", p.ID, p.Title, p.Needs)
		}
	}
	b.WriteString("\nCampaign CVEs:\n")
	for _, c := range Coverage() {
		checks := "NOTHING YET"
		if len(c.Checks) > 0 {
			checks = strings.Join(c.Checks, ", ")
		}
		fmt.Fprintf(&b, "  %s  checked by %s", c.CVE, checks)
		if len(c.Planned) > 0 {
			fmt.Fprintf(&b, "; still to come: %s", strings.Join(c.Planned, ", "))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, strings.TrimPrefix(b.String(), "\n"))
	return err
}
