//go:build !windows

package probe

import "syscall"

var (
	resetErrnos   = []syscall.Errno{syscall.ECONNRESET, syscall.ECONNABORTED}
	refusedErrnos = []syscall.Errno{syscall.ECONNREFUSED}
)
