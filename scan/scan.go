// Package scan runs a scan: it finds the servers in the roots it is given,
// gathers each server's facts, reads every Exchange log once through the
// log detectors, walks the places the file detectors name, and returns one
// result per server with log coverage, the checks run and not run, errors
// and a verdict.
//
// Data flows one way: root -> facts -> sources -> detectors -> findings ->
// result. This package owns the parallelism (a bounded worker pool over
// files) and the bounds (findings per file and rule, findings per scan), so
// detectors stay simple. Servers are scanned one after the other; their
// evidence is never mixed.
package scan

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/exhunt/exhunt/correlate"
	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/registry"
	"github.com/exhunt/exhunt/detect/scope"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/indicators"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/source"
)

// Config is a scan request.
type Config struct {
	// Roots are the folders to scan; none scans the running system
	// (Windows). Each may be one server's copy or a case folder holding
	// copies of several servers.
	Roots []string
	// Volumes maps other drive letters of the (single) server to the
	// folders holding their copies.
	Volumes map[byte]string
	// ExchangeDir overrides where Exchange is, inside the server.
	ExchangeDir string
	// EventLogs are event log files or folders of the (single) server
	// kept apart from its copy (--evtx), as host paths.
	EventLogs []string
	// Window is the attack window for time-based grading.
	Window detect.Window
	// Workers bounds parallel file reads; 0 = one per CPU.
	Workers int
	// MaxFindingsPerFile bounds findings of one rule in one file; the rest
	// are counted. 0 = DefaultMaxFindingsPerFile.
	MaxFindingsPerFile int
	// MaxFindings bounds the findings kept for one server, so memory stays
	// bounded on hostile evidence; the rest are counted. 0 =
	// DefaultMaxFindings.
	MaxFindings int
	// Progress receives progress; nil = none.
	Progress Progress
	// LogDetectors and FileDetectors replace the registry's lists when
	// set (tests run one detector with its own data).
	// Indicators are looked up by the log checks (client addresses, user
	// agents, URLs): the built-in ones with the user's merged in; nil =
	// the built-in ones.
	Indicators *indicators.Set
	// Observe, when set, wraps each volume's file system before the scan
	// reads it (volume 0 is the system volume): `exhunt collect` records
	// what the scan looks at.
	Observe func(volume byte, fsys fs.FS) fs.FS
	// ServerDone, when set, is called with each server's facts and result
	// while its files are still open; an error stops the run.
	ServerDone func(ctx context.Context, server *facts.Server, res *result.Server) error
	// MaxServers, when positive, refuses roots holding more servers.
	MaxServers int
	// Sources replaces the registry's list of log sources when set.
	Sources         []source.Source
	LogDetectors    []detect.LogDetector
	FileDetectors   []detect.FileDetector
	ServerDetectors []detect.ServerDetector
}

// maxWorkers bounds parallel reads (each worker holds a read buffer);
// beyond a few dozen the disk, not the CPU, is the limit.
const maxWorkers = 64

// DefaultMaxFindingsPerFile keeps a hostile log full of matching lines from
// exhausting memory while still listing far more rows than anyone reads.
const DefaultMaxFindingsPerFile = 1000

// DefaultMaxFindings bounds the findings listed for one server: about
// 100 MB of memory at the size of a log finding, far more than anyone reads,
// while every finding is still counted.
const DefaultMaxFindings = 100000

// DefaultWindow spans the 2021 Exchange campaigns: the first reported
// intrusions (early December 2020) to the end of 2021, when the mass
// exploitation that followed ProxyLogon had run its course.
var DefaultWindow = detect.Window{
	From: time.Date(2020, 12, 1, 0, 0, 0, 0, time.UTC),
	To:   time.Date(2021, 12, 31, 23, 59, 59, 0, time.UTC),
}

// ErrSetup wraps problems that stop a scan before it starts.
var ErrSetup = errors.New("cannot scan")

// target is one server to scan.
type target struct {
	drives  *root.Drives
	rootDir string
	label   string
	live    bool
	volumes []result.Volume
	close   func()
	// letterFromLayout is set when the system drive's letter is its
	// folder's name.
	letterFromLayout bool
	// collection is the triage collection the server's copy came from,
	// when it is one.
	collection *collectionRecord
	// archive is the zip the server is read from, if any, with the
	// folders of its drives in it.
	archive *root.Archive
	// archiveOthers are the folders of the archive's other servers, when
	// it holds several: their entries' problems are theirs.
	archiveOthers  []string
	archiveSystem  string
	archiveVolumes map[byte]string
}

// Run scans every server in the roots. The report holds what was done
// when the context is cancelled, with the error of the context.
func Run(ctx context.Context, cfg Config) (*result.Report, error) {
	cfg.defaults()
	rep := &result.Report{Scan: result.Scan{ID: newScanID(), Started: time.Now().UTC()}}
	targets, skipped, err := plan(cfg)
	if err != nil {
		return nil, err
	}
	rep.Skipped = skipped
	defer func() {
		for _, t := range targets {
			t.close()
		}
	}()
	for _, t := range targets {
		if ctx.Err() != nil {
			rep.NotReached = append(rep.NotReached, t.rootDir)
			continue
		}
		srv, err := scanServer(ctx, cfg, t)
		if err != nil {
			return nil, err
		}
		rep.Servers = append(rep.Servers, srv)
	}
	rep.Campaign = correlate.Campaign(rep.Servers)
	cfg.Progress.Done()
	rep.Scan.Ended = time.Now().UTC()
	return rep, ctx.Err()
}

func (cfg *Config) defaults() {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	cfg.Workers = min(cfg.Workers, maxWorkers)
	if cfg.MaxFindingsPerFile <= 0 {
		cfg.MaxFindingsPerFile = DefaultMaxFindingsPerFile
	}
	if cfg.MaxFindings <= 0 {
		cfg.MaxFindings = DefaultMaxFindings
	}
	if cfg.Progress == nil {
		cfg.Progress = nopProgress{}
	}
	if cfg.Window == (detect.Window{}) {
		cfg.Window = DefaultWindow
	}
	if cfg.Indicators == nil {
		cfg.Indicators = indicators.Builtin()
	}
	if cfg.Sources == nil {
		cfg.Sources = registry.Sources()
	}
	if cfg.LogDetectors == nil {
		cfg.LogDetectors = registry.LogDetectors()
	}
	if cfg.FileDetectors == nil {
		cfg.FileDetectors = registry.FileDetectors()
	}
	if cfg.ServerDetectors == nil {
		cfg.ServerDetectors = registry.ServerDetectors()
	}
}

// newScanID is a random 128-bit id in hex.
func newScanID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// tree is an opened scan root of any kind: a folder or an archive.
type tree interface {
	fs.FS
	Close() error
}

// opened is one --root, opened, with how to open the folders inside it.
type opened struct {
	tree tree
	// sub opens a folder of the root (a server of a case, a drive).
	sub func(rel string) (tree, error)
	// host names a folder of the root for the user.
	host func(rel string) string
	// archive is set for a zip root, for its problems.
	archive *root.Archive
}

// openRoot opens a folder, or a zip archive (a triage collection).
func openRoot(dir string) (opened, error) {
	host := func(rel string) string {
		if rel == "." {
			return dir
		}
		return filepath.Join(dir, filepath.FromSlash(rel))
	}
	if st, err := os.Stat(dir); err == nil && st.Mode().IsRegular() && root.IsArchive(dir) {
		a, err := root.OpenArchive(dir)
		if err != nil {
			return opened{}, err
		}
		return opened{tree: a, archive: a, host: host, sub: func(rel string) (tree, error) { return a.Sub(rel) }}, nil
	}
	fsys, err := root.OpenDir(dir)
	if err != nil {
		return opened{}, err
	}
	return opened{tree: fsys, host: host, sub: func(rel string) (tree, error) { return root.OpenDir(host(rel)) }}, nil
}

// plan opens the roots and finds the servers in them, and names the
// folders of a case in which no server was recognised.
func plan(cfg Config) ([]target, []result.SkippedFolder, error) {
	var targets []target
	var skipped []result.SkippedFolder
	fail := func(err error) ([]target, []result.SkippedFolder, error) {
		for _, t := range targets {
			t.close()
		}
		return nil, nil, fmt.Errorf("%w: %w", ErrSetup, err)
	}
	roots := cfg.Roots
	live := false
	if len(roots) == 0 {
		dir, err := root.LiveSystemDrive()
		if err != nil {
			return fail(err)
		}
		roots, live = []string{dir}, true
	}
	for _, dir := range roots {
		op, err := openRoot(dir)
		if err != nil {
			return fail(fmt.Errorf("cannot open the scan root: %w", err))
		}
		fsys := op.tree
		subs := []facts.ServerDir{{Dir: "."}}
		if live {
			// On the running server every drive is there to read:
			// Exchange, its logs or the web root may be on D:.
			subs[0].Volumes = root.LiveVolumes(dir)
		} else {
			var unknown []facts.Skipped
			subs, unknown = facts.FindServers(fsys)
			for _, u := range unknown {
				skipped = append(skipped, result.SkippedFolder{Dir: op.host(u.Dir), Why: u.Why})
			}
		}
		usedRoot := false
		for _, sub := range subs {
			t := target{rootDir: dir, live: live, letterFromLayout: sub.SystemLetter != 0}
			if sub.Dir == "." {
				usedRoot = true
			} else {
				t.rootDir = op.host(sub.Dir)
			}
			layoutDir := t.rootDir
			t.label = folderLabel(t.rootDir)
			if op.archive != nil && sub.Dir == "." {
				t.label = strings.TrimSuffix(t.label, filepath.Ext(t.label))
			}
			// The collector's record lies beside the drive folders it
			// wrote. One at the top of a drive, or of the running server,
			// is a file like any other: anyone who could write there
			// could plant it, and it is not read.
			if !live && (len(sub.Volumes) > 0 || t.letterFromLayout) {
				t.collection = readCollection(fsys, path.Dir(sub.Dir))
			}
			// A collection of part of a drive is scanned as that part, as
			// its source was.
			systemDir, what := sub.Dir, "server"
			if part := t.collection.sourceFolder(fsys, sub.Dir); part != "" {
				systemDir, what, t.rootDir = part, "collected", op.host(part)
			}
			sfs := fsys
			if systemDir != "." {
				if sfs, err = op.sub(systemDir); err != nil {
					return fail(fmt.Errorf("cannot open the %s folder: %w", what, err))
				}
			}
			t.drives = root.NewDrives(observe(cfg, 0, sfs))
			if t.letterFromLayout {
				t.drives.SystemLetter = sub.SystemLetter
			}
			t.close = func() { sfs.Close() }
			if op.archive != nil {
				t.archive = op.archive
				for _, other := range subs {
					if other.Dir != sub.Dir {
						t.archiveOthers = append(t.archiveOthers, serverHome(other))
					}
				}
			}
			t.archiveSystem, t.archiveVolumes = systemDir, sub.Volumes
			t.collection.check(fsys, t.archiveName)
			if live {
				if host, err := os.Hostname(); err == nil {
					t.label = host
				}
				if err := mountVolumes(cfg, &t, sub.Volumes, func(l byte) (tree, string, error) {
					vfs, err := root.OpenDir(sub.Volumes[l])
					return vfs, sub.Volumes[l], err
				}); err != nil {
					t.close()
					return fail(err)
				}
			} else if len(sub.Volumes) > 0 || t.letterFromLayout {
				// A copy laid out as one folder per drive is named by
				// the folder above its drives.
				t.label = filepath.Base(filepath.Dir(filepath.Clean(layoutDir)))
				if op.archive != nil && path.Dir(sub.Dir) == "." {
					t.label = strings.TrimSuffix(filepath.Base(dir), filepath.Ext(dir))
				}
				if err := mountVolumes(cfg, &t, sub.Volumes, func(l byte) (tree, string, error) {
					vfs, err := op.sub(sub.Volumes[l])
					return vfs, op.host(sub.Volumes[l]), err
				}); err != nil {
					t.close()
					return fail(err)
				}
			}
			targets = append(targets, t)
		}
		if !usedRoot {
			fsys.Close()
		}
	}
	if cfg.MaxServers > 0 && len(targets) > cfg.MaxServers {
		return fail(fmt.Errorf("%d servers were found in the roots given, and this takes at most %d: give each server's copy on its own", len(targets), cfg.MaxServers))
	}
	if len(cfg.EventLogs) > 0 && len(targets) > 1 {
		return fail(fmt.Errorf("--evtx gives the event logs of one server, but %d servers were found; scan them one by one", len(targets)))
	}
	if cfg.ExchangeDir != "" && len(targets) > 1 {
		return fail(fmt.Errorf("--exchange-dir names the Exchange folder of one server, but %d servers were found; scan them one by one", len(targets)))
	}
	if len(cfg.Volumes) > 0 {
		if live {
			return fail(errors.New("--volume maps the drives of a copy; a scan of the running server reads its fixed drives by itself"))
		}
		if len(targets) != 1 {
			return fail(fmt.Errorf("--volume maps a drive of one server, but %d servers were found; scan them one by one", len(targets)))
		}
		if len(targets[0].volumes) > 0 {
			return fail(fmt.Errorf("--volume given for a copy already laid out as one folder per drive (%s)", targets[0].rootDir))
		}
		vols := map[byte]string{}
		for l := range cfg.Volumes {
			vols[l] = cfg.Volumes[l]
		}
		// A volume is a folder: a zip's entries would go unchecked here.
		if err := mountVolumes(cfg, &targets[0], vols, func(l byte) (tree, string, error) {
			vfs, err := root.OpenDir(vols[l])
			return vfs, vols[l], err
		}); err != nil {
			return fail(err)
		}
	}
	return targets, skipped, nil
}

// serverHome is the folder of a server in a case: its own, or the one
// that holds its drive folders.
func serverHome(sub facts.ServerDir) string {
	if len(sub.Volumes) > 0 || sub.SystemLetter != 0 {
		return path.Dir(sub.Dir)
	}
	return sub.Dir
}

// folderLabel names a server by its folder until its host name is known:
// the folder's name, or the drive for the top of one (`E:\`, a mounted
// image), which filepath.Base would call `\`.
func folderLabel(dir string) string {
	c := filepath.Clean(dir)
	if v := filepath.VolumeName(c); v != "" && len(c) <= len(v)+1 {
		return v
	}
	return filepath.Base(c)
}

// observe wraps a volume for Config.Observe.
func observe(cfg Config, volume byte, fsys fs.FS) fs.FS {
	if cfg.Observe == nil {
		return fsys
	}
	return cfg.Observe(volume, fsys)
}

// mountVolumes opens the folders of a server's other drives.
func mountVolumes(cfg Config, t *target, vols map[byte]string, open func(byte) (tree, string, error)) error {
	letters := make([]byte, 0, len(vols))
	for l := range vols {
		letters = append(letters, l)
	}
	sort.Slice(letters, func(i, j int) bool { return letters[i] < letters[j] })
	for _, l := range letters {
		vfs, dir, err := open(l)
		if err != nil {
			return fmt.Errorf("volume %c: %w", l, err)
		}
		if err := t.drives.Mount(l, observe(cfg, l, vfs)); err != nil {
			vfs.Close()
			return fmt.Errorf("--volume %c: %w", l, err)
		}
		prev := t.close
		t.close = func() { prev(); vfs.Close() }
		t.volumes = append(t.volumes, result.Volume{Letter: string(l), Dir: dir})
	}
	return nil
}

// scanServer scans one server.
func scanServer(ctx context.Context, cfg Config, t target) (*result.Server, error) {
	started := time.Now()
	exDir, exDirSource := cfg.ExchangeDir, ""
	if c := t.collection; exDir == "" && c != nil && c.rec != nil && fs.ValidPath(c.rec.ExchangeDir) {
		// The collection was told where Exchange is; so is its scan,
		// when that folder is on one of the collection's drives.
		if name, ok := t.driveName(path.Join(c.dir, c.rec.ExchangeDir)); ok {
			if st, err := fs.Stat(t.drives, name); err == nil && st.IsDir() {
				exDir, exDirSource = name, "the collection's record (collected with --exchange-dir)"
			}
		}
	}
	server := facts.Gather(t.drives, facts.Options{RootDir: t.rootDir, Label: t.label, ExchangeDir: exDir, ExchangeDirSource: exDirSource,
		Live: t.live, SystemLetterFromLayout: t.letterFromLayout})
	defer server.Close()
	server.LooseEventLogs = cfg.EventLogs
	if server.ExchangeDirMissing {
		return nil, fmt.Errorf("%w: --exchange-dir %q is not a folder of the server in %s", ErrSetup, cfg.ExchangeDir, t.rootDir)
	}
	if len(t.volumes) > 0 {
		t.volumes = append([]result.Volume{{Letter: string(t.drives.SystemLetter), Dir: t.rootDir}}, t.volumes...)
	}
	res := &result.Server{Root: t.rootDir, Server: serverInfo(server, t.volumes)}
	res.Stats.Started = started.UTC()
	col := newCollector(cfg.MaxFindingsPerFile, cfg.MaxFindings)
	col.first.where = server.WindowsPath
	for _, e := range server.Errors {
		col.error(e.Path, 0, e.Err.Error())
	}
	archiveErrors(t, func(p, msg string) { col.error(p, 0, msg) })
	res.Collection = t.collection.summary()
	if t.collection != nil {
		for _, p := range t.collection.problems {
			col.error(p.path, 0, p.msg)
		}
	}
	if why := t.collection.incomplete(); why != "" {
		col.error(".", 0, "incomplete triage collection: "+why+"; what it lacks was not examined")
	}
	dctx := &detect.Context{Server: server, AttackWindow: cfg.Window, Indicators: cfg.Indicators}
	for _, d := range cfg.ServerDetectors {
		func() {
			defer func() {
				if p := recover(); p != nil {
					col.error("", 0, fmt.Sprintf("internal error in %s (please report it): %v", d.Name(), p))
				}
			}()
			d.InspectServer(dctx, col.add)
		}()
	}

	// Files first: the log checks then know which requests named a web
	// shell found on disk.
	dctx.Served = &detect.ServedFiles{}
	col.observe = func(f *finding.Finding) { noteServed(server, dctx.Served, f) }
	files := runFiles(ctx, cfg, dctx, col)
	col.observe = nil
	logs := runLogs(ctx, cfg, dctx, planLogs(ctx, server, cfg.Sources, col), col, &res.Stats)
	followAttackers(ctx, cfg, dctx, logs.plan, logs.clients, col)
	res.Stats.Files = files.inspected

	res.Coverage = logs.coverage
	coverageFindings(server, logs, col)
	// Folders that could not be listed while looking for Exchange, the
	// web root or the drop places: an unreadable folder is not a missing one.
	problems := server.Resolver.Problems()
	dirs := make([]string, 0, len(problems))
	for d := range problems {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		col.error(d, 0, "could not be used while looking for the server's folders: "+problems[d].Error())
	}
	res.Findings, res.Errors = col.results(server)
	res.Stats.Findings, res.Stats.Truncated = col.raised, col.dropped
	interrupted := ctx.Err() != nil
	run := checksRun(cfg, dctx, logs, files, interrupted)
	res.Verdict = decide(verdictInput{
		server: server, findings: res.Findings, coverage: res.Coverage, errors: res.Errors,
		window: cfg.Window, interrupted: interrupted, logs: logs, files: files, checks: run,
		counts: col.counts, first: col.first, exposure: col.exposure,
		incompleteCollection: t.collection.incomplete(), collection: res.Collection,
	})
	// The findings are final: the timeline, sessions and mailboxes are
	// built from them.
	correlate.Server(res)
	res.Stats.Ended = time.Now().UTC()
	res.Stats.Duration = time.Since(started)
	res.Stats.DurationS = res.Stats.Duration.Seconds()
	if cfg.ServerDone != nil {
		if err := cfg.ServerDone(ctx, server, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// noteServed records a file finding of a planted script where IIS serves
// it, for the log checks.
func noteServed(s *facts.Server, served *detect.ServedFiles, f *finding.Finding) {
	if f.Stage != finding.StageWebshellWritten || f.Context || f.Severity < finding.Medium || f.Line != 0 || f.Path == "" {
		return
	}
	if u, ok := s.URLPath(f.Path); ok {
		served.Add(u, detect.ServedFile{Path: f.Path, Rule: f.Rule})
	}
}

func serverInfo(s *facts.Server, volumes []result.Volume) result.ServerInfo {
	return result.ServerInfo{
		Name: s.Name(), Identity: s.Identity, RootKind: string(s.Kind), RootKindDetail: s.KindDetail, Volumes: volumes,
		ExchangeDir: s.ExchangeDir, ExchangeSource: s.ExchangeSource, Exchange2010Dir: s.Exchange2010Dir, InstallPath: s.InstallPath,
		LoggingDir: s.LoggingDir, WebRoot: s.WebRoot, WebRootSource: s.WebRootSource, Notes: s.Notes,
	}
}

// collector gathers findings and errors from all workers. It keeps memory
// bounded: at most max findings of one rule in one file and maxTotal in
// all are listed, every one is counted, and identical evidence values are
// stored once.
type collector struct {
	mu            sync.Mutex
	max, maxTotal int
	findings      []finding.Finding
	perFile       map[[2]string]int // (rule, path) -> count
	dropped       int
	raised        int
	errors        []finding.ScanError
	errorsPerFile map[string]int
	intern        map[string]string
	// exposure keeps the findings about the server's state (never
	// bounded: a handful per server).
	exposure []finding.Finding
	// observe, when set, sees every finding raised (before the bounds).
	observe func(*finding.Finding)
	// counts and first keep the verdict's numbers over every finding
	// raised, listed or not.
	counts map[finding.Severity]int
	first  evidenceSpan
}

// evidenceSpan is the verdict's time bounds over all findings raised.
type evidenceSpan struct {
	firstEvidence, lastEvidence, firstCompromise *time.Time
	firstCompromiseBy                            string
	// where names a file as the server does.
	where func(string) string
}

// maxErrorsPerFile bounds the errors kept for one file: a corrupt file can
// have a problem on every line, and the first ones tell the story.
const maxErrorsPerFile = 50

// maxErrors bounds the errors kept for one server.
const maxErrors = 10000

// maxInterned bounds the table of shared evidence values.
const maxInterned = 1 << 16

func newCollector(max, maxTotal int) *collector {
	return &collector{max: max, maxTotal: maxTotal, perFile: map[[2]string]int{}, errorsPerFile: map[string]int{},
		intern: map[string]string{}, counts: map[finding.Severity]int{}}
}

func (c *collector) add(f finding.Finding) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.raised++
	if c.observe != nil {
		c.observe(&f)
	}
	if !f.Context {
		c.counts[f.Severity]++
	}
	if f.Exposure {
		c.exposure = append(c.exposure, f)
	}
	c.first.observe(&f)
	k := [2]string{f.Rule, f.Path}
	c.perFile[k]++
	if c.perFile[k] > c.max || len(c.findings) >= c.maxTotal {
		c.dropped++
		return
	}
	// A hostile log repeats the same client, agent and URL on every line:
	// keep one copy of each value.
	if len(c.intern) < maxInterned {
		for i := range f.Evidence {
			v := f.Evidence[i].Value
			if len(v) > 512 {
				continue
			}
			if s, ok := c.intern[v]; ok {
				f.Evidence[i].Value = s
			} else {
				c.intern[v] = v
			}
		}
	}
	c.findings = append(c.findings, f)
}

func (e *evidenceSpan) observe(f *finding.Finding) {
	if f.Context || f.Exposure || f.Severity < finding.Low || f.Time == nil {
		return
	}
	t := *f.Time
	if e.firstEvidence == nil || t.Before(*e.firstEvidence) {
		e.firstEvidence = &t
	}
	if e.lastEvidence == nil || t.After(*e.lastEvidence) {
		e.lastEvidence = &t
	}
	if f.Severity >= finding.High && (e.firstCompromise == nil || t.Before(*e.firstCompromise)) {
		e.firstCompromise = &t
		where := f.Path
		if e.where != nil {
			where = e.where(f.Path)
		}
		e.firstCompromiseBy = f.Title + " (" + where
		if f.Line > 0 {
			e.firstCompromiseBy += fmt.Sprintf(":%d", f.Line)
		}
		e.firstCompromiseBy += ")"
	}
}

func (c *collector) error(path string, line int, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errorsPerFile[path]++
	switch n := c.errorsPerFile[path]; {
	case len(c.errors) > maxErrors:
	case len(c.errors) == maxErrors:
		c.errors = append(c.errors, finding.ScanError{Path: path, Error: "more errors in this scan are not listed"})
	case n <= maxErrorsPerFile:
		c.errors = append(c.errors, finding.ScanError{Path: path, Line: line, Error: msg})
	case n == maxErrorsPerFile+1:
		c.errors = append(c.errors, finding.ScanError{Path: path, Error: "more problems in this file are not listed"})
	}
}

// results sorts, de-duplicates and completes the findings (ids, volumes,
// Windows paths, normalised fields) and sorts the errors.
func (c *collector) results(s *facts.Server) ([]finding.Finding, []finding.ScanError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var truncated []finding.Finding
	for k, n := range c.perFile {
		if n > c.max {
			truncated = append(truncated, scope.RuleTruncated.New(finding.Info, k[1], 0, time.Time{}, finding.Evidence{
				{Name: "rule", Value: k[0]},
				{Name: "total", Value: fmt.Sprint(n)},
				{Name: "listed", Value: fmt.Sprint(c.max)},
			}))
		}
	}
	if len(c.findings) >= c.maxTotal {
		truncated = append(truncated, scope.RuleTruncated.New(finding.Info, "", 0, time.Time{}, finding.Evidence{
			{Name: "total", Value: fmt.Sprint(c.raised)},
			{Name: "listed", Value: fmt.Sprint(len(c.findings))},
			{Name: KeyWhyTruncated, Value: "the scan lists at most this many findings per server (--max-findings)"},
		}))
	}
	c.findings = append(c.findings, truncated...)
	finding.Sort(c.findings)
	c.findings = finding.Dedupe(c.findings)
	for i := range c.findings {
		f := &c.findings[i]
		f.Normalise()
		if f.Path != "" {
			f.WindowsPath = s.WindowsPath(f.Path)
		}
		if l, rest, ok := root.SplitVolume(f.Path); ok && s.Drives.Mounted(l) && l != s.Drives.SystemLetter {
			f.Volume, f.Path = string(l), rest
			if f.PathEscaped != "" {
				f.PathEscaped = finding.EscapeInvalidUTF8(rest)
			}
		} else if f.Path != "" {
			f.Volume = string(s.Drives.SystemLetter)
		}
	}
	for i := range c.errors {
		e := &c.errors[i]
		if e.Path == "" {
			continue
		}
		e.WindowsPath = s.WindowsPath(e.Path)
		if l, rest, ok := root.SplitVolume(e.Path); ok && s.Drives.Mounted(l) && l != s.Drives.SystemLetter {
			e.Volume, e.Path = string(l), rest
		} else {
			e.Volume = string(s.Drives.SystemLetter)
		}
	}
	sort.SliceStable(c.errors, func(i, j int) bool {
		if c.errors[i].Path != c.errors[j].Path {
			return c.errors[i].Path < c.errors[j].Path
		}
		return c.errors[i].Line < c.errors[j].Line
	})
	return c.findings, c.errors
}

// KeyWhyTruncated explains the scan-wide bound in a truncation finding.
const KeyWhyTruncated = "why"

// pool runs fn over n items with bounded parallelism and stops handing out
// work when ctx is cancelled. A panic in one item is a defect, but it must
// not take the rest of the evidence down with it: it is passed to failed
// and the worker goes on. It returns how many items were handed out.
func pool(ctx context.Context, workers, n int, fn func(worker, i int), failed func(i int, p any)) int {
	var wg sync.WaitGroup
	next := make(chan int)
	run := func(w, i int) {
		defer func() {
			if p := recover(); p != nil {
				failed(i, p)
			}
		}()
		fn(w, i)
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := range next {
				run(w, i)
			}
		}(w)
	}
	handed := 0
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
		handed++
	}
	close(next)
	wg.Wait()
	return handed
}
