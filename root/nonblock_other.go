//go:build !unix

package root

import "os"

// openFlagNonBlock is for Unix named pipes; Windows has none in its file
// systems, and its opens of files do not wait.
const openFlagNonBlock = 0

// checkTypeByName is false: Windows file systems hold no devices or named
// pipes (those live in the object namespace, which a root confined to a
// folder cannot reach), and os.Root's Stat there opens the file itself to
// read its attributes, so a check by name would be a second open of every
// file, folder by folder from the root, that protects nothing. The handle
// is checked after the open, as everywhere.
const checkTypeByName = false

func clearNonBlock(*os.File) error { return nil }
