//go:build !linux

package clipcmd

import "os"

// preallocate does nothing outside Linux.
func preallocate(*os.File, int64) {}
