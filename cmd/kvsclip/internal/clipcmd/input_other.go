//go:build !linux

package clipcmd

import "os"

// tunePipe leaves pipes as they are outside Linux.
func tunePipe(*os.File) {}

// adviseSequential gives no advice outside Linux.
func adviseSequential([]byte) {}

// dropPages keeps the pages outside Linux.
func dropPages([]byte) {}
