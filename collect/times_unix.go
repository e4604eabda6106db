//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package collect

import (
	"io/fs"
	"syscall"
	"time"
)

// fileTimes reads the times a file system keeps beside the modification
// time. Unix keeps no creation time in stat; ctime is when the metadata
// last changed.
func fileTimes(st fs.FileInfo) (created, accessed, changed time.Time) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	a, c := statTimes(s)
	return time.Time{}, time.Unix(a.Unix()).UTC(), time.Unix(c.Unix()).UTC()
}
