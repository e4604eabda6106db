//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package collect

import "syscall"

func statTimes(s *syscall.Stat_t) (accessed, changed syscall.Timespec) {
	return s.Atimespec, s.Ctimespec
}
