// Package eventlog is the scan's source for the Windows event logs: the
// .evtx files of System32\winevt\Logs (or the folders the registry names),
// a copied folder of them, and files given with --evtx. Files are decoded
// with source/evtx; each record is handed to the EventLog family's checks
// with its channel as its folder, its record id as its line, and a one-line
// text rendering as its raw line, on which the checks' literals select.
package eventlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exhunt/exhunt/root"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/source"
	"github.com/exhunt/exhunt/source/evtx"
	"github.com/exhunt/exhunt/source/literal"
)

// Source reads the event logs.
type Source struct{}

func (Source) Name() string                 { return "Windows event logs" }
func (Source) Families() []detect.LogFamily { return []detect.LogFamily{detect.EventLog} }

// ExchangeEvidence is false: the event logs do not hold Exchange's record
// of the requests that exploited it.
func (Source) ExchangeEvidence() bool { return false }

// ReadChannels are the channels the checks look at; the other logs of a
// server's event log folder (there are hundreds) are not read. Files given
// with --evtx are read whatever their channel.
var ReadChannels = []string{
	"Application",
	"Security",
	"System",
	"MSExchange Management",
	"Microsoft-Windows-Sysmon/Operational",
	"Microsoft-Windows-Windows Defender/Operational",
}

func readChannel(ch string) bool {
	for _, c := range ReadChannels {
		if strings.EqualFold(c, ch) {
			return true
		}
	}
	return false
}

// Plan lists the event log files of the channels the checks read, each
// with its channel (from its first record, else from its name) as folder.
func (Source) Plan(ctx context.Context, s *facts.Server, problem func(path, msg string)) source.Plan {
	plan := source.Plan{Found: map[detect.LogFamily][]string{}}
	seen := map[string]bool{}
	unopened := 0 // files that exist but could not be opened (a live server's logs are held open)
	for _, dir := range s.EventLogDirs {
		plan.Found[detect.EventLog] = append(plan.Found[detect.EventLog], dir)
		err := source.WalkFiles(ctx, s.FS(), dir, isEvtxName, problem, func(p string, size int64) error {
			if seen[p] {
				return nil
			}
			seen[p] = true
			f, err := s.FS().Open(p)
			if err != nil {
				problem(p, err.Error())
				unopened++
				return nil
			}
			ch := channelOf(f, size, path.Base(p))
			f.Close()
			if s.Kind != facts.KindEventLogs && !readChannel(ch) {
				return nil
			}
			plan.Inputs = append(plan.Inputs, source.Input{Family: detect.EventLog, Path: p, Folder: ch, Dir: dir, Size: size, MixedFolders: true})
			return nil
		})
		if err != nil && ctx.Err() != nil {
			return plan
		}
	}
	// A file given with --evtx that the copy's own folder holds too is read
	// once, from the copy.
	planned := make([]fs.FileInfo, 0, len(plan.Inputs))
	for _, in := range plan.Inputs {
		if info, err := fs.Stat(s.FS(), in.Path); err == nil {
			planned = append(planned, info)
		}
	}
	for _, loose := range s.LooseEventLogs {
		for _, in := range looseInputs(loose, problem) {
			if info, err := os.Stat(filepath.FromSlash(in.Path)); err == nil && slices.ContainsFunc(planned, func(p fs.FileInfo) bool { return os.SameFile(p, info) }) {
				continue
			}
			plan.Inputs = append(plan.Inputs, in)
		}
	}
	if len(plan.Inputs) == 0 {
		expected := s.DefaultPlace(facts.DefaultEventLogDir)
		why := "no event log folder was found (" + facts.DefaultEventLogDir + ")"
		switch {
		case unopened > 0:
			expected = s.EventLogDirs[0]
			why = fmt.Sprintf("%d event log files could not be opened (listed among the errors)", unopened)
			if s.Live {
				// The event log service holds them open; it exports
				// them on request.
				why += `; on a running server, export them (wevtutil epl Security X:\Security.evtx, and Application, System, MSExchange Management) and give them with --evtx`
			}
		case len(s.EventLogDirs) > 0:
			expected = s.EventLogDirs[0]
			why = "no event log of the channels the checks read (" + strings.Join(ReadChannels, ", ") + ") in " + strings.Join(s.EventLogDirs, ", ")
		case s.Kind != facts.KindSystemDrive:
			why = "the copy is not a system drive: event logs are looked for only there (give them with --evtx)"
		}
		plan.Missing = append(plan.Missing, source.Missing{Family: detect.EventLog, Expected: expected, Why: why})
	}
	return plan
}

func isEvtxName(name string) bool { return source.HasExt(name, ".evtx") }

// looseInputs plans a file or folder given with --evtx: every .evtx file of
// a folder, a named file whatever its name.
func looseInputs(name string, problem func(path, msg string)) []source.Input {
	var out []source.Input
	add := func(p string, size int64) {
		f, err := root.OpenFile(p)
		if err != nil {
			problem(p, err.Error())
			return
		}
		ch := channelOf(f, size, filepath.Base(p))
		f.Close()
		out = append(out, source.Input{Family: detect.EventLog, Path: filepath.ToSlash(p), Folder: ch, Dir: filepath.ToSlash(filepath.Dir(p)), Size: size,
			Open: func() (fs.File, error) { return root.OpenFile(p) }, MixedFolders: true})
	}
	st, err := os.Stat(name)
	if err != nil {
		problem(name, err.Error())
		return nil
	}
	if !st.IsDir() {
		add(name, st.Size())
		return out
	}
	err = filepath.WalkDir(name, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			problem(p, err.Error())
			return nil
		}
		if d.Type().IsRegular() && isEvtxName(d.Name()) {
			if info, err := d.Info(); err == nil {
				add(p, info.Size())
			}
		}
		return nil
	})
	if err == nil && len(out) == 0 {
		problem(name, "no .evtx file in this folder (given with --evtx)")
	}
	return out
}

// channelOf is the channel of the file's first record, else the one its
// name gives (Windows names a channel's file after it, "/" written "%4").
func channelOf(f fs.File, size int64, name string) string {
	if ra, ok := f.(io.ReaderAt); ok {
		if log, err := evtx.Open(ra, size); err == nil {
			ch := ""
			stop := errors.New("first record read")
			for _, c := range log.Chunks() {
				c.Records(func(r *evtx.Record) error { ch = r.Channel; return stop })
				if ch != "" {
					return ch
				}
			}
		}
	}
	base := strings.TrimSuffix(name, path.Ext(name))
	return strings.ReplaceAll(base, "%4", "/")
}

// maxUnseekable bounds the event log read whole into memory when its file
// cannot be read at offsets (a copy inside an archive): larger logs are
// reported and not read.
const maxUnseekable = 256 << 20

// NewReader makes a reader that keeps its buffers between files.
func (Source) NewReader() source.Reader { return &reader{} }

type reader struct {
	fields    fields
	processes processes
	rec       detect.LogRecord
	raw       []byte
	matcher   *literal.Matcher
	from      *literal.Matcher // the selector's matcher that matcher clones
}

// errStopped ends decoding when the scan is cancelled.
var errStopped = errors.New("scan stopped")

func (r *reader) Read(ctx context.Context, f io.Reader, in source.Input, sel source.Selector, fn func(*detect.LogRecord)) (source.Stats, error) {
	st := source.Stats{}
	ra, ok := f.(io.ReaderAt)
	size := in.Size
	if !ok {
		data, err := io.ReadAll(io.LimitReader(source.ContextReader{Ctx: ctx, R: f}, maxUnseekable+1))
		if err != nil {
			return st, err
		}
		if len(data) > maxUnseekable {
			return st, fmt.Errorf("an event log over %d MB that cannot be read at offsets is not read", maxUnseekable>>20)
		}
		ra, size = bytes.NewReader(data), int64(len(data))
	}
	log, err := evtx.Open(ra, size)
	if err != nil {
		// Not read at all: the file must not count as an examined log.
		return st, err
	}
	if sel.Matcher != nil && sel.Matcher != r.from {
		r.from, r.matcher = sel.Matcher, sel.Matcher.Clone()
	}
	wanted := sel.Matcher != nil
	r.rec = detect.LogRecord{Path: in.Path, Folder: in.Folder, RecordFields: &r.fields}
	r.processes.reset()
	n := 0
	lastChannel := ""
	problems := log.Records(func(e *evtx.Record) error {
		if n++; n&1023 == 0 && ctx.Err() != nil {
			return errStopped
		}
		if t := e.Time; !t.IsZero() && t.Year() > 1990 {
			if st.Oldest.IsZero() || t.Before(st.Oldest) {
				st.Oldest = t
			}
			if t.After(st.Newest) {
				st.Newest = t
			}
		}
		if e.Channel != "" && e.Channel != lastChannel {
			// Most files hold one channel; forwarded events hold many.
			lastChannel = e.Channel
			if !slices.Contains(st.Folders, e.Channel) && len(st.Folders) < maxChannels {
				st.Folders = append(st.Folders, e.Channel)
			}
		}
		if !wanted {
			return nil
		}
		r.fields.set(e)
		r.processes.see(e, &r.fields)
		r.raw = render(r.raw[:0], e, &r.fields)
		if !r.matcher.Contains(r.raw) || sel.Precheck != nil && !sel.Precheck(r.raw) {
			return nil
		}
		r.rec.Line, r.rec.Raw = int(min(e.RecordID, 1<<62)), r.raw
		r.rec.Folder = in.Folder
		if e.Channel != "" {
			r.rec.Folder = e.Channel
		}
		fn(&r.rec)
		return nil
	})
	st.Bytes = size
	for _, p := range problems {
		if p.Offset == -1 && ctx.Err() != nil {
			return st, ctx.Err()
		}
		if len(st.Problems) >= maxProblems {
			st.MoreProblems++
			continue
		}
		st.Problems = append(st.Problems, source.Problem{Err: p.Error()})
	}
	if n == 0 && log.Header.NextRecordID > 1 && ctx.Err() == nil {
		// The header says records were written, none could be read (a
		// copy that kept the header and lost the chunks): the log was not
		// examined, whatever else is wrong with it.
		return st, fmt.Errorf("none of the %d records the header counts could be read", log.Header.NextRecordID-1)
	}
	return st, nil
}

// maxProblems bounds the damaged structures listed per file.
const maxProblems = 20

// maxChannels bounds the channels one file's records are counted for (a
// hostile file could name a new one in every record).
const maxChannels = 64

// render writes the one-line text the checks' literals select on:
// provider, event id, level, channel, computer, then the data values
// (named ones as Name=value), tab-separated.
func render(b []byte, e *evtx.Record, f *fields) []byte {
	b = append(b, "Provider="...)
	b = append(b, e.Provider...)
	b = append(b, "\tEventID="...)
	b = strconv.AppendUint(b, uint64(e.EventID), 10)
	b = append(b, "\tLevel="...)
	b = strconv.AppendUint(b, uint64(e.Level), 10)
	b = append(b, "\tChannel="...)
	b = append(b, e.Channel...)
	b = append(b, "\tComputer="...)
	b = append(b, e.Computer...)
	for _, d := range e.Data {
		b = append(b, '\t')
		if d.Name != "" {
			b = append(b, d.Name...)
			b = append(b, '=')
		}
		b = append(b, d.Value...)
	}
	if f.parent != "" {
		b = append(b, "\t"+parentName+"="...)
		b = append(b, f.parent...)
	}
	return b
}

// fields gives an event the detectors' views (detect.RecordFields by data
// name, detect.Event).
type fields struct {
	e    *evtx.Record
	flat []string
	// parent is the creator's image found by process id for a 4688 event
	// that names no parent (Windows Server 2012 R2 and older), parentFrom
	// says how; both empty otherwise.
	parent, parentFrom string
}

// Names under which the reader adds a resolved parent to a 4688 event.
const (
	parentName     = "ParentProcessName"
	parentFromName = "ParentProcessNameFrom"
)

func (f *fields) set(e *evtx.Record) {
	f.e = e
	f.parent, f.parentFrom = "", ""
	f.flat = f.flat[:0]
	for _, d := range e.Data {
		if d.Values != nil {
			f.flat = append(f.flat, d.Values...)
		} else {
			f.flat = append(f.flat, d.Value)
		}
	}
}

func (f *fields) Get(name string) string {
	v, ok := f.e.Get(name)
	if !ok && f.parent != "" {
		switch name {
		case parentName:
			return f.parent
		case parentFromName:
			return f.parentFrom
		}
	}
	return v
}

func (f *fields) Has(name string) bool {
	_, ok := f.e.Get(name)
	return ok || f.parent != "" && (name == parentName || name == parentFromName)
}

func (f *fields) Field(i int) string {
	if i < 0 || i >= len(f.flat) {
		return ""
	}
	return f.flat[i]
}

func (f *fields) NumFields() int          { return len(f.flat) }
func (f *fields) Time() (time.Time, bool) { return f.e.Time, !f.e.Time.IsZero() }
func (f *fields) RecordID() uint64        { return f.e.RecordID }
func (f *fields) EventID() uint32         { return f.e.EventID }
func (f *fields) Provider() string        { return f.e.Provider }
func (f *fields) Channel() string         { return f.e.Channel }
func (f *fields) Computer() string        { return f.e.Computer }
func (f *fields) Level() uint8            { return f.e.Level }
func (f *fields) Values() []string        { return f.flat }

// processes remembers, along one Security log, the image of each process
// id that 4688 events show starting, so that a 4688 event without
// ParentProcessName (Windows Server 2012 R2 and older log only the
// creator's id) can name its parent: the last process started with that id
// before it. Ids are reused, so the answer is the likely parent, and says
// where it comes from.
type processes struct {
	byID map[uint64]started
}

type started struct {
	image  string
	record uint64
}

// maxProcesses bounds the ids remembered per file; past it the map starts
// again (a parent started long before is then not found).
const maxProcesses = 1 << 16

func (p *processes) reset() { clear(p.byID) }

func (p *processes) see(e *evtx.Record, f *fields) {
	if e.EventID != 4688 || e.Provider != "Microsoft-Windows-Security-Auditing" {
		return
	}
	if _, ok := e.Get(parentName); !ok {
		if creator, ok := processID(e, "ProcessId"); ok {
			if s, ok := p.byID[creator]; ok {
				f.parent = s.image
				f.parentFrom = fmt.Sprintf("the creator's process id 0x%x, started in record %d", creator, s.record)
			}
		}
	}
	id, ok := processID(e, "NewProcessId")
	image, _ := e.Get("NewProcessName")
	if !ok || image == "" {
		return
	}
	if p.byID == nil {
		p.byID = map[uint64]started{}
	}
	if len(p.byID) >= maxProcesses {
		clear(p.byID)
	}
	p.byID[id] = started{strings.Clone(image), e.RecordID}
}

// processID reads a process id as 4688 logs it (hexadecimal, 0x...).
func processID(e *evtx.Record, name string) (uint64, bool) {
	v, ok := e.Get(name)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(strings.TrimSpace(v), 0, 64)
	return id, err == nil
}
