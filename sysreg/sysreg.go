// Package sysreg reads the Windows registry values exhunt needs to know a
// server (install path, host name, Windows and Exchange versions, roles)
// through one interface with two implementations: the offline hive files of
// a scan root (Windows/System32/config/SOFTWARE and SYSTEM), read with
// package winreg, and the live registry of the running Windows system.
//
// Each fact is read by one code path whichever implementation is behind it,
// so a copy and the live server give the same answer. Keys under
// CurrentControlSet are mapped to the control set the hive marks as current.
package sysreg

import (
	"errors"
	"strings"
)

// Hive names a root key under HKEY_LOCAL_MACHINE.
type Hive string

// The hives exhunt reads.
const (
	Software Hive = "SOFTWARE"
	System   Hive = "SYSTEM"
)

// ErrNotFound is returned for a key or value that does not exist, and for a
// hive that is not there at all.
var ErrNotFound = errors.New("not found in the registry")

// Registry reads values of HKLM. Key paths use backslashes and no leading
// hive name, e.g. `Microsoft\ExchangeServer\v15\Setup`.
type Registry interface {
	// String returns a string value (REG_SZ, REG_EXPAND_SZ unexpanded, the
	// strings of REG_MULTI_SZ joined by newlines) or a number in decimal.
	String(hive Hive, key, name string) (string, error)
	// Uint returns a REG_DWORD or REG_QWORD value.
	Uint(hive Hive, key, name string) (uint64, error)
	// Subkeys lists the names of a key's sub-keys.
	Subkeys(hive Hive, key string) ([]string, error)
	// Describe says where a hive's values come from, for reports
	// ("registry hive Windows/System32/config/SYSTEM", "live registry").
	Describe(hive Hive) string
}

// currentControlSet is the alias the live registry resolves by itself and
// offline readers must map through SYSTEM\Select.
const currentControlSet = `currentcontrolset`

// splitControlSet reports whether key starts with CurrentControlSet and
// returns the rest.
func splitControlSet(key string) (rest string, ok bool) {
	k := strings.TrimLeft(key, `\`)
	if len(k) < len(currentControlSet) || !strings.EqualFold(k[:len(currentControlSet)], currentControlSet) {
		return key, false
	}
	rest = k[len(currentControlSet):]
	if rest != "" && rest[0] != '\\' {
		return key, false
	}
	return rest, true
}

// StringOr returns a value, or "" when it cannot be read for any reason.
func StringOr(r Registry, hive Hive, key, name string) string {
	if r == nil {
		return ""
	}
	v, err := r.String(hive, key, name)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(v)
}
