package collect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/triage"
)

// On a running server the event log service holds the .evtx files and the
// kernel holds the registry hives, both without sharing them for reading;
// files of other accounts are closed to the administrator by their ACLs.
// They are read the documented ways: the event log service exports a log
// (EvtExportLog, what `wevtutil epl` calls), the registry saves a hive
// (RegSaveKeyEx with SeBackupPrivilege, what `reg save` calls), and a file
// denied by its ACL is opened with backup semantics (SeBackupPrivilege).

var (
	advapi32                  = syscall.NewLazyDLL("advapi32.dll")
	procLookupPrivilegeValueW = advapi32.NewProc("LookupPrivilegeValueW")
	procAdjustTokenPrivileges = advapi32.NewProc("AdjustTokenPrivileges")
	procRegSaveKeyExW         = advapi32.NewProc("RegSaveKeyExW")
	wevtapi                   = syscall.NewLazyDLL("wevtapi.dll")
	procEvtExportLog          = wevtapi.NewProc("EvtExportLog")
)

const (
	sePrivilegeEnabled      = 0x2
	errorNotAllAssigned     = syscall.Errno(1300)
	regLatestFormat         = 2
	evtExportLogChannelPath = 0x1
	evtExportLogFilePath    = 0x2
	fileFlagBackupSemantics = 0x02000000
	fileFlagSequentialScan  = 0x08000000
	fileShareDelete         = 0x4
	fileFlagOpenReparse     = 0x00200000
	fileAttributeReparse    = 0x400
	regOptionBackupRestore  = 0x4
)

type luid struct {
	low  uint32
	high int32
}

type tokenPrivileges struct {
	count      uint32
	luid       luid
	attributes uint32
}

// backupPrivilege enables SeBackupPrivilege once for the process: an
// administrator holds it, disabled, in an elevated token.
var backupPrivilege = sync.OnceValue(func() error { return enablePrivilege("SeBackupPrivilege") })

func enablePrivilege(name string) error {
	proc, err := syscall.GetCurrentProcess()
	if err != nil {
		return err
	}
	var tok syscall.Token
	if err := syscall.OpenProcessToken(proc, syscall.TOKEN_ADJUST_PRIVILEGES|syscall.TOKEN_QUERY, &tok); err != nil {
		return fmt.Errorf("opening the process token: %w", err)
	}
	defer tok.Close()
	n, err := syscall.UTF16PtrFromString(name)
	if err != nil {
		return err
	}
	var id luid
	if r, _, e := procLookupPrivilegeValueW.Call(0, uintptr(unsafe.Pointer(n)), uintptr(unsafe.Pointer(&id))); r == 0 {
		return fmt.Errorf("looking up %s: %w", name, e)
	}
	tp := tokenPrivileges{count: 1, luid: id, attributes: sePrivilegeEnabled}
	r, _, e := procAdjustTokenPrivileges.Call(uintptr(tok), 0, uintptr(unsafe.Pointer(&tp)), 0, 0, 0)
	if r == 0 {
		return fmt.Errorf("enabling %s: %w", name, e)
	}
	if errors.Is(e, errorNotAllAssigned) {
		return fmt.Errorf("%s is not held: run the collection as an administrator, elevated", name)
	}
	return nil
}

// tempIn makes a name for an export in dir that does not exist yet (both
// exports refuse to overwrite).
func tempIn(dir, base string) (string, error) {
	// The event log service writes the export itself, and wants a full
	// path.
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, ".exhunt-collect-"+base+"-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return "", err
	}
	return name, nil
}

// exportEventLog has the event log service write a copy of a channel's
// log (by its channel name, else by its file) to a new file.
func exportEventLog(channel, file, dir string) (string, error) {
	target, err := tempIn(dir, "evtx")
	if err != nil {
		return "", err
	}
	t, _ := syscall.UTF16PtrFromString(target)
	query, _ := syscall.UTF16PtrFromString("*")
	var errs exportErrors
	for _, src := range []struct {
		path  string
		flags uintptr
	}{{channel, evtExportLogChannelPath}, {file, evtExportLogFilePath}} {
		p, err := syscall.UTF16PtrFromString(src.path)
		if err != nil {
			continue
		}
		if err := procEvtExportLog.Find(); err != nil {
			return "", fmt.Errorf("the event log API is missing: %w", err)
		}
		r, _, e := procEvtExportLog.Call(0, uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(query)), uintptr(unsafe.Pointer(t)), src.flags)
		if r != 0 {
			return target, nil
		}
		os.Remove(target)
		errs = append(errs, fmt.Errorf("%s: %w", src.path, e))
	}
	if len(errs) == 0 {
		return "", fmt.Errorf("%q: not a channel or file name", channel)
	}
	return "", errs
}

// exportErrors are the failures of each way a log was asked for, on one
// line (they go into a manifest cell), each kept for errors.Is.
type exportErrors []error

func (e exportErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e exportErrors) Unwrap() []error { return e }

// saveHive has the registry write a hive of HKEY_LOCAL_MACHINE to a new
// file, in the format of the hive files.
func saveHive(hive, dir string) (string, error) {
	if err := backupPrivilege(); err != nil {
		return "", err
	}
	target, err := tempIn(dir, "hive")
	if err != nil {
		return "", err
	}
	var key syscall.Handle
	// REG_OPTION_BACKUP_RESTORE: with SeBackupPrivilege it opens keys
	// whose ACL denies administrators (SECURITY, SAM).
	if err := syscall.RegOpenKeyEx(syscall.HKEY_LOCAL_MACHINE, syscall.StringToUTF16Ptr(hive), regOptionBackupRestore, syscall.KEY_READ, &key); err != nil {
		return "", fmt.Errorf("opening HKLM\\%s: %w", hive, err)
	}
	defer syscall.RegCloseKey(key)
	t, _ := syscall.UTF16PtrFromString(target)
	if err := procRegSaveKeyExW.Find(); err != nil {
		return "", err
	}
	if r, _, _ := procRegSaveKeyExW.Call(uintptr(key), uintptr(unsafe.Pointer(t)), 0, regLatestFormat); r != 0 {
		os.Remove(target)
		return "", fmt.Errorf("saving HKLM\\%s: %w", hive, syscall.Errno(r))
	}
	return target, nil
}

// openBackup opens a file with backup semantics, which reads past its
// ACL for a holder of SeBackupPrivilege, sharing it with every writer.
func openBackup(p string) (*os.File, error) {
	if err := backupPrivilege(); err != nil {
		return nil, err
	}
	name, err := syscall.UTF16PtrFromString(p)
	if err != nil {
		return nil, err
	}
	// The link itself is opened, never followed: a junction swapped in
	// since the scan must not lead the collection off the server's files.
	h, err := syscall.CreateFile(name, syscall.GENERIC_READ, syscall.FILE_SHARE_READ|syscall.FILE_SHARE_WRITE|fileShareDelete,
		nil, syscall.OPEN_EXISTING, fileFlagBackupSemantics|fileFlagSequentialScan|fileFlagOpenReparse, 0)
	if err != nil {
		return nil, err
	}
	var info syscall.ByHandleFileInformation
	if err := syscall.GetFileInformationByHandle(h, &info); err != nil {
		syscall.CloseHandle(h)
		return nil, err
	}
	if info.FileAttributes&(fileAttributeReparse|syscall.FILE_ATTRIBUTE_DIRECTORY) != 0 {
		syscall.CloseHandle(h)
		return nil, errors.New("a link or a folder, not a file: not followed")
	}
	return os.NewFile(uintptr(h), p), nil
}

// planLive gives the files a running server holds open a way to be read:
// the hives of the system's config folder are saved by the registry, the
// event logs of its winevt\Logs folder exported by the event log service
// (anywhere else, a file of those names is only a file), and any other
// file opened with backup semantics.
func (c *collector) planLive(s *facts.Server, items map[string]*item) []string {
	hives := map[string]string{"system": "SYSTEM", "software": "SOFTWARE", "sam": "SAM", "security": "SECURITY"}
	for name, it := range items {
		host := s.WindowsPath(name)
		base := strings.ToLower(path.Base(name))
		dir := strings.ToLower(path.Dir(name))
		switch {
		case dir == "windows/system32/config" && hives[base] != "":
			hive := hives[base]
			it.fallback = func(ctx context.Context, spool string) (*os.File, string, triage.Method, error) {
				f, temp, err := openTemp(saveHive(hive, spool))
				return f, temp, triage.MethodRegistrySave, err
			}
		case dir == "windows/system32/config" && (strings.HasSuffix(base, ".log1") || strings.HasSuffix(base, ".log2")):
			// The system holds the transaction logs too; the saved hive
			// already holds what they would add.
			it.entry = &triage.Entry{Status: triage.Skipped, Size: -1, Method: triage.MethodRegistrySave,
				Note: "a hive's transaction log, held by the system: the hive saved by the registry already holds what it adds"}
		case dir == "windows/system32/winevt/logs" && strings.EqualFold(filepath.Ext(base), ".evtx"):
			channel := strings.ReplaceAll(strings.TrimSuffix(path.Base(name), path.Ext(name)), "%4", "/")
			it.fallback = func(ctx context.Context, spool string) (*os.File, string, triage.Method, error) {
				f, temp, err := openTemp(exportEventLog(channel, host, spool))
				return f, temp, triage.MethodEventLogExport, err
			}
		default:
			it.fallback = func(context.Context, string) (*os.File, string, triage.Method, error) {
				f, err := openBackup(host)
				return f, "", triage.MethodBackup, err
			}
		}
	}
	return []string{"Live collection: event logs the service holds are exported by it (as wevtutil epl does) and hives saved by the registry (as reg save does); the manifest's method column says which, and their hashes are of the export."}
}

// openTemp opens a file an export made, removing it when it cannot be
// opened: no copy of evidence is left behind.
func openTemp(file string, err error) (*os.File, string, error) {
	if err != nil {
		return nil, "", err
	}
	f, err := os.Open(file)
	if err != nil {
		os.Remove(file)
		return nil, "", err
	}
	return f, file, nil
}
