//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package collect

import (
	"io/fs"
	"time"
)

func fileTimes(fs.FileInfo) (created, accessed, changed time.Time) { return }
