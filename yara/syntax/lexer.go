package syntax

import (
	"fmt"
	"strconv"
	"strings"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tKeyword
	tStrID     // $a, $a* (wild), $
	tStrCount  // #a
	tStrOffset // @a
	tStrLength // !a
	tInt
	tFloat
	tText
	tHex
	tRegex
	tPunct
)

type token struct {
	kind  tokKind
	text  string // spelling; for tHex and tRegex the raw body
	pos   Pos
	ival  int64
	fval  float64
	bytes []byte // tText: decoded value
	wild  bool   // tStrID: followed by *
	flags RegexFlags
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tText:
		return "text string"
	case tHex:
		return "hex string"
	case tRegex:
		return "regular expression"
	}
	return strconv.Quote(t.text)
}

var keywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`all and any ascii at base64 base64wide condition contains defined
		endswith entrypoint false filesize for fullword global icontains iendswith iequals import in
		include istartswith matches meta nocase none not of or private rule startswith strings them
		true wide xor`) {
		keywords[k] = true
	}
}

// maxIdent is the longest identifier YARA accepts.
const maxIdent = 128

type lexer struct {
	src  []byte
	file string
	off  int
	line int
	col  int // column of off, 1-based
	prev tokKind
	pstr string
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isHexDigit(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
func isIdentChar(c byte) bool { return isLetter(c) || isDigit(c) }

func (l *lexer) pos() Pos { return Pos{File: l.file, Line: l.line, Col: l.col} }

func (l *lexer) errf(p Pos, format string, args ...any) error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) peekc(n int) byte {
	if l.off+n < len(l.src) {
		return l.src[l.off+n]
	}
	return 0
}

func (l *lexer) adv(n int) {
	for i := 0; i < n && l.off < len(l.src); i++ {
		if l.src[l.off] == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
		l.off++
	}
}

// skipSpace skips white space and comments.
func (l *lexer) skipSpace() error {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.adv(1)
		case c == '/' && l.peekc(1) == '/':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.adv(1)
			}
		case c == '/' && l.peekc(1) == '*':
			p := l.pos()
			l.adv(2)
			for {
				if l.off >= len(l.src) {
					return l.errf(p, "unterminated comment")
				}
				if l.src[l.off] == '*' && l.peekc(1) == '/' {
					l.adv(2)
					break
				}
				l.adv(1)
			}
		default:
			return nil
		}
	}
	return nil
}

var puncts = []string{"..", "<<", ">>", "==", "!=", "<=", ">=", "{", "}", "(", ")", "[", "]", ":", ",", "=", ".", "+", "-", "*", "\\", "%", "&", "|", "^", "~", "<", ">"}

// lexAll splits src into tokens, ending with tEOF.
func lexAll(file string, src []byte) ([]token, error) {
	l := &lexer{src: src, file: file, line: 1, col: 1, prev: tEOF}
	var toks []token
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		if t.kind == tEOF {
			return toks, nil
		}
		l.prev, l.pstr = t.kind, t.text
	}
}

func (l *lexer) next() (token, error) {
	if err := l.skipSpace(); err != nil {
		return token{}, err
	}
	p := l.pos()
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: p}, nil
	}
	c := l.src[l.off]
	switch {
	case isLetter(c):
		start := l.off
		for l.off < len(l.src) && isIdentChar(l.src[l.off]) {
			l.adv(1)
		}
		s := string(l.src[start:l.off])
		if len(s) > maxIdent {
			return token{}, l.errf(p, "identifier too long")
		}
		if keywords[s] {
			return token{kind: tKeyword, text: s, pos: p}, nil
		}
		return token{kind: tIdent, text: s, pos: p}, nil
	case isDigit(c):
		return l.number(p)
	case c == '$' || c == '#' || c == '@' || c == '!' && l.peekc(1) != '=':
		start := l.off
		l.adv(1)
		for l.off < len(l.src) && isIdentChar(l.src[l.off]) {
			l.adv(1)
		}
		s := string(l.src[start:l.off])
		if len(s) > maxIdent {
			return token{}, l.errf(p, "identifier too long")
		}
		t := token{text: s, pos: p}
		switch c {
		case '$':
			t.kind = tStrID
			if l.peekc(0) == '*' {
				l.adv(1)
				t.wild = true
			}
		case '#':
			t.kind = tStrCount
		case '@':
			t.kind = tStrOffset
		default:
			t.kind = tStrLength
		}
		return t, nil
	case c == '"':
		return l.text(p)
	case c == '/':
		return l.regex(p)
	case c == '{' && l.prev == tPunct && l.pstr == "=":
		return l.hex(p)
	}
	for _, s := range puncts {
		if strings.HasPrefix(string(l.src[l.off:min(l.off+2, len(l.src))]), s) {
			l.adv(len(s))
			return token{kind: tPunct, text: s, pos: p}, nil
		}
	}
	if c >= 0x20 && c < 0x7f {
		return token{}, l.errf(p, "syntax error, unexpected %q", string(c))
	}
	return token{}, l.errf(p, "syntax error, unexpected byte 0x%02x", c)
}

func (l *lexer) number(p Pos) (token, error) {
	start := l.off
	base := 10
	if l.src[l.off] == '0' && (l.peekc(1) == 'x' || l.peekc(1) == 'o') {
		if l.peekc(1) == 'x' {
			base = 16
		} else {
			base = 8
		}
		l.adv(2)
	}
	dstart := l.off
	for l.off < len(l.src) && (isHexDigit(l.src[l.off]) && base == 16 || isDigit(l.src[l.off])) {
		l.adv(1)
	}
	digits := string(l.src[dstart:l.off])
	if base == 10 && l.peekc(0) == '.' && isDigit(l.peekc(1)) {
		l.adv(1)
		for l.off < len(l.src) && isDigit(l.src[l.off]) {
			l.adv(1)
		}
		s := string(l.src[start:l.off])
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return token{}, l.errf(p, "invalid number %q", s)
		}
		if l.off < len(l.src) && isIdentChar(l.src[l.off]) {
			return token{}, l.errf(l.pos(), "syntax error, unexpected %q", string(l.src[l.off]))
		}
		return token{kind: tFloat, text: s, pos: p, fval: f}, nil
	}
	mult := int64(1)
	if base == 10 && (l.peekc(0) == 'K' || l.peekc(0) == 'M') && l.peekc(1) == 'B' {
		if l.peekc(0) == 'K' {
			mult = 1024
		} else {
			mult = 1024 * 1024
		}
		l.adv(2)
	}
	s := string(l.src[start:l.off])
	if digits == "" || l.off < len(l.src) && isIdentChar(l.src[l.off]) {
		return token{}, l.errf(p, "syntax error, invalid number %q", string(l.src[start:min(l.off+1, len(l.src))]))
	}
	v, err := strconv.ParseInt(digits, base, 64)
	if err != nil || v > (1<<63-1)/mult {
		return token{}, l.errf(p, "integer overflow in %q", s)
	}
	return token{kind: tInt, text: s, pos: p, ival: v * mult}, nil
}

// text lexes a text string; escapes are \" \\ \t \n \r \xNN.
func (l *lexer) text(p Pos) (token, error) {
	start := l.off
	l.adv(1)
	var out []byte
	for {
		if l.off >= len(l.src) || l.src[l.off] == '\n' {
			return token{}, l.errf(p, "unterminated string")
		}
		c := l.src[l.off]
		if c == '"' {
			l.adv(1)
			break
		}
		if c != '\\' {
			out = append(out, c)
			l.adv(1)
			continue
		}
		ep := l.pos()
		switch l.peekc(1) {
		case '"', '\\':
			out = append(out, l.peekc(1))
			l.adv(2)
		case 't':
			out = append(out, '\t')
			l.adv(2)
		case 'n':
			out = append(out, '\n')
			l.adv(2)
		case 'r':
			out = append(out, '\r')
			l.adv(2)
		case 'x':
			h, lo := l.peekc(2), l.peekc(3)
			if !isHexDigit(h) || !isHexDigit(lo) {
				return token{}, l.errf(ep, "illegal escape sequence")
			}
			v, _ := strconv.ParseUint(string([]byte{h, lo}), 16, 8)
			out = append(out, byte(v))
			l.adv(4)
		default:
			return token{}, l.errf(ep, "illegal escape sequence")
		}
	}
	if out == nil {
		out = []byte{}
	}
	return token{kind: tText, text: string(l.src[start:l.off]), pos: p, bytes: out}, nil
}

// regex lexes /pattern/flags, keeping the pattern raw.
func (l *lexer) regex(p Pos) (token, error) {
	l.adv(1)
	start := l.off
	for {
		if l.off >= len(l.src) || l.src[l.off] == '\n' {
			return token{}, l.errf(p, "unterminated regular expression")
		}
		c := l.src[l.off]
		if c == '/' {
			break
		}
		if c == '\\' {
			if l.peekc(1) == '\n' || l.off+1 >= len(l.src) {
				return token{}, l.errf(p, "unterminated regular expression")
			}
			l.adv(2)
			continue
		}
		l.adv(1)
	}
	pat := string(l.src[start:l.off])
	l.adv(1)
	var f RegexFlags
	for l.off < len(l.src) && (l.src[l.off] == 'i' || l.src[l.off] == 's') {
		if l.src[l.off] == 'i' {
			f.NoCase = true
		} else {
			f.DotAll = true
		}
		l.adv(1)
	}
	if pat == "" {
		return token{}, l.errf(p, "empty regular expression")
	}
	return token{kind: tRegex, text: pat, pos: p, flags: f}, nil
}

// hex lexes a hex string {…}, keeping the body raw, and checks its outline:
// the characters allowed, pairs of nibbles, jump bounds and parentheses.
func (l *lexer) hex(p Pos) (token, error) {
	l.adv(1)
	start := l.off
	nibbles, depth, bytes := 0, 0, 0
	for {
		if l.off >= len(l.src) {
			return token{}, l.errf(p, "unterminated hex string")
		}
		c := l.src[l.off]
		if c != '?' && !isHexDigit(c) && nibbles%2 == 1 {
			return token{}, l.errf(p, "invalid hex string: uneven number of digits in hex string")
		}
		switch {
		case c == '}':
			if depth != 0 {
				return token{}, l.errf(p, "invalid hex string: unbalanced parentheses")
			}
			if bytes == 0 {
				return token{}, l.errf(p, "syntax error, empty hex string")
			}
			body := string(l.src[start:l.off])
			l.adv(1)
			return token{kind: tHex, text: body, pos: p}, nil
		case c == '/' && l.peekc(1) == '/':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.adv(1)
			}
		case c == '/' && l.peekc(1) == '*':
			l.adv(2)
			for {
				if l.off >= len(l.src) {
					return token{}, l.errf(p, "unterminated comment")
				}
				if l.src[l.off] == '*' && l.peekc(1) == '/' {
					l.adv(2)
					break
				}
				l.adv(1)
			}
		case isHexDigit(c) || c == '?':
			nibbles++
			if nibbles%2 == 0 {
				bytes++
			}
			l.adv(1)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '~' || c == '|':
			l.adv(1)
		case c == '(':
			depth++
			if depth > 64 {
				return token{}, l.errf(p, "invalid hex string: too many nested alternatives")
			}
			l.adv(1)
		case c == ')':
			depth--
			if depth < 0 {
				return token{}, l.errf(p, "invalid hex string: unbalanced parentheses")
			}
			l.adv(1)
		case c == '[':
			jp := l.off
			l.adv(1)
			for l.off < len(l.src) && l.src[l.off] != ']' && l.src[l.off] != '}' {
				l.adv(1)
			}
			if l.off >= len(l.src) || l.src[l.off] != ']' {
				return token{}, l.errf(p, "invalid hex string: unterminated jump")
			}
			if err := checkJump(strings.TrimSpace(string(l.src[jp+1 : l.off]))); err != "" {
				return token{}, l.errf(p, "invalid hex string: %s", err)
			}
			l.adv(1)
		default:
			return token{}, l.errf(l.pos(), "syntax error, unexpected %q in hex string", string(c))
		}
	}
}

func checkJump(s string) string {
	lo, hi, dash := s, "", false
	if i := strings.IndexByte(s, '-'); i >= 0 {
		lo, hi, dash = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:]), true
	}
	num := func(x string) (int64, bool) {
		if x == "" {
			return 0, true
		}
		for i := 0; i < len(x); i++ {
			if !isDigit(x[i]) {
				return 0, false
			}
		}
		v, err := strconv.ParseInt(x, 10, 64)
		return v, err == nil
	}
	a, ok1 := num(lo)
	b, ok2 := num(hi)
	if !ok1 || !ok2 || !dash && lo == "" {
		return "invalid jump"
	}
	if dash && hi != "" && a > b {
		return "invalid jump range"
	}
	return ""
}
