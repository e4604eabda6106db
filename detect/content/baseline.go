package content

import (
	"archive/zip"
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/exhunt/exhunt/builds"
	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

// RuleModified is an Exchange file whose content is not what Microsoft
// shipped for the installed build.
var RuleModified = finding.Rule{
	ID:    "baseline-modified-exchange-file",
	Title: "Exchange file whose hash is in no known-good baseline of the installed build (modified Exchange file)",
	CVEs:  cvesChain,
	Remediation: "Compare the file with the same file on a clean server of the same build. Attackers hid web shells " +
		"inside Exchange's own pages; a file an update left half-written differs too. " + preserve,
	Grading:    "high; critical when its content also matches a web shell rule",
	References: []string{detect.RefCompareExchangeHashes},
	Stage:      finding.StageWebshellWritten,
}

// Baselines are Microsoft's known-good hashes of Exchange's web files, by
// build, in the format CompareExchangeHashes used: lines of
// SHA256,build,\relative\path (relative to the install folder V15).
type Baselines struct {
	byBuild map[string]*buildBaseline
}

type buildBaseline struct {
	// files maps a lower-case path with backslashes and no leading one to
	// its known-good SHA-256s (lower-case hex).
	files map[string]map[string]bool
}

// Builds lists the builds with a baseline, sorted.
func (b *Baselines) Builds() []string {
	var out []string
	for v := range b.byBuild {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// maxBaselineFile bounds one baseline file (17,000 lines make 1.7 MB).
const maxBaselineFile = 256 << 20

// LoadBaselines reads baseline files: a CSV file, a ZIP of them (as
// Microsoft released them, baseline_<build>.zip), or a folder of either.
// A line that is not SHA256,build,\path is an error naming file and line.
func LoadBaselines(paths []string) (*Baselines, error) {
	b := &Baselines{byBuild: map[string]*buildBaseline{}}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		var files []string
		if st.IsDir() {
			err := filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				ext := strings.ToLower(filepath.Ext(q))
				if d.Type().IsRegular() && (ext == ".csv" || ext == ".zip") {
					files = append(files, q)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("baseline: %w", err)
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("baseline: no .csv or .zip file in %s", p)
			}
			sort.Strings(files)
		} else {
			files = []string{p}
		}
		for _, f := range files {
			if err := b.loadFile(f); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

func (b *Baselines) loadFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	if st.Size() > maxBaselineFile {
		return fmt.Errorf("baseline %s: %d bytes, more than the %d accepted", name, st.Size(), maxBaselineFile)
	}
	if strings.EqualFold(filepath.Ext(name), ".zip") {
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			return fmt.Errorf("baseline %s: %w", name, err)
		}
		n := 0
		for _, zf := range zr.File {
			if !strings.EqualFold(path.Ext(zf.Name), ".csv") {
				continue
			}
			rc, err := zf.Open()
			if err != nil {
				return fmt.Errorf("baseline %s: %s: %w", name, zf.Name, err)
			}
			err = b.read(name+":"+zf.Name, io.LimitReader(rc, maxBaselineFile))
			rc.Close()
			if err != nil {
				return err
			}
			n++
		}
		if n == 0 {
			return fmt.Errorf("baseline %s: no .csv file inside", name)
		}
		return nil
	}
	return b.read(name, f)
}

var sha256Hex = regexp.MustCompile(`^[0-9A-Fa-f]{64}$`)

func (b *Baselines) read(name string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<10)
	n, rows := 0, 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" {
			continue
		}
		sum, rest, ok1 := strings.Cut(line, ",")
		build, rel, ok2 := strings.Cut(rest, ",")
		v, err := builds.Parse(build)
		if !ok1 || !ok2 || !sha256Hex.MatchString(sum) || err != nil || !strings.HasPrefix(rel, `\`) {
			return fmt.Errorf("baseline %s:%d: want SHA256,build,\\relative\\path", name, n)
		}
		bb := b.byBuild[v.String()]
		if bb == nil {
			bb = &buildBaseline{files: map[string]map[string]bool{}}
			b.byBuild[v.String()] = bb
		}
		key := strings.ToLower(strings.TrimPrefix(rel, `\`))
		if bb.files[key] == nil {
			bb.files[key] = map[string]bool{}
		}
		bb.files[key][strings.ToLower(sum)] = true
		rows++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("baseline %s:%d: %w", name, n+1, err)
	}
	if rows == 0 {
		return fmt.Errorf("baseline %s: no hashes", name)
	}
	return nil
}

// Modified compares the files of Exchange's web folders that bear the name
// of one of its own files with the baselines of the installed build.
type Modified struct {
	Baselines *Baselines
	// RuleSet gives the content rules whose match raises the severity;
	// nil = the built-in pack.
	RuleSet *RuleSet
	MaxSize int64
	Off     bool
}

func (Modified) Name() string { return "baseline" }

func (Modified) Check() detect.Check {
	return detect.Check{ID: "modified-exchange-files", Title: "Exchange's own web files compared with Microsoft's known-good hash baselines",
		CVEs: cvesChain, Needs: "Exchange's FrontEnd and ClientAccess folders, a known build, and a baseline of that build (--baseline)"}
}

func (Modified) Rules() []*finding.Rule { return []*finding.Rule{&RuleModified} }

// ContentLimit is the size up to which files are read for content.
func (m Modified) ContentLimit() int64 { return Scanner{MaxSize: m.MaxSize}.ContentLimit() }

// installed returns the baselines of the builds the server runs: ExSetup's
// exact build, the registry's CU build, and the build folders OWA keeps.
func (m Modified) installed(ctx *detect.Context) []*buildBaseline {
	if m.Baselines == nil {
		return nil
	}
	b := ctx.Server.Build
	var out []*buildBaseline
	for _, v := range []string{b.ExSetup, b.Registry} {
		if bb := m.Baselines.byBuild[normalBuild(v)]; bb != nil {
			out = append(out, bb)
		}
	}
	if b.Known {
		if bb := m.Baselines.byBuild[b.Version.String()]; bb != nil {
			out = append(out, bb)
		}
	}
	return out
}

func normalBuild(s string) string {
	v, err := builds.Parse(s)
	if err != nil {
		return ""
	}
	return v.String()
}

func (m Modified) Places(ctx *detect.Context) []detect.Place {
	srv := ctx.Server
	if m.Off || srv.ExchangeDir == "" || len(m.installed(ctx)) == 0 {
		return nil
	}
	var out []detect.Place
	for _, sub := range []string{"FrontEnd/HttpProxy", "ClientAccess"} {
		if d, ok := srv.Resolver.ResolveDir(path.Join(srv.ExchangeDir, sub)); ok {
			out = append(out, detect.Place{Dir: d})
		}
	}
	return out
}

// WhyNotPlaced says which input is missing: a baseline, the build, or a
// baseline of the build.
func (m Modified) WhyNotPlaced(ctx *detect.Context) string {
	srv := ctx.Server
	switch {
	case m.Off:
		return offReason
	case srv.ExchangeDir == "":
		return ""
	case m.Baselines == nil:
		return "no known-good baseline was given (--baseline FILE|DIR, e.g. Microsoft's baseline_<build>.csv)"
	case !srv.Build.Known:
		return "the installed build is not known, so no baseline can be chosen"
	}
	return fmt.Sprintf("no baseline of the installed build %s among those given (%s)", srv.Build.Version, strings.Join(m.Baselines.Builds(), ", "))
}

func (m Modified) InspectFile(ctx *detect.Context, f *detect.File, emit detect.Emit) {
	srv := ctx.Server
	inst := srv.ExchangeDir
	if !strings.HasPrefix(strings.ToLower(f.Path), strings.ToLower(inst)+"/") {
		return
	}
	key := strings.ToLower(strings.ReplaceAll(f.Path[len(inst)+1:], "/", `\`))
	if strings.HasSuffix(key, ".strings.localized.js") {
		// Regenerated on the server for its languages; Microsoft's own
		// comparison left them out for that reason.
		return
	}
	var known []map[string]bool
	for _, bb := range m.installed(ctx) {
		if sums, ok := bb.files[key]; ok {
			known = append(known, sums)
		}
	}
	if len(known) == 0 {
		return // not a name of Exchange's own files: other checks judge it
	}
	sums, err := f.Sums()
	if err != nil {
		if !errors.Is(err, detect.ErrTooLarge) {
			f.AddProblem(err)
		}
		return
	}
	for _, k := range known {
		if k[sums.SHA256] {
			return
		}
	}
	sev := finding.High
	set := m.RuleSet
	if set == nil {
		set, _ = Builtin()
	}
	extra := []finding.Field{{Name: "baseline_builds", Value: strings.Join(m.installedNames(ctx), ", ")}}
	if set != nil {
		for _, fm := range matches(ctx, set, f).matches {
			meta := metaOf(fm.match)
			if k := meta["kind"]; k == "webshell" || k == "compiled-webshell" || k == "oab-config-dump" || fm.file.Origin != BuiltinOrigin && webshellRule(fm.match, meta) {
				sev = finding.Critical
				extra = append(extra, finding.Field{Name: "content_match", Value: fm.match.Rule})
				break
			}
		}
	}
	emit(RuleModified.New(sev, f.Path, 0, f.Info.ModTime(), detect.FileEvidence(f, extra...)))
}

func (m Modified) installedNames(ctx *detect.Context) []string {
	var out []string
	for v, bb := range m.Baselines.byBuild {
		for _, x := range m.installed(ctx) {
			if x == bb {
				out = append(out, v)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
