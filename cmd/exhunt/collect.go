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
	"strings"
	"syscall"
	"time"

	"github.com/exhunt/exhunt/collect"
	"github.com/exhunt/exhunt/collect/psscript"
	"github.com/exhunt/exhunt/detect/registry"
	"github.com/exhunt/exhunt/progress"
	"github.com/exhunt/exhunt/report"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/scan"
	"github.com/exhunt/exhunt/triage"
)

// Exit statuses of collect.
const (
	collectComplete = 0 // every file taken, or skipped by the limits and listed
	collectErrors   = 1 // complete, but some files could not be read (listed)
	collectFailed   = 2 // not done, or interrupted: the archive says incomplete
)

func runCollect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("collect", flag.ContinueOnError)
	var roots, volumes multiFlag
	fs.Var(&roots, "root", "`PATH` of the server's system drive (a mounted image or a copy), or of part of it (default on Windows: the running system)")
	fs.Var(&volumes, "volume", "`D=PATH`: another drive of the server and the folder holding it; repeatable")
	exDir := fs.String("exchange-dir", "", "Exchange install folder (V15) of the server, when it is not found by itself")
	out := fs.String("out", "", "the archive to write, `FILE.zip` (must not exist; never inside the collected folders)")
	since := fs.String("since", "", "leave out log files last written before `DATE` (2021-01-01 or an RFC 3339 time); event logs and files are always taken")
	maxFile := fs.String("max-file-size", "4GB", "leave out single files larger than `SIZE` (listed in the manifest with their size and times, not hashed); 0 = no limit")
	maxTotal := fs.String("max-total-size", "0", "take files up to `SIZE` in all, the most telling first (flagged files, logs the findings cite, configuration and hives, event logs, web folders, logs of the attack window, other logs newest first); what does not fit is listed as skipped; 0 = no limit")
	workers := fs.Int("workers", 0, "files read at once (default: one per CPU)")
	quiet := fs.Bool("quiet", false, "no progress on standard error")
	script := fs.Bool("script", false, "print instead a PowerShell script (Windows PowerShell 2.0 and later) that collects the same evidence on servers where exhunt cannot run (Windows Server 2012 R2 and older), into a folder \"exhunt scan --root\" reads")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: exhunt collect [--root PATH] [--volume D=PATH]... --out FILE.zip [options]\n"+
			"       exhunt collect --script > collect.ps1\n\n"+
			"Makes a forensic triage archive of one Exchange server: every file the scan\n"+
			"reads (Exchange's logs, IIS logs, web folders, configuration, ExSetup.exe),\n"+
			"all event logs, the registry hives, Temporary ASP.NET Files and every file the\n"+
			"scan flags, with a manifest (original path, size, SHA-256, times) and a record\n"+
			"of the collection. The source is only read. \"exhunt scan --root FILE.zip\"\n"+
			"scans the archive with the same findings as the source.\n\nOptions:\n")
		fs.PrintDefaults()
		fmt.Fprintf(w, "\nExamples:\n"+
			"  exhunt collect --root /mnt/ex01 --out ex01-triage.zip\n"+
			"  exhunt collect --out \\\\nas\\ir\\ex01.zip          # on the server (Windows), to a share\n"+
			"  exhunt collect --root /mnt/ex01 --since 2021-01-01 --max-total-size 20GB --out ex01.zip\n"+
			"  exhunt collect --script > collect.ps1            # then on an old server, as administrator:\n"+
			"      powershell -ExecutionPolicy Bypass -File collect.ps1 -OutDir E:\\evidence\n"+
			"\nExit status: 0 complete, 1 complete but some files could not be read (listed in\n"+
			"the manifest), 2 not done or interrupted (the archive then says it is incomplete),\n"+
			"3 nothing of an Exchange server was found to collect (as scan says).\n")
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "exhunt collect: "+format+"\n", a...)
		return collectFailed
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q (the server is given with --root)", fs.Arg(0))
	}
	if *script {
		others := 0
		fs.Visit(func(f *flag.Flag) {
			if f.Name != "script" {
				others++
			}
		})
		if others > 0 {
			return fail("--script takes no other option: the script's own options (-OutDir, -Since, -MaxFileSizeMB, -MaxTotalSizeMB) are given when it runs")
		}
		text, err := psscript.Script(psscript.Options{Version: versionString()})
		if err != nil {
			return fail("%v", err)
		}
		if _, err := io.WriteString(stdout, text); err != nil {
			return fail("%v", err)
		}
		return collectComplete
	}
	if *out == "" {
		return fail("--out FILE.zip is required: the archive to write")
	}
	sidecar := *out + ".sha256"
	for _, p := range []string{*out, sidecar} {
		if _, err := os.Lstat(p); err == nil {
			return fail("%s: %v", p, collect.ErrOutExists)
		}
	}
	if len(roots) > 1 {
		return fail("one server per archive: give one --root (and --volume for its other drives)")
	}
	opt := collect.Options{Out: *out, Workers: *workers, Tool: triage.Tool{Name: "exhunt", Version: versionString()},
		CommandLine: append([]string{"exhunt", "collect"}, args...)}
	var err error
	if *since != "" {
		if opt.Since, err = parseSince(*since); err != nil {
			return fail("--since %q: %v", *since, err)
		}
	}
	if opt.MaxFileSize, err = parseLimit(*maxFile); err != nil {
		return fail("--max-file-size %q: %v", *maxFile, err)
	}
	if opt.MaxTotalSize, err = parseLimit(*maxTotal); err != nil {
		return fail("--max-total-size %q: %v", *maxTotal, err)
	}
	if *workers < 0 {
		return fail("--workers %d: must be 0 (one per CPU) or more", *workers)
	}
	vols, guarded, err := checkSources(roots, volumes, false)
	if errors.Is(err, errOverlap) {
		return fail("%v: give each drive once", err)
	} else if err != nil {
		return fail("%v", err)
	}
	// A collection of the running server reads its fixed drives: the
	// archive goes elsewhere, where it overwrites no deleted evidence.
	var live []string
	if len(roots) == 0 {
		if len(vols) > 0 {
			return fail("--volume maps a drive of a copy; the running server's fixed drives are collected by themselves")
		}
		live = liveDrives()
		guarded = append(guarded, live...)
	}
	rf, err := openReportFile(*out, guarded)
	if err != nil {
		if len(live) > 0 && errors.Is(err, errInsideRoot) {
			err = fmt.Errorf("%w (a collection of the running server reads its fixed drives, %s: write the archive to a network share or a removable drive)", err, strings.Join(live, " "))
		}
		return fail("%v", err)
	}
	defer rf.Abort()
	// The archive's hash goes beside it, checked as it is and made before
	// the collection starts.
	sf, err := openReportFile(sidecar, guarded)
	if err != nil {
		return fail("%v", err)
	}
	defer sf.Abort()
	opt.Output = rf
	opt.Scan = scan.Config{Roots: roots, Volumes: vols, ExchangeDir: *exDir, FileDetectors: registry.FileDetectors()}
	if f, ok := stderr.(*os.File); ok && !*quiet && progress.IsTerminal(f) {
		opt.Scan.Progress = progress.New(f)
		opt.Progress = stderr
	}
	// Ctrl-C, or a stop by a service manager or timeout(1): the archive is
	// ended with a record that says it is incomplete.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := collect.Run(ctx, opt)
	if err != nil {
		return fail("%v", err)
	}
	if err := rf.Commit(); err != nil {
		return fail("%v", err)
	}
	_, err = io.WriteString(sf, triage.HashLine(res.ArchiveSHA256, filepath.Base(*out)))
	if err == nil {
		err = sf.Commit()
	}
	if err != nil {
		fmt.Fprintf(stderr, "exhunt collect: writing %s: %v\n", sidecar, err)
		sf.Abort()
		sidecar = ""
	}
	printCollection(stdout, *out, sidecar, res)
	switch {
	case !res.Record.Complete:
		return collectFailed
	case nothingExamined(res):
		// The archive holds nothing that answers the question.
		return result.ExitInconclusive
	case res.Record.Counts.Failed > 0 || res.Record.Counts.Partial > 0:
		return collectErrors
	}
	return collectComplete
}

// nothingExamined is true when the collection's scan found nothing of an
// Exchange server in the source: a wrong or empty folder.
func nothingExamined(res *collect.Result) bool {
	return res.Report != nil && len(res.Report.Servers) == 1 && res.Report.Servers[0].Verdict.NothingExamined
}

// printCollection tells what was collected, what the scan found, and the
// archive's hash to write down.
func printCollection(w io.Writer, out, sidecar string, res *collect.Result) {
	rec := res.Record
	c := rec.Counts
	name := report.Terminal(rec.Host)
	if name == "" {
		name = "the server"
	}
	state := "complete"
	if !rec.Complete {
		state = "INCOMPLETE: " + rec.Interrupted
	}
	nothing := nothingExamined(res)
	if nothing {
		// A wrong folder must not read as a finished collection.
		fmt.Fprintf(w, "NOTHING OF AN EXCHANGE SERVER FOUND: %s holds %d file(s) and answers nothing (%s)\n", report.Terminal(out), c.Files, state)
	} else {
		fmt.Fprintf(w, "Collected %s into %s (%s)\n", name, report.Terminal(out), state)
	}
	fmt.Fprintf(w, "  files:    %d taken (%.1f MB), %d folders\n", c.Files, float64(c.Bytes)/1e6, c.Folders)
	if c.Skipped > 0 {
		fmt.Fprintf(w, "  skipped:  %d (%.1f MB), listed in the manifest:\n", c.Skipped, float64(c.SkippedBytes)/1e6)
		for _, s := range rec.Skipped {
			fmt.Fprintf(w, "            %d file(s), %.1f MB: %s\n", s.Files, float64(s.Bytes)/1e6, s.Reason)
		}
	}
	if c.Failed > 0 || c.Partial > 0 {
		fmt.Fprintf(w, "  errors:   %d could not be read, %d read only in part (see manifest.csv in the archive)\n", c.Failed, c.Partial)
	}
	for _, n := range rec.Notes {
		fmt.Fprintf(w, "  note:     %s\n", report.Terminal(n))
	}
	if res.Report != nil && len(res.Report.Servers) > 0 {
		v := res.Report.Servers[0].Verdict
		fmt.Fprintf(w, "  scan:     %s\n", report.Terminal(v.Headline))
	}
	fmt.Fprintf(w, "  took:     %s (%s to %s UTC)\n", rec.Ended.Sub(rec.Started).Round(time.Second), rec.Started.Format("2006-01-02 15:04:05"), rec.Ended.Format("15:04:05"))
	fmt.Fprintf(w, "  archive:  %d bytes, SHA-256 %s\n", res.ArchiveSize, res.ArchiveSHA256)
	if sidecar != "" {
		fmt.Fprintf(w, "            (also in %s; write it down with the time for the chain of custody)\n", report.Terminal(sidecar))
	}
	if nothing {
		for _, step := range res.Report.Servers[0].Verdict.NextSteps {
			fmt.Fprintf(w, "  next:     %s\n", report.Terminal(step))
		}
		return
	}
	fmt.Fprintf(w, "Scan it with: exhunt scan --root %s\n", report.Terminal(out))
}

// parseSince reads a date or an RFC 3339 time.
func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("want a date like 2021-01-01 or a time like 2021-01-01T00:00:00Z")
}

// parseLimit reads a size limit, "0" meaning none.
func parseLimit(s string) (int64, error) {
	if strings.TrimSpace(s) == "0" {
		return 0, nil
	}
	return parseSize(s)
}
