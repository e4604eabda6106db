package scan

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/scope"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/source/exlog"
	"github.com/exhunt/exhunt/source/literal"
)

// familyLayout says where a log family lives under V15\Logging and which
// field list to assume when a file lost its header.
type familyLayout struct {
	family  detect.LogFamily
	dir     string // under Logging
	schema  *exlog.Schema
	folders bool // the family has one sub-folder per protocol
}

var families = []familyLayout{
	{family: detect.HttpProxy, dir: "HttpProxy", schema: exlog.NewSchema(exlog.HttpProxyFields), folders: true},
	{family: detect.ECPServer, dir: "ECP/Server", schema: exlog.NewSchema(exlog.ECPServerFields)},
	{family: detect.OABGenerator, dir: "OABGeneratorLog"},
}

// logJob is one log file to read.
type logJob struct {
	layout *familyLayout
	path   string
	// dir is the family's folder and folder the protocol sub-folder.
	dir    string
	folder string
	// fixed is set when the scanned root is the protocol folder itself.
	fixed bool
	size  int64
}

// logPlan is the log files of a server and the families' folders.
type logPlan struct {
	jobs []logJob
	// found lists the families whose folder exists.
	found map[detect.LogFamily]string
}

// planLogs lists the log files of every family.
func planLogs(ctx context.Context, s *facts.Server, col *collector) logPlan {
	plan := logPlan{found: map[detect.LogFamily]string{}}
	for i := range families {
		lay := &families[i]
		dir, fixedFolder, ok := s.LogDir(lay.dir)
		if !ok {
			continue
		}
		plan.found[lay.family] = dir
		err := root.WalkDir(s.FS(), dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				col.error(p, 0, err.Error())
				if d != nil && d.IsDir() && p != dir {
					return fs.SkipDir
				}
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if d.Type()&fs.ModeSymlink != 0 {
				// Following links in evidence could loop or leave the root.
				col.error(p, 0, "symbolic link not followed")
				return nil
			}
			if d.IsDir() || !strings.EqualFold(path.Ext(p), ".log") {
				return nil
			}
			if !d.Type().IsRegular() {
				col.error(p, 0, "not a regular file ("+root.TypeName(d.Type())+"); not read")
				return nil
			}
			info, err := d.Info()
			if err != nil {
				col.error(p, 0, err.Error())
				return nil
			}
			job := logJob{layout: lay, path: p, dir: dir, size: info.Size(), folder: fixedFolder, fixed: fixedFolder != ""}
			if lay.folders && fixedFolder == "" {
				rel := strings.TrimPrefix(p, dir+"/")
				if dir == "." {
					rel = p
				}
				if i := strings.IndexByte(rel, '/'); i >= 0 {
					job.folder = rel[:i]
				}
			}
			plan.jobs = append(plan.jobs, job)
			return nil
		})
		if err != nil && ctx.Err() != nil {
			break
		}
	}
	// Largest first keeps both workers busy to the end.
	sort.SliceStable(plan.jobs, func(i, j int) bool { return plan.jobs[i].size > plan.jobs[j].size })
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
func groupFor(detectors []detect.LogDetector, family detect.LogFamily, folder string) *detectorGroup {
	g := &detectorGroup{}
	var lits []string
	all := false
	for _, d := range detectors {
		if !appliesTo(d, family, folder) {
			continue
		}
		g.detectors = append(g.detectors, d)
		lits = append(lits, d.Literals()...)
		if p, ok := d.(prechecker); ok {
			g.prechecks = append(g.prechecks, p.Precheck)
		} else {
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

// readerOptions are what a file of the group is read with.
func (g *detectorGroup) readerOptions(lay *familyLayout) exlog.Options {
	opt := exlog.Options{DefaultSchema: lay.schema}
	if g == nil {
		opt.Matcher = coverageOnly
		return opt
	}
	opt.Matcher = g.matcher
	if len(g.prechecks) > 0 {
		opt.Precheck = g.wants
	}
	return opt
}

// coverageOnly matches nothing: files no detector reads are still read for
// their time span.
var coverageOnly = literal.NewMatcher("\x00never\x00")

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
	// unread counts planned files not read (interrupted scan).
	unread int
}

func runLogs(ctx context.Context, cfg Config, dctx *detect.Context, plan logPlan, col *collector, st *result.Stats) logOutcome {
	jobs := plan.jobs
	out := logOutcome{plan: plan, read: map[[2]string]int{}}
	groups := map[string]*detectorGroup{}
	groupOf := make([]*detectorGroup, len(jobs))
	var total int64
	for i, j := range jobs {
		total += j.size
		k := string(j.layout.family) + "/" + strings.ToLower(j.folder)
		g, ok := groups[k]
		if !ok {
			g = groupFor(cfg.LogDetectors, j.layout.family, j.folder)
			groups[k] = g
		}
		groupOf[i] = g
	}
	cfg.Progress.Start("Exchange logs", len(jobs), total)

	// One reader per worker: it owns the read buffer.
	readers := make([]*exlog.Reader, cfg.Workers)
	for w := range readers {
		readers[w] = exlog.NewReader(exlog.Options{})
	}

	var mu sync.Mutex
	cov := map[[2]string]*result.Coverage{}
	handed := pool(ctx, cfg.Workers, len(jobs), func(w, i int) {
		job, g := jobs[i], groupOf[i]
		readers[w].Reset(g.readerOptions(job.layout))
		st, complete := readLog(ctx, dctx, readers[w], g, job, col)
		cfg.Progress.Add(1, job.size)
		mu.Lock()
		defer mu.Unlock()
		if complete {
			out.read[[2]string{string(job.layout.family), strings.ToLower(job.folder)}]++
		}
		k := [2]string{string(job.layout.family), job.folder}
		c := cov[k]
		if c == nil {
			c = &result.Coverage{Family: string(job.layout.family), Folder: job.folder, Dir: job.dir}
			if !job.fixed {
				c.Dir = path.Join(job.dir, job.folder)
			}
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
		col.error(jobs[i].path, 0, fmt.Sprintf("internal error while reading this file (please report it): %v", p))
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
		return covs[i].Folder < covs[j].Folder
	})
	out.coverage = covs
	return out
}

// ctxReader stops a read when the scan is cancelled, so Ctrl-C does not
// wait for a large file to end.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// readLog reads one file through its detectors; complete is false when
// the file could not be read to its end.
func readLog(ctx context.Context, dctx *detect.Context, rd *exlog.Reader, g *detectorGroup, job logJob, col *collector) (exlog.Stats, bool) {
	f, err := dctx.Server.FS().Open(job.path)
	if err != nil {
		col.error(job.path, 0, err.Error())
		return exlog.Stats{}, false
	}
	defer f.Close()
	lastReported := 0 // two detectors may report the same line
	rec := detect.LogRecord{Path: job.path, Folder: job.folder, Problem: func(line int, msg string) {
		if line != lastReported {
			lastReported = line
			col.error(job.path, line, msg)
		}
	}}
	st, err := rd.Read(ctxReader{ctx, f}, func(r *exlog.Record) {
		if g == nil {
			return
		}
		rec.Record = r
		for _, d := range g.detectors {
			d.Inspect(dctx, &rec, col.add)
		}
	})
	if err != nil && ctx.Err() == nil {
		col.error(job.path, 0, fmt.Sprintf("read failed after %d bytes: %v", st.Bytes, err))
	}
	for _, p := range st.Problems {
		// Files of unknown layout are read as text by their detectors.
		if job.layout.schema == nil && strings.HasPrefix(p.Err, "no field list") {
			continue
		}
		col.error(job.path, p.Line, p.Err)
	}
	if st.MoreProblems > 0 {
		col.error(job.path, 0, strings.TrimSpace(humanCount(st.MoreProblems)+" more problems in this file not listed"))
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
	seen := map[string]bool{}
	for _, c := range logs.coverage {
		seen[c.Family] = true
	}
	for _, lay := range families {
		if seen[string(lay.family)] {
			continue
		}
		where := "the Exchange Logging folder was not found"
		expected := path.Join(facts.DefaultExchangeDir, "Logging", lay.dir)
		switch dir, ok := logs.plan.found[lay.family]; {
		case ok:
			where, expected = "no log files in "+dir, dir
		case s.LoggingDir != "":
			where, expected = "no "+lay.dir+" folder under "+s.LoggingDir, path.Join(s.LoggingDir, lay.dir)
		case s.Kind == facts.KindLogFolder:
			where = "only " + s.KindDetail + " was copied"
		}
		// The path is where the logs were expected, so each family's
		// finding has its own fingerprint.
		col.add(scope.RuleLogMissing.New(finding.Info, expected, 0, time.Time{}, finding.Evidence{
			{Name: "family", Value: string(lay.family)},
			{Name: finding.KeyWhy, Value: where},
		}))
	}
	scopeEv := finding.Evidence{{Name: "root", Value: s.KindDetail}}
	if s.ExchangeDir == "" && s.LoggingDir == "" && s.Kind != facts.KindLogFolder {
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
