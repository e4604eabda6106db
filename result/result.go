// Package result is what a scan run produces, for every report writer: one
// Server value per scanned server (what is known of it, the verdict, the
// findings, errors and log coverage) and the Report of the whole run.
//
// It depends on the finding model alone, so writers depend on the result,
// never on the scan or on detectors.
package result

import (
	"sort"
	"strings"
	"time"

	"github.com/exhunt/exhunt/finding"
)

// SchemaVersion is the version of the JSON report's shape. It grows when a
// field changes meaning or goes away; new fields do not change it.
const SchemaVersion = 2

// Verdict levels, from the contract: critical or high findings mean the
// server was (most likely) compromised; medium or low ones mean attempts
// or things a person must look at; "inconclusive" means the scan found
// nothing of Exchange to examine, so silence would mean nothing.
const (
	VerdictCompromised  = "compromised"
	VerdictAttempted    = "exploitation-attempted"
	VerdictClean        = "no-evidence-found"
	VerdictInconclusive = "inconclusive"
)

// Exit statuses of the contract.
const (
	ExitClean        = 0 // finished, nothing medium or above
	ExitFindings     = 1 // finished, something medium or above
	ExitFailed       = 2 // could not scan, or the scan did not finish
	ExitInconclusive = 3 // finished, but nothing of Exchange was examined
)

// Tool names the program that wrote a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Scan identifies one run of exhunt: every server and every JSON Lines
// record of the run carries its id.
type Scan struct {
	ID      string    `json:"id"`
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended"`
}

// Identity is who a server is, with where each answer came from.
type Identity struct {
	HostName       string   `json:"host_name,omitempty"`
	HostNameSource string   `json:"host_name_source,omitempty"`
	Domain         string   `json:"domain,omitempty"`
	FQDN           string   `json:"fqdn,omitempty"`
	Windows        string   `json:"windows,omitempty"`
	Exchange       string   `json:"exchange_version,omitempty"`
	ExchangeSource string   `json:"exchange_version_source,omitempty"`
	Roles          []string `json:"exchange_roles,omitempty"`
}

// Volume is a drive of the server and the folder that holds its copy.
type Volume struct {
	Letter string `json:"letter"`
	Dir    string `json:"dir"`
}

// ServerInfo is what is known of a scanned server: who it is, what the
// scanned folder was recognised as, and where Exchange and IIS were found.
type ServerInfo struct {
	// Name is the host name, else the scanned folder's name.
	Name string `json:"name"`
	Identity
	// RootKind is what the scanned folder was recognised as
	// (system-drive, exchange-folder, exchange-logging-folder,
	// exchange-log-folder, unrecognised).
	RootKind       string   `json:"root_kind"`
	RootKindDetail string   `json:"root_kind_detail,omitempty"`
	Volumes        []Volume `json:"volumes,omitempty"`
	ExchangeDir    string   `json:"exchange_dir,omitempty"`
	ExchangeSource string   `json:"exchange_source,omitempty"`
	// Exchange2010Dir is Exchange 2010's folder (V14) on a server with
	// no later Exchange: the Exchange log checks are for 2013 and later.
	Exchange2010Dir string   `json:"exchange_2010_dir,omitempty"`
	InstallPath     string   `json:"install_path,omitempty"`
	LoggingDir      string   `json:"logging_dir,omitempty"`
	WebRoot         string   `json:"web_root,omitempty"`
	WebRootSource   string   `json:"web_root_source,omitempty"`
	Notes           []string `json:"notes,omitempty"`
}

// Coverage is how far back one log folder's evidence reaches.
type Coverage struct {
	Family string    `json:"family"`
	Folder string    `json:"folder,omitempty"`
	Dir    string    `json:"dir"`
	Files  int       `json:"files"`
	Bytes  int64     `json:"bytes"`
	Oldest time.Time `json:"oldest,omitzero"`
	Newest time.Time `json:"newest,omitzero"`
}

// Stats are the scan's own numbers for one server.
type Stats struct {
	LogFiles  int           `json:"log_files"`
	LogBytes  int64         `json:"log_bytes"`
	Files     int           `json:"files_inspected"`
	Started   time.Time     `json:"started"`
	Ended     time.Time     `json:"ended"`
	Duration  time.Duration `json:"-"`
	DurationS float64       `json:"duration_seconds"`
	// Findings counts every finding the rules raised, including those the
	// report does not list because of the bounds (see Truncated).
	Findings int `json:"findings_raised"`
	// Truncated counts findings left out of the report by the bounds.
	Truncated int `json:"findings_not_listed,omitempty"`
}

// CheckStatus is one check of the scan and whether it ran.
type CheckStatus struct {
	ID    string   `json:"id"`
	Title string   `json:"title"`
	CVEs  []string `json:"cves,omitempty"`
	// Why says why a check did not run.
	Why string `json:"why,omitempty"`
}

// Exposure states.
const (
	ExposureVulnerable = "vulnerable"
	ExposurePatched    = "patched"
	ExposureUnknown    = "unknown"
)

// Exposure answers "is the server vulnerable now?", apart from whether it
// was attacked.
type Exposure struct {
	State     string `json:"state"`
	Answer    string `json:"answer"`
	Build     string `json:"build,omitempty"`
	Precision string `json:"build_precision,omitempty"`
	// Missing are the critical CVEs the build has no fix for.
	Missing []string `json:"missing_cves,omitempty"`
	// PatchedAt is when the last update was installed, when known.
	PatchedAt *time.Time `json:"patched_at,omitempty"`
	// Mitigations are the temporary mitigations in place: mitigated,
	// never fixed.
	Mitigations []string `json:"mitigations,omitempty"`
}

// NotCheckedPrefix starts the caveat that names a check that did not run.
const NotCheckedPrefix = "Not checked: "

// Verdict is the one answer on top of a server's report.
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
	// Caveats are the limits of this verdict a reader must know.
	Caveats   []string `json:"caveats,omitempty"`
	NextSteps []string `json:"next_steps"`
	// Counts are the findings per severity.
	Counts map[string]int `json:"counts"`
	// ChecksRun and ChecksNotRun list every check of this version of
	// exhunt: those that had input, and those that did not, with why.
	ChecksRun    []CheckStatus `json:"checks_run"`
	ChecksNotRun []CheckStatus `json:"checks_not_run"`
	// Interrupted is set when the scan stopped before it finished.
	Interrupted bool `json:"interrupted,omitempty"`
	// NothingExamined is set when nothing of an Exchange server was found
	// to examine (a wrong or empty folder): the verdict is inconclusive
	// for that reason, not for evidence out of reach.
	NothingExamined bool `json:"nothing_examined,omitempty"`
	// Exposure says whether the server is vulnerable now.
	Exposure Exposure `json:"vulnerable_now"`
}

// Collection is what a triage collection says of itself.
type Collection struct {
	Tool        string    `json:"tool,omitempty"`
	Host        string    `json:"host,omitempty"`
	Source      string    `json:"source,omitempty"`
	User        string    `json:"user,omitempty"`
	Started     time.Time `json:"started,omitzero"`
	Ended       time.Time `json:"ended,omitzero"`
	Complete    bool      `json:"complete"`
	Interrupted string    `json:"interrupted,omitempty"`
	// Problem says why the collection's record could not be read.
	Problem        string     `json:"problem,omitempty"`
	Since          *time.Time `json:"since,omitempty"`
	Files          int        `json:"files"`
	Bytes          int64      `json:"bytes"`
	Skipped        int        `json:"skipped,omitempty"`
	SkippedBytes   int64      `json:"skipped_bytes,omitempty"`
	SkippedWhy     []string   `json:"skipped_why,omitempty"`
	Failed         int        `json:"failed,omitempty"`
	Partial        int        `json:"partial,omitempty"`
	ManifestSHA256 string     `json:"manifest_sha256,omitempty"`
}

// Server is the result of scanning one server.
type Server struct {
	// Root is the scanned folder on the machine that ran the scan.
	Root     string              `json:"root"`
	Server   ServerInfo          `json:"server"`
	Verdict  Verdict             `json:"verdict"`
	Findings []finding.Finding   `json:"findings"`
	Errors   []finding.ScanError `json:"errors"`
	Coverage []Coverage          `json:"coverage"`
	Stats    Stats               `json:"stats"`
	// Collection is set when the root is a triage collection (an archive
	// of exhunt collect, or the collection script's folder).
	Collection *Collection `json:"collection,omitempty"`

	// The correlation stage's view of the findings: the timeline, the
	// attacker sessions, the mailboxes they name and the joins between
	// findings. All absent on a server without attack evidence.
	Timeline           *Timeline `json:"timeline,omitempty"`
	Sessions           []Session `json:"sessions,omitempty"`
	SessionsNotListed  int       `json:"sessions_not_listed,omitempty"`
	Mailboxes          []Mailbox `json:"mailboxes,omitempty"`
	MailboxesNotListed int       `json:"mailboxes_not_listed,omitempty"`
	// MailboxesExcluded are system mailboxes (health, arbitration,
	// discovery) that attacker evidence names: left out of Mailboxes, and
	// said so.
	MailboxesExcluded []Mailbox `json:"mailboxes_excluded,omitempty"`
	Joins             []Join    `json:"joins,omitempty"`
}

// ExitStatus is the contract's status for this server alone.
func (s *Server) ExitStatus() int {
	evidence, exposure := false, false
	for _, f := range s.Findings {
		if !f.Context && f.Severity >= finding.Medium {
			if f.Exposure {
				exposure = true
			} else {
				evidence = true
			}
		}
	}
	switch {
	case evidence:
		return ExitFindings
	case s.Verdict.Interrupted:
		// Unfinished: a vulnerable build alone does not make it a
		// finished answer.
		return ExitFailed
	case exposure:
		return ExitFindings
	case s.Verdict.Level == VerdictInconclusive:
		return ExitInconclusive
	}
	return ExitClean
}

// Report is a whole run: one or several servers.
type Report struct {
	Tool    Tool      `json:"tool"`
	Scan    Scan      `json:"scan"`
	Servers []*Server `json:"servers"`
	// Skipped are sub-folders of a case folder in which nothing of a
	// server was recognised: not scanned, and said so.
	Skipped []SkippedFolder `json:"skipped,omitempty"`
	// NotReached are servers the run did not get to because it was
	// interrupted.
	NotReached []string `json:"not_reached,omitempty"`
	// Campaign is what the servers share (set by the correlation stage
	// when the run covers several servers).
	Campaign *Campaign `json:"campaign,omitempty"`
}

// SkippedFolder is a folder of a case that was not scanned, with why.
type SkippedFolder struct {
	Dir string `json:"dir"`
	Why string `json:"why"`
}

// exitRank orders statuses for "the worst of all servers": evidence over an
// unfinished scan over an inconclusive one over a clean one.
var exitRank = map[int]int{ExitClean: 0, ExitInconclusive: 1, ExitFailed: 2, ExitFindings: 3}

// ExitStatus is the worst status of all servers.
func (r *Report) ExitStatus() int {
	worst := ExitClean
	if len(r.NotReached) > 0 {
		worst = ExitFailed
	}
	for _, s := range r.Servers {
		if st := s.ExitStatus(); exitRank[st] > exitRank[worst] {
			worst = st
		}
	}
	return worst
}

// Summary is the case view of a run over several servers.
type Summary struct {
	Servers int `json:"servers"`
	// Verdicts counts servers per verdict level.
	Verdicts   map[string]int  `json:"verdicts"`
	ExitStatus int             `json:"exit_status"`
	Table      []SummaryServer `json:"table"`
	// Skipped are folders of a case that were not scanned, with why.
	Skipped []SkippedFolder `json:"skipped,omitempty"`
	// NotReached are servers an interrupted run did not get to.
	NotReached []string `json:"not_reached,omitempty"`
	// SameName lists host names borne by more than one scanned folder:
	// two copies of one server, or a copy given twice.
	SameName []string `json:"same_host_name,omitempty"`
	// Campaign lists attacker addresses, user agents and web shell names
	// seen on more than one server.
	Campaign *Campaign `json:"campaign,omitempty"`
}

// SummaryServer is one line of the case table.
type SummaryServer struct {
	Name            string     `json:"name"`
	Root            string     `json:"root"`
	Verdict         string     `json:"verdict"`
	FirstCompromise *time.Time `json:"first_compromise,omitempty"`
	Exchange        string     `json:"exchange_version,omitempty"`
	// Vulnerable is the exposure state; PatchedAt when the last update was
	// installed.
	Vulnerable string     `json:"vulnerable_now"`
	PatchedAt  *time.Time `json:"patched_at,omitempty"`
	Mitigated  bool       `json:"mitigated"`
	ExitStatus int        `json:"exit_status"`
}

// Summary tells, server by server, what the run found.
func (r *Report) Summary() Summary {
	sum := Summary{Servers: len(r.Servers), Verdicts: map[string]int{}, ExitStatus: r.ExitStatus(), Skipped: r.Skipped, NotReached: r.NotReached,
		Campaign: r.Campaign}
	names := map[string]int{}
	for _, s := range r.Servers {
		if s.Server.HostName != "" {
			names[strings.ToLower(s.Server.HostName)]++
			if names[strings.ToLower(s.Server.HostName)] == 2 {
				sum.SameName = append(sum.SameName, s.Server.HostName)
			}
		}
		sum.Verdicts[s.Verdict.Level]++
		sum.Table = append(sum.Table, SummaryServer{
			Name: s.Server.Name, Root: s.Root, Verdict: s.Verdict.Level,
			FirstCompromise: s.Verdict.FirstCompromise, Exchange: s.Server.Exchange, ExitStatus: s.ExitStatus(),
			Vulnerable: s.Verdict.Exposure.State, PatchedAt: s.Verdict.Exposure.PatchedAt, Mitigated: len(s.Verdict.Exposure.Mitigations) > 0,
		})
	}
	sort.Strings(sum.SameName)
	return sum
}
