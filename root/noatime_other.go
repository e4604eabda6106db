//go:build !linux

package root

// openFlagNoAtime is Linux-only; elsewhere read-only opening is all we can do.
const openFlagNoAtime = 0
