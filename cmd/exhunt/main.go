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
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/registry"
	"github.com/exhunt/exhunt/progress"
	"github.com/exhunt/exhunt/report"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/scan"
	"github.com/exhunt/exhunt/testserver"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

const usage = `exhunt finds evidence of the 2021 Exchange ProxyLogon attacks
(CVE-2021-26855, CVE-2021-26857, CVE-2021-26858, CVE-2021-27065).

Usage:
  exhunt scan [--root PATH]... [--volume D=PATH]... [--format text|json|jsonl|csv|html] [--out FILE] [options]
  exhunt collect [--root PATH] [--volume D=PATH]... --out FILE.zip [options]
  exhunt collect --script > collect.ps1
  exhunt demo [--format FORMAT] [--keep]
  exhunt rules [--format text|markdown|json]
  exhunt build [--format text|json] BUILD...
  exhunt indicators [--ioc FILE]... [--format text|json] [--list]
  exhunt mitigate --script [--rollback]
  exhunt yara [-p N] [-s] [-d NAME=VALUE]... [-z SIZE] RULES_FILE PATH...
  exhunt evtx [--format jsonl|xml] FILE_OR_FOLDER...
  exhunt version
  exhunt help [COMMAND]

Commands:
  scan     Scan Exchange servers' logs and web folders. PATH is a folder laid
           out like a server's system drive: a mounted disk image or a copy
           (with "Program Files/Microsoft/Exchange Server/V15", "inetpub", ...),
           or Exchange's V15 folder, its Logging folder or one log folder, or a
           folder holding copies of several servers. On Windows without --root
           the running system is scanned.
  collect  Make a forensic triage archive of one server: what the scan reads,
           the event logs, the registry hives and every file the scan flags,
           with SHA-256 hashes and times of each file. "exhunt scan --root
           FILE.zip" scans it as it would the server. With --script, print a
           PowerShell 2.0 script that collects the same on servers where
           exhunt cannot run (Windows Server 2012 R2 and older).
  demo     Build a small synthetic attacked Exchange server in a temporary
           folder, scan it and print the report.
  rules    List every rule and check, with the CVEs each covers.
  build    Tell what an Exchange build number is: patched or vulnerable, which
           critical fixes it misses, which update to install next.
  indicators
           Check indicator feeds (STIX 2.1, Microsoft's feed, Loki or plain
           lists) before a scan: what each holds per kind and source, and
           every line that was not loaded and why.
  mitigate Print a PowerShell script that applies (or removes) Microsoft's
           temporary mitigations, for an administrator to review and run.
  yara     Run YARA rules with exhunt's own engine (output and options as
           "yara -r"; "exhunt help yara" for them).
  evtx     Decode Windows event logs (.evtx) with exhunt's own decoder: one
           JSON object per record, or XML.
  probe    Check Exchange servers over HTTPS from outside: which hosts run
           Exchange, which build, open to which CVEs (--active adds the
           CVE-2021-26855 request).
  version  Print the version.

Run "exhunt help scan" for the scan options.

Exit status of scan: 0 nothing of medium severity or above was found,
1 something of medium severity or above was found, 2 the scan could not run
or did not finish, 3 inconclusive: nothing of an Exchange server was found to
examine. With several servers, the worst of them (1 over 2 over 3 over 0).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return result.ExitFailed
	}
	switch args[0] {
	case "scan":
		return runScan(args[1:], stdout, stderr)
	case "demo":
		return runDemo(args[1:], stdout, stderr)
	case "collect":
		return runCollect(args[1:], stdout, stderr)
	case "rules":
		return runRules(args[1:], stdout, stderr)
	case "build":
		return runBuild(args[1:], stdout, stderr)
	case "indicators":
		return runIndicators(args[1:], stdout, stderr)
	case "mitigate":
		return runMitigate(args[1:], stdout, stderr)
	case "yara":
		return runYara(args[1:], stdout, stderr)
	case "evtx":
		return runEvtx(args[1:], stdout, stderr)
	case "probe":
		return runProbe(args[1:], stdout, stderr)
	case "version", "--version", "-version", "-v":
		fmt.Fprintf(stdout, "exhunt %s (%s %s/%s)\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return result.ExitClean
	case "help", "--help", "-help", "-h":
		if len(args) > 1 {
			switch args[1] {
			case "scan", "collect", "demo", "rules", "build", "indicators", "mitigate", "yara", "evtx", "probe":
				return run([]string{args[1], "--help"}, stdout, stderr)
			case "version", "help":
				fmt.Fprint(stdout, usage)
				return result.ExitClean
			}
			fmt.Fprintf(stderr, "exhunt help: unknown command %q\n\n%s", args[1], usage)
			return result.ExitFailed
		}
		fmt.Fprint(stdout, usage)
		return result.ExitClean
	}
	fmt.Fprintf(stderr, "exhunt: unknown command %q\n\n%s", args[0], usage)
	return result.ExitFailed
}

// versionString is the release version, else the revision the binary was
// built from (with "+dirty" when the tree had changes).
func versionString() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	var rev, when string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel (no version information: build with 'make build')"
	}
	v := "devel-" + rev[:min(12, len(rev))]
	if when != "" {
		if t, err := time.Parse(time.RFC3339, when); err == nil {
			v += "-" + t.UTC().Format("20060102")
		}
	}
	if dirty {
		v += "+dirty"
	}
	return v
}

func tool() result.Tool { return result.Tool{Name: "exhunt", Version: versionString()} }

// outputFlags are shared by scan and demo.
type outputFlags struct {
	format  string
	out     string
	all     bool
	noColor bool
	quiet   bool
}

func (o *outputFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.format, "format", "text", "report format: "+strings.Join(report.FormatNames(), ", "))
	fs.StringVar(&o.out, "out", "", "write the report to `FILE` instead of standard output (never inside a scanned folder)")
	fs.BoolVar(&o.all, "all", false, "text report: list every finding (default: the first 20 of each rule)")
	fs.BoolVar(&o.noColor, "no-color", false, "no colours in the text report (also: NO_COLOR environment variable)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress display on standard error")
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parseFlags parses a command's flags; help goes to standard output and is
// not an error.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (int, bool) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return result.ExitClean, false
	case err != nil:
		fmt.Fprintf(stderr, "exhunt %s: %v\nRun \"exhunt help %s\" for the options.\n", fs.Name(), err, fs.Name())
		return result.ExitFailed, false
	}
	return 0, true
}

func runScan(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	var o outputFlags
	o.register(fs)
	var roots, volumes multiFlag
	fs.Var(&roots, "root", "`PATH` of a server's system drive (a mounted image or a copy), of part of it (V15, Logging, a log folder), or of a folder of several servers' copies; repeatable (default on Windows: the running system)")
	fs.Var(&volumes, "volume", "`D=PATH`: another drive of the server (Exchange or its logs on D:) and the folder holding its copy; repeatable")
	var evtxPaths multiFlag
	fs.Var(&evtxPaths, "evtx", "Windows event log `FILE` (.evtx) or folder of them, of the server, kept apart from its copy; repeatable (the copy's own Windows\\System32\\winevt\\Logs is read anyway)")
	exDir := fs.String("exchange-dir", "", "Exchange install folder (V15) of the server, when it is not found by itself (a path in the copy, or D:/... on a --volume)")
	window := fs.String("window", "2020-12-01..2021-12-31", "attack window `FROM..TO` (dates, UTC) for grading files by time")
	workers := fs.Int("workers", 0, "files read in parallel (default: one per CPU, at most 64)")
	maxPerFile := fs.Int("max-findings-per-file", scan.DefaultMaxFindingsPerFile, "findings of one rule listed per file; the rest are counted")
	maxFindings := fs.Int("max-findings", scan.DefaultMaxFindings, "findings listed per server; the rest are counted")
	var ruleFiles, iocFiles, baselineFiles multiFlag
	fs.Var(&ruleFiles, "rules", "YARA rules `FILE` or folder (*.yar, *.yara) applied to the files besides the built-in pack; files named for logs (*_log*) or whose rules are all tagged LOG are applied to each log line; repeatable")
	noBuiltin := fs.Bool("no-builtin-rules", false, "apply only the --rules files, not the built-in rule pack")
	fs.Var(&iocFiles, "ioc", "indicator feed `FILE`: STIX 2.1 JSON, Microsoft's feed (CSV, JSON), Loki's IOC files or a plain list (hashes, IPs, domains, URLs, paths, user agents; CSV columns of hashes); the hashes are checked against files; exhunt indicators --ioc shows what a feed holds; repeatable")
	fs.Var(&baselineFiles, "baseline", "Microsoft's known-good hash baseline `FILE` (SHA256,build,\\path CSV or baseline_<build>.zip) or a folder of them, to find modified Exchange files; repeatable")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the scan to FILE (go tool pprof), for performance reports")
	noContent := fs.Bool("no-content", false, "skip the content checks (rules, baselines, log rules) for a quick first look; names, paths and hashes are still checked, and the verdict lists what was skipped")
	maxFileSize := fs.String("max-file-size", "32MB", "largest `SIZE` of a file whose content the rules read (KB, MB, GB); larger files are still hashed")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: exhunt scan [--root PATH]... [options]\n\n"+
			"Scans Exchange servers' HttpProxy, ECP and OAB generator logs and their web\n"+
			"folders for ProxyLogon exploitation, web shells and what attackers left.\n"+
			"Evidence is opened read-only; nothing is written inside a scanned folder.\n\nOptions:\n")
		fs.PrintDefaults()
		fmt.Fprintf(w, "\nExamples:\n"+
			"  exhunt scan --root /mnt/ex01                 # a mounted image of EX01's C: drive\n"+
			"  exhunt scan --root ./EX01-copy --format json --out ex01.json\n"+
			"  exhunt scan --root ./EX01-copy --format html --out ex01.html   # one page to open in a browser\n"+
			"  exhunt scan --root /mnt/ex01-c --volume D=/mnt/ex01-d   # Exchange installed on D:\n"+
			"  exhunt scan --root ./case                    # ./case/EX01, ./case/EX02, ... one by one\n"+
			"  exhunt scan --root ./EX01 --root ./EX02 --format jsonl --out case.jsonl\n"+
			"\nExit status: 0 nothing of medium severity or above, 1 something of medium\n"+
			"severity or above, 2 the scan could not run or did not finish, 3 inconclusive\n"+
			"(nothing of an Exchange server found to examine); the worst of all servers.\n")
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "exhunt scan: "+format+"\n", a...)
		return result.ExitFailed
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q (folders are given with --root)", fs.Arg(0))
	}
	win, err := parseWindow(*window)
	if err != nil {
		return fail("--window %q: %v", *window, err)
	}
	if *workers < 0 {
		return fail("--workers %d: must be 0 (one per CPU) or more", *workers)
	}
	if *maxPerFile < 1 || *maxFindings < 1 {
		return fail("--max-findings-per-file and --max-findings must be at least 1")
	}
	writer, ok := report.Formats[o.format]
	if !ok {
		return fail("unknown --format %q (one of %s)", o.format, strings.Join(report.FormatNames(), ", "))
	}
	vols, guarded, err := checkSources(roots, volumes, true)
	if errors.Is(err, errOverlap) {
		return fail("%v: the same evidence would be scanned twice as two servers; give each server's folder once", err)
	} else if err != nil {
		return fail("%v", err)
	}
	opts, err := detectorOptions(ruleFiles, *noBuiltin, iocFiles, baselineFiles, *maxFileSize)
	if err != nil {
		return fail("%v", err)
	}
	opts.NoContent = *noContent
	// A scan of the running server reads its system drive and its other
	// fixed drives: they are its scan roots, and no report goes there.
	var live []string
	if len(roots) == 0 {
		live = liveDrives()
		guarded = append(guarded, live...)
	}
	for _, p := range evtxPaths {
		if _, err := os.Stat(p); err != nil {
			return fail("--evtx %s: %v", p, err)
		}
	}
	// The report file is checked and created before the scan, so an
	// operator error costs no time and a scan is never lost for it.
	outsideLive := func(err error) error {
		if len(live) > 0 && errors.Is(err, errInsideRoot) {
			return fmt.Errorf("%w (a scan of the running server reads its fixed drives, %s: write to a network share or a removable drive, or to standard output)", err, strings.Join(live, " "))
		}
		return err
	}
	rf, err := openReport(o.out, append(guarded, evtxPaths...))
	if err != nil {
		return fail("%v", outsideLive(err))
	}
	defer abort(rf)
	if *cpuProfile != "" {
		// A developer's option, held to the same rule as --out: never
		// written inside a scanned folder.
		prof, err := openOutputFile("--cpuprofile", *cpuProfile, append(guarded, evtxPaths...))
		if err != nil {
			return fail("%v", outsideLive(err))
		}
		defer abort(prof)
		pprof.StartCPUProfile(prof)
		defer func() {
			pprof.StopCPUProfile()
			if err := prof.Commit(); err != nil {
				fmt.Fprintf(stderr, "exhunt scan: %v\n", err)
			}
		}()
	}
	cfg := scan.Config{Roots: roots, Volumes: vols, ExchangeDir: *exDir, EventLogs: evtxPaths, Window: win, Workers: *workers,
		MaxFindingsPerFile: *maxPerFile, MaxFindings: *maxFindings, FileDetectors: registry.FileDetectorsWith(opts), Indicators: opts.Indicators}
	rep, code := doScan(cfg, &o, stderr)
	if rep == nil {
		abort(rf)
		return code
	}
	if err := writeReport(writer, rep, &o, rf, stdout); err != nil {
		return fail("writing the report: %v", err)
	}
	return code
}

// driveTop makes a bare drive (`E:`) its top folder (`E:\`). Windows
// reads `E:` as the current folder of that drive, which for the system
// drive is wherever the prompt stands (C:\Windows\system32 as an
// administrator): a user giving a drive means all of it.
func driveTop(p string) string {
	if v := filepath.VolumeName(p); len(v) == 2 && v == p {
		return p + string(filepath.Separator)
	}
	return p
}

// liveDrives are the folders a scan of the running system reads: its
// system drive and its other fixed drives (none outside Windows).
func liveDrives() []string {
	sys, err := root.LiveSystemDrive()
	if err != nil {
		return nil
	}
	drives := []string{sys}
	others := root.LiveVolumes(sys)
	letters := make([]byte, 0, len(others))
	for l := range others {
		letters = append(letters, l)
	}
	slices.Sort(letters)
	for _, l := range letters {
		drives = append(drives, others[l])
	}
	return drives
}

// overlapping finds two folders of which one is, or lies inside, the other.
func overlapping(dirs []string) (inner, outer string, ok bool) {
	real := make([]string, len(dirs))
	for i, d := range dirs {
		a, err := filepath.Abs(d)
		if err != nil {
			a = d
		}
		if r, err := filepath.EvalSymlinks(a); err == nil {
			a = r
		}
		real[i] = a
	}
	for i := range real {
		for j := range real {
			if i == j {
				continue
			}
			rel, err := filepath.Rel(real[j], real[i])
			if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && (rel != "." || i > j) {
				return dirs[i], dirs[j], true
			}
		}
	}
	return "", "", false
}

// errOverlap is a --root or --volume folder that is, or lies inside,
// another one.
var errOverlap = errors.New("lies inside")

// checkSources checks the --root and --volume values of scan and collect:
// each root exists and is a folder (or a zip archive when archives is
// true; roots are changed in place to their drive's top), the volumes
// parse, and no folder lies inside another. It returns the volumes and
// every source path, where no output may be written.
func checkSources(roots, volumes []string, archives bool) (vols map[byte]string, sources []string, err error) {
	for i, r := range roots {
		roots[i] = driveTop(r)
	}
	if vols, err = parseVolumes(volumes); err != nil {
		return nil, nil, err
	}
	for _, r := range roots {
		st, err := os.Stat(r)
		switch {
		case err != nil:
			return nil, nil, fmt.Errorf("--root %s: %v", r, err)
		case archives && !st.IsDir() && !root.IsArchive(r):
			return nil, nil, fmt.Errorf("--root %s: neither a folder nor a zip archive (give the folder that holds the server's copy, or a triage archive)", r)
		case !archives && !st.IsDir():
			return nil, nil, fmt.Errorf("--root %s: not a folder (give the folder of the server's drive)", r)
		}
	}
	sources = append(sources, roots...)
	for _, d := range vols {
		sources = append(sources, d)
	}
	if a, b, ok := overlapping(sources); ok {
		return nil, nil, fmt.Errorf("%s %w %s", a, errOverlap, b)
	}
	return vols, sources, nil
}

// parseVolumes reads D=PATH values.
func parseVolumes(vals []string) (map[byte]string, error) {
	out := map[byte]string{}
	for _, v := range vals {
		letter, dir, ok := strings.Cut(v, "=")
		letter = strings.TrimSuffix(letter, ":")
		dir = driveTop(dir)
		if !ok || len(letter) != 1 || dir == "" {
			return nil, fmt.Errorf("--volume %q: want a drive letter and a folder, e.g. --volume D=/mnt/ex01-d", v)
		}
		l := letter[0] &^ 0x20
		if l < 'A' || l > 'Z' {
			return nil, fmt.Errorf("--volume %q: %q is not a drive letter", v, letter)
		}
		if _, dup := out[l]; dup {
			return nil, fmt.Errorf("--volume %c is given twice", l)
		}
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("--volume %c: %v", l, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("--volume %c: %s is not a folder", l, dir)
		}
		out[l] = dir
	}
	return out, nil
}

// doScan runs the scan with progress and Ctrl-C handling and maps the result
// to an exit code.
func doScan(cfg scan.Config, o *outputFlags, stderr io.Writer) (*result.Report, int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if f, ok := stderr.(*os.File); ok && !o.quiet && progress.IsTerminal(f) {
		cfg.Progress = progress.New(f)
	}
	rep, err := scan.Run(ctx, cfg)
	if err != nil && rep == nil {
		fmt.Fprintf(stderr, "exhunt scan: %v\n", err)
		return nil, result.ExitFailed
	}
	rep.Tool = tool()
	if err != nil {
		fmt.Fprintf(stderr, "exhunt scan: interrupted; the report below is partial and incomplete\n")
		code := rep.ExitStatus()
		if code != result.ExitFindings {
			code = result.ExitFailed // an unfinished scan is never "clean"
		}
		return rep, code
	}
	return rep, rep.ExitStatus()
}

func writeReport(writer report.Writer, rep *result.Report, o *outputFlags, rf *reportFile, stdout io.Writer) error {
	opt := report.Options{MaxPerRule: 20}
	if o.all {
		opt.MaxPerRule = 0
	}
	if rf == nil {
		if f, ok := stdout.(*os.File); ok && !o.noColor && os.Getenv("NO_COLOR") == "" {
			if restore, ok := colorTerminal(f); ok {
				opt.Color = true
				defer restore()
			}
		}
		return writer(stdout, rep, opt)
	}
	if err := writer(rf, rep, opt); err != nil {
		rf.Abort()
		return err
	}
	return rf.Commit()
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
			return w, fmt.Errorf("FROM %q is not a date like 2021-01-01", from)
		}
	}
	if to != "" {
		if w.To, err = time.Parse("2006-01-02", to); err != nil {
			return w, fmt.Errorf("TO %q is not a date like 2021-06-30", to)
		}
		w.To = w.To.Add(24*time.Hour - time.Second)
	}
	if !w.From.IsZero() && !w.To.IsZero() && w.To.Before(w.From) {
		return w, fmt.Errorf("TO is before FROM")
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
	var o outputFlags
	o.register(fs)
	keep := fs.Bool("keep", false, "keep the synthetic server folder and print where it is, to scan it yourself")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: exhunt demo [options]\n\n"+
			"Builds a small synthetic attacked Exchange 2016 server in a temporary folder,\n"+
			"scans it and prints the report.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "exhunt demo: unexpected argument %q\n", fs.Arg(0))
		return result.ExitFailed
	}
	writer, ok := report.Formats[o.format]
	if !ok {
		fmt.Fprintf(stderr, "exhunt demo: unknown --format %q (one of %s)\n", o.format, strings.Join(report.FormatNames(), ", "))
		return result.ExitFailed
	}
	dir, err := os.MkdirTemp("", "exhunt-demo-")
	if err != nil {
		fmt.Fprintf(stderr, "exhunt demo: %v\n", err)
		return result.ExitFailed
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	rf, err := openReport(o.out, []string{dir})
	if err != nil {
		fmt.Fprintf(stderr, "exhunt demo: %v\n", err)
		return result.ExitFailed
	}
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		abort(rf)
		fmt.Fprintf(stderr, "exhunt demo: building the synthetic server: %v\n", err)
		return result.ExitFailed
	}
	fmt.Fprintf(stderr, "exhunt demo: built a synthetic attacked Exchange 2016 server in %s and scanning it\n\n", dir)
	rep, code := doScan(scan.Config{Roots: []string{dir}}, &o, stderr)
	if rep == nil {
		abort(rf)
		return code
	}
	if err := writeReport(writer, rep, &o, rf, stdout); err != nil {
		fmt.Fprintf(stderr, "exhunt demo: %v\n", err)
		return result.ExitFailed
	}
	if *keep {
		fmt.Fprintf(stderr, "\nThe synthetic server is kept in %s; scan it yourself with\n  exhunt scan --root %s\n", dir, dir)
	} else {
		fmt.Fprintf(stderr, "\nThe synthetic server was removed. To keep it and scan it yourself:\n  exhunt demo --keep\n")
	}
	return result.ExitClean
}

// openReport checks and creates the report file; nil means standard
// output.
func openReport(out string, roots []string) (*reportFile, error) {
	if out == "" {
		return nil, nil
	}
	return openReportFile(out, roots)
}

// abort drops a report file that was not committed; it does nothing after
// a commit.
func abort(rf *reportFile) {
	if rf != nil {
		rf.Abort()
	}
}
