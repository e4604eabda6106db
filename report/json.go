package report

import (
	"bufio"
	"encoding/json"
	"io"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

// JSON writes one indented JSON object: for one server the contract's
// tool, findings and errors with the server, verdict, coverage and stats
// beside them; for several servers, "servers" with one such object each
// and a "summary". Findings are written one at a time.
func JSON(w io.Writer, rep *result.Report, _ Options) error {
	jw := &jsonWriter{w: bufio.NewWriterSize(w, 64<<10)}
	jw.raw("{\n")
	jw.field("  ", "schema_version", result.SchemaVersion, false)
	jw.field("  ", "tool", rep.Tool, false)
	jw.field("  ", "scan", rep.Scan, false)
	if len(rep.Servers) == 1 {
		// Folders of a case not scanned stay visible even when one server
		// was found.
		if len(rep.Skipped) > 0 {
			jw.field("  ", "skipped", rep.Skipped, false)
		}
		if len(rep.NotReached) > 0 {
			jw.field("  ", "not_reached", rep.NotReached, false)
		}
		jw.server("  ", rep.Servers[0])
	} else {
		jw.raw(`  "servers": [`)
		for i, s := range rep.Servers {
			if i > 0 {
				jw.raw(",")
			}
			jw.raw("\n    {\n")
			jw.server("      ", s)
			jw.raw("\n    }")
		}
		if len(rep.Servers) > 0 {
			jw.raw("\n  ")
		}
		jw.raw("],\n")
		jw.field("  ", "summary", rep.Summary(), true)
	}
	jw.raw("\n}\n")
	if jw.err != nil {
		return jw.err
	}
	return jw.w.Flush()
}

type jsonWriter struct {
	w   *bufio.Writer
	err error
}

func (j *jsonWriter) raw(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

func (j *jsonWriter) value(indent string, v any) {
	if j.err != nil {
		return
	}
	b, err := json.MarshalIndent(v, indent, "  ")
	if err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(b)
}

// field writes `indent"name": value` and a comma unless it is the last.
func (j *jsonWriter) field(indent, name string, v any, last bool) {
	j.raw(indent)
	j.value("", name)
	j.raw(": ")
	j.value(indent, v)
	if !last {
		j.raw(",\n")
	}
}

// list streams a list of values.
func list[T any](j *jsonWriter, indent, name string, items []T, last bool) {
	j.raw(indent)
	j.value("", name)
	j.raw(": [")
	for i := range items {
		if i > 0 {
			j.raw(",")
		}
		j.raw("\n" + indent + "  ")
		j.value(indent+"  ", &items[i])
	}
	if len(items) > 0 {
		j.raw("\n" + indent)
	}
	j.raw("]")
	if !last {
		j.raw(",\n")
	}
}

func (j *jsonWriter) server(indent string, s *result.Server) {
	j.field(indent, "root", s.Root, false)
	j.field(indent, "server", s.Server, false)
	j.field(indent, "verdict", s.Verdict, false)
	if s.Collection != nil {
		j.field(indent, "collection", s.Collection, false)
	}
	// The correlation's view comes before the findings it cites, and only
	// on a server with attack evidence.
	if s.Timeline != nil {
		j.field(indent, "timeline", s.Timeline, false)
	}
	if len(s.Sessions) > 0 {
		list(j, indent, "sessions", s.Sessions, false)
	}
	if s.SessionsNotListed > 0 {
		j.field(indent, "sessions_not_listed", s.SessionsNotListed, false)
	}
	if len(s.Mailboxes) > 0 {
		list(j, indent, "mailboxes", s.Mailboxes, false)
	}
	if s.MailboxesNotListed > 0 {
		j.field(indent, "mailboxes_not_listed", s.MailboxesNotListed, false)
	}
	if len(s.MailboxesExcluded) > 0 {
		list(j, indent, "mailboxes_excluded", s.MailboxesExcluded, false)
	}
	if len(s.Joins) > 0 {
		list(j, indent, "joins", s.Joins, false)
	}
	list(j, indent, "findings", s.Findings, false)
	list(j, indent, "errors", s.Errors, false)
	list(j, indent, "coverage", s.Coverage, false)
	j.field(indent, "stats", s.Stats, true)
}

// Line is one JSON Lines record: a finding with the server and the scan it
// came from, so that each line stands alone in a SIEM. host.name and
// event.created follow the Elastic Common Schema.
type Line struct {
	finding.Finding
	Server string      `json:"server"`
	Root   string      `json:"root"`
	Host   LineHost    `json:"host"`
	Scan   LineScan    `json:"scan"`
	Event  LineEvent   `json:"event"`
	Tool   result.Tool `json:"tool"`
}

// LineHost names the server of a JSON Lines record.
type LineHost struct {
	Name   string `json:"name,omitempty"`
	Domain string `json:"domain,omitempty"`
	FQDN   string `json:"fqdn,omitempty"`
}

// LineScan names the scan of a JSON Lines record.
type LineScan struct {
	ID      string    `json:"id"`
	Started time.Time `json:"started"`
}

// LineEvent carries when the record was made.
type LineEvent struct {
	Created time.Time `json:"created"`
}

// JSONL writes one finding per line, then one line per scan error with rule
// ErrorRule, for every server.
func JSONL(w io.Writer, rep *result.Report, _ Options) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	for _, s := range rep.Servers {
		line := Line{
			Server: s.Server.Name, Root: s.Root, Tool: rep.Tool,
			Host:  LineHost{Name: s.Server.HostName, Domain: s.Server.Domain, FQDN: s.Server.FQDN},
			Scan:  LineScan{ID: rep.Scan.ID, Started: rep.Scan.Started},
			Event: LineEvent{Created: rep.Scan.Ended},
		}
		for _, f := range s.Findings {
			line.Finding = f
			if err := enc.Encode(&line); err != nil {
				return err
			}
		}
		for _, e := range s.Errors {
			line.Finding = errorFinding(e)
			if err := enc.Encode(&line); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}
