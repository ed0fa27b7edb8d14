//go:build !unix

package clipio

import "os"

// MapFile does not map on platforms without mmap: inputs are streamed, or
// read whole when selection needs them.
func MapFile(*os.File, func(int64) error) ([]byte, func() error, error) { return nil, nil, nil }
