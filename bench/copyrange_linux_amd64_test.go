package bench

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/mkv"
)

// BenchmarkCopyFileRange is the measurement behind not using
// copy_file_range(2): it moves every frame of the mapped recording to a
// file, either as one writev per fragment of slices of the mapping (what
// the mp4 writer does) or as one copy_file_range per frame from the input
// file, which keeps the bytes in the kernel. A frame is the longest run
// that could be copied that way: frames are separated by block headers in
// the input and by track in the output. On the development machine the
// per-frame calls cost about twice the CPU of the one writev, so the
// writer does not use copy_file_range. Skipped without the recording.
func BenchmarkCopyFileRange(b *testing.B) {
	in, err := os.Open(InputPath())
	if err != nil {
		b.Skip("no benchmark recording (make bench-data):", err)
	}
	defer in.Close()
	st, err := in.Stat()
	require.NoError(b, err)
	data, err := syscall.Mmap(int(in.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	require.NoError(b, err)
	defer syscall.Munmap(data)
	base := uintptr(unsafe.Pointer(unsafe.SliceData(data)))

	for _, mode := range []string{"writev", "copy_file_range"} {
		b.Run(mode, func(b *testing.B) {
			out, err := os.Create(filepath.Join(b.TempDir(), "out"))
			require.NoError(b, err)
			defer out.Close()
			var iov []syscall.Iovec
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				require.NoError(b, out.Truncate(0))
				_, err := out.Seek(0, io.SeekStart)
				require.NoError(b, err)
				r := mkv.NewBytesReader(data)
				for {
					f, err := r.Next()
					if err == io.EOF {
						break
					}
					require.NoError(b, err)
					iov = iov[:0]
					for _, bl := range f.Blocks {
						if mode == "writev" {
							v := syscall.Iovec{Base: unsafe.SliceData(bl.Data)}
							v.SetLen(len(bl.Data))
							iov = append(iov, v)
							continue
						}
						off := int64(uintptr(unsafe.Pointer(unsafe.SliceData(bl.Data))) - base)
						for n := len(bl.Data); n > 0; {
							m, _, errno := syscall.Syscall6(sysCopyFileRange, in.Fd(), uintptr(unsafe.Pointer(&off)), out.Fd(), 0, uintptr(n), 0)
							if errno != 0 {
								b.Fatal(errno)
							}
							n -= int(m)
						}
					}
					for len(iov) > 0 {
						k := min(len(iov), 1024)
						if _, _, errno := syscall.Syscall(syscall.SYS_WRITEV, out.Fd(), uintptr(unsafe.Pointer(&iov[0])), uintptr(k)); errno != 0 {
							b.Fatal(errno)
						}
						iov = iov[k:]
					}
				}
			}
		})
	}
}

// sysCopyFileRange is copy_file_range's system call number on linux/amd64,
// which package syscall does not name.
const sysCopyFileRange = 326
