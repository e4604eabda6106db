// Command exhunt finds evidence of the 2021 Exchange ProxyLogon attacks
// (CVE-2021-26855, -26857, -26858, -27065) and what followed them, on a live
// server or, mainly, on copies and disk images of servers.
//
// This file maps flags to a scan configuration and results to exit codes;
// everything else lives in the packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/progress"
	"github.com/exhunt/exhunt/report"
	"github.com/exhunt/exhunt/scan"
	"github.com/exhunt/exhunt/testserver"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// Exit codes of the contract.
const (
	exitClean    = 0 // finished, nothing medium or above
	exitFindings = 1 // finished, something medium or above
	exitFailed   = 2 // could not scan
)

const usage = `exhunt finds evidence of the 2021 Exchange ProxyLogon attacks
(CVE-2021-26855, CVE-2021-26857, CVE-2021-26858, CVE-2021-27065).

Usage:
  exhunt scan [--root PATH] [--format text|json|jsonl|csv] [--out FILE] [options]
  exhunt demo [--format FORMAT] [--keep]
  exhunt version

Commands:
  scan     Scan a server's Exchange logs and web folders. PATH is a folder laid
           out like the server's system drive: a mounted disk image or a copy
           (with "Program Files/Microsoft/Exchange Server/V15", "inetpub", ...).
           On Windows without --root the running system is scanned.
  demo     Build a small synthetic attacked Exchange server in a temporary
           folder, scan it and print the report.
  version  Print the version.

Run "exhunt scan --help" for the scan options.

Exit status of scan: 0 nothing of medium severity or above was found,
1 something of medium severity or above was found, 2 the scan could not run.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitFailed
	}
	switch args[0] {
	case "scan":
		return runScan(args[1:], stdout, stderr)
	case "demo":
		return runDemo(args[1:], stdout, stderr)
	case "version", "--version", "-version", "-v":
		fmt.Fprintf(stdout, "exhunt %s (%s %s/%s)\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitClean
	case "help", "--help", "-help", "-h":
		fmt.Fprint(stdout, usage)
		return exitClean
	}
	fmt.Fprintf(stderr, "exhunt: unknown command %q\n\n%s", args[0], usage)
	return exitFailed
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func tool() report.Tool { return report.Tool{Name: "exhunt", Version: versionString()} }

// outputFlags are shared by scan and demo.
type outputFlags struct {
	format   string
	out      string
	all      bool
	noColor  bool
	quiet    bool
	maxShown int
}

func (o *outputFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.format, "format", "text", "report format: "+strings.Join(report.FormatNames(), ", "))
	fs.StringVar(&o.out, "out", "", "write the report to `FILE` instead of standard output (never inside the scanned root)")
	fs.BoolVar(&o.all, "all", false, "text report: list every finding (default: the first 20 of each rule)")
	fs.BoolVar(&o.noColor, "no-color", false, "no colours in the text report (also: NO_COLOR environment variable)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress display on standard error")
}

func runScan(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o outputFlags
	o.register(fs)
	rootDir := fs.String("root", "", "`PATH` of the server's system drive: a mounted image or a copy (default on Windows: the running system)")
	exDir := fs.String("exchange-dir", "", "Exchange install folder (V15) inside the root, when it is not found by itself")
	window := fs.String("window", "2020-12-01..2021-12-31", "attack window `FROM..TO` (dates, UTC) for grading files by time")
	workers := fs.Int("workers", 0, "files read in parallel (default: one per CPU)")
	maxPerFile := fs.Int("max-findings-per-file", scan.DefaultMaxFindingsPerFile, "findings of one rule kept per file; the rest are counted")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: exhunt scan [--root PATH] [options]\n\n"+
			"Scans an Exchange server's HttpProxy, ECP and OAB generator logs and its web\n"+
			"folders for ProxyLogon exploitation, web shells and what attackers left.\n"+
			"Evidence is opened read-only; nothing is written inside PATH.\n\nOptions:\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nExamples:\n"+
			"  exhunt scan --root /mnt/ex01                 # a mounted image of EX01's C: drive\n"+
			"  exhunt scan --root ./EX01-copy --format json --out ex01.json\n"+
			"  exhunt scan --root /mnt/ex01 --exchange-dir \"D:/Exchange/V15\"\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitClean
		}
		return exitFailed
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "exhunt scan: unexpected argument %q (the root is given with --root)\n", fs.Arg(0))
		return exitFailed
	}
	win, err := parseWindow(*window)
	if err != nil {
		fmt.Fprintf(stderr, "exhunt scan: --window: %v\n", err)
		return exitFailed
	}
	writer, ok := report.Formats[o.format]
	if !ok {
		fmt.Fprintf(stderr, "exhunt scan: unknown --format %q (one of %s)\n", o.format, strings.Join(report.FormatNames(), ", "))
		return exitFailed
	}
	// The report file is checked and created before the scan, so that a
	// wrong --out costs no scanning time.
	var rf *reportFile
	if o.out != "" {
		var roots []string
		if *rootDir != "" {
			roots = []string{*rootDir}
		}
		if rf, err = openReportFile(o.out, roots); err != nil {
			fmt.Fprintf(stderr, "exhunt scan: %v\n", err)
			return exitFailed
		}
		defer rf.Abort() // no-op once committed
	}
	cfg := scan.Config{Root: *rootDir, ExchangeDir: *exDir, Window: win, Workers: *workers, MaxFindingsPerFile: *maxPerFile}
	res, code := doScan(cfg, &o, stderr)
	if res == nil {
		return code
	}
	if err := writeReport(writer, res, &o, stdout, rf); err != nil {
		fmt.Fprintf(stderr, "exhunt scan: writing the report: %v\n", err)
		return exitFailed
	}
	return code
}

// doScan runs the scan with progress and Ctrl-C handling and maps the result
// to an exit code.
func doScan(cfg scan.Config, o *outputFlags, stderr io.Writer) (*scan.Result, int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if f, ok := stderr.(*os.File); ok && !o.quiet && progress.IsTerminal(f) {
		cfg.Progress = progress.New(f)
	}
	res, err := scan.Run(ctx, cfg)
	if err != nil {
		if res == nil {
			fmt.Fprintf(stderr, "exhunt scan: %v\n", err)
			return nil, exitFailed
		}
		fmt.Fprintf(stderr, "exhunt scan: interrupted; the report below is partial\n")
	}
	if max, ok := finding.Max(res.Findings); ok && max >= finding.Medium {
		return res, exitFindings
	}
	if err != nil {
		return res, exitFailed // an unfinished scan is never "clean"
	}
	return res, exitClean
}

// writeReport writes the report to rf, the --out file opened before the
// scan, and commits it, or to stdout when rf is nil.
func writeReport(writer report.Writer, res *scan.Result, o *outputFlags, stdout io.Writer, rf *reportFile) error {
	opt := report.Options{MaxPerRule: 20}
	if o.all {
		opt.MaxPerRule = 0
	}
	var w io.Writer = stdout
	if rf != nil {
		w = rf
	} else if f, ok := stdout.(*os.File); ok && progress.IsTerminal(f) && !o.noColor && os.Getenv("NO_COLOR") == "" {
		opt.Color = true
	}
	if err := writer(w, tool(), res, opt); err != nil {
		return err
	}
	if rf != nil {
		return rf.Commit()
	}
	return nil
}

func parseWindow(s string) (detect.Window, error) {
	from, to, ok := strings.Cut(s, "..")
	if !ok {
		return detect.Window{}, fmt.Errorf("want FROM..TO, e.g. 2021-01-01..2021-06-30 (either side may be empty)")
	}
	var w detect.Window
	var err error
	if from != "" {
		if w.From, err = time.Parse("2006-01-02", from); err != nil {
			return w, err
		}
	}
	if to != "" {
		if w.To, err = time.Parse("2006-01-02", to); err != nil {
			return w, err
		}
		w.To = w.To.Add(24*time.Hour - time.Second)
	}
	if w == (detect.Window{}) {
		// An open window on both sides would disable nothing and grade
		// everything by time; keep a far past bound so it is not zero.
		w.From = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return w, nil
}

func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o outputFlags
	o.register(fs)
	keep := fs.Bool("keep", false, "keep the synthetic server folder and print where it is")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitClean
		}
		return exitFailed
	}
	writer, ok := report.Formats[o.format]
	if !ok {
		fmt.Fprintf(stderr, "exhunt demo: unknown --format %q\n", o.format)
		return exitFailed
	}
	dir, err := os.MkdirTemp("", "exhunt-demo-")
	if err != nil {
		fmt.Fprintf(stderr, "exhunt demo: %v\n", err)
		return exitFailed
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	var rf *reportFile
	if o.out != "" {
		if rf, err = openReportFile(o.out, []string{dir}); err != nil {
			fmt.Fprintf(stderr, "exhunt demo: %v\n", err)
			return exitFailed
		}
		defer rf.Abort() // no-op once committed
	}
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		fmt.Fprintf(stderr, "exhunt demo: building the synthetic server: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stderr, "exhunt demo: built a synthetic attacked Exchange 2016 server in %s; scanning it with\n  exhunt scan --root %s\n\n", dir, dir)
	res, code := doScan(scan.Config{Root: dir}, &o, stderr)
	if res == nil {
		return code
	}
	if err := writeReport(writer, res, &o, stdout, rf); err != nil {
		fmt.Fprintf(stderr, "exhunt demo: %v\n", err)
		return exitFailed
	}
	if *keep {
		fmt.Fprintf(stderr, "\nThe synthetic server is kept in %s\n", dir)
	}
	return exitClean
}
