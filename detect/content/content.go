package content

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/webshell"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/yara"
)

var cvesChain = []string{"CVE-2021-26855", "CVE-2021-26858", "CVE-2021-27065"}

const preserve = "Preserve the file (copy it with its timestamps, note its hash) before removing it. "

// Rules of the content checks.
var (
	RuleWebshell = finding.Rule{
		ID:    "content-webshell",
		Title: "File content matches a web shell rule",
		CVEs:  cvesChain,
		Remediation: preserve + "A web shell means the server was compromised: find how it got there (HttpProxy, ECP " +
			"and OAB findings) and who used it (IIS logs for requests to it), rotate the credentials used on the " +
			"server and look for lateral movement.",
		Grading:    "critical where IIS serves or compiles it (web folders, Temporary ASP.NET Files); high elsewhere",
		References: []string{detect.RefMicrosoftHafnium, detect.RefCISAAA21062A},
		Stage:      finding.StageWebshellWritten,
	}
	RuleRansomNote = finding.Rule{
		ID:          "content-ransomware",
		Title:       "Ransom note or file encrypted by ransomware that followed the Exchange exploitation (DearCry)",
		CVEs:        cvesChain,
		Remediation: preserve + "Isolate the server; do not pay or delete before the responders have a copy.",
		Grading:     "critical",
		References:  []string{detect.RefMicrosoftHafnium},
		Stage:       finding.StagePostExploitation,
	}
	RuleHacktool = finding.Rule{
		ID:          "content-hacktool",
		Title:       "File content matches an attacker tool or command script",
		CVEs:        cvesChain,
		Remediation: preserve + "Find when and by which process it was written (the web shell's requests, event logs).",
		Grading:     "as the rule says: high or medium",
		Stage:       finding.StagePostExploitation,
	}
	RuleStagingArchive = finding.Rule{
		ID:          "content-archive-in-web-folder",
		Title:       "Archive (ZIP, 7z, RAR, CAB) where IIS serves files: possible data staged for download",
		CVEs:        cvesChain,
		Remediation: "Open a copy of the archive and check what it holds; attackers staged mailbox exports and dumps in web folders to download them.",
		Grading:     "medium",
		Stage:       finding.StagePostExploitation,
	}
	RuleUserRule = finding.Rule{
		ID:    "content-rule-match",
		Title: "File content matches a rule of the rule files given with --rules",
		Remediation: "Check the rule's description and reference. " + preserve +
			"A web shell rule matching a script in a hot spot (aspnet_client, owa\\auth, ecp\\auth) is critical.",
		Grading: "the rule's severity meta (critical, high, medium, low) or its score (75 and over high, 40 and over medium, low below); high without either; critical for a web shell rule on a script in a hot spot",
	}
)

// DefaultMaxSize is the largest file the content rules read: web shells,
// compiled pages and dropped tools are small, and reading whole archives
// and databases would stall the scan. Larger files are still hashed.
const DefaultMaxSize = 32 << 20

// Scanner applies the rule files meant for whole files to the files of the
// web folders, the compiled-page caches and the drop places.
type Scanner struct {
	// RuleSet replaces the built-in pack; nil = the built-in pack.
	RuleSet *RuleSet
	// MaxSize is the size limit of files read for content; 0 =
	// DefaultMaxSize.
	MaxSize int64
	// Off turns the check off (--no-content): it is then listed among the
	// checks not run.
	Off bool
}

// offReason is why a content check turned off did not run.
const offReason = "turned off with --no-content"

func (Scanner) Name() string { return "content" }

func (Scanner) Check() detect.Check {
	return detect.Check{ID: "webshell-content", Title: "Web shells and attacker files by content (YARA rules: the built-in pack and --rules)",
		CVEs: cvesChain, Needs: "the web folders (inetpub, FrontEnd\\HttpProxy, ClientAccess), Temporary ASP.NET Files or the drop places of a system drive"}
}

// Rules lists the findings the check may emit.
func (Scanner) Rules() []*finding.Rule {
	return []*finding.Rule{&RuleWebshell, &RuleRansomNote, &RuleHacktool, &RuleStagingArchive, &RuleUserRule}
}

// ContentLimit is the size up to which files are read for content.
func (s Scanner) ContentLimit() int64 {
	if s.MaxSize > 0 {
		return s.MaxSize
	}
	return DefaultMaxSize
}

// WhyNotPlaced names --no-content when it is the reason.
func (s Scanner) WhyNotPlaced(*detect.Context) string {
	if s.Off {
		return offReason
	}
	return ""
}

func (s Scanner) Places(ctx *detect.Context) []detect.Place {
	if s.Off {
		return nil
	}
	srv := ctx.Server
	var out []detect.Place
	for _, d := range srv.WebFolders {
		out = append(out, detect.Place{Dir: d})
	}
	for _, d := range srv.CompiledFolders {
		out = append(out, detect.Place{Dir: d})
	}
	out = append(out, srv.DropPlaces...)
	return append(out, srv.UserTemps...)
}

// where a file lies, for grading.
type where struct {
	hotSpot, web, compiled bool
}

func locate(ctx *detect.Context, p string) where {
	srv := ctx.Server
	var w where
	for _, d := range srv.HotSpots.List() {
		w.hotSpot = w.hotSpot || within(p, d)
	}
	for _, d := range srv.WebFolders {
		w.web = w.web || within(p, d)
	}
	for _, d := range srv.CompiledFolders {
		w.compiled = w.compiled || within(p, d)
	}
	return w
}

func within(p, dir string) bool {
	return dir == "." || strings.HasPrefix(p, dir+"/")
}

// fileMatch is one rule's match on a file, with the file it came from.
type fileMatch struct {
	file  *RuleFile
	match yara.Match
}

// scanResult is the content rules' outcome on one file, shared through
// detect.File.Memo.
type scanResult struct {
	matches []fileMatch
	// skipped says why the content was not checked ("" when it was).
	skipped string
	errs    []error
}

type memoKey struct{}

// matches runs the file rules over f once per file, whichever check asks
// first.
func matches(ctx *detect.Context, set *RuleSet, f *detect.File) *scanResult {
	return f.Memo(memoKey{}, func() any {
		res := &scanResult{}
		data, err := f.Content()
		if err != nil {
			if errors.Is(err, detect.ErrTooLarge) {
				res.skipped = err.Error()
			} else {
				res.errs = append(res.errs, err)
			}
			return res
		}
		var vars map[string]any
		for _, rf := range set.FileRules() {
			if len(rf.Externals) > 0 && vars == nil {
				vars = externals(ctx, f, data)
			}
			ms, err := rf.Rules.Scan(data, vars)
			if err != nil {
				res.errs = append(res.errs, fmt.Errorf("rules of %s: %w", rf.Origin, err))
			}
			for _, m := range ms {
				if rf.Origin != BuiltinOrigin && hasLogTag(m.Tags) {
					continue // a rule for log lines in a file of file rules
				}
				res.matches = append(res.matches, fileMatch{rf, m})
			}
		}
		return res
	}).(*scanResult)
}

// externals are the values Loki and THOR give rules for a file.
func externals(ctx *detect.Context, f *detect.File, data []byte) map[string]any {
	name := path.Base(f.Path)
	ext := strings.ToLower(path.Ext(name))
	md5 := ""
	if data != nil || f.Info.Size() <= detect.MaxHashBytes {
		if s, err := f.Sums(); err == nil {
			md5 = s.MD5
		}
	}
	return map[string]any{
		"filename":  name,
		"filepath":  windowsPath(ctx, f.Path),
		"extension": ext,
		"filetype":  fileType(data),
		"filemode":  int64(f.Info.Mode().Perm()),
		"owner":     "",
		"md5":       md5,
	}
}

func windowsPath(ctx *detect.Context, p string) string {
	if ctx.Server.SystemBase == "" {
		return p
	}
	return ctx.Server.WindowsPath(p)
}

// fileType names the content's type by its magic, in Loki's upper-case
// words.
func fileType(data []byte) string {
	switch {
	case len(data) >= 2 && data[0] == 'M' && data[1] == 'Z':
		return "EXE"
	case len(data) >= 4 && string(data[:4]) == "PK\x03\x04":
		return "ZIP"
	case len(data) >= 6 && string(data[:6]) == "7z\xbc\xaf\x27\x1c":
		return "7Z"
	case len(data) >= 4 && string(data[:4]) == "Rar!":
		return "RAR"
	case len(data) >= 4 && string(data[:4]) == "MSCF":
		return "CAB"
	case len(data) >= 4 && string(data[:4]) == "MDMP":
		return "MDMP"
	}
	return "UNKNOWN"
}

func (s Scanner) InspectFile(ctx *detect.Context, f *detect.File, emit detect.Emit) {
	set := s.RuleSet
	if set == nil {
		b, err := Builtin()
		if err != nil {
			panic(err) // the pack is compiled in and tested
		}
		set = b
	}
	w := locate(ctx, f.Path)
	res := matches(ctx, set, f)
	if res.skipped != "" && (w.web || w.compiled) {
		// Drop places hold large files by nature (caches, installers);
		// in a web folder a file too large to check is worth a look.
		f.AddProblem(fmt.Errorf("content not checked: %s (raise --max-file-size to check it)", res.skipped))
	}
	for _, m := range res.matches {
		rule, sev, ok := grade(m, w, f.Path)
		if !ok {
			continue
		}
		emit(rule.New(sev, f.Path, 0, f.Info.ModTime(), detect.FileEvidence(f, matchEvidence(m)...)))
	}
	for _, err := range res.errs {
		f.AddProblem(err)
	}
}

// grade gives the finding rule and severity of a match where the file lies.
func grade(m fileMatch, w where, p string) (*finding.Rule, finding.Severity, bool) {
	meta := metaOf(m.match)
	script := webshell.IsScript(path.Base(p))
	served := w.web || w.compiled
	if m.file.Origin != BuiltinOrigin {
		sev := userSeverity(meta)
		if w.hotSpot && script && webshellRule(m.match, meta) {
			sev = finding.Critical
		}
		return &RuleUserRule, sev, true
	}
	sev, err := finding.ParseSeverity(meta["severity"])
	if err != nil {
		sev = finding.High
	}
	switch meta["kind"] {
	case "webshell", "compiled-webshell", "oab-config-dump":
		if served || w.hotSpot {
			sev = finding.Critical
		} else if sev > finding.High {
			sev = finding.High
		}
		return &RuleWebshell, sev, true
	case "ransom-note":
		return &RuleRansomNote, finding.Critical, true
	case "staging-archive":
		if !served {
			return nil, 0, false // archives in drop places are graded by their own check
		}
		return &RuleStagingArchive, finding.Medium, true
	default:
		return &RuleHacktool, sev, true
	}
}

func metaOf(m yara.Match) map[string]string {
	out := map[string]string{}
	for _, md := range m.Meta {
		k := strings.ToLower(md.Key)
		if _, ok := out[k]; ok {
			continue
		}
		out[k] = fmt.Sprint(md.Value)
	}
	return out
}

// userSeverity grades a match of a user's rule by its meta.
func userSeverity(meta map[string]string) finding.Severity {
	if s, err := finding.ParseSeverity(meta["severity"]); err == nil {
		return s
	}
	var score int
	if _, err := fmt.Sscan(meta["score"], &score); err == nil {
		switch {
		case score >= 75:
			return finding.High
		case score >= 40:
			return finding.Medium
		default:
			return finding.Low
		}
	}
	return finding.High
}

// webshellRule reports whether a user's rule is about web shells, by its
// name, tags or description.
func webshellRule(m yara.Match, meta map[string]string) bool {
	words := strings.ToLower(m.Rule + " " + strings.Join(m.Tags, " ") + " " + meta["description"])
	for _, w := range []string{"webshell", "web shell", "chopper", "aspxspy", "regeorg"} {
		if strings.Contains(words, w) {
			return true
		}
	}
	return false
}

// maxShownStrings bounds the matched strings a finding shows.
const maxShownStrings = 5

// maxShownBytes bounds one matched string as shown.
const maxShownBytes = 80

func matchEvidence(m fileMatch) []finding.Field {
	meta := metaOf(m.match)
	ev := []finding.Field{
		{Name: "yara_rule", Value: m.match.Rule},
		{Name: "rules_from", Value: m.file.Origin},
	}
	if d := meta["description"]; d != "" {
		ev = append(ev, finding.Field{Name: "description", Value: d})
	}
	if r := meta["reference"]; r != "" {
		ev = append(ev, finding.Field{Name: "reference", Value: r})
	}
	var shown []string
	for i, s := range m.match.Strings {
		if i == maxShownStrings {
			shown = append(shown, fmt.Sprintf("(%d more)", len(m.match.Strings)-i))
			break
		}
		shown = append(shown, fmt.Sprintf("%s at %d: %s", s.ID, s.Offset, printable(s.Data)))
	}
	if len(shown) > 0 {
		ev = append(ev, finding.Field{Name: "matched", Value: strings.Join(shown, "; ")})
	}
	return ev
}

// printable shows matched bytes as text: UTF-16LE as its characters, other
// bytes that are not printable as \xNN. Output writers escape the rest.
func printable(b []byte) string {
	if len(b) > maxShownBytes {
		b = b[:maxShownBytes]
	}
	if len(b) >= 4 && b[1] == 0 && b[3] == 0 {
		narrow := make([]byte, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			if b[i+1] != 0 {
				narrow = nil
				break
			}
			narrow = append(narrow, b[i])
		}
		if narrow != nil {
			b = narrow
		}
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 || r < 0x20 && r != '\t' || r == 0x7f {
			fmt.Fprintf(&sb, "\\x%02x", b[0])
			b = b[1:]
			continue
		}
		sb.WriteRune(r)
		b = b[n:]
	}
	return sb.String()
}
