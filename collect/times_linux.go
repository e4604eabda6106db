package collect

import "syscall"

func statTimes(s *syscall.Stat_t) (accessed, changed syscall.Timespec) { return s.Atim, s.Ctim }
