package finding

import "time"

// Rule is the stable advisory part of a finding: what was checked, which
// CVEs it concerns and what to do about it. Detectors declare their rules as
// package variables so that ids and titles never drift between findings.
type Rule struct {
	ID          string
	Title       string
	CVEs        []string
	Remediation string
	// Grading says which severities the rule gives and when, for the rule
	// catalogue ("high; medium if the request failed").
	Grading string
	// References are public sources of the check (advisories, the tools
	// whose check it mirrors).
	References []string
}

// New makes a finding of the rule with its evidence.
func (r *Rule) New(sev Severity, path string, line int, at time.Time, ev Evidence) Finding {
	cves := r.CVEs
	if cves == nil {
		cves = []string{} // consumers may rely on the key being a list
	}
	f := Finding{
		Rule:        r.ID,
		Severity:    sev,
		Path:        path,
		Line:        line,
		Title:       r.Title,
		CVEs:        cves,
		Evidence:    ev,
		Remediation: r.Remediation,
	}
	f.At(at)
	return f
}
