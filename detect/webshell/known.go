package webshell

import (
	"path"
	"strings"
	"sync"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/indicators"
)

// Rules of the published-indicator checks.
var (
	RuleKnownBadHash = finding.Rule{
		ID:          "ioc-known-bad-hash",
		Title:       "File matches a hash of Exchange exploitation malware (published, or in the --ioc lists)",
		CVEs:        cvesChain,
		Remediation: "This exact file was published as malware from the 2021 Exchange campaigns. " + remediateShell,
		Grading:     "critical",
		References:  []string{detect.RefCISAAA21062A},
		Stage:       finding.StagePostExploitation,
	}
	RuleKnownPath = finding.Rule{
		ID:          "ioc-known-path",
		Title:       "File at a path Microsoft published as planted during the 2021 Exchange attacks",
		CVEs:        cvesChain,
		Remediation: remediateShell,
		Grading:     "critical",
		References:  []string{detect.RefTestProxyLogon},
		Stage:       finding.StageWebshellWritten,
	}
	RuleIndicatorFile = finding.Rule{
		ID:    "ioc-file-name",
		Title: "File whose name or path is in the --ioc indicator feeds",
		Remediation: "A feed you loaded lists this file name or path as malicious. Preserve the file, check its " +
			"content and times, and treat the server as compromised if it is what the feed says.",
		Grading: "high",
		Stage:   finding.StagePostExploitation,
	}
	RuleKnownName = finding.Rule{
		ID:          "webshell-known-name",
		Title:       "Script file with the name of a published Exchange web shell",
		CVEs:        cvesChain,
		Remediation: remediateShell,
		Grading:     "critical in a hot spot, high elsewhere in a web folder",
		Stage:       finding.StageWebshellWritten,
	}
)

// maxDropPlaceHash bounds hashing in the drop places: tools and web shells
// are small, while ProgramData may hold multi-gigabyte caches.
const maxDropPlaceHash = 64 << 20

// Known checks web folders and the usual drop places against the built-in
// web shell names and planted paths, and against the hashes of the
// indicator set.
type Known struct {
	// Indicators are whose MD5, SHA-1 and SHA-256 hashes are checked: the
	// built-in indicators with the user's (--ioc) merged in; nil = the
	// built-in ones.
	Indicators *indicators.Set
}

// builtinIndicators is the built-in set, built once for every file.
var builtinIndicators = sync.OnceValue(indicators.Builtin)

func (Known) Name() string { return "ioc-known" }

func (Known) Check() detect.Check {
	return detect.Check{ID: "ioc-files", Title: "Published web shell names, planted paths and malware hashes in web folders and drop places",
		CVEs: cvesChain, Needs: "the web folders or the drop places of a system drive"}
}

func (Known) Rules() []*finding.Rule {
	return []*finding.Rule{&RuleKnownBadHash, &RuleKnownPath, &RuleKnownName, &RuleIndicatorFile}
}

func (Known) Places(ctx *detect.Context) []detect.Place {
	var out []detect.Place
	for _, d := range ctx.Server.WebFolders {
		out = append(out, detect.Place{Dir: d})
	}
	return append(out, ctx.Server.DropPlaces...)
}

func (k Known) InspectFile(ctx *detect.Context, f *detect.File, emit detect.Emit) {
	data := indicators.BuiltinData()
	set := k.Indicators
	if set == nil {
		set = builtinIndicators()
	}
	inWeb := false
	for _, d := range ctx.Server.WebFolders {
		if within(f.Path, d) {
			inWeb = true
			break
		}
	}
	name := path.Base(f.Path)
	at := f.Info.ModTime()

	if inWeb && IsScript(name) && data.WebshellNames[strings.ToLower(name)] {
		sev := finding.High
		if inHotSpot(ctx, f.Path) {
			sev = finding.Critical
		}
		emit(RuleKnownName.New(sev, f.Path, 0, at, detect.FileEvidence(f)))
	}
	if p, ok := matchIOCPath(ctx, f.Path, data); ok {
		emit(RuleKnownPath.New(finding.Critical, f.Path, 0, at, detect.FileEvidence(f, finding.Field{Name: "published_path", Value: p})))
	}
	// Names and paths of the user's feeds; the built-in paths are the
	// published-path check's, re-based to where Exchange really is.
	if hit := set.FileName(f.Path); hit != nil && builtinIndicators().FileName(f.Path) == nil {
		emit(RuleIndicatorFile.New(finding.High, f.Path, 0, at, detect.FileEvidence(f, indicatorFields(hit)...)))
	}
	// In drop places hash what is small enough to be a dropped tool (the
	// content checks read web folders' files whole anyway).
	if !inWeb && f.Info.Size() > maxDropPlaceHash {
		return
	}
	sums, err := f.Sums()
	if err != nil {
		return
	}
	for _, h := range []struct{ name, sum string }{{"sha256", sums.SHA256}, {"sha1", sums.SHA1}, {"md5", sums.MD5}} {
		hit := set.Hash(h.sum)
		if hit == nil {
			continue
		}
		knownAs := hit.Label
		if knownAs == "" {
			knownAs = "hash listed"
		}
		fields := []finding.Field{
			{Name: "matched_hash", Value: h.name + ":" + h.sum},
			{Name: "known_as", Value: knownAs},
			{Name: "source", Value: hit.Source},
		}
		if hit.Date != "" {
			fields = append(fields, finding.Field{Name: "published", Value: hit.Date})
		}
		if hit.Ref != "" {
			fields = append(fields, finding.Field{Name: "indicator_ref", Value: hit.Ref})
		}
		emit(RuleKnownBadHash.New(finding.Critical, f.Path, 0, at, detect.FileEvidence(f, fields...)))
		return // one finding per file, for its strongest hash
	}
}

// indicatorFields are the evidence of an indicator hit: what it is, its
// source and where in the feed it is.
func indicatorFields(hit *indicators.Indicator) []finding.Field {
	fields := []finding.Field{{Name: "indicator", Value: string(hit.Kind) + ":" + hit.Value}, {Name: "source", Value: hit.Source}}
	if hit.Label != "" {
		fields = append(fields, finding.Field{Name: "known_as", Value: hit.Label})
	}
	if hit.Date != "" {
		fields = append(fields, finding.Field{Name: "published", Value: hit.Date})
	}
	if hit.Ref != "" {
		fields = append(fields, finding.Field{Name: "indicator_ref", Value: hit.Ref})
	}
	return fields
}

func inHotSpot(ctx *detect.Context, p string) bool {
	for _, d := range ctx.Server.HotSpots.List() {
		if within(p, d) {
			return true
		}
	}
	return false
}

// matchIOCPath re-bases the published absolute paths on where Exchange and
// the web root are in this root, and compares ignoring case.
func matchIOCPath(ctx *detect.Context, p string, ind *indicators.Data) (string, bool) {
	s := ctx.Server
	for _, ioc := range ind.Paths {
		base := ""
		switch ioc.Base {
		case indicators.BaseExchange:
			base = s.ExchangeDir
		case indicators.BaseWebRoot:
			base = s.WebRoot
		case indicators.BaseDrive:
			if s.Kind == facts.KindSystemDrive {
				base = "."
			}
		}
		if base == "" {
			continue
		}
		want := strings.ReplaceAll(ioc.Rel, `\`, "/")
		if base != "." {
			want = base + "/" + want
		}
		if strings.EqualFold(want, p) {
			return ioc.Rel, true
		}
	}
	return "", false
}
