//go:build windows

// Command holdopen holds files open as a running Windows server holds its
// event logs and registry hives: without sharing, so that opening them
// fails for every other program (ERROR_SHARING_VIOLATION). It prints
// "holding" once every file is open and keeps them open until it is
// killed. The Wine tests use it to give the live scan the locked files of
// a real server.
package main

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

func main() {
	for _, p := range os.Args[1:] {
		name, err := syscall.UTF16PtrFromString(p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "holdopen: %s: %v\n", p, err)
			os.Exit(2)
		}
		// Read access only: the holder changes nothing; a share mode of
		// 0 is what denies everyone else.
		if _, err := syscall.CreateFile(name, syscall.GENERIC_READ, 0, nil, syscall.OPEN_EXISTING, syscall.FILE_ATTRIBUTE_NORMAL, 0); err != nil {
			fmt.Fprintf(os.Stderr, "holdopen: %s: %v\n", p, err)
			os.Exit(1)
		}
	}
	fmt.Println("holding")
	for {
		time.Sleep(time.Hour)
	}
}
