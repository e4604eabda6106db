//go:build !unix

package main

// oNonBlock: opening does not block on Windows.
const oNonBlock = 0
