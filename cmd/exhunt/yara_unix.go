//go:build unix

package main

import "syscall"

// oNonBlock keeps opening a FIFO or a device from blocking: a file that
// was replaced by one after the folder was listed is then refused (it is
// not regular) instead of hanging the scan.
const oNonBlock = syscall.O_NONBLOCK
