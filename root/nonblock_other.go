//go:build !unix

package root

import "os"

// openFlagNonBlock is for Unix named pipes; Windows has none in its file
// systems, and its opens of files do not wait.
const openFlagNonBlock = 0

func clearNonBlock(*os.File) error { return nil }
