//go:build unix

package main

import (
	"errors"
	"io/fs"
	"syscall"
)

// oNoFollow makes opening fail rather than follow a symlink at the last
// component.
const oNoFollow = syscall.O_NOFOLLOW

// linkCount is the number of hard links of the file fi (from Lstat of path).
func linkCount(fi fs.FileInfo, path string) (uint64, error) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, errors.New("no link count")
	}
	return uint64(st.Nlink), nil
}
