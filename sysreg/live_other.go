//go:build !windows

package sysreg

// NewLive returns the live registry; there is none outside Windows.
func NewLive() (Registry, bool) { return nil, false }
