package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/exhunt/exhunt/detect/content"
	"github.com/exhunt/exhunt/detect/registry"
	"github.com/exhunt/exhunt/indicators"
	"github.com/exhunt/exhunt/report"
)

// detectorOptions loads the user's rules, hash lists and baselines before
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
	for _, name := range iocs {
		f, err := os.Open(name)
		if err != nil {
			return o, fmt.Errorf("--ioc: %v", err)
		}
		list, err := indicators.ReadHashList(name, f)
		f.Close()
		if err != nil {
			return o, fmt.Errorf("--ioc: %s", report.Terminal(err.Error()))
		}
		if o.Hashes == nil {
			o.Hashes = map[string]indicators.HashInfo{}
		}
		for h, info := range list {
			o.Hashes[h] = info
		}
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
