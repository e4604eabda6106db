package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/exhunt/exhunt/root"

	"github.com/exhunt/exhunt/report"
	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/source/evtx"
)

const evtxUsage = `Usage: exhunt evtx [--format jsonl|xml] FILE_OR_FOLDER...

Decodes Windows event log files (.evtx) with exhunt's own decoder and prints
every record, in file order. Folders are walked for *.evtx files.

  jsonl  one JSON object per record: file, record_id, time (RFC 3339, UTC,
         100 ns digits), event_id, provider, channel, computer, level and
         data (EventData / UserData values by name; when no value has a
         name, an array of the values in order; array values and names that
         repeat give arrays)
  xml    the records as XML, as Event Viewer shows them, inside one <Events>
         element

Damaged headers, chunks and records are reported on stderr with the file and
offset; decoding goes on with the next record or chunk.

Exit status: 0 every record decoded; 1 some structure was damaged (the
records that could be decoded were printed); 2 a file could not be read or is
not an event log, or an option is wrong.

Options:
`

func runEvtx(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("evtx", flag.ContinueOnError)
	format := fs.String("format", "jsonl", "jsonl or xml")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), evtxUsage)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if *format != "jsonl" && *format != "xml" {
		fmt.Fprintf(stderr, "exhunt evtx: unknown --format %q (jsonl or xml)\n", *format)
		return result.ExitFailed
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "exhunt evtx: give one or more .evtx files or folders\n")
		return result.ExitFailed
	}
	files, failed := evtxFiles(fs.Args(), stderr)
	// Decoding allocates little but fast: with the default target the
	// collector runs every few megabytes and parallel decoding gains
	// nothing. Memory stays bounded by the chunks in flight.
	debug.SetGCPercent(400)
	out := bufio.NewWriterSize(stdout, 256<<10)
	if *format == "xml" {
		out.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Events>\n")
	}
	damaged := false
	var line []byte
	for _, path := range files {
		status := decodeEvtxFile(path, func(r *evtx.Record) {
			if *format == "xml" {
				x := r.XML()
				if x == "" {
					// Decoded for its fields, not renderable: say so rather
					// than leave a record out.
					fmt.Fprintf(stderr, "exhunt evtx: %s: record %d could not be rendered as XML\n", report.Terminal(path), r.RecordID)
					damaged = true
					return
				}
				out.WriteString(xmlTerminalSafe(x))
				return
			}
			line = appendRecordJSON(line[:0], path, r)
			out.Write(line)
		}, stderr)
		switch status {
		case evtxDamaged:
			damaged = true
		case evtxUnreadable:
			failed = true
		}
	}
	if *format == "xml" {
		out.WriteString("</Events>\n")
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(stderr, "exhunt evtx: writing the output: %v\n", err)
		return result.ExitFailed
	}
	switch {
	case failed:
		return result.ExitFailed
	case damaged:
		return 1
	}
	return 0
}

// evtxFiles expands folders into their .evtx files (sorted, as WalkDir
// gives them); files named on the command line are taken whatever their
// extension, since copies are often renamed.
func evtxFiles(args []string, stderr io.Writer) ([]string, bool) {
	var files []string
	failed := false
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			fmt.Fprintf(stderr, "exhunt evtx: %s\n", report.Terminal(err.Error()))
			failed = true
			continue
		}
		if !st.IsDir() {
			files = append(files, arg)
			continue
		}
		found := 0
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				fmt.Fprintf(stderr, "exhunt evtx: %s\n", report.Terminal(err.Error()))
				return nil
			}
			if d.Type().IsRegular() && strings.EqualFold(filepath.Ext(path), ".evtx") {
				files = append(files, path)
				found++
			}
			return nil
		})
		if err == nil && found == 0 {
			fmt.Fprintf(stderr, "exhunt evtx: no .evtx file in %s\n", report.Terminal(arg))
			failed = true
		}
	}
	return files, failed
}

type evtxStatus int

const (
	evtxClean evtxStatus = iota
	evtxDamaged
	evtxUnreadable
)

func decodeEvtxFile(path string, emit func(*evtx.Record), stderr io.Writer) evtxStatus {
	f, err := root.OpenFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "exhunt evtx: %s\n", report.Terminal(err.Error()))
		return evtxUnreadable
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fmt.Fprintf(stderr, "exhunt evtx: %s\n", report.Terminal(err.Error()))
		return evtxUnreadable
	}
	log, err := evtx.Open(f, st.Size())
	if err != nil {
		fmt.Fprintf(stderr, "exhunt evtx: %s: %s\n", report.Terminal(path), report.Terminal(err.Error()))
		return evtxUnreadable
	}
	// Records are decoded on every CPU and handed over in file order.
	problems := log.RecordsParallel(0, func(r *evtx.Record) error {
		emit(r)
		return nil
	})
	for _, p := range problems {
		fmt.Fprintf(stderr, "exhunt evtx: %s: %s\n", report.Terminal(path), report.Terminal(p.Error()))
	}
	if len(problems) > 0 {
		return evtxDamaged
	}
	return evtxClean
}

// evtxTime has the 100 ns resolution of the FILETIME it comes from.
const evtxTime = "2006-01-02T15:04:05.0000000Z07:00"

// appendRecordJSON writes one JSON line. Keys keep document order, which a
// map would lose, hence the hand-written encoding.
func appendRecordJSON(b []byte, path string, r *evtx.Record) []byte {
	b = append(b, `{"file":`...)
	b = appendJSONString(b, path)
	b = append(b, `,"record_id":`...)
	b = strconv.AppendUint(b, r.RecordID, 10)
	b = append(b, `,"time":"`...)
	b = r.Time.UTC().AppendFormat(b, evtxTime)
	b = append(b, `","event_id":`...)
	b = strconv.AppendUint(b, uint64(r.EventID), 10)
	b = append(b, `,"provider":`...)
	b = appendJSONString(b, r.Provider)
	b = append(b, `,"channel":`...)
	b = appendJSONString(b, r.Channel)
	b = append(b, `,"computer":`...)
	b = appendJSONString(b, r.Computer)
	b = append(b, `,"level":`...)
	b = strconv.AppendUint(b, uint64(r.Level), 10)
	b = append(b, `,"data":`...)
	b = appendDataJSON(b, r.Data)
	return append(b, "}\n"...)
}

func appendDataJSON(b []byte, data []evtx.DataItem) []byte {
	named := false
	for _, d := range data {
		if d.Name != "" {
			named = true
			break
		}
	}
	if !named {
		b = append(b, '[')
		for i, d := range data {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendItemJSON(b, d)
		}
		return append(b, ']')
	}
	// A name that repeats (several <Data Name="x">, or several elements of
	// one name in UserData) gives an array of its values, at its first
	// place; an unnamed value among named ones goes under "Data", the
	// element it sits in. Most events repeat no name: they are written
	// straight through.
	b = append(b, '{')
	if !repeatedKeys(data) {
		for i, d := range data {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, dataKey(d))
			b = append(b, ':')
			b = appendItemJSON(b, d)
		}
		return append(b, '}')
	}
	first := true
	for i, d := range data {
		key := dataKey(d)
		if seenBefore(data[:i], key) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, key)
		b = append(b, ':')
		n := 0
		for _, e := range data[i:] {
			if dataKey(e) == key {
				n++
			}
		}
		if n == 1 {
			b = appendItemJSON(b, d)
			continue
		}
		b = append(b, '[')
		k := 0
		for _, e := range data[i:] {
			if dataKey(e) != key {
				continue
			}
			if k > 0 {
				b = append(b, ',')
			}
			k++
			b = appendItemJSON(b, e)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func dataKey(d evtx.DataItem) string {
	if d.Name == "" {
		return "Data"
	}
	return d.Name
}

// repeatedKeys reports whether two items share a key; events have a few
// dozen items at most, and usually none repeats.
func repeatedKeys(data []evtx.DataItem) bool {
	for i := 1; i < len(data); i++ {
		if seenBefore(data[:i], dataKey(data[i])) {
			return true
		}
	}
	return false
}

func seenBefore(data []evtx.DataItem, key string) bool {
	for _, d := range data {
		if dataKey(d) == key {
			return true
		}
	}
	return false
}

func appendItemJSON(b []byte, d evtx.DataItem) []byte {
	if d.Values == nil {
		return appendJSONString(b, d.Value)
	}
	b = append(b, '[')
	for i, v := range d.Values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return append(b, ']')
}

// appendJSONString quotes s for JSON. Beyond what JSON requires it escapes
// DEL, the C1 controls and the bidirectional overrides, so that the line
// is safe to show on a terminal, and invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			b = append(b, `\"`...)
		case r == '\\':
			b = append(b, `\\`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case report.UnsafeRune(r):
			b = append(b, '\\', 'u', hex[r>>12&15], hex[r>>8&15], hex[r>>4&15], hex[r&15])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// xmlTerminalSafe turns the control characters an attacker can put in an
// event (escape sequences in a command line) into character references,
// keeping line breaks and tabs.
func xmlTerminalSafe(s string) string {
	unsafe := false
	for _, r := range s {
		if r != '\n' && r != '\t' && r != '\r' && report.UnsafeRune(r) || r == utf8.RuneError {
			unsafe = true
			break
		}
	}
	if !unsafe {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			sb.WriteString("&#xFFFD;")
		case r != '\n' && r != '\t' && r != '\r' && report.UnsafeRune(r):
			fmt.Fprintf(&sb, "&#x%X;", r)
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}
