package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/exhunt/exhunt/detect/registry"
	"github.com/exhunt/exhunt/result"
)

func runRules(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	format := fs.String("format", "text", "text, markdown (the README's tables) or json")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: exhunt rules [--format text|markdown|json]\n\n"+
			"Lists every rule and check of this version, with the CVEs each covers and\n"+
			"the checks not done yet.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	var err error
	switch *format {
	case "text":
		err = registry.WriteText(stdout)
	case "markdown":
		err = registry.WriteMarkdown(stdout)
	case "json":
		type rule struct {
			ID         string   `json:"id"`
			Title      string   `json:"title"`
			Severity   string   `json:"severity"`
			CVEs       []string `json:"cves"`
			Check      string   `json:"check"`
			References []string `json:"references,omitempty"`
		}
		var doc struct {
			Rules    []rule                 `json:"rules"`
			Coverage []registry.CVECoverage `json:"cve_coverage"`
		}
		for _, e := range registry.Catalogue() {
			cves := e.Rule.CVEs
			if cves == nil {
				cves = []string{}
			}
			doc.Rules = append(doc.Rules, rule{e.Rule.ID, e.Rule.Title, e.Rule.Grading, cves, e.Check.ID, e.Rule.References})
		}
		doc.Coverage = registry.Coverage()
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(doc)
	default:
		fmt.Fprintf(stderr, "exhunt rules: unknown --format %q (text, markdown or json)\n", *format)
		return result.ExitFailed
	}
	if err != nil {
		fmt.Fprintf(stderr, "exhunt rules: %v\n", err)
		return result.ExitFailed
	}
	return result.ExitClean
}
