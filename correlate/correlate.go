// Package correlate is the stage after detection that turns a server's
// findings into the story a responder needs: when the attack began and
// whether it worked (the timeline's milestones, the exposure window and the
// periods the logs do not reach), who did it (attacker sessions, one per
// client address), what they touched (web shells, written files, the
// mailboxes their requests name) and, over a run of several servers, what
// the servers share (the campaign).
//
// It never reads files: everything comes from the findings, the log
// coverage and the verdict already in the result, so it runs the same on a
// live scan, a copy, or a report read back. Its output is sorted and
// bounded, so two runs give byte-identical reports.
//
// Findings without a client address (files on disk, ECP Server and
// OABGenerator log lines) belong to no session; they are joined to
// sessions and to each other by what they share: the msExchEcpCanary
// value of an ECP session, a written file's path, a requested file's URL
// path (see Join).
package correlate

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

// Bounds of the correlation's lists; what is beyond them is counted.
const (
	// MaxSessions bounds the sessions listed per server. A mass scan can
	// bring thousands of probing clients; the successful ones are kept
	// first.
	MaxSessions = 1000
	// MaxMailboxes bounds the mailboxes listed per server.
	MaxMailboxes = 10000
	// maxSessionFindings bounds the fingerprints listed per session.
	maxSessionFindings = 1000
	// maxCited bounds the findings a milestone or a join cites.
	maxCited = 20
	// maxMailboxSources bounds the reasons listed per mailbox.
	maxMailboxSources = 20
)

// Server correlates one server's findings and stores the timeline,
// sessions, mailboxes and joins in it. A server without attack evidence
// gets none of them. Findings must be final (normalised, with their ids
// and Windows paths), as the scan leaves them.
func Server(s *result.Server) {
	s.Timeline, s.Sessions, s.SessionsNotListed = nil, nil, 0
	s.Mailboxes, s.MailboxesNotListed, s.MailboxesExcluded, s.Joins = nil, 0, nil, nil
	c := newCorrelation(s)
	if len(c.attack) == 0 {
		return
	}
	c.buildSessions()
	c.joinCanaries()
	c.joinPaths()
	c.joinSameTime()
	c.rankSessions()
	c.collectMailboxes()
	s.Sessions, s.SessionsNotListed = c.listSessions()
	s.Joins = c.joins
	s.Mailboxes, s.MailboxesNotListed, s.MailboxesExcluded = c.listMailboxes()
	s.Timeline = c.timeline()
}

// correlation is the working state for one server.
type correlation struct {
	srv *result.Server
	fs  []finding.Finding
	// attack indexes the findings that are evidence of the attack;
	// activity the other requests of the clients the scan followed.
	attack   []int
	activity []int
	// sessions are the attacker clients by normalised address.
	sessions map[string]*session
	// joined maps a finding without a client address to the sessions it
	// was joined to by an ECP canary.
	joined map[int][]*session
	joins  []result.Join
	// mailboxes by kind and lower-case address.
	mailboxes map[string]*mailbox
}

func newCorrelation(s *result.Server) *correlation {
	c := &correlation{srv: s, fs: s.Findings, sessions: map[string]*session{}, joined: map[int][]*session{}, mailboxes: map[string]*mailbox{}}
	for i := range c.fs {
		switch f := &c.fs[i]; {
		case isAttack(f):
			c.attack = append(c.attack, i)
		case f.Rule == ruleAttackerActivity && f.SourceIP != "":
			c.activity = append(c.activity, i)
		}
	}
	return c
}

// ruleAttackerActivity is the scan's rule for the other requests of a
// client that exploited the server (it follows such clients through the
// logs): background for the client's session, its mailboxes and its last
// activity, never evidence on its own.
const ruleAttackerActivity = "attacker-activity"

// stageRank orders the stages as an attack goes through them; 0 is no
// stage (findings about the scan or the server's state).
func stageRank(s finding.Stage) int {
	switch s {
	case finding.StageAttempt:
		return 1
	case finding.StageExploitation:
		return 2
	case finding.StageWebshellWritten:
		return 3
	case finding.StageWebshellUse:
		return 4
	case finding.StagePostExploitation:
		return 5
	}
	return 0
}

// isAttack tells evidence of an attack from findings about the scan, the
// server's state (exposure) and background (context).
func isAttack(f *finding.Finding) bool {
	return stageRank(f.Stage) > 0 && f.Severity >= finding.Low && !f.Context && !f.Exposure
}

// fingerprint is the finding's id as the report lists it. The scan sets
// the id before a path on another volume is made relative to that volume,
// so the id, not a fingerprint recomputed now, is what a reader finds.
func fingerprint(f *finding.Finding) string {
	if f.ID != "" {
		return f.ID
	}
	return f.Fingerprint()
}

// where is how a person finds the evidence: the file as the server names
// it, with the line for logs.
func where(f *finding.Finding) string {
	w := f.WindowsPath
	if w == "" {
		w = f.Path
	}
	if f.Line > 0 {
		w += ":" + strconv.Itoa(f.Line)
	}
	return w
}

// fileTimeKeys are evidence keys that hold a file's own times (the file
// detectors' modified time; created when a source knows it).
var fileTimeKeys = []string{"created", finding.KeyModified}

// basisOf says where a finding's time comes from.
func basisOf(f *finding.Finding) string {
	switch {
	case f.Line > 0:
		return result.BasisLog
	case hasFileTime(f):
		return result.BasisFileTime
	}
	return result.BasisFinding
}

func hasFileTime(f *finding.Finding) bool {
	for _, k := range fileTimeKeys {
		if f.Evidence.Get(k) != "" {
			return true
		}
	}
	return false
}

// earliestTime is the earliest time a finding shows: its own time, and for
// files the file times in its evidence (a creation time before the
// modification time is when the file was first written).
func earliestTime(f *finding.Finding) (time.Time, bool) {
	var t time.Time
	ok := false
	if f.Time != nil {
		t, ok = f.Time.UTC(), true
	}
	if f.Line == 0 {
		for _, k := range fileTimeKeys {
			v := f.Evidence.Get(k)
			if v == "" {
				continue
			}
			ft, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				continue
			}
			if ft = ft.UTC(); !ok || ft.Before(t) {
				t, ok = ft, true
			}
		}
	}
	return t, ok
}

// sortedKeys returns the keys of a set in order.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// timePtr copies a time so results never share it.
func timePtr(t time.Time) *time.Time { return &t }

// requestPath is the URL path a request finding asked for, decoded and
// without query or host, or "".
func requestPath(f *finding.Finding) string {
	p := f.Evidence.Get(finding.KeyURLStem)
	if p == "" || p == "-" {
		p = f.Evidence.Get(finding.KeyW3CStem)
	}
	if p == "" || p == "-" {
		p = f.URL
		if i := strings.Index(p, "://"); i >= 0 {
			p = p[i+3:]
			if j := strings.IndexByte(p, '/'); j >= 0 {
				p = p[j:]
			} else {
				p = "/"
			}
		}
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if p == "" || p == "-" {
		return ""
	}
	return unescapePath(p)
}

// unescapePath decodes %XX escapes; a path with a malformed escape stays
// as it is.
func unescapePath(p string) string {
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}
