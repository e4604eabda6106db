//go:build !windows

package root

// isSharingViolation: only Windows refuses to open a file because another
// program holds it.
func isSharingViolation(error) bool { return false }
