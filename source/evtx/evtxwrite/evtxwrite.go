// Package evtxwrite writes Windows XML Event Log (EVTX) files.
//
// It exists because no public sample holds some of the events exhunt must
// detect (Unified Messaging InvalidCastException errors, Set-OabVirtualDirectory
// in the MSExchange Management log, w3wp.exe process creations, cleared logs,
// ...): the tests and the demo server generator (package testserver) write
// them with this package instead. The files are laid out as Windows writes
// them, so that exhunt's decoder (package evtx) and the reference readers
// (libevtx's evtxexport, python-evtx) read them alike:
//
//   - a 4096-byte file header (ElfFile, version 3.1, checksummed) and 64 KiB
//     chunks (ElfChnk, record numbers, both checksums, the string and
//     template hash tables);
//   - each record a binary XML fragment holding one instance of the chunk's
//     System template (defined inline at its first use in the chunk and
//     referenced by offset afterwards), whose last value is a nested binary
//     XML fragment with an EventData or UserData template instance, as in the
//     Security, System and Sysmon logs;
//   - element and attribute names stored once per chunk and referenced by
//     offset; substitution values typed (strings, integers, hex integers,
//     booleans, FILETIME, SYSTEMTIME, GUID, SID, binary, arrays).
//
// Usage:
//
//	err := evtxwrite.Write(w, []evtxwrite.Event{{Time: t, Provider: "MSExchange CmdletLogs", EventID: 1, ...}})
//
// Examples of the events exhunt looks for are in examples.go.
package evtxwrite

import (
	"fmt"
	"io"
	"os"
	"time"
)

// Event is one event record. Zero-valued optional fields are left out of the
// XML, as Windows leaves out absent values.
type Event struct {
	RecordID uint64    // EventRecordID; 0: the previous record's plus one
	Time     time.Time // TimeCreated SystemTime (FILETIME: truncated to 100 ns); required
	Written  time.Time // the record header's written time; zero: Time

	Provider        string // Provider Name
	ProviderGUID    GUID   // Provider Guid, optional
	EventSourceName string // Provider EventSourceName, optional (manifest providers logging through the classic API)
	EventID         uint16
	Qualifiers      uint16 // EventID Qualifiers attribute (classic events), left out when 0
	Version         uint8
	Level           uint8 // 1 critical, 2 error, 3 warning, 4 information
	Task            uint16
	Opcode          uint8
	Keywords        uint64
	ActivityID      GUID // Correlation ActivityID, optional
	RelatedActivity GUID // Correlation RelatedActivityID, optional
	ProcessID       uint32
	ThreadID        uint32
	Channel         string // the log name: Application, Security, MSExchange Management...
	Computer        string
	UserSID         SID // Security UserID, optional

	// Classic marks an event reported through the classic ReportEvent API
	// (sources such as "MSExchange CmdletLogs" or "MSExchange Unified
	// Messaging"): like Windows, its System section has no Version, Opcode,
	// Correlation or Execution element. Their fields are then ignored.
	Classic bool

	// Data is the EventData: one <Data Name="..."> element per item, or an
	// unnamed <Data> when Name is "". Classic events have one unnamed item
	// holding a []string: Windows shows one <Data> per string.
	Data []Data
	// UserData is used instead of Data by events whose manifest defines a
	// UserData section (Security 1102 LogFileCleared, for one). An event
	// with neither has an empty <EventData/>.
	UserData *UserData
}

// Data is one EventData item or UserData field.
//
// Value is written with the binary XML type of its Go type: nil (null),
// string, ANSIString, int8/16/32/64 (int as int64), uint8/16/32/64 (uint as
// uint64), float32, float64, bool, []byte (binary), GUID, SID, Hex32, Hex64,
// time.Time (FILETIME), SystemTime, and the arrays []string, []uint16,
// []uint32, []uint64, []int32, []int64, []Hex64 and []GUID. A value is at
// most 65535 bytes (UTF-16: 32767 characters), and an event at most a chunk.
//
// A null value (nil, or an empty array other than []string) leaves its
// element out, as Windows does for an absent optional value.
type Data struct {
	Name  string
	Value any
}

// UserData is a UserData section:
// <UserData><Name xmlns="Namespace"><Field>value</Field>...</Name></UserData>.
type UserData struct {
	Name      string // element name, e.g. "LogFileCleared"
	Namespace string // xmlns of that element, optional
	Fields    []Data // child elements: Data.Name is the element name
}

// Options changes how a file is written. The zero value writes a clean
// version 3.1 file, as Windows does.
//
// The record headers (and the chunk and file headers after them) number the
// records one by one from the first event's RecordID: in a log whose record
// ids follow each other, as in a live log, they are the EventRecordIDs.
// Readers rely on that numbering having no gaps, whatever the ids.
type Options struct {
	// MinorVersion is the format's minor version: 1 (the default; Windows
	// Vista and later) or 2 (Windows 10 2004 and later).
	MinorVersion uint16
	// Dirty sets the header's dirty flag, as in a log copied while open.
	Dirty bool
	// Exported numbers the record headers from 1, as in a log saved by
	// wevtutil epl or Event Viewer; the EventRecordIDs keep their values.
	Exported bool
	// UncountedChunks leaves the last n chunks out of the header's chunk
	// count, last chunk number and next record id, as when Windows has not
	// updated the header yet; readers are expected to find them anyway.
	UncountedChunks int
}

// Write writes the events as an EVTX file with the default Options.
func Write(w io.Writer, events []Event) error { return Options{}.Write(w, events) }

// WriteFile writes the events to a new EVTX file at path.
func WriteFile(path string, events []Event) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, events); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Write writes the events as an EVTX file, in the order given.
func (o Options) Write(w io.Writer, events []Event) error {
	data, err := o.Encode(events)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// Encode returns the EVTX file holding the events, in the order given.
func (o Options) Encode(events []Event) ([]byte, error) {
	minor := o.MinorVersion
	if minor == 0 {
		minor = 1
	}
	if minor != 1 && minor != 2 {
		return nil, fmt.Errorf("evtxwrite: format version 3.%d: only 3.1 and 3.2 exist", minor)
	}
	var chunks []*chunk
	var c *chunk
	var lastID, number uint64
	for i := range events {
		e := &events[i]
		id := e.RecordID
		if id == 0 {
			id = lastID + 1
		}
		switch {
		case i > 0:
			number++
		case o.Exported:
			number = 1
		default:
			number = id
		}
		rec, err := prepare(e, id, number)
		if err != nil {
			return nil, fmt.Errorf("evtxwrite: event %d (record id %d): %w", i, id, err)
		}
		if c == nil || !c.add(rec) {
			c = newChunk()
			chunks = append(chunks, c)
			if !c.add(rec) {
				return nil, fmt.Errorf("evtxwrite: event %d (record id %d) does not fit in a 64 KiB chunk", i, id)
			}
		}
		lastID = id
	}
	if o.UncountedChunks < 0 || o.UncountedChunks > len(chunks) {
		return nil, fmt.Errorf("evtxwrite: %d uncounted chunks of %d", o.UncountedChunks, len(chunks))
	}
	counted := chunks[:len(chunks)-o.UncountedChunks]
	if len(counted) > 0xffff {
		return nil, fmt.Errorf("evtxwrite: %d chunks, the header counts at most 65535", len(counted))
	}
	out := make([]byte, 0, fileHeaderSize+len(chunks)*chunkSize)
	out = append(out, fileHeader(counted, minor, o.Dirty)...)
	for _, c := range chunks {
		out = append(out, c.finish()...)
	}
	return out, nil
}
