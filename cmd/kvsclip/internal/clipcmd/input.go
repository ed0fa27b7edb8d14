package clipcmd

import (
	"fmt"
	"io"
	"os"

	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/cliflag"
	"github.com/kvsclip/kvsclip/internal/clipio"
	"github.com/kvsclip/kvsclip/kvs"
)

// MaxInputFileSize is the largest input file clip maps into memory. The
// mapping itself costs only address space, but selection runs over the
// whole file first and keeps every fragment's block list (about 80 bytes
// a frame) until the clip is written: at 64 GiB — some 18 hours of
// 8 Mbit/s video — that is a few hundred MB, and beyond it memory rather
// than the mapping becomes the problem. (On 32-bit platforms clipio.MapFile also
// refuses what does not fit an int.) A larger recording can still be
// clipped as a stream: `cat big.mkv | kvsclip clip -` reads it through the
// streaming reader in about two fragments of memory.
const MaxInputFileSize = 64 << 30

// input is one opened input: either the bytes of a mapped file (data, with
// unmap to release them) or a stream to read once.
type input struct {
	name   string
	data   []byte
	stream io.Reader
	close  func() error
	// prog shows how far the reading has come, before being the bytes
	// of the inputs before this one; nil when stderr is not a terminal.
	prog   *cliflag.Progress
	before int64
	// filter takes unsupported audio out of each fragment read; shared
	// by all inputs.
	filter *trackFilter
}

// size is the input's length when known: a mapped file's, else 0.
func (in *input) size() int64 { return int64(len(in.data)) }

// openInput opens an input for reading without a user-space copy where it
// can. A regular file (also stdin redirected from one) is mapped read-only,
// so the mkv bytes reader parses the page cache in place and block payloads
// reach the output as sub-slices of it. Anything else — a pipe, a socket, a
// terminal, an empty file, a file mmap refuses — is read as a stream.
//
// The mapping is shared and read-only: if another process truncates the
// file while we read it, touching a page past the new end raises SIGBUS,
// which Run turns into an error with debug.SetPanicOnFault.
func openInput(name string, stdin io.Reader) (*input, error) {
	in := &input{name: name, close: func() error { return nil }}
	var f *os.File
	if name == "-" {
		sf, ok := stdin.(*os.File)
		if !ok {
			var err error
			in.stream, err = Sniff(name, stdin)
			return in, err
		}
		f = sf
	} else {
		var err error
		if f, err = os.Open(name); err != nil {
			return nil, kvs.Errorf(kvs.InvalidArgument, "%w", err)
		}
		in.close = f.Close
	}
	data, unmap, err := clipio.MapFile(f, checkSize)
	if err != nil {
		in.close()
		return nil, kvs.Errorf(kvs.InvalidArgument, "%s: %w", name, err)
	}
	if data == nil {
		clipio.TunePipe(f)
		if in.stream, err = Sniff(name, f); err != nil {
			in.close()
			return nil, err
		}
		return in, nil
	}
	if err := checkHead(name, data[:min(len(data), sniffSize)]); err != nil {
		unmap()
		in.close()
		return nil, err
	}
	closeFile := in.close
	in.data = data
	in.close = func() error {
		err := unmap()
		if cerr := closeFile(); err == nil {
			err = cerr
		}
		return err
	}
	return in, nil
}

// checkSize refuses a file too large to map.
func checkSize(size int64) error {
	if size > MaxInputFileSize || int64(int(size)) != size {
		return fmt.Errorf("%d bytes, more than the %d a file input may have (MaxInputFileSize); pipe it to stdin to stream it",
			size, int64(MaxInputFileSize))
	}
	return nil
}
