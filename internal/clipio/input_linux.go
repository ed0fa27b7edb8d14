package clipio

import (
	"os"
	"syscall"
)

// pipeSize is the pipe buffer asked for on a piped stdin. The default 64 KiB
// makes the writer and kvsclip take turns every 64 KiB — a context switch
// each, which on a busy machine costs more than the copying; with 1 MiB
// (the unprivileged maximum, /proc/sys/fs/pipe-max-size) they take turns
// about sixteen times less often.
const pipeSize = 1 << 20

// TunePipe enlarges the buffer of f when it is a pipe (see pipeSize);
// failure is harmless.
func TunePipe(f *os.File) {
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		return
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETPIPE_SZ, pipeSize)
	})
}

// adviseSequential tells the kernel the mapping is read once from start to
// end, so it reads ahead aggressively.
func adviseSequential(data []byte) {
	_ = syscall.Madvise(data, syscall.MADV_SEQUENTIAL)
}

// dropPages unmaps the pages of b, a page-aligned part of a file mapping,
// keeping the mapping: the next access faults them in again.
func dropPages(b []byte) {
	_ = syscall.Madvise(b, syscall.MADV_DONTNEED)
}
