package yara

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/exhunt/exhunt/yara/atoms"
	"github.com/exhunt/exhunt/yara/hex"
	"github.com/exhunt/exhunt/yara/re"
	"github.com/exhunt/exhunt/yara/syntax"
)

// Limits as yara's.
const (
	MaxMatchesPerString = 1000000
	MaxMatchData        = 512
)

// SupportedModules are the modules whose values this engine computes;
// importing another is a compile error.
var SupportedModules = map[string]bool{"hash": true, "math": true, "pe": true}

// Source is one rules file.
type Source struct {
	Name string
	Data []byte
}

// Externals lists the external variables the rules' conditions use.
func (rs *Rules) Externals() []string { return slices.Clone(rs.extern) }

// Match is a rule that matched.
type Match struct {
	Rule      string
	Namespace string
	Tags      []string
	Meta      []Meta
	Strings   []StringMatch
}

// Meta is one entry of a rule's meta section; Value is a string, an int64
// or a bool.
type Meta struct {
	Key   string
	Value any
}

// StringMatch is one match of a string. Data holds at most MaxMatchData
// bytes of the match.
type StringMatch struct {
	ID     string
	Offset int64
	Data   []byte
	Hex    bool // a hex string (yara -s prints its data in hex)
}

// Rules are compiled rules; safe for concurrent use.
type Rules struct {
	rules   []*rule
	strs    []*str
	matcher *atoms.Matcher
	pats    []patRef // matcher pattern -> owner
	scanAll []int    // regex/hex strings without atoms
	regexps map[*syntax.RegexLit]*re.Regexp
	extern  []string // external variables the conditions use, sorted
	sets    map[*syntax.StringSet][]int
	floatLT map[*syntax.Binary]bool // see checker.floatLT
	lines   lineInfo                // for ScanLines, computed on first use (lines.go)

	// defaults are the externals' values given to CompileOptions.
	defaults map[string]any

	aliases map[int][]int // string -> the later identical strings sharing its matches
	atStrs  []int         // strings with at >= 0
	scratch sync.Pool     // *scratch
}

type patRef struct {
	str int
	lit int // index into str.lits; -1 for an atom of a regex/hex string
	off int // hex atoms with fixed offsets: the atom's offset from the match start
	n   int // the atom's length
	// windowed strings: the atom lies lo to hi bytes from the start of a
	// match (hi < 0: no bound but the window)
	lo, hi int
}

type rule struct {
	ast    *syntax.Rule
	ns     string
	idx    int
	strs   []int          // global string indexes, declaration order
	byID   map[string]int // named strings
	global bool
	file   map[string]int // rule name -> index, rules of the same file

	// needs: when needsOK, the condition is false unless one of these
	// strings matched (see Rules.needs)
	needs   []int
	needsOK bool
}

type str struct {
	def  *syntax.String
	rule int
	lits []atoms.Literal
	re   *re.Regexp
	hx   *hex.Pattern
	// fixed: a hex string whose every atom lies at a fixed offset from
	// the match start, so only hit-offset needs verifying.
	fixed bool
	canon int // the first string with the same definition: matches are shared
	// at >= 0: the condition uses the string only as "$a at at" with
	// constant at, so like yara only a match there is kept (and reported).
	at int64
	// window > 0: every match is at most this long and contains an atom,
	// so only starts in [atom end - window, atom start] need verifying.
	window int
}

const rootName = "<sources>"

// Options control CompileOptions.
type Options struct {
	// Include resolves `include "name"` found in file from: it returns the
	// included file's name (used in error messages and as from for its own
	// includes) and text. Nil: include directives are an error.
	// IncludeFiles reads them from disk, as yara does.
	Include func(from, name string) (file string, src []byte, err error)
	// Externals, when not nil, declares the external variables, as yara's
	// compiler is given them (yara -d): an identifier of a condition that
	// is neither a rule, a module nor one of them is then a compile error,
	// as are the type errors their values' types make (int, int64,
	// float64, bool, string or []byte). The values are those Scan uses
	// when its vars do not give another. Nil: identifiers are taken for
	// externals that Scan must be given.
	Externals map[string]any
}

// parseSources parses the sources as one file that includes them in
// order, so that a rule may reference the rules of earlier sources (as with
// yara's compiler, which puts them in one namespace) and duplicated rule
// names are reported. Include directives inside the sources go to include.
func parseSources(files []Source, include func(from, name string) (string, []byte, error)) (*syntax.File, error) {
	if len(files) == 1 {
		return syntax.ParseOptions(files[0].Name, files[0].Data, syntax.Options{Include: include})
	}
	var root strings.Builder
	for i := range files {
		fmt.Fprintf(&root, "include \"%d\"\n", i)
	}
	return syntax.ParseOptions(rootName, []byte(root.String()), syntax.Options{
		Include: func(from, name string) (string, []byte, error) {
			if from != rootName {
				if include == nil {
					return "", nil, errors.New("includes are not supported")
				}
				return include(from, name)
			}
			i, err := strconv.Atoi(name)
			if err != nil || i < 0 || i >= len(files) {
				return "", nil, errors.New("no such source")
			}
			return files[i].Name, files[i].Data, nil
		},
	})
}

// MaxRulesFile bounds the size of a rules file read by CompileFiles and
// IncludeFiles.
const MaxRulesFile = 1 << 28

// IncludeFiles is an Options.Include that reads included files from disk
// as yara does: a relative name is taken from the folder of the including
// file, by putting it after the including file's name up to its last
// slash (so from "rules/main.yar", `include "../x.yar"` reads and is
// named "rules/../x.yar"); an absolute name is read as it is.
func IncludeFiles(from, name string) (string, []byte, error) {
	path := name
	if !filepath.IsAbs(name) {
		seps := "/"
		if filepath.Separator != '/' {
			seps += string(filepath.Separator)
		}
		if i := strings.LastIndexAny(from, seps); i >= 0 {
			path = from[:i+1] + name
		}
	}
	data, err := readRulesFile(path)
	return path, data, err
}

func readRulesFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxRulesFile+1))
	if err == nil && len(data) > MaxRulesFile {
		err = fmt.Errorf("%s: larger than %d bytes", path, MaxRulesFile)
	}
	return data, err
}

// CompileFiles reads and compiles rules files as yara's command line does
// without -d: one namespace, include directives read from disk
// (IncludeFiles), no external variables (an identifier that is neither a
// rule nor a module is an error). CompileOptions with IncludeFiles also
// takes externals.
func CompileFiles(paths ...string) (*Rules, error) {
	var srcs []Source
	for _, p := range paths {
		data, err := readRulesFile(p)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, Source{Name: p, Data: data})
	}
	return CompileOptions(Options{Include: IncludeFiles, Externals: map[string]any{}}, srcs...)
}

// Compile parses and compiles rule sources; include directives are an
// error. It is CompileOptions with no options.
func Compile(files ...Source) (*Rules, error) {
	return CompileOptions(Options{}, files...)
}

// CompileOptions parses and compiles rule sources with options.
func CompileOptions(opts Options, files ...Source) (*Rules, error) {
	rs := &Rules{regexps: map[*syntax.RegexLit]*re.Regexp{}, sets: map[*syntax.StringSet][]int{}, floatLT: map[*syntax.Binary]bool{}}
	var extTypes map[string]typ
	if opts.Externals != nil {
		rs.defaults = map[string]any{}
		extTypes = map[string]typ{}
		for name, v := range opts.Externals {
			x := external(v)
			if x.k == vUndef {
				return nil, fmt.Errorf("external variable %q: a %T is not an int, int64, float64, bool, string or []byte", name, v)
			}
			rs.defaults[name] = v
			extTypes[name] = x.typ()
		}
	}
	var pats []atoms.Pattern
	f, err := parseSources(files, opts.Include)
	if err != nil {
		return nil, err
	}
	for _, im := range f.Imports {
		if !SupportedModules[im.Module] {
			// A rule whose module values are all undefined would never
			// match, silently; refusing it says so when the rules load.
			return nil, fmt.Errorf("%s:%d: module %q is not supported by this engine (supported: hash, math, pe)", im.Pos.File, im.Pos.Line, im.Module)
		}
	}
	fileRules := map[string]int{}
	canon := map[string]int{}
	for _, ar := range f.Rules {
		r := &rule{ast: ar, ns: "default", idx: len(rs.rules), byID: map[string]int{}, global: ar.Global, file: fileRules}
		fileRules[ar.Name] = r.idx
		for _, sd := range ar.Strings {
			s := &str{def: sd, rule: r.idx, at: -1}
			si := len(rs.strs)
			if err := s.compile(); err != nil {
				return nil, fmt.Errorf("%s:%d: string %s: %v", sd.Pos.File, sd.Pos.Line, sd.ID, err)
			}
			rs.strs = append(rs.strs, s)
			r.strs = append(r.strs, si)
			if sd.ID != "$" {
				r.byID[sd.ID] = si
			}
			md := sd.Modifiers
			md.Private = false
			key := fmt.Sprintf("%d|%q|%q|%q|%v|%#v", sd.Kind, sd.Text, sd.Hex, sd.Regex, sd.RegexFlags, md)
			if c, ok := canon[key]; ok {
				s.canon = c
				continue
			}
			canon[key] = si
			s.canon = si
			switch {
			case s.lits != nil:
				for li, l := range s.lits {
					pats = append(pats, atoms.Pattern{Bytes: l.Bytes, NoCase: l.NoCase})
					rs.pats = append(rs.pats, patRef{str: si, lit: li, n: len(l.Bytes)})
				}
			default:
				at, offs, ranges := s.atoms()
				if len(at) == 0 {
					rs.scanAll = append(rs.scanAll, si)
				}
				s.fixed = s.hx != nil && len(at) > 0
				if s.re != nil {
					s.window = s.re.MaxLen()
				} else if ml := s.hx.MaxLen(); ml > 0 {
					s.window = ml
				}
				for i, a := range at {
					pats = append(pats, a)
					rs.pats = append(rs.pats, patRef{str: si, lit: -1, off: offs[i], n: len(a.Bytes), lo: ranges[i][0], hi: ranges[i][1]})
					if offs[i] < 0 {
						s.fixed = false
					}
				}
			}
		}
		rs.rules = append(rs.rules, r)
		if extTypes != nil {
			var undefined error
			walk(ar.Condition, func(x syntax.Expr) {
				if id, ok := x.(*syntax.Ident); ok && undefined == nil && !id.LoopVar && !id.Module {
					if _, ok := extTypes[id.Name]; !ok {
						undefined = errAt(id, "undefined identifier %q", id.Name)
					}
				}
			})
			if undefined != nil {
				return nil, undefined
			}
		}
		if _, err := (&checker{floatLT: rs.floatLT, ext: extTypes}).check(ar.Condition); err != nil {
			return nil, err
		}
		rs.fixedOffsets(r)
		walk(ar.Condition, func(x syntax.Expr) {
			var set *syntax.StringSet
			switch x := x.(type) {
			case *syntax.Of:
				set = x.Strings
			case *syntax.ForOf:
				set = x.Strings
			}
			if set != nil {
				rs.sets[set] = stringSetOf(rs, r, set)
			}
		})
		r.needs, r.needsOK = rs.needs(r, ar.Condition)
		var rerr error
		walk(ar.Condition, func(x syntax.Expr) {
			if id, ok := x.(*syntax.Ident); ok && !id.LoopVar && !id.Module && !slices.Contains(rs.extern, id.Name) {
				rs.extern = append(rs.extern, id.Name)
			}
			rl, ok := x.(*syntax.RegexLit)
			if !ok || rerr != nil {
				return
			}
			c, err := re.Compile(rl.Pattern, re.Flags{Nocase: rl.Flags.NoCase, DotAll: rl.Flags.DotAll})
			if err != nil {
				rerr = fmt.Errorf("%s:%d: regular expression /%s/: %v", rl.Pos.File, rl.Pos.Line, rl.Pattern, err)
				return
			}
			rs.regexps[rl] = c
		})
		if rerr != nil {
			return nil, rerr
		}
	}
	slices.Sort(rs.extern)
	rs.aliases = map[int][]int{}
	for si, s := range rs.strs {
		if s.canon != si {
			rs.aliases[s.canon] = append(rs.aliases[s.canon], si)
		}
		if s.at >= 0 {
			rs.atStrs = append(rs.atStrs, si)
		}
	}
	if len(pats) > 0 {
		m, err := atoms.Build(pats)
		if err != nil {
			return nil, err
		}
		rs.matcher = m
	}
	return rs, nil
}

func (s *str) compile() error {
	d := s.def
	md := d.Modifiers
	switch d.Kind {
	case syntax.Text:
		lits, err := atoms.Expand(d.Text, atoms.Modifiers{
			ASCII: md.ASCII, Wide: md.Wide, NoCase: md.NoCase, Fullword: md.Fullword,
			Xor: md.Xor, XorMin: md.XorMin, XorMax: md.XorMax,
			Base64: md.Base64, Base64Wide: md.Base64Wide, Base64Alphabet: string(md.Base64Alphabet),
		})
		if err != nil {
			return err
		}
		s.lits = lits
	case syntax.Hex:
		p, err := hex.Compile(d.Hex)
		if err != nil {
			return err
		}
		s.hx = p
	case syntax.Regex:
		r, err := re.Compile(d.Regex, re.Flags{
			Nocase: md.NoCase || d.RegexFlags.NoCase, DotAll: d.RegexFlags.DotAll,
			Wide: md.Wide, Ascii: md.ASCII, Fullword: md.Fullword,
		})
		if err != nil {
			return err
		}
		s.re = r
	}
	return nil
}

// atoms returns the prefilter patterns of a regex or hex string, with
// their fixed offsets from the match start (-1: not fixed) and the range
// of their offsets (high < 0: unbounded); nil when every position must be
// tried.
func (s *str) atoms() ([]atoms.Pattern, []int, [][2]int) {
	var raw [][]byte
	var offs []int
	var ranges [][2]int
	nocase := false
	if s.re != nil {
		nocase = s.def.Modifiers.NoCase || s.def.RegexFlags.NoCase
		for _, a := range s.re.AtomInfo() {
			raw = append(raw, a.Bytes)
			offs = append(offs, -1)
			ranges = append(ranges, [2]int{a.Lo, a.Hi})
		}
	} else {
		for _, a := range s.hx.AtomInfo() {
			raw = append(raw, a.Bytes)
			offs = append(offs, a.Offset)
			ranges = append(ranges, [2]int{0, -1})
		}
	}
	var out []atoms.Pattern
	for _, a := range raw {
		if len(a) == 0 {
			return nil, nil, nil
		}
		out = append(out, atoms.Pattern{Bytes: a, NoCase: nocase})
	}
	return out, offs, ranges
}

type span struct{ lo, hi int }

// mergeSpans sorts spans and merges those that overlap or touch.
func mergeSpans(w []span) []span {
	if slices.IsSortedFunc(w, func(a, b span) int { return a.lo - b.lo }) {
		ok := true
		for i := 1; i < len(w) && ok; i++ {
			ok = w[i].lo > w[i-1].hi+1
		}
		if ok {
			return w
		}
	}
	slices.SortFunc(w, func(a, b span) int { return a.lo - b.lo })
	out := w[:1]
	for _, x := range w[1:] {
		if l := &out[len(out)-1]; x.lo <= l.hi+1 {
			l.hi = max(l.hi, x.hi)
		} else {
			out = append(out, x)
		}
	}
	return out
}

type smatch struct {
	off, n int
}

// scratch is the memory of one scan, kept for the next (Rules.scratch).
type scratch struct {
	ms      [][]smatch // per string
	touched []int      // strings with matches, each once
	cand    []int      // strings searched in the whole data
	isCand  []bool
	starts  map[int][]int  // fixed hex strings: candidate starts
	windows map[int][]span // windowed strings: start ranges
	state   []int8         // per rule, see scanner.state
	steps   int64          // spent by the last scan's strings (for tests)
}

func (rs *Rules) getScratch() *scratch {
	if x, ok := rs.scratch.Get().(*scratch); ok {
		return x
	}
	return &scratch{
		ms: make([][]smatch, len(rs.strs)), isCand: make([]bool, len(rs.strs)),
		starts: map[int][]int{}, windows: map[int][]span{}, state: make([]int8, len(rs.rules)),
	}
}

// putScratch clears what a scan wrote and keeps the memory for the next,
// except for large match lists.
func (rs *Rules) putScratch(x *scratch) {
	reset := func(si int) {
		if rs.strs[si].canon == si && cap(x.ms[si]) <= 1<<12 {
			x.ms[si] = x.ms[si][:0]
		} else {
			x.ms[si] = nil
		}
	}
	for _, si := range x.touched {
		reset(si)
		for _, a := range rs.aliases[si] {
			reset(a)
		}
	}
	for _, si := range rs.atStrs {
		reset(si)
	}
	for _, si := range x.cand {
		x.isCand[si] = false
	}
	for k, v := range x.starts {
		if cap(v) > 1<<12 {
			delete(x.starts, k)
		} else {
			x.starts[k] = v[:0]
		}
	}
	for k, v := range x.windows {
		if cap(v) > 1<<12 {
			delete(x.windows, k)
		} else {
			x.windows[k] = v[:0]
		}
	}
	x.touched, x.cand = x.touched[:0], x.cand[:0]
	clear(x.state)
	rs.scratch.Put(x)
}

// The work of a scan's regular expressions and hex strings is bounded:
// they may spend ScanStepsBase steps (threads of the regular expression
// machine, offsets tried and walk steps of hex strings) and
// ScanStepsPerByte more for each byte of the data; beyond that, Scan
// stops searching and reports an error wrapping re.ErrTooSlow. Each step takes a few nanoseconds, so a hostile rule may cost
// some seconds per megabyte, where yara may take minutes, but no more.
const (
	ScanStepsBase    = 1 << 26
	ScanStepsPerByte = 4096
)

// scanBudget is the number of steps a scan of n bytes may spend.
func scanBudget(n int) int64 { return ScanStepsBase + ScanStepsPerByte*int64(n) }

// tooSlow is the error of a scan that spent its steps on string si.
func (rs *Rules) tooSlow(si, n int) error {
	s := rs.strs[si]
	return tooSlowError{fmt.Sprintf("yara: string %s of rule %s needs more than %d steps over these %d bytes: too slow to match (%s:%d)",
		s.def.ID, rs.rules[s.rule].ast.Name, scanBudget(n), n, s.def.Pos.File, s.def.Pos.Line)}
}

// tooSlowError is a scan's error when its steps ran out; it wraps
// re.ErrTooSlow (errors.Is), for regular expressions and hex strings alike.
type tooSlowError struct{ msg string }

func (e tooSlowError) Error() string { return e.msg }
func (e tooSlowError) Unwrap() error { return re.ErrTooSlow }

// scanStrings finds the matches of every string, into x.ms. When the
// scan's steps run out it stops searching and returns the error of
// tooSlow; the matches found until then are in x.ms, ready to be judged.
func (rs *Rules) scanStrings(data []byte, x *scratch) error {
	ms := x.ms
	left := scanBudget(len(data))
	defer func() { x.steps = scanBudget(len(data)) - left }()
	add := func(si int, m smatch) {
		if len(ms[si]) == 0 {
			x.touched = append(x.touched, si)
		}
		ms[si] = append(ms[si], m)
	}
	candidate := func(si int) {
		if !x.isCand[si] {
			x.isCand[si] = true
			x.cand = append(x.cand, si)
		}
	}
	if rs.matcher != nil {
		rs.matcher.Search(data, func(p, off int) bool {
			ref := &rs.pats[p]
			if ref.lit < 0 {
				s := rs.strs[ref.str]
				switch {
				case s.fixed:
					if st := off - ref.off; st >= 0 {
						x.starts[ref.str] = append(x.starts[ref.str], st)
					}
				case s.window > 0:
					// the starts within the window before the atom's end
					// and at the atom's offsets from it
					lo, hi := max(0, off+ref.n-s.window), off-ref.lo
					if ref.hi >= 0 {
						lo = max(lo, off-ref.hi)
					}
					if lo > hi {
						return true
					}
					w := x.windows[ref.str]
					if n := len(w); n > 0 && lo <= w[n-1].hi+1 && hi >= w[n-1].lo-1 {
						w[n-1].lo, w[n-1].hi = min(w[n-1].lo, lo), max(w[n-1].hi, hi)
					} else {
						x.windows[ref.str] = append(w, span{lo, hi})
					}
				default:
					candidate(ref.str)
				}
				return true
			}
			l := &rs.strs[ref.str].lits[ref.lit]
			if len(ms[ref.str]) < 4*MaxMatchesPerString && l.Verify(data, off) {
				add(ref.str, smatch{off, len(l.Bytes)})
			}
			return true
		})
	}
	for _, si := range rs.scanAll {
		candidate(si)
	}
	// the regular expressions and hex strings, until the steps run out
	slow := func() error {
		for si, st := range x.starts {
			if len(st) == 0 {
				continue
			}
			s := rs.strs[si]
			slices.Sort(st)
			st = slices.Compact(st)
			srch := s.hx.Searcher(data)
			for _, p := range st {
				if end, ok := srch.MatchAt(p, &left); ok {
					add(si, smatch{p, end - p})
					if len(ms[si]) >= MaxMatchesPerString {
						break
					}
				}
				if left < 0 {
					return rs.tooSlow(si, len(data))
				}
			}
		}
		for si, w := range x.windows {
			if len(w) == 0 {
				continue
			}
			s := rs.strs[si]
			w = mergeSpans(w)
			fn := func(p, end int) bool {
				add(si, smatch{p, end - p})
				return len(ms[si]) < MaxMatchesPerString
			}
			var srch *hex.Searcher
			if s.hx != nil {
				srch = s.hx.Searcher(data)
			}
			for _, sp := range w {
				if s.re != nil && !s.re.FindAllRangeLimit(data, sp.lo, sp.hi, &left, fn) || srch != nil && !srch.FindRange(sp.lo, sp.hi, &left, fn) {
					break
				}
			}
			if left < 0 {
				return rs.tooSlow(si, len(data))
			}
		}
		for _, si := range x.cand {
			s := rs.strs[si]
			fn := func(start, end int) bool {
				add(si, smatch{start, end - start})
				return len(ms[si]) < MaxMatchesPerString
			}
			if s.re != nil {
				s.re.FindAllLimit(data, &left, fn)
			} else if s.hx != nil {
				s.hx.FindAllLimit(data, &left, fn)
			}
			if left < 0 {
				return rs.tooSlow(si, len(data))
			}
		}
		return nil
	}()
	for _, si := range x.touched {
		m := ms[si]
		if len(m) >= 2 {
			sort.SliceStable(m, func(i, j int) bool {
				if m[i].off != m[j].off {
					return m[i].off < m[j].off
				}
				return m[i].n > m[j].n
			})
			m = slices.CompactFunc(m, func(a, b smatch) bool { return a.off == b.off })
			if len(m) > MaxMatchesPerString {
				m = m[:MaxMatchesPerString]
			}
			ms[si] = m
		}
		for _, a := range rs.aliases[si] {
			ms[a] = m
		}
	}
	for _, si := range rs.atStrs {
		at := rs.strs[si].at
		m := ms[si]
		ms[si] = nil
		for k, y := range m {
			if int64(y.off) == at {
				ms[si] = m[k : k+1 : k+1]
				break
			}
		}
	}
	return slow
}

// Scan evaluates the rules over data and returns the matching public rules
// in declaration order, with their strings' matches.
//
// vars gives the external variables (int, int64, float64, bool, string or
// []byte); every external a condition uses must be given, as yara rejects
// rules that use an undefined identifier.
//
// When the regular expressions and hex strings used up the scan's steps on
// data (see ScanStepsBase), the matching rules are still returned, judged
// on the string matches found, with an error naming the rule and string
// that wraps re.ErrTooSlow: some matches may be missing.
func (rs *Rules) Scan(data []byte, vars map[string]any) ([]Match, error) {
	return rs.ScanWith(data, ScanOptions{Vars: vars})
}

// ScanOptions control ScanWith.
type ScanOptions struct {
	Vars map[string]any // as Scan's vars
	// NoStrings leaves Match.Strings empty: a rule may have a million
	// matches of each string, each with up to MaxMatchData bytes.
	NoStrings bool
}

// ScanWith is Scan with options.
func (rs *Rules) ScanWith(data []byte, opts ScanOptions) ([]Match, error) {
	vars := opts.Vars
	for _, name := range rs.extern {
		if external(rs.externalValue(vars, name)).k == vUndef {
			return nil, fmt.Errorf("yara: external variable %q is not defined (or not an int, float64, bool or string)", name)
		}
	}
	x := rs.getScratch()
	defer rs.putScratch(x)
	slowErr := rs.scanStrings(data, x)
	sc := &scanner{rs: rs, data: data, vars: vars, ms: x.ms, state: x.state}
	// global rules gate their namespace
	gateFail := map[string]bool{}
	for _, r := range rs.rules {
		if r.global && !sc.ruleResult(r.idx) {
			gateFail[r.ns] = true
		}
	}
	if sc.err != nil {
		return nil, sc.err
	}
	var out []Match
	for _, r := range rs.rules {
		if gateFail[r.ns] || r.ast.Private || !sc.ruleResult(r.idx) {
			continue
		}
		m := Match{Rule: r.ast.Name, Namespace: r.ns, Tags: slices.Clone(r.ast.Tags)}
		for _, md := range r.ast.Meta {
			m.Meta = append(m.Meta, Meta{md.Key, md.Value})
		}
		if !opts.NoStrings {
			m.Strings = rs.stringMatches(r, data, sc.ms)
		}
		out = append(out, m)
	}
	if sc.err != nil {
		return nil, sc.err
	}
	return out, slowErr
}

// stringMatches lists the matches of the public strings of r, their data
// copied into one buffer.
func (rs *Rules) stringMatches(r *rule, data []byte, ms [][]smatch) []StringMatch {
	n, size := 0, 0
	for _, si := range r.strs {
		if !rs.strs[si].def.Modifiers.Private {
			for _, x := range ms[si] {
				n++
				size += min(x.n, MaxMatchData)
			}
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]StringMatch, 0, n)
	buf := make([]byte, 0, size)
	for _, si := range r.strs {
		s := rs.strs[si]
		if s.def.Modifiers.Private {
			continue
		}
		for _, x := range ms[si] {
			k := len(buf)
			buf = append(buf, data[x.off:x.off+min(x.n, MaxMatchData)]...)
			out = append(out, StringMatch{ID: s.def.ID, Offset: int64(x.off), Data: buf[k:len(buf):len(buf)], Hex: s.def.Kind == syntax.Hex})
		}
	}
	return out
}

// walk calls fn for x and every expression inside it.
func walk(x syntax.Expr, fn func(syntax.Expr)) {
	if x == nil {
		return
	}
	fn(x)
	rng := func(r *syntax.Range) {
		if r != nil {
			walk(r.Lo, fn)
			walk(r.Hi, fn)
		}
	}
	quant := func(q syntax.Quantifier) {
		if q.N != nil {
			walk(q.N, fn)
		}
	}
	switch x := x.(type) {
	case *syntax.Member:
		walk(x.X, fn)
	case *syntax.Index:
		walk(x.X, fn)
		walk(x.Index, fn)
	case *syntax.Call:
		if _, builtin := x.Fn.(*syntax.Ident); !builtin {
			walk(x.Fn, fn)
		}
		for _, a := range x.Args {
			walk(a, fn)
		}
	case *syntax.StringRef:
		walk(x.At, fn)
		rng(x.In)
	case *syntax.StringCount:
		rng(x.In)
	case *syntax.StringOffset:
		walk(x.Index, fn)
	case *syntax.StringLength:
		walk(x.Index, fn)
	case *syntax.Unary:
		walk(x.X, fn)
	case *syntax.Binary:
		walk(x.X, fn)
		walk(x.Y, fn)
	case *syntax.Of:
		quant(x.Quant)
	case *syntax.ForOf:
		quant(x.Quant)
		walk(x.Body, fn)
	case *syntax.ForIn:
		quant(x.Quant)
		switch it := x.Iter.(type) {
		case *syntax.Range:
			rng(it)
		case *syntax.Enum:
			for _, y := range it.Items {
				walk(y, fn)
			}
		case *syntax.IterExpr:
			walk(it.X, fn)
		}
		walk(x.Body, fn)
	}
}

// fixedOffsets finds the strings of r that its condition uses only as
// "$a at N" with one constant N; yara 4.2 then keeps only the match at N.
// Any other use (count, offset, length, plain reference, a string set; a
// for … of loop in the condition clears all strings, as in yara) clears it.
func (rs *Rules) fixedOffsets(r *rule) {
	state := map[int]int64{} // -1: cleared
	clear := func(si int) { state[si] = -1 }
	id := func(name string) int {
		if len(name) <= 1 {
			return -1
		}
		if si, ok := r.byID["$"+name[1:]]; ok {
			return si
		}
		return -1
	}
	walk(r.ast.Condition, func(x syntax.Expr) {
		switch x := x.(type) {
		case *syntax.StringRef:
			si := id(x.ID)
			if si < 0 {
				return
			}
			if x.At == nil {
				clear(si)
				return
			}
			c, err := (&checker{}).check(x.At)
			if err != nil || !c.isC || c.c < 0 {
				clear(si)
				return
			}
			if old, seen := state[si]; seen && old != c.c {
				clear(si)
			} else if !seen {
				state[si] = c.c
			}
		case *syntax.StringCount:
			if si := id(x.ID); si >= 0 {
				clear(si)
			}
		case *syntax.StringOffset:
			if si := id(x.ID); si >= 0 {
				clear(si)
			}
		case *syntax.StringLength:
			if si := id(x.ID); si >= 0 {
				clear(si)
			}
		case *syntax.Of:
			if x.Strings != nil {
				for _, si := range stringSetOf(rs, r, x.Strings) {
					clear(si)
				}
			}
		case *syntax.ForOf:
			for _, si := range r.strs {
				clear(si)
			}
		}
	})
	for si, at := range state {
		rs.strs[si].at = at
	}
}
