package archive_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
)

// TestFSConformance runs the Store suite on the filesystem store; reopening
// is a restart on the same directory.
func TestFSConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, log *slog.Logger) (archive.Store, func() archive.Store) {
		dir := t.TempDir()
		open := func() archive.Store {
			a, err := archive.OpenFS(dir, &archive.FSOptions{Logger: log})
			require.NoError(t, err)
			t.Cleanup(func() { a.Close() })
			return a
		}
		return open(), open
	}, fsIndexAccess)
}

// fsIndexPath is where the filesystem store keeps a fragment's index.
func fsIndexPath(store archive.Store, stream, number string) string {
	return filepath.Join(store.(*archive.FS).Root(), "streams", stream, "frags", number+".idx")
}

var fsIndexAccess = storetest.IndexAccess{
	Get: func(t *testing.T, store archive.Store, stream, number string) []byte {
		b, err := os.ReadFile(fsIndexPath(store, stream, number))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		require.NoError(t, err)
		return b
	},
	Set: func(t *testing.T, store archive.Store, stream, number string, raw []byte) {
		path := fsIndexPath(store, stream, number)
		if raw == nil {
			require.NoError(t, os.Remove(path))
			return
		}
		require.NoError(t, os.WriteFile(path, raw, 0o644))
	},
}

// TestS3Conformance runs the same suite on versitygw; reopening is a second
// server on the same bucket and prefix.
func TestS3Conformance(t *testing.T) {
	gw := storetest.StartGW(t)
	storetest.Run(t, gw.Opener(archive.S3Options{}), s3IndexAccess(gw))
}

// s3IndexAccess reaches the index objects with a client of its own.
func s3IndexAccess(gw *storetest.GW) storetest.IndexAccess {
	client := gw.Client(0)
	key := func(store archive.Store, stream, number string) *s3.GetObjectInput {
		a := store.(*archive.S3)
		return &s3.GetObjectInput{Bucket: aws.String(a.Bucket()), Key: aws.String(a.Prefix() + "streams/" + stream + "/frags/" + number + ".idx")}
	}
	ctx := context.Background()
	return storetest.IndexAccess{
		Get: func(t *testing.T, store archive.Store, stream, number string) []byte {
			out, err := client.GetObject(ctx, key(store, stream, number))
			var nsk *s3types.NoSuchKey
			if errors.As(err, &nsk) {
				return nil
			}
			require.NoError(t, err)
			defer out.Body.Close()
			b, err := io.ReadAll(out.Body)
			require.NoError(t, err)
			return b
		},
		Set: func(t *testing.T, store archive.Store, stream, number string, raw []byte) {
			in := key(store, stream, number)
			if raw == nil {
				_, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: in.Bucket, Key: in.Key})
				require.NoError(t, err)
				return
			}
			_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: in.Bucket, Key: in.Key, Body: bytes.NewReader(raw), ContentLength: aws.Int64(int64(len(raw)))})
			require.NoError(t, err)
		},
	}
}
