package scan

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/testserver"
)

// TestIncidentTimeline scans the generated multi-actor incident (a
// successful attacker, a prober, a failed writer, an indicator address
// with plain traffic) and checks the story the report tells against what
// the generator wrote: the milestones to the second, the attackers'
// outcomes, and the mailbox the successful one read.
func TestIncidentTimeline(t *testing.T) {
	dir := t.TempDir()
	man, err := testserver.Generate(dir, testserver.DemoOptions())
	if err != nil {
		t.Fatal(err)
	}
	res := runScan(t, dir, Config{})
	if res.Timeline == nil {
		t.Fatal("no timeline")
	}
	got := map[string]time.Time{}
	for _, m := range res.Timeline.Milestones {
		got[m.Name] = m.Time
		if len(m.Findings) == 0 {
			t.Errorf("milestone %s cites no finding", m.Name)
		}
	}
	ms := man.Milestones
	for _, w := range []struct {
		name string
		want time.Time
	}{
		{result.MilestoneFirstAttempt, ms.FirstAttempt},
		{result.MilestoneFirstSuccess, ms.FirstExploitation},
		{result.MilestoneFirstShellWritten, ms.FirstWebshellWritten},
		{result.MilestoneFirstShellUse, ms.FirstWebshellUse},
		{result.MilestoneLastShellUse, ms.LastWebshellUse},
		{result.MilestoneLastActivity, ms.LastActivity},
	} {
		g, ok := got[w.name]
		if !ok || !g.Truncate(time.Second).Equal(w.want.Truncate(time.Second)) {
			t.Errorf("%s = %v, want %v", w.name, g, w.want)
		}
	}
	// The registry keeps the update's install date, not its time.
	if p, ok := got[result.MilestonePatched]; !ok || p.Format("2006-01-02") != ms.Patched.Format("2006-01-02") {
		t.Errorf("patched = %v, want the day of %v", p, ms.Patched)
	}

	outcome := map[string]string{}
	for _, s := range res.Sessions {
		outcome[s.SourceIP] = s.Outcome
	}
	for _, a := range man.Actors {
		got := outcome[a.IP]
		switch {
		case a.Outcome == testserver.OutcomeSuccessful && got != "successful":
			t.Errorf("actor %s (%s): session outcome %q, want successful", a.IP, a.Note, got)
		case a.Outcome != testserver.OutcomeSuccessful && got == "successful":
			t.Errorf("actor %s (%s) only probed, but its session says successful", a.IP, a.Note)
		}
	}
	// The web shell's command under w3wp.exe, in the Security log, joins
	// the session of the client whose shell request came at that time.
	var successful string
	for _, a := range man.Actors {
		if a.Outcome == testserver.OutcomeSuccessful {
			successful = a.IP
		}
	}
	joined := false
	for _, j := range res.Joins {
		if j.By == result.JoinSameTime && slices.Contains(j.SourceIPs, successful) && strings.Contains(strings.Join(j.Findings, " "), "evtx-webserver-shell") {
			joined = true
		}
	}
	for _, s := range res.Sessions {
		if s.SourceIP == successful && !strings.Contains(strings.Join(s.Findings, " "), "evtx-webserver-shell") {
			t.Errorf("the session of %s lacks the shell's process: %v", successful, s.Findings)
		}
	}
	if !joined {
		t.Errorf("no same_time join of the shell's process to %s: %+v", successful, res.Joins)
	}

	var boxes []string
	for _, m := range res.Mailboxes {
		boxes = append(boxes, strings.ToLower(m.Address))
	}
	for _, want := range man.Mailboxes {
		if !strings.Contains(strings.Join(boxes, " "), strings.ToLower(want)) {
			t.Errorf("mailbox %s not listed (have %v)", want, boxes)
		}
	}
}

// TestCampaignAcrossServers scans a case of three servers, two attacked by
// the same actor and one clean, and checks that the run's summary shows
// one campaign: the attacker's address, user agent and shell names on the
// two attacked servers, and nothing of the clean one.
func TestCampaignAcrossServers(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"EX01", "EX02", "EX03"} {
		opt := testserver.DemoOptions()
		opt.HostName, opt.Seed = name, int64(i+1)
		opt.Attacks = name != "EX03"
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := testserver.Generate(filepath.Join(dir, name), opt); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Run(context.Background(), Config{Roots: []string{dir}})
	if err != nil || len(rep.Servers) != 3 {
		t.Fatalf("Run: %v, %d servers", err, len(rep.Servers))
	}
	c := rep.Summary().Campaign
	if c == nil {
		t.Fatal("no campaign in the summary")
	}
	servers := func(list []result.CampaignIndicator, value string) []string {
		for _, ci := range list {
			if ci.Value == value {
				var out []string
				for _, s := range ci.Servers {
					out = append(out, s.Name)
				}
				sort.Strings(out)
				return out
			}
		}
		return nil
	}
	if got := servers(c.SourceIPs, "203.0.113.45"); strings.Join(got, ",") != "EX01,EX02" {
		t.Errorf("attacker address on %v, want EX01,EX02", got)
	}
	if got := servers(c.WebshellNames, "discover.aspx"); strings.Join(got, ",") != "EX01,EX02" {
		t.Errorf("shell name on %v, want EX01,EX02", got)
	}
	for _, lists := range [][]result.CampaignIndicator{c.SourceIPs, c.UserAgents, c.WebshellNames} {
		for _, ci := range lists {
			for _, s := range ci.Servers {
				if s.Name == "EX03" {
					t.Errorf("the clean server is in the campaign: %s", ci.Value)
				}
			}
		}
	}
}
