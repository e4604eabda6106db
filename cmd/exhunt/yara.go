package main

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/exhunt/exhunt/report"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/yara"
)

// maxYaraFile bounds the files read whole for a rule scan.
const maxYaraFile = 1 << 30

func runYara(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("yara", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: exhunt yara RULES_FILE PATH...\n\n"+
			"Runs exhunt's YARA-compatible engine: prints one line per match,\n"+
			"RULE_NAME FILE_PATH, as \"yara -r RULES_FILE PATH\" does. Folders are\n"+
			"walked recursively. Exit status 0 whether or not anything matched, 2 when\n"+
			"the rules do not compile (the message names the file and line).\n")
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() < 2 {
		fmt.Fprintf(stderr, "exhunt yara: give a rules file and at least one file or folder to scan\n")
		return result.ExitFailed
	}
	rulesPath := fs.Arg(0)
	src, err := os.ReadFile(rulesPath)
	if err != nil {
		fmt.Fprintf(stderr, "exhunt yara: %v\n", err)
		return result.ExitFailed
	}
	rules, err := yara.Compile(yara.Source{Name: rulesPath, Data: src})
	if err != nil {
		fmt.Fprintf(stderr, "exhunt yara: %s\n", report.Terminal(err.Error()))
		return result.ExitFailed
	}
	if ext := rules.Externals(); len(ext) > 0 {
		// As yara without -d: an identifier the rules do not define.
		fmt.Fprintf(stderr, "exhunt yara: %s:%d: undefined identifier %q\n", report.Terminal(rulesPath), firstLine(src, ext[0]), ext[0])
		return result.ExitFailed
	}
	scan := func(path string) {
		st, err := os.Stat(path)
		if err != nil || !st.Mode().IsRegular() {
			if err != nil {
				fmt.Fprintf(stderr, "exhunt yara: %v\n", err)
			}
			return
		}
		if st.Size() > maxYaraFile {
			fmt.Fprintf(stderr, "exhunt yara: %s: larger than %d bytes, not scanned\n", report.Terminal(path), maxYaraFile)
			return
		}
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "exhunt yara: %v\n", err)
			return
		}
		matches, err := rules.Scan(data, nil)
		if err != nil {
			fmt.Fprintf(stderr, "exhunt yara: %s: %v\n", report.Terminal(path), err)
		}
		for _, m := range matches {
			fmt.Fprintf(stdout, "%s %s\n", m.Rule, path)
		}
	}
	for _, target := range fs.Args()[1:] {
		st, err := os.Stat(target)
		if err != nil {
			fmt.Fprintf(stderr, "exhunt yara: %v\n", err)
			return result.ExitFailed
		}
		if !st.IsDir() {
			scan(target)
			continue
		}
		walkYara(target, target, scan, stderr)
	}
	return result.ExitClean
}

// walkYara scans the files below dir, naming them as yara -r does: the
// path given, a slash and the names below it, as they are.
func walkYara(dir, shown string, scan func(string), stderr io.Writer) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintf(stderr, "exhunt yara: %v\n", err)
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		full := filepath.Join(dir, e.Name())
		name := shown + "/" + e.Name()
		if strings.HasSuffix(shown, string(filepath.Separator)) && filepath.Separator != '/' {
			name = shown + e.Name()
		}
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			// yara follows links to files; a link to a folder could
			// loop, and is not followed.
			if st, err := os.Stat(full); err == nil && st.Mode().IsRegular() {
				scanNamed(scan, full, name)
			}
		case e.IsDir():
			walkYara(full, name, scan, stderr)
		case e.Type().IsRegular():
			scanNamed(scan, full, name)
		}
	}
}

// scanNamed scans the file at full and reports it under the name yara
// would print.
func scanNamed(scan func(string), full, name string) {
	if full == name {
		scan(full)
		return
	}
	scan(name)
}

// firstLine is the line of the first whole-word occurrence of name in src
// (1 when it cannot be found).
func firstLine(src []byte, name string) int {
	for i, line := range strings.Split(string(src), "\n") {
		for j := strings.Index(line, name); j >= 0; {
			before := j == 0 || !isWordByte(line[j-1])
			after := j+len(name) >= len(line) || !isWordByte(line[j+len(name)])
			if before && after {
				return i + 1
			}
			k := strings.Index(line[j+1:], name)
			if k < 0 {
				break
			}
			j += 1 + k
		}
	}
	return 1
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
