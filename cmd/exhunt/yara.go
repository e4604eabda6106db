package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/exhunt/exhunt/root"

	"github.com/exhunt/exhunt/report"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/yara"
)

// maxYaraFile bounds the files read whole for a rule scan: larger ones
// are reported and not scanned.
const maxYaraFile = 1 << 30

// keptBuffer: a worker keeps its read buffer for the next file up to this
// size; a larger one, grown for a large file, goes back to the heap.
const keptBuffer = 64 << 20

const yaraUsage = `Usage: exhunt yara [options] RULES_FILE PATH...

Runs exhunt's YARA-compatible engine over files and folders (walked
recursively, always) and prints one line per match, RULE_NAME FILE_PATH, as
"yara -r RULES_FILE PATH" does. The rules file may include others; relative
include paths are taken from the including file's folder, as in yara.

Files are scanned by several workers at once, each holding one file in
memory (read whole, at most --max-file-size). Lines are printed in the
order of the walk (each folder's entries sorted by name), all the lines of
one file together, whatever the number of workers; yara -p prints in the
order the files finish.

Options (also accepted after RULES_FILE, as yara takes them):
  -d NAME=VALUE, --define NAME=VALUE
        define an external variable, as yara -d: an integer when VALUE is
        digits with an optional leading minus (read with C's atoi, as yara
        does, so it wraps to 32 bits), a float when it also has one dot
        (not first), a boolean for true or false, else a string. Repeatable.
  -p N, --threads N
        files scanned at once (default: the number of CPUs)
  -s, --print-strings
        after each match, print the matching strings as yara -s does:
        0xOFFSET:$id: data (text escaped as \xHH where not printable, hex
        strings as hex bytes, at most 64 of them)
  -z SIZE, --skip-larger SIZE
        skip the files found in folders that are larger than SIZE bytes,
        saying so on stderr, as yara -z (files named on the command line
        are scanned whatever their size)
  --max-file-size SIZE
        files larger than SIZE bytes (default and most: 1 GiB), wherever
        they are, are reported on stderr and not scanned: with -p N, at most
        N times SIZE bytes of files are in memory at once
  -r, --recursive
        accepted for yara's sake; folders are always walked recursively
  --cpuprofile FILE
        write a CPU profile of the run to FILE (go tool pprof)

Links to files are followed; links to folders are not (a link could point
out of the evidence, or loop). FIFOs, devices and sockets found in folders
are skipped.

Exit status: 0 when every file named on the command line was scanned,
whether or not anything matched, and whatever went wrong with files found
in folders (reported on stderr, as yara -r does); 2 when the rules do not
compile (the message names the file and line), an option is wrong, or a
file or folder named on the command line cannot be scanned.
`

func runYara(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("yara", flag.ContinueOnError)
	fl.Usage = func() { fmt.Fprint(fl.Output(), yaraUsage) }
	defs := defineFlag{}
	threads := runtime.NumCPU()
	var printStrings, recursive bool
	var skipLarger int64 = -1
	for _, n := range []string{"d", "define"} {
		fl.Var(defs, n, "")
	}
	for _, n := range []string{"p", "threads"} {
		fl.IntVar(&threads, n, threads, "")
	}
	for _, n := range []string{"s", "print-strings"} {
		fl.BoolVar(&printStrings, n, false, "")
	}
	for _, n := range []string{"r", "recursive"} {
		fl.BoolVar(&recursive, n, false, "")
	}
	for _, n := range []string{"z", "skip-larger"} {
		fl.Int64Var(&skipLarger, n, -1, "")
	}
	maxFile := fl.Int64("max-file-size", maxYaraFile, "")
	cpuProfile := fl.String("cpuprofile", "", "")
	pos, code, ok := parseInterspersed(fl, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) < 2 {
		fmt.Fprintf(stderr, "exhunt yara: give a rules file and at least one file or folder to scan\n")
		return result.ExitFailed
	}
	if threads < 1 || threads > 1024 {
		fmt.Fprintf(stderr, "exhunt yara: -p %d: give a number of threads from 1 to 1024\n", threads)
		return result.ExitFailed
	}
	if *maxFile < 0 || *maxFile > maxYaraFile {
		fmt.Fprintf(stderr, "exhunt yara: --max-file-size %d: give a size from 0 to %d bytes\n", *maxFile, maxYaraFile)
		return result.ExitFailed
	}
	rulesPath := pos[0]
	if st, err := os.Stat(rulesPath); err == nil && !st.Mode().IsRegular() {
		fmt.Fprintf(stderr, "exhunt yara: %s: not a regular file\n", report.Terminal(rulesPath))
		return result.ExitFailed
	}
	src, err := os.ReadFile(rulesPath)
	if err != nil {
		fmt.Fprintf(stderr, "exhunt yara: %v\n", err)
		return result.ExitFailed
	}
	rules, err := yara.CompileOptions(yara.Options{Include: yara.IncludeFiles, Externals: defs}, yara.Source{Name: rulesPath, Data: src})
	if err != nil {
		fmt.Fprintf(stderr, "exhunt yara: %s\n", report.Terminal(err.Error()))
		return result.ExitFailed
	}
	if *cpuProfile != "" {
		// Never written among the files scanned, as a report would not be.
		prof, err := openOutputFile("--cpuprofile", *cpuProfile, pos[1:])
		if err != nil {
			fmt.Fprintf(stderr, "exhunt yara: %v\n", err)
			return result.ExitFailed
		}
		defer abort(prof)
		pprof.StartCPUProfile(prof)
		defer func() {
			pprof.StopCPUProfile()
			if err := prof.Commit(); err != nil {
				fmt.Fprintf(stderr, "exhunt yara: %v\n", err)
			}
		}()
	}
	y := &yaraRun{rules: rules, strings: printStrings, skipLarger: skipLarger, maxFile: *maxFile, threads: threads}
	if y.run(pos[1:], stdout, stderr) {
		return result.ExitFailed
	}
	return result.ExitClean
}

// parseInterspersed parses options placed before, between or after the
// positional arguments (as yara's getopt does); "--" ends the options.
func parseInterspersed(fl *flag.FlagSet, args []string, stdout, stderr io.Writer) (pos []string, code int, ok bool) {
	for {
		if code, ok := parseFlags(fl, args, stdout, stderr); !ok {
			return nil, code, false
		}
		rest := fl.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), 0, true
		}
		if len(rest) == 0 {
			return pos, 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// defineFlag collects -d NAME=VALUE as yara's command line reads it.
type defineFlag map[string]any

func (d defineFlag) String() string { return "" }

func (d defineFlag) Set(s string) error {
	name, v, err := parseDefine(s)
	if err != nil {
		return err
	}
	if _, dup := d[name]; dup {
		return fmt.Errorf("external variable %q defined twice", name)
	}
	d[name] = v
	return nil
}

// parseDefine reads NAME=VALUE as yara 4.2's -d: true and false are
// booleans; an optional minus and digits an integer, read with atoi (the
// value saturates at 64 bits, then keeps its low 32 bits, signed); an
// optional minus, digits and one dot not first a float; anything else a
// string.
func parseDefine(s string) (string, any, error) {
	name, val, ok := strings.Cut(s, "=")
	if !ok {
		return "", nil, fmt.Errorf("%q: give NAME=VALUE", s)
	}
	switch {
	case val == "true" || val == "false":
		return name, val == "true", nil
	case isDecimal(val, false):
		n, _ := strconv.ParseInt(val, 10, 64) // saturates on overflow, as strtol
		return name, int64(int32(n)), nil
	case isDecimal(val, true):
		f, _ := strconv.ParseFloat(val, 64) // ±Inf beyond the range, as atof
		return name, f, nil
	}
	return name, val, nil
}

// isDecimal reports whether s is an optional '-' and ASCII digits, with
// exactly one '.' (not right after the minus) when dot is set: yara's
// is_integer and is_float.
func isDecimal(s string, dot bool) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || dot && s[0] == '.' {
		return false
	}
	dots := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			dots++
		case c < '0' || c > '9':
			return false
		}
	}
	return dots == 0 && !dot || dots == 1 && dot
}

// yaraRun scans files with workers and prints their results in the order
// of the walk.
type yaraRun struct {
	rules      *yara.Rules
	strings    bool  // -s
	skipLarger int64 // -z; < 0: none
	maxFile    int64 // --max-file-size
	threads    int
}

// yaraJob is one file to scan, or a message to print at its place in the
// walk's order.
type yaraJob struct {
	path   string // to open
	name   string // as printed
	direct bool   // named on the command line
	msg    string // already decided: printed on stderr, no scan
	failed bool   // with msg: the exit status is 2
	done   chan yaraResult
}

type yaraResult struct {
	out, errs []byte
	failed    bool
}

// run scans the targets and reports whether the exit status is a failure.
func (y *yaraRun) run(targets []string, stdout, stderr io.Writer) bool {
	jobs := make(chan *yaraJob)
	// The printer holds at most this many pending results: a slow file
	// lets the others run ahead only so far.
	queue := make(chan *yaraJob, 16*y.threads)
	var wg sync.WaitGroup
	for range y.threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for j := range jobs {
				var r yaraResult
				buf, r = y.scan(j, buf)
				if cap(buf) > keptBuffer {
					buf = nil
				}
				j.done <- r
			}
		}()
	}
	failed := false
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		out := bufio.NewWriterSize(stdout, 64<<10)
		for j := range queue {
			r := <-j.done
			out.Write(r.out)
			if len(r.errs) > 0 {
				out.Flush()
				stderr.Write(r.errs)
			}
			failed = failed || r.failed
		}
		out.Flush()
	}()
	submit := func(j *yaraJob) {
		j.done = make(chan yaraResult, 1)
		queue <- j
		if j.msg != "" {
			j.done <- yaraResult{errs: []byte("exhunt yara: " + j.msg + "\n"), failed: j.failed}
			return
		}
		jobs <- j
	}
	for _, target := range targets {
		st, err := os.Stat(target)
		switch {
		case err != nil:
			submit(&yaraJob{msg: report.Terminal(err.Error()), failed: true})
		case st.IsDir():
			y.walk(target, target, submit)
		default:
			submit(&yaraJob{path: target, name: target, direct: true})
		}
	}
	close(jobs)
	close(queue)
	wg.Wait()
	<-printed
	return failed
}

// walk submits the files below dir, named as yara -r names them: the path
// given, a slash and the names below it, as they are.
func (y *yaraRun) walk(dir, shown string, submit func(*yaraJob)) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		submit(&yaraJob{msg: report.Terminal(err.Error())})
		return
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	for _, e := range entries {
		full := filepath.Join(dir, e.Name())
		name := shown + "/" + e.Name()
		if filepath.Separator != '/' && strings.HasSuffix(shown, string(filepath.Separator)) {
			name = shown + e.Name()
		}
		if full == name {
			name = full
		}
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			// yara follows links to files, and skips dangling ones
			// without a word; links to folders are not followed.
			if st, err := os.Stat(full); err == nil && st.Mode().IsRegular() {
				submit(&yaraJob{path: full, name: name})
			}
		case e.IsDir():
			y.walk(full, name, submit)
		case e.Type().IsRegular():
			submit(&yaraJob{path: full, name: name})
		}
	}
}

// scan reads and scans one file, reusing buf; it returns the buffer for
// the next file.
func (y *yaraRun) scan(j *yaraJob, buf []byte) ([]byte, yaraResult) {
	var r yaraResult
	fail := func(format string, args ...any) ([]byte, yaraResult) {
		r.errs = fmt.Appendf(r.errs, "exhunt yara: error scanning %s: %s\n", report.Terminal(j.name), report.Terminal(fmt.Sprintf(format, args...)))
		r.failed = j.direct
		return buf, r
	}
	// Opened as evidence is: read-only, access time left alone.
	f, err := root.OpenFile(j.path)
	if err != nil {
		return fail("%v", unwrapPath(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fail("%v", unwrapPath(err))
	}
	if !st.Mode().IsRegular() {
		return fail("not a regular file")
	}
	if !j.direct && y.skipLarger >= 0 && st.Size() > y.skipLarger {
		r.errs = fmt.Appendf(r.errs, "exhunt yara: skipping %s (%d bytes) because it's larger than %d bytes.\n", report.Terminal(j.name), st.Size(), y.skipLarger)
		return buf, r
	}
	if st.Size() > y.maxFile {
		return fail("larger than %d bytes (--max-file-size), not scanned", y.maxFile)
	}
	data, err := readAll(f, buf, st.Size(), y.maxFile)
	buf = data[:0]
	if err != nil {
		return fail("%v", unwrapPath(err))
	}
	matches, err := y.rules.ScanWith(data, yara.ScanOptions{NoStrings: !y.strings})
	if err != nil {
		return fail("%v", err)
	}
	for _, m := range matches {
		r.out = fmt.Appendf(r.out, "%s %s\n", m.Rule, j.name)
		if y.strings {
			for _, s := range m.Strings {
				r.out = appendStringMatch(r.out, s)
			}
		}
	}
	return buf, r
}

// readAll reads f, of size bytes when it was opened, into buf: the whole
// file as it is when read, which may have grown or shrunk since, at most
// limit bytes.
func readAll(f io.Reader, buf []byte, size, limit int64) ([]byte, error) {
	want := min(size, limit) + 1 // one more, to see the end or a growth
	if int64(cap(buf)) < want {
		// a power of two, so that the buffer serves the next files too
		// and is seldom replaced
		c := int64(64 << 10)
		for c < want {
			c *= 2
		}
		buf = make([]byte, 0, min(c, limit+1))
	}
	data := buf[:0]
	for {
		if len(data) == cap(data) {
			if int64(len(data)) > limit {
				return data[:0], fmt.Errorf("grew larger than %d bytes while it was read", limit)
			}
			data = slices.Grow(data, int(min(int64(len(data)), limit+1-int64(len(data)))))
		}
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if errors.Is(err, io.EOF) {
			if int64(len(data)) > limit {
				return data[:0], fmt.Errorf("grew larger than %d bytes while it was read", limit)
			}
			return data, nil
		}
		if err != nil {
			return data[:0], err
		}
	}
}

// unwrapPath drops the path from an *fs.PathError: the message names the
// file already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// appendStringMatch formats a string match as yara -s prints it.
func appendStringMatch(b []byte, s yara.StringMatch) []byte {
	b = fmt.Appendf(b, "0x%x:%s: ", s.Offset, s.ID)
	if s.Hex {
		for i, c := range s.Data {
			if i == 64 {
				b = append(b, " ..."...)
				break
			}
			if i > 0 {
				b = append(b, ' ')
			}
			b = fmt.Appendf(b, "%02X", c)
		}
	} else {
		for _, c := range s.Data {
			if c >= 32 && c <= 126 {
				b = append(b, c)
			} else {
				b = fmt.Appendf(b, "\\x%02X", c)
			}
		}
	}
	return append(b, '\n')
}
