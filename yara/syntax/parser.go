package syntax

import (
	"fmt"
	"slices"
	"strings"
)

// Options control Parse.
type Options struct {
	// Include resolves `include "name"` found in file from. It returns the
	// included file's name (used in positions and as from for its own
	// includes) and text. Without it includes are an error.
	Include func(from, name string) (filename string, src []byte, err error)
	// MaxIncludeDepth bounds nested includes: the files being parsed at
	// once, the first included; 0 means 16, as in yara.
	MaxIncludeDepth int
	// Modules lists the module names import accepts; nil means the modules
	// of Debian's yara 4.2: pe, elf, math, hash, time, cuckoo, magic,
	// dotnet, console, dex, macho, tests.
	Modules []string
}

var defaultModules = []string{"pe", "elf", "math", "hash", "time", "cuckoo", "magic", "dotnet", "console", "dex", "macho", "tests"}

// Limits YARA also has.
const (
	maxLoopNesting = 4
	maxExprDepth   = 200
)

// builtins are the functions callable without a module.
var builtins = map[string]bool{}

func init() {
	for _, s := range []string{"int", "uint"} {
		for _, n := range []string{"8", "16", "32"} {
			builtins[s+n] = true
			builtins[s+n+"be"] = true
		}
	}
}

// Parse parses a rules file. It is ParseOptions with no options.
func Parse(filename string, src []byte) (*File, error) {
	return ParseOptions(filename, src, Options{})
}

// ParseOptions parses a rules file with options.
func ParseOptions(filename string, src []byte, opts Options) (f *File, err error) {
	p := &parser{
		opts:     opts,
		out:      &File{},
		rules:    map[string]*Rule{},
		imported: map[string]bool{},
		extRefs:  map[string]Pos{},
	}
	if p.opts.MaxIncludeDepth <= 0 {
		p.opts.MaxIncludeDepth = 16
	}
	if p.opts.Modules == nil {
		p.opts.Modules = defaultModules
	}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			f, err = nil, e
		}
	}()
	p.parseFile(filename, src, 0)
	return p.out, nil
}

type parser struct {
	opts     Options
	out      *File
	rules    map[string]*Rule
	imported map[string]bool
	extRefs  map[string]Pos // first use of each unresolved identifier

	toks  []token
	i     int
	file  string
	files []string // the files being parsed: the including ones, then file

	// per rule
	rule     *Rule
	strs     map[string]*String
	used     map[*String]bool
	loopVars []string
	loops    int
	forOf    int
	depth    int
}

func (p *parser) failf(pos Pos, format string, args ...any) {
	panic(&Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) tok() token { return p.toks[p.i] }

func (p *parser) peek(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) advance() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) is(kind tokKind, text string) bool {
	t := p.tok()
	return t.kind == kind && t.text == text
}

func (p *parser) isPunct(s string) bool { return p.is(tPunct, s) }
func (p *parser) isKw(s string) bool    { return p.is(tKeyword, s) }

func (p *parser) unexpected() {
	p.failf(p.tok().pos, "syntax error, unexpected %s", p.tok().describe())
}

func (p *parser) expect(kind tokKind, text string) token {
	if !p.is(kind, text) {
		t := p.tok()
		p.failf(t.pos, "syntax error, unexpected %s, expecting %q", t.describe(), text)
	}
	return p.advance()
}

func (p *parser) expectKind(kind tokKind, what string) token {
	if p.tok().kind != kind {
		t := p.tok()
		p.failf(t.pos, "syntax error, unexpected %s, expecting %s", t.describe(), what)
	}
	return p.advance()
}

func (p *parser) parseFile(filename string, src []byte, depth int) {
	toks, err := lexAll(filename, src)
	if err != nil {
		panic(err)
	}
	saveToks, saveI, saveFile := p.toks, p.i, p.file
	p.toks, p.i, p.file = toks, 0, filename
	p.files = append(p.files, filename)
	defer func() {
		p.toks, p.i, p.file = saveToks, saveI, saveFile
		p.files = p.files[:len(p.files)-1]
	}()
	for p.tok().kind != tEOF {
		switch {
		case p.isKw("import"):
			pos := p.advance().pos
			name := p.expectKind(tText, "module name")
			mod := string(name.bytes)
			if !slices.Contains(p.opts.Modules, mod) {
				p.failf(pos, "unknown module %q", mod)
			}
			if at, used := p.extRefs[mod]; used {
				// An earlier rule took the name for an external variable:
				// the same file would mean two things.
				p.failf(pos, "module %q is imported after line %d used %q as a variable", mod, at.Line, mod)
			}
			if !p.imported[mod] {
				p.imported[mod] = true
				p.out.Imports = append(p.out.Imports, &Import{Module: mod, Pos: pos})
			}
		case p.isKw("include"):
			pos := p.advance().pos
			name := string(p.expectKind(tText, "file name").bytes)
			if p.opts.Include == nil {
				p.failf(pos, "includes are disabled")
			}
			if depth+1 >= p.opts.MaxIncludeDepth {
				p.failf(pos, "too many levels of includes")
			}
			fn, isrc, err := p.opts.Include(filename, name)
			if err != nil {
				p.failf(pos, "can't open include file %q: %v", name, err)
			}
			// As yara, a file that includes itself, directly or not, is
			// recognised by its name as Include gave it.
			if slices.Contains(p.files, fn) {
				p.failf(pos, "includes circular reference (%q)", fn)
			}
			p.parseFile(fn, isrc, depth+1)
		default:
			p.parseRule()
		}
	}
}

func (p *parser) parseRule() {
	start := p.tok().pos
	r := &Rule{Pos: start}
	for {
		if p.isKw("private") {
			p.advance()
			r.Private = true
		} else if p.isKw("global") {
			p.advance()
			r.Global = true
		} else {
			break
		}
	}
	p.expect(tKeyword, "rule")
	nameTok := p.expectKind(tIdent, "rule name")
	r.Name = nameTok.text
	if _, dup := p.rules[r.Name]; dup || p.imported[r.Name] {
		p.failf(nameTok.pos, "duplicated identifier %q", r.Name)
	}
	if use, ok := p.extRefs[r.Name]; ok {
		p.failf(use, "undefined identifier %q", r.Name)
	}
	if p.isPunct(":") {
		p.advance()
		for p.tok().kind == tIdent {
			t := p.advance()
			if slices.Contains(r.Tags, t.text) {
				p.failf(t.pos, "duplicated tag identifier %q", t.text)
			}
			r.Tags = append(r.Tags, t.text)
		}
		if len(r.Tags) == 0 {
			p.expectKind(tIdent, "tag")
		}
	}
	p.expect(tPunct, "{")
	p.rule, p.strs, p.used = r, map[string]*String{}, map[*String]bool{}
	p.loopVars, p.loops, p.forOf, p.depth = nil, 0, 0, 0
	if p.isKw("meta") {
		p.advance()
		p.expect(tPunct, ":")
		p.parseMeta(r)
	}
	if p.isKw("strings") {
		p.advance()
		p.expect(tPunct, ":")
		p.parseStrings(r)
	}
	p.expect(tKeyword, "condition")
	p.expect(tPunct, ":")
	r.Condition, _ = p.parseExpr()
	p.expect(tPunct, "}")
	for _, s := range r.Strings {
		if !p.used[s] {
			p.failf(s.Pos, "unreferenced string %q", s.ID)
		}
	}
	p.rules[r.Name] = r
	p.out.Rules = append(p.out.Rules, r)
	p.rule = nil
}

func (p *parser) parseMeta(r *Rule) {
	if p.tok().kind != tIdent {
		p.expectKind(tIdent, "meta identifier")
	}
	for p.tok().kind == tIdent {
		k := p.advance()
		p.expect(tPunct, "=")
		m := &Meta{Key: k.text, Pos: k.pos}
		t := p.tok()
		switch {
		case t.kind == tText:
			m.Value = string(t.bytes)
		case t.kind == tInt:
			m.Value = t.ival
		case t.kind == tPunct && t.text == "-" && p.peek(1).kind == tInt:
			p.advance()
			m.Value = -p.tok().ival
		case t.kind == tKeyword && (t.text == "true" || t.text == "false"):
			m.Value = t.text == "true"
		default:
			p.unexpected()
		}
		p.advance()
		r.Meta = append(r.Meta, m)
	}
}

func (p *parser) parseStrings(r *Rule) {
	if p.tok().kind != tStrID {
		p.expectKind(tStrID, "string identifier")
	}
	for p.tok().kind == tStrID {
		t := p.advance()
		if t.wild {
			p.failf(t.pos, "syntax error, unexpected %q", t.text+"*")
		}
		s := &String{ID: t.text, Pos: t.pos}
		if s.ID != "$" {
			if _, dup := p.strs[s.ID]; dup {
				p.failf(t.pos, "duplicated string identifier %q", s.ID)
			}
			p.strs[s.ID] = s
		}
		p.expect(tPunct, "=")
		v := p.tok()
		switch v.kind {
		case tText:
			s.Kind, s.Text = Text, v.bytes
			if len(v.bytes) == 0 {
				p.failf(t.pos, "empty string %q", s.ID)
			}
		case tHex:
			s.Kind, s.Hex = Hex, v.text
		case tRegex:
			s.Kind, s.Regex, s.RegexFlags = Regex, v.text, v.flags
		default:
			p.failf(v.pos, "syntax error, unexpected %s, expecting string value", v.describe())
		}
		p.advance()
		p.parseModifiers(s)
		r.Strings = append(r.Strings, s)
	}
}

func (p *parser) parseModifiers(s *String) {
	m := &s.Modifiers
	seen := map[string]bool{}
	allowed := map[StringKind]string{
		Text:  "ascii wide nocase fullword private xor base64 base64wide",
		Hex:   "private",
		Regex: "ascii wide nocase fullword private",
	}[s.Kind]
	for p.tok().kind == tKeyword && slices.Contains(strings.Fields(allowed), p.tok().text) {
		t := p.advance()
		if seen[t.text] {
			p.failf(t.pos, "duplicated modifier")
		}
		seen[t.text] = true
		switch t.text {
		case "ascii":
			m.ASCII = true
		case "wide":
			m.Wide = true
		case "nocase":
			m.NoCase = true
		case "fullword":
			m.Fullword = true
		case "private":
			m.Private = true
		case "xor":
			m.Xor, m.XorMin, m.XorMax = true, 0, 255
			if p.isPunct("(") {
				p.advance()
				lo := p.expectKind(tInt, "integer")
				hi := lo
				if p.isPunct("-") {
					p.advance()
					hi = p.expectKind(tInt, "integer")
				}
				p.expect(tPunct, ")")
				if lo.ival < 0 || lo.ival > 255 || hi.ival < 0 || hi.ival > 255 {
					p.failf(lo.pos, "invalid xor range")
				}
				if lo.ival > hi.ival {
					p.failf(lo.pos, "xor lower bound exceeds upper bound")
				}
				m.XorMin, m.XorMax = int(lo.ival), int(hi.ival)
			}
		case "base64", "base64wide":
			if t.text == "base64" {
				m.Base64 = true
			} else {
				m.Base64Wide = true
			}
			if p.isPunct("(") {
				p.advance()
				a := p.expectKind(tText, "alphabet")
				p.expect(tPunct, ")")
				if len(a.bytes) != 64 {
					p.failf(a.pos, "length of base64 alphabet must be 64")
				}
				if m.Base64Alphabet != nil && string(m.Base64Alphabet) != string(a.bytes) {
					p.failf(a.pos, "can not specify multiple alphabets")
				}
				m.Base64Alphabet = a.bytes
			}
		}
	}
	b64 := m.Base64 || m.Base64Wide
	switch {
	case m.Xor && m.NoCase:
		p.failf(s.Pos, "invalid modifier combination: xor nocase")
	case b64 && m.NoCase:
		p.failf(s.Pos, "invalid modifier combination: base64 nocase")
	case b64 && m.Xor:
		p.failf(s.Pos, "invalid modifier combination: base64 xor")
	case b64 && m.Fullword:
		p.failf(s.Pos, "invalid modifier combination: base64 fullword")
	}
}
