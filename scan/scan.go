// Package scan runs a whole scan of one server: it opens the root, finds
// Exchange and IIS in it, reads every Exchange log once through the log
// detectors, walks the places the file detectors name, and returns the
// findings with log coverage, errors and a verdict.
//
// Data flows one way: root -> sources -> detectors -> findings. This
// package owns the parallelism (a bounded worker pool over files) and the
// bounds (findings per file and rule), so detectors stay simple.
package scan

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/registry"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/root"
)

// Config is a scan request.
type Config struct {
	// Root is the folder to scan; "" scans the running system (Windows).
	Root string
	// ExchangeDir overrides where Exchange is, inside the root.
	ExchangeDir string
	// Window is the attack window for time-based grading.
	Window detect.Window
	// Workers bounds parallel file reads; 0 = one per CPU.
	Workers int
	// MaxFindingsPerFile bounds findings of one rule in one file; the rest
	// are counted. 0 = DefaultMaxFindingsPerFile.
	MaxFindingsPerFile int
	// Progress receives progress; nil = none.
	Progress Progress
	// LogDetectors and FileDetectors replace the registry's lists when
	// set (tests run one detector with its own data).
	LogDetectors  []detect.LogDetector
	FileDetectors []detect.FileDetector
}

// maxWorkers bounds parallel reads (each worker holds a read buffer);
// beyond a few dozen the disk, not the CPU, is the limit.
const maxWorkers = 64

// DefaultMaxFindingsPerFile keeps a hostile log full of matching lines from
// exhausting memory while still listing far more rows than anyone reads.
const DefaultMaxFindingsPerFile = 1000

// DefaultWindow spans the 2021 Exchange campaigns: the first reported
// intrusions (early December 2020) to the end of 2021, when the mass
// exploitation that followed ProxyLogon had run its course.
var DefaultWindow = detect.Window{
	From: time.Date(2020, 12, 1, 0, 0, 0, 0, time.UTC),
	To:   time.Date(2021, 12, 31, 23, 59, 59, 0, time.UTC),
}

// Result is everything a scan found.
type Result struct {
	Root     string
	Server   ServerInfo
	Findings []finding.Finding
	Errors   []finding.ScanError
	Coverage []Coverage
	Verdict  Verdict
	Stats    Stats
	// Interrupted is set when the scan was cancelled before it finished.
	Interrupted bool
}

// ServerInfo is what discovery found, for the report.
type ServerInfo struct {
	ExchangeDir    string   `json:"exchange_dir,omitempty"`
	ExchangeSource string   `json:"exchange_source,omitempty"`
	InstallPath    string   `json:"install_path,omitempty"`
	LoggingDir     string   `json:"logging_dir,omitempty"`
	WebRoot        string   `json:"web_root,omitempty"`
	WebRootSource  string   `json:"web_root_source,omitempty"`
	Notes          []string `json:"notes,omitempty"`
}

// Stats are the scan's own numbers.
type Stats struct {
	LogFiles  int           `json:"log_files"`
	LogBytes  int64         `json:"log_bytes"`
	Files     int           `json:"files_inspected"`
	Started   time.Time     `json:"started"`
	Duration  time.Duration `json:"-"`
	DurationS float64       `json:"duration_seconds"`
}

// Run scans one root.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	started := time.Now()
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	cfg.Workers = min(cfg.Workers, maxWorkers)
	if cfg.MaxFindingsPerFile <= 0 {
		cfg.MaxFindingsPerFile = DefaultMaxFindingsPerFile
	}
	if cfg.Progress == nil {
		cfg.Progress = nopProgress{}
	}
	if cfg.Window == (detect.Window{}) {
		cfg.Window = DefaultWindow
	}
	if cfg.LogDetectors == nil {
		cfg.LogDetectors = registry.LogDetectors()
	}
	if cfg.FileDetectors == nil {
		cfg.FileDetectors = registry.FileDetectors()
	}
	dir := cfg.Root
	opt := root.Options{ExchangeDir: cfg.ExchangeDir}
	if dir == "" {
		live, err := root.LiveSystemDrive()
		if err != nil {
			return nil, err
		}
		dir = live
		opt.LiveInstallPath = root.LiveExchangeInstallPath()
	}
	fsys, err := root.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot open the scan root: %w", err)
	}
	defer fsys.Close()

	server := root.Locate(fsys, opt)
	if server.ExchangeDirMissing {
		return nil, fmt.Errorf("--exchange-dir %q is not a folder inside the root %s", cfg.ExchangeDir, dir)
	}
	res := &Result{Root: dir, Server: serverInfo(server)}
	res.Stats.Started = started.UTC()
	col := newCollector(cfg.MaxFindingsPerFile)
	for _, e := range server.Errors {
		col.error(e.Path, 0, e.Err.Error())
	}
	dctx := &detect.Context{Server: server, AttackWindow: cfg.Window}

	jobs, err := planLogs(ctx, server, col)
	if err != nil {
		return nil, err
	}
	cov := runLogs(ctx, cfg, dctx, jobs, col, &res.Stats)
	res.Stats.Files = runFiles(ctx, cfg, dctx, col)
	cfg.Progress.Done()

	res.Coverage = cov
	coverageFindings(server, jobs, cov, col)
	res.Findings, res.Errors = col.results()
	res.Interrupted = ctx.Err() != nil
	res.Verdict = decide(res.Findings, res.Coverage, len(res.Errors), cfg.Window, res.Interrupted)
	res.Stats.Duration = time.Since(started)
	res.Stats.DurationS = res.Stats.Duration.Seconds()
	return res, ctx.Err()
}

func serverInfo(s *root.Server) ServerInfo {
	return ServerInfo{
		ExchangeDir: s.ExchangeDir, ExchangeSource: s.ExchangeSource, InstallPath: s.InstallPath,
		LoggingDir: s.LoggingDir, WebRoot: s.WebRoot, WebRootSource: s.WebRootSource, Notes: s.Notes,
	}
}

// collector gathers findings and errors from all workers.
type collector struct {
	mu            sync.Mutex
	max           int
	findings      []finding.Finding
	perFile       map[[2]string]int // (rule, path) -> count
	errors        []finding.ScanError
	errorsPerFile map[string]int
}

// maxErrorsPerFile bounds the errors kept for one file: a corrupt file can
// have a problem on every line, and the first ones tell the story.
const maxErrorsPerFile = 50

func newCollector(max int) *collector {
	return &collector{max: max, perFile: map[[2]string]int{}, errorsPerFile: map[string]int{}}
}

func (c *collector) add(f finding.Finding) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := [2]string{f.Rule, f.Path}
	c.perFile[k]++
	if c.perFile[k] > c.max {
		return
	}
	c.findings = append(c.findings, f)
}

func (c *collector) error(path string, line int, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errorsPerFile[path]++
	switch n := c.errorsPerFile[path]; {
	case n <= maxErrorsPerFile:
		c.errors = append(c.errors, finding.ScanError{Path: path, Line: line, Error: msg})
	case n == maxErrorsPerFile+1:
		c.errors = append(c.errors, finding.ScanError{Path: path, Error: "more problems in this file are not listed"})
	}
}

// RuleTruncated reports findings left out by the per-file bound.
var RuleTruncated = finding.Rule{
	ID:    "exhunt-findings-truncated",
	Title: "More findings of one rule in one file than are listed",
	Remediation: "The file holds more matching lines than the report lists (see --max-findings-per-file); " +
		"the listed ones are the first in the file.",
}

func (c *collector) results() ([]finding.Finding, []finding.ScanError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, n := range c.perFile {
		if n > c.max {
			c.findings = append(c.findings, RuleTruncated.New(finding.Info, k[1], 0, time.Time{}, finding.Evidence{
				{Name: "rule", Value: k[0]},
				{Name: "total", Value: fmt.Sprint(n)},
				{Name: "listed", Value: fmt.Sprint(c.max)},
			}))
		}
	}
	finding.Sort(c.findings)
	c.findings = finding.Dedupe(c.findings)
	sort.SliceStable(c.errors, func(i, j int) bool {
		if c.errors[i].Path != c.errors[j].Path {
			return c.errors[i].Path < c.errors[j].Path
		}
		return c.errors[i].Line < c.errors[j].Line
	})
	return c.findings, c.errors
}

// pool runs fn over n items with bounded parallelism and stops handing out
// work when ctx is cancelled. A panic in one item is a defect, but it must
// not take the rest of the evidence down with it: it is passed to failed
// and the worker goes on.
func pool(ctx context.Context, workers, n int, fn func(worker, i int), failed func(i int, p any)) {
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
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
