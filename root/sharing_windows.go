//go:build windows

package root

import (
	"errors"
	"syscall"
)

// errSharingViolation is ERROR_SHARING_VIOLATION: another program holds
// the file open without sharing it (a running server's event logs and
// registry hives).
const errSharingViolation = syscall.Errno(32)

func isSharingViolation(err error) bool { return errors.Is(err, errSharingViolation) }
