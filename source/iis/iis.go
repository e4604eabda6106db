// Package iis is the scan's source for the IIS W3C logs of the server's
// sites (W3SVC1 Exchange's front end, W3SVC2 its back end, and any other
// site), found through applicationHost.config, its backups in
// inetpub\history, or the default inetpub\logs\LogFiles, and read with
// source/w3c.
package iis

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/source"
	"github.com/exhunt/exhunt/source/w3c"
)

// Source reads the IIS logs.
type Source struct{}

func (Source) Name() string                 { return "IIS logs" }
func (Source) Families() []detect.LogFamily { return []detect.LogFamily{detect.IIS} }

// ExchangeEvidence is false: IIS logs alone could be any web server's.
func (Source) ExchangeEvidence() bool { return false }

// defaultLogDir is where IIS writes its logs unless configured otherwise.
const defaultLogDir = "inetpub/logs/LogFiles"

// Plan lists the W3C log files under the IIS log folders, each with its
// site's folder (W3SVC<id>).
func (Source) Plan(ctx context.Context, s *facts.Server, problem func(path, msg string)) source.Plan {
	plan := source.Plan{Found: map[detect.LogFamily][]string{}}
	if len(s.IISLogDirs) == 0 {
		why := "no IIS log folder was found (" + defaultLogDir + ", or the one applicationHost.config names)"
		if s.Kind != facts.KindSystemDrive {
			why = "the copy is not a system drive: IIS logs are looked for only there"
		}
		plan.Missing = append(plan.Missing, source.Missing{Family: detect.IIS, Expected: s.DefaultPlace(defaultLogDir), Why: why})
		return plan
	}
	seen := map[string]bool{}
	for _, dir := range s.IISLogDirs {
		plan.Found[detect.IIS] = append(plan.Found[detect.IIS], dir)
		err := source.WalkFiles(ctx, s.FS(), dir, mayBeLog, problem, func(p string, size int64) error {
			if seen[p] {
				return nil
			}
			if !isW3CLog(path.Base(p)) && !facts.IsIISLogHeader(s.FS(), p) {
				return nil
			}
			seen[p] = true
			in := source.Input{Family: detect.IIS, Path: p, Dir: path.Dir(p), Size: size}
			if site, ok := s.IISSiteOf(p); ok {
				in.Folder = fmt.Sprintf("W3SVC%d", site.ID)
				if site.LogDir != "" {
					in.Dir = site.LogDir
				}
			} else if id, ok := w3c.SiteID(p); ok {
				in.Folder = fmt.Sprintf("W3SVC%d", id)
			}
			plan.Inputs = append(plan.Inputs, in)
			return nil
		})
		if err != nil && ctx.Err() != nil {
			break
		}
	}
	if len(plan.Inputs) == 0 {
		plan.Missing = append(plan.Missing, source.Missing{Family: detect.IIS, Expected: s.IISLogDirs[0],
			Why: "no IIS log files (u_ex*.log) in " + strings.Join(s.IISLogDirs, ", ")})
	}
	return plan
}

// isW3CLog accepts the names IIS gives W3C logs; the other formats
// (IIS, NCSA) hold no field list to read by.
func isW3CLog(name string) bool { return w3c.NameFormat(name) == w3c.FormatW3C }

// mayBeLog accepts W3C log names and other .log files, which are read when
// they start with IIS's header (logs renamed when they were copied).
func mayBeLog(name string) bool {
	return isW3CLog(name) || w3c.NameFormat(name) == w3c.FormatUnknown && source.HasExt(name, ".log")
}

// NewReader makes a reader that owns its read buffer.
func (Source) NewReader() source.Reader { return &reader{rd: w3c.NewReader(w3c.Options{})} }

type reader struct {
	rd     *w3c.Reader
	fields recordFields
	rec    detect.LogRecord
}

func (r *reader) Read(ctx context.Context, f io.Reader, in source.Input, sel source.Selector, fn func(*detect.LogRecord)) (source.Stats, error) {
	opt := w3c.Options{Matcher: sel.Matcher, Precheck: sel.Precheck, DefaultFields: w3c.ExchangeDefaultFields}
	if sel.Matcher == nil {
		opt.Matcher = source.NothingMatcher
	}
	if sel.Clients != nil {
		opt.Tap = &w3c.Tap{Field: w3c.FieldClientIP, Match: sel.Clients, Hints: sel.ClientHints}
	}
	wanted := sel.Wanted()
	r.rd.Reset(opt)
	r.rec = detect.LogRecord{Path: in.Path, Folder: in.Folder, RecordFields: &r.fields}
	st, err := r.rd.Read(source.ContextReader{Ctx: ctx, R: f}, func(rec *w3c.Record) {
		if !wanted {
			return
		}
		r.fields.r = rec
		r.rec.Line, r.rec.Raw = rec.Line, rec.Raw
		fn(&r.rec)
	})
	out := source.Stats{Bytes: st.Bytes, Oldest: st.Oldest, Newest: st.Newest, MoreProblems: st.MoreProblems}
	for _, p := range st.Problems {
		out.Problems = append(out.Problems, source.Problem{Line: p.Line, Err: p.Err})
	}
	return out, err
}

// recordFields gives a W3C record the detectors' view of fields.
type recordFields struct{ r *w3c.Record }

func (f *recordFields) Get(name string) string  { return f.r.Get(name) }
func (f *recordFields) Has(name string) bool    { return f.r.Schema.Has(name) }
func (f *recordFields) Field(i int) string      { return string(f.r.Field(i)) }
func (f *recordFields) NumFields() int          { return len(f.r.Fields) }
func (f *recordFields) Time() (time.Time, bool) { return f.r.Time() }
