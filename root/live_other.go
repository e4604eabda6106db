//go:build !windows

package root

import "errors"

// ErrNoLiveSystem says that scanning the running system needs Windows.
var ErrNoLiveSystem = errors.New("scanning the running system works on Windows only; give --root PATH (a mounted image or a copy of the server's system drive)")

// LiveSystemDrive is only known on Windows.
func LiveSystemDrive() (string, error) { return "", ErrNoLiveSystem }

// LiveVolumes is only known on Windows.
func LiveVolumes(system string) map[byte]string { return nil }
