//go:build !windows

package main

import (
	"os"

	"github.com/exhunt/exhunt/progress"
)

// colorTerminal reports whether the text report may colour what it writes
// to f: a terminal, which shows escape sequences as colours.
func colorTerminal(f *os.File) (restore func(), ok bool) {
	return func() {}, progress.IsTerminal(f)
}
