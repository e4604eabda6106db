package indicators

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"sync"

	"github.com/exhunt/exhunt/yara"
	"github.com/exhunt/exhunt/yara/syntax"
)

// The built-in content rules: YARA rules written for exhunt from the public
// descriptions of the campaign's artefacts (web shells, OAB settings dumps,
// their compiled copies, staging archives, DearCry, post-exploitation
// tools). Each rule's meta says what the scan needs: see RuleMeta.
//
//go:embed rules/*.yar
var ruleFiles embed.FS

// RuleSourcePrefix prefixes the names of the built-in rule sources, so that
// compile errors and listings tell them from a user's files.
const RuleSourcePrefix = "builtin:"

// Severities and kinds a built-in content rule may declare.
var (
	RuleSeverities = []string{"critical", "high", "medium", "low"}
	RuleKinds      = []string{"webshell", "oab-config-dump", "compiled-webshell", "staging-archive", "ransom-note", "hacktool"}
)

// Rules returns the built-in rule files, named "builtin:<file>.yar", in a
// fixed order.
func Rules() []yara.Source {
	entries, err := fs.ReadDir(ruleFiles, "rules")
	if err != nil {
		panic(err) // the folder is embedded: cannot happen
	}
	var out []yara.Source
	for _, e := range entries {
		data, err := fs.ReadFile(ruleFiles, path.Join("rules", e.Name()))
		if err != nil {
			panic(err)
		}
		out = append(out, yara.Source{Name: RuleSourcePrefix + e.Name(), Data: data})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

var (
	rulesOnce sync.Once
	rules     *yara.Rules
	rulesErr  error
)

// BuiltinRules compiles the built-in rules once, on first use (compiling
// takes longer than exhunt's start-up budget, so nothing compiles them
// before a scan needs them).
func BuiltinRules() (*yara.Rules, error) {
	rulesOnce.Do(func() {
		rules, rulesErr = yara.Compile(Rules()...)
		if rulesErr == nil && len(rules.Externals()) > 0 {
			rulesErr = fmt.Errorf("built-in rules use external variables %v", rules.Externals())
		}
	})
	return rules, rulesErr
}

// MustBuiltinRules is BuiltinRules for callers that cannot go on without
// the rules; they are compiled in and checked by tests, so failure is a
// build defect.
func MustBuiltinRules() *yara.Rules {
	rs, err := BuiltinRules()
	if err != nil {
		panic(err)
	}
	return rs
}

// RuleMeta is what a built-in rule declares about itself.
type RuleMeta struct {
	Rule string
	// Source is the rule file, as named by Rules.
	Source      string
	Description string
	// Severity is one of RuleSeverities.
	Severity string
	// Kind is one of RuleKinds: what the matched file is.
	Kind string
	// Reference is a public URL of the facts the rule is written from.
	Reference string
	Author    string
	Tags      []string
}

// MetaOf reads a match's meta.
func MetaOf(m yara.Match) RuleMeta {
	rm := RuleMeta{Rule: m.Rule, Tags: m.Tags}
	for _, kv := range m.Meta {
		rm.set(kv.Key, kv.Value)
	}
	return rm
}

func (rm *RuleMeta) set(key string, v any) {
	s, ok := v.(string)
	if !ok {
		return
	}
	switch key {
	case "description":
		rm.Description = s
	case "severity":
		rm.Severity = s
	case "kind":
		rm.Kind = s
	case "reference":
		rm.Reference = s
	case "author":
		rm.Author = s
	}
}

// RuleCatalogue lists every built-in rule with its meta, in source order,
// for listings and for the tests that check the meta.
func RuleCatalogue() ([]RuleMeta, error) {
	var out []RuleMeta
	for _, src := range Rules() {
		f, err := syntax.Parse(src.Name, src.Data)
		if err != nil {
			return nil, err
		}
		for _, r := range f.Rules {
			rm := RuleMeta{Rule: r.Name, Source: src.Name, Tags: r.Tags}
			for _, m := range r.Meta {
				rm.set(m.Key, m.Value)
			}
			out = append(out, rm)
		}
	}
	return out, nil
}
