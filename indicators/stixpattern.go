package indicators

import (
	"errors"
	"fmt"
	"strings"
)

// The STIX 2.1 patterning language, the subset exhunt can load. A pattern
// is observation expressions joined by OR, AND and FOLLOWEDBY, each a
// bracketed comparison expression, possibly with qualifiers (WITHIN,
// REPEATS, START/STOP); a comparison expression is comparisons joined by
// OR and AND; a comparison is object-path operator value.
//
// Alternatives joined by OR are independent: each one that is a plain
// equality ("[file:hashes.MD5 = '...']") is an indicator on its own. An
// AND, a FOLLOWEDBY or a qualifier makes its whole part mean more than any
// one value in it, so that part is not loaded; neither is a comparison
// with another operator (MATCHES, LIKE, !=, IN, ...), NOT, or a value that
// is not a string. The parser returns every part with what it is or why
// it is not loaded, so that nothing is dropped unsaid.

// patternPart is one alternative of a pattern.
type patternPart struct {
	path, value string // an equality: object path and string value
	text        string // the part as written, for problems
	why         string // why the part is not loaded; "" when it can be
}

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokLBracket
	tokRBracket
	tokLParen
	tokRParen
	tokColon
	tokDot
	tokComma
	tokStar
	tokString  // 'text', value decoded
	tokLiteral // t'...', h'...', b'...': timestamps, hex and binary
	tokNumber
	tokIdent // names and keywords
	tokOp    // = != < <= > >=
)

type token struct {
	kind       tokenKind
	text       string // as written; for a string, the decoded value
	start, end int
}

// maxPatternDepth bounds parentheses, so that a hostile pattern cannot
// exhaust the stack.
const maxPatternDepth = 64

var errDepth = errors.New("parentheses nested too deeply")

// lexPattern splits a pattern into tokens.
func lexPattern(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
			continue
		case strings.IndexByte("[]():.,*", c) >= 0:
			kind := map[byte]tokenKind{'[': tokLBracket, ']': tokRBracket, '(': tokLParen, ')': tokRParen,
				':': tokColon, '.': tokDot, ',': tokComma, '*': tokStar}[c]
			i++
			toks = append(toks, token{kind: kind, text: src[start:i], start: start, end: i})
		case c == '\'':
			s, n, err := lexString(src[i:])
			if err != nil {
				return nil, fmt.Errorf("at %d: %v", i, err)
			}
			i += n
			toks = append(toks, token{kind: tokString, text: s, start: start, end: i})
		case isLetter(c) || c == '_':
			for i < len(src) && (isLetter(src[i]) || '0' <= src[i] && src[i] <= '9' || src[i] == '_' || src[i] == '-') {
				i++
			}
			if word := src[start:i]; (word == "t" || word == "h" || word == "b") && i < len(src) && src[i] == '\'' {
				_, n, err := lexString(src[i:])
				if err != nil {
					return nil, fmt.Errorf("at %d: %v", i, err)
				}
				i += n
				toks = append(toks, token{kind: tokLiteral, text: src[start:i], start: start, end: i})
				continue
			}
			toks = append(toks, token{kind: tokIdent, text: src[start:i], start: start, end: i})
		case '0' <= c && c <= '9' || (c == '-' || c == '+') && i+1 < len(src) && '0' <= src[i+1] && src[i+1] <= '9':
			i++
			for i < len(src) && ('0' <= src[i] && src[i] <= '9' || src[i] == '.') {
				i++
			}
			toks = append(toks, token{kind: tokNumber, text: src[start:i], start: start, end: i})
		case c == '=' || c == '<' || c == '>' || c == '!':
			i++
			if i < len(src) && src[i] == '=' {
				i++
			}
			if op := src[start:i]; op == "!" {
				return nil, fmt.Errorf("at %d: '!' without '='", start)
			}
			toks = append(toks, token{kind: tokOp, text: src[start:i], start: start, end: i})
		default:
			return nil, fmt.Errorf("at %d: unexpected %q", i, rune(c))
		}
	}
	return append(toks, token{kind: tokEOF, start: len(src), end: len(src)}), nil
}

// lexString reads a quoted string starting at s[0] == '\”. STIX allows
// only two escapes, \' and \\.
func lexString(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\'':
			return b.String(), i + 1, nil
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '\'' && s[i+1] != '\\') {
				return "", 0, errors.New(`a string allows only the escapes \' and \\`)
			}
			i++
		}
		b.WriteByte(s[i])
	}
	return "", 0, errors.New("unterminated string")
}

type patternParser struct {
	src   string
	toks  []token
	pos   int
	depth int
}

// parsePattern parses a STIX pattern into its alternatives. A syntax error
// is an error: no part of a pattern that does not parse is trusted.
func parsePattern(src string) ([]patternPart, error) {
	toks, err := lexPattern(src)
	if err != nil {
		return nil, err
	}
	p := &patternParser{src: src, toks: toks}
	parts, err := p.followedBy()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, fmt.Errorf("at %d: unexpected %q", t.start, t.text)
	}
	return parts, nil
}

func (p *patternParser) peek() token { return p.toks[p.pos] }

func (p *patternParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *patternParser) keyword(word string) bool {
	t := p.peek()
	return t.kind == tokIdent && t.text == word
}

func (p *patternParser) expect(kind tokenKind, what string) (token, error) {
	t := p.next()
	if t.kind != kind {
		if t.kind == tokEOF {
			return t, fmt.Errorf("expected %s at the end", what)
		}
		return t, fmt.Errorf("at %d: expected %s, found %q", t.start, what, t.text)
	}
	return t, nil
}

// whole makes the tokens from start up to now one part that is not loaded.
func (p *patternParser) whole(start int, why string) []patternPart {
	end := p.toks[max(p.pos-1, 0)].end
	return []patternPart{{text: strings.TrimSpace(p.src[p.toks[start].start:end]), why: why}}
}

// followedBy: observations (FOLLOWEDBY observations)*, the loosest binding.
func (p *patternParser) followedBy() ([]patternPart, error) {
	start := p.pos
	parts, err := p.observationOr()
	for err == nil && p.keyword("FOLLOWEDBY") {
		p.next()
		if _, err = p.observationOr(); err == nil {
			parts = p.whole(start, "FOLLOWEDBY (a sequence of observations) is not supported")
		}
	}
	return parts, err
}

func (p *patternParser) observationOr() ([]patternPart, error) {
	parts, err := p.observationAnd()
	for err == nil && p.keyword("OR") {
		p.next()
		var more []patternPart
		more, err = p.observationAnd()
		parts = append(parts, more...)
	}
	return parts, err
}

func (p *patternParser) observationAnd() ([]patternPart, error) {
	start := p.pos
	parts, err := p.qualified()
	for err == nil && p.keyword("AND") {
		p.next()
		if _, err = p.qualified(); err == nil {
			parts = p.whole(start, "AND of observations (all must be seen) is not supported")
		}
	}
	return parts, err
}

// qualified: an observation with WITHIN, REPEATS or START/STOP after it.
func (p *patternParser) qualified() ([]patternPart, error) {
	start := p.pos
	parts, err := p.observation()
	var qualifiers []string
	for err == nil {
		var q string
		switch {
		case p.keyword("WITHIN"):
			p.next()
			if _, err = p.expect(tokNumber, "a number of seconds"); err == nil && !p.keyword("SECONDS") {
				err = fmt.Errorf("at %d: expected SECONDS", p.peek().start)
			}
			q = "WITHIN"
		case p.keyword("REPEATS"):
			p.next()
			if _, err = p.expect(tokNumber, "a number of times"); err == nil && !p.keyword("TIMES") {
				err = fmt.Errorf("at %d: expected TIMES", p.peek().start)
			}
			q = "REPEATS"
		case p.keyword("START"):
			p.next()
			if _, err = p.expect(tokLiteral, "a timestamp t'...'"); err == nil && !p.keyword("STOP") {
				err = fmt.Errorf("at %d: expected STOP", p.peek().start)
			}
			if err == nil {
				p.next()
				_, err = p.expect(tokLiteral, "a timestamp t'...'")
			}
			q = "START/STOP"
		default:
			return parts, nil
		}
		if err != nil {
			return nil, err
		}
		if q != "START/STOP" {
			p.next() // SECONDS or TIMES
		}
		qualifiers = append(qualifiers, q)
		why := "the qualifier " + q + " is not supported"
		if len(qualifiers) > 1 {
			why = "the qualifiers " + strings.Join(qualifiers, " and ") + " are not supported"
		}
		parts = p.whole(start, why)
	}
	return nil, err
}

// observation: '[' comparisons ']' or '(' observations ')'.
func (p *patternParser) observation() ([]patternPart, error) {
	t := p.next()
	switch t.kind {
	case tokLBracket:
		parts, err := p.comparisonOr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRBracket, "']'"); err != nil {
			return nil, err
		}
		return parts, nil
	case tokLParen:
		if p.depth++; p.depth > maxPatternDepth {
			return nil, errDepth
		}
		parts, err := p.followedBy()
		p.depth--
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen, "')'"); err != nil {
			return nil, err
		}
		return parts, nil
	case tokEOF:
		return nil, errors.New("expected '[' at the end")
	}
	return nil, fmt.Errorf("at %d: expected '[', found %q", t.start, t.text)
}

func (p *patternParser) comparisonOr() ([]patternPart, error) {
	parts, err := p.comparisonAnd()
	for err == nil && p.keyword("OR") {
		p.next()
		var more []patternPart
		more, err = p.comparisonAnd()
		parts = append(parts, more...)
	}
	return parts, err
}

func (p *patternParser) comparisonAnd() ([]patternPart, error) {
	start := p.pos
	parts, err := p.comparisonPrimary()
	for err == nil && p.keyword("AND") {
		p.next()
		if _, err = p.comparisonPrimary(); err == nil {
			parts = p.whole(start, "AND (all comparisons must hold of one object) is not supported")
		}
	}
	return parts, err
}

func (p *patternParser) comparisonPrimary() ([]patternPart, error) {
	if p.peek().kind != tokLParen {
		return p.comparison()
	}
	p.next()
	if p.depth++; p.depth > maxPatternDepth {
		return nil, errDepth
	}
	parts, err := p.comparisonOr()
	p.depth--
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokRParen, "')'"); err != nil {
		return nil, err
	}
	return parts, nil
}

// comparison: object-path [NOT] operator value, or EXISTS object-path.
func (p *patternParser) comparison() ([]patternPart, error) {
	start := p.pos
	if p.keyword("EXISTS") {
		p.next()
		if _, err := p.objectPath(); err != nil {
			return nil, err
		}
		return p.whole(start, "EXISTS is not supported"), nil
	}
	path, err := p.objectPath()
	if err != nil {
		return nil, err
	}
	not := p.keyword("NOT")
	if not {
		p.next()
	}
	op := p.next()
	switch {
	case op.kind == tokOp:
	case op.kind == tokIdent && (op.text == "MATCHES" || op.text == "LIKE" || op.text == "ISSUBSET" || op.text == "ISSUPERSET" || op.text == "IN"):
	case op.kind == tokEOF:
		return nil, errors.New("expected an operator at the end")
	default:
		return nil, fmt.Errorf("at %d: expected an operator, found %q", op.start, op.text)
	}
	var value token
	if op.text == "IN" {
		if _, err := p.expect(tokLParen, "'(' after IN"); err != nil {
			return nil, err
		}
		for {
			if _, err := p.value(); err != nil {
				return nil, err
			}
			if p.peek().kind != tokComma {
				break
			}
			p.next()
		}
		if _, err := p.expect(tokRParen, "')'"); err != nil {
			return nil, err
		}
	} else if value, err = p.value(); err != nil {
		return nil, err
	}
	switch {
	case not:
		return p.whole(start, "NOT is not supported"), nil
	case op.text != "=":
		return p.whole(start, "the operator "+op.text+" is not supported (only =)"), nil
	case value.kind != tokString:
		return p.whole(start, "only string values are supported"), nil
	}
	return []patternPart{{path: path, value: value.text, text: strings.TrimSpace(p.src[p.toks[start].start:value.end])}}, nil
}

func (p *patternParser) value() (token, error) {
	t := p.next()
	switch {
	case t.kind == tokString, t.kind == tokLiteral, t.kind == tokNumber:
		return t, nil
	case t.kind == tokIdent && (t.text == "true" || t.text == "false"):
		return t, nil
	case t.kind == tokEOF:
		return t, errors.New("expected a value at the end")
	}
	return t, fmt.Errorf("at %d: expected a value, found %q", t.start, t.text)
}

// objectPath: type ':' property ('.' property | '[' index ']')*, written
// back as "type:prop.prop[index]" with quotes removed.
func (p *patternParser) objectPath() (string, error) {
	typ, err := p.expect(tokIdent, "an object type")
	if err != nil {
		return "", err
	}
	if _, err := p.expect(tokColon, "':' after the object type"); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(typ.text)
	b.WriteByte(':')
	prop := p.next()
	if prop.kind != tokIdent && prop.kind != tokString {
		return "", fmt.Errorf("at %d: expected a property name", prop.start)
	}
	b.WriteString(prop.text)
	for {
		switch p.peek().kind {
		case tokDot:
			p.next()
			prop := p.next()
			if prop.kind != tokIdent && prop.kind != tokString {
				return "", fmt.Errorf("at %d: expected a property name after '.'", prop.start)
			}
			b.WriteByte('.')
			b.WriteString(prop.text)
		case tokLBracket:
			p.next()
			idx := p.next()
			if idx.kind != tokNumber && idx.kind != tokStar {
				return "", fmt.Errorf("at %d: expected an index or '*'", idx.start)
			}
			if _, err := p.expect(tokRBracket, "']'"); err != nil {
				return "", err
			}
			b.WriteString("[" + idx.text + "]")
		default:
			return b.String(), nil
		}
	}
}
