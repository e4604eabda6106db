// Package minidump reads what exhunt needs from a Windows minidump (the
// .dmp files MiniDumpWriteDump writes, which is how comsvcs.dll MiniDump,
// procdump, lsassy and dumpert dump a process): the header, the stream
// directory, the names of the loaded modules and, when present, the
// Windows version of the system the dump was taken on.
//
// The layout follows Microsoft's documentation of minidumpapiset.h
// (MINIDUMP_HEADER, MINIDUMP_DIRECTORY, MINIDUMP_MODULE_LIST,
// MINIDUMP_MODULE, MINIDUMP_STRING, MINIDUMP_SYSTEM_INFO). All integers are
// little-endian; an RVA is a 32-bit offset from the start of the file.
//
// Every input is treated as hostile: counts and sizes read from the file
// are checked against the file's size and against fixed caps before
// anything is allocated, the bytes read from one file are bounded by
// MaxRead, and a damaged part is reported in Dump.Problems rather than
// stopping the read of the rest.
package minidump

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf16"
)

// Signature is what a minidump starts with (MINIDUMP_SIGNATURE).
const Signature = "MDMP"

// Limits on what is read from one file. Real dumps have a few dozen
// streams and at most a few hundred modules with names under 520 bytes.
const (
	// MaxStreams bounds the stream directory entries looked at.
	MaxStreams = 4096
	// MaxModules bounds the module entries read.
	MaxModules = 4096
	// MaxNameBytes bounds the UTF-16 bytes read of one module name; of a
	// longer name the end is kept, since the file name is what matters.
	MaxNameBytes = 2048
	// MaxRead bounds the bytes read from one file in all.
	MaxRead = 4 << 20
	// maxProblems bounds the problems kept for one file.
	maxProblems = 16
)

// Stream types of MINIDUMP_STREAM_TYPE that are read.
const (
	ModuleListStream = 4
	SystemInfoStream = 7
)

// Sizes of the fixed structures.
const (
	headerSize     = 32  // MINIDUMP_HEADER
	directorySize  = 12  // MINIDUMP_DIRECTORY
	moduleSize     = 108 // MINIDUMP_MODULE
	moduleNameRVA  = 20  // offset of ModuleNameRva in MINIDUMP_MODULE
	systemInfoSize = 24  // the leading part of MINIDUMP_SYSTEM_INFO read here
)

// Errors of Read. A file that is not a minidump at all is ErrNotMinidump;
// one whose header or directory cannot be read is ErrCorrupt.
var (
	ErrNotMinidump = errors.New("not a minidump (no MDMP signature)")
	ErrCorrupt     = errors.New("damaged minidump")
)

// Dump is what was read from a minidump.
type Dump struct {
	// Version is the low word of the header's Version (MINIDUMP_VERSION,
	// 0xA793 for dumps written by Windows).
	Version uint16
	// Time is the header's TimeDateStamp; zero when not set.
	Time time.Time
	// Flags are the MINIDUMP_TYPE flags the dump was written with.
	Flags uint64
	// Streams is the number of streams the header declares.
	Streams uint32
	// HasModuleList tells whether a module list stream was found.
	HasModuleList bool
	// Modules are the module names in the order of the module list (the
	// process's executable comes first in dumps written by Windows). A
	// module whose name could not be read is left out and noted in
	// Problems.
	Modules []string
	// System is the system information stream, when present and readable.
	System *SystemInfo
	// Problems are the damaged or over-limit parts met; the rest was read.
	Problems []string
}

// SystemInfo is the leading part of MINIDUMP_SYSTEM_INFO.
type SystemInfo struct {
	// ProcessorArchitecture is PROCESSOR_ARCHITECTURE_* (9 = AMD64,
	// 0 = x86, 12 = ARM64).
	ProcessorArchitecture uint16
	MajorVersion          uint32
	MinorVersion          uint32
	BuildNumber           uint32
}

// String gives the Windows version as "10.0.17763".
func (s SystemInfo) String() string {
	return fmt.Sprintf("%d.%d.%d", s.MajorVersion, s.MinorVersion, s.BuildNumber)
}

// IsMinidump tells whether data starts with the minidump signature.
func IsMinidump(data []byte) bool {
	return len(data) >= len(Signature) && string(data[:len(Signature)]) == Signature
}

// reader reads within the file's size and the read budget.
type reader struct {
	r      io.ReaderAt
	size   int64
	budget int64
}

var errBudget = fmt.Errorf("read limit of %d bytes reached", MaxRead)

// read returns n bytes at off. n is always bounded by the caller's caps;
// it is checked against the file's size and the budget before allocating.
func (rd *reader) read(off int64, n int) ([]byte, error) {
	if off < 0 || n < 0 || off > rd.size || int64(n) > rd.size-off {
		return nil, fmt.Errorf("%d bytes at offset %d lie outside the file (%d bytes)", n, off, rd.size)
	}
	if int64(n) > rd.budget {
		return nil, errBudget
	}
	rd.budget -= int64(n)
	buf := make([]byte, n)
	got, err := rd.r.ReadAt(buf, off)
	if got == n {
		return buf, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return nil, fmt.Errorf("reading %d bytes at offset %d: %w", n, off, err)
}

func (d *Dump) problem(format string, args ...any) {
	if len(d.Problems) < maxProblems {
		d.Problems = append(d.Problems, fmt.Sprintf(format, args...))
	} else if len(d.Problems) == maxProblems {
		d.Problems = append(d.Problems, "further problems not listed")
	}
}

// Read reads the header, the stream directory, the module list and the
// system information of the minidump in r, which is size bytes long. It
// fails only when r is not a minidump or its header or directory cannot be
// read; damage further in is listed in Dump.Problems.
func Read(r io.ReaderAt, size int64) (*Dump, error) {
	rd := &reader{r: r, size: size, budget: MaxRead}
	if size < int64(len(Signature)) {
		return nil, ErrNotMinidump
	}
	sig, err := rd.read(0, len(Signature))
	if err != nil {
		return nil, err
	}
	if !IsMinidump(sig) {
		return nil, ErrNotMinidump
	}
	h, err := rd.read(0, headerSize)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	le := binary.LittleEndian
	d := &Dump{
		Version: uint16(le.Uint32(h[4:])),
		Flags:   le.Uint64(h[24:]),
	}
	n := le.Uint32(h[8:])
	dirRVA := le.Uint32(h[12:])
	if ts := le.Uint32(h[20:]); ts != 0 {
		d.Time = time.Unix(int64(ts), 0).UTC()
	}
	d.Streams = n
	if n > MaxStreams {
		d.problem("header declares %d streams; only the first %d are looked at", n, MaxStreams)
		n = MaxStreams
	}
	dir, err := rd.read(int64(dirRVA), int(n)*directorySize)
	if err != nil {
		return d, fmt.Errorf("%w: stream directory: %v", ErrCorrupt, err)
	}
	var modules, system []uint32 // DataSize, Rva of the first of each
	for i := 0; i < int(n); i++ {
		e := dir[i*directorySize:]
		loc := []uint32{le.Uint32(e[4:]), le.Uint32(e[8:])}
		switch le.Uint32(e) {
		case ModuleListStream:
			if modules == nil {
				modules = loc
			}
		case SystemInfoStream:
			if system == nil {
				system = loc
			}
		}
	}
	if system != nil {
		d.readSystemInfo(rd, system[0], system[1])
	}
	if modules != nil {
		d.HasModuleList = true
		d.readModules(rd, modules[0], modules[1])
	}
	return d, nil
}

func (d *Dump) readSystemInfo(rd *reader, dataSize, rva uint32) {
	if dataSize < systemInfoSize {
		d.problem("system information stream of %d bytes is too short", dataSize)
		return
	}
	b, err := rd.read(int64(rva), systemInfoSize)
	if err != nil {
		d.problem("system information: %v", err)
		return
	}
	le := binary.LittleEndian
	d.System = &SystemInfo{
		ProcessorArchitecture: le.Uint16(b[0:]),
		MajorVersion:          le.Uint32(b[8:]),
		MinorVersion:          le.Uint32(b[12:]),
		BuildNumber:           le.Uint32(b[16:]),
	}
}

// readModules reads MINIDUMP_MODULE_LIST: a 32-bit count and the entries.
// Some writers pad the count to 8 bytes, which shows as a stream exactly
// 4 bytes longer than the entries need.
func (d *Dump) readModules(rd *reader, dataSize, rva uint32) {
	if dataSize < 4 {
		d.problem("module list stream of %d bytes is too short", dataSize)
		return
	}
	cb, err := rd.read(int64(rva), 4)
	if err != nil {
		d.problem("module list: %v", err)
		return
	}
	count := binary.LittleEndian.Uint32(cb)
	first := uint32(4)
	if uint64(dataSize) == 8+uint64(count)*moduleSize {
		first = 8
	}
	fits := (uint64(dataSize) - uint64(first)) / moduleSize
	if uint64(count) > fits {
		d.problem("module list declares %d modules but its stream holds %d", count, fits)
		count = uint32(fits)
	}
	if count > MaxModules {
		d.problem("module list declares %d modules; only the first %d are read", count, MaxModules)
		count = MaxModules
	}
	if count == 0 {
		return
	}
	list, err := rd.read(int64(rva)+int64(first), int(count)*moduleSize)
	if err != nil {
		d.problem("module list: %v", err)
		return
	}
	bad := 0
	for i := 0; i < int(count); i++ {
		nameRVA := binary.LittleEndian.Uint32(list[i*moduleSize+moduleNameRVA:])
		name, err := readString(rd, nameRVA)
		if errors.Is(err, errBudget) {
			d.problem("module names: %v after %d of %d modules", err, i, count)
			return
		}
		if err != nil {
			if bad == 0 {
				d.problem("name of module %d: %v", i, err)
			}
			bad++
			continue
		}
		d.Modules = append(d.Modules, name)
	}
	if bad > 1 {
		d.problem("%d module names in all could not be read", bad)
	}
}

// readString reads a MINIDUMP_STRING: a 32-bit length in bytes, without
// the terminating null, and that many bytes of UTF-16LE.
func readString(rd *reader, rva uint32) (string, error) {
	lb, err := rd.read(int64(rva), 4)
	if err != nil {
		return "", err
	}
	length := int64(binary.LittleEndian.Uint32(lb)) &^ 1 // whole UTF-16 units
	start := int64(rva) + 4
	if length > rd.size-start {
		return "", fmt.Errorf("string of %d bytes at offset %d runs past the end of the file", length, rva)
	}
	if length > MaxNameBytes {
		start += length - MaxNameBytes
		length = MaxNameBytes
	}
	b, err := rd.read(start, int(length))
	if err != nil {
		return "", err
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

// Modules returns the module names of the minidump in r; see Read.
func Modules(r io.ReaderAt, size int64) ([]string, error) {
	d, err := Read(r, size)
	if err != nil {
		return nil, err
	}
	return d.Modules, nil
}
