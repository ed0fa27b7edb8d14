package server_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStreamTags: tags given at CreateStream, added by TagStream (by ARN,
// as the producer SDK calls it) and removed by UntagStream read back
// through ListTagsForStream, within the model's limits.
func TestStreamTags(t *testing.T) {
	r := newRig(t)
	out, err := r.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("cam"),
		DataRetentionInHours: aws.Int32(1), Tags: map[string]string{"site": "north", "floor": "2"}})
	require.NoError(t, err)
	arn := out.StreamARN
	list := func() map[string]string {
		t.Helper()
		l, err := r.kv.ListTagsForStream(bg, &kinesisvideo.ListTagsForStreamInput{StreamARN: arn})
		require.NoError(t, err)
		assert.Nil(t, l.NextToken)
		return l.Tags
	}
	assert.Equal(t, map[string]string{"site": "north", "floor": "2"}, list())

	_, err = r.kv.TagStream(bg, &kinesisvideo.TagStreamInput{StreamARN: arn, Tags: map[string]string{"site": "south", "owner": "ops@example.com"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"site": "south", "floor": "2", "owner": "ops@example.com"}, list())

	_, err = r.kv.UntagStream(bg, &kinesisvideo.UntagStreamInput{StreamName: aws.String("cam"), TagKeyList: []string{"floor", "absent"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"site": "south", "owner": "ops@example.com"}, list())

	many := map[string]string{}
	for i := range 49 {
		many["k"+strings.Repeat("x", i)] = "v"
	}
	_, err = r.kv.TagStream(bg, &kinesisvideo.TagStreamInput{StreamARN: arn, Tags: many})
	var tooMany *kvtypes.TagsPerResourceExceededLimitException
	require.ErrorAs(t, err, &tooMany, "51 tags in all")
	assert.Len(t, list(), 2, "a refused TagStream changes nothing")

	bad := []map[string]string{
		{},
		{"": "v"},
		{strings.Repeat("k", 129): "v"},
		{"k": strings.Repeat("v", 257)},
		{"k#": "v"},
		{"k": "v\n"},
	}
	for _, tags := range bad {
		_, err = r.kv.TagStream(bg, &kinesisvideo.TagStreamInput{StreamARN: arn, Tags: tags})
		var invalid *kvtypes.InvalidArgumentException
		assert.ErrorAs(t, err, &invalid, "%q", tags)
	}
	_, err = r.kv.TagStream(bg, &kinesisvideo.TagStreamInput{StreamARN: arn, Tags: map[string]string{strings.Repeat("k", 128): strings.Repeat("v", 256)}})
	require.NoError(t, err, "the longest key and value")
	_, err = r.kv.UntagStream(bg, &kinesisvideo.UntagStreamInput{StreamARN: arn, TagKeyList: []string{"bad#"}})
	var invalid *kvtypes.InvalidArgumentException
	assert.ErrorAs(t, err, &invalid)

	_, err = r.kv.ListTagsForStream(bg, &kinesisvideo.ListTagsForStreamInput{StreamName: aws.String("nope")})
	var notFound *kvtypes.ResourceNotFoundException
	assert.ErrorAs(t, err, &notFound)
	_, err = r.kv.TagStream(bg, &kinesisvideo.TagStreamInput{StreamARN: aws.String(strings.Replace(*arn, "/cam/", "/gone/", 1)), Tags: map[string]string{"a": "b"}})
	assert.ErrorAs(t, err, &notFound, "TagStream of a missing stream is ResourceNotFound (the SDK treats it as fatal)")
}
