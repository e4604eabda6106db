//go:build unix

package root

import (
	"os"
	"syscall"
)

// openFlagNonBlock keeps open from waiting: opening a named pipe for
// reading blocks until a writer appears, and evidence may hold one (or a
// symlink to one) where a regular file is expected.
const openFlagNonBlock = syscall.O_NONBLOCK

// checkTypeByName: a Unix file system holds named pipes and devices, which
// are refused by a stat of the name before anything opens them.
const checkTypeByName = true

// clearNonBlock puts an opened regular file back in blocking mode. Reads of
// regular files ignore O_NONBLOCK on the systems exhunt runs on, so this is
// tidiness rather than need.
func clearNonBlock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return serr
}
