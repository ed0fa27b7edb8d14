package streamref_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/streamref"
)

func ptr(s string) *string { return &s }

// TestResolve: a stream is found by name, by ARN, or by both when they
// agree; everything else gets the exception KVS answers, naming what is
// wrong.
func TestResolve(t *testing.T) {
	ctx := context.Background()
	store, err := archive.Open(t.TempDir())
	require.NoError(t, err)
	r := streamref.Resolver{Store: store, Region: "eu-west-1", AccountID: "123456789012"}
	created := time.UnixMilli(1700000000123)
	arn := r.ARN("cam", created.UnixMilli())
	require.NoError(t, store.CreateStream(ctx, archive.Stream{Name: "cam", ARN: arn, Created: created, Version: streamref.NewVersion()}))
	other := r.ARN("cam", created.UnixMilli()+1) // a stream of that name made again

	for _, c := range []struct {
		name      string
		sn, sarn  *string
		code, msg string // "" for found
	}{
		{"by name", ptr("cam"), nil, "", ""},
		{"by ARN", nil, &arn, "", ""},
		{"by both", ptr("cam"), &arn, "", ""},
		{"neither", nil, nil, "InvalidArgumentException", "Either StreamName or StreamARN"},
		{"empty name", ptr(""), nil, "InvalidArgumentException", "Either StreamName or StreamARN"},
		{"names disagree", ptr("other"), &arn, "InvalidArgumentException", "different streams"},
		{"unknown name", ptr("nope"), nil, "ResourceNotFoundException", "nope"},
		{"ARN of an older stream of the name", nil, &other, "ResourceNotFoundException", other},
		{"not an ARN", nil, ptr("arn:aws:s3:::bucket"), "InvalidArgumentException", "not a Kinesis Video stream ARN"},
		{"ARN too long", nil, ptr(strings.Repeat("a", 1025)), "InvalidArgumentException", "StreamARN must be 1 to 1024"},
		{"bad name", ptr("a/b"), nil, "InvalidArgumentException", "does not match"},
		{"name too long", ptr(strings.Repeat("a", 257)), nil, "InvalidArgumentException", "1 to 256 characters"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := r.Resolve(ctx, c.sn, c.sarn)
			if c.code == "" {
				require.NoError(t, err)
				assert.Equal(t, arn, st.ARN)
				return
			}
			e := httpapi.From(err)
			assert.Equal(t, c.code, e.Code)
			assert.Contains(t, e.Message, c.msg)
		})
	}
}

// TestUpdateVersioned: an update applies at the current version and moves
// it; at a stale one it is refused and changes nothing.
func TestUpdateVersioned(t *testing.T) {
	ctx := context.Background()
	store, err := archive.Open(t.TempDir())
	require.NoError(t, err)
	r := streamref.Resolver{Store: store, Region: "us-west-2", AccountID: "000000000000"}
	v0 := streamref.NewVersion()
	require.NoError(t, store.CreateStream(ctx, archive.Stream{Name: "cam", ARN: r.ARN("cam", 1), Created: time.UnixMilli(1), Version: v0}))

	_, err = r.UpdateVersioned(ctx, ptr("cam"), nil, &v0, func(st *archive.Stream) error { st.RetentionHours = 24; return nil })
	require.NoError(t, err)
	st, err := store.Stream(ctx, "cam")
	require.NoError(t, err)
	assert.Equal(t, int32(24), st.RetentionHours)
	assert.NotEqual(t, v0, st.Version)
	assert.Len(t, st.Version, 20)

	_, err = r.UpdateVersioned(ctx, ptr("cam"), nil, &v0, func(st *archive.Stream) error { st.RetentionHours = 48; return nil })
	assert.Equal(t, "VersionMismatchException", httpapi.From(err).Code)
	after, err := store.Stream(ctx, "cam")
	require.NoError(t, err)
	assert.Equal(t, st, after, "a refused update changes nothing")

	_, err = r.UpdateVersioned(ctx, ptr("cam"), nil, ptr("not-alnum!"), func(*archive.Stream) error { return nil })
	assert.Equal(t, "InvalidArgumentException", httpapi.From(err).Code)
}
