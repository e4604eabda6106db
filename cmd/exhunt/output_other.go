//go:build !unix && !windows

package main

import (
	"errors"
	"io/fs"
)

const oNoFollow = 0

// linkCount cannot tell on this system, so existing files are not
// overwritten.
func linkCount(fi fs.FileInfo, path string) (uint64, error) {
	return 0, errors.New("link counts are not available on this system")
}
