package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/exhunt/exhunt/indicators"
	"github.com/exhunt/exhunt/report"
	"github.com/exhunt/exhunt/result"
)

// indicatorGroup is what one set of indicators holds: the built-in ones,
// a feed, or all of them together.
type indicatorGroup struct {
	Name       string                  `json:"name"`
	Error      string                  `json:"error,omitempty"`
	Indicators int                     `json:"indicators"`
	Kinds      map[indicators.Kind]int `json:"kinds"`
	Sources    []indicatorSource       `json:"sources,omitempty"`
	Problems   []indicatorProblem      `json:"problems,omitempty"`
	List       []indicatorEntry        `json:"list,omitempty"`
}

type indicatorSource struct {
	Source string                  `json:"source"`
	Kinds  map[indicators.Kind]int `json:"kinds"`
}

type indicatorProblem struct {
	Line  int    `json:"line,omitempty"`
	Ref   string `json:"ref,omitempty"`
	Error string `json:"error"`
	text  string
}

type indicatorEntry struct {
	Kind   indicators.Kind `json:"kind"`
	Value  string          `json:"value"`
	Source string          `json:"source,omitempty"`
	Date   string          `json:"date,omitempty"`
	Label  string          `json:"label,omitempty"`
	Ref    string          `json:"ref,omitempty"`
	Except string          `json:"except,omitempty"`
}

// indicatorsAnswer is the JSON answer of exhunt indicators.
type indicatorsAnswer struct {
	Builtin  indicatorGroup    `json:"builtin"`
	Feeds    []indicatorGroup  `json:"feeds"`
	Total    indicatorGroup    `json:"total"`
	ScanUses []indicators.Kind `json:"scan_uses"`
}

func runIndicators(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("indicators", flag.ContinueOnError)
	var feeds multiFlag
	fs.Var(&feeds, "ioc", "indicator feed `FILE` to check, as scan --ioc reads it; repeatable")
	format := fs.String("format", "text", "text or json")
	list := fs.Bool("list", false, "list every indicator, not only the counts")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: exhunt indicators [--ioc FILE]... [--format text|json] [--list]\n\n"+
			"Loads indicator feeds the way \"exhunt scan --ioc\" does and tells what they\n"+
			"hold, per kind and source, and every line or part that was not loaded and\n"+
			"why, so that a feed can be checked before a scan. Without --ioc it lists\n"+
			"the built-in indicators.\n\n"+
			"Feeds: STIX 2.1 JSON (bundle, array or one indicator), Microsoft's feed\n"+
			"(CSV with DateAdded,FirstSeen,Indicator,IndicatorType,TLP, JSON or JSON\n"+
			"Lines), Loki's hash and filename IOC files, and plain lists with one IP,\n"+
			"network, hash, domain, URL, path, file name or user agent a line (a prefix\n"+
			"such as ip:, hash:, domain:, url:, file:, path:, regex: or ua: names the kind).\n\n"+
			"Options:\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nExit status: 0 every feed loaded whole, 1 some lines were not loaded,\n"+
			"2 a feed could not be loaded at all.\n")
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "exhunt indicators: unexpected argument %q (feeds are given with --ioc)\n", fs.Arg(0))
		return result.ExitFailed
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "exhunt indicators: unknown --format %q (text or json)\n", *format)
		return result.ExitFailed
	}
	total := indicators.Builtin()
	ans := indicatorsAnswer{Builtin: describeSet("built-in", total, *list && len(feeds) == 0), ScanUses: scanKinds}
	code := result.ExitClean
	for _, name := range feeds {
		set, problems, err := indicators.Load(name)
		g := describeSet(name, set, *list)
		for _, p := range problems {
			g.Problems = append(g.Problems, indicatorProblem{Line: p.Line, Ref: p.Ref, Error: p.Err, text: p.String()})
		}
		if len(problems) > 0 {
			code = max(code, result.ExitFindings)
		}
		if err != nil {
			g.Error = err.Error()
			code = result.ExitFailed
		} else {
			total.Merge(set)
		}
		ans.Feeds = append(ans.Feeds, g)
	}
	ans.Total = describeSet("all together", total, false)
	ans.Total.Sources = nil
	if *format == "json" {
		if ans.Feeds == nil {
			ans.Feeds = []indicatorGroup{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(ans); err != nil {
			fmt.Fprintf(stderr, "exhunt indicators: %v\n", err)
			return result.ExitFailed
		}
		return code
	}
	writeIndicatorGroup(stdout, ans.Builtin)
	for _, g := range ans.Feeds {
		fmt.Fprintln(stdout)
		writeIndicatorGroup(stdout, g)
	}
	if len(ans.Feeds) > 0 {
		fmt.Fprintf(stdout, "\nAll together: %d distinct indicators (one listed in several feeds counts once)\n  %s\n",
			ans.Total.Indicators, kindCounts(ans.Total.Kinds))
	}
	var uses []string
	for _, k := range scanKinds {
		uses = append(uses, string(k))
	}
	fmt.Fprintf(stdout, "\nThe scan looks up: %s.\nHashes, file names and paths: of the files in the web folders and drop places;\naddresses, user agents and URLs: of the requests in the HttpProxy and IIS logs.\nThe other kinds (domains) are loaded and listed, not looked up: they are not in those logs.\n", strings.Join(uses, ", "))
	return code
}

// describeSet counts a set's indicators by kind and by source.
func describeSet(name string, s *indicators.Set, list bool) indicatorGroup {
	g := indicatorGroup{Name: name, Kinds: map[indicators.Kind]int{}}
	if s == nil {
		return g
	}
	g.Indicators = s.Len()
	g.Kinds = s.Count()
	bySource := map[string]map[indicators.Kind]int{}
	var order []string
	for ind := range s.All() {
		m := bySource[ind.Source]
		if m == nil {
			m = map[indicators.Kind]int{}
			bySource[ind.Source] = m
			order = append(order, ind.Source)
		}
		m[ind.Kind]++
		if list {
			g.List = append(g.List, indicatorEntry(ind))
		}
	}
	// A feed read from one file is its own source: listing it again says
	// nothing.
	if len(order) > 1 || len(order) == 1 && order[0] != name {
		for _, src := range order {
			g.Sources = append(g.Sources, indicatorSource{Source: src, Kinds: bySource[src]})
		}
	}
	return g
}

func writeIndicatorGroup(w io.Writer, g indicatorGroup) {
	name := report.Terminal(g.Name)
	if g.Name == "built-in" {
		name = "Built-in"
	}
	fmt.Fprintf(w, "%s: %d indicators", name, g.Indicators)
	if len(g.Problems) > 0 {
		fmt.Fprintf(w, ", %d lines or parts not loaded", len(g.Problems))
	}
	fmt.Fprintln(w)
	if g.Error != "" {
		fmt.Fprintf(w, "  NOT LOADED: %s\n", report.Terminal(g.Error))
	}
	if g.Indicators > 0 {
		fmt.Fprintf(w, "  %s\n", kindCounts(g.Kinds))
	}
	if len(g.Sources) > 0 {
		fmt.Fprintf(w, "  by source:\n")
		for _, s := range g.Sources {
			fmt.Fprintf(w, "    %s\n      %s\n", report.Terminal(s.Source), kindCounts(s.Kinds))
		}
	}
	if len(g.Problems) > 0 {
		fmt.Fprintf(w, "  not loaded:\n")
		for _, p := range g.Problems {
			fmt.Fprintf(w, "    %s\n", report.Terminal(p.text))
		}
	}
	if len(g.List) > 0 {
		fmt.Fprintf(w, "  indicators:\n")
		for _, e := range g.List {
			fmt.Fprintf(w, "    %-15s %s", e.Kind, report.Terminal(e.Value))
			var about []string
			for _, s := range []string{e.Label, e.Date, e.Ref} {
				if s != "" {
					about = append(about, report.Terminal(s))
				}
			}
			if e.Except != "" {
				about = append(about, "except "+report.Terminal(e.Except))
			}
			if len(about) > 0 {
				fmt.Fprintf(w, "  (%s)", strings.Join(about, "; "))
			}
			fmt.Fprintln(w)
		}
	}
}

// kindCounts writes counts per kind in the package's order.
func kindCounts(m map[indicators.Kind]int) string {
	var parts []string
	for _, k := range indicators.Kinds() {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
