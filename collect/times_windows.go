package collect

import (
	"io/fs"
	"syscall"
	"time"
)

// fileTimes reads NTFS's creation and access times; Windows keeps no
// metadata change time in what os.Stat returns.
func fileTimes(st fs.FileInfo) (created, accessed, changed time.Time) {
	d, ok := st.Sys().(*syscall.Win32FileAttributeData)
	if !ok {
		return
	}
	return time.Unix(0, d.CreationTime.Nanoseconds()).UTC(), time.Unix(0, d.LastAccessTime.Nanoseconds()).UTC(), time.Time{}
}
