package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

// The text report's view of the correlation stage: the timeline, the
// attackers and the mailboxes they name, and the campaign across servers.
// Every value that can come from evidence goes through Terminal.

// Bounds of the text report's correlation lists; the JSON report has them
// all.
const (
	maxTextSessions  = 100
	maxTextMailboxes = 50
	maxTextPerLine   = 3
)

// milestoneLabels say the contract's milestone names in words.
var milestoneLabels = map[string]string{
	result.MilestoneFirstAttempt:      "first exploitation attempt",
	result.MilestoneFirstSuccess:      "first successful exploitation",
	result.MilestoneFirstShellWritten: "first web shell written",
	result.MilestoneFirstShellUse:     "first web shell use",
	result.MilestoneLastShellUse:      "last web shell use",
	result.MilestoneLastActivity:      "last attacker activity",
	result.MilestonePatched:           "patched",
}

// clock is a timeline time: date and time of day, or the date alone for an
// install date.
func clock(t time.Time, basis string) string {
	u := t.UTC()
	if basis == result.BasisInstallDate && u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0 {
		return u.Format("2006-01-02")
	}
	return u.Format("2006-01-02 15:04:05")
}

// between is a period, with the second date left out when it is the same
// day.
func between(from, to *time.Time) string {
	switch {
	case from == nil && to == nil:
		return "time unknown"
	case from == nil:
		return "to " + to.UTC().Format("2006-01-02 15:04:05")
	case to == nil || to.Equal(*from):
		return from.UTC().Format("2006-01-02 15:04:05")
	}
	a, b := from.UTC(), to.UTC()
	if a.Format("2006-01-02") == b.Format("2006-01-02") {
		return a.Format("2006-01-02 15:04:05") + " to " + b.Format("15:04:05")
	}
	return a.Format("2006-01-02 15:04:05") + " to " + b.Format("2006-01-02 15:04:05")
}

// some joins up to maxTextPerLine escaped values and counts the rest.
func some(values []string, sep string) string {
	shown := values
	if len(shown) > maxTextPerLine {
		shown = shown[:maxTextPerLine]
	}
	out := make([]string, len(shown))
	for i, v := range shown {
		out[i] = Terminal(v)
	}
	s := strings.Join(out, sep)
	if n := len(values) - len(shown); n > 0 {
		s += fmt.Sprintf("%s(%d more)", sep, n)
	}
	return s
}

// timeline prints the milestones in time order, each with where its
// evidence is, then the exposure and web shell windows and the gaps.
func (t *textWriter) timeline(res *result.Server) {
	tl := res.Timeline
	if tl == nil {
		return
	}
	t.printf("\n%s\n", t.color(ansiBold, "TIMELINE (UTC)"))
	const indent = "                       "
	for _, m := range tl.Milestones {
		line := fmt.Sprintf("  %-19s  %-30s", clock(m.Time, m.Basis), milestoneLabels[m.Name])
		if len(m.SourceIPs) > 0 {
			line += " from " + some(m.SourceIPs, ", ")
		}
		t.printf("%s\n", strings.TrimRight(line, " "))
		if m.Where != "" {
			ref := Terminal(m.Where)
			switch m.Basis {
			case result.BasisFileTime:
				ref += " (file time)"
			case result.BasisInstallDate:
				ref += " (update install date)"
			}
			t.printf("%s%s\n", indent, ref)
		}
		if m.Note != "" && m.Basis != result.BasisInstallDate {
			t.printf("%snote: %s\n", indent, Terminal(m.Note))
		}
	}
	if len(tl.Milestones) == 0 {
		t.printf("  no finding of the attack has a time\n")
	}
	if w := tl.Exposure; w != nil {
		t.printf("  Exposure window: %s\n", Terminal(w.Text))
	}
	if w := tl.WebshellPresent; w != nil {
		t.printf("  Web shell present: %s\n", Terminal(w.Text))
	}
	if len(tl.Gaps) > 0 {
		t.printf("  %s\n", t.color(ansiYellow, fmt.Sprintf("Gaps in the evidence (%d):", len(tl.Gaps))))
		for _, g := range tl.Gaps {
			t.printf("    - %s\n", Terminal(g.Text))
		}
	}
	for _, n := range tl.Notes {
		t.printf("  %s %s\n", t.color(ansiYellow, "Note:"), Terminal(n))
	}
}

// attackers prints one line per attacker session.
func (t *textWriter) attackers(res *result.Server) {
	if len(res.Sessions) == 0 {
		return
	}
	total := len(res.Sessions) + res.SessionsNotListed
	t.printf("\n%s\n", t.color(ansiBold, fmt.Sprintf("ATTACKERS (%d client address(es), by first activity)", total)))
	for i, s := range res.Sessions {
		if i == maxTextSessions {
			t.printf("  ... and %d more (--format json lists them)\n", total-maxTextSessions)
			break
		}
		outcome := s.Outcome
		if s.StageReached != "" {
			outcome += " (" + string(s.StageReached) + ")"
		}
		if s.Outcome == result.OutcomeSuccessful {
			outcome = t.color(ansiRed, outcome)
		}
		n := len(s.Findings) + s.FindingsNotListed
		parts := []string{Terminal(s.SourceIP), between(s.First, s.Last), outcome}
		if len(s.UserAgents) > 0 {
			parts = append(parts, "UA "+some(s.UserAgents, " | "))
		}
		if len(s.Webshells) > 0 {
			parts = append(parts, "web shells "+some(s.Webshells, ", "))
		}
		written := 0
		for _, f := range s.Files {
			if f.How == result.JoinWrittenPath {
				written++
			}
		}
		if written > 0 {
			parts = append(parts, fmt.Sprintf("%d file(s) written", written))
		}
		if len(s.Mailboxes) > 0 {
			parts = append(parts, "mailboxes "+some(s.Mailboxes, ", "))
		}
		if len(s.EcpCanaries) > 0 {
			parts = append(parts, "ECP canary "+some(s.EcpCanaries, ", "))
		}
		parts = append(parts, fmt.Sprintf("%d finding(s)", n))
		t.printf("  - %s\n", strings.Join(parts, "  "))
	}
	if res.SessionsNotListed > 0 && len(res.Sessions) <= maxTextSessions {
		t.printf("  ... and %d more not listed (bounds); the successful ones are listed first\n", res.SessionsNotListed)
	}
}

// mailboxes prints the mailboxes attacker evidence names, with why each is
// listed, and the system mailboxes left out.
func (t *textWriter) mailboxes(res *result.Server) {
	if res.Timeline == nil {
		return
	}
	total := len(res.Mailboxes) + res.MailboxesNotListed
	if total == 0 && len(res.MailboxesExcluded) == 0 {
		t.printf("\n%s\n", t.color(ansiBold, "MAILBOXES POSSIBLY ACCESSED: none named"))
		t.printf("  No attacker evidence names a mailbox. Forged back-end requests name a server, not a mailbox, and what a web\n")
		t.printf("  shell or a stolen session read leaves no name in these logs: absence here is no proof of no access.\n")
		return
	}
	byID := map[string]*finding.Finding{}
	for i := range res.Findings {
		f := &res.Findings[i]
		byID[f.ID] = f
	}
	if total > 0 {
		t.printf("\n%s\n", t.color(ansiBold, fmt.Sprintf("MAILBOXES POSSIBLY ACCESSED (%d): named by attacker evidence, for breach notification", total)))
		for i, m := range res.Mailboxes {
			if i == maxTextMailboxes {
				t.printf("  ... and %d more (--format json lists all)\n", total-maxTextMailboxes)
				break
			}
			line := fmt.Sprintf("  - %s (%s)  %s", Terminal(m.Address), m.Kind, between(m.First, m.Last))
			if len(m.SourceIPs) > 0 {
				by := "by " + some(m.SourceIPs, ", ")
				if m.Outcome != "" {
					by += " (" + m.Outcome + ")"
				}
				line += "  " + by
			}
			if len(m.Sources) > 0 {
				src := m.Sources[0]
				ref := src.Finding
				if f := byID[src.Finding]; f != nil {
					ref = where(f)
				}
				line += "  from " + Terminal(src.Field) + " at " + Terminal(ref)
				if n := len(m.Sources) - 1 + m.SourcesNotListed; n > 0 {
					line += fmt.Sprintf(" and %d more", n)
				}
			}
			t.printf("%s\n", line)
		}
		if res.MailboxesNotListed > 0 && len(res.Mailboxes) < maxTextMailboxes {
			t.printf("  ... and %d more not listed (bounds)\n", res.MailboxesNotListed)
		}
	}
	if len(res.MailboxesExcluded) > 0 {
		t.printf("  Left out, Exchange's or Windows' own (%d):", len(res.MailboxesExcluded))
		for i, m := range res.MailboxesExcluded {
			if i == maxTextPerLine {
				t.printf(" and %d more", len(res.MailboxesExcluded)-maxTextPerLine)
				break
			}
			sep := ","
			if i == 0 {
				sep = ""
			}
			t.printf("%s %s (%s)", sep, Terminal(m.Address), Terminal(m.Excluded))
		}
		t.printf("\n")
	}
}

// where is a finding's file as the server names it, with the line.
func where(f *finding.Finding) string {
	w := f.WindowsPath
	if w == "" {
		w = f.Path
	}
	if f.Line > 0 {
		w += fmt.Sprintf(":%d", f.Line)
	}
	return w
}

// campaign prints what the servers of a case share.
func (t *textWriter) campaign(c *result.Campaign) {
	if c == nil {
		return
	}
	t.printf("\n%s\n", t.color(ansiBold, "CAMPAIGN: seen on more than one server"))
	lists := []struct {
		what string
		list []result.CampaignIndicator
	}{{"address", c.SourceIPs}, {"user agent", c.UserAgents}, {"web shell name", c.WebshellNames}}
	for _, l := range lists {
		for i, ind := range l.list {
			if i == maxTextSessions {
				t.printf("  ... and %d more of this kind (--format json lists all)\n", len(l.list)-maxTextSessions)
				break
			}
			// Two copies of one server bear one name: their folders tell
			// them apart.
			names := map[string]int{}
			for _, s := range ind.Servers {
				names[strings.ToLower(s.Name)]++
			}
			var on []string
			for _, s := range ind.Servers {
				name := s.Name
				if names[strings.ToLower(s.Name)] > 1 {
					name += " [" + s.Root + "]"
				}
				x := Terminal(name) + " (" + between(s.First, s.Last)
				if s.Outcome != "" {
					x += ", " + s.Outcome
				}
				on = append(on, x+")")
			}
			t.printf("  %s %s: %s\n", l.what, Terminal(ind.Value), strings.Join(on, "; "))
		}
	}
}
