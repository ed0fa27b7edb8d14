package server_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server"
)

// lookupFails is a store whose Lookup fails as a store in an outage does
// (S3 unreachable), or, with notFound, says the fragment is not there.
type lookupFails struct {
	archive.Store
	notFound bool
}

func (s lookupFails) Lookup(ctx context.Context, stream, number string) (kvs.Fragment, error) {
	if s.notFound {
		return kvs.Fragment{}, archive.ErrFragmentNotFound
	}
	return kvs.Fragment{}, errors.New("s3: dial tcp: connection refused")
}

// TestFragmentListStoreFailure: GetMediaForFragmentList answers
// ResourceNotFound (404) only when the store says a fragment is not there;
// a store that cannot answer is a server error (500), which clients retry.
func TestFragmentListStoreFailure(t *testing.T) {
	for _, notFound := range []bool{false, true} {
		r := newRig(t, func(c *server.Config) { c.Store = lookupFails{Store: c.Store, notFound: notFound} })
		r.createStream("cam", 24)
		_, err := r.media.GetMediaForFragmentList(bg, &am.GetMediaForFragmentListInput{StreamName: aws.String("cam"), Fragments: []string{"123"}})
		var re *smithyhttp.ResponseError
		require.True(t, errors.As(err, &re), "%v", err)
		if notFound {
			var nf *amtypes.ResourceNotFoundException
			assert.ErrorAs(t, err, &nf)
			assert.Equal(t, 404, re.HTTPStatusCode())
		} else {
			assert.Equal(t, 500, re.HTTPStatusCode())
		}
	}
}
