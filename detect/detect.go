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
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/indicators"
)

// LogFamily is a family of logs one source reads: the Exchange logs under
// V15\Logging, the IIS W3C logs.
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
	// IIS is the W3C logs of the server's IIS sites (W3SVC1 the front
	// end, W3SVC2 Exchange's back end): every request IIS answered.
	IIS LogFamily = "IIS"
	// EventLog is the Windows event logs (System32\winevt\Logs\*.evtx):
	// Application (Unified Messaging errors), Security and Sysmon (process
	// creation, file writes), System, MSExchange Management (the cmdlet
	// audit), Defender. A record's Folder is its channel.
	EventLog LogFamily = "EventLog"
)

// Event is what an event log record offers besides its data by name
// (RecordFields.Get); its RecordFields implement it.
type Event interface {
	RecordID() uint64
	EventID() uint32
	Provider() string
	Channel() string
	Computer() string
	// Level is 1 critical, 2 error, 3 warning, 4 information, 0 and 5
	// otherwise.
	Level() uint8
	// Values are the data values in order, array values spread out (the
	// cmdlet audit logs its fields as one array).
	Values() []string
}

// EventOf returns the event behind a record of the EventLog family.
func EventOf(rec *LogRecord) (Event, bool) {
	e, ok := rec.RecordFields.(Event)
	return e, ok
}

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
	// Served are the planted files the file checks found where IIS serves
	// them, for the log checks; nil when no file check ran.
	Served *ServedFiles
	// Indicators are the built-in indicators with the user's (--ioc)
	// merged in; nil when none are loaded.
	Indicators *indicators.Set
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

// RecordFields are the named fields of one log record, whatever the log's
// format (Exchange CSV, IIS W3C).
type RecordFields interface {
	// Get returns the named field ("" when the field list in force lacks
	// it or the record is short).
	Get(name string) string
	// Has reports whether the field list in force names the field.
	Has(name string) bool
	// Field returns the i-th field in log order, NumFields how many the
	// record has.
	Field(i int) string
	NumFields() int
	// Time is the record's timestamp, when it has one.
	Time() (time.Time, bool)
}

// LogRecord is a record of a log with where it came from. It is valid only
// during the Inspect call it is given to.
type LogRecord struct {
	RecordFields
	// Path is the file, relative to the root, forward slashes.
	Path string
	// Folder is the log's sub-folder within its family (the protocol for
	// HttpProxy: "Ecp", "Owa", ...; the site for IIS: "W3SVC1"), "" when
	// there is none.
	Folder string
	// Line is the 1-based physical line the record starts on; for an
	// event log, the event's record id.
	Line int
	// Raw is the record's text without its line ending.
	Raw []byte
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

// Unplaced is a FileDetector that can say better than its Needs why it had
// no place to look at on a server (a missing input of the user's, not of
// the copy).
type Unplaced interface {
	WhyNotPlaced(ctx *Context) string
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

// ErrTooLarge is returned by File.Sums for files over MaxHashBytes, and by
// File.Content for files over the content limit.
var ErrTooLarge = errors.New("file too large")

// Sums are a file's digests, lower-case hex, as hash indicator lists give
// them.
type Sums struct {
	MD5, SHA1, SHA256 string
}

// ContentWanter is a FileDetector that reads files' content (not just their
// names and hashes): the scan keeps files up to ContentLimit bytes in
// memory after the one read that also hashes them.
type ContentWanter interface {
	ContentLimit() int64
}

// File is a regular file met while walking the places. Its content is read
// at most once, however many detectors ask for its hashes or content.
type File struct {
	// Path is relative to the root, forward slashes, as on disk.
	Path string
	Info fs.FileInfo
	// Depth is 1 for a file directly in the place's folder.
	Depth int
	fsys  fs.FS
	// keep is the size up to which the content stays in memory after the
	// read, for content checks; 0 keeps nothing.
	keep int64

	once    sync.Once
	read    bool
	data    []byte
	sums    Sums
	err     error
	changed string

	memoMu   sync.Mutex
	memo     map[any]any
	problems []error
}

// AddProblem records a problem met while checking the file (content not
// checked, a rule that gave up); the scan lists it among the errors.
func (f *File) AddProblem(err error) {
	f.memoMu.Lock()
	defer f.memoMu.Unlock()
	for _, e := range f.problems {
		if e.Error() == err.Error() {
			return // several checks may meet the same problem
		}
	}
	f.problems = append(f.problems, err)
}

// Problems are the problems met with the file: the read error (see
// readError) and those the checks recorded.
func (f *File) Problems() []error {
	f.memoMu.Lock()
	defer f.memoMu.Unlock()
	var out []error
	if err := f.readError(); err != nil {
		out = append(out, err)
	}
	return append(out, f.problems...)
}

// readError is the error met while reading the file, when a detector asked
// for its hashes or content and the file could not be read, or changed
// while being read; files too large to read are not an error.
func (f *File) readError() error {
	if !f.read {
		return nil
	}
	if f.err != nil && !errors.Is(f.err, ErrTooLarge) {
		return f.err
	}
	if f.changed != "" {
		return errors.New(f.changed)
	}
	return nil
}

// NewFile describes a file of fsys.
func NewFile(fsys fs.FS, path string, info fs.FileInfo, depth int) *File {
	return &File{Path: path, Info: info, Depth: depth, fsys: fsys}
}

// NewContentFile is NewFile for a file whose content detectors will read:
// up to keep bytes, it stays in memory after its one read.
func NewContentFile(fsys fs.FS, path string, info fs.FileInfo, depth int, keep int64) *File {
	return &File{Path: path, Info: info, Depth: depth, fsys: fsys, keep: keep}
}

// copyBuffers are the read buffers of hashing: a drop place can hold
// hundreds of thousands of small files, and a new buffer for each would
// keep the garbage collector busy and the memory high.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// load reads the file once: it hashes every byte and keeps the content
// when the file is small enough for content checks.
func (f *File) load() {
	f.once.Do(func() {
		f.read = true
		size := f.Info.Size()
		if size > MaxHashBytes && size > f.keep {
			f.err = fmt.Errorf("%w to hash (%d bytes, limit %d)", ErrTooLarge, size, MaxHashBytes)
			return
		}
		r, err := f.fsys.Open(f.Path)
		if err != nil {
			f.err = err
			return
		}
		defer r.Close()
		hm, h1, h256 := md5.New(), sha1.New(), sha256.New()
		w := io.MultiWriter(hm, h1, h256)
		var n int64
		if size <= f.keep {
			// One byte more than listed shows a file that grew.
			data, err := io.ReadAll(io.LimitReader(r, f.keep+1))
			if err != nil {
				f.err = err
				return
			}
			if int64(len(data)) > f.keep {
				data = data[:f.keep]
				f.changed = fmt.Sprintf("grew while being read (listed with %d bytes); only its first %d bytes were checked", size, f.keep)
			}
			w.Write(data)
			f.data, n = data, int64(len(data))
		} else {
			buf := copyBuffers.Get().(*[]byte)
			defer copyBuffers.Put(buf)
			n, err = io.CopyBuffer(w, io.LimitReader(r, MaxHashBytes+1), *buf)
			if err != nil {
				f.err = err
				return
			}
			if n > MaxHashBytes {
				f.err = fmt.Errorf("%w to hash (grew past %d bytes while being read)", ErrTooLarge, MaxHashBytes)
				return
			}
		}
		if f.changed == "" && n != size {
			f.changed = fmt.Sprintf("changed while being read: listed with %d bytes, %d read; its hashes are of what was read", size, n)
		}
		f.sums = Sums{hex.EncodeToString(hm.Sum(nil)), hex.EncodeToString(h1.Sum(nil)), hex.EncodeToString(h256.Sum(nil))}
	})
}

// Sums returns the file's digests, computed in the same read as its
// content.
func (f *File) Sums() (Sums, error) {
	f.load()
	if f.err != nil {
		return Sums{}, f.err
	}
	return f.sums, nil
}

// SHA256 returns the file's lower-case hex SHA-256.
func (f *File) SHA256() (string, error) {
	s, err := f.Sums()
	return s.SHA256, err
}

// Content returns the file's bytes when the file was created for content
// checks and is within their size limit; ErrTooLarge otherwise.
func (f *File) Content() ([]byte, error) {
	if f.Info.Size() > f.keep {
		return nil, fmt.Errorf("%w for content checks (%d bytes, limit %d)", ErrTooLarge, f.Info.Size(), f.keep)
	}
	f.load()
	if f.err != nil {
		return nil, f.err
	}
	return f.data, nil
}

// Memo returns the value computed by fn for key on this file, computing it
// on first use: detectors that share work on a file (the content rules'
// matches) do it once.
func (f *File) Memo(key any, fn func() any) any {
	f.memoMu.Lock()
	defer f.memoMu.Unlock()
	if v, ok := f.memo[key]; ok {
		return v
	}
	if f.memo == nil {
		f.memo = map[any]any{}
	}
	v := fn()
	f.memo[key] = v
	return v
}

// Open opens the file for a detector that streams it (logs of any size).
func (f *File) Open() (fs.File, error) { return f.fsys.Open(f.Path) }

// ReadSmall returns the content of a file up to limit bytes; larger files
// are an error.
func (f *File) ReadSmall(limit int64) ([]byte, error) {
	if f.Info.Size() <= f.keep && f.Info.Size() <= limit {
		return f.Content()
	}
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

// ServedFiles are the files the scan found to be web shells (or other
// planted files) where IIS serves them, by the URL path a request for
// them names, so that the log checks can tell a request that used a shell
// found on disk. The file checks run before the logs are read.
type ServedFiles struct {
	mu    sync.RWMutex
	files map[string]ServedFile
}

// ServedFile is a planted file a request can name.
type ServedFile struct {
	// Path is the file, relative to the root; Rule the rule that found it.
	Path, Rule string
}

// maxServedFiles bounds the table: a hostile copy can hold millions of
// script files, and the first ones are the story.
const maxServedFiles = 100000

// Add records a planted file served under urlPath.
func (s *ServedFiles) Add(urlPath string, f ServedFile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files == nil {
		s.files = map[string]ServedFile{}
	}
	k := strings.ToLower(urlPath)
	if _, ok := s.files[k]; !ok && len(s.files) < maxServedFiles {
		s.files[k] = f
	}
}

// Lookup finds the planted file a request's URL path names, ignoring case
// as IIS does.
func (s *ServedFiles) Lookup(urlPath string) (ServedFile, bool) {
	if s == nil {
		return ServedFile{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.files[strings.ToLower(urlPath)]
	return f, ok
}

// Len is the number of files recorded.
func (s *ServedFiles) Len() int {
	if s == nil {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.files)
}

// URLPaths lists the URL paths recorded, sorted.
func (s *ServedFiles) URLPaths() []string {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.files))
	for k := range s.files {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ContextLiterals is a LogDetector whose literals depend on what the scan
// found before the logs were read (the URL paths of shells found on disk).
type ContextLiterals interface {
	LiteralsFor(ctx *Context) []string
}

// ClientWatcher is a LogDetector that wants every record of some client
// addresses (indicator addresses, an attacker's), which a literal search
// cannot select at speed: the reader looks up each record's client field
// with the function it returns (nil: none wanted). The function is called
// from many workers at once and must not keep its argument.
type ClientWatcher interface {
	WatchClients(ctx *Context) func(addr []byte) bool
}

// RepeatedAddresses wraps an address test for a log's client field so
// that an address needing a parse (IPv6, zone ids, ports) is parsed once
// while it repeats: a back end's log names the same front-end address on
// every line. Plain IPv4 text is tested directly, which costs less than
// the cache. The result is safe for concurrent use.
func RepeatedAddresses(test func(addr []byte) bool) func(addr []byte) bool {
	type answer struct {
		addr string
		ok   bool
	}
	var last atomic.Pointer[answer]
	return func(addr []byte) bool {
		if bytes.IndexByte(addr, ':') < 0 && bytes.IndexByte(addr, '%') < 0 {
			return test(addr)
		}
		if a := last.Load(); a != nil && a.addr == string(addr) {
			return a.ok
		}
		ok := test(addr)
		if len(addr) <= 64 {
			last.Store(&answer{string(addr), ok})
		}
		return ok
	}
}

// ContextPrecheck is a LogDetector whose raw-line test depends on what the
// scan knows (the indicators loaded, the shells found on disk). A nil
// test means the detector wants no line for its literals (it selects
// records by client address alone).
type ContextPrecheck interface {
	PrecheckFor(ctx *Context) func(line []byte) bool
}

// ClientHinter is a ClientWatcher that can name byte strings of which
// every client it wants holds one (a few IPv4 addresses' text): the
// readers then pass over stretches of log without any. Nil: no hints.
type ClientHinter interface {
	ClientHints(ctx *Context) [][]byte
}

// maxClientHints bounds the hints: beyond a few, searching for each
// costs more than looking at every line's client.
const maxClientHints = 4

// IPv4Hints are the texts of addresses as hints, or nil when one is not
// a plain IPv4 address (IPv6 text varies: case, zeros, zones) or there
// are too many.
func IPv4Hints(addrs []string) [][]byte {
	if len(addrs) == 0 || len(addrs) > maxClientHints {
		return nil
	}
	out := make([][]byte, 0, len(addrs))
	for _, a := range addrs {
		ip, err := netip.ParseAddr(a)
		if err != nil || !ip.Is4() || ip.String() != a {
			return nil
		}
		out = append(out, []byte(a))
	}
	return out
}
