package collect

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"

	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/triage"
)

// taken is one file read and compressed, ready to be written.
type taken struct {
	item   *item
	entry  triage.Entry
	header *zip.FileHeader
	data   *spool
}

// fileReader reads files for one worker, keeping its buffers.
type fileReader struct {
	spoolDir string
	buf      []byte
	sum      hash.Hash
	crc      hash.Hash32
	deflate  *flate.Writer
}

func newReader(spoolDir string) *fileReader {
	return &fileReader{spoolDir: spoolDir, buf: make([]byte, 1<<20), sum: sha256.New(), crc: crc32.NewIEEE()}
}

// stored are extensions of files already compressed: deflate would spend
// time for nothing.
var stored = map[string]bool{".zip": true, ".7z": true, ".rar": true, ".gz": true, ".cab": true, ".png": true,
	".jpg": true, ".jpeg": true, ".gif": true, ".xz": true, ".bz2": true, ".zst": true, ".msi": true, ".msp": true}

// take reads one file: hashes, checksums and compresses it in one pass.
func (r *fileReader) take(ctx context.Context, s *facts.Server, it *item) *taken {
	t := &taken{item: it, entry: triage.Entry{Method: triage.MethodRead, Size: it.size, Modified: it.mod}}
	fail := func(status triage.Status, err error) *taken {
		t.entry.Status, t.entry.Note = status, err.Error()
		return t
	}
	f, err := s.Drives.Open(it.name)
	exported := false
	if err != nil && it.fallback != nil {
		ff, temp, method, ferr := it.fallback(ctx, r.spoolDir)
		t.entry.Method = method // the last way tried, as the note tells
		if ferr != nil {
			return fail(triage.Failed, fmt.Errorf("%v; then %s: %w", err, method, ferr))
		}
		if temp != "" {
			defer os.Remove(temp)
			exported = true
		}
		f, err = ff, nil
	}
	if err != nil {
		return fail(triage.Failed, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fail(triage.Failed, err)
	}
	if !st.Mode().IsRegular() {
		return fail(triage.Failed, fmt.Errorf("not a regular file (%s)", root.TypeName(st.Mode())))
	}
	// The times of the source, before it is read. An export is a new
	// file: the times are those of the source as the plan saw them.
	mod := st.ModTime()
	created, accessed, changed := fileTimes(st)
	if exported {
		mod, created, accessed, changed = it.mod, time.Time{}, time.Time{}, time.Time{}
		if it.info != nil {
			created, accessed, changed = fileTimes(it.info)
		}
	}
	t.entry.Modified, t.entry.Created, t.entry.Accessed, t.entry.Changed = mod.UTC(), created, accessed, changed

	method := zip.Deflate
	if stored[strings.ToLower(path.Ext(it.name))] {
		method = zip.Store
	}
	sp := &spool{dir: r.spoolDir}
	var sink io.Writer = sp
	if method == zip.Deflate {
		if r.deflate == nil {
			r.deflate, _ = flate.NewWriter(sp, flate.BestSpeed)
		} else {
			r.deflate.Reset(sp)
		}
		sink = r.deflate
	}
	r.sum.Reset()
	r.crc.Reset()
	n, rerr := copyContext(ctx, io.MultiWriter(r.sum, r.crc, sink), f, r.buf)
	if method == zip.Deflate {
		if err := r.deflate.Close(); err != nil && rerr == nil {
			rerr = err
		}
	}
	if sp.err != nil {
		sp.release()
		return fail(triage.Failed, fmt.Errorf("spooling: %w", sp.err))
	}
	t.entry.Status, t.entry.Size, t.entry.SHA256 = triage.Collected, n, hex.EncodeToString(r.sum.Sum(nil))
	if rerr != nil && ctx.Err() != nil {
		// Stopped, not damaged: the file is listed as not taken.
		sp.release()
		t.entry.Status, t.entry.SHA256, t.entry.Size, t.entry.Note = triage.Skipped, "", it.size, reasonStopped
		return t
	}
	if rerr == nil {
		// A live log written to while it was read: what was taken is
		// what was read, and the note says the file moved on.
		if after, err := f.Stat(); err == nil && (after.Size() != n || !after.ModTime().Equal(st.ModTime())) {
			t.entry.Note = fmt.Sprintf("written to while it was read: %d bytes taken, %d now", n, after.Size())
		}
	}
	if rerr != nil {
		if n == 0 {
			sp.release()
			t.entry.SHA256 = ""
			return fail(triage.Failed, rerr)
		}
		t.entry.Status, t.entry.Note = triage.Partial, fmt.Sprintf("read stopped after %d bytes: %v", n, rerr)
	}
	h := &zip.FileHeader{Name: it.path, Method: method, CRC32: r.crc.Sum32(), CompressedSize64: uint64(sp.size), UncompressedSize64: uint64(n)}
	setTimes(h, mod, accessed, created)
	h.SetMode(0o644)
	rawHeader(h)
	t.header, t.data = h, sp
	return t
}

// copyContext copies until EOF, an error or the context's end.
func copyContext(ctx context.Context, dst io.Writer, src io.Reader, buf []byte) (int64, error) {
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, err := src.Read(buf)
		if k > 0 {
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return n, werr
			}
			n += int64(k)
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// spoolInMemory is how much compressed data one file holds in memory
// before it spills to a file beside the archive. Each worker holds one
// file, the writer's queue one per worker, and the writer one: at most
// (2 × workers + 1) × this.
const spoolInMemory = 8 << 20

// spool holds one compressed file until the writer takes it.
type spool struct {
	dir  string
	mem  bytes.Buffer
	file *os.File
	size int64
	err  error
}

func (s *spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	s.size += int64(len(p))
	if s.file == nil && s.mem.Len()+len(p) <= spoolInMemory {
		return s.mem.Write(p)
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, ".exhunt-collect-spool-*")
		if err != nil {
			s.err = err
			return 0, err
		}
		s.file = f
		if runtime.GOOS != "windows" {
			// Unlinked at once: a killed collection leaves no spool.
			os.Remove(f.Name())
		}
		if _, err := f.Write(s.mem.Bytes()); err != nil {
			s.err = err
			return 0, err
		}
		s.mem = bytes.Buffer{}
	}
	if _, err := s.file.Write(p); err != nil {
		s.err = err
		return 0, err
	}
	return len(p), nil
}

func (s *spool) reader() (io.Reader, error) {
	if s.file == nil {
		return bytes.NewReader(s.mem.Bytes()), nil
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return s.file, nil
}

func (s *spool) release() {
	if s.file != nil {
		name := s.file.Name()
		s.file.Close()
		os.Remove(name)
		s.file = nil
	}
	s.mem = bytes.Buffer{}
}

// rawHeader sets what zip.Writer.CreateRaw leaves to the caller and
// CreateHeader would set: the UTF-8 flag of a name that is not ASCII (else
// Explorer, .NET and unzip read it as code page 437, and an extracted copy
// no longer matches manifest.sha256), the version needed to extract, and
// for a file of 4 GB or more a data descriptor, so that its sizes are
// written in 64 bits after the data (the local header has no room).
func rawHeader(h *zip.FileHeader) {
	ascii := true
	for i := 0; i < len(h.Name); i++ {
		if h.Name[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii && utf8.ValidString(h.Name) {
		h.Flags |= 0x800
	}
	h.ReaderVersion = 20
	if h.UncompressedSize64 >= 0xffffffff || h.CompressedSize64 >= 0xffffffff {
		h.ReaderVersion = 45
		h.Flags |= 0x8
	}
}

// setTimes gives an entry its times: the NTFS extra field (modified,
// accessed, created, in 100 ns steps, UTC), which Explorer, 7-Zip and Go
// read, and the DOS fields in UTC for the rest. The header's Modified is
// left unset on purpose: Go would then append the extended timestamp,
// whose whole seconds readers prefer to the NTFS field.
func setTimes(h *zip.FileHeader, mod, accessed, created time.Time) {
	h.ModifiedDate, h.ModifiedTime = dosTime(mod)
	// The extended timestamp first, for unzip, which reads no NTFS field
	// (else it takes the DOS time for local time); Go reads the fields in
	// order and keeps the last, the NTFS one with its 100 ns.
	if u := mod.Unix(); u >= 0 && u <= math.MaxUint32 {
		var ut [9]byte
		binary.LittleEndian.PutUint16(ut[0:], 0x5455)
		binary.LittleEndian.PutUint16(ut[2:], 5)
		ut[4] = 1 // modification time present
		binary.LittleEndian.PutUint32(ut[5:], uint32(u))
		h.Extra = append(h.Extra, ut[:]...)
	}
	var b [36]byte
	binary.LittleEndian.PutUint16(b[0:], 0x000a)
	binary.LittleEndian.PutUint16(b[2:], 32)
	binary.LittleEndian.PutUint16(b[8:], 1)
	binary.LittleEndian.PutUint16(b[10:], 24)
	binary.LittleEndian.PutUint64(b[12:], fileTime(mod))
	binary.LittleEndian.PutUint64(b[20:], fileTime(accessed))
	binary.LittleEndian.PutUint64(b[28:], fileTime(created))
	h.Extra = append(h.Extra, b[:]...)
}

// fileTime is t as a Windows FILETIME, 0 when unknown.
func fileTime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	const unixEpoch = 116444736000000000 // 1970-01-01 in 100 ns steps since 1601
	v := t.Unix()*10_000_000 + int64(t.Nanosecond()/100) + unixEpoch
	if v < 0 {
		return 0
	}
	return uint64(v)
}

// dosTime is t (UTC) in the zip's DOS date and time fields, clamped to
// the years they hold.
func dosTime(t time.Time) (date, tod uint16) {
	t = t.UTC()
	switch {
	case t.Year() < 1980:
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	case t.Year() > 2107:
		t = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	tod = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tod
}
