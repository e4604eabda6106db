//go:build unix

package chromiumtest

import (
	"os/exec"
	"syscall"
)

// ownGroup starts the command in a process group of its own, so that
// Chromium's helper processes can be ended with it.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup ends the command's process group: Chromium and its helpers.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
