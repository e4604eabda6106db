//go:build windows

package root

import (
	"os"
	"syscall"
	"unsafe"
)

// LiveSystemDrive is the running system's drive, e.g. `C:\`.
func LiveSystemDrive() (string, error) {
	d := os.Getenv("SystemDrive")
	if d == "" {
		d = "C:"
	}
	return d + `\`, nil
}

var (
	kernel32          = syscall.NewLazyDLL("kernel32.dll")
	procGetDriveTypeW = kernel32.NewProc("GetDriveTypeW")
)

// driveFixed is GetDriveType's DRIVE_FIXED: a disk of this computer (not
// removable media, a network share, a CD or a RAM disk).
const driveFixed = 3

// LiveVolumes lists the running system's fixed drives other than the
// system drive, by letter (A: and B:, floppy letters, are not asked). Only
// fixed drives hold a server's files: a mapped network share or a
// responder's USB stick is not part of the server, and walking a share in
// search of Exchange could take hours.
func LiveVolumes(system string) map[byte]string {
	out := map[byte]string{}
	sys := byte(0)
	if len(system) >= 2 && system[1] == ':' {
		sys = system[0] &^ 0x20
	}
	for l := byte('C'); l <= 'Z'; l++ {
		if l == sys {
			continue
		}
		d := string([]byte{l, ':', '\\'})
		p, err := syscall.UTF16PtrFromString(d)
		if err != nil {
			continue
		}
		if t, _, _ := procGetDriveTypeW.Call(uintptr(unsafe.Pointer(p))); t != driveFixed {
			continue
		}
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			out[l] = d
		}
	}
	return out
}
