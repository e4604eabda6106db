package result

import (
	"time"

	"github.com/exhunt/exhunt/finding"
)

// The correlation stage (package correlate) fills the types of this file
// from a server's findings, coverage and verdict. They live here, beside
// the rest of the result, so that writers read them without depending on
// the stage that computes them.

// Milestone names, from the contract. Each is present only when known.
const (
	MilestoneFirstAttempt      = "first_exploitation_attempt"
	MilestoneFirstSuccess      = "first_successful_exploitation"
	MilestoneFirstShellWritten = "first_webshell_written"
	MilestoneFirstShellUse     = "first_webshell_use"
	MilestoneLastShellUse      = "last_webshell_use"
	MilestoneLastActivity      = "last_attacker_activity"
	MilestonePatched           = "patched"
)

// Where a milestone's time comes from. A log line records when a request
// was made; a file time is what the file system says and an attacker can
// set it to anything; an install date has no time of day.
const (
	BasisLog         = "log"
	BasisFileTime    = "file_time"
	BasisInstallDate = "install_date"
	// BasisFinding is a finding's time of another kind (neither a log
	// line nor a file's times).
	BasisFinding = "finding_time"
)

// Timeline is the story of an attack on one server: its milestones in
// time order, the windows they bound, and the periods the evidence does
// not reach. A server without attack evidence has no timeline.
type Timeline struct {
	// Milestones are in time order.
	Milestones []Milestone `json:"milestones"`
	// Exposure runs from the first exploitation attempt to the fix (or,
	// unpatched, to the last attacker activity and on).
	Exposure *Window `json:"exposure_window,omitempty"`
	// WebshellPresent runs from the first web shell written to its last
	// use, or on while a shell is still on disk.
	WebshellPresent *Window `json:"webshell_present,omitempty"`
	// Gaps are periods and sources the milestones need but the evidence
	// does not reach.
	Gaps []Gap `json:"gaps,omitempty"`
	// Notes are what else a reader of the timeline must know (findings
	// without a time, findings left out by the bounds).
	Notes []string `json:"notes,omitempty"`
}

// Milestone is one named point of the timeline.
type Milestone struct {
	Name string    `json:"name"`
	Time time.Time `json:"time"`
	// Findings are the fingerprints (rule:path:line) of the findings the
	// milestone is built from: those at its time.
	Findings []string `json:"findings"`
	// Basis says where the time comes from (log, file_time,
	// install_date, finding_time).
	Basis string `json:"basis"`
	// Where is the first cited finding's file as the server names it,
	// with its line for logs: the reference a person looks up.
	Where     string   `json:"where,omitempty"`
	SourceIPs []string `json:"source_ips,omitempty"`
	Note      string   `json:"note,omitempty"`
	// LogTime and LogFindings are the same milestone from log evidence
	// alone, given when the milestone's time is a file time (which can be
	// forged) and the logs show the step too.
	LogTime     *time.Time `json:"log_time,omitempty"`
	LogFindings []string   `json:"log_findings,omitempty"`
}

// Window is a period of the timeline, in times and in words. To is
// absent when the period has not ended (Open) or its end is not known.
type Window struct {
	From *time.Time `json:"from,omitempty"`
	// FromMilestone and ToMilestone name the milestones that bound it.
	FromMilestone string     `json:"from_milestone,omitempty"`
	To            *time.Time `json:"to,omitempty"`
	ToMilestone   string     `json:"to_milestone,omitempty"`
	Open          bool       `json:"open,omitempty"`
	Text          string     `json:"text"`
}

// Gap kinds.
const (
	// GapBeforeLogs: a web shell file's time is before the logs begin,
	// so the exploitation that wrote it is not in them.
	GapBeforeLogs = "before_logs"
	// GapLogsStartDuringAttack: attack activity shows in the logs' first
	// day, so it may have begun before they do.
	GapLogsStartDuringAttack = "logs_start_during_attack"
	// GapCampaignBeforeLogs: part of the campaign window (from December
	// 2020) is older than the logs.
	GapCampaignBeforeLogs = "campaign_window_before_logs"
	// GapExposureAfterLogs: the logs end while the server was still
	// vulnerable.
	GapExposureAfterLogs = "exposure_after_logs"
	// GapFamilyMissing: a log family or folder the chain is logged in
	// was not found.
	GapFamilyMissing = "family_missing"
	// GapFilesMissing: a log folder has fewer files than the hours (or
	// days) its coverage spans.
	GapFilesMissing = "files_missing"
)

// Gap is a period or a source the timeline needs and the evidence lacks.
type Gap struct {
	Kind   string     `json:"kind"`
	Family string     `json:"family,omitempty"`
	Folder string     `json:"folder,omitempty"`
	From   *time.Time `json:"from,omitempty"`
	To     *time.Time `json:"to,omitempty"`
	Text   string     `json:"text"`
}

// Session outcomes, from the furthest stage a client reached.
const (
	// OutcomeSuccessful: a finding of exploitation or a later stage with
	// high or critical severity.
	OutcomeSuccessful = "successful"
	// OutcomeAttempted: exploitation or later stages, none of which is
	// graded as having worked.
	OutcomeAttempted = "attempted"
	// OutcomeProbing: attempts and probes only.
	OutcomeProbing = "probing-only"
)

// Session is one attacker client (by normalised address) on one server:
// what it did, when, and what it touched.
type Session struct {
	SourceIP   string     `json:"source_ip"`
	First      *time.Time `json:"first,omitempty"`
	Last       *time.Time `json:"last,omitempty"`
	UserAgents []string   `json:"user_agents,omitempty"`
	Outcome    string     `json:"outcome"`
	// StageReached is the furthest stage with a high or critical
	// finding; Stages every stage seen, in attack order.
	StageReached finding.Stage   `json:"stage_reached,omitempty"`
	Stages       []finding.Stage `json:"stages"`
	// Rules counts the session's findings per rule.
	Rules map[string]int `json:"rules"`
	// Findings are the session's findings (its own and those joined to
	// it by ECP canary), by time; FindingsNotListed counts those beyond
	// the bound.
	Findings          []string `json:"findings"`
	FindingsNotListed int      `json:"findings_not_listed,omitempty"`
	// Webshells are the request paths of its web shell requests.
	Webshells []string `json:"webshells,omitempty"`
	// Files are files on disk tied to the session: written by its
	// requests, or requested by it.
	Files []SessionFile `json:"files,omitempty"`
	// Mailboxes are the addresses its findings name (see the server's
	// mailboxes for why each is listed).
	Mailboxes []string `json:"mailboxes,omitempty"`
	// EcpCanaries are the msExchEcpCanary values of its requests: the
	// ECP session tokens that tie its forged requests to ECP Server log
	// lines.
	EcpCanaries []string `json:"ecp_canaries,omitempty"`
}

// SessionFile is a file on disk tied to a session.
type SessionFile struct {
	Path string `json:"path"`
	// How is written_path (a request of the session wrote it) or
	// request_path (the session requested it).
	How      string   `json:"how"`
	Findings []string `json:"findings"`
}

// Join kinds: how findings without a shared client address are tied.
const (
	// JoinEcpCanary: HttpProxy rows and ECP Server log lines carrying the
	// same msExchEcpCanary value, the same ECP session.
	JoinEcpCanary = "ecp_canary"
	// JoinWrittenPath: a log line naming the file it wrote, and the file
	// found at that path.
	JoinWrittenPath = "written_path"
	// JoinRequestPath: requests for a URL path, and the file that path
	// serves.
	JoinRequestPath = "request_path"
	// JoinSameTime: a process or file the Windows event logs show (a
	// command a web shell ran), and the web shell requests of a client
	// within a few minutes of it.
	JoinSameTime = "same_time"
)

// Join ties findings that share a value: one ECP session, one written
// file, one requested file.
type Join struct {
	By    string `json:"by"`
	Value string `json:"value"`
	// Findings are the fingerprints sharing the value, sorted.
	Findings          []string `json:"findings"`
	FindingsNotListed int      `json:"findings_not_listed,omitempty"`
	SourceIPs         []string `json:"source_ips,omitempty"`
	Note              string   `json:"note,omitempty"`
}

// Mailbox kinds.
const (
	MailboxSMTP     = "smtp"
	MailboxLegacyDN = "legacy_dn"
	MailboxSID      = "sid"
	// MailboxAccount is a logon name (DOMAIN\user or a UPN) the attacker's
	// requests ran as.
	MailboxAccount = "account"
)

// Mailbox is a mailbox or account that attacker evidence names: possibly
// accessed, for breach notification.
type Mailbox struct {
	Address   string     `json:"address"`
	Kind      string     `json:"kind"`
	First     *time.Time `json:"first,omitempty"`
	Last      *time.Time `json:"last,omitempty"`
	SourceIPs []string   `json:"source_ips,omitempty"`
	// Outcome is the best outcome of the sessions whose findings name it,
	// empty when only findings without a client address do.
	Outcome string `json:"outcome,omitempty"`
	// Sources say why it is listed: which finding, which field.
	Sources          []MailboxSource `json:"sources"`
	SourcesNotListed int             `json:"sources_not_listed,omitempty"`
	// Excluded says why a system mailbox is left out of the attacker
	// list.
	Excluded string `json:"excluded,omitempty"`
}

// MailboxSource is one place a mailbox was named.
type MailboxSource struct {
	Finding string `json:"finding"`
	Field   string `json:"field"`
}

// Campaign is what several servers of one run share: attacker addresses,
// user agents and web shell names seen on more than one of them.
type Campaign struct {
	SourceIPs     []CampaignIndicator `json:"source_ips,omitempty"`
	UserAgents    []CampaignIndicator `json:"user_agents,omitempty"`
	WebshellNames []CampaignIndicator `json:"webshell_names,omitempty"`
}

// CampaignIndicator is one value seen on several servers.
type CampaignIndicator struct {
	Value   string           `json:"value"`
	Servers []CampaignServer `json:"servers"`
}

// CampaignServer is where and when a campaign indicator was seen.
type CampaignServer struct {
	Name  string     `json:"name"`
	Root  string     `json:"root"`
	First *time.Time `json:"first,omitempty"`
	Last  *time.Time `json:"last,omitempty"`
	// Outcome is the session's outcome on this server, for addresses.
	Outcome string `json:"outcome,omitempty"`
}
