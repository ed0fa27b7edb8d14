//go:build !linux

package clipio

import "os"

// TunePipe leaves pipes as they are outside Linux.
func TunePipe(*os.File) {}

// adviseSequential gives no advice outside Linux.
func adviseSequential([]byte) {}

// dropPages keeps the pages outside Linux.
func dropPages([]byte) {}
