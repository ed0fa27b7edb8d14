//go:build !linux

package clipio

import "os"

// Preallocate does nothing outside Linux.
func Preallocate(*os.File, int64) {}
