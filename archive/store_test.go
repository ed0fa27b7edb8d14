package archive_test

import (
	"testing"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
	"github.com/stretchr/testify/require"
)

// TestFSConformance runs the Store suite on the filesystem store; reopening
// is a restart on the same directory.
func TestFSConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (archive.Store, func() archive.Store) {
		dir := t.TempDir()
		open := func() archive.Store {
			a, err := archive.Open(dir)
			require.NoError(t, err)
			return a
		}
		return open(), open
	})
}

// TestS3Conformance runs the same suite on versitygw; reopening is a second
// server on the same bucket and prefix.
func TestS3Conformance(t *testing.T) {
	gw := storetest.StartGW(t)
	storetest.Run(t, gw.Opener(archive.S3Options{}))
}
