package kvs_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kvsclip/kvsclip/kvs"
)

type kinded struct{}

func (kinded) Error() string     { return "kinded" }
func (kinded) KVSKind() kvs.Kind { return kvs.InvalidMediaFrame }

func TestKinds(t *testing.T) {
	for _, c := range []struct {
		kind      kvs.Kind
		name, exc string
		status    int
	}{
		{kvs.InvalidArgument, "InvalidArgument", "InvalidArgumentException", 400},
		{kvs.ResourceNotFound, "ResourceNotFound", "ResourceNotFoundException", 404},
		{kvs.MissingCodecPrivateData, "MissingCodecPrivateData", "MissingCodecPrivateDataException", 400},
		{kvs.InvalidCodecPrivateData, "InvalidCodecPrivateData", "InvalidCodecPrivateDataException", 400},
		{kvs.InvalidMediaFrame, "InvalidMediaFrame", "InvalidMediaFrameException", 400},
		{kvs.UnsupportedStreamMediaType, "UnsupportedStreamMediaType", "UnsupportedStreamMediaTypeException", 400},
		{kvs.ClientLimitExceeded, "ClientLimitExceeded", "ClientLimitExceededException", 400},
		{kvs.NotAuthorized, "NotAuthorized", "NotAuthorizedException", 401},
		{kvs.NoDataRetention, "NoDataRetention", "NoDataRetentionException", 400},
		{kvs.ResourceInUse, "ResourceInUse", "ResourceInUseException", 400},
		{kvs.VersionMismatch, "VersionMismatch", "VersionMismatchException", 400},
		{kvs.UnknownOperation, "UnknownOperation", "UnknownOperationException", 404},
		{kvs.ConnectionLimitExceeded, "ConnectionLimitExceeded", "ConnectionLimitExceededException", 400},
		{kvs.TagsPerResourceExceededLimit, "TagsPerResourceExceededLimit", "TagsPerResourceExceededLimitException", 400},
		{kvs.AccessDenied, "AccessDenied", "AccessDeniedException", 403},
		{kvs.StreamEdgeConfigurationNotFound, "StreamEdgeConfigurationNotFound", "StreamEdgeConfigurationNotFoundException", 404},
		{kvs.Unknown, "InternalFailure", "InternalFailure", 500},
		{kvs.Kind(99), "Kind(99)", "Kind(99)Exception", 500},
	} {
		assert.Equal(t, c.name, c.kind.String())
		assert.Equal(t, c.exc, c.kind.Exception())
		assert.Equal(t, c.status, c.kind.Status(), c.name)
	}
}

func TestKindOf(t *testing.T) {
	e := kvs.Errorf(kvs.InvalidMediaFrame, "bad frame: %w", io.ErrUnexpectedEOF)
	assert.Equal(t, kvs.InvalidMediaFrame, kvs.KindOf(fmt.Errorf("wrapped: %w", e)))
	assert.ErrorIs(t, e, io.ErrUnexpectedEOF)
	assert.Equal(t, kvs.InvalidMediaFrame, kvs.KindOf(kinded{}))
	assert.Equal(t, kvs.Unknown, kvs.KindOf(errors.New("plain")))
	assert.Equal(t, kvs.Unknown, kvs.KindOf(nil))
}

func TestErrorText(t *testing.T) {
	e := &kvs.Error{Kind: kvs.InvalidMediaFrame, Fragment: "913", Track: 2, Offset: 77, Msg: "NAL length overruns the frame"}
	assert.Equal(t, "InvalidMediaFrame: NAL length overruns the frame (fragment 913, track 2, offset 77)", e.Error())
	assert.Equal(t, "ResourceNotFound: nothing", kvs.New(kvs.ResourceNotFound, "nothing").Error())
}

// An error names its kind and where it happened; KindOf finds the kind
// through any wrapping.
func ExampleError() {
	err := fmt.Errorf("clip: %w", &kvs.Error{
		Kind: kvs.MissingCodecPrivateData, Fragment: "91343852333181432392682062607743920146159169392",
		Track: 1, Offset: -1, Msg: "track has no CodecPrivate",
	})
	fmt.Println(kvs.KindOf(err).Exception())
	fmt.Println(err)
	// Output:
	// MissingCodecPrivateDataException
	// clip: MissingCodecPrivateData: track has no CodecPrivate (fragment 91343852333181432392682062607743920146159169392, track 1)
}
