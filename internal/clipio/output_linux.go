package clipio

import (
	"os"
	"syscall"
)

// Preallocate reserves size bytes of disk for the output file f, which the
// caller cuts to the clip's size at the end if it is longer. With the
// blocks allocated up front the file system does not reserve them page by
// page as the writes come (ext4's delayed allocation), which made writing
// the benchmark recording's clip about 1 ms faster of 20
// (bench/README.md). A failure — a file system without fallocate — only
// loses that.
func Preallocate(f *os.File, size int64) {
	if size > 0 {
		_ = syscall.Fallocate(int(f.Fd()), 0, 0, size)
	}
}
