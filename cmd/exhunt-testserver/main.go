// Command exhunt-testserver writes a synthetic Exchange server (logs, web
// folders, registry hive) for benchmarks and for trying exhunt or other
// tools on known ground truth. It prints the expected findings as JSON when
// asked. The Exchange logs (--size) and the IIS logs (--iis-bytes) are
// sized apart.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/exhunt/exhunt/testserver"
)

func main() {
	out := flag.String("out", "", "folder to write the server into (created; must be empty or new)")
	size := flag.String("size", "", "approximate total size of the Exchange logs (HttpProxy, ECP, OAB), e.g. 512M, 2G (default: the demo's few MB)")
	iisSize := flag.String("iis-bytes", "", "approximate total size of the IIS logs of both sites, e.g. 2G; 0 for none (default: one line per site for each benign HttpProxy row)")
	clean := flag.Bool("clean", false, "no attack, only benign traffic and files")
	manifest := flag.String("manifest", "", "write the expected findings as JSON to this file")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: exhunt-testserver --out DIR [--size 2G] [--iis-bytes 2G] [--clean] [--manifest FILE]")
		os.Exit(2)
	}
	opt := testserver.DemoOptions()
	opt.Attacks = !*clean
	if *size != "" {
		n, err := parseSize(*size)
		if err != nil {
			fmt.Fprintln(os.Stderr, "exhunt-testserver:", err)
			os.Exit(2)
		}
		opt.TargetLogBytes = n
	}
	switch *iisSize {
	case "":
	case "0":
		opt.NoIISLogs = true
	default:
		n, err := parseSize(*iisSize)
		if err != nil {
			fmt.Fprintln(os.Stderr, "exhunt-testserver:", err)
			os.Exit(2)
		}
		opt.IISTargetBytes = n
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "exhunt-testserver:", err)
		os.Exit(1)
	}
	man, err := testserver.Generate(*out, opt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "exhunt-testserver:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d log files, %d bytes of logs (of which IIS: %d files, %d bytes), %d expected findings and %d expected IIS findings to %s\n",
		man.LogFiles, man.LogBytes, man.IISLogFiles, man.IISLogBytes, len(man.Expected), len(man.ExpectedIIS), *out)
	if *manifest != "" {
		data, _ := json.MarshalIndent(man, "", "  ")
		if err := os.WriteFile(*manifest, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "exhunt-testserver:", err)
			os.Exit(1)
		}
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(strings.ToUpper(s), "G"):
		mult, s = 1<<30, s[:len(s)-1]
	case strings.HasSuffix(strings.ToUpper(s), "M"):
		mult, s = 1<<20, s[:len(s)-1]
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q (want e.g. 512M or 2G)", s)
	}
	return int64(n * float64(mult)), nil
}
