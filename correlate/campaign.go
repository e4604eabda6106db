package correlate

import (
	"path"
	"sort"
	"strings"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

// maxCampaignIndicators bounds each list of the campaign view.
const maxCampaignIndicators = 1000

// Campaign lists what the attacks on several servers of one run share:
// attacker addresses (those of sessions), their user agents, and web shell
// names (of files on disk and of requests that reached a shell) seen on
// more than one server. Each server must have been correlated (Server)
// first. It returns nil for fewer than two servers or when nothing is
// shared.
func Campaign(servers []*result.Server) *result.Campaign {
	if len(servers) < 2 {
		return nil
	}
	ips, uas, names := newTally(), newTally(), newTally()
	for si, s := range servers {
		actors := map[string]string{}
		for _, sess := range s.Sessions {
			actors[sess.SourceIP] = sess.Outcome
		}
		for i := range s.Findings {
			f := &s.Findings[i]
			if !isAttack(f) {
				continue
			}
			at, _ := earliestTime(f)
			if outcome, ok := actors[f.SourceIP]; ok && f.SourceIP != "" {
				ips.see(f.SourceIP, f.SourceIP, si, at, outcome)
				if f.UserAgent != "" {
					uas.see(f.UserAgent, f.UserAgent, si, at, "")
				}
			}
			switch {
			case isShellFile(f) && f.Severity >= finding.High:
				if n := path.Base(f.Path); n != "." && n != "/" {
					names.see(strings.ToLower(n), n, si, at, "")
				}
			case f.Stage == finding.StageWebshellUse && f.Severity >= finding.High:
				if p := requestPath(f); p != "" {
					if n := path.Base(p); n != "." && n != "/" {
						names.see(strings.ToLower(n), n, si, at, "")
					}
				}
			}
		}
	}
	c := &result.Campaign{
		SourceIPs:     ips.shared(servers),
		UserAgents:    uas.shared(servers),
		WebshellNames: names.shared(servers),
	}
	if c.SourceIPs == nil && c.UserAgents == nil && c.WebshellNames == nil {
		return nil
	}
	return c
}

// tally counts where each value was seen: per server, the first and last
// time and the session's outcome.
type tally struct {
	spelling map[string]string
	seen     map[string]map[int]*result.CampaignServer
}

func newTally() *tally {
	return &tally{spelling: map[string]string{}, seen: map[string]map[int]*result.CampaignServer{}}
}

func (t *tally) see(key, spelling string, server int, at time.Time, outcome string) {
	if _, ok := t.spelling[key]; !ok {
		t.spelling[key] = spelling
		t.seen[key] = map[int]*result.CampaignServer{}
	}
	cs := t.seen[key][server]
	if cs == nil {
		cs = &result.CampaignServer{Outcome: outcome}
		t.seen[key][server] = cs
	}
	if at.IsZero() {
		return
	}
	at = at.UTC()
	if cs.First == nil || at.Before(*cs.First) {
		cs.First = timePtr(at)
	}
	if cs.Last == nil || at.After(*cs.Last) {
		cs.Last = timePtr(at)
	}
}

// shared lists the values seen on two servers or more: most servers
// first, then by value; servers in the run's order.
func (t *tally) shared(servers []*result.Server) []result.CampaignIndicator {
	var out []result.CampaignIndicator
	for key, per := range t.seen {
		if len(per) < 2 {
			continue
		}
		idx := make([]int, 0, len(per))
		for i := range per {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		ind := result.CampaignIndicator{Value: t.spelling[key]}
		for _, i := range idx {
			cs := *per[i]
			cs.Name, cs.Root = servers[i].Server.Name, servers[i].Root
			ind.Servers = append(ind.Servers, cs)
		}
		out = append(out, ind)
	}
	sort.Slice(out, func(a, b int) bool {
		if len(out[a].Servers) != len(out[b].Servers) {
			return len(out[a].Servers) > len(out[b].Servers)
		}
		return out[a].Value < out[b].Value
	})
	if len(out) > maxCampaignIndicators {
		out = out[:maxCampaignIndicators]
	}
	return out
}
