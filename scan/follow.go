package scan

import (
	"context"
	"sort"
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/scope"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

// maxFollowed bounds the clients followed through the logs.
const maxFollowed = 1000

// attackers are the clients the findings show exploiting the server or
// using a web shell: the ones whose every other request matters (which
// mailboxes they read, what they ran). Clients that only probed are not
// followed; their attempts are findings already.
func attackers(findings []finding.Finding) map[string]bool {
	out := map[string]bool{}
	for i := range findings {
		f := &findings[i]
		if f.Context || f.Exposure || f.Line == 0 || f.Severity < finding.High {
			continue
		}
		switch f.Stage {
		case finding.StageExploitation, finding.StageWebshellWritten, finding.StageWebshellUse, finding.StagePostExploitation:
		default:
			continue
		}
		ip := f.SourceIP
		if ip == "" {
			ip = finding.NormaliseIP(f.Evidence.Get(finding.KeyClientIP))
		}
		if ip == "" {
			ip = finding.NormaliseIP(f.Evidence.Get(finding.KeyW3CClientIP))
		}
		if ip == "" || len(out) >= maxFollowed {
			continue
		}
		out[ip] = true
	}
	return out
}

// follower is the detector of the second pass: it lists every request of
// the followed clients, in the families that log clients.
type follower struct {
	family detect.LogFamily
	ips    map[string]bool
}

func (f follower) Name() string             { return "follow-attackers" }
func (f follower) Family() detect.LogFamily { return f.family }
func (f follower) Literals() []string       { return nil }
func (f follower) Check() detect.Check {
	return detect.Check{ID: "follow-attackers", Title: "Every request of the clients that exploited the server"}
}
func (f follower) Rules() []*finding.Rule { return []*finding.Rule{&scope.RuleAttackerActivity} }

func (f follower) WatchClients(*detect.Context) func([]byte) bool {
	return detect.RepeatedAddresses(func(addr []byte) bool {
		if f.ips[string(addr)] {
			return true
		}
		return strings.ContainsAny(string(addr), ":[%") && f.ips[finding.NormaliseIP(string(addr))]
	})
}

// activityFields are the fields of a followed request worth keeping, by
// the names the HttpProxy and IIS logs give them.
var activityFields = []string{
	finding.KeyDateTime, finding.KeyClientIP, finding.KeyMethod, finding.KeyURLHost, finding.KeyURLStem, finding.KeyURLQuery,
	"Protocol", "AuthenticatedUser", "AnchorMailbox", finding.KeyHTTPStatus, finding.KeyUserAgent, "TargetServer", finding.KeyRequestID,
	"date", "time", finding.KeyW3CClientIP, finding.KeyW3CMethod, finding.KeyW3CStem, finding.KeyW3CQuery, finding.KeyW3CPort,
	finding.KeyW3CUserName, finding.KeyW3CStatus, finding.KeyW3CUserAgent,
}

func (f follower) ClientHints(*detect.Context) [][]byte {
	addrs := make([]string, 0, len(f.ips))
	for ip := range f.ips {
		addrs = append(addrs, ip)
	}
	return detect.IPv4Hints(addrs)
}

func (f follower) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	var ev finding.Evidence
	for _, name := range activityFields {
		if !rec.Has(name) {
			continue
		}
		if v := rec.Get(name); v != "" && v != "-" {
			ev = append(ev, finding.Field{Name: name, Value: v})
		}
	}
	at, _ := rec.Time()
	fd := scope.RuleAttackerActivity.New(finding.Info, rec.Path, rec.Line, at, ev)
	fd.Context = true
	emit(fd)
}

// followAttackers returns how many clients it followed. It reads the HttpProxy and IIS logs a second time for every
// request of the clients that exploited the server, so the attacker
// sessions show all they did (the mailboxes read through EWS or OWA, the
// pages loaded) and not only the requests that were findings.
func followAttackers(ctx context.Context, cfg Config, dctx *detect.Context, plan logPlan, clients map[string]*clientFilter, col *collector) int {
	col.mu.Lock()
	ips := attackers(col.findings)
	seen := map[[2]any]bool{}
	for i := range col.findings {
		if f := &col.findings[i]; f.Line > 0 {
			seen[[2]any{f.Path, f.Line}] = true
		}
	}
	col.mu.Unlock()
	if len(ips) == 0 || ctx.Err() != nil {
		return 0
	}
	// Only the files in which a followed client may appear are read
	// again (a file whose clients were not all seen is read anyway).
	var jobs []logJob
	for _, j := range plan.jobs {
		if j.in.Family != detect.HttpProxy && j.in.Family != detect.IIS {
			continue
		}
		f, known := clients[j.in.Path]
		for ip := range ips {
			if !known || f.mayHold(ip) {
				jobs = append(jobs, j)
				break
			}
		}
	}
	if len(jobs) == 0 {
		return 0
	}
	sort.SliceStable(jobs, func(a, b int) bool { return jobs[a].in.Size > jobs[b].in.Size })
	second := cfg
	second.LogDetectors = []detect.LogDetector{follower{detect.HttpProxy, ips}, follower{detect.IIS, ips}}
	// The lines that are findings already are not listed twice.
	emit := newCollector(cfg.MaxFindingsPerFile, cfg.MaxFindings)
	var stats result.Stats
	runLogsAs(ctx, second, dctx, logPlan{jobs: jobs}, emit, &stats, "following the attackers", false)
	// The first pass listed every problem of these files; the bounds of
	// this pass's own collector keep a client with millions of requests
	// to the first thousand per file.
	for _, f := range emit.findings {
		if !seen[[2]any{f.Path, f.Line}] {
			col.add(f)
		}
	}
	return len(ips)
}
