package scan

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/scope"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/source"
	"github.com/exhunt/exhunt/source/literal"
)

// logJob is one log file to read, with the source that reads it.
type logJob struct {
	src int
	in  source.Input
}

// logPlan is the log files of a server, of every source.
type logPlan struct {
	jobs []logJob
	// found lists, per family, the folders that exist.
	found map[detect.LogFamily][]string
	// missing are the families with no file to read.
	missing []source.Missing
	// interrupted is set when the scan was cancelled before every source
	// listed its files.
	interrupted bool
}

// planLogs asks every source for its files.
func planLogs(ctx context.Context, s *facts.Server, sources []source.Source, col *collector) logPlan {
	plan := logPlan{found: map[detect.LogFamily][]string{}}
	for i, src := range sources {
		if ctx.Err() != nil {
			plan.interrupted = true
			plan.missing = nil // not looked for is not missing
			break
		}
		p := src.Plan(ctx, s, func(path, msg string) { col.error(path, 0, msg) })
		for _, in := range p.Inputs {
			plan.jobs = append(plan.jobs, logJob{src: i, in: in})
		}
		for f, dirs := range p.Found {
			plan.found[f] = append(plan.found[f], dirs...)
		}
		plan.missing = append(plan.missing, p.Missing...)
	}
	// Largest first keeps every worker busy to the end.
	sort.SliceStable(plan.jobs, func(i, j int) bool { return plan.jobs[i].in.Size > plan.jobs[j].in.Size })
	return plan
}

// detectorGroup is the log detectors that apply to one folder of one
// family, with what the reader needs from them: the union of their literals
// and the OR of their raw-line prechecks.
type detectorGroup struct {
	detectors []detect.LogDetector
	matcher   *literal.Matcher
	// prechecks is empty when some detector wants every line that holds a
	// literal.
	prechecks []func([]byte) bool
	// clients are the detectors' tests of a record's client address;
	// hints, when every such detector gave some, the texts one of which
	// each wanted line holds.
	clients   []func([]byte) bool
	hints     [][]byte
	hintsOpen bool // some watcher gave no hints
}

type prechecker interface{ Precheck(line []byte) bool }

// folderRestricted is implemented by detectors whose records are logged
// only in some protocol folders of their family.
type folderRestricted interface{ Folders() []string }

func appliesTo(d detect.LogDetector, family detect.LogFamily, folder string) bool {
	if d.Family() != family {
		return false
	}
	fr, ok := d.(folderRestricted)
	if !ok || folder == "" {
		// A log whose protocol folder is not known (a renamed copy) is
		// read by every check of its family.
		return true
	}
	for _, f := range fr.Folders() {
		if strings.EqualFold(f, folder) {
			return true
		}
	}
	return false
}

// groupFor builds the group of a family's folder; nil when no detector
// applies (the file is read for coverage only).
func groupFor(dctx *detect.Context, detectors []detect.LogDetector, family detect.LogFamily, folder string) *detectorGroup {
	g := &detectorGroup{}
	var lits []string
	all := false
	for _, d := range detectors {
		if !appliesTo(d, family, folder) {
			continue
		}
		g.detectors = append(g.detectors, d)
		if cw, ok := d.(detect.ClientWatcher); ok {
			if f := cw.WatchClients(dctx); f != nil {
				g.clients = append(g.clients, f)
				var h [][]byte
				if ch, ok := d.(detect.ClientHinter); ok {
					h = ch.ClientHints(dctx)
				}
				if h == nil {
					g.hintsOpen = true
				}
				g.hints = append(g.hints, h...)
			}
		}
		if cl, ok := d.(detect.ContextLiterals); ok {
			lits = append(lits, cl.LiteralsFor(dctx)...)
		} else {
			lits = append(lits, d.Literals()...)
		}
		switch p := d.(type) {
		case detect.ContextPrecheck:
			if f := p.PrecheckFor(dctx); f != nil {
				g.prechecks = append(g.prechecks, f)
			}
		case prechecker:
			g.prechecks = append(g.prechecks, p.Precheck)
		default:
			all = true
		}
	}
	if len(g.detectors) == 0 {
		return nil
	}
	g.matcher = literal.NewMatcher(lits...)
	if all {
		g.prechecks = nil
	}
	return g
}

// selector is what a file of the group is read with; a file no detector
// reads is still read for its time span.
func (g *detectorGroup) selector() source.Selector {
	if g == nil {
		return source.Selector{}
	}
	sel := source.Selector{}
	if !g.matcher.Empty() {
		// Detectors that select by client address alone have no literals.
		sel.Matcher = g.matcher
	}
	if len(g.prechecks) > 0 {
		sel.Precheck = g.wants
	}
	if !g.hintsOpen && len(g.hints) > 0 {
		sel.ClientHints = g.hints
	}
	switch len(g.clients) {
	case 0:
	case 1:
		sel.Clients = g.clients[0]
	default:
		sel.Clients = func(addr []byte) bool {
			for _, c := range g.clients {
				if c(addr) {
					return true
				}
			}
			return false
		}
	}
	return sel
}

func (g *detectorGroup) wants(line []byte) bool {
	if len(g.prechecks) == 0 {
		return true
	}
	for _, p := range g.prechecks {
		if p(line) {
			return true
		}
	}
	return false
}

// logOutcome is what reading the logs did.
type logOutcome struct {
	plan     logPlan
	coverage []result.Coverage
	// read counts the files read to the end per family and folder
	// (lower case), for the checks run.
	read map[[2]string]int
	// exchangeRead counts the files read of sources that are Exchange's
	// own logs.
	exchangeRead int
	// unread counts planned files not read (interrupted scan);
	// notPlanned is set when the scan was interrupted before the log
	// files were even listed.
	unread     int
	notPlanned bool
	// clients are the client filters of the files that have a client
	// field, by path, for the pass that follows the attackers; nil when
	// not kept.
	clients map[string]*clientFilter
}

func runLogs(ctx context.Context, cfg Config, dctx *detect.Context, plan logPlan, col *collector, st *result.Stats) logOutcome {
	return runLogsAs(ctx, cfg, dctx, plan, col, st, "logs", true)
}

// runLogsAs is runLogs under a progress phase's name.
func runLogsAs(ctx context.Context, cfg Config, dctx *detect.Context, plan logPlan, col *collector, st *result.Stats, phase string, keepClients bool) logOutcome {
	jobs := plan.jobs
	out := logOutcome{plan: plan, read: map[[2]string]int{}, notPlanned: plan.interrupted}
	if keepClients {
		out.clients = map[string]*clientFilter{}
	}
	groups := map[string]*detectorGroup{}
	groupOf := make([]*detectorGroup, len(jobs))
	var total int64
	for i, j := range jobs {
		total += j.in.Size
		// A file of mixed folders is read by every detector of its
		// family, each record handed to those of its own folder.
		folder := j.in.Folder
		if j.in.MixedFolders {
			folder = ""
		}
		k := string(j.in.Family) + "/" + strings.ToLower(folder)
		g, ok := groups[k]
		if !ok {
			g = groupFor(dctx, cfg.LogDetectors, j.in.Family, folder)
			groups[k] = g
		}
		groupOf[i] = g
	}
	cfg.Progress.Start(phase, len(jobs), total)

	// One reader per worker and source: it owns its read buffer.
	readers := make([][]source.Reader, cfg.Workers)
	for w := range readers {
		readers[w] = make([]source.Reader, len(cfg.Sources))
	}

	var mu sync.Mutex
	// Coverage is per folder: a site or protocol whose logs moved (IIS's
	// log folder changed, an event log kept in two places) has a row for
	// each folder, and no row's folder depends on which file a worker
	// happened to read first.
	cov := map[[3]string]*result.Coverage{}
	handed := pool(ctx, cfg.Workers, len(jobs), func(w, i int) {
		job, g := jobs[i], groupOf[i]
		rd := readers[w][job.src]
		if rd == nil {
			rd = cfg.Sources[job.src].NewReader()
			readers[w][job.src] = rd
		}
		var clients *clientFilter
		if out.clients != nil && clientFields[job.in.Family] != "" {
			clients = &clientFilter{}
		}
		st, complete := readLog(ctx, dctx, rd, g, job.in, col, clients)
		cfg.Progress.Add(1, job.in.Size)
		mu.Lock()
		defer mu.Unlock()
		if clients != nil {
			out.clients[job.in.Path] = clients
		}
		if complete {
			out.read[[2]string{string(job.in.Family), strings.ToLower(job.in.Folder)}]++
			for _, f := range st.Folders {
				if !strings.EqualFold(f, job.in.Folder) {
					out.read[[2]string{string(job.in.Family), strings.ToLower(f)}]++
				}
			}
			if cfg.Sources[job.src].ExchangeEvidence() {
				out.exchangeRead++
			}
		}
		k := [3]string{string(job.in.Family), job.in.Folder, job.in.Dir}
		c := cov[k]
		if c == nil {
			c = &result.Coverage{Family: string(job.in.Family), Folder: job.in.Folder, Dir: job.in.Dir}
			cov[k] = c
		}
		c.Files++
		c.Bytes += st.Bytes
		if !st.Oldest.IsZero() && (c.Oldest.IsZero() || st.Oldest.Before(c.Oldest)) {
			c.Oldest = st.Oldest
		}
		if st.Newest.After(c.Newest) {
			c.Newest = st.Newest
		}
	}, func(i int, p any) {
		col.error(jobs[i].in.Path, 0, fmt.Sprintf("internal error while reading this file (please report it): %v", p))
	})
	out.unread = len(jobs) - handed
	covs := make([]result.Coverage, 0, len(cov))
	for _, c := range cov {
		covs = append(covs, *c)
		st.LogBytes += c.Bytes
		st.LogFiles += c.Files
	}
	sort.Slice(covs, func(i, j int) bool {
		if covs[i].Family != covs[j].Family {
			return covs[i].Family < covs[j].Family
		}
		if covs[i].Folder != covs[j].Folder {
			return covs[i].Folder < covs[j].Folder
		}
		return covs[i].Dir < covs[j].Dir
	})
	out.coverage = covs
	return out
}

// readLog reads one file through its detectors; complete is false when
// the file could not be read to its end. With a filter, the clients of
// the file's records are recorded in it: those the tap looked at, and
// those of the records handed to the detectors; when the tap did not run
// (no check wanted addresses), the filter is marked full (unknown).
func readLog(ctx context.Context, dctx *detect.Context, rd source.Reader, g *detectorGroup, in source.Input, col *collector, clients *clientFilter) (source.Stats, bool) {
	var f fs.File
	var err error
	if in.Open != nil {
		f, err = in.Open()
	} else {
		f, err = dctx.Server.FS().Open(in.Path)
	}
	if err != nil {
		col.error(in.Path, 0, err.Error())
		return source.Stats{}, false
	}
	defer f.Close()
	lastReported := 0 // two detectors may report the same line
	problem := func(line int, msg string) {
		if line != lastReported {
			lastReported = line
			col.error(in.Path, line, msg)
		}
	}
	sel := g.selector()
	clientField := clientFields[in.Family]
	if clients != nil {
		if tap := sel.Clients; tap != nil {
			// The hints skip stretches without looking at their clients,
			// which the filter needs to see.
			sel.ClientHints = nil
			sel.Clients = func(a []byte) bool {
				clients.add(a)
				return tap(a)
			}
		} else {
			clients.full = true
		}
	}
	st, err := rd.Read(ctx, f, in, sel, func(rec *detect.LogRecord) {
		rec.Problem = problem
		if clients != nil && !clients.full {
			clients.add([]byte(rec.Get(clientField)))
		}
		for _, d := range g.detectors {
			if in.MixedFolders && !appliesTo(d, in.Family, rec.Folder) {
				continue
			}
			d.Inspect(dctx, rec, col.add)
		}
	})
	if err != nil && ctx.Err() == nil {
		col.error(in.Path, 0, fmt.Sprintf("read failed after %d bytes: %v", st.Bytes, err))
	}
	for _, p := range st.Problems {
		col.error(in.Path, p.Line, p.Err)
	}
	if st.MoreProblems > 0 {
		col.error(in.Path, 0, strings.TrimSpace(humanCount(st.MoreProblems)+" more problems in this file not listed"))
	}
	return st, err == nil
}

func coverageFindings(s *facts.Server, logs logOutcome, col *collector) {
	for _, c := range logs.coverage {
		ev := finding.Evidence{
			{Name: "family", Value: c.Family},
			{Name: "folder", Value: c.Folder},
			{Name: "files", Value: humanCount(c.Files)},
			{Name: "bytes", Value: humanCount(int(c.Bytes))},
		}
		if !c.Oldest.IsZero() {
			ev = append(ev,
				finding.Field{Name: "oldest", Value: c.Oldest.Format(time.RFC3339)},
				finding.Field{Name: "newest", Value: c.Newest.Format(time.RFC3339)})
		}
		col.add(scope.RuleLogCoverage.New(finding.Info, c.Dir, 0, c.Oldest, ev))
	}
	for _, m := range logs.plan.missing {
		// The path is where the logs were expected, so each family's
		// finding has its own fingerprint.
		col.add(scope.RuleLogMissing.New(finding.Info, m.Expected, 0, time.Time{}, finding.Evidence{
			{Name: "family", Value: string(m.Family)},
			{Name: finding.KeyWhy, Value: m.Why},
		}))
	}
	scopeEv := finding.Evidence{{Name: "root", Value: s.KindDetail}}
	if s.Exchange2010Dir != "" {
		scopeEv = append(scopeEv, finding.Field{Name: "exchange", Value: "Exchange 2010 at " + s.Exchange2010Dir + ": its build and web folders were read; the Exchange log checks are for Exchange 2013 and later and did not run"})
	} else if s.ExchangeDir == "" && s.LoggingDir == "" && s.Kind != facts.KindLogFolder {
		scopeEv = append(scopeEv, finding.Field{Name: "exchange", Value: "Exchange install folder not found (give --exchange-dir, or --volume when Exchange is on another drive); log and front-end checks did not run"})
	} else {
		scopeEv = append(scopeEv, finding.Field{Name: "exchange", Value: orDash(s.ExchangeDir) + " (" + s.ExchangeSource + ")"})
	}
	if s.WebRoot == "" {
		scopeEv = append(scopeEv, finding.Field{Name: "web_root", Value: "IIS web root not found; aspnet_client was not checked"})
	} else {
		scopeEv = append(scopeEv, finding.Field{Name: "web_root", Value: s.WebRoot + " (" + s.WebRootSource + ")"})
	}
	for i, n := range s.Notes {
		scopeEv = append(scopeEv, finding.Field{Name: "note" + humanCount(i+1), Value: n})
	}
	col.add(scope.RuleScope.New(finding.Info, "", 0, time.Time{}, scopeEv))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
