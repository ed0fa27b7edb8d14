package cliflag

import (
	"os"
	"syscall"
	"unsafe"
)

// isTerminal asks the terminal driver for f's settings: only a terminal
// has them. (A mode check alone would take /dev/null, also a character
// device, for a terminal.) The x/term package does the same; one ioctl is
// not worth a dependency.
func isTerminal(f *os.File) bool {
	var t syscall.Termios
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	}); err != nil {
		return false
	}
	return errno == 0
}
