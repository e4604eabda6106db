// Package indicators holds what exhunt knows of the 2021 Exchange attacks
// as data, and reads what responders bring:
//
//   - Set: typed indicators (addresses, networks, hashes, domains, URLs,
//     file names, paths and name patterns, user agents) with their source,
//     and fast lookups for the checks. Builtin returns the published ones
//     under data/, each row with its source; Load reads a responder's feed
//     (STIX 2.1, Microsoft's feed, Loki lists, plain lists) and names every
//     line it could not use.
//   - Data: lists the file checks use with their own logic (web shell names,
//     Exchange's own front-end files, planted paths re-based on the install).
//   - The built-in YARA rules (rules.go).
//
// Rules that are data stay data: detectors read these lists, they do not
// embed them in code.
package indicators

import (
	"bufio"
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

//go:embed data/known-bad-hashes.tsv
var knownBadHashes string

//go:embed data/webshell-names.txt
var webshellNames string

//go:embed data/ioc-paths.tsv
var iocPaths string

//go:embed data/exchange-frontend-files.txt
var exchangeFrontEndFiles string

// HashInfo says what a known-bad hash is and who published it (the answer
// of ReadHashList).
type HashInfo struct {
	What, Source string
}

// PathBase is where an indicator path is rooted.
type PathBase string

const (
	BaseExchange PathBase = "exchange" // the Exchange install folder (V15)
	BaseWebRoot  PathBase = "webroot"  // the IIS Default Web Site folder
	BaseDrive    PathBase = "drive"    // the system drive
)

// IOCPath is a file path published as planted by attackers.
type IOCPath struct {
	Base PathBase
	// Rel is relative to Base, backslashes as published.
	Rel string
	// Added is the date Microsoft added the path to its feed.
	Added string
	// Line is the path's line in data/ioc-paths.tsv.
	Line int
}

// Data is the parsed built-in data of the file checks. The same hashes
// and paths are also in Builtin's Set, for lookups and listings.
type Data struct {
	// WebshellNames are lower-case file names.
	WebshellNames map[string]bool
	Paths         []IOCPath
	// FrontEndFiles are Exchange's own files below the front end's owa\auth
	// and ecp\auth, lower-case, relative to the install folder with
	// backslashes, "version" standing for the build folder.
	FrontEndFiles map[string]bool
}

// BuiltinData returns the embedded data of the file checks, parsed once.
// The data is compiled in and checked by tests, so a failure to parse it is
// a build defect and panics.
var BuiltinData = sync.OnceValue(func() *Data {
	d, err := parseData()
	if err != nil {
		panic(err)
	}
	return d
})

// MustBuiltin is the name BuiltinData had when it was the package's only
// data; the detectors written then still call it.
//
// Deprecated: use BuiltinData.
func MustBuiltin() *Data { return BuiltinData() }

func parseData() (*Data, error) {
	s := &Data{
		WebshellNames: map[string]bool{},
		FrontEndFiles: map[string]bool{},
	}
	err := eachLine("webshell-names.txt", webshellNames, func(_ int, line string) error {
		s.WebshellNames[strings.ToLower(line)] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.Paths, err = parseIOCPaths()
	if err != nil {
		return nil, err
	}
	err = eachLine("exchange-frontend-files.txt", exchangeFrontEndFiles, func(_ int, line string) error {
		s.FrontEndFiles[strings.ToLower(line)] = true
		return nil
	})
	return s, err
}

func parseIOCPaths() ([]IOCPath, error) {
	var out []IOCPath
	err := eachLine("ioc-paths.tsv", iocPaths, func(n int, line string) error {
		cols := strings.Split(line, "\t")
		ok := len(cols) == 3 && cols[1] != "" && isDate(cols[2])
		if ok {
			switch PathBase(cols[0]) {
			case BaseExchange, BaseWebRoot, BaseDrive:
			default:
				ok = false
			}
		}
		if !ok {
			return fmt.Errorf("want base<TAB>path<TAB>date added with base exchange, webroot or drive")
		}
		out = append(out, IOCPath{Base: PathBase(cols[0]), Rel: cols[1], Added: cols[2], Line: n})
		return nil
	})
	return out, err
}

// eachLine calls fn with every line of a data file that is not blank or a
// comment, and its line number.
func eachLine(name, data string, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(strings.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(n, line); err != nil {
			return fmt.Errorf("indicators/data/%s:%d: %w", name, n, err)
		}
	}
	return sc.Err()
}
