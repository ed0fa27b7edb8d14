package clipcmd

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// outputIsInput returns why -o out must not be written, when it names one
// of the inputs — by its path or as another name of the same file (a hard
// link, a symbolic link, stdin redirected from it) — and "" otherwise.
// Renaming the clip over its input would lose the recording, as `sort -o`
// and ffmpeg take care to avoid.
func outputIsInput(out string, inputs []string, stdin io.Reader) string {
	if out == "-" {
		return ""
	}
	ost, err := os.Stat(out)
	if err != nil {
		return ""
	}
	for _, name := range inputs {
		var st fs.FileInfo
		if name == "-" {
			f, ok := stdin.(*os.File)
			if !ok {
				continue
			}
			st, err = f.Stat()
		} else {
			st, err = os.Stat(name)
		}
		if err == nil && os.SameFile(st, ost) {
			if name == "-" {
				name = "standard input"
			}
			return fmt.Sprintf("-o %s is the input %s: refusing to overwrite an input", out, name)
		}
	}
	return ""
}

// openOutput opens the clip's destination. A file is written under a
// temporary name in the same directory and renamed into place by commit, so a
// failed clip leaves no file behind. Its errors name path, the user's name,
// never the temporary one.
func openOutput(path string, stdout io.Writer) (w io.Writer, commit func() error, abort func(), err error) {
	if path == "-" {
		return stdout, func() error { return nil }, func() {}, nil
	}
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		return nil, nil, nil, fmt.Errorf("-o %s is a directory", path)
	case err == nil && !st.Mode().IsRegular():
		// A device or a named pipe (-o /dev/null, a FIFO) is written
		// as it is: renaming a file over it would replace the device
		// node (as root) rather than write to it.
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, nil, nil, outputError(path, "cannot open", err)
		}
		return f, f.Close, func() { f.Close() }, nil
	}
	tmp, err := createPart(path)
	if err != nil {
		return nil, nil, nil, outputError(path, "cannot create", err)
	}
	commit = func() error {
		if err := tmp.Close(); err != nil {
			os.Remove(tmp.Name())
			return outputError(path, "cannot write", err)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			os.Remove(tmp.Name())
			return outputError(path, "cannot put the clip in place", err)
		}
		return nil
	}
	abort = func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}
	return tmp, commit, abort, nil
}

// outputError is an error about -o path: what could not be done and the
// system's reason, without the name of the temporary file the reason came
// with.
func outputError(path, what string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return fmt.Errorf("-o %s: %s: %w", path, what, err)
}

// createPart creates a new file beside path for the output to be renamed
// to path once complete. Unlike os.CreateTemp, which makes files only their
// owner may read, it asks for mode 0666 and leaves the rest to the umask,
// as any file a command writes: the clip is the user's file, not a
// temporary one.
func createPart(path string) (*os.File, error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	for range 100 {
		name := filepath.Join(dir, "."+base+"."+rand.Text()[:10]+".part")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, errors.New("no free name for a temporary file beside it")
}
