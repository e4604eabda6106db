package winreg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Transaction log recovery.
//
// Windows does not write every change to a hive file at once: it first
// writes the changed pages to a transaction log next to it (SOFTWARE.LOG1
// and SOFTWARE.LOG2, or SOFTWARE.LOG), and as of Windows 8.1 may leave
// them there for up to an hour before reconciling them into the primary
// file. A copy of a running server therefore often holds a primary file
// whose base block is marked dirty and whose newest changes are only in
// the logs. Recover replays them, as Windows does when it loads the hive,
// into memory: the primary file and the logs are only read.
//
// The layout and the replay rules follow the "Windows registry file format
// specification" by Maxim Suhanov (sections "Format of transaction log
// files", "Dirty state of a hive" and "Multiple transaction log files").
// Both formats are supported:
//
//   - The new format (Windows 8.1 and later, file type 6): after a 512
//     byte copy of the base block come log entries ("HvLE"), each with a
//     sequence number, the hive bins data size, a list of dirty page
//     references and the pages, authenticated by two Marvin32 hashes.
//     Entries are applied in sequence order, across LOG1 and LOG2; a bad
//     hash, a bad size or a break in the sequence ends the replay, leaving
//     the entries before it applied.
//   - The old format (Windows XP to 8, file types 1 and 2): after the base
//     block copy, a dirty vector ("DIRT" and a bitmap with one bit per 512
//     bytes of hive bins data) and the dirty 512 byte pages in bitmap order.
//     It is a cumulative image of everything not yet written, so one log is
//     applied, the newest by sequence number.

// LogFile is a transaction log of a hive, such as SOFTWARE.LOG1.
type LogFile struct {
	// Name is how the report names the log, such as "SOFTWARE.LOG1".
	Name string
	R    io.ReaderAt
	Size int64
}

// RecoveryReport says what Recover did.
type RecoveryReport struct {
	// Dirty is whether the primary file's base block was dirty (see
	// Hive.Dirty); a clean hive is opened as it is and its logs are not
	// read.
	Dirty bool
	// Applied is whether log data was replayed: the returned hive is the
	// primary file with the logged changes, not the primary file alone.
	Applied bool
	// Format is "new" (HvLE log entries) or "old" (dirty vector) when
	// logs were applied.
	Format string
	// Sequence is the sequence number of the recovered base block: that of
	// the last log entry applied (new format) or of the log (old format).
	Sequence uint32
	// Entries and Pages count the log entries and dirty pages applied, over
	// all logs.
	Entries, Pages int
	// Logs has one report per log given, in the order given.
	Logs []LogReport
	// Fallback is set when the replayed hive could not be opened and the
	// primary file was opened as it is instead.
	Fallback error
}

// LogReport says what Recover did with one transaction log.
type LogReport struct {
	Name string
	// Format is "new", "old", or "" when the log is not a usable log.
	Format string
	// Sequence is the sequence number of the log's base block.
	Sequence uint32
	// Used is whether some of the log's data was applied.
	Used bool
	// Entries and Pages count what was applied from this log; for the old
	// format Entries is 0.
	Entries, Pages int
	// FirstSequence and LastSequence are the sequence numbers of the first
	// and last entries applied (new format).
	FirstSequence, LastSequence uint32
	// Refused says why the log as a whole was not used: empty, not a log,
	// another hive's, older than the primary file, or superseded.
	Refused error
	// Rejected says which entry (or, in the old format, which part) ended
	// the replay of the log early and why: a bad hash, a truncated entry, a
	// sequence number out of order. Entries before it were applied.
	Rejected error
	// End describes how the replay of the log ended when nothing was
	// rejected, such as "no further log entry at offset 0x6000".
	End string
}

// String summarizes the report in a sentence or a few.
func (r *RecoveryReport) String() string {
	var sb strings.Builder
	switch {
	case !r.Dirty:
		sb.WriteString("the hive is clean; no transaction log was needed")
	case r.Applied && r.Format == "old":
		fmt.Fprintf(&sb, "the hive was dirty; replayed %d dirty pages of an old-format log (sequence number %d)", r.Pages, r.Sequence)
	case r.Applied:
		fmt.Fprintf(&sb, "the hive was dirty; replayed %d log entries (%d pages) up to sequence number %d", r.Entries, r.Pages, r.Sequence)
	default:
		sb.WriteString("the hive is dirty and no transaction log could be applied: its newest changes may be missing")
	}
	for _, l := range r.Logs {
		fmt.Fprintf(&sb, "; %s: ", l.Name)
		switch {
		case l.Refused != nil:
			fmt.Fprintf(&sb, "not used: %v", l.Refused)
		case l.Used && l.Format == "new":
			fmt.Fprintf(&sb, "applied %d entries (sequence %d to %d, %d pages)", l.Entries, l.FirstSequence, l.LastSequence, l.Pages)
		case l.Used:
			fmt.Fprintf(&sb, "applied %d pages", l.Pages)
		case !r.Dirty:
			sb.WriteString("not read")
		default:
			sb.WriteString("nothing applied")
		}
		if l.Rejected != nil {
			fmt.Fprintf(&sb, "; replay stopped: %v", l.Rejected)
		}
	}
	if r.Fallback != nil {
		fmt.Fprintf(&sb, "; the replayed hive could not be opened (%v), so the primary file was read as it is", r.Fallback)
	}
	return sb.String()
}

// Layout of transaction logs, from the format specification.
const (
	// logBaseBlockSize is how much of the base block a log holds: its
	// first sector, 512 bytes as of Windows 8, and the part that the
	// checksum covers.
	logBaseBlockSize = 512
	sectorSize       = 512

	fileTypeLogOld1 = 1 // Windows XP to 8
	fileTypeLogOld2 = 2 // Windows 2000 and earlier
	fileTypeLogNew  = 6 // Windows 8.1 and later

	// A new-format log entry: "HvLE", size, flags, sequence number, hive
	// bins data size, dirty page count, hash-1, hash-2, then the page
	// references (offset and size) and the pages.
	hvleHeaderSize = 40
	hvleHash1      = 24
	hvleHash2      = 32
	hvleRefSize    = 8

	// Only this bit of the base block's flags (KTM locked the hive) is
	// saved in and restored from log entries.
	baseFlagKTMLocked = 1
	baseFlagsOffset   = 144

	// maxRecoveredBinsSize bounds the hive bins data of a recovered hive,
	// as exhunt bounds the hive files it reads (real SOFTWARE hives are
	// 50-200 MB). Only the replayed pages are held in memory; the rest is
	// read from the primary file.
	maxRecoveredBinsSize = 1 << 30

	// logReadChunk is how much of a log is read at a time.
	logReadChunk = 64 << 10
)

// Recover opens the hive in primary (primarySize bytes) with the changes
// its transaction logs hold and the primary file lacks. The primary file
// and the logs are never modified: the replayed pages are kept in memory.
//
// A hive whose base block is clean is opened as it is and its logs are
// ignored, as Windows ignores them. A dirty hive without usable logs is
// opened as it is, and the report says why each log was not used. An
// error is returned only when the primary file cannot be opened or read;
// damaged or foreign logs are reported, not returned.
func Recover(primary io.ReaderAt, primarySize int64, logs ...LogFile) (*Hive, *RecoveryReport, error) {
	h, err := Open(primary, primarySize)
	if err != nil {
		return nil, nil, err
	}
	report := &RecoveryReport{Dirty: h.Dirty()}
	for _, l := range logs {
		report.Logs = append(report.Logs, LogReport{Name: l.Name})
	}
	if !report.Dirty {
		return h, report, nil
	}
	base, err := h.file.read(0, baseBlockSize)
	if err != nil {
		return nil, nil, err
	}
	r := &replay{
		report:     report,
		primary:    h,
		base:       base,
		checksumOK: baseBlockChecksum(base) == binary.LittleEndian.Uint32(base[checksumOffset:]),
		image:      newOverlay(primary, primarySize),
	}
	if err := r.run(logs); err != nil {
		return nil, nil, err
	}
	if !report.Applied {
		return h, report, nil
	}
	recovered, err := Open(r.image, r.image.size)
	if err != nil {
		report.Fallback = err
		return h, report, nil
	}
	return recovered, report, nil
}

// replay is the state of one Recover call on a dirty hive.
type replay struct {
	report     *RecoveryReport
	primary    *Hive
	base       []byte // the primary file's base block
	checksumOK bool   // whether the primary's base block checksum is right
	image      *overlay
}

// logHeader is what a log's base block says.
type logHeader struct {
	index    int // in the logs given
	log      LogFile
	format   string
	sequence uint32
	base     []byte // the log's 512 byte base block
}

func (r *replay) run(logs []LogFile) error {
	var headers []logHeader
	for i, l := range logs {
		hdr, err := r.readLogHeader(i, l)
		if err != nil {
			r.report.Logs[i].Refused = err
			continue
		}
		r.report.Logs[i].Format, r.report.Logs[i].Sequence = hdr.format, hdr.sequence
		headers = append(headers, hdr)
	}
	if len(headers) == 0 {
		return nil
	}
	// Logs of both formats side by side: the one with the newest base
	// block tells which format the hive writer used last; a log of the
	// other format is a leftover (such as a .LOG from the install image).
	newest := headers[0]
	for _, hdr := range headers[1:] {
		if hdr.sequence > newest.sequence {
			newest = hdr
		}
	}
	var usable []logHeader
	for _, hdr := range headers {
		if hdr.format != newest.format {
			r.report.Logs[hdr.index].Refused = fmt.Errorf("an %s-format log, while the newest log (%s) has the %s format", hdr.format, newest.log.Name, newest.format)
			continue
		}
		usable = append(usable, hdr)
	}
	if newest.format == "old" {
		return r.replayOld(usable, newest)
	}
	return r.replayNew(usable)
}

// readLogHeader checks a log's base block: a valid copy of a base block of
// a log type, written completely (equal sequence numbers), belonging to
// this hive (the same last written timestamp, the test the specification
// gives for applying a log) and not older than the primary file's last
// complete write.
func (r *replay) readLogHeader(index int, l LogFile) (logHeader, error) {
	if l.R == nil || l.Size <= 0 {
		return logHeader{}, errors.New("empty")
	}
	if l.Size < logBaseBlockSize {
		return logHeader{}, fmt.Errorf("%d bytes, too short for a log's base block", l.Size)
	}
	base := make([]byte, logBaseBlockSize)
	if err := readFull(l.R, base, 0); err != nil {
		return logHeader{}, err
	}
	le := binary.LittleEndian
	if string(base[0:4]) != "regf" {
		return logHeader{}, fmt.Errorf("no regf signature (found %q)", base[0:4])
	}
	if sum := baseBlockChecksum(base); sum != le.Uint32(base[checksumOffset:]) {
		return logHeader{}, fmt.Errorf("base block checksum %#x is wrong (computed %#x)", le.Uint32(base[checksumOffset:]), sum)
	}
	if major := le.Uint32(base[20:]); major != 1 {
		return logHeader{}, fmt.Errorf("unsupported format version %d", major)
	}
	hdr := logHeader{index: index, log: l, sequence: le.Uint32(base[4:]), base: base}
	switch fileType := le.Uint32(base[28:]); fileType {
	case fileTypeLogNew:
		hdr.format = "new"
	case fileTypeLogOld1, fileTypeLogOld2:
		hdr.format = "old"
	case fileTypePrimary:
		return logHeader{}, errors.New("a primary hive file, not a transaction log")
	default:
		return logHeader{}, fmt.Errorf("file type %d is not a transaction log", fileType)
	}
	if secondary := le.Uint32(base[8:]); secondary != hdr.sequence {
		return logHeader{}, fmt.Errorf("its base block was not completely written (sequence numbers %d and %d)", hdr.sequence, secondary)
	}
	want, err := r.timestamp()
	if err != nil {
		return logHeader{}, err
	}
	if got := le.Uint64(base[12:]); got != want {
		return logHeader{}, fmt.Errorf("last written timestamp %#x differs from the hive's %#x: the log belongs to another hive or another state of it", got, want)
	}
	if secondary := le.Uint32(r.base[8:]); r.checksumOK && hdr.sequence < secondary {
		return logHeader{}, fmt.Errorf("sequence number %d is older than the primary file's %d: its changes are already in the primary file", hdr.sequence, secondary)
	}
	return hdr, nil
}

// timestamp is the primary file's last written timestamp, which a log must
// carry to apply; when the primary's base block is damaged, the first hive
// bin's copy of it is used, as Windows does.
func (r *replay) timestamp() (uint64, error) {
	if r.checksumOK {
		return binary.LittleEndian.Uint64(r.base[12:]), nil
	}
	bin, err := r.primary.file.read(baseBlockSize+20, 8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(bin), nil
}

// replayNew applies new-format logs: the one with the earlier entries
// first, each entry continuing the sequence of the one before, across logs.
// When the primary's base block is damaged, only the log with the latest
// entries is used, and its base block replaces the primary's.
func (r *replay) replayNew(logs []logHeader) error {
	slices.SortStableFunc(logs, func(a, b logHeader) int {
		switch {
		case a.sequence < b.sequence:
			return -1
		case a.sequence > b.sequence:
			return 1
		}
		return 0
	})
	if !r.checksumOK && len(logs) > 1 {
		for _, hdr := range logs[:len(logs)-1] {
			r.report.Logs[hdr.index].Refused = errors.New("the primary file's base block is damaged, so only the log with the latest entries is used")
		}
		logs = logs[len(logs)-1:]
	}
	newBase := slices.Clone(r.base)
	if !r.checksumOK {
		copy(newBase, logs[0].base)
	}
	var (
		next    uint32 // the sequence number the next entry must have
		started bool   // whether an entry was applied, so next is known
		last    hvleHeader
	)
	for _, hdr := range logs {
		lr := &r.report.Logs[hdr.index]
		expect := hdr.sequence
		if started {
			expect = next
		}
		for off := int64(logBaseBlockSize); ; {
			entry, err := readHvLE(hdr.log, off)
			if err != nil {
				var end endOfLog
				if errors.As(err, &end) {
					lr.End = end.String()
				} else {
					lr.Rejected = fmt.Errorf("entry at offset %#x: %w", off, err)
				}
				break
			}
			if entry.sequence != expect {
				if entry.sequence < expect {
					lr.End = fmt.Sprintf("entry at offset %#x has the older sequence number %d (expected %d): already applied", off, entry.sequence, expect)
				} else {
					lr.Rejected = fmt.Errorf("entry at offset %#x has sequence number %d, expected %d", off, entry.sequence, expect)
				}
				break
			}
			if err := r.applyHvLE(hdr.log, off, entry); err != nil {
				if isIOError(err) {
					return err
				}
				lr.Rejected = fmt.Errorf("entry at offset %#x (sequence %d): %w", off, entry.sequence, err)
				break
			}
			if !lr.Used {
				lr.Used, lr.FirstSequence = true, entry.sequence
			}
			lr.LastSequence = entry.sequence
			lr.Entries++
			lr.Pages += len(entry.pages)
			r.report.Entries++
			r.report.Pages += len(entry.pages)
			last, started, next, expect = entry, true, entry.sequence+1, entry.sequence+1
			off += int64(entry.size)
		}
	}
	if !started {
		return nil
	}
	le := binary.LittleEndian
	le.PutUint32(newBase[4:], last.sequence)
	le.PutUint32(newBase[8:], last.sequence)
	le.PutUint32(newBase[28:], fileTypePrimary)
	le.PutUint32(newBase[40:], last.binsSize)
	flags := le.Uint32(newBase[baseFlagsOffset:])&^baseFlagKTMLocked | last.flags&baseFlagKTMLocked
	le.PutUint32(newBase[baseFlagsOffset:], flags)
	le.PutUint32(newBase[checksumOffset:], baseBlockChecksum(newBase))
	r.image.setBase(newBase, last.binsSize)
	r.report.Applied, r.report.Format, r.report.Sequence = true, "new", last.sequence
	return nil
}

// hvleHeader is a new-format log entry whose header and hashes are valid.
type hvleHeader struct {
	size, flags, sequence, binsSize uint32
	pages                           []dirtyPage
}

type dirtyPage struct {
	offset, size uint32 // in the hive bins data
	logOffset    int64  // where the page's data is in the log
}

// endOfLog is the normal end of a log's entries: the end of the file, or
// no entry signature where the next entry would start.
type endOfLog struct {
	offset int64
	found  []byte
}

func (e endOfLog) Error() string { return e.String() }
func (e endOfLog) String() string {
	if e.found == nil {
		return fmt.Sprintf("end of the log at offset %#x", e.offset)
	}
	return fmt.Sprintf("no further log entry at offset %#x (found %q)", e.offset, e.found)
}

// readHvLE reads and checks the new-format log entry at off: its size, its
// two hashes, its hive bins data size, and that its pages lie inside the
// entry and inside the hive bins data.
func readHvLE(l LogFile, off int64) (hvleHeader, error) {
	if off+hvleHeaderSize > l.Size {
		return hvleHeader{}, endOfLog{offset: off}
	}
	header := make([]byte, hvleHeaderSize)
	if err := readFull(l.R, header, off); err != nil {
		return hvleHeader{}, err
	}
	if string(header[0:4]) != "HvLE" {
		return hvleHeader{}, endOfLog{offset: off, found: header[0:4]}
	}
	le := binary.LittleEndian
	e := hvleHeader{
		size:     le.Uint32(header[4:]),
		flags:    le.Uint32(header[8:]),
		sequence: le.Uint32(header[12:]),
		binsSize: le.Uint32(header[16:]),
	}
	count := le.Uint32(header[20:])
	switch {
	case e.size < hvleHeaderSize || e.size%sectorSize != 0:
		return hvleHeader{}, corruptf("entry size %d is not a positive multiple of %d", e.size, sectorSize)
	case int64(e.size) > l.Size-off:
		return hvleHeader{}, corruptf("the %d byte entry runs past the end of the %d byte log: truncated", e.size, l.Size)
	}
	if got, want := marvin32Sum(hvLogSeed, header[:hvleHash2]), le.Uint64(header[hvleHash2:]); got != want {
		return hvleHeader{}, corruptf("header hash (hash-2) is %#x, computed %#x", want, got)
	}
	body := newMarvin32(hvLogSeed)
	buf := make([]byte, min(logReadChunk, int(e.size)-hvleHeaderSize))
	for done := int64(hvleHeaderSize); done < int64(e.size); {
		n := min(int64(len(buf)), int64(e.size)-done)
		if err := readFull(l.R, buf[:n], off+done); err != nil {
			return hvleHeader{}, err
		}
		body.Write(buf[:n])
		done += n
	}
	if got, want := body.Sum64(), le.Uint64(header[hvleHash1:]); got != want {
		return hvleHeader{}, corruptf("data hash (hash-1) is %#x, computed %#x", want, got)
	}
	// The hashes only show that the entry was written whole; what it
	// says is checked as for any hostile input.
	switch {
	case e.binsSize == 0 || e.binsSize%binAlignment != 0:
		return hvleHeader{}, corruptf("hive bins data size %#x is not a positive multiple of 4096", e.binsSize)
	case e.binsSize > maxRecoveredBinsSize:
		return hvleHeader{}, corruptf("hive bins data size %d is over the %d byte limit", e.binsSize, maxRecoveredBinsSize)
	case uint64(count) > uint64(e.size-hvleHeaderSize)/(hvleRefSize+sectorSize):
		return hvleHeader{}, corruptf("%d dirty pages do not fit in the %d byte entry", count, e.size)
	case count > e.binsSize/sectorSize:
		// Pages are whole sectors (checked below), so an entry listing
		// more of them than the hive has repeats some; the bound keeps
		// the list's memory proportional to the hive's size.
		return hvleHeader{}, corruptf("%d dirty pages are more than the %d sectors of the hive bins data", count, e.binsSize/sectorSize)
	}
	refs := make([]byte, hvleRefSize*int(count))
	if err := readFull(l.R, refs, off+hvleHeaderSize); err != nil {
		return hvleHeader{}, err
	}
	dataAt := int64(hvleHeaderSize) + int64(len(refs))
	for i := 0; i < int(count); i++ {
		p := dirtyPage{offset: le.Uint32(refs[hvleRefSize*i:]), size: le.Uint32(refs[hvleRefSize*i+4:]), logOffset: off + dataAt}
		if p.size == 0 || p.size%sectorSize != 0 || p.offset%sectorSize != 0 {
			return hvleHeader{}, corruptf("dirty page %d (%d bytes at %#x) is not made of whole 512 byte sectors", i, p.size, p.offset)
		}
		if uint64(p.offset)+uint64(p.size) > uint64(e.binsSize) {
			return hvleHeader{}, corruptf("dirty page %d (%d bytes at %#x) lies outside the %#x bytes of hive bins data", i, p.size, p.offset, e.binsSize)
		}
		dataAt += int64(p.size)
		if dataAt > int64(e.size) {
			return hvleHeader{}, corruptf("the data of dirty page %d runs past the end of the %d byte entry", i, e.size)
		}
		e.pages = append(e.pages, p)
	}
	return e, nil
}

// applyHvLE writes the entry's pages into the image.
func (r *replay) applyHvLE(l LogFile, off int64, e hvleHeader) error {
	r.image.grow(e.binsSize)
	buf := make([]byte, logReadChunk)
	for _, p := range e.pages {
		for done := uint32(0); done < p.size; {
			n := min(uint32(len(buf)), p.size-done)
			if err := readFull(l.R, buf[:n], p.logOffset+int64(done)); err != nil {
				return logReadError{err}
			}
			if err := r.image.write(baseBlockSize+int64(p.offset)+int64(done), buf[:n]); err != nil {
				return err
			}
			done += n
		}
	}
	return nil
}

// replayOld applies the newest old-format log. Such a log is a cumulative
// image of every page not yet written to the primary file, so only one is
// applied; the others are superseded.
func (r *replay) replayOld(logs []logHeader, chosen logHeader) error {
	for _, hdr := range logs {
		if hdr.index != chosen.index {
			r.report.Logs[hdr.index].Refused = fmt.Errorf("superseded by %s, whose sequence number %d is newer", chosen.log.Name, chosen.sequence)
		}
	}
	lr := &r.report.Logs[chosen.index]
	le := binary.LittleEndian
	binsSize := le.Uint32(chosen.base[40:])
	if binsSize == 0 || binsSize%binAlignment != 0 || binsSize > maxRecoveredBinsSize {
		lr.Refused = corruptf("hive bins data size %#x is not a positive multiple of 4096 up to %d", binsSize, maxRecoveredBinsSize)
		return nil
	}
	// The dirty vector starts at the second sector, the pages at the
	// sector after the vector. Sectors are 512 bytes times the clustering
	// factor (1 for all writers since Windows 8).
	sector := int64(sectorSize)
	if cf := le.Uint32(chosen.base[44:]); cf > 1 && cf <= 8 {
		sector *= int64(cf)
	}
	bitmap := make([]byte, binsSize/sectorSize/8)
	vectorEnd := sector + 4 + int64(len(bitmap))
	if vectorEnd > chosen.log.Size {
		lr.Refused = corruptf("the dirty vector (%d bytes at %#x) runs past the end of the %d byte log: truncated", 4+len(bitmap), sector, chosen.log.Size)
		return nil
	}
	signature := make([]byte, 4)
	if err := readFull(chosen.log.R, signature, sector); err != nil {
		lr.Refused = err
		return nil
	}
	if string(signature) != "DIRT" {
		lr.Refused = corruptf("no dirty vector (DIRT) at offset %#x (found %q)", sector, signature)
		return nil
	}
	if err := readFull(chosen.log.R, bitmap, sector+4); err != nil {
		lr.Refused = err
		return nil
	}
	var dirty []int64 // bins data offsets of the dirty 512 byte pages
	for i := range len(bitmap) * 8 {
		if bitmap[i/8]&(1<<(i%8)) != 0 {
			dirty = append(dirty, int64(i)*sectorSize)
		}
	}
	pagesAt := (vectorEnd + sector - 1) / sector * sector
	if have := (chosen.log.Size - pagesAt) / sectorSize; int64(len(dirty)) > max(have, 0) {
		lr.Refused = corruptf("the dirty vector marks %d pages, but the log holds %d: truncated", len(dirty), max(have, 0))
		return nil
	}
	if len(dirty) == 0 {
		lr.End = "the dirty vector marks no page"
		return nil
	}
	r.image.grow(binsSize)
	page := make([]byte, sectorSize)
	for i, at := range dirty {
		if err := readFull(chosen.log.R, page, pagesAt+int64(i)*sectorSize); err != nil {
			return logReadError{err}
		}
		// Windows checks each dirty hive bin and stops at an invalid one.
		// A page that starts a bin is checked here: its header must name
		// its own offset and a size of whole 4 KiB blocks.
		if at%binAlignment == 0 && bytes.HasPrefix(page, []byte("hbin")) {
			binOffset, binSize := le.Uint32(page[4:]), le.Uint32(page[8:])
			if int64(binOffset) != at || binSize < binAlignment || binSize%binAlignment != 0 {
				lr.Rejected = corruptf("dirty page %d starts a hive bin at %#x whose header says offset %#x, size %#x", i, at, binOffset, binSize)
				break
			}
		}
		if err := r.image.write(baseBlockSize+at, page); err != nil {
			return err
		}
		lr.Pages++
	}
	if lr.Pages == 0 {
		return nil
	}
	lr.Used = true
	newBase := slices.Clone(r.base)
	if !r.checksumOK {
		copy(newBase, chosen.base)
	}
	le.PutUint32(newBase[4:], chosen.sequence)
	le.PutUint32(newBase[8:], chosen.sequence)
	le.PutUint32(newBase[28:], fileTypePrimary)
	le.PutUint32(newBase[40:], binsSize)
	le.PutUint32(newBase[checksumOffset:], baseBlockChecksum(newBase))
	r.image.setBase(newBase, binsSize)
	r.report.Applied, r.report.Format, r.report.Sequence = true, "old", chosen.sequence
	r.report.Pages = lr.Pages
	return nil
}

// logReadError marks a failure to read a log that was readable a moment
// before; it is reported like any other problem of the log.
type logReadError struct{ err error }

func (e logReadError) Error() string { return "reading the log: " + e.err.Error() }
func (e logReadError) Unwrap() error { return e.err }

// primaryReadError marks a failure to read the primary file, which ends
// the recovery with an error.
type primaryReadError struct{ err error }

func (e primaryReadError) Error() string { return "reading the primary hive file: " + e.err.Error() }
func (e primaryReadError) Unwrap() error { return e.err }

func isIOError(err error) bool {
	var p primaryReadError
	return errors.As(err, &p)
}

func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("winreg: reading %d bytes at offset %#x: %w", len(p), off, err)
}

// overlay is the recovered hive file: the primary file with the replayed
// pages laid over it, held in memory in blocks of 4 KiB. Reads past the
// end of the primary file that no page covers return zeros.
type overlay struct {
	primary     io.ReaderAt
	primarySize int64
	size        int64
	blocks      map[int64][]byte // by file offset / binAlignment
}

func newOverlay(primary io.ReaderAt, primarySize int64) *overlay {
	return &overlay{primary: primary, primarySize: primarySize, size: primarySize, blocks: map[int64][]byte{}}
}

// grow makes room for binsSize bytes of hive bins data.
func (o *overlay) grow(binsSize uint32) {
	o.size = max(o.size, baseBlockSize+int64(binsSize))
}

// setBase installs the recovered base block and the file's final size.
func (o *overlay) setBase(base []byte, binsSize uint32) {
	o.size = max(o.primarySize, baseBlockSize+int64(binsSize))
	o.blocks[0] = base
}

func (o *overlay) write(off int64, data []byte) error {
	for len(data) > 0 {
		index, in := off/binAlignment, off%binAlignment
		block, ok := o.blocks[index]
		if !ok {
			block = make([]byte, binAlignment)
			if err := o.readPrimary(block, index*binAlignment); err != nil {
				return err
			}
			o.blocks[index] = block
		}
		n := copy(block[in:], data)
		data, off = data[n:], off+int64(n)
	}
	return nil
}

// readPrimary fills p from the primary file at off, with zeros past its end.
func (o *overlay) readPrimary(p []byte, off int64) error {
	clear(p)
	if off >= o.primarySize {
		return nil
	}
	n := min(int64(len(p)), o.primarySize-off)
	if err := readFull(o.primary, p[:n], off); err != nil {
		return primaryReadError{err}
	}
	return nil
}

func (o *overlay) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("winreg: negative offset")
	}
	done := 0
	for done < len(p) && off+int64(done) < o.size {
		pos := off + int64(done)
		index, in := pos/binAlignment, pos%binAlignment
		n := int(min(int64(len(p)-done), binAlignment-in, o.size-pos))
		if block, ok := o.blocks[index]; ok {
			copy(p[done:done+n], block[in:])
		} else if err := o.readPrimary(p[done:done+n], pos); err != nil {
			return done, err
		}
		done += n
	}
	if done < len(p) {
		return done, io.EOF
	}
	return done, nil
}
