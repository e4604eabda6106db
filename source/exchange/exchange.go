// Package exchange is the scan's source for Exchange's own logs under
// V15\Logging: the HttpProxy logs (one folder per protocol), the ECP
// Server logs and the OAB generator logs, read with source/exlog.
package exchange

import (
	"context"
	"io"
	"path"
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/source"
	"github.com/exhunt/exhunt/source/exlog"
)

// layout says where a log family lives under V15\Logging and which field
// list to assume when a file lost its header.
type layout struct {
	family  detect.LogFamily
	dir     string // under Logging
	schema  *exlog.Schema
	folders bool // the family has one sub-folder per protocol
}

var layouts = []layout{
	{family: detect.HttpProxy, dir: "HttpProxy", schema: exlog.NewSchema(exlog.HttpProxyFields), folders: true},
	{family: detect.ECPServer, dir: "ECP/Server", schema: exlog.NewSchema(exlog.ECPServerFields)},
	{family: detect.OABGenerator, dir: "OABGeneratorLog"},
}

// Source reads the Exchange logs.
type Source struct{}

func (Source) Name() string           { return "Exchange logs" }
func (Source) ExchangeEvidence() bool { return true }

func (Source) Families() []detect.LogFamily {
	out := make([]detect.LogFamily, len(layouts))
	for i, l := range layouts {
		out[i] = l.family
	}
	return out
}

// Plan lists the .log files of every family, with the protocol folder of
// each HttpProxy file.
func (Source) Plan(ctx context.Context, s *facts.Server, problem func(path, msg string)) source.Plan {
	plan := source.Plan{Found: map[detect.LogFamily][]string{}}
	for i := range layouts {
		lay := &layouts[i]
		dir, fixedFolder, ok := s.LogDir(lay.dir)
		if !ok {
			plan.Missing = append(plan.Missing, missing(s, lay, "", false))
			continue
		}
		plan.Found[lay.family] = []string{dir}
		n := len(plan.Inputs)
		err := source.WalkFiles(ctx, s.FS(), dir, func(name string) bool { return source.HasExt(name, ".log") }, problem, func(p string, size int64) error {
			in := source.Input{Family: lay.family, Path: p, Dir: dir, Size: size, Folder: fixedFolder, Layout: lay}
			if lay.folders && fixedFolder == "" {
				rel := strings.TrimPrefix(p, dir+"/")
				if dir == "." {
					rel = p
				}
				if i := strings.IndexByte(rel, '/'); i >= 0 {
					in.Folder = rel[:i]
					in.Dir = path.Join(dir, in.Folder)
				}
			}
			plan.Inputs = append(plan.Inputs, in)
			return nil
		})
		if len(plan.Inputs) == n {
			plan.Missing = append(plan.Missing, missing(s, lay, dir, true))
		}
		if err != nil && ctx.Err() != nil {
			break
		}
	}
	return plan
}

// missing says where a family's logs were expected and why none were read.
func missing(s *facts.Server, lay *layout, dir string, found bool) source.Missing {
	m := source.Missing{Family: lay.family, Why: "the Exchange Logging folder was not found",
		Expected: s.DefaultPlace(path.Join(facts.DefaultExchangeDir, "Logging", lay.dir))}
	switch {
	case found:
		m.Why, m.Expected = "no log files in "+dir, dir
	case s.LoggingDir != "":
		m.Why, m.Expected = "no "+lay.dir+" folder under "+s.LoggingDir, path.Join(s.LoggingDir, lay.dir)
	case s.Kind == facts.KindLogFolder:
		m.Why = "only " + s.KindDetail + " was copied"
	}
	return m
}

// NewReader makes a reader that owns its read buffer.
func (Source) NewReader() source.Reader {
	return &reader{rd: exlog.NewReader(exlog.Options{})}
}

type reader struct {
	rd  *exlog.Reader
	rec detect.LogRecord
}

func (r *reader) Read(ctx context.Context, f io.Reader, in source.Input, sel source.Selector, fn func(*detect.LogRecord)) (source.Stats, error) {
	lay, _ := in.Layout.(*layout)
	opt := exlog.Options{Matcher: sel.Matcher, Precheck: sel.Precheck}
	if lay != nil {
		opt.DefaultSchema = lay.schema
	}
	wanted := sel.Wanted()
	if sel.Matcher == nil {
		opt.Matcher = source.NothingMatcher
	}
	if sel.Clients != nil && lay != nil && lay.family == detect.HttpProxy {
		opt.Tap = &exlog.Tap{Field: "ClientIpAddress", Match: sel.Clients, Hints: sel.ClientHints}
	}
	r.rd.Reset(opt)
	r.rec = detect.LogRecord{Path: in.Path, Folder: in.Folder}
	st, err := r.rd.Read(source.ContextReader{Ctx: ctx, R: f}, func(rec *exlog.Record) {
		if !wanted {
			return
		}
		r.rec.RecordFields, r.rec.Line, r.rec.Raw = rec, rec.Line, rec.Raw
		fn(&r.rec)
	})
	out := source.Stats{Bytes: st.Bytes, Oldest: st.Oldest, Newest: st.Newest, MoreProblems: st.MoreProblems}
	for _, p := range st.Problems {
		// Files of unknown layout are read as text by their detectors.
		if (lay == nil || lay.schema == nil) && strings.HasPrefix(p.Err, "no field list") {
			continue
		}
		out.Problems = append(out.Problems, source.Problem{Line: p.Line, Err: p.Err})
	}
	return out, err
}
