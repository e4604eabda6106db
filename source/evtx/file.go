// Package evtx decodes Windows XML Event Log (EVTX) files in pure Go.
//
// It exists so that exhunt can read the Windows event logs found in a copy of
// an Exchange server (Application, Security, System, MSExchange Management,
// Sysmon...) without Windows APIs or cgo, but it depends on nothing else in
// exhunt and can be used on its own.
//
// Every input is treated as hostile: damaged headers, chunks, records and
// binary XML are reported as Problems naming the file offset, and decoding
// continues with the next record or chunk. Nothing panics, recursion and
// sizes are bounded.
//
// Usage:
//
//	f, err := evtx.Open(readerAt, size)
//	problems := f.Records(func(r *evtx.Record) error { ...; return nil })
//
// f.RecordsParallel(workers, fn) gives the same records and problems with the
// chunks decoded on several goroutines: fn is still called from the caller's
// goroutine, one record at a time, in file order, and at most two chunks per
// worker are decoded ahead of it. Chunks are independent (each has its own
// string and template tables), so a caller may also run Chunk.Records on
// each chunk from its own goroutine; records inside a chunk come in order.
//
// A Record stays valid after fn returns and holds no decoding buffer: its
// strings are ordinary Go strings (the Data values of one record share one
// allocation, so keep a copy, strings.Clone, of a value kept from each of
// millions of records). Record.XML decodes the record again, reading its
// chunk again through the io.ReaderAt if the chunk's decoder has gone on to
// another chunk by then; it may be called from any goroutine.
//
// Nearly every record is an instance of a template defined once per chunk,
// with its values (EventData often as a nested template instance). Records
// are filled from the values by a plan compiled once per template, without
// building the XML; a record or template whose shape the plan does not know
// is decoded into an XML tree instead, with the same result (tests compare
// both ways on every record of the samples and of the fuzzing corpus).
package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

const (
	fileHeaderSize  = 4096 // the header block; only the first 128 bytes are used
	chunkSize       = 65536
	chunkHeaderSize = 512
)

var (
	fileSignature  = []byte("ElfFile\x00")
	chunkSignature = []byte("ElfChnk\x00")
)

// Problem is a non-fatal defect found while decoding, located by file offset.
type Problem struct {
	Offset int64  // offset in the file of the damaged structure
	What   string // what is wrong
}

func (p Problem) Error() string {
	return fmt.Sprintf("evtx: offset %d (0x%x): %s", p.Offset, p.Offset, p.What)
}

// FileHeader is the decoded file header (the first 128 bytes of the file).
type FileHeader struct {
	FirstChunk      uint64
	LastChunk       uint64
	NextRecordID    uint64
	HeaderSize      uint32
	MinorVersion    uint16
	MajorVersion    uint16
	HeaderBlockSize uint16
	ChunkCount      uint16
	Flags           uint32
	Checksum        uint32
	ChecksumOK      bool
}

// Dirty reports that the file was not closed cleanly: chunks beyond ChunkCount may hold records.
func (h FileHeader) Dirty() bool { return h.Flags&1 != 0 }

// Full reports that the log reached its maximum size.
func (h FileHeader) Full() bool { return h.Flags&2 != 0 }

// File is an opened EVTX file.
type File struct {
	r        io.ReaderAt
	size     int64
	Header   FileHeader
	Problems []Problem // problems found by Open (header checksum, odd versions)
	chunks   []*Chunk
}

// ErrNotEVTX is returned by Open when the file does not start with the EVTX signature.
var ErrNotEVTX = errors.New("evtx: not an EVTX file (no ElfFile signature)")

// Open reads the file header and locates the chunks. Only a missing
// signature or an unreadable header is fatal; other defects are in File.Problems.
func Open(r io.ReaderAt, size int64) (*File, error) {
	if size < 128 {
		return nil, ErrNotEVTX
	}
	var hdr [128]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, fmt.Errorf("evtx: reading file header: %w", err)
	}
	if !bytes.Equal(hdr[:8], fileSignature) {
		return nil, ErrNotEVTX
	}
	le := binary.LittleEndian
	f := &File{r: r, size: size}
	h := &f.Header
	h.FirstChunk = le.Uint64(hdr[8:])
	h.LastChunk = le.Uint64(hdr[16:])
	h.NextRecordID = le.Uint64(hdr[24:])
	h.HeaderSize = le.Uint32(hdr[32:])
	h.MinorVersion = le.Uint16(hdr[36:])
	h.MajorVersion = le.Uint16(hdr[38:])
	h.HeaderBlockSize = le.Uint16(hdr[40:])
	h.ChunkCount = le.Uint16(hdr[42:])
	h.Flags = le.Uint32(hdr[120:])
	h.Checksum = le.Uint32(hdr[124:])
	h.ChecksumOK = crc32.ChecksumIEEE(hdr[:120]) == h.Checksum
	if !h.ChecksumOK {
		f.Problems = append(f.Problems, Problem{0, fmt.Sprintf("file header checksum mismatch (stored 0x%08x)", h.Checksum)})
	}
	if h.MajorVersion != 3 || (h.MinorVersion != 1 && h.MinorVersion != 2) {
		f.Problems = append(f.Problems, Problem{36, fmt.Sprintf("unexpected format version %d.%d", h.MajorVersion, h.MinorVersion)})
	}
	if h.HeaderSize != 128 || h.HeaderBlockSize != fileHeaderSize {
		f.Problems = append(f.Problems, Problem{32, fmt.Sprintf("unexpected header size %d / block size %d", h.HeaderSize, h.HeaderBlockSize)})
	}
	f.locateChunks()
	return f, nil
}

// locateChunks lists the chunks announced by the header, and also any later
// 64 KiB slot carrying a chunk signature: a dirty file may have more chunks
// than its header says.
func (f *File) locateChunks() {
	slots := (f.size - fileHeaderSize) / chunkSize
	var sig [8]byte
	for i := int64(0); i < slots; i++ {
		off := fileHeaderSize + i*chunkSize
		if _, err := f.r.ReadAt(sig[:], off); err != nil {
			f.Problems = append(f.Problems, Problem{off, "chunk unreadable: " + err.Error()})
			break
		}
		if !bytes.Equal(sig[:], chunkSignature) {
			switch {
			case i >= int64(f.Header.ChunkCount):
			case isZero(sig[:]):
				// Zeros where the header announces a chunk: the copy lost it
				// (a sparse or partial copy), its records with it.
				f.Problems = append(f.Problems, Problem{off, "chunk announced by the header is zeroed: its records are lost"})
			default:
				f.Problems = append(f.Problems, Problem{off, "chunk announced by the header has no ElfChnk signature"})
			}
			continue
		}
		f.chunks = append(f.chunks, &Chunk{file: f, Index: int(i), Offset: off})
	}
	if slots < int64(f.Header.ChunkCount) {
		f.Problems = append(f.Problems, Problem{f.size, fmt.Sprintf("the header announces %d chunks but the file holds %d: it was cut short", f.Header.ChunkCount, max(slots, 0))})
	}
	if rem := (f.size - fileHeaderSize) % chunkSize; rem != 0 && f.size > fileHeaderSize {
		f.Problems = append(f.Problems, Problem{f.size - rem, fmt.Sprintf("%d trailing bytes after the last whole chunk ignored", rem)})
	}
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Chunks returns the chunks that carry a chunk signature, in file order.
// Each can be decoded on its own, from its own goroutine.
func (f *File) Chunks() []*Chunk { return f.chunks }
