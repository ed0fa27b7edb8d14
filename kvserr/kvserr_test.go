package kvserr_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kvsclip/kvsclip/kvserr"
)

type kinded struct{}

func (kinded) Error() string        { return "kinded" }
func (kinded) KVSKind() kvserr.Kind { return kvserr.InvalidMediaFrame }

func TestKinds(t *testing.T) {
	for _, c := range []struct {
		kind      kvserr.Kind
		name, exc string
	}{
		{kvserr.InvalidArgument, "InvalidArgument", "InvalidArgumentException"},
		{kvserr.ResourceNotFound, "ResourceNotFound", "ResourceNotFoundException"},
		{kvserr.MissingCodecPrivateData, "MissingCodecPrivateData", "MissingCodecPrivateDataException"},
		{kvserr.InvalidCodecPrivateData, "InvalidCodecPrivateData", "InvalidCodecPrivateDataException"},
		{kvserr.InvalidMediaFrame, "InvalidMediaFrame", "InvalidMediaFrameException"},
		{kvserr.UnsupportedStreamMediaType, "UnsupportedStreamMediaType", "UnsupportedStreamMediaTypeException"},
		{kvserr.Unknown, "InternalFailure", "InternalFailure"},
		{kvserr.Kind(99), "Kind(99)", "Kind(99)Exception"},
	} {
		assert.Equal(t, c.name, c.kind.String())
		assert.Equal(t, c.exc, c.kind.Exception())
	}
}

func TestKindOf(t *testing.T) {
	e := kvserr.Errorf(kvserr.InvalidMediaFrame, "bad frame: %w", io.ErrUnexpectedEOF)
	assert.Equal(t, kvserr.InvalidMediaFrame, kvserr.KindOf(fmt.Errorf("wrapped: %w", e)))
	assert.ErrorIs(t, e, io.ErrUnexpectedEOF)
	assert.Equal(t, kvserr.InvalidMediaFrame, kvserr.KindOf(kinded{}))
	assert.Equal(t, kvserr.Unknown, kvserr.KindOf(errors.New("plain")))
	assert.Equal(t, kvserr.Unknown, kvserr.KindOf(nil))
}

func TestErrorText(t *testing.T) {
	e := &kvserr.Error{Kind: kvserr.InvalidMediaFrame, Fragment: "913", Track: 2, Offset: 77, Msg: "NAL length overruns the frame"}
	assert.Equal(t, "InvalidMediaFrame: NAL length overruns the frame (fragment 913, track 2, offset 77)", e.Error())
	assert.Equal(t, "ResourceNotFound: nothing", kvserr.New(kvserr.ResourceNotFound, "nothing").Error())
}

// An error names its kind and where it happened; KindOf finds the kind
// through any wrapping.
func ExampleError() {
	err := fmt.Errorf("clip: %w", &kvserr.Error{
		Kind: kvserr.MissingCodecPrivateData, Fragment: "91343852333181432392682062607743920146159169392",
		Track: 1, Offset: -1, Msg: "track has no CodecPrivate",
	})
	fmt.Println(kvserr.KindOf(err).Exception())
	fmt.Println(err)
	// Output:
	// MissingCodecPrivateDataException
	// clip: MissingCodecPrivateData: track has no CodecPrivate (fragment 91343852333181432392682062607743920146159169392, track 1)
}
