// Package minidumptest writes small Windows minidumps byte by byte for
// tests and the synthetic server: a header, a stream directory, an optional
// system information stream and a module list with the modules' names. It
// follows the layout of Microsoft's minidumpapiset.h documentation and
// depends on nothing else, so that the reader's tests check the reader
// against an independent writer.
package minidumptest

import (
	"encoding/binary"
	"unicode/utf16"
)

// Stream types and sizes of the documented layout.
const (
	moduleListStream = 4
	systemInfoStream = 7
	headerSize       = 32  // MINIDUMP_HEADER
	directorySize    = 12  // MINIDUMP_DIRECTORY
	moduleSize       = 108 // MINIDUMP_MODULE
	moduleNameRVA    = 20  // offset of ModuleNameRva in MINIDUMP_MODULE
	systemInfoSize   = 56  // MINIDUMP_SYSTEM_INFO with its CPU_INFORMATION
)

// System is the part of MINIDUMP_SYSTEM_INFO written.
type System struct {
	ProcessorArchitecture     uint16
	Major, Minor, BuildNumber uint32
}

// Spec describes a minidump.
type Spec struct {
	// Modules are the module names, in order (the process's executable
	// first, as Windows writes them).
	Modules []string
	// System adds a system information stream.
	System *System
	// PadCount writes the module count padded to 8 bytes, as some writers do.
	PadCount bool
	// NoModules leaves the module list stream out.
	NoModules bool
	// Stamp is the header's TimeDateStamp (seconds since 1970).
	Stamp uint32
	// Other adds empty streams of unknown types before the known ones.
	Other int
}

// Build writes the minidump: header, stream directory, system information,
// module list, then the module names as MINIDUMP_STRINGs (a 32-bit byte
// length, UTF-16LE, and a terminating null not counted in the length).
func Build(s Spec) []byte {
	le := binary.LittleEndian
	u32 := func(b []byte, v uint32) []byte { return le.AppendUint32(b, v) }

	streams := s.Other
	if s.System != nil {
		streams++
	}
	if !s.NoModules {
		streams++
	}
	dirRVA := uint32(headerSize)
	next := dirRVA + uint32(streams)*directorySize

	var dir, body []byte
	for i := 0; i < s.Other; i++ {
		dir = u32(u32(u32(dir, 0x1000+uint32(i)), 0), 0)
	}
	if s.System != nil {
		dir = u32(u32(u32(dir, systemInfoStream), systemInfoSize), next)
		si := make([]byte, systemInfoSize)
		le.PutUint16(si[0:], s.System.ProcessorArchitecture)
		le.PutUint32(si[8:], s.System.Major)
		le.PutUint32(si[12:], s.System.Minor)
		le.PutUint32(si[16:], s.System.BuildNumber)
		body = append(body, si...)
		next += systemInfoSize
	}
	if !s.NoModules {
		head := uint32(4)
		if s.PadCount {
			head = 8
		}
		listSize := head + uint32(len(s.Modules))*moduleSize
		dir = u32(u32(u32(dir, moduleListStream), listSize), next)
		nameAt := next + listSize
		list := u32(nil, uint32(len(s.Modules)))
		if s.PadCount {
			list = u32(list, 0)
		}
		var names []byte
		for i, name := range s.Modules {
			m := make([]byte, moduleSize)
			le.PutUint64(m[0:], 0x7ff800000000+uint64(i)<<20) // BaseOfImage
			le.PutUint32(m[8:], 0x10000)                      // SizeOfImage
			le.PutUint32(m[moduleNameRVA:], nameAt+uint32(len(names)))
			list = append(list, m...)
			u := utf16.Encode([]rune(name))
			names = u32(names, uint32(2*len(u)))
			for _, c := range u {
				names = le.AppendUint16(names, c)
			}
			names = append(names, 0, 0)
		}
		body = append(append(body, list...), names...)
	}

	h := []byte("MDMP")
	h = u32(h, 0x0000a793)      // Version: MINIDUMP_VERSION
	h = u32(h, uint32(streams)) // NumberOfStreams
	h = u32(h, dirRVA)          // StreamDirectoryRva
	h = u32(h, 0)               // CheckSum
	h = u32(h, s.Stamp)         // TimeDateStamp
	h = le.AppendUint64(h, 2)   // Flags: MiniDumpWithFullMemory
	return append(append(h, dir...), body...)
}

// LsassModules are the first modules of a dump of LSASS on Windows
// Server 2016, as a dumping tool would record them.
var LsassModules = []string{
	`C:\Windows\System32\lsass.exe`,
	`C:\Windows\SYSTEM32\ntdll.dll`,
	`C:\Windows\System32\KERNEL32.DLL`,
	`C:\Windows\System32\KERNELBASE.dll`,
	`C:\Windows\system32\lsasrv.dll`,
	`C:\Windows\system32\msv1_0.DLL`,
	`C:\Windows\system32\kerberos.DLL`,
	`C:\Windows\system32\wdigest.DLL`,
}

// W3wpModules are the first modules of a dump of an IIS worker process.
var W3wpModules = []string{
	`c:\windows\system32\inetsrv\w3wp.exe`,
	`C:\Windows\SYSTEM32\ntdll.dll`,
	`C:\Windows\System32\KERNEL32.DLL`,
	`c:\windows\system32\inetsrv\w3wphost.dll`,
	`C:\Windows\Microsoft.NET\Framework64\v4.0.30319\clr.dll`,
}
