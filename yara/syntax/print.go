package syntax

import (
	"fmt"
	"strings"
)

// String prints the file as rules text that Parse reads back to an
// equivalent file (includes are already expanded; comments are dropped).
func (f *File) String() string {
	var b strings.Builder
	for _, im := range f.Imports {
		fmt.Fprintf(&b, "import %s\n", quote([]byte(im.Module)))
	}
	for _, r := range f.Rules {
		b.WriteString(r.String())
	}
	return b.String()
}

// String prints the rule as rules text.
func (r *Rule) String() string {
	var b strings.Builder
	if r.Private {
		b.WriteString("private ")
	}
	if r.Global {
		b.WriteString("global ")
	}
	b.WriteString("rule " + r.Name)
	if len(r.Tags) > 0 {
		b.WriteString(" : " + strings.Join(r.Tags, " "))
	}
	b.WriteString(" {\n")
	if len(r.Meta) > 0 {
		b.WriteString("  meta:\n")
		for _, m := range r.Meta {
			v := fmt.Sprint(m.Value)
			if s, ok := m.Value.(string); ok {
				v = quote([]byte(s))
			}
			fmt.Fprintf(&b, "    %s = %s\n", m.Key, v)
		}
	}
	if len(r.Strings) > 0 {
		b.WriteString("  strings:\n")
		for _, s := range r.Strings {
			fmt.Fprintf(&b, "    %s\n", s)
		}
	}
	b.WriteString("  condition:\n    " + r.Condition.String() + "\n}\n")
	return b.String()
}

// String prints the string definition.
func (s *String) String() string {
	var v string
	switch s.Kind {
	case Text:
		v = quote(s.Text)
	case Hex:
		v = "{" + s.Hex + "}"
	case Regex:
		v = "/" + s.Regex + "/" + s.RegexFlags.String()
	}
	m := s.Modifiers
	var mods []string
	add := func(on bool, name string) {
		if on {
			mods = append(mods, name)
		}
	}
	add(m.ASCII, "ascii")
	add(m.Wide, "wide")
	add(m.NoCase, "nocase")
	add(m.Fullword, "fullword")
	add(m.Private, "private")
	if m.Xor {
		mods = append(mods, fmt.Sprintf("xor(%d-%d)", m.XorMin, m.XorMax))
	}
	for _, b := range []struct {
		on   bool
		name string
	}{{m.Base64, "base64"}, {m.Base64Wide, "base64wide"}} {
		if b.on && m.Base64Alphabet != nil {
			mods = append(mods, b.name+"("+quote(m.Base64Alphabet)+")")
		} else if b.on {
			mods = append(mods, b.name)
		}
	}
	return strings.TrimSpace(s.ID + " = " + v + " " + strings.Join(mods, " "))
}
