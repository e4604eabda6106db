// Package triage defines a triage collection: the layout, the manifest and
// the collection record shared by everything that makes one (`exhunt
// collect`, the PowerShell script of `exhunt collect --script`) and
// everything that reads one (`exhunt scan --root` on an archive or folder).
//
// A collection is laid out like a copy of the server's drives, one folder
// per drive letter ("C/Program Files/Microsoft/Exchange Server/V15/…",
// "D/…"), so the scan reads it as it reads any copy. Beside the drive
// folders lie three files of the collector's own:
//
//   - manifest.csv: one row per file the collector meant to take, with
//     its original path, size, SHA-256, times, how it was read and what
//     went wrong;
//   - manifest.sha256: the collected files' hashes in sha256sum's format,
//     so `sha256sum -c` verifies an extracted copy with no exhunt at hand;
//   - collection.json: who collected what, when, with which tool and
//     limits, written last: a collection without it, or whose record does
//     not say complete, was interrupted.
//
// CSV for the manifest because the collection script must write it with
// Windows PowerShell 2.0 (Export-Csv, no JSON) and responders open it in a
// spreadsheet; every cell that holds an attacker-chosen name begins with a
// drive letter, so no cell can start a formula.
package triage

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Names of the collector's own files at the top of a collection.
const (
	ManifestName = "manifest.csv"
	HashListName = "manifest.sha256"
	RecordName   = "collection.json"
	// StartName is written first: a collection that holds it but not
	// RecordName was cut short, even when a repair tool made the zip
	// readable again.
	StartName = "collection-started.json"
)

// Format is the record's format name; FormatVersion changes when a reader
// of the old layout would misread the new one.
const (
	Format        = "exhunt-triage"
	FormatVersion = 1
)

// Status says what became of one file of the manifest.
type Status string

const (
	// Collected: the whole file is in the collection and its hash is of
	// what was read.
	Collected Status = "collected"
	// Partial: reading stopped at an error; the bytes before it are kept,
	// the hash and size are of those bytes.
	Partial Status = "partial"
	// Skipped: left out on purpose (a size limit, --since), see Note.
	Skipped Status = "skipped"
	// Failed: it could not be read at all, see Note.
	Failed Status = "failed"
)

// Method says how a file was read, for the record of custody.
type Method string

const (
	// MethodRead: opened read-only and copied.
	MethodRead Method = "read"
	// MethodBackup: opened with backup semantics (Windows), which reads
	// files the system holds open.
	MethodBackup Method = "backup"
	// MethodEventLogExport: exported by the event log service (what
	// `wevtutil epl` does), since the service holds the file.
	MethodEventLogExport Method = "evtlog-export"
	// MethodRegistrySave: saved by the registry (what `reg save` does),
	// since the system holds its hives.
	MethodRegistrySave Method = "reg-save"
	// MethodRobocopy: copied by robocopy in backup mode (the script).
	MethodRobocopy Method = "robocopy"
)

// Entry is one row of the manifest.
type Entry struct {
	// Path is where the file lies in the collection: a drive letter, then
	// the path on that drive, forward slashes ("C/Windows/…").
	Path string
	// Original is the path on the server ("C:\Windows\…").
	Original string
	Status   Status
	Method   Method
	// Size is the number of bytes collected (for Skipped and Failed: the
	// size of the source, when known).
	Size int64
	// SHA256 is the hash of the collected bytes, lower-case hex; empty
	// when nothing was collected.
	SHA256 string
	// Times of the source file; zero when unknown. Changed is the
	// metadata change time (Unix ctime), which Windows does not keep.
	Modified, Created, Accessed, Changed time.Time
	// Note says why a file was skipped or failed, or what went wrong.
	Note string
}

// ManifestHeader is the manifest's first row.
var ManifestHeader = []string{"path", "original", "status", "method", "size", "sha256", "modified", "created", "accessed", "changed", "note"}

// TimeLayout is how the manifest writes times: UTC with the 100 ns
// resolution of NTFS, so a time round-trips through Windows unchanged.
const TimeLayout = "2006-01-02T15:04:05.0000000Z"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}

// ManifestWriter writes manifest rows as they come.
type ManifestWriter struct {
	cw *csv.Writer
}

// NewManifestWriter writes the header and returns a writer for the rows.
func NewManifestWriter(w io.Writer) (*ManifestWriter, error) {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // read on Windows as often as anywhere
	if err := cw.Write(ManifestHeader); err != nil {
		return nil, err
	}
	return &ManifestWriter{cw: cw}, nil
}

// Write adds one row.
func (m *ManifestWriter) Write(e Entry) error {
	size := ""
	if e.Size >= 0 {
		size = strconv.FormatInt(e.Size, 10)
	}
	return m.cw.Write([]string{e.Path, e.Original, string(e.Status), string(e.Method), size, e.SHA256,
		formatTime(e.Modified), formatTime(e.Created), formatTime(e.Accessed), formatTime(e.Changed), e.Note})
}

// Flush writes what is buffered and reports the first error.
func (m *ManifestWriter) Flush() error {
	m.cw.Flush()
	return m.cw.Error()
}

// ErrManifest marks a manifest that cannot be read as one.
var ErrManifest = errors.New("not an exhunt manifest")

// maxManifestRows bounds what a hostile manifest can make a reader hold: a
// real collection has tens of thousands of files.
const maxManifestRows = 4 << 20

// maxManifestRow bounds one row of a manifest: two paths of Windows'
// longest (32,767 characters, 3 bytes each in UTF-8), a note and the rest.
// The CSV reader holds a whole row, so a hostile row of gigabytes would
// otherwise be held whole.
const maxManifestRow = 256 << 10

// errRowTooLong stops a manifest whose row is longer than any real one.
var errRowTooLong = fmt.Errorf("a row longer than %d bytes", maxManifestRow)

// rowLimiter fails a read once a CSV row (up to a line end outside quotes)
// grows beyond max bytes.
type rowLimiter struct {
	r        io.Reader
	max, row int
	quoted   bool
}

func (l *rowLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		switch {
		case c == '"':
			l.quoted = !l.quoted
		case c == '\n' && !l.quoted:
			l.row = 0
			continue
		}
		if l.row++; l.row > l.max {
			return 0, errRowTooLong
		}
	}
	return n, err
}

// IsManifest reports whether r starts with a manifest's header row, as
// exhunt collect writes it or as the collection script does (every field
// quoted): a manifest.csv of other content is not one.
func IsManifest(r io.Reader) bool {
	cr := csv.NewReader(&rowLimiter{r: r, max: maxManifestRow})
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return false
	}
	_, err = manifestColumns(head)
	return err == nil
}

// manifestColumns finds the columns of a manifest by their names in its
// header row (a byte order mark and case set aside).
func manifestColumns(head []string) (map[string]int, error) {
	col := map[string]int{}
	for i, name := range head {
		col[strings.TrimPrefix(strings.ToLower(strings.TrimSpace(name)), "\ufeff")] = i
	}
	for _, need := range []string{"path", "status", "size", "sha256"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%w: no %q column", ErrManifest, need)
		}
	}
	return col, nil
}

// ReadManifest reads a manifest, calling fn for every row. Columns are
// found by name, so a manifest with more columns (a later version) reads.
// A row that does not parse stops the reading with an error naming it.
func ReadManifest(r io.Reader, fn func(Entry) error) error {
	cr := csv.NewReader(&rowLimiter{r: r, max: maxManifestRow})
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrManifest, err)
	}
	col, err := manifestColumns(head)
	if err != nil {
		return err
	}
	get := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return rec[i]
	}
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("manifest row %d: %w", row, err)
		}
		if row > maxManifestRows {
			return fmt.Errorf("manifest row %d: more than %d rows", row, maxManifestRows)
		}
		e := Entry{Path: get(rec, "path"), Original: get(rec, "original"), Status: Status(get(rec, "status")),
			Method: Method(get(rec, "method")), SHA256: strings.ToLower(get(rec, "sha256")), Note: get(rec, "note"), Size: -1}
		if s := get(rec, "size"); s != "" {
			if e.Size, err = strconv.ParseInt(s, 10, 64); err != nil || e.Size < 0 {
				return fmt.Errorf("manifest row %d: size %q is not a byte count", row, s)
			}
		}
		for _, t := range []struct {
			name string
			to   *time.Time
		}{{"modified", &e.Modified}, {"created", &e.Created}, {"accessed", &e.Accessed}, {"changed", &e.Changed}} {
			s := get(rec, t.name)
			if s == "" {
				continue
			}
			v, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return fmt.Errorf("manifest row %d: %s time %q: %w", row, t.name, s, err)
			}
			*t.to = v.UTC()
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

// HashLine is one line of manifest.sha256 for a collected file, in the
// format `sha256sum -c` reads: the hash, two spaces, the path. A path
// holding a backslash or a newline is written the way GNU sha256sum
// escapes it (a leading backslash and \\, \n), which it reads back.
func HashLine(sum, path string) string {
	if strings.ContainsAny(path, "\\\n\r") {
		r := strings.NewReplacer("\\", "\\\\", "\n", "\\n", "\r", "\\r")
		return "\\" + sum + "  " + r.Replace(path) + "\n"
	}
	return sum + "  " + path + "\n"
}
