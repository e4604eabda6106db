package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/exhunt/exhunt/builds"
	"github.com/exhunt/exhunt/report"
	"github.com/exhunt/exhunt/result"
)

// buildRelease is a release in the JSON answer.
type buildRelease struct {
	Name  string `json:"name"`
	Build string `json:"build"`
	KB    string `json:"kb,omitempty"`
	Date  string `json:"date,omitempty"`
}

func releaseJSON(r *builds.Release) *buildRelease {
	if r == nil {
		return nil
	}
	out := &buildRelease{Name: r.Name(), Build: r.Version.String(), KB: r.KB}
	if !r.Date.IsZero() {
		out.Date = r.Date.Format("2006-01-02")
	}
	return out
}

// buildAnswer is the JSON answer of exhunt build: the contract's keys
// first.
type buildAnswer struct {
	Build             string   `json:"build"`
	Product           string   `json:"product"`
	CU                string   `json:"cu"`
	SU                string   `json:"su"`
	ProxyLogonPatched bool     `json:"proxylogon_patched"`
	MissingCVEs       []string `json:"missing_cves"`

	Known       bool              `json:"known"`
	Affected    bool              `json:"proxylogon_affected"`
	Newer       bool              `json:"newer_than_table,omitempty"`
	Release     *buildRelease     `json:"release,omitempty"`
	Missing     []builds.Critical `json:"missing,omitempty"`
	NextUpdate  *buildRelease     `json:"next_update,omitempty"`
	Latest      *buildRelease     `json:"latest,omitempty"`
	Explanation string            `json:"explanation"`
	what        string
}

func runBuild(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	format := fs.String("format", "text", "text or json")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: exhunt build [--format text|json] BUILD...\n\n"+
			"Tells what an Exchange build number is (e.g. 15.1.2176.9 or 15.01.2176.009):\n"+
			"product, cumulative and security update, whether it is patched against the\n"+
			"March 2021 ProxyLogon vulnerabilities, which critical CVEs it misses, and\n"+
			"which update to install next.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "exhunt build: give a build number, e.g. exhunt build 15.1.2176.9\n")
		return result.ExitFailed
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "exhunt build: unknown --format %q (text or json)\n", *format)
		return result.ExitFailed
	}
	table, err := builds.Builtin()
	if err != nil {
		fmt.Fprintf(stderr, "exhunt build: %v\n", err)
		return result.ExitFailed
	}
	var answers []buildAnswer
	for _, arg := range fs.Args() {
		v, err := builds.Parse(arg)
		if err != nil {
			fmt.Fprintf(stderr, "exhunt build: %v\n", report.Terminal(err.Error()))
			return result.ExitFailed
		}
		a := table.Lookup(v)
		ans := buildAnswer{Build: v.String(), Product: a.Product, CU: a.CU, SU: a.SU, ProxyLogonPatched: a.ProxyLogonPatched,
			MissingCVEs: []string{}, Known: a.Known, Affected: a.ProxyLogonAffected, Newer: a.Newer, Missing: a.Missing,
			NextUpdate: releaseJSON(a.Next), Latest: releaseJSON(a.Latest), Explanation: a.Explanation, what: a.What}
		if a.Known {
			ans.Release = releaseJSON(a.Release)
		}
		for _, m := range a.Missing {
			ans.MissingCVEs = append(ans.MissingCVEs, m.CVE)
		}
		answers = append(answers, ans)
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		var err error
		if len(answers) == 1 {
			err = enc.Encode(answers[0])
		} else {
			err = enc.Encode(answers)
		}
		if err != nil {
			fmt.Fprintf(stderr, "exhunt build: %v\n", err)
			return result.ExitFailed
		}
		return result.ExitClean
	}
	for i, a := range answers {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		writeBuildText(stdout, a)
	}
	return result.ExitClean
}

func writeBuildText(w io.Writer, a buildAnswer) {
	name := "unknown build"
	switch {
	case a.Release != nil:
		name = a.Release.Name
	case a.Newer:
		name = a.Product + ", newer than the newest build this table knows"
	case a.CU != "":
		name = a.Product + " " + a.CU + " (update level unknown)"
	case a.Product != "":
		name = a.Product + " (build not in the table)"
	}
	fmt.Fprintf(w, "%s: %s\n", a.Build, name)
	if a.Release != nil && (a.Release.Date != "" || a.Release.KB != "") {
		fmt.Fprintf(w, "  released   %s\n", strings.TrimSpace(a.Release.Date+" "+a.Release.KB))
	}
	state := "PATCHED against ProxyLogon (March 2021)"
	switch {
	case a.Product == "":
		state = "unknown: not an Exchange build this table knows"
	case !a.Affected:
		state = "not reached by ProxyLogon, but unsupported for years: replace it"
	case a.Product == "Exchange 2010" && !a.ProxyLogonPatched:
		state = "VULNERABLE to CVE-2021-26857 (the only one of the chain that reaches Exchange 2010; out of support)"
	case a.Product == "Exchange 2010":
		state = "patched against CVE-2021-26857 (the only one of the chain that reaches it); out of support: replace it"
	case !a.ProxyLogonPatched:
		state = "VULNERABLE to ProxyLogon (CVE-2021-26855, -26857, -26858, -27065)"
	}
	fmt.Fprintf(w, "  proxylogon %s\n", state)
	if len(a.Missing) > 0 {
		fmt.Fprintf(w, "  missing    %d critical fix(es):\n", len(a.Missing))
		for _, m := range a.Missing {
			fmt.Fprintf(w, "               %s  %s\n", m.CVE, m.Name)
		}
	} else if a.Product != "" {
		fmt.Fprintf(w, "  missing    none of the critical fixes this table lists\n")
	}
	if a.NextUpdate != nil {
		kb := ""
		if a.NextUpdate.KB != "" {
			kb = " (" + a.NextUpdate.KB + ")"
		}
		fmt.Fprintf(w, "  next       install %s%s, build %s\n", a.NextUpdate.Name, kb, a.NextUpdate.Build)
	}
	if a.Latest != nil && (a.NextUpdate == nil || a.Latest.Build != a.NextUpdate.Build) && a.Latest.Build != a.Build {
		fmt.Fprintf(w, "  newest     %s, build %s\n", a.Latest.Name, a.Latest.Build)
	}
	if !a.Known {
		fmt.Fprintf(w, "  %s\n", strings.TrimSpace(wrapText(a.what, 76, "  ")))
	}
}

// wrapText folds a paragraph for a terminal.
func wrapText(s string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for _, word := range strings.Fields(s) {
		if n > 0 && n+1+len(word) > width {
			b.WriteString("\n" + indent)
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}
