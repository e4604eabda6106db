package syntax

import (
	"slices"
	"strings"
)

// Condition grammar. As in YARA, "primary" expressions (numbers, strings,
// identifiers and arithmetic on them) are the only operands of arithmetic,
// bitwise operators and comparisons; boolean-only forms (true, false, $a,
// of, for, comparisons, and/or/not and parentheses around them) may only be
// combined with and, or and not. Every parse function returns whether its
// result is primary.

func (p *parser) enter(pos Pos) {
	p.depth++
	if p.depth > maxExprDepth {
		p.failf(pos, "expression nesting too deep")
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) parseExpr() (Expr, bool) {
	p.enter(p.tok().pos)
	defer p.leave()
	x, prim := p.parseAnd()
	for p.isKw("or") {
		t := p.advance()
		y, _ := p.parseAnd()
		x, prim = &Binary{Op: "or", X: x, Y: y, Pos: t.pos}, false
	}
	return x, prim
}

func (p *parser) parseAnd() (Expr, bool) {
	x, prim := p.parseNot()
	for p.isKw("and") {
		t := p.advance()
		y, _ := p.parseNot()
		x, prim = &Binary{Op: "and", X: x, Y: y, Pos: t.pos}, false
	}
	return x, prim
}

func (p *parser) parseNot() (Expr, bool) {
	if p.isKw("not") || p.isKw("defined") {
		t := p.advance()
		p.enter(t.pos)
		defer p.leave()
		x, _ := p.parseNot()
		return &Unary{Op: t.text, X: x, Pos: t.pos}, false
	}
	return p.parseCmp()
}

var cmpOps = map[string]bool{"==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
	"contains": true, "icontains": true, "startswith": true, "istartswith": true,
	"endswith": true, "iendswith": true, "iequals": true, "matches": true}

func (p *parser) isCmp() bool {
	t := p.tok()
	return (t.kind == tPunct || t.kind == tKeyword) && cmpOps[t.text]
}

func (p *parser) isPercentOf() bool {
	return p.isPunct("%") && p.peek(1).kind == tKeyword && p.peek(1).text == "of"
}

func (p *parser) parseCmp() (Expr, bool) {
	x, prim := p.parseBin(0)
	if !prim {
		return x, false
	}
	if p.isKw("of") {
		return p.parseOf(Quantifier{Kind: QuantExpr, N: x}, x.Position()), false
	}
	if p.isPercentOf() {
		p.advance()
		return p.parseOf(Quantifier{Kind: QuantPercent, N: x}, x.Position()), false
	}
	if !p.isCmp() {
		return x, true
	}
	op := p.advance()
	var y Expr
	if op.text == "matches" {
		r := p.expectKind(tRegex, "regular expression")
		y = &RegexLit{Pattern: r.text, Flags: r.flags, Pos: r.pos}
	} else {
		y = p.primary(0)
	}
	return &Binary{Op: op.text, X: x, Y: y, Pos: op.pos}, false
}

// primary parses an operand that must be a primary expression, at the given
// binary level.
func (p *parser) primary(level int) Expr {
	t := p.tok()
	y, prim := p.parseBin(level)
	if !prim {
		p.failf(t.pos, "syntax error, unexpected %s", t.describe())
	}
	return y
}

var binLevels = [][]string{{"|"}, {"^"}, {"&"}, {"<<", ">>"}, {"+", "-"}, {"*", "\\", "%"}}

func (p *parser) parseBin(level int) (Expr, bool) {
	if level == len(binLevels) {
		return p.parseUnary()
	}
	x, prim := p.parseBin(level + 1)
	for p.tok().kind == tPunct && slices.Contains(binLevels[level], p.tok().text) && !p.isPercentOf() {
		t := p.advance()
		if !prim {
			p.failf(t.pos, "syntax error, unexpected %q", t.text)
		}
		y := p.primary(level + 1)
		x = &Binary{Op: t.text, X: x, Y: y, Pos: t.pos}
	}
	return x, prim
}

func (p *parser) parseUnary() (Expr, bool) {
	if p.isPunct("-") || p.isPunct("~") {
		t := p.advance()
		p.enter(t.pos)
		defer p.leave()
		x, prim := p.parseUnary()
		if !prim {
			p.failf(x.Position(), "syntax error, unexpected boolean expression after %q", t.text)
		}
		return &Unary{Op: t.text, X: x, Pos: t.pos}, true
	}
	return p.parseAtom()
}

func (p *parser) parseAtom() (Expr, bool) {
	t := p.tok()
	switch t.kind {
	case tInt:
		p.advance()
		return &IntLit{Value: t.ival, Pos: t.pos}, true
	case tFloat:
		p.advance()
		return &FloatLit{Value: t.fval, Pos: t.pos}, true
	case tText:
		p.advance()
		return &StringLit{Value: t.bytes, Pos: t.pos}, true
	case tStrID:
		p.advance()
		if t.wild {
			p.failf(t.pos, "syntax error, unexpected %q", t.text+"*")
		}
		p.useString(t)
		ref := &StringRef{ID: t.text, Pos: t.pos}
		if p.isKw("at") {
			p.advance()
			ref.At = p.primary(0)
		} else if p.isKw("in") {
			p.advance()
			ref.In = p.parseRange()
		}
		return ref, false
	case tStrCount:
		p.advance()
		p.useString(t)
		c := &StringCount{ID: t.text, Pos: t.pos}
		if p.isKw("in") {
			p.advance()
			c.In = p.parseRange()
		}
		return c, true
	case tStrOffset, tStrLength:
		p.advance()
		p.useString(t)
		var idx Expr
		if p.isPunct("[") {
			p.advance()
			idx = p.primary(0)
			p.expect(tPunct, "]")
		}
		if t.kind == tStrOffset {
			return &StringOffset{ID: t.text, Index: idx, Pos: t.pos}, true
		}
		return &StringLength{ID: t.text, Index: idx, Pos: t.pos}, true
	case tIdent:
		return p.parseIdent(), true
	case tKeyword:
		switch t.text {
		case "true", "false":
			p.advance()
			return &BoolLit{Value: t.text == "true", Pos: t.pos}, false
		case "filesize", "entrypoint":
			p.advance()
			return &Keyword{Name: t.text, Pos: t.pos}, true
		case "all", "any", "none":
			p.advance()
			q := Quantifier{Kind: map[string]QuantKind{"all": QuantAll, "any": QuantAny, "none": QuantNone}[t.text]}
			if !p.isKw("of") {
				p.unexpected()
			}
			return p.parseOf(q, t.pos), false
		case "for":
			return p.parseFor(), false
		}
	case tPunct:
		if t.text == "(" {
			p.advance()
			x, prim := p.parseExpr()
			p.expect(tPunct, ")")
			return x, prim
		}
	}
	p.unexpected()
	return nil, false
}

// useString checks a reference to a string ($a, #a, @a, !a) in a condition.
func (p *parser) useString(t token) {
	id := "$" + t.text[1:]
	if id == "$" {
		if p.forOf == 0 {
			p.failf(t.pos, "wrong use of anonymous string")
		}
		return
	}
	s, ok := p.strs[id]
	if !ok {
		p.failf(t.pos, "undefined string %q", id)
	}
	p.used[s] = true
}

func (p *parser) parseRange() *Range {
	t := p.expect(tPunct, "(")
	lo := p.primary(0)
	p.expect(tPunct, "..")
	hi := p.primary(0)
	p.expect(tPunct, ")")
	return &Range{Lo: lo, Hi: hi, Pos: t.pos}
}

// parseIdent parses an identifier with its member accesses, indexes and
// calls, and resolves its root.
func (p *parser) parseIdent() Expr {
	t := p.advance()
	name := t.text
	var x Expr
	switch {
	case slices.Contains(p.loopVars, name):
		x = &Ident{Name: name, LoopVar: true, Pos: t.pos}
	case p.imported[name]:
		if !p.isPunct(".") {
			p.failf(t.pos, "wrong usage of identifier %q", name)
		}
		x = &Ident{Name: name, Module: true, Pos: t.pos}
	case p.rules[name] != nil:
		x = &RuleRef{Name: name, Pos: t.pos}
		return x
	case builtins[name] && p.isPunct("("):
		x = &Ident{Name: name, Pos: t.pos}
	default:
		if name == p.rule.Name {
			p.failf(t.pos, "rule %q refers to itself", name)
		}
		if p.isPunct(".") || p.isPunct("(") || p.isPunct("[") {
			p.failf(t.pos, "undefined identifier %q", name)
		}
		if _, seen := p.extRefs[name]; !seen {
			p.extRefs[name] = t.pos
		}
		return &Ident{Name: name, Pos: t.pos}
	}
	for n := 0; ; n++ {
		if n > maxExprDepth {
			p.failf(t.pos, "expression nesting too deep")
		}
		switch {
		case p.isPunct("."):
			d := p.advance()
			m := p.expectKind(tIdent, "identifier")
			x = &Member{X: x, Name: m.text, Pos: d.pos}
		case p.isPunct("["):
			b := p.advance()
			p.enter(b.pos)
			idx := p.primary(0)
			p.leave()
			p.expect(tPunct, "]")
			x = &Index{X: x, Index: idx, Pos: b.pos}
		case p.isPunct("("):
			c := p.advance()
			p.enter(c.pos)
			var args []Expr
			for !p.isPunct(")") {
				if len(args) > 0 {
					p.expect(tPunct, ",")
				}
				if r := p.tok(); r.kind == tRegex {
					p.advance()
					args = append(args, &RegexLit{Pattern: r.text, Flags: r.flags, Pos: r.pos})
				} else {
					a, _ := p.parseExpr()
					args = append(args, a)
				}
			}
			p.advance()
			p.leave()
			x = &Call{Fn: x, Args: args, Pos: c.pos}
		default:
			return x
		}
	}
}

// parseOf parses "of <string set>" or "of <rule set>"; the quantifier has
// been read.
func (p *parser) parseOf(q Quantifier, pos Pos) Expr {
	p.expect(tKeyword, "of")
	if p.isPunct("(") && p.peek(1).kind == tIdent {
		return &Of{Quant: q, Rules: p.parseRuleSet(), Pos: pos}
	}
	return &Of{Quant: q, Strings: p.parseStringSet(), Pos: pos}
}

func (p *parser) parseStringSet() *StringSet {
	t := p.tok()
	set := &StringSet{Pos: t.pos}
	if p.isKw("them") {
		p.advance()
		set.Them = true
		if len(p.rule.Strings) == 0 {
			p.failf(t.pos, "undefined string \"$*\"")
		}
		for _, s := range p.rule.Strings {
			p.used[s] = true
			set.Matched = append(set.Matched, s.ID)
		}
		return set
	}
	p.expect(tPunct, "(")
	for {
		it := p.expectKind(tStrID, "string identifier")
		set.Items = append(set.Items, SetItem{Name: it.text, Wildcard: it.wild, Pos: it.pos})
		n := 0
		for _, s := range p.rule.Strings {
			if it.wild && strings.HasPrefix(s.ID, it.text) || !it.wild && s.ID == it.text && s.ID != "$" {
				p.used[s] = true
				set.Matched = append(set.Matched, s.ID)
				n++
			}
		}
		if n == 0 {
			name := it.text
			if it.wild {
				name += "*"
			}
			p.failf(it.pos, "undefined string %q", name)
		}
		if !p.isPunct(",") {
			break
		}
		p.advance()
	}
	p.expect(tPunct, ")")
	return set
}

func (p *parser) parseRuleSet() *RuleSet {
	set := &RuleSet{Pos: p.expect(tPunct, "(").pos}
	for {
		it := p.expectKind(tIdent, "rule identifier")
		wild := false
		if p.isPunct("*") {
			p.advance()
			wild = true
		}
		set.Items = append(set.Items, SetItem{Name: it.text, Wildcard: wild, Pos: it.pos})
		n := 0
		for _, r := range p.out.Rules {
			if wild && strings.HasPrefix(r.Name, it.text) || !wild && r.Name == it.text {
				set.Matched = append(set.Matched, r.Name)
				n++
			}
		}
		if n == 0 {
			p.failf(it.pos, "undefined identifier %q", it.text)
		}
		if !p.isPunct(",") {
			break
		}
		p.advance()
	}
	p.expect(tPunct, ")")
	return set
}

func (p *parser) parseFor() Expr {
	t := p.advance()
	var q Quantifier
	switch {
	case p.isKw("all"):
		p.advance()
		q.Kind = QuantAll
	case p.isKw("any"):
		p.advance()
		q.Kind = QuantAny
	case p.isKw("none"):
		p.advance()
		q.Kind = QuantNone
	default:
		q.Kind, q.N = QuantExpr, p.primary(0)
		if p.isPercentOf() {
			p.advance()
			q.Kind = QuantPercent
		}
	}
	p.loops++
	if p.loops > maxLoopNesting {
		p.failf(t.pos, "loop nesting limit exceeded")
	}
	defer func() { p.loops-- }()
	if p.isKw("of") {
		p.advance()
		set := p.parseStringSet()
		p.expect(tPunct, ":")
		p.forOf++
		body := p.parseBody()
		p.forOf--
		return &ForOf{Quant: q, Strings: set, Body: body, Pos: t.pos}
	}
	if q.Kind == QuantPercent {
		p.unexpected()
	}
	var vars []string
	for {
		v := p.expectKind(tIdent, "identifier")
		if slices.Contains(p.loopVars, v.text) || slices.Contains(vars, v.text) {
			p.failf(v.pos, "duplicated loop identifier %q", v.text)
		}
		vars = append(vars, v.text)
		if !p.isPunct(",") {
			break
		}
		p.advance()
	}
	p.expect(tKeyword, "in")
	iter := p.parseIterable()
	p.expect(tPunct, ":")
	saved := p.loopVars
	p.loopVars = append(slices.Clone(p.loopVars), vars...)
	body := p.parseBody()
	p.loopVars = saved
	return &ForIn{Quant: q, Vars: vars, Iter: iter, Body: body, Pos: t.pos}
}

func (p *parser) parseBody() Expr {
	p.expect(tPunct, "(")
	x, _ := p.parseExpr()
	p.expect(tPunct, ")")
	return x
}

func (p *parser) parseIterable() Iterable {
	if p.isPunct("(") {
		t := p.advance()
		first := p.primary(0)
		if p.isPunct("..") {
			p.advance()
			hi := p.primary(0)
			p.expect(tPunct, ")")
			return &Range{Lo: first, Hi: hi, Pos: t.pos}
		}
		e := &Enum{Items: []Expr{first}, Pos: t.pos}
		for p.isPunct(",") {
			p.advance()
			e.Items = append(e.Items, p.primary(0))
		}
		p.expect(tPunct, ")")
		return e
	}
	if p.tok().kind != tIdent {
		p.unexpected()
	}
	return &IterExpr{X: p.parseIdent()}
}
