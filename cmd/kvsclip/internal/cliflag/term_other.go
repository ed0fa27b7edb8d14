//go:build !linux

package cliflag

import "os"

// isTerminal takes a character device other than the null device for a
// terminal outside Linux: without the terminal driver's ioctl, which
// differs between systems, that is the nearest cheap test.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(st, null)
}
