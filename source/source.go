// Package source defines what a log source is for the scan: something that
// plans its input files from a server's facts and reads them, streaming,
// into the log detectors' records, prefiltered on raw bytes. The Exchange
// logs (source/exchange) and the IIS W3C logs (source/iis) are sources; a
// new one is one package implementing Source and one line in the
// registry's list (detect/registry.Sources).
//
// The scan drives every source the same way: it plans all of them, reads
// every file of every source in one worker pool (largest first), hands a
// file's records only to the detectors of its family and folder, and
// reports each family's coverage and the families it did not find.
package source

import (
	"context"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/source/literal"
)

// Source is one kind of log the scan reads.
type Source interface {
	// Name is what progress and reports call the source ("Exchange logs").
	Name() string
	// Families are the log families the source reads, each once.
	Families() []detect.LogFamily
	// ExchangeEvidence tells whether reading this source's files counts
	// as having examined Exchange itself (its own logs), for the verdict:
	// IIS logs alone could be any web server's.
	ExchangeEvidence() bool
	// Plan lists the files to read on a server; problem receives what
	// could not be listed.
	Plan(ctx context.Context, s *facts.Server, problem func(path, msg string)) Plan
	// NewReader makes a reader for one worker; it keeps its buffers
	// between files and is never used by two workers at once.
	NewReader() Reader
}

// Input is one file a source reads.
type Input struct {
	Family detect.LogFamily
	// Path is relative to the server's root, forward slashes.
	Path string
	// Folder is the sub-folder within the family that detectors may be
	// restricted to (an HttpProxy protocol, an IIS site "W3SVC1"), "" when
	// the copy does not tell.
	Folder string
	// Dir is the folder whose coverage the file counts for.
	Dir  string
	Size int64
	// Layout is the source's own note on how to read the file (a default
	// field list); the scan passes it back untouched.
	Layout any
	// Open, when set, opens a file that lies outside the server's copy (a
	// log given on the command line, Path then being its host path).
	Open func() (fs.File, error)
	// MixedFolders says the file's records may belong to other folders
	// than Folder (an event log of forwarded events holds every channel):
	// each record's Folder says which, and it goes to that folder's
	// detectors.
	MixedFolders bool
}

// Missing is a log family whose files were not found, with where they
// were expected and why they are not there.
type Missing struct {
	Family   detect.LogFamily
	Expected string
	Why      string
}

// Plan is what a source will read on one server.
type Plan struct {
	Inputs []Input
	// Found lists, per family, the folders that exist (their files may
	// still be none).
	Found map[detect.LogFamily][]string
	// Missing are the families with no file to read.
	Missing []Missing
}

// Selector is what the detectors of a file want from it.
type Selector struct {
	// Matcher selects the lines to parse: only lines holding one of its
	// literals. Nil means no record is wanted: the file is read for its
	// time span alone.
	Matcher *literal.Matcher
	// Precheck, when set, is a cheap test of a selected raw line before
	// it is parsed.
	Precheck func(line []byte) bool
	// Clients, when set, also selects every record whose client address
	// (the raw text of the log's client field) it accepts, whatever the
	// literals say; sources whose logs have no client field ignore it.
	Clients func(addr []byte) bool
	// ClientHints, when set, are byte strings of which every line that
	// Clients accepts holds one: a stretch of log without any is passed
	// over without looking at its lines' clients.
	ClientHints [][]byte
}

// NothingMatcher matches nothing: a source hands it to its reader for a
// file no check reads, which is still read for its time span. Readers
// clone a matcher before they search, so sharing it is safe.
var NothingMatcher = literal.NewMatcher("\x00never\x00")

// Wanted reports whether any record is wanted.
func (s Selector) Wanted() bool { return s.Matcher != nil || s.Clients != nil }

// Problem is a line (or the whole file, line 0) a reader could not use.
type Problem struct {
	Line int
	Err  string
}

// Stats are what reading one file found out about it.
type Stats struct {
	Bytes int64
	// Oldest and Newest bound the times of the file's records.
	Oldest, Newest time.Time
	Problems       []Problem
	// MoreProblems counts problems beyond those listed.
	MoreProblems int
	// Folders are the folders the records of a MixedFolders file belonged
	// to.
	Folders []string
}

// Reader reads the files of one source.
type Reader interface {
	// Read streams one file, calling fn for every record the selector
	// lets through. The record is valid only during the call.
	Read(ctx context.Context, r io.Reader, in Input, sel Selector, fn func(*detect.LogRecord)) (Stats, error)
}

// WalkFiles lists the regular files under dir whose base name keep
// accepts, in the bounded and confined way every source needs: links are
// not followed (they could loop or leave the copy), special files are not
// opened, and unreadable folders are reported and skipped. visit receives
// each file's path and size; a non-nil error from it stops the walk.
func WalkFiles(ctx context.Context, fsys fs.FS, dir string, keep func(name string) bool, problem func(path, msg string), visit func(p string, size int64) error) error {
	return root.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			problem(p, err.Error())
			if d != nil && d.IsDir() && p != dir {
				return fs.SkipDir
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.Type()&fs.ModeSymlink != 0 {
			problem(p, "symbolic link not followed")
			return nil
		}
		if d.IsDir() || !keep(path.Base(p)) {
			return nil
		}
		if !d.Type().IsRegular() {
			problem(p, "not a regular file ("+root.TypeName(d.Type())+"); not read")
			return nil
		}
		info, err := d.Info()
		if err != nil {
			problem(p, err.Error())
			return nil
		}
		return visit(p, info.Size())
	})
}

// HasExt reports whether name ends with ext, ignoring case.
func HasExt(name, ext string) bool {
	return len(name) >= len(ext) && strings.EqualFold(name[len(name)-len(ext):], ext)
}

// ContextReader stops a read when ctx is cancelled, so an interrupted scan
// does not wait for a large file to end.
type ContextReader struct {
	Ctx context.Context
	R   io.Reader
}

func (c ContextReader) Read(p []byte) (int, error) {
	if err := c.Ctx.Err(); err != nil {
		return 0, err
	}
	return c.R.Read(p)
}
