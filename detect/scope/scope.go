// Package scope holds the rules the scan itself raises about what it could
// and could not look at (log coverage, missing log families, where Exchange
// was found, findings left out by the bounds), and the checks this version
// of exhunt does not perform yet, so that the verdict names them instead of
// staying silent.
package scope

import (
	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

// Rules of the scan's own reporting.
var (
	RuleLogCoverage = finding.Rule{
		ID:    "log-coverage",
		Title: "Log coverage: how far back this log's evidence reaches",
		Remediation: "Findings can only be as old as the logs. Exchange keeps HttpProxy logs 30 days (or 1 GB per " +
			"folder) by default; for older periods use backups or a triage copy taken earlier.",
		Grading: "info",
	}
	RuleLogMissing = finding.Rule{
		ID:    "log-coverage-missing",
		Title: "Log family not found: its checks could not run",
		Remediation: "Check that the copy includes the Exchange Logging folder (or point --exchange-dir at the " +
			"V15 folder); without these logs the matching checks say nothing.",
		Grading: "info",
	}
	RuleScope = finding.Rule{
		ID:      "scan-scope",
		Title:   "What this scan could and could not look at",
		Grading: "info",
	}
	RuleTruncated = finding.Rule{
		ID:    "exhunt-findings-truncated",
		Title: "More findings of one rule than are listed",
		Remediation: "The evidence holds more matching lines than the report lists (see --max-findings-per-file " +
			"and --max-findings); the listed ones are the first found. Every one is counted in the verdict.",
		Grading: "info",
	}
	RuleAttackerActivity = finding.Rule{
		ID:    "attacker-activity",
		Title: "Request by a client that exploited the server or used a web shell",
		Remediation: "Background for the attacker's session: every request of this client in the HttpProxy and IIS " +
			"logs, so the mailboxes it reached and the pages it used are known. Not a finding on its own.",
		Grading: "info",
	}
	// RuleScanError is the rule id under which flat formats (JSON Lines,
	// CSV) carry scan errors, so that every line has the same shape.
	RuleScanError = finding.Rule{
		ID:      "exhunt-scan-error",
		Title:   "Could not read or parse part of the input",
		Grading: "info",
	}
)

// Rules lists the scan's own rules.
func Rules() []*finding.Rule {
	return []*finding.Rule{&RuleLogCoverage, &RuleLogMissing, &RuleScope, &RuleTruncated, &RuleAttackerActivity, &RuleScanError}
}

// Planned are checks of the 2021 campaign that this version of exhunt does
// not perform; each is listed among the checks not run, with why, in every
// verdict.
func Planned() []detect.Check {
	return nil
}
