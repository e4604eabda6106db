package probe

import "syscall"

// Winsock's own numbers: Go's ECONNRESET and ECONNREFUSED are not what a
// Windows socket returns.
var (
	resetErrnos   = []syscall.Errno{syscall.ECONNRESET, 10054 /* WSAECONNRESET */, 10053 /* WSAECONNABORTED */}
	refusedErrnos = []syscall.Errno{syscall.ECONNREFUSED, 10061 /* WSAECONNREFUSED */}
)
