package psscript

import (
	"fmt"
	"strings"
)

// A tokenizer of PowerShell, enough to check a script without PowerShell
// (none is installable here): it knows comments (line and block), the
// string forms (single- and double-quoted, here-strings, the typographic
// quotes PowerShell also accepts), variables, line continuations and
// brackets, and leaves the rest as words and punctuation.

type tokKind int

const (
	tkNewline tokKind = iota
	tkComment
	tkString       // single-quoted or single-quoted here-string: Text is the value
	tkExpandString // double-quoted or double-quoted here-string: Text is the raw content
	tkVariable     // Text without the $ ("Places", "script:Tally", "_")
	tkWord         // commands, parameters, members, numbers, operators
	tkPunct        // ( ) { } [ ] , ; | @( @{ $( ?? ?.
)

func (k tokKind) String() string {
	return [...]string{"newline", "comment", "string", "expandable string", "variable", "word", "punct"}[k]
}

type psToken struct {
	kind tokKind
	text string
	line int
	// vars are the variables an expandable string names.
	vars []string
}

func (t psToken) String() string { return fmt.Sprintf("%s %q (line %d)", t.kind, t.text, t.line) }

func isSingleQuote(r rune) bool {
	return r == '\'' || r == '\u2018' || r == '\u2019' || r == '\u201a' || r == '\u201b'
}
func isDoubleQuote(r rune) bool { return r == '"' || r == '\u201c' || r == '\u201d' || r == '\u201e' }

// wordStop ends a word.
func wordStop(r rune) bool {
	return r == ' ' || r == '\t' || r == '\r' || r == '\n' || strings.ContainsRune("(){}[],;|$@#`", r) || isSingleQuote(r) || isDoubleQuote(r)
}

func isVarRune(r rune) bool {
	return r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// tokenize splits a script into tokens, or says where a string, comment or
// here-string does not close.
func tokenize(src string) ([]psToken, error) {
	rs := []rune(src)
	var out []psToken
	line := 1
	emit := func(k tokKind, text string, vars []string) {
		out = append(out, psToken{kind: k, text: text, line: line, vars: vars})
	}
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case r == '\n':
			emit(tkNewline, "\n", nil)
			line++
			i++
		case r == ' ' || r == '\t' || r == '\r':
			i++
		case r == '`':
			// A backtick ending a line continues the statement; elsewhere
			// it escapes the next character of a word.
			j := i + 1
			for j < len(rs) && rs[j] == '\r' {
				j++
			}
			if j < len(rs) && rs[j] == '\n' {
				line++
				i = j + 1
				continue
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("line %d: backtick at the end of the script", line)
			}
			emit(tkWord, string(rs[i:j+1]), nil)
			i = j + 1
		case r == '<' && i+1 < len(rs) && rs[i+1] == '#':
			j := i + 2
			for j+1 < len(rs) && !(rs[j] == '#' && rs[j+1] == '>') {
				j++
			}
			if j+1 >= len(rs) {
				return nil, fmt.Errorf("line %d: block comment never closes", line)
			}
			text := string(rs[i : j+2])
			emit(tkComment, text, nil)
			line += strings.Count(text, "\n")
			i = j + 2
		case r == '#':
			j := i
			for j < len(rs) && rs[j] != '\n' {
				j++
			}
			emit(tkComment, strings.TrimRight(string(rs[i:j]), "\r"), nil)
			i = j
		case r == '@' && i+1 < len(rs) && (isSingleQuote(rs[i+1]) || isDoubleQuote(rs[i+1])):
			// A here-string: the opening quote ends its line, the closing
			// one begins a line.
			single := isSingleQuote(rs[i+1])
			j := i + 2
			for j < len(rs) && (rs[j] == ' ' || rs[j] == '\t' || rs[j] == '\r') {
				j++
			}
			if j >= len(rs) || rs[j] != '\n' {
				return nil, fmt.Errorf("line %d: a here-string's opening quote must end its line", line)
			}
			start := j + 1
			k := start
			for {
				if k >= len(rs) {
					return nil, fmt.Errorf("line %d: here-string never closes", line)
				}
				if (k == start || rs[k-1] == '\n') && k+1 < len(rs) && rs[k+1] == '@' &&
					(single && isSingleQuote(rs[k]) || !single && isDoubleQuote(rs[k])) {
					break
				}
				k++
			}
			body := strings.TrimSuffix(strings.TrimSuffix(string(rs[start:k]), "\n"), "\r")
			startLine := line
			line += strings.Count(string(rs[i:k+2]), "\n")
			kind := tkString
			var vars []string
			if !single {
				kind = tkExpandString
				var err error
				if vars, err = expandVars(body, startLine); err != nil {
					return nil, err
				}
			}
			out = append(out, psToken{kind: kind, text: body, line: startLine, vars: vars})
			i = k + 2
		case isSingleQuote(r):
			var b strings.Builder
			j := i + 1
			startLine := line
			for {
				if j >= len(rs) {
					return nil, fmt.Errorf("line %d: single-quoted string never closes", startLine)
				}
				if isSingleQuote(rs[j]) {
					if j+1 < len(rs) && isSingleQuote(rs[j+1]) {
						b.WriteRune(rs[j])
						j += 2
						continue
					}
					break
				}
				if rs[j] == '\n' {
					line++
				}
				b.WriteRune(rs[j])
				j++
			}
			out = append(out, psToken{kind: tkString, text: b.String(), line: startLine})
			i = j + 1
		case isDoubleQuote(r):
			j := i + 1
			startLine := line
			for {
				if j >= len(rs) {
					return nil, fmt.Errorf("line %d: double-quoted string never closes", startLine)
				}
				if rs[j] == '`' {
					j += 2
					continue
				}
				if isDoubleQuote(rs[j]) {
					if j+1 < len(rs) && isDoubleQuote(rs[j+1]) {
						j += 2
						continue
					}
					break
				}
				if rs[j] == '\n' {
					line++
				}
				j++
			}
			body := string(rs[i+1 : j])
			vars, err := expandVars(body, startLine)
			if err != nil {
				return nil, err
			}
			out = append(out, psToken{kind: tkExpandString, text: body, line: startLine, vars: vars})
			i = j + 1
		case r == '$':
			switch {
			case i+1 < len(rs) && rs[i+1] == '(':
				emit(tkPunct, "$(", nil)
				i += 2
			case i+1 < len(rs) && rs[i+1] == '{':
				j := i + 2
				for j < len(rs) && rs[j] != '}' {
					j++
				}
				if j >= len(rs) {
					return nil, fmt.Errorf("line %d: ${ never closes", line)
				}
				emit(tkVariable, string(rs[i+2:j]), nil)
				i = j + 1
			case i+1 < len(rs) && strings.ContainsRune("?$^", rs[i+1]):
				emit(tkVariable, string(rs[i+1]), nil)
				i += 2
			default:
				j := i + 1
				for j < len(rs) && isVarRune(rs[j]) {
					j++
				}
				if j == i+1 {
					return nil, fmt.Errorf("line %d: $ without a variable name", line)
				}
				emit(tkVariable, string(rs[i+1:j]), nil)
				i = j
			}
		case r == '@' && i+1 < len(rs) && (rs[i+1] == '(' || rs[i+1] == '{'):
			emit(tkPunct, string(rs[i:i+2]), nil)
			i += 2
		case r == '?' && i+1 < len(rs) && (rs[i+1] == '?' || rs[i+1] == '.' || rs[i+1] == '['):
			emit(tkPunct, string(rs[i:i+2]), nil)
			i += 2
		case strings.ContainsRune("(){}[],;|", r):
			emit(tkPunct, string(r), nil)
			i++
		default:
			j := i
			for j < len(rs) && !wordStop(rs[j]) {
				if rs[j] == '?' && j+1 < len(rs) && (rs[j+1] == '?' || rs[j+1] == '.') && j > i {
					break
				}
				j++
			}
			if j == i {
				return nil, fmt.Errorf("line %d: unexpected %q", line, r)
			}
			emit(tkWord, string(rs[i:j]), nil)
			i = j
		}
	}
	return out, nil
}

// expandVars lists the variables an expandable string names. A
// subexpression $( ) is refused: the script keeps code out of its strings.
func expandVars(body string, line int) ([]string, error) {
	var vars []string
	rs := []rune(body)
	for i := 0; i < len(rs); i++ {
		switch {
		case rs[i] == '`':
			i++
		case rs[i] == '$' && i+1 < len(rs) && rs[i+1] == '(':
			return nil, fmt.Errorf("line %d: subexpression $( ) in an expandable string", line)
		case rs[i] == '$' && i+1 < len(rs) && rs[i+1] == '{':
			j := i + 2
			for j < len(rs) && rs[j] != '}' {
				j++
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("line %d: ${ never closes in a string", line)
			}
			vars = append(vars, string(rs[i+2:j]))
			i = j
		case rs[i] == '$':
			j := i + 1
			for j < len(rs) && isVarRune(rs[j]) {
				j++
			}
			if j > i+1 {
				vars = append(vars, string(rs[i+1:j]))
				i = j - 1
			}
		}
	}
	return vars, nil
}

// closing pairs each opening bracket with its closer.
var closing = map[string]string{"(": ")", "@(": ")", "$(": ")", "{": "}", "@{": "}", "[": "]"}

// checkBrackets reports the first bracket that does not close or closes
// the wrong opener.
func checkBrackets(toks []psToken) error {
	type open struct {
		text string
		line int
	}
	var stack []open
	for _, t := range toks {
		if t.kind != tkPunct {
			continue
		}
		if _, ok := closing[t.text]; ok {
			stack = append(stack, open{t.text, t.line})
			continue
		}
		switch t.text {
		case ")", "}", "]":
			if len(stack) == 0 {
				return fmt.Errorf("line %d: %s closes nothing", t.line, t.text)
			}
			top := stack[len(stack)-1]
			if closing[top.text] != t.text {
				return fmt.Errorf("line %d: %s closes %s of line %d", t.line, t.text, top.text, top.line)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		top := stack[len(stack)-1]
		return fmt.Errorf("line %d: %s never closes", top.line, top.text)
	}
	return nil
}
