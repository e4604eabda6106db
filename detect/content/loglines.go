package content

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/yara"
)

// RuleLogLine is a log line matched by a rule meant for log lines.
var RuleLogLine = finding.Rule{
	ID:    "content-log-rule-match",
	Title: "Log line matches a log rule of the --rules files (rules tagged LOG or files named for logs)",
	Remediation: "Read the line and the rule's description; such rules mark requests and commands of the " +
		"campaign (ServerInfo~ cookies, Set-OabVirtualDirectory with a script, web shell user agents).",
	Grading: "the rule's severity meta, or its score (75 and over high, 40 and over medium, low below); high without either",
}

// LogLines applies the rule files meant for log lines to every line of
// Exchange's logs and of the IIS logs, as THOR does, with the line number
// in each finding. It reads the logs in chunks of whole lines, so a log of
// any size takes bounded memory.
type LogLines struct {
	RuleSet *RuleSet
	Off     bool
}

func (LogLines) Name() string { return "log-rules" }

func (LogLines) Check() detect.Check {
	return detect.Check{ID: "log-line-rules", Title: "Log lines matched by the log rules of the --rules files",
		CVEs: cvesChain, Needs: "rules for log lines (--rules with LOG-tagged rules) and Exchange's or IIS's logs"}
}

func (LogLines) Rules() []*finding.Rule { return []*finding.Rule{&RuleLogLine} }

func (l LogLines) Places(ctx *detect.Context) []detect.Place {
	if l.Off || l.RuleSet == nil || len(l.RuleSet.LogRules()) == 0 {
		return nil
	}
	srv := ctx.Server
	var out []detect.Place
	switch {
	case srv.LoggingDir != "":
		out = append(out, detect.Place{Dir: srv.LoggingDir})
	case srv.Kind == facts.KindLogFolder:
		// A copy of one log folder (a responder's excerpt): the root is
		// the logs.
		out = append(out, detect.Place{Dir: "."})
	}
	for _, d := range srv.IISLogDirs {
		out = append(out, detect.Place{Dir: d})
	}
	return out
}

// WhyNotPlaced names the missing input.
func (l LogLines) WhyNotPlaced(ctx *detect.Context) string {
	if l.Off {
		return offReason
	}
	if l.RuleSet == nil || len(l.RuleSet.LogRules()) == 0 {
		return "no rules for log lines were given (--rules with a file of LOG-tagged rules, such as signature-base's apt_hafnium_log_sigs.yar)"
	}
	return ""
}

// logChunk is the size of the pieces a log is read in; a line longer than
// this is checked in pieces of this size.
const logChunk = 4 << 20

func (l LogLines) InspectFile(ctx *detect.Context, f *detect.File, emit detect.Emit) {
	files := l.RuleSet.LogRules()
	if len(files) == 0 {
		return
	}
	r, err := f.Open()
	if err != nil {
		f.AddProblem(err)
		return
	}
	defer r.Close()
	var vars map[string]any
	for _, rf := range files {
		if len(rf.Externals) > 0 {
			vars = externals(ctx, f, nil)
			break
		}
	}
	buf := make([]byte, logChunk)
	fill, base := 0, 0 // bytes held in buf; lines before buf's first line
	for {
		n, err := io.ReadFull(r, buf[fill:])
		fill += n
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			f.AddProblem(fmt.Errorf("read after line %d: %w", base, err))
			return
		}
		if fill == 0 {
			return
		}
		// Whole lines only, unless the chunk is one over-long line.
		cut := fill
		if !eof {
			if i := bytes.LastIndexByte(buf[:fill], '\n'); i >= 0 {
				cut = i + 1
			}
		}
		chunk := buf[:cut]
		for _, rf := range files {
			err := rf.Rules.ScanLines(chunk, vars, func(line, start, end int, ms []yara.Match) bool {
				for _, m := range ms {
					emit(RuleLogLine.New(userSeverity(metaOf(m)), f.Path, base+line, f.Info.ModTime(),
						append(matchEvidence(fileMatch{rf, m}), finding.Field{Name: "text", Value: excerpt(chunk[start:end])})))
				}
				return true
			})
			if err != nil {
				f.AddProblem(fmt.Errorf("rules of %s from line %d: %w", rf.Origin, base+1, err))
			}
		}
		// An over-long line checked in pieces keeps its number: the
		// next piece continues it.
		base += bytes.Count(chunk, []byte{'\n'})
		if eof {
			return
		}
		fill = copy(buf, buf[cut:fill])
	}
}

// maxExcerpt bounds the log text a finding quotes.
const maxExcerpt = 512

func excerpt(b []byte) string {
	if len(b) > maxExcerpt {
		return printable(b[:maxExcerpt]) + "..."
	}
	return printable(b)
}
