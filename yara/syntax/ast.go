package syntax

import (
	"fmt"
	"strconv"
	"strings"
)

// Pos is a position in a source file. Line and Col count from 1; Col counts
// bytes.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is a parse error. Its text is "file:line: message".
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.Pos.File, e.Pos.Line, e.Msg) }

// File is a parsed rules file, with the rules of included files in place.
type File struct {
	Imports []*Import
	Rules   []*Rule
}

// Import is an `import "module"` statement.
type Import struct {
	Module string
	Pos    Pos
}

// Rule is one rule.
type Rule struct {
	Name      string
	Tags      []string
	Private   bool
	Global    bool
	Meta      []*Meta
	Strings   []*String
	Condition Expr
	Pos       Pos
}

// Meta is one entry of a rule's meta section. Value is a string, an int64 or
// a bool.
type Meta struct {
	Key   string
	Value any
	Pos   Pos
}

// StringKind tells text, hex and regular expression strings apart.
type StringKind int

const (
	Text StringKind = iota
	Hex
	Regex
)

func (k StringKind) String() string {
	switch k {
	case Text:
		return "text"
	case Hex:
		return "hex"
	case Regex:
		return "regex"
	}
	return "?"
}

// String is a string definition of a rule's strings section.
type String struct {
	ID         string // "$a"; "$" for an anonymous string
	Kind       StringKind
	Text       []byte // Kind Text: the value with escapes decoded
	Hex        string // Kind Hex: the raw text between the braces
	Regex      string // Kind Regex: the raw pattern between the slashes
	RegexFlags RegexFlags
	Modifiers  Modifiers
	Pos        Pos
}

// RegexFlags are the flags after a regular expression's closing slash.
type RegexFlags struct {
	NoCase bool // i
	DotAll bool // s
}

func (f RegexFlags) String() string {
	s := ""
	if f.NoCase {
		s += "i"
	}
	if f.DotAll {
		s += "s"
	}
	return s
}

// Modifiers are a string's modifiers.
type Modifiers struct {
	ASCII, Wide, NoCase, Fullword, Private bool
	Xor                                    bool
	XorMin, XorMax                         int // 0-255 when Xor has no range
	Base64, Base64Wide                     bool
	Base64Alphabet                         []byte // nil: the standard alphabet
}

// Expr is a condition expression.
type Expr interface {
	Position() Pos
	String() string
}

type (
	// IntLit is an integer literal; KB and MB suffixes are applied.
	IntLit struct {
		Value int64
		Pos   Pos
	}
	// FloatLit is a floating point literal.
	FloatLit struct {
		Value float64
		Pos   Pos
	}
	// StringLit is a text string literal, escapes decoded.
	StringLit struct {
		Value []byte
		Pos   Pos
	}
	// RegexLit is a regular expression (after matches, or a function argument).
	RegexLit struct {
		Pattern string
		Flags   RegexFlags
		Pos     Pos
	}
	// BoolLit is true or false.
	BoolLit struct {
		Value bool
		Pos   Pos
	}
	// Keyword is filesize or entrypoint.
	Keyword struct {
		Name string
		Pos  Pos
	}
	// Ident is an identifier: an external variable, a loop variable
	// (LoopVar), or a module name as the root of a Member.
	Ident struct {
		Name    string
		LoopVar bool
		Module  bool
		Pos     Pos
	}
	// RuleRef is a reference to an earlier rule.
	RuleRef struct {
		Name string
		Pos  Pos
	}
	// Member is X.Name.
	Member struct {
		X    Expr
		Name string
		Pos  Pos
	}
	// Index is X[Index].
	Index struct {
		X     Expr
		Index Expr
		Pos   Pos
	}
	// Call is Fn(Args...). Fn is an Ident (uint8 … uint32be, int8 … int32be)
	// or a Member of a module.
	Call struct {
		Fn   Expr
		Args []Expr
		Pos  Pos
	}
	// StringRef is $a, $a at At, or $a in In. ID is "$" inside for … of.
	StringRef struct {
		ID  string
		At  Expr
		In  *Range
		Pos Pos
	}
	// StringCount is #a, optionally #a in In.
	StringCount struct {
		ID  string
		In  *Range
		Pos Pos
	}
	// StringOffset is @a or @a[Index].
	StringOffset struct {
		ID    string
		Index Expr // nil: the first match
		Pos   Pos
	}
	// StringLength is !a or !a[Index].
	StringLength struct {
		ID    string
		Index Expr
		Pos   Pos
	}
	// Unary is -X, ~X, not X or defined X (Op "-", "~", "not", "defined").
	Unary struct {
		Op  string
		X   Expr
		Pos Pos
	}
	// Binary is X Op Y. Op is the operator's spelling: "or", "and", "==",
	// "contains", "matches", "|", "<<", "\\", …
	Binary struct {
		Op   string
		X, Y Expr
		Pos  Pos
	}
	// Of is "Quant of Strings" or "Quant of Rules".
	Of struct {
		Quant   Quantifier
		Strings *StringSet // nil for a rule set
		Rules   *RuleSet
		Pos     Pos
	}
	// ForOf is "for Quant of Strings : ( Body )".
	ForOf struct {
		Quant   Quantifier
		Strings *StringSet
		Body    Expr
		Pos     Pos
	}
	// ForIn is "for Quant Vars in Iter : ( Body )".
	ForIn struct {
		Quant Quantifier
		Vars  []string
		Iter  Iterable
		Body  Expr
		Pos   Pos
	}
)

// QuantKind is the kind of a quantifier.
type QuantKind int

const (
	QuantAll QuantKind = iota
	QuantAny
	QuantNone
	QuantExpr    // N
	QuantPercent // N%
)

// Quantifier is all, any, none, N or N%.
type Quantifier struct {
	Kind QuantKind
	N    Expr // QuantExpr and QuantPercent
}

func (q Quantifier) String() string {
	switch q.Kind {
	case QuantAll:
		return "all"
	case QuantAny:
		return "any"
	case QuantNone:
		return "none"
	case QuantPercent:
		return q.N.String() + "%"
	}
	if q.N == nil {
		return "?"
	}
	return q.N.String()
}

// Range is (Lo..Hi).
type Range struct {
	Lo, Hi Expr
	Pos    Pos
}

func (r *Range) String() string { return "(" + r.Lo.String() + ".." + r.Hi.String() + ")" }

// Iterable is what a for … in loop iterates: *Range, *Enum or an expression
// (an array or dictionary of a module or loop variable).
type Iterable interface{ String() string }

// Enum is an enumeration (E1, E2, …).
type Enum struct {
	Items []Expr
	Pos   Pos
}

func (e *Enum) String() string { return "(" + joinExprs(e.Items) + ")" }

// IterExpr is an expression iterated by for … in.
type IterExpr struct{ X Expr }

func (e *IterExpr) String() string { return e.X.String() }

// SetItem is one element of a string or rule set: a name, or a prefix
// followed by * when Wildcard.
type SetItem struct {
	Name     string
	Wildcard bool
	Pos      Pos
}

func (s SetItem) String() string {
	if s.Wildcard {
		return s.Name + "*"
	}
	return s.Name
}

// StringSet is them or ($a, $b*, …). Matched lists the identifiers the set
// covers, in declaration order.
type StringSet struct {
	Them    bool
	Items   []SetItem
	Matched []string
	Pos     Pos
}

func (s *StringSet) String() string {
	if s.Them {
		return "them"
	}
	return "(" + joinItems(s.Items) + ")"
}

// RuleSet is (rule1, rule2*, …). Matched lists the rules the set covers.
type RuleSet struct {
	Items   []SetItem
	Matched []string
	Pos     Pos
}

func (s *RuleSet) String() string { return "(" + joinItems(s.Items) + ")" }

func joinItems(items []SetItem) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = it.String()
	}
	return strings.Join(parts, ", ")
}

func joinExprs(xs []Expr) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = x.String()
	}
	return strings.Join(parts, ", ")
}

func (x *IntLit) Position() Pos       { return x.Pos }
func (x *FloatLit) Position() Pos     { return x.Pos }
func (x *StringLit) Position() Pos    { return x.Pos }
func (x *RegexLit) Position() Pos     { return x.Pos }
func (x *BoolLit) Position() Pos      { return x.Pos }
func (x *Keyword) Position() Pos      { return x.Pos }
func (x *Ident) Position() Pos        { return x.Pos }
func (x *RuleRef) Position() Pos      { return x.Pos }
func (x *Member) Position() Pos       { return x.Pos }
func (x *Index) Position() Pos        { return x.Pos }
func (x *Call) Position() Pos         { return x.Pos }
func (x *StringRef) Position() Pos    { return x.Pos }
func (x *StringCount) Position() Pos  { return x.Pos }
func (x *StringOffset) Position() Pos { return x.Pos }
func (x *StringLength) Position() Pos { return x.Pos }
func (x *Unary) Position() Pos        { return x.Pos }
func (x *Binary) Position() Pos       { return x.Pos }
func (x *Of) Position() Pos           { return x.Pos }
func (x *ForOf) Position() Pos        { return x.Pos }
func (x *ForIn) Position() Pos        { return x.Pos }

// The String methods print expressions fully parenthesised, in a form the
// parser reads back to the same tree.

func (x *IntLit) String() string { return strconv.FormatInt(x.Value, 10) }
func (x *FloatLit) String() string {
	s := strconv.FormatFloat(x.Value, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
func (x *StringLit) String() string {
	return quote(x.Value)
}
func (x *RegexLit) String() string { return "/" + x.Pattern + "/" + x.Flags.String() }
func (x *BoolLit) String() string  { return strconv.FormatBool(x.Value) }
func (x *Keyword) String() string  { return x.Name }
func (x *Ident) String() string    { return x.Name }
func (x *RuleRef) String() string  { return x.Name }
func (x *Member) String() string   { return x.X.String() + "." + x.Name }
func (x *Index) String() string    { return x.X.String() + "[" + x.Index.String() + "]" }
func (x *Call) String() string     { return x.Fn.String() + "(" + joinExprs(x.Args) + ")" }
func (x *Unary) String() string {
	if x.Op == "-" || x.Op == "~" {
		return "(" + x.Op + x.X.String() + ")"
	}
	return "(" + x.Op + " " + x.X.String() + ")"
}
func (x *Binary) String() string { return "(" + x.X.String() + " " + x.Op + " " + x.Y.String() + ")" }
func (x *StringRef) String() string {
	switch {
	case x.At != nil:
		return "(" + x.ID + " at " + x.At.String() + ")"
	case x.In != nil:
		return "(" + x.ID + " in " + x.In.String() + ")"
	}
	return x.ID
}
func (x *StringCount) String() string {
	if x.In != nil {
		return "(" + x.ID + " in " + x.In.String() + ")"
	}
	return x.ID
}
func (x *StringOffset) String() string {
	if x.Index != nil {
		return x.ID + "[" + x.Index.String() + "]"
	}
	return x.ID
}
func (x *StringLength) String() string {
	if x.Index != nil {
		return x.ID + "[" + x.Index.String() + "]"
	}
	return x.ID
}
func (x *Of) String() string {
	if x.Rules != nil {
		return "(" + x.Quant.String() + " of " + x.Rules.String() + ")"
	}
	return "(" + x.Quant.String() + " of " + x.Strings.String() + ")"
}
func (x *ForOf) String() string {
	return "(for " + x.Quant.String() + " of " + x.Strings.String() + " : (" + x.Body.String() + "))"
}
func (x *ForIn) String() string {
	return "(for " + x.Quant.String() + " " + strings.Join(x.Vars, ", ") + " in " + x.Iter.String() + " : (" + x.Body.String() + "))"
}

// quote writes b as a YARA text string.
func quote(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range b {
		switch {
		case c == '"':
			sb.WriteString(`\"`)
		case c == '\\':
			sb.WriteString(`\\`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&sb, `\x%02x`, c)
		default:
			sb.WriteByte(c)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
