//go:build !unix

package clipcmd

import "os"

// mapFile does not map on platforms without mmap: inputs are streamed, or
// read whole when selection needs them.
func mapFile(*os.File) ([]byte, func() error, error) { return nil, nil, nil }
