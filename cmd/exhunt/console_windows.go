//go:build windows

package main

import (
	"os"
	"syscall"
)

// enableVirtualTerminalProcessing is the console mode flag under which a
// Windows console interprets ANSI escape sequences (Windows 10 and Server
// 2016 on) instead of printing them.
const enableVirtualTerminalProcessing = 0x0004

var procSetConsoleMode = syscall.NewLazyDLL("kernel32.dll").NewProc("SetConsoleMode")

// colorTerminal reports whether the text report may colour what it writes
// to f, and returns what puts f back as it was. A console shows colours
// only once its program turns on escape sequences, which the shell turns
// off again before starting one: unasked, the report's colours would come
// out as ←[1;31m. NUL, a character device but no console, gets none.
func colorTerminal(f *os.File) (restore func(), ok bool) {
	h := syscall.Handle(f.Fd())
	var mode uint32
	if syscall.GetConsoleMode(h, &mode) != nil {
		return nil, false
	}
	if mode&enableVirtualTerminalProcessing != 0 {
		return func() {}, true
	}
	if r, _, _ := procSetConsoleMode.Call(uintptr(h), uintptr(mode|enableVirtualTerminalProcessing)); r == 0 {
		return nil, false // a console too old for escape sequences
	}
	return func() { procSetConsoleMode.Call(uintptr(h), uintptr(mode)) }, true
}
