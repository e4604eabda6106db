// Package collect makes a forensic triage archive of one Exchange server:
// the files the scan reads, the event logs, the registry hives, Exchange's
// build, the configuration, Temporary ASP.NET Files and every file the scan
// flags, in one zip laid out as package triage describes, with a manifest
// (original path, size, SHA-256, times, how each file was read) and a
// record of the collection.
//
// What to take is not a second list kept beside the checks: the collection
// runs the scan over the server with every volume wrapped in a recorder, and
// takes the files and folders the scan looked at, plus what responders need
// beyond the checks (all event logs, all hives, the compiled pages). So an
// archive scans to the same findings as its source by construction, and the
// scan's verdict is part of the record.
//
// The source is only read: files are opened read-only (without moving
// access times where the system allows it), read once, and hashed,
// checksummed and compressed in that one pass, on every core. The archive
// is written front to back and its central directory last, so an archive
// whose writing was killed cannot be opened as a zip at all; an interrupted
// collection (Ctrl-C, a cancelled context) ends properly with a record
// that says it is incomplete.
package collect

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/scan"
	"github.com/exhunt/exhunt/triage"
)

// Options is a collection request.
type Options struct {
	// Scan says what to scan (one server: roots, volumes, Exchange's
	// folder); its hooks are the collection's own.
	Scan scan.Config
	// Out is the archive to write; it must not exist yet. When Output is
	// set, the archive is written there instead (the caller made and
	// checked the file, and closes it), and Out names it and its folder,
	// where large files are spooled while they are compressed.
	Out    string
	Output io.Writer
	// Since, when set, leaves out log files last written before it.
	Since time.Time
	// MaxFileSize and MaxTotalSize bound what is taken, in bytes of the
	// source; 0 = no limit. What they leave out is listed as skipped.
	MaxFileSize, MaxTotalSize int64
	// Workers bounds the files read at once; 0 = one per CPU.
	Workers int
	// Tool and CommandLine go into the record.
	Tool        triage.Tool
	CommandLine []string
	// Progress receives a line now and then; nil = none.
	Progress io.Writer

	// afterEntry, in tests, is called as each file's entry is written.
	afterEntry func(triage.Entry)
}

// Result is a finished (or interrupted) collection.
type Result struct {
	Record *triage.Record
	// Report is the scan made while collecting.
	Report *result.Report
	// ArchiveSHA256 is the hash of the whole archive file as written.
	ArchiveSHA256 string
	ArchiveSize   int64
}

// ErrOutExists refuses to overwrite an archive: it may be the evidence of
// an earlier collection.
var ErrOutExists = errors.New("the archive already exists; give a new name (an earlier collection is never overwritten)")

// DefaultMaxFileSize leaves out single files larger than this unless told
// otherwise: a multi-gigabyte file among the drop places is listed with its
// size and times rather than holding up the whole collection.
const DefaultMaxFileSize = 4 << 30

// Run collects one server into opt.Out. The error is nil for a collection
// that ended, complete or interrupted (the record says which); a collection
// that could not start leaves no archive behind.
func Run(ctx context.Context, opt Options) (*Result, error) {
	started := time.Now().UTC()
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	opt.Workers = min(opt.Workers, 64) // as the scan: beyond, the disk is the limit
	w := opt.Output
	var own *os.File
	if w == nil {
		f, err := os.OpenFile(opt.Out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			if errors.Is(err, fs.ErrExist) {
				return nil, fmt.Errorf("%s: %w", opt.Out, ErrOutExists)
			}
			return nil, err
		}
		own, w = f, f
	}
	c := &collector{opt: opt, own: own, started: started, log: newAccessLog()}
	c.hash = sha256.New()
	c.buf = bufio.NewWriterSize(io.MultiWriter(w, c.hash, &c.size), 1<<20)
	c.zw = zip.NewWriter(c.buf)

	cfg := opt.Scan
	cfg.MaxServers = 1
	cfg.Observe = func(volume byte, fsys fs.FS) fs.FS { return &recorder{fsys: fsys, volume: volume, log: c.log} }
	cfg.ServerDone = c.server
	rep, err := scan.Run(ctx, cfg)
	if rep == nil || c.record == nil {
		if own != nil {
			own.Close()
			os.Remove(opt.Out) // nothing was written but the header
		}
		if err == nil {
			err = errors.New("no server was scanned")
		}
		return nil, err
	}
	return &Result{Record: c.record, Report: rep, ArchiveSHA256: hex.EncodeToString(c.hash.Sum(nil)), ArchiveSize: int64(c.size)}, nil
}

// byteCount counts what passes through.
type byteCount int64

func (b *byteCount) Write(p []byte) (int, error) { *b += byteCount(len(p)); return len(p), nil }

type collector struct {
	opt     Options
	own     *os.File // the archive file, when Run made it
	hash    hash.Hash
	size    byteCount
	buf     *bufio.Writer
	zw      *zip.Writer
	started time.Time
	log     *accessLog
	record  *triage.Record
}

// item is one file to take.
type item struct {
	name     string // name of root.Drives
	path     string // in the archive
	original string // on the server
	size     int64
	mod      time.Time
	rank     rank
	log      bool
	// info is the source's stat, from the plan.
	info fs.FileInfo
	// fallback, when set, is tried when the file cannot be opened: on a
	// running server, the system holds event logs and hives open, and
	// they are exported (temp names a file made for it, in dir, removed
	// afterwards) or opened with backup semantics.
	fallback func(ctx context.Context, dir string) (f *os.File, temp string, method triage.Method, err error)
	// entry is set for an item decided before reading (skipped).
	entry *triage.Entry
	// scanErr is why the scan could not read it, if it could not.
	scanErr string
}

// rank orders what is taken first, so that a size limit leaves out the
// least telling files: what the scan flagged, the logs whose lines its
// findings cite, then the server's identity and configuration, the event
// logs, the web folders, the other logs (those of the attack window
// first, oldest first; then the rest, newest first), the compiled pages.
type rank int

const (
	rankFlagged rank = iota
	// rankEvidence: files holding the lines the scan's findings cite.
	rankEvidence
	rankIdentity
	rankEventLog
	rankOther
	rankLog
	rankCompiled
)

// server collects one server, while the scan still holds it open.
func (c *collector) server(ctx context.Context, s *facts.Server, res *result.Server) error {
	rec := &triage.Record{
		Tool: c.opt.Tool, Host: s.Identity.HostName, CommandLine: c.opt.CommandLine, Started: c.started,
		Limits: triage.Limits{MaxFileSize: c.opt.MaxFileSize, MaxTotalSize: c.opt.MaxTotalSize},
		Source: s.RootDir,
	}
	if s.Live {
		rec.Source = "live"
	} else if f := archivePath(s, "."); s.Kind != facts.KindSystemDrive && strings.Contains(f, "/") {
		rec.SourceFolder = f
	}
	if s.Build.Known {
		rec.ExchangeBuild, rec.ExchangeBuildSource = s.Build.Version.String(), s.Build.Source
	}
	if c.opt.Scan.ExchangeDir != "" && s.ExchangeDir != "" {
		// Found only because the user said where: the scan of the
		// archive must be told too.
		rec.ExchangeDir = archivePath(s, s.ExchangeDir)
	}
	if u, err := user.Current(); err == nil {
		rec.User = u.Username
	}
	if h, err := os.Hostname(); err == nil {
		rec.Collector = h
	}
	if !c.opt.Since.IsZero() {
		t := c.opt.Since.UTC()
		rec.Since = &t
	}
	sys := s.Drives.SystemLetter
	rec.Volumes = append(rec.Volumes, triage.Volume{Letter: string(sys), Source: s.RootDir})
	for _, v := range res.Server.Volumes {
		if v.Letter != string(sys) {
			rec.Volumes = append(rec.Volumes, triage.Volume{Letter: v.Letter, Source: v.Dir})
		}
	}
	if err := c.writeStart(rec); err != nil {
		return err
	}
	items, dirs, notes := c.plan(ctx, s, res)
	rec.Notes = append(rec.Notes, notes...)
	c.writeDirs(s, dirs)
	rec.Counts.Folders = len(dirs)
	entries, interrupted := c.take(ctx, s, items)
	if interrupted {
		rec.Interrupted = "stopped before every file was taken (" + context.Cause(ctx).Error() + ")"
	} else if res.Verdict.Interrupted {
		interrupted = true
		rec.Interrupted = "the scan was stopped before it had looked at everything, so the files it did not reach were not chosen"
	}
	rec.Scan = &triage.ScanSummary{Verdict: string(res.Verdict.Level), Findings: len(res.Findings)}
	taken := map[string]bool{}
	for _, e := range entries {
		if e.Status == triage.Collected || e.Status == triage.Partial {
			taken[e.Path] = true
		}
	}
	for _, it := range items {
		// A file the scan could not read shares the rank (it is as
		// telling) but is no finding.
		if it.rank == rankFlagged && it.scanErr == "" {
			rec.Scan.Flagged++
			if !taken[it.path] {
				rec.Scan.FlaggedNotTaken++
			}
		}
	}
	if n := rec.Scan.FlaggedNotTaken; n > 0 {
		rec.Notes = append(rec.Notes, fmt.Sprintf("%d file(s) the scan flagged are not in the archive (see the manifest): a scan of the archive will not show their findings", n))
	}
	if err := c.finish(rec, entries, !interrupted); err != nil {
		return err
	}
	c.record = rec
	return nil
}

// plan lists the files and folders to take.
func (c *collector) plan(ctx context.Context, s *facts.Server, res *result.Server) ([]*item, []string, []string) {
	var notes []string
	byName := map[string]*item{}
	add := func(name string, r rank) {
		if it, ok := byName[name]; ok {
			it.rank = min(it.rank, r)
			return
		}
		byName[name] = &item{name: name, rank: r}
	}
	c.log.mu.Lock()
	for n := range c.log.files {
		add(n, rankOther)
	}
	dirs := make([]string, 0, len(c.log.dirs))
	for d := range c.log.dirs {
		dirs = append(dirs, d)
	}
	c.log.mu.Unlock()

	// What the scan could not read goes into the manifest as failed, so
	// that a scan of the archive knows the same evidence was out of reach.
	for _, e := range res.Errors {
		if e.Path == "" || e.Path == "." {
			continue
		}
		name := s.Drives.Name(e.Volume, e.Path)
		if _, ok := byName[name]; ok {
			continue
		}
		byName[name] = &item{name: name, rank: rankFlagged, scanErr: e.Error}
	}
	// What the scan flagged: the files its findings name, and the logs
	// whose lines they cite.
	for _, f := range res.Findings {
		if f.Path == "" || f.Path == "." {
			continue
		}
		if f.Line != 0 {
			name := s.Drives.Name(f.Volume, f.Path)
			if _, ok := byName[name]; ok && !f.Context {
				add(name, rankEvidence)
			}
			continue
		}
		name := s.Drives.Name(f.Volume, f.Path)
		if st, err := fs.Stat(s.Drives, name); err == nil && st.Mode().IsRegular() {
			add(name, rankFlagged)
		}
	}
	// The server's identity and configuration: the hives with their
	// transaction logs (a hive is read with them), Exchange's build, IIS's
	// configuration.
	for _, hive := range []string{"SYSTEM", "SOFTWARE", "SAM", "SECURITY"} {
		for _, suffix := range []string{"", ".LOG1", ".LOG2"} {
			if n, err := s.Resolver.Resolve("Windows/System32/config/" + hive + suffix); err == nil {
				add(n, rankIdentity)
			}
		}
	}
	if n, ok := s.ExSetupPath(); ok {
		add(n, rankIdentity)
	}
	if d, ok := s.Resolver.ResolveDir("Windows/System32/inetsrv/config"); ok {
		c.walkFiles(ctx, s, d, func(n string) { add(n, rankIdentity) })
	}
	// Every event log, not only the channels the checks read: the
	// responders read the rest.
	for _, d := range s.EventLogDirs {
		entries, err := fs.ReadDir(s.Drives, d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.Type().IsRegular() && strings.EqualFold(path.Ext(e.Name()), ".evtx") {
				add(path.Join(d, e.Name()), rankEventLog)
			}
		}
	}
	for _, d := range s.CompiledFolders {
		c.walkFiles(ctx, s, d, func(n string) { add(n, rankCompiled) })
	}
	if s.Live {
		notes = append(notes, c.planLive(s, byName)...)
	}

	logDirs := append([]string{}, s.IISLogDirs...)
	if s.LoggingDir != "" {
		logDirs = append(logDirs, s.LoggingDir)
	}
	// On a running server the archive may lie in a place the scan
	// walked: it is never taken into itself.
	var self fs.FileInfo
	if s.Live {
		self, _ = os.Stat(c.opt.Out)
	}
	items := make([]*item, 0, len(byName))
	for _, it := range byName {
		if self != nil {
			if st, err := os.Stat(s.WindowsPath(it.name)); err == nil && os.SameFile(st, self) {
				continue
			}
		}
		it.path = archivePath(s, it.name)
		it.original = s.WindowsPath(it.name)
		st, err := fs.Stat(s.Drives, it.name)
		unread := func(err error) *triage.Entry {
			note := err.Error()
			if it.scanErr != "" {
				note = "the scan could not read it: " + it.scanErr
			}
			return &triage.Entry{Status: triage.Failed, Size: -1, Note: note}
		}
		switch {
		case it.entry != nil:
		case err != nil && it.fallback == nil:
			it.entry = unread(err)
		case err != nil:
			// The collection's own way (an export) may read it.
		case !st.Mode().IsRegular() && it.scanErr != "":
			it.entry = unread(errors.New(it.scanErr)) // a folder out of reach
		case !st.Mode().IsRegular():
			continue // a folder the scan opened
		default:
			it.size, it.mod, it.info = st.Size(), st.ModTime(), st
		}
		if !strings.EqualFold(path.Ext(it.name), ".evtx") && underAny(it.name, logDirs) {
			// --since applies to every log, those the findings cite
			// included: the user chose the date.
			it.log = true
			if it.rank == rankOther {
				it.rank = rankLog
			}
		}
		if it.rank == rankEventLog || strings.EqualFold(path.Ext(it.name), ".evtx") {
			it.rank = min(it.rank, rankEventLog)
		}
		items = append(items, it)
	}
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		if a.rank == rankLog {
			// The attack window's logs first, oldest first (the first
			// attempts); the rest newest first.
			aIn, bIn := c.inWindow(a.mod), c.inWindow(b.mod)
			switch {
			case aIn != bIn:
				return aIn
			case aIn && !a.mod.Equal(b.mod):
				return a.mod.Before(b.mod)
			case !a.mod.Equal(b.mod):
				return a.mod.After(b.mod)
			}
		}
		return a.path < b.path
	})
	c.limit(items)
	sort.Strings(dirs)
	return items, dirs, notes
}

// inWindow reports whether a log last written at mod may hold lines of
// the attack window: written after it began, and not long after it ended.
func (c *collector) inWindow(mod time.Time) bool {
	w := c.opt.Scan.Window
	if w.From.IsZero() && w.To.IsZero() {
		w = scan.DefaultWindow
	}
	return !mod.Before(w.From) && (w.To.IsZero() || mod.Before(w.To.Add(48*time.Hour)))
}

// limit marks what --since and the size limits leave out.
func (c *collector) limit(items []*item) {
	var total int64
	defer func() {
		// Every row says what is known of the file, taken or not.
		for _, it := range items {
			if it.entry != nil && it.entry.Modified.IsZero() && !it.mod.IsZero() {
				it.entry.Modified = it.mod.UTC()
				if it.info != nil {
					it.entry.Created, it.entry.Accessed, it.entry.Changed = fileTimes(it.info)
				}
			}
		}
	}()
	for _, it := range items {
		if it.entry != nil {
			continue
		}
		switch {
		case it.log && !c.opt.Since.IsZero() && it.mod.Before(c.opt.Since):
			it.entry = &triage.Entry{Status: triage.Skipped, Size: it.size, Note: reasonSince}
		case c.opt.MaxFileSize > 0 && it.size > c.opt.MaxFileSize:
			it.entry = &triage.Entry{Status: triage.Skipped, Size: it.size, Note: reasonFileSize}
		case c.opt.MaxTotalSize > 0 && total+it.size > c.opt.MaxTotalSize:
			it.entry = &triage.Entry{Status: triage.Skipped, Size: it.size, Note: reasonTotalSize}
		default:
			total += it.size
		}
	}
}

// Reasons for leaving a file out, as the manifest and record say them.
const (
	reasonSince     = "log last written before --since"
	reasonFileSize  = "larger than --max-file-size"
	reasonTotalSize = "beyond --max-total-size (files are taken in order: flagged, logs cited by findings, identity and configuration, event logs, web folders, logs of the attack window, other logs newest first, compiled pages)"
	reasonStopped   = "not taken: the collection was interrupted"
)

func (c *collector) walkFiles(ctx context.Context, s *facts.Server, dir string, fn func(string)) {
	s.Drives.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return fs.SkipAll
		}
		if err == nil && d.Type().IsRegular() {
			fn(p)
		}
		return nil
	})
}

// underAny reports whether name lies in one of dirs (names ignore case,
// as Windows does).
func underAny(name string, dirs []string) bool {
	low := strings.ToLower(name)
	for _, d := range dirs {
		ld := strings.ToLower(d)
		if ld == "." || strings.HasPrefix(low, ld+"/") {
			return true
		}
	}
	return false
}

// archivePath is where a name of root.Drives lies in the archive: under
// its drive letter, at its path on that drive as the server has it, so a
// copy of part of a drive (a Program Files folder, the V15 folder) is laid
// out as the drive was.
func archivePath(s *facts.Server, name string) string {
	w := s.WindowsPath(name)
	if len(w) >= 2 && w[1] == ':' && isLetter(w[0]) {
		rest := strings.Trim(strings.ReplaceAll(w[2:], `\`, "/"), "/")
		if rest == "" {
			return string(w[0] &^ 0x20)
		}
		return string(w[0]&^0x20) + "/" + rest
	}
	if l, rest, ok := root.SplitVolume(name); ok {
		return string(l) + "/" + rest
	}
	return string(s.Drives.SystemLetter) + "/" + name
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// writeDirs adds the folders the scan listed, so the archive has the
// copy's layout even where a folder is empty.
func (c *collector) writeDirs(s *facts.Server, dirs []string) {
	for _, d := range dirs {
		h := &zip.FileHeader{Name: archivePath(s, d) + "/", Method: zip.Store}
		if st, err := fs.Stat(s.Drives, d); err == nil {
			created, accessed, _ := fileTimes(st)
			setTimes(h, st.ModTime(), accessed, created)
		}
		h.SetMode(fs.ModeDir | 0o755)
		c.zw.CreateHeader(h)
	}
}

// take reads the items on every core and writes them into the archive as
// they are ready. It returns the manifest's entries and whether the
// context stopped it.
func (c *collector) take(ctx context.Context, s *facts.Server, items []*item) ([]triage.Entry, bool) {
	spoolDir := filepath.Dir(c.opt.Out)
	jobs := make(chan *item)
	results := make(chan *taken, c.opt.Workers)
	var wg sync.WaitGroup
	for range c.opt.Workers {
		wg.Go(func() {
			r := newReader(spoolDir)
			for it := range jobs {
				results <- r.take(ctx, s, it)
			}
		})
	}
	var stopped []*item
	go func() {
		for i, it := range items {
			if it.entry != nil {
				results <- &taken{item: it, entry: *it.entry}
				continue
			}
			if ctx.Err() != nil {
				stopped = items[i:]
				break
			}
			select {
			case jobs <- it:
			case <-ctx.Done():
				stopped = items[i:]
			}
			if stopped != nil {
				break
			}
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()
	var entries []triage.Entry
	progress := newProgress(c.opt.Progress, items)
	for t := range results {
		e := t.entry
		e.Path, e.Original = t.item.path, t.item.original
		if t.data != nil {
			if err := c.writeEntry(t); err != nil {
				e.Status, e.SHA256, e.Note = triage.Failed, "", "writing the archive: "+err.Error()
			}
			t.data.release()
		}
		entries = append(entries, e)
		progress.done(e)
		if c.opt.afterEntry != nil {
			c.opt.afterEntry(e)
		}
	}
	progress.end()
	for _, it := range stopped {
		if it.entry != nil {
			e := *it.entry
			e.Path, e.Original = it.path, it.original
			entries = append(entries, e)
			continue
		}
		entries = append(entries, triage.Entry{Path: it.path, Original: it.original, Status: triage.Skipped, Size: it.size,
			Modified: it.mod, Note: reasonStopped})
	}
	return entries, stopped != nil || ctx.Err() != nil
}

func (c *collector) writeEntry(t *taken) error {
	w, err := c.zw.CreateRaw(t.header)
	if err != nil {
		return err
	}
	r, err := t.data.reader()
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

// finish writes the manifest, the hash list and the record, and closes
// the archive.
func (c *collector) finish(rec *triage.Record, entries []triage.Entry, complete bool) error {
	slices.SortFunc(entries, func(a, b triage.Entry) int { return strings.Compare(a.Path, b.Path) })
	skipped := map[string]*triage.SkipSummary{}
	for _, e := range entries {
		switch e.Status {
		case triage.Collected:
			rec.Counts.Files++
			rec.Counts.Bytes += e.Size
		case triage.Partial:
			rec.Counts.Partial++
			rec.Counts.Bytes += e.Size
		case triage.Skipped:
			rec.Counts.Skipped++
			rec.Counts.SkippedBytes += max(e.Size, 0)
			s := skipped[e.Note]
			if s == nil {
				s = &triage.SkipSummary{Reason: e.Note}
				skipped[e.Note] = s
			}
			s.Files++
			s.Bytes += max(e.Size, 0)
		case triage.Failed:
			rec.Counts.Failed++
		}
	}
	for _, s := range skipped {
		rec.Skipped = append(rec.Skipped, *s)
	}
	slices.SortFunc(rec.Skipped, func(a, b triage.SkipSummary) int { return strings.Compare(a.Reason, b.Reason) })

	now := time.Now().UTC()
	mh := sha256.New()
	w, err := c.zw.CreateHeader(ownFile(triage.ManifestName, now))
	if err != nil {
		return err
	}
	mw, err := triage.NewManifestWriter(io.MultiWriter(w, mh))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := mw.Write(e); err != nil {
			return err
		}
	}
	if err := mw.Flush(); err != nil {
		return err
	}
	rec.ManifestSHA256 = hex.EncodeToString(mh.Sum(nil))
	if w, err = c.zw.CreateHeader(ownFile(triage.HashListName, now)); err != nil {
		return err
	}
	hw := bufio.NewWriter(w)
	for _, e := range entries {
		if e.SHA256 != "" && (e.Status == triage.Collected || e.Status == triage.Partial) {
			hw.WriteString(triage.HashLine(e.SHA256, e.Path))
		}
	}
	if err := hw.Flush(); err != nil {
		return err
	}
	rec.Complete = complete
	rec.Ended = time.Now().UTC()
	if w, err = c.zw.CreateHeader(ownFile(triage.RecordName, now)); err != nil {
		return err
	}
	if err := triage.WriteRecord(w, rec); err != nil {
		return err
	}
	if err := c.zw.Close(); err != nil {
		return err
	}
	if err := c.buf.Flush(); err != nil {
		return err
	}
	if c.own == nil {
		return nil
	}
	if err := c.own.Sync(); err != nil {
		return err
	}
	return c.own.Close()
}

// writeStart writes the record as it stands at the start, saying it is
// incomplete, as the archive's first file.
func (c *collector) writeStart(rec *triage.Record) error {
	start := *rec
	start.Interrupted = "this is the record of the start; the collection's own record (" + triage.RecordName + ") is written when it ends"
	w, err := c.zw.CreateHeader(ownFile(triage.StartName, time.Now().UTC()))
	if err != nil {
		return err
	}
	return triage.WriteRecord(w, &start)
}

// ownFile is the header of a file the collector writes itself.
func ownFile(name string, at time.Time) *zip.FileHeader {
	h := &zip.FileHeader{Name: name, Method: zip.Deflate}
	setTimes(h, at, time.Time{}, time.Time{})
	return h
}
