// Package winetest runs the Windows build of exhunt for real, under Wine,
// and compares it with the Linux build on the same files. It holds tests
// only; they run with go test ./... on Linux, skip (saying what to
// install) without Wine, and fail without it under CI=true.
//
// One Wine prefix is booted per test binary run and laid out as a server:
// C: is the prefix's drive_c with the synthetic attacked server of package
// testserver merged into Wine's own folders (Exchange, inetpub, the web
// and drop folders, the event logs, the generator's registry hives), D: is
// another fixed drive (Exchange and the IIS logs in one layout), and X:, a
// network drive, holds the binaries, inputs and reports, as a responder's
// share would. The generator's SOFTWARE and SYSTEM hives are also written
// into Wine's registry (reg import), where the live scan reads them
// through the Windows API. Then exhunt.exe scans the "running server" (no
// --root), exhunt.exe scans C:\ as a copy, and the Linux binary scans the
// prefix's folders, and the three reports must agree field for field,
// apart from what differs by nature (the scan's id and times; where the
// registry was read, "live registry HKLM\SOFTWARE" against "registry hive
// Windows/System32/config/SOFTWARE"; the host folders against the drives),
// and hold the generator's expected findings; nothing on C: or D: may
// change. The live scan is also run with the event logs held open, and
// refused a report or --volume on the server's drives. The other commands (version,
// rules, build, mitigate, indicators, yara, evtx) must print the same as
// on Linux, paths apart (`\` for `/`). `exhunt.exe collect` of the running
// server (C: and D:) onto the share must give an archive that the Linux
// binary scans to the findings of its scan of the drives, change nothing,
// and be refused on the server's drives; with the event logs held open,
// each is tried by export and listed as failed. The collect package's own
// tests of the live reads (hive save, event log export, backup-semantics
// open) are built for Windows and run under Wine. To add a command, call
// machine.both (or m.wine and m.exhunt) with its arguments: host paths in
// them are given to exhunt.exe as Windows paths.
//
// What Wine 8.0 (Debian 12) stands in for, exercised here: the registry
// API (RegOpenKeyExW with KEY_WOW64_64KEY, RegQueryValueExW,
// RegEnumKeyExW); GetDriveTypeW and the probing of C: to Z: that finds a
// server's other fixed drives (a drive Wine is told is a network one is
// left out); os.Root's file access (NtCreateFile relative to folder
// handles, GetFileInformationByHandle, folder listings); share modes
// between processes (a file held open without sharing cannot be opened,
// and os.Root cannot even stat it, as on Windows); GetComputerNameExW
// (os.Hostname); drive letters, backslashes and case in paths given on the
// command line; a path longer than MAX_PATH and names in Cyrillic and
// Japanese (a dump planted at such a path must be found by both builds).
//
// What it does not, and how the tests get around it:
//   - Wine 8.0 has no bcryptprimitives.dll, whose ProcessPrng every Go
//     program since Go 1.22 calls as it starts: when the prefix lacks it,
//     a stand-in (testdata/processprng.c, over RtlGenRandom) is built with
//     MinGW-w64 into system32. Wine 9 and later have their own.
//   - HKLM\SYSTEM\CurrentControlSet is a key of its own in Wine, not a link
//     to the ControlSet00N that SYSTEM\Select names: the current control
//     set's values are written under CurrentControlSet.
//   - Wine rewrites ComputerName and Tcpip's Hostname and Domain from the
//     Unix host's name whenever its server starts: the server is started
//     once, kept running (wineserver -p), and the names written after.
//   - Wine has no event log service holding the .evtx files open. A small
//     Windows program (testdata/holdopen) holds them without sharing, which
//     is what the live scan expects of a running server; whether Windows'
//     own service shares them with readers is not something Wine can show.
//     Wine's registry is text files, so the locked hive files of a running
//     Windows (a scan of C:\ as a copy on the live server) are not tested.
//   - Collection: Wine's RegSaveKeyExW saves a hive in Wine's own text
//     format, not the hive files' (regf), and its EvtExportLog is not
//     implemented ("Call not implemented"): both code paths run, up to the
//     API, and those two tests skip saying so; opening with backup
//     semantics (CreateFile, FILE_FLAG_BACKUP_SEMANTICS, SeBackupPrivilege
//     enabled through AdjustTokenPrivileges) works and is tested. Go's
//     os.RemoveAll fails under Wine ("Invalid function"), so those tests
//     clean their folders without failing on it.
//   - Wine words system errors its own way ("Sharing violation." where
//     Windows says "The process cannot access the file because it is
//     being used by another process.").
//   - Access times: Windows has no O_NOATIME, and exhunt.exe opens evidence
//     plainly read-only; under Wine the reads are Linux reads, whose access
//     time rules are not NTFS's, so only contents and modification times
//     are checked unchanged.
//   - There is no console: standard output and error are files, so the
//     colours and the progress line are not exercised; and on a Unix
//     terminal Wine's console passes escape sequences through whatever
//     the console mode, so the switch to ENABLE_VIRTUAL_TERMINAL_PROCESSING
//     that a Windows console needs cannot be checked under Wine either.
//   - exhunt asks the running system for no version (RtlGetVersion): the
//     Windows version it reports comes from the registry. Wine is set to
//     say Windows 10, the oldest that Go programs support.
//   - File times: NTFS keeps them to 100 ns, Linux file systems to 1 ns;
//     Wine cuts what it reports of the Linux files to 100 ns, so files added by
//     the tests get times both can state exactly.
//   - Speed: every file opened is a round trip to the Wine server, and a
//     scan takes 10 to 20 times as long as on Linux; nothing here measures
//     Windows' speed.
//   - Not laid out: UNC paths (no SMB), NTFS alternate data streams and 8.3
//     names.
package winetest
