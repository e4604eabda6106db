package scan

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/source/exlog"
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
	size   int64
}

// planLogs lists the log files of every family.
func planLogs(ctx context.Context, s *root.Server, col *collector) ([]logJob, error) {
	var jobs []logJob
	if s.LoggingDir == "" {
		return nil, nil
	}
	for i := range families {
		lay := &families[i]
		dir, ok := s.Resolver.ResolveDir(path.Join(s.LoggingDir, lay.dir))
		if !ok {
			continue
		}
		err := root.WalkDir(s.FS(), dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				col.error(p, 0, err.Error())
				if d != nil && d.IsDir() {
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
			if d.IsDir() || !d.Type().IsRegular() || !strings.EqualFold(path.Ext(p), ".log") {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				col.error(p, 0, err.Error())
				return nil
			}
			job := logJob{layout: lay, path: p, dir: dir, size: info.Size()}
			if lay.folders {
				rel := strings.TrimPrefix(p, dir+"/")
				if i := strings.IndexByte(rel, '/'); i >= 0 {
					job.folder = rel[:i]
				}
			}
			jobs = append(jobs, job)
			return nil
		})
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	// Largest first keeps both workers busy to the end.
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].size > jobs[j].size })
	return jobs, nil
}

// detectorGroup is the log detectors that apply to one folder of one
// family, with what the reader needs from them: the union of their literals
// and the OR of their raw-line prechecks.
type detectorGroup struct {
	detectors []detect.LogDetector
	matcher   *exlog.Matcher
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
	if !ok {
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
	g.matcher = exlog.NewMatcher(lits...)
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
var coverageOnly = exlog.NewMatcher("\x00never\x00")

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

func runLogs(ctx context.Context, cfg Config, dctx *detect.Context, jobs []logJob, col *collector, st *Stats) []Coverage {
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
	cov := map[[2]string]*Coverage{}
	pool(ctx, cfg.Workers, len(jobs), func(w, i int) {
		job, g := jobs[i], groupOf[i]
		readers[w].Reset(g.readerOptions(job.layout))
		st := readLog(dctx, readers[w], g, job, col)
		cfg.Progress.Add(1, job.size)
		mu.Lock()
		defer mu.Unlock()
		k := [2]string{string(job.layout.family), job.folder}
		c := cov[k]
		if c == nil {
			c = &Coverage{Family: string(job.layout.family), Folder: job.folder, Dir: path.Join(job.dir, job.folder)}
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
	out := make([]Coverage, 0, len(cov))
	for _, c := range cov {
		out = append(out, *c)
		st.LogBytes += c.Bytes
		st.LogFiles += c.Files
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Family != out[j].Family {
			return out[i].Family < out[j].Family
		}
		return out[i].Folder < out[j].Folder
	})
	return out
}

func readLog(dctx *detect.Context, rd *exlog.Reader, g *detectorGroup, job logJob, col *collector) exlog.Stats {
	f, err := dctx.Server.FS().Open(job.path)
	if err != nil {
		col.error(job.path, 0, err.Error())
		return exlog.Stats{}
	}
	defer f.Close()
	lastReported := 0 // two detectors may report the same line
	rec := detect.LogRecord{Path: job.path, Folder: job.folder, Problem: func(line int, msg string) {
		if line != lastReported {
			lastReported = line
			col.error(job.path, line, msg)
		}
	}}
	st, err := rd.Read(f, func(r *exlog.Record) {
		if g == nil {
			return
		}
		rec.Record = r
		for _, d := range g.detectors {
			d.Inspect(dctx, &rec, col.add)
		}
	})
	if err != nil {
		col.error(job.path, 0, "read failed after "+HumanBytes(st.Bytes)+": "+err.Error())
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
	return st
}

// Rules of the coverage report.
var (
	RuleLogCoverage = finding.Rule{
		ID:    "log-coverage",
		Title: "Log coverage: how far back this log's evidence reaches",
		Remediation: "Findings can only be as old as the logs. Exchange keeps HttpProxy logs 30 days (or 1 GB per " +
			"folder) by default; for older periods use backups or a triage copy taken earlier.",
	}
	RuleLogMissing = finding.Rule{
		ID:    "log-coverage-missing",
		Title: "Log family not found: its checks could not run",
		Remediation: "Check that the copy includes the Exchange Logging folder (or point --exchange-dir at the " +
			"V15 folder); without these logs the matching checks say nothing.",
	}
	RuleScope = finding.Rule{
		ID:    "scan-scope",
		Title: "What this scan could and could not look at",
	}
)

func coverageFindings(s *root.Server, jobs []logJob, cov []Coverage, col *collector) {
	for _, c := range cov {
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
		col.add(RuleLogCoverage.New(finding.Info, c.Dir, 0, c.Oldest, ev))
	}
	seen := map[string]bool{}
	for _, c := range cov {
		seen[c.Family] = true
	}
	for _, lay := range families {
		if seen[string(lay.family)] {
			continue
		}
		where := "the Exchange Logging folder was not found"
		logging := path.Join(root.DefaultExchangeDir, "Logging")
		if s.LoggingDir != "" {
			where = "no " + lay.dir + " log files under " + s.LoggingDir
			logging = s.LoggingDir
		}
		// The path is where the logs were expected, so each family's
		// finding has its own fingerprint.
		col.add(RuleLogMissing.New(finding.Info, path.Join(logging, lay.dir), 0, time.Time{}, finding.Evidence{
			{Name: "family", Value: string(lay.family)},
			{Name: "why", Value: where},
		}))
	}
	scope := finding.Evidence{}
	if s.ExchangeDir == "" && s.LoggingDir == "" {
		scope = append(scope, finding.Field{Name: "exchange", Value: "Exchange install folder not found in the root (give --exchange-dir); log and front-end checks did not run"})
	} else {
		scope = append(scope, finding.Field{Name: "exchange", Value: s.ExchangeDir + " (" + s.ExchangeSource + ")"})
	}
	if s.WebRoot == "" {
		scope = append(scope, finding.Field{Name: "web_root", Value: "IIS web root not found; aspnet_client was not checked"})
	} else {
		scope = append(scope, finding.Field{Name: "web_root", Value: s.WebRoot + " (" + s.WebRootSource + ")"})
	}
	for i, n := range s.Notes {
		scope = append(scope, finding.Field{Name: "note" + humanCount(i+1), Value: n})
	}
	col.add(RuleScope.New(finding.Info, "", 0, time.Time{}, scope))
}
