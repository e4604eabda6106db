// Package content finds web shells and attacker files by what they contain:
// YARA rules (the project's built-in pack for the 2021 campaign and the
// rule files a responder brings, such as signature-base's or CISA's) run by
// exhunt's own engine over the files of the web folders, the compiled-page
// caches and the drop places; Exchange's own files compared with
// Microsoft's known-good hash baselines; and rules meant for log lines
// applied to each line of the logs.
//
// Every file is read once: the same read hashes it (for the hash
// indicators) and gives the content to the rules, and the rules' matches
// are shared by the checks of one file through detect.File.Memo.
package content

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/exhunt/exhunt/indicators"
	"github.com/exhunt/exhunt/yara"
	"github.com/exhunt/exhunt/yara/syntax"
)

// BuiltinOrigin names the built-in rule pack in findings.
const BuiltinOrigin = "built-in"

// Externals are the external variables exhunt sets for every file, as Loki
// and THOR set them, so rule files written for those tools load.
var Externals = []string{"filename", "filepath", "extension", "filetype", "filemode", "owner", "md5"}

// RuleFile is one compiled rules file.
type RuleFile struct {
	// Origin is BuiltinOrigin or the path of the file as given.
	Origin string
	Rules  *yara.Rules
	// ForLogs is set for files of rules meant for log lines: their rules
	// carry the tag LOG, or the file is named for logs
	// ("apt_hafnium_log_sigs.yar"). They are applied to each line of the
	// logs, not to whole files.
	ForLogs bool
	// Externals are the external variables the rules use.
	Externals []string
}

// RuleSet is the rules the content checks apply.
type RuleSet struct {
	Files []*RuleFile
	// Notes are facts about loading worth telling the user.
	Notes []string
}

// FileRules are the rule files applied to whole files.
func (s *RuleSet) FileRules() []*RuleFile {
	var out []*RuleFile
	for _, f := range s.Files {
		if !f.ForLogs {
			out = append(out, f)
		}
	}
	return out
}

// LogRules are the rule files applied to log lines.
func (s *RuleSet) LogRules() []*RuleFile {
	var out []*RuleFile
	for _, f := range s.Files {
		if f.ForLogs {
			out = append(out, f)
		}
	}
	return out
}

// Builtin returns the built-in rule pack alone.
func Builtin() (*RuleSet, error) {
	rules, err := indicators.BuiltinRules()
	if err != nil {
		return nil, err
	}
	return &RuleSet{Files: []*RuleFile{{Origin: BuiltinOrigin, Rules: rules}}}, nil
}

// maxRulesFile bounds a rules file: signature-base's largest is under 2 MB.
const maxRulesFile = 64 << 20

// ruleExtensions are the names of rules files in a folder given to --rules.
var ruleExtensions = map[string]bool{".yar": true, ".yara": true, ".rule": true, ".rules": true}

// LoadRules returns the built-in pack (unless noBuiltin) and the rules of
// each path: a rules file, or a folder whose *.yar and *.yara files are
// loaded (recursively, in name order). Each file is compiled on its own,
// so two collections may use the same rule name. A file that does not
// compile is an error naming its file and line, and so is a rule using an
// external variable exhunt does not set: a rule silently dropped would be
// a check silently not run.
func LoadRules(paths []string, noBuiltin bool) (*RuleSet, error) {
	set := &RuleSet{}
	if !noBuiltin {
		b, err := Builtin()
		if err != nil {
			return nil, err
		}
		set.Files = b.Files
	}
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && ruleExtensions[strings.ToLower(filepath.Ext(q))] {
				found = append(found, q)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("rules: no .yar or .yara file in %s", p)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	var errs []error
	for _, name := range files {
		rf, err := loadRuleFile(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		set.Files = append(set.Files, rf)
		if rf.ForLogs {
			if err := rf.Rules.LineSafe(); err != nil {
				set.Notes = append(set.Notes, fmt.Sprintf("%s: every log line is evaluated on its own, which is slow, because %v", name, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return set, nil
}

func loadRuleFile(name string) (*RuleFile, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	if st.Size() > maxRulesFile {
		return nil, fmt.Errorf("%s: %d bytes, larger than the %d accepted for a rules file", name, st.Size(), maxRulesFile)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	rules, err := yara.Compile(yara.Source{Name: name, Data: data})
	if err != nil {
		return nil, err
	}
	rf := &RuleFile{Origin: name, Rules: rules, Externals: rules.Externals()}
	for _, ext := range rf.Externals {
		if !slices.Contains(Externals, ext) {
			return nil, fmt.Errorf("%s: the rules use the external variable %q, which exhunt does not set (it sets %s)",
				name, ext, strings.Join(Externals, ", "))
		}
	}
	base := strings.ToLower(filepath.Base(name))
	rf.ForLogs = strings.Contains(base, "_log") || strings.HasPrefix(base, "log_") || strings.Contains(base, "logs")
	if !rf.ForLogs {
		// It compiled, so it parses; every rule tagged LOG makes a file for logs.
		if f, err := syntax.Parse(name, data); err == nil && len(f.Rules) > 0 {
			all := true
			for _, r := range f.Rules {
				all = all && hasLogTag(r.Tags)
			}
			rf.ForLogs = all
		}
	}
	return rf, nil
}

// hasLogTag reports whether a rule's tags mark it for log lines.
func hasLogTag(tags []string) bool {
	for _, t := range tags {
		if strings.EqualFold(t, "LOG") {
			return true
		}
	}
	return false
}
