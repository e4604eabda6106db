package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/exhunt/exhunt/probe"
	"github.com/exhunt/exhunt/progress"
	"github.com/exhunt/exhunt/report"
	"github.com/exhunt/exhunt/result"
)

// Exit statuses of probe.
const (
	probeNoneVulnerable = 0 // no target is known to be vulnerable
	probeVulnerable     = 1 // at least one target is vulnerable
	probeFailed         = 2 // bad arguments, or the run was interrupted
	probeNothingChecked = 3 // no target could be checked at all
)

// maxTargetsFile bounds a --targets file: one target per line.
const maxTargetsFile = 64 << 20

func runProbe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	targetsFile := fs.String("targets", "", "read targets from `FILE`, one per line (# starts a comment)")
	active := fs.Bool("active", false, "also send the CVE-2021-26855 request (harmless, but an exploitation attempt that the targets log)")
	insecure := fs.Bool("insecure", false, "accept TLS certificates that do not verify (self-signed, internal CAs)")
	timeout := fs.Duration("timeout", 15*time.Second, "time allowed to check one target")
	concurrency := fs.Int("concurrency", 64, "targets checked at once")
	maxTargets := fs.Int("max-targets", 65536, "refuse more targets than `N` in all (CIDR ranges expanded): raise it to confirm a wide range")
	format := fs.String("format", "text", "output: text, json, jsonl or csv")
	quiet := fs.Bool("quiet", false, "no progress on standard error")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: exhunt probe [options] TARGET...\n"+
			"       exhunt probe [options] --targets FILE\n\n"+
			"Checks Exchange servers over HTTPS from outside, as the internet sees them:\n"+
			"whether each target runs Exchange, which build (from the X-OWA-Version\n"+
			"header, the export tool manifest, else the logon page's CU-level folder and\n"+
			"the ECP folders of that CU's builds), and to which critical CVEs that build\n"+
			"is open. Without --active only what a browser would request is sent.\n"+
			"A TARGET is a host name, an address, host:port, an https:// URL or a CIDR\n"+
			"range; only the targets given are contacted (a redirect to another host is\n"+
			"not followed).\n\nOptions:\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nExit status: 0 no target known to be vulnerable, 1 at least one vulnerable,\n"+
			"2 bad arguments or interrupted, 3 no target could be checked.\n")
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "exhunt probe: "+format+"\n", a...)
		return probeFailed
	}
	switch *format {
	case "text", "json", "jsonl", "csv":
	default:
		return fail("unknown --format %q (text, json, jsonl or csv)", *format)
	}
	if *concurrency < 1 || *timeout <= 0 || *maxTargets < 1 {
		return fail("--concurrency, --timeout and --max-targets must be above zero")
	}
	entries := fs.Args()
	if *targetsFile != "" {
		lines, err := readTargetsFile(*targetsFile)
		if err != nil {
			return fail("%v", err)
		}
		entries = append(entries, lines...)
	}
	targets, err := probe.Parse(entries, *maxTargets)
	if err != nil {
		return fail("%v", err)
	}
	if len(targets) == 0 {
		return fail("no target: give hosts, addresses, URLs or CIDR ranges, or --targets FILE")
	}
	if *active {
		fmt.Fprintf(stderr, "exhunt probe: --active sends the CVE-2021-26855 request to %d target(s); it will appear in their IIS and HttpProxy logs, from this machine's address, at %s UTC\n",
			len(targets), time.Now().UTC().Format("2006-01-02 15:04:05"))
	}
	// The user agent names exhunt and its version, one word as agents have.
	agentVersion := "unknown"
	if f := strings.Fields(versionString()); len(f) > 0 {
		agentVersion = f[0]
	}
	opt := probe.Options{Active: *active, Insecure: *insecure, Timeout: *timeout,
		UserAgent: "exhunt/" + agentVersion + " (Exchange exposure check)"}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Progress on a terminal only: a line redrawn in place, at most five
	// times a second.
	showProgress := false
	if f, ok := stderr.(*os.File); ok && !*quiet && progress.IsTerminal(f) && len(targets) > 1 {
		showProgress = true
	}
	started, lastDraw := time.Now(), time.Time{}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	results := make([]*probe.Result, len(targets))
	// Run calls back from one goroutine at a time.
	var checked, vulnerable, unreachable int
	var cw *csv.Writer
	if *format == "csv" {
		cw = csv.NewWriter(out)
		cw.Write([]string{"target", "exchange", "build", "build_source", "build_precision", "vulnerable", "cves", "error", "evidence"})
	}
	probe.Run(ctx, targets, opt, *concurrency, func(i int, r probe.Result) {
		if *format == "json" || *format == "text" {
			results[i] = &r
		}
		checked++
		if r.Vulnerable == probe.VulnerableYes {
			vulnerable++
		}
		if r.Error != "" {
			unreachable++
		}
		if showProgress && (time.Since(lastDraw) > 200*time.Millisecond || checked == len(targets)) {
			lastDraw = time.Now()
			rate := float64(checked) / max(time.Since(started).Seconds(), 0.001)
			fmt.Fprintf(stderr, "\rprobe: %d/%d targets, %d vulnerable, %.0f/s   ", checked, len(targets), vulnerable, rate)
		}
		switch *format {
		case "jsonl":
			// Streamed as they come: a long run's results are kept
			// whatever stops it.
			data, _ := json.Marshal(r)
			out.Write(append(data, '\n'))
			out.Flush()
		case "csv":
			cw.Write([]string{report.Spreadsheet(r.Target), fmt.Sprint(r.Exchange), report.Spreadsheet(r.Build), r.BuildSource, r.BuildPrecision,
				r.Vulnerable, strings.Join(r.CVEs, " "), report.Spreadsheet(r.Error), report.Spreadsheet(strings.Join(r.Evidence, "; "))})
			cw.Flush()
		}
	})
	if showProgress {
		fmt.Fprintf(stderr, "\r%60s\r", "")
	}
	switch *format {
	case "json":
		list := make([]probe.Result, 0, len(results))
		for _, r := range results {
			if r != nil {
				list = append(list, *r)
			}
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.Encode(struct {
			Tool    result.Tool    `json:"tool"`
			Active  bool           `json:"active"`
			Results []probe.Result `json:"results"`
		}{result.Tool{Name: "exhunt", Version: versionString()}, *active, list})
	case "text":
		printProbe(out, results, *active)
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "exhunt probe: interrupted: %d of %d targets checked\n", checked, len(targets))
		return probeFailed
	case vulnerable > 0:
		return probeVulnerable
	case unreachable == len(targets):
		return probeNothingChecked
	}
	return probeNoneVulnerable
}

// readTargetsFile reads the lines of a --targets file.
func readTargetsFile(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("--targets: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTargetsFile+1))
	if err != nil {
		return nil, fmt.Errorf("--targets %s: %w", name, err)
	}
	if len(data) > maxTargetsFile {
		return nil, fmt.Errorf("--targets %s: larger than %d bytes", name, maxTargetsFile)
	}
	return strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"), nil
}

// printProbe writes the text report: a line per target, its evidence
// below, and a count.
func printProbe(w io.Writer, results []*probe.Result, active bool) {
	var yes, unknown, no, failed, notExchange int
	for _, r := range results {
		if r == nil {
			continue
		}
		var line string
		switch {
		case r.Error != "":
			failed++
			line = "NOT CHECKED: " + r.Error
		case !r.Exchange && r.Vulnerable == probe.VulnerableNo:
			notExchange++
			line = "not Exchange"
		case !r.Exchange:
			unknown++
			line = "UNKNOWN: Exchange not reached"
		default:
			build := "build unknown"
			if r.Build != "" {
				build = fmt.Sprintf("Exchange %s (%s, %s)", r.Build, map[string]string{"exact": "exact build", "cu": "CU level only"}[r.BuildPrecision], r.BuildSource)
			}
			switch r.Vulnerable {
			case probe.VulnerableYes:
				yes++
				line = build + ": VULNERABLE to " + strings.Join(r.CVEs, ", ")
			case probe.VulnerableUnknown:
				unknown++
				line = build + ": MAYBE vulnerable, the update installed decides"
				if len(r.CVEs) > 0 {
					line += " (" + strings.Join(r.CVEs, ", ") + ")"
				}
			default:
				no++
				line = build + ": no critical CVE known to be open"
			}
		}
		fmt.Fprintf(w, "%-40s %s\n", report.Terminal(r.Target), report.Terminal(line))
		for _, e := range r.Evidence {
			fmt.Fprintf(w, "    %s\n", report.Terminal(e))
		}
	}
	fmt.Fprintf(w, "\n%d target(s): %d vulnerable, %d maybe or unknown, %d not known to be vulnerable, %d not Exchange, %d not checked\n",
		yes+unknown+no+failed+notExchange, yes, unknown, no, notExchange, failed)
	if failed > 0 && failed == yes+unknown+no+failed+notExchange {
		fmt.Fprintf(w, "NOTHING CHECKED: no target answered; the reasons are above.\n")
	}
	if !active {
		fmt.Fprintf(w, "Versions only: --active adds the CVE-2021-26855 request (it appears in the targets' logs).\n")
	}
}
