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

// LiveExchangeInstallPath reads MsiInstallPath from the live registry, with
// Exchange's own %ExchangeInstallPath% variable as a fallback.
func LiveExchangeInstallPath() string {
	if v := regString(`SOFTWARE\Microsoft\ExchangeServer\v15\Setup`, "MsiInstallPath"); v != "" {
		return v
	}
	return os.Getenv("ExchangeInstallPath")
}

func regString(keyPath, name string) string {
	var key syscall.Handle
	kp, err := syscall.UTF16PtrFromString(keyPath)
	if err != nil {
		return ""
	}
	if syscall.RegOpenKeyEx(syscall.HKEY_LOCAL_MACHINE, kp, 0, syscall.KEY_READ|0x0100 /* KEY_WOW64_64KEY */, &key) != nil {
		return ""
	}
	defer syscall.RegCloseKey(key)
	n, err := syscall.UTF16PtrFromString(name)
	if err != nil {
		return ""
	}
	var typ, size uint32
	if syscall.RegQueryValueEx(key, n, nil, &typ, nil, &size) != nil || size == 0 || size > 1<<16 {
		return ""
	}
	buf := make([]uint16, size/2+1)
	if syscall.RegQueryValueEx(key, n, nil, &typ, (*byte)(unsafe.Pointer(&buf[0])), &size) != nil {
		return ""
	}
	if typ != syscall.REG_SZ && typ != syscall.REG_EXPAND_SZ {
		return ""
	}
	return syscall.UTF16ToString(buf)
}
