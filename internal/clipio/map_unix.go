//go:build unix

package clipio

import (
	"io"
	"os"
	"syscall"
)

// MapFile maps f read-only. It returns nil data when f is better read as a
// stream, and an error only when check, given the file's size, refuses it
// (a file too large to map).
func MapFile(f *os.File, check func(size int64) error) (data []byte, unmap func() error, err error) {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() == 0 {
		return nil, nil, nil
	}
	if err := check(st.Size()); err != nil {
		return nil, nil, err
	}
	// A file opened elsewhere may not be at offset 0 (stdin after another
	// reader took some): stream what is left instead.
	if off, err := f.Seek(0, io.SeekCurrent); err != nil || off != 0 {
		return nil, nil, nil
	}
	data, err = syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, nil // e.g. a file system without mmap: stream instead
	}
	// MAP_POPULATE (map every page up front) made no measurable
	// difference against faulting pages in as the remux reaches them.
	adviseSequential(data)
	return data, func() error { return syscall.Munmap(data) }, nil
}
