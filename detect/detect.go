// Package detect defines what a check is: a LogDetector looks at records of
// one Exchange log family, a FileDetector at files in declared places of the
// root. Each check lives in its own file under a sub-package named for the
// attack it finds (proxylogon, webshell, postexploit, ...) and is listed once
// in detect/registry.
//
// A detector declares what it needs (a log family and literals that any
// interesting line contains; folders and depths) so the scan reads every
// file once, prefilters raw bytes and hands a detector only what can matter
// to it. Detectors never format output; they emit findings.
package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"time"

	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/source/exlog"
)

// LogFamily is a family of Exchange logs under V15\Logging.
type LogFamily string

const (
	// HttpProxy is Logging\HttpProxy\<protocol>\HttpProxy_*.log: every
	// request the front end proxied, with the routing decision.
	HttpProxy LogFamily = "HttpProxy"
	// ECPServer is Logging\ECP\Server\ECPServer*.log: cmdlets run through
	// the Exchange Control Panel.
	ECPServer LogFamily = "ECP Server"
	// OABGenerator is Logging\OABGeneratorLog: offline address book
	// generation, including its file downloads.
	OABGenerator LogFamily = "OABGeneratorLog"
)

// Emit hands a finding to the scan.
type Emit func(finding.Finding)

// Context is what every detector may know about the server being scanned.
// The facts are gathered once before any detector runs; detectors read
// them and never look them up again.
type Context struct {
	Server *facts.Server
	// AttackWindow is the period in which activity is suspicious by its
	// timing alone (the 2021 campaign by default).
	AttackWindow Window
}

// Check is what a detector looks at, in words, for the verdict's list of
// checks run and not run.
type Check struct {
	// ID is stable, like rule ids.
	ID string `json:"id"`
	// Title says what is checked ("CVE-2021-26855 forged back-end
	// requests in the HttpProxy logs").
	Title string   `json:"title"`
	CVEs  []string `json:"cves,omitempty"`
	// Needs names the input the check reads, for the reason a check did
	// not run ("the HttpProxy logs").
	Needs string `json:"needs,omitempty"`
}

// Described is what every detector implements besides its checking
// method: the check it performs and the rules it may emit, for the rule
// catalogue and the verdict.
type Described interface {
	Name() string
	Check() Check
	Rules() []*finding.Rule
}

// Window is a closed time interval; a zero bound is open.
type Window struct {
	From, To time.Time
}

// Contains reports whether t lies in the window.
func (w Window) Contains(t time.Time) bool {
	if !w.From.IsZero() && t.Before(w.From) {
		return false
	}
	if !w.To.IsZero() && t.After(w.To) {
		return false
	}
	return true
}

// LogRecord is a record of an Exchange log with where it came from.
type LogRecord struct {
	*exlog.Record
	// Path is the file, relative to the root, forward slashes.
	Path string
	// Folder is the log's sub-folder within its family (the protocol for
	// HttpProxy: "Ecp", "Owa", ...), "" when there is none.
	Folder string
	// Problem records that the record could not be judged (the scan lists
	// it among the errors with the file and line).
	Problem func(line int, msg string)
}

// LogDetector checks records of one log family.
type LogDetector interface {
	// Name identifies the detector (its rules have their own ids).
	Described
	Family() LogFamily
	// Literals are ASCII strings, matched ignoring case, of which every
	// record the detector cares about contains at least one. Records
	// without any are not parsed.
	Literals() []string
	Inspect(ctx *Context, rec *LogRecord, emit Emit)
}

// Place is a folder of the server a FileDetector wants to see.
type Place = facts.Place

// FileDetector checks files in the places it names.
type FileDetector interface {
	Described
	Places(ctx *Context) []Place
	InspectFile(ctx *Context, f *File, emit Emit)
}

// ServerDetector judges the server's facts (its build, its configuration)
// once per server, before the evidence is read.
type ServerDetector interface {
	Described
	InspectServer(ctx *Context, emit Emit)
}

// MaxHashBytes bounds the files hashed: web shells and dropped tools are
// small, and hashing a 40 GB database copy would stall the scan.
const MaxHashBytes = 256 << 20

// ErrTooLarge is returned by File.SHA256 for files over MaxHashBytes.
var ErrTooLarge = errors.New("file too large to hash")

// File is a regular file met while walking the places. Its content is read
// at most once, however many detectors ask for its hash.
type File struct {
	// Path is relative to the root, forward slashes, as on disk.
	Path string
	Info fs.FileInfo
	// Depth is 1 for a file directly in the place's folder.
	Depth int
	fsys  fs.FS

	once   sync.Once
	hashed bool
	sha256 string
	err    error
}

// ReadError is the error met while hashing the file, when a detector asked
// for the hash and the file could not be read; files too large to hash are
// not an error.
func (f *File) ReadError() error {
	if !f.hashed || f.err == nil || errors.Is(f.err, ErrTooLarge) {
		return nil
	}
	return f.err
}

// NewFile describes a file of fsys.
func NewFile(fsys fs.FS, path string, info fs.FileInfo, depth int) *File {
	return &File{Path: path, Info: info, Depth: depth, fsys: fsys}
}

// copyBuffers are the read buffers of hashing: a drop place can hold
// hundreds of thousands of small files, and a new buffer for each would
// keep the garbage collector busy and the memory high.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// SHA256 returns the file's lower-case hex SHA-256.
func (f *File) SHA256() (string, error) {
	f.once.Do(func() {
		f.hashed = true
		if f.Info.Size() > MaxHashBytes {
			f.err = fmt.Errorf("%w (%d bytes)", ErrTooLarge, f.Info.Size())
			return
		}
		r, err := f.fsys.Open(f.Path)
		if err != nil {
			f.err = err
			return
		}
		defer r.Close()
		h := sha256.New()
		buf := copyBuffers.Get().(*[]byte)
		defer copyBuffers.Put(buf)
		if _, err := io.CopyBuffer(h, r, *buf); err != nil {
			f.err = err
			return
		}
		f.sha256 = hex.EncodeToString(h.Sum(nil))
	})
	return f.sha256, f.err
}

// ReadSmall returns the content of a file up to limit bytes; larger files
// are an error.
func (f *File) ReadSmall(limit int64) ([]byte, error) {
	if f.Info.Size() > limit {
		return nil, fmt.Errorf("%w (%d bytes, limit %d)", ErrTooLarge, f.Info.Size(), limit)
	}
	r, err := f.fsys.Open(f.Path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, limit))
}

// FileEvidence is the evidence every file finding carries: size, times and
// (when it could be computed) the SHA-256.
func FileEvidence(f *File, extra ...finding.Field) finding.Evidence {
	ev := finding.Evidence{
		{Name: finding.KeySize, Value: fmt.Sprint(f.Info.Size())},
		{Name: finding.KeyModified, Value: f.Info.ModTime().UTC().Format(time.RFC3339)},
	}
	if sum, err := f.SHA256(); err == nil {
		ev = append(ev, finding.Field{Name: finding.KeySHA256, Value: sum})
	}
	return append(ev, extra...)
}
