//go:build windows

package main

import (
	"io/fs"
	"syscall"
)

// oNoFollow: Windows has no such open flag; openReportFile refuses links
// (symlinks, junctions and other reparse points) after an Lstat of the path,
// and creates files with O_EXCL, which never follows one.
const oNoFollow = 0

// linkCount is the number of hard links of the file at path (fi is its
// Lstat). The file is opened for attributes only, without following a
// reparse point: no read access, so no sharing conflict with a process
// holding it open and no access time update.
func linkCount(fi fs.FileInfo, path string) (uint64, error) {
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return 0, err
	}
	h, err := syscall.CreateFile(p, 0,
		syscall.FILE_SHARE_READ|syscall.FILE_SHARE_WRITE|syscall.FILE_SHARE_DELETE, nil,
		syscall.OPEN_EXISTING, syscall.FILE_FLAG_OPEN_REPARSE_POINT|syscall.FILE_FLAG_BACKUP_SEMANTICS, 0)
	if err != nil {
		return 0, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.CloseHandle(h)
	var info syscall.ByHandleFileInformation
	if err := syscall.GetFileInformationByHandle(h, &info); err != nil {
		return 0, &fs.PathError{Op: "GetFileInformationByHandle", Path: path, Err: err}
	}
	return uint64(info.NumberOfLinks), nil
}
