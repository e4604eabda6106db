package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/exhunt/exhunt/detect/content"
	"github.com/exhunt/exhunt/detect/registry"
	"github.com/exhunt/exhunt/indicators"
	"github.com/exhunt/exhunt/report"
)

// detectorOptions loads the user's rules, indicator feeds and baselines before
// the scan, so a file that does not load stops the run with its name and
// line instead of leaving a check silently out.
func detectorOptions(rules []string, noBuiltin bool, iocs, baselines []string, maxSize string) (registry.Options, error) {
	var o registry.Options
	size, err := parseSize(maxSize)
	if err != nil {
		return o, fmt.Errorf("--max-file-size %q: %v", maxSize, err)
	}
	o.MaxFileSize = size
	if noBuiltin && len(rules) == 0 {
		return o, fmt.Errorf("--no-builtin-rules without --rules would apply no rule at all")
	}
	if len(rules) > 0 || noBuiltin {
		set, err := content.LoadRules(rules, noBuiltin)
		if err != nil {
			return o, fmt.Errorf("--rules: %s", report.Terminal(err.Error()))
		}
		o.Rules = set
		for _, n := range set.Notes {
			fmt.Fprintf(os.Stderr, "exhunt scan: note: %s\n", report.Terminal(n))
		}
	}
	if len(iocs) > 0 {
		set, err := loadIOCs(iocs, os.Stderr)
		if err != nil {
			return o, err
		}
		o.Indicators = set
	}
	if len(baselines) > 0 {
		b, err := content.LoadBaselines(baselines)
		if err != nil {
			return o, fmt.Errorf("--baseline: %s", report.Terminal(err.Error()))
		}
		o.Baselines = b
	}
	return o, nil
}

// maxIOCWarnings bounds the warnings printed for one feed; "exhunt
// indicators" lists them all.
const maxIOCWarnings = 20

// scanKinds are the kinds of indicator the scan's checks look up; the
// others are loaded and listed, and a note says the scan does not use
// them yet.
var scanKinds = []indicators.Kind{indicators.KindMD5, indicators.KindSHA1, indicators.KindSHA256,
	indicators.KindIP, indicators.KindCIDR, indicators.KindUserAgent, indicators.KindURL,
	indicators.KindFileName, indicators.KindFileNameRegex, indicators.KindFilePath}

// loadIOCs loads the --ioc feeds, in any format the indicators package
// reads, into the built-in indicators. What a feed could not load is a
// warning naming its file and line; a feed that cannot be read or loads
// nothing stops the scan.
func loadIOCs(files []string, warn io.Writer) (*indicators.Set, error) {
	all := indicators.Builtin()
	for _, name := range files {
		set, problems, err := indicators.Load(name)
		for i, p := range problems {
			if i == maxIOCWarnings {
				fmt.Fprintf(warn, "exhunt scan: warning: %s: %d more lines not loaded; \"exhunt indicators --ioc FILE\" lists them all\n",
					report.Terminal(name), len(problems)-i)
				break
			}
			fmt.Fprintf(warn, "exhunt scan: warning: not loaded: %s\n", report.Terminal(p.String()))
		}
		if err != nil {
			return nil, fmt.Errorf("--ioc: %s", report.Terminal(err.Error()))
		}
		var unused []string
		count := set.Count()
		for _, k := range indicators.Kinds() {
			if count[k] > 0 && !slices.Contains(scanKinds, k) {
				unused = append(unused, fmt.Sprintf("%d %s", count[k], k))
			}
		}
		if len(unused) > 0 {
			fmt.Fprintf(warn, "exhunt scan: note: %s: %s loaded, but this version's checks do not look them up (domains are not in the logs it reads)\n",
				report.Terminal(name), strings.Join(unused, ", "))
		}
		all.Merge(set)
	}
	return all, nil
}

// parseSize reads a size such as 32MB, 512KB, 1GB or a number of bytes.
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("want a positive size such as 32MB")
	}
	if n > (1<<40)/mult {
		return 0, fmt.Errorf("larger than 1 TB")
	}
	return n * mult, nil
}
