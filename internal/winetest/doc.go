// Package winetest runs the Windows build of exhunt under Wine, on a Wine
// prefix laid out as an attacked Exchange server, and compares what it
// reports with the Linux build on the same files. It holds tests only.
package winetest
