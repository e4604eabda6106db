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
	// Stage is the step of an attack the rule's evidence shows, for the
	// timeline and the attacker sessions; "" for rules about the scan or
	// the server's state.
	Stage Stage
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
		Stage:       r.Stage,
	}
	f.At(at)
	return f
}

// Stage is a step of an attack, as the timeline orders them.
type Stage string

// The stages, in the order an attack goes through them. A finding's
// severity still says whether the step worked: a failed exploitation
// request keeps its stage with a lower severity.
const (
	// StageAttempt is reconnaissance, a scan or an exploitation attempt
	// that did not get through (autodiscover-only SSRF, shell-name
	// probing, traffic from indicator addresses).
	StageAttempt Stage = "attempt"
	// StageExploitation is exploitation that reached the back end or
	// changed its configuration (SSRF to back-end paths, a script set in
	// a virtual directory).
	StageExploitation Stage = "exploitation"
	// StageWebshellWritten is a web shell or other file written through
	// the exploit, seen in the logs (a virtual directory reset, an OAB
	// download outside its folder) or on disk.
	StageWebshellWritten Stage = "webshell-written"
	// StageWebshellUse is a web shell answering requests or running
	// commands.
	StageWebshellUse Stage = "webshell-use"
	// StagePostExploitation is what followed: credential dumps, staged
	// archives, tools, ransomware.
	StagePostExploitation Stage = "post-exploitation"
)
