package scan

import (
	"fmt"
	"time"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

// Verdict levels, from the contract's severity scale: critical or high
// findings mean the server was (most likely) compromised; medium or low ones
// mean attempts or things a person must look at; otherwise nothing was found
// in the period the logs cover. Context findings never raise the level.
const (
	VerdictCompromised = "compromised"
	VerdictAttempted   = "exploitation-attempted"
	VerdictClean       = "no-evidence-found"
)

// Verdict is the one answer on top of the report.
type Verdict struct {
	Level    string `json:"level"`
	Headline string `json:"headline"`
	// FirstEvidence is the earliest time of a finding of low severity or
	// above; FirstCompromise the earliest of high or above.
	FirstEvidence   *time.Time `json:"first_evidence,omitempty"`
	FirstCompromise *time.Time `json:"first_compromise,omitempty"`
	LastEvidence    *time.Time `json:"last_evidence,omitempty"`
	// CoveredFrom and CoveredTo bound the period the logs cover.
	CoveredFrom *time.Time `json:"covered_from,omitempty"`
	CoveredTo   *time.Time `json:"covered_to,omitempty"`
	// FirstCompromiseBy names the finding FirstCompromise comes from.
	FirstCompromiseBy string `json:"first_compromise_by,omitempty"`
	// Caveats are the limits of this verdict a reader must know: logs that
	// do not reach the attack window, log families or inputs not read.
	Caveats   []string `json:"caveats,omitempty"`
	NextSteps []string `json:"next_steps"`
	// Counts are the findings per severity.
	Counts map[string]int `json:"counts"`
}

func decide(fs []finding.Finding, cov []Coverage, errs int, window detect.Window, interrupted bool) Verdict {
	v := Verdict{Counts: map[string]int{}}
	max := finding.Info
	for _, f := range fs {
		v.Counts[f.Severity.String()]++
		if f.Context || f.Severity < finding.Low {
			continue
		}
		if f.Severity > max {
			max = f.Severity
		}
		if f.Time == nil {
			continue
		}
		t := *f.Time
		if v.FirstEvidence == nil || t.Before(*v.FirstEvidence) {
			v.FirstEvidence = &t
		}
		if v.LastEvidence == nil || t.After(*v.LastEvidence) {
			v.LastEvidence = &t
		}
		if f.Severity >= finding.High && (v.FirstCompromise == nil || t.Before(*v.FirstCompromise)) {
			v.FirstCompromise = &t
			v.FirstCompromiseBy = f.Title + " (" + f.Path
			if f.Line > 0 {
				v.FirstCompromiseBy += fmt.Sprintf(":%d", f.Line)
			}
			v.FirstCompromiseBy += ")"
		}
	}
	for _, c := range cov {
		if c.Oldest.IsZero() {
			continue
		}
		o, n := c.Oldest, c.Newest
		if v.CoveredFrom == nil || o.Before(*v.CoveredFrom) {
			v.CoveredFrom = &o
		}
		if v.CoveredTo == nil || n.After(*v.CoveredTo) {
			v.CoveredTo = &n
		}
	}
	v.Caveats = caveats(fs, v, errs, window, interrupted)
	switch {
	case max >= finding.High:
		v.Level = VerdictCompromised
		v.Headline = "COMPROMISED: evidence of successful exploitation"
		if v.FirstCompromise != nil {
			v.Headline += " since " + v.FirstCompromise.Format("2006-01-02 15:04 UTC")
		}
		v.NextSteps = []string{
			"Do not wipe or rebuild yet: keep a copy of this report and of the files and log lines it names (copy them with their timestamps, e.g. robocopy /COPY:DAT).",
			"Disconnect the server from the internet (or block inbound 443 to it) until it is cleaned; keep it running if memory forensics is planned.",
			"Install the latest Exchange cumulative and security update.",
			"Remove the web shells and other files listed as critical after preserving them; reset the OAB virtual directory if its URLs were changed.",
			"Reset passwords of accounts used on the server (administrators, service accounts) and check Active Directory for new accounts and group changes since the first compromise time.",
			"Report to your CERT or incident responder; this server may have been used to reach the rest of the network.",
		}
	case max >= finding.Low:
		v.Level = VerdictAttempted
		v.Headline = "EXPLOITATION ATTEMPTED or suspicious: no proof of success, review the findings"
		if v.FirstEvidence != nil {
			v.Headline += " (first seen " + v.FirstEvidence.Format("2006-01-02 15:04 UTC") + ")"
		}
		v.NextSteps = []string{
			"Make sure the server runs a patched Exchange build (March 2021 security update or later).",
			"Review every medium finding by hand: what it is, who wrote it, when.",
			"Check that the logs cover the period since January 2021; attempts before the oldest log line cannot be judged.",
		}
	default:
		v.Level = VerdictClean
		v.Headline = "NO EVIDENCE FOUND of ProxyLogon exploitation"
		if v.CoveredFrom != nil {
			v.Headline += fmt.Sprintf(" in logs from %s to %s", v.CoveredFrom.Format("2006-01-02"), v.CoveredTo.Format("2006-01-02"))
		} else {
			v.Headline += " (no Exchange logs were read: see coverage)"
		}
		v.NextSteps = []string{
			"Absence of evidence covers only the period the logs reach and the places checked; see coverage.",
			"Make sure the server runs a patched Exchange build.",
		}
	}
	return v
}

// caveats says what the verdict cannot cover.
func caveats(fs []finding.Finding, v Verdict, errs int, window detect.Window, interrupted bool) []string {
	var out []string
	if interrupted {
		out = append(out, "The scan was interrupted: files after the interruption were not read.")
	}
	switch {
	case v.CoveredFrom == nil:
		out = append(out, "No Exchange log with timestamps was read: the forged-request, ECP and OAB checks had nothing to look at.")
	case !window.To.IsZero() && v.CoveredFrom.After(window.To):
		out = append(out, fmt.Sprintf("The logs start on %s, after the attack window (%s to %s): they cannot show those attacks. "+
			"File checks (web shells, dumps) still apply; for the logs, scan a backup or an older copy.",
			v.CoveredFrom.Format("2006-01-02"), window.From.Format("2006-01-02"), window.To.Format("2006-01-02")))
	case !window.From.IsZero() && v.CoveredFrom.After(window.From):
		out = append(out, fmt.Sprintf("The logs start on %s: activity before that date cannot be judged from them.", v.CoveredFrom.Format("2006-01-02")))
	}
	for _, f := range fs {
		if f.Rule == RuleLogMissing.ID && v.CoveredFrom != nil {
			out = append(out, "No "+f.Evidence.Get("family")+" logs were found: "+checksOf(f.Evidence.Get("family"))+" could not run.")
		}
	}
	if errs > 0 {
		out = append(out, fmt.Sprintf("%d input(s) could not be read or parsed in full (see errors).", errs))
	}
	return out
}

func checksOf(family string) string {
	switch family {
	case string(detect.HttpProxy):
		return "the CVE-2021-26855 forged-request and web shell request checks"
	case string(detect.ECPServer):
		return "the CVE-2021-27065 virtual directory check"
	case string(detect.OABGenerator):
		return "the CVE-2021-26858 OAB download check"
	}
	return "its checks"
}

func humanCount(n int) string { return fmt.Sprint(n) }

// HumanBytes writes a byte count for people.
func HumanBytes(n int64) string {
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
