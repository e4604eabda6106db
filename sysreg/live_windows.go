//go:build windows

package sysreg

import (
	"errors"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf16"
	"unsafe"
)

// Live reads the running system's registry (64-bit view).
type Live struct{}

// NewLive returns the live registry; ok is false on systems without one.
func NewLive() (Registry, bool) { return Live{}, true }

func (Live) Describe(h Hive) string { return `live registry HKLM\` + string(h) }

const keyWow6464Key = 0x0100

var (
	advapi32           = syscall.NewLazyDLL("advapi32.dll")
	procRegEnumKeyExW  = advapi32.NewProc("RegEnumKeyExW")
	errNoMoreItems     = syscall.Errno(259)
	errFileNotFound    = syscall.ERROR_FILE_NOT_FOUND
	errPathNotFound    = syscall.ERROR_PATH_NOT_FOUND
	maxLiveValueBytes  = uint32(1 << 20)
	maxLiveSubkeyCount = 100000
)

func openLive(h Hive, key string) (syscall.Handle, error) {
	full := string(h)
	if key = strings.Trim(key, `\`); key != "" {
		full += `\` + key
	}
	p, err := syscall.UTF16PtrFromString(full)
	if err != nil {
		return 0, err
	}
	var k syscall.Handle
	if err := syscall.RegOpenKeyEx(syscall.HKEY_LOCAL_MACHINE, p, 0, syscall.KEY_READ|keyWow6464Key, &k); err != nil {
		if errors.Is(err, errFileNotFound) || errors.Is(err, errPathNotFound) {
			return 0, ErrNotFound
		}
		return 0, err
	}
	return k, nil
}

func queryLive(h Hive, key, name string) (uint32, []byte, error) {
	k, err := openLive(h, key)
	if err != nil {
		return 0, nil, err
	}
	defer syscall.RegCloseKey(k)
	n, err := syscall.UTF16PtrFromString(name)
	if err != nil {
		return 0, nil, err
	}
	var typ, size uint32
	if err := syscall.RegQueryValueEx(k, n, nil, &typ, nil, &size); err != nil {
		if errors.Is(err, errFileNotFound) {
			return 0, nil, ErrNotFound
		}
		return 0, nil, err
	}
	if size > maxLiveValueBytes {
		return 0, nil, errors.New("registry value too large")
	}
	buf := make([]byte, size+2)
	if size > 0 {
		if err := syscall.RegQueryValueEx(k, n, nil, &typ, &buf[0], &size); err != nil {
			return 0, nil, err
		}
	}
	return typ, buf[:size], nil
}

func utf16Text(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}

func (Live) String(h Hive, key, name string) (string, error) {
	typ, data, err := queryLive(h, key, name)
	if err != nil {
		return "", err
	}
	switch typ {
	case syscall.REG_SZ, syscall.REG_EXPAND_SZ, syscall.REG_LINK:
		s, _, _ := strings.Cut(utf16Text(data), "\x00")
		return s, nil
	case syscall.REG_MULTI_SZ:
		var strs []string
		for _, s := range strings.Split(utf16Text(data), "\x00") {
			if s == "" {
				break
			}
			strs = append(strs, s)
		}
		return strings.Join(strs, "\n"), nil
	case syscall.REG_DWORD, syscall.REG_QWORD, syscall.REG_DWORD_BIG_ENDIAN:
		n, err := liveUint(typ, data)
		return strconv.FormatUint(n, 10), err
	}
	return "", errors.New("registry value is not text or a number")
}

func liveUint(typ uint32, data []byte) (uint64, error) {
	switch {
	case typ == syscall.REG_DWORD && len(data) == 4:
		return uint64(data[0]) | uint64(data[1])<<8 | uint64(data[2])<<16 | uint64(data[3])<<24, nil
	case typ == syscall.REG_DWORD_BIG_ENDIAN && len(data) == 4:
		return uint64(data[3]) | uint64(data[2])<<8 | uint64(data[1])<<16 | uint64(data[0])<<24, nil
	case typ == syscall.REG_QWORD && len(data) == 8:
		var n uint64
		for i := 7; i >= 0; i-- {
			n = n<<8 | uint64(data[i])
		}
		return n, nil
	}
	return 0, errors.New("registry value is not a number")
}

func (Live) Uint(h Hive, key, name string) (uint64, error) {
	typ, data, err := queryLive(h, key, name)
	if err != nil {
		return 0, err
	}
	return liveUint(typ, data)
}

func (Live) Subkeys(h Hive, key string) ([]string, error) {
	k, err := openLive(h, key)
	if err != nil {
		return nil, err
	}
	defer syscall.RegCloseKey(k)
	var names []string
	buf := make([]uint16, 256)
	for i := 0; i < maxLiveSubkeyCount; i++ {
		n := uint32(len(buf))
		r, _, _ := procRegEnumKeyExW.Call(uintptr(k), uintptr(i), uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0, 0, 0, 0)
		if r == uintptr(errNoMoreItems) {
			break
		}
		if r != 0 {
			return names, syscall.Errno(r)
		}
		names = append(names, syscall.UTF16ToString(buf[:n]))
	}
	return names, nil
}
