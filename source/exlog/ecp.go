package exlog

import "strings"

// Item is one KEY=value item of an ECP log's EventData field, e.g.
// S:CMD=Get-InboxRule or I32:ATE.C[SUPPR]=1.
type Item struct {
	Key, Value string
}

// ParseEventData splits an ECP EventData value into its items. Items are
// separated by ';'; an item holding ';' or a quote is wrapped in single
// quotes with quotes inside doubled ('S:CMD=Set-X.Url=”a;b”') and is
// unwrapped here. Empty items (";;") are skipped.
func ParseEventData(s string) []Item {
	var items []Item
	i := 0
	for i < len(s) {
		var raw string
		if s[i] == '\'' {
			var quoted string
			quoted, i = readQuoted(s, i)
			// Text between the closing quote and the separator.
			j := strings.IndexByte(s[i:], ';')
			if j < 0 {
				j = len(s) - i
			}
			raw = quoted + s[i:i+j]
			i += j
		} else {
			j := strings.IndexByte(s[i:], ';')
			if j < 0 {
				j = len(s) - i
			}
			raw = s[i : i+j]
			i += j
		}
		i++ // the ';'
		if raw == "" {
			continue
		}
		key, value, _ := strings.Cut(raw, "=")
		items = append(items, Item{Key: key, Value: value})
	}
	return items
}

// Param is one parameter of a logged cmdlet call.
type Param struct {
	Name, Value string
	// Quoted tells whether the value was written in quotes (a string) or
	// bare ($true, $null, numbers).
	Quoted bool
}

// Command is a cmdlet call as ECP logs it in S:CMD:
// Set-OabVirtualDirectory.ExternalUrl='http://x/'.Identity='guid'.
type Command struct {
	Cmdlet string
	Params []Param
}

// Param returns the named parameter's value, ignoring case.
func (c Command) Param(name string) (string, bool) {
	for _, p := range c.Params {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// ParseCommand decodes an S:CMD value. Values in single quotes have quotes
// inside doubled; bare values end where ".Name=" begins the next parameter.
// Text that does not follow the form ends the parameter list.
func ParseCommand(s string) Command {
	dot := strings.IndexByte(s, '.')
	if dot < 0 {
		return Command{Cmdlet: s}
	}
	cmd := Command{Cmdlet: s[:dot]}
	i := dot
	for i < len(s) && s[i] == '.' {
		nameEnd := i + 1
		for nameEnd < len(s) && isParamNameByte(s[nameEnd]) {
			nameEnd++
		}
		if nameEnd == i+1 || nameEnd >= len(s) || s[nameEnd] != '=' {
			break
		}
		p := Param{Name: s[i+1 : nameEnd]}
		i = nameEnd + 1
		if i < len(s) && s[i] == '\'' {
			p.Value, i = readQuoted(s, i)
			p.Quoted = true
		} else {
			start := i
			for i < len(s) && !(s[i] == '.' && startsParam(s[i+1:])) {
				i++
			}
			p.Value = s[start:i]
		}
		cmd.Params = append(cmd.Params, p)
		if i < len(s) && s[i] != '.' {
			break
		}
	}
	return cmd
}

// readQuoted reads a single-quoted string starting at s[i] == '\”, with
// quotes inside doubled; an unterminated one runs to the end. It returns the
// unquoted text and the position after the closing quote.
func readQuoted(s string, i int) (string, int) {
	var b strings.Builder
	for i++; i < len(s); i++ {
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), i + 1
		}
		b.WriteByte(s[i])
	}
	return b.String(), i
}

func isParamNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// startsParam reports whether s begins with Name=.
func startsParam(s string) bool {
	n := 0
	for n < len(s) && isParamNameByte(s[n]) {
		n++
	}
	return n > 0 && n < len(s) && s[n] == '='
}
