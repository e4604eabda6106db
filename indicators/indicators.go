// Package indicators holds the built-in indicator data (known-bad hashes,
// web shell names, planted file paths, Exchange's own front-end files), each
// list with its public source in the data file's header. Rules that are data
// stay data: detectors read these lists, they do not embed them in code.
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

// HashInfo says what a known-bad hash is and who published it.
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
}

// Set is the parsed built-in data.
type Set struct {
	// KnownBad are lower-case hex MD5, SHA-1 and SHA-256 digests.
	KnownBad map[string]HashInfo
	// WebshellNames are lower-case file names.
	WebshellNames map[string]bool
	Paths         []IOCPath
	// FrontEndFiles are Exchange's own files below the front end's owa\auth
	// and ecp\auth, lower-case, relative to the install folder with
	// backslashes, "version" standing for the build folder.
	FrontEndFiles map[string]bool
}

var (
	builtinOnce sync.Once
	builtin     *Set
	builtinErr  error
)

// Builtin returns the embedded data, parsed once.
func Builtin() (*Set, error) {
	builtinOnce.Do(func() { builtin, builtinErr = parse() })
	return builtin, builtinErr
}

// MustBuiltin is Builtin for callers that cannot go on without the data;
// the data is compiled in and checked by tests, so failure is a build defect.
func MustBuiltin() *Set {
	s, err := Builtin()
	if err != nil {
		panic(err)
	}
	return s
}

func parse() (*Set, error) {
	s := &Set{
		KnownBad:      map[string]HashInfo{},
		WebshellNames: map[string]bool{},
		FrontEndFiles: map[string]bool{},
	}
	err := eachLine("known-bad-hashes.tsv", knownBadHashes, func(line string) error {
		cols := strings.Split(line, "\t")
		if len(cols) != 3 || !IsHash(cols[0]) {
			return fmt.Errorf("want hash<TAB>what<TAB>source, the hash an MD5, SHA-1 or SHA-256 in hex")
		}
		s.KnownBad[strings.ToLower(cols[0])] = HashInfo{What: cols[1], Source: cols[2]}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachLine("webshell-names.txt", webshellNames, func(line string) error {
		s.WebshellNames[strings.ToLower(line)] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachLine("ioc-paths.tsv", iocPaths, func(line string) error {
		base, rel, ok := strings.Cut(line, "\t")
		switch PathBase(base) {
		case BaseExchange, BaseWebRoot, BaseDrive:
		default:
			ok = false
		}
		if !ok || rel == "" {
			return fmt.Errorf("want base<TAB>path with base exchange, webroot or drive")
		}
		s.Paths = append(s.Paths, IOCPath{Base: PathBase(base), Rel: rel})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachLine("exchange-frontend-files.txt", exchangeFrontEndFiles, func(line string) error {
		s.FrontEndFiles[strings.ToLower(line)] = true
		return nil
	})
	return s, err
}

func eachLine(name, data string, fn func(string) error) error {
	sc := bufio.NewScanner(strings.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("indicators/data/%s:%d: %w", name, n, err)
		}
	}
	return sc.Err()
}
