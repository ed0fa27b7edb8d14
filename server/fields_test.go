package server_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFieldsAsTheModelBoundsThem: every string field out of the model's
// length or pattern is InvalidArgument naming the field, through the SDK.
func TestFieldsAsTheModelBoundsThem(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 1)
	create := func(mut func(*kinesisvideo.CreateStreamInput)) func() error {
		return func() error {
			in := &kinesisvideo.CreateStreamInput{StreamName: aws.String(fmt.Sprintf("s%d", time.Now().UnixNano())), MediaType: aws.String("video/h264")}
			mut(in)
			_, err := r.kv.CreateStream(bg, in)
			return err
		}
	}
	for _, c := range []struct {
		name  string
		call  func() error
		field string // "" when the call is valid
	}{
		{"MediaType of 100 KB", create(func(in *kinesisvideo.CreateStreamInput) {
			in.MediaType = aws.String("video/" + strings.Repeat("h", 100_000))
		}), "MediaType"},
		{"MediaType of 129", create(func(in *kinesisvideo.CreateStreamInput) {
			in.MediaType = aws.String("video/" + strings.Repeat("h", 123))
		}), "MediaType"},
		{"MediaType without a subtype", create(func(in *kinesisvideo.CreateStreamInput) { in.MediaType = aws.String("video") }), "MediaType"},
		{"MediaType list", create(func(in *kinesisvideo.CreateStreamInput) { in.MediaType = aws.String("video/h264,audio/aac") }), ""},
		{"DeviceName of 129", create(func(in *kinesisvideo.CreateStreamInput) { in.DeviceName = aws.String(strings.Repeat("d", 129)) }), "DeviceName"},
		{"DeviceName with a space", create(func(in *kinesisvideo.CreateStreamInput) { in.DeviceName = aws.String("my camera") }), "DeviceName"},
		{"DeviceName of 128", create(func(in *kinesisvideo.CreateStreamInput) { in.DeviceName = aws.String(strings.Repeat("d", 128)) }), ""},
		{"KmsKeyId of 2049", create(func(in *kinesisvideo.CreateStreamInput) { in.KmsKeyId = aws.String(strings.Repeat("k", 2049)) }), "KmsKeyId"},
		{"StreamName of 100 KB", create(func(in *kinesisvideo.CreateStreamInput) { in.StreamName = aws.String(strings.Repeat("n", 100_000)) }), "StreamName"},
		{"CurrentVersion of 65", func() error {
			_, err := r.kv.UpdateDataRetention(bg, &kinesisvideo.UpdateDataRetentionInput{StreamName: aws.String("cam"),
				CurrentVersion: aws.String(strings.Repeat("v", 65)), Operation: kvtypes.UpdateDataRetentionOperationIncreaseDataRetention, DataRetentionChangeInHours: aws.Int32(1)})
			return err
		}, "CurrentVersion"},
		{"ListStreams prefix of 257", func() error {
			_, err := r.kv.ListStreams(bg, &kinesisvideo.ListStreamsInput{StreamNameCondition: &kvtypes.StreamNameCondition{
				ComparisonOperator: kvtypes.ComparisonOperatorBeginsWith, ComparisonValue: aws.String(strings.Repeat("p", 257))}})
			return err
		}, "ComparisonValue"},
		{"ListStreams token of 513", func() error {
			_, err := r.kv.ListStreams(bg, &kinesisvideo.ListStreamsInput{NextToken: aws.String(strings.Repeat("A", 513))})
			return err
		}, "NextToken"},
		{"StreamARN of 2 KB", func() error {
			_, err := r.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamARN: aws.String("arn:aws:kinesisvideo:us-west-2:0:stream/" + strings.Repeat("a", 2000) + "/1")})
			return err
		}, "StreamARN"},
		{"ListFragments token of 5000", func() error {
			_, err := r.media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String("cam"), NextToken: aws.String(strings.Repeat("A", 5000))})
			return err
		}, "NextToken"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if c.field == "" {
				require.NoError(t, err)
				return
			}
			var kvIA *kvtypes.InvalidArgumentException
			var amIA *amtypes.InvalidArgumentException
			require.True(t, errors.As(err, &kvIA) || errors.As(err, &amIA), "InvalidArgument, not %v", err)
			assert.Contains(t, err.Error(), c.field)
			assert.Less(t, len(err.Error()), 1000, "the value is not echoed")
		})
	}
}

// TestLongStreamNames: names up to the model's 256 characters work end to
// end on the filesystem store: create, put, list, clip and delete.
func TestLongStreamNames(t *testing.T) {
	r := newRig(t)
	src, err := os.ReadFile(producerFile(t, "vogels_480.mkv"))
	require.NoError(t, err)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, n := range []int{235, 236, 244, 245, 255, 256} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			name := strings.Repeat("n", n-4) + fmt.Sprintf("%04d", n)
			r.createStream(name, 24)
			acks, err := r.put(name, "RELATIVE", start, strings.NewReader(string(src)))
			require.NoError(t, err)
			require.Len(t, persisted(acks), 9)
			list, err := r.kv.ListStreams(bg, &kinesisvideo.ListStreamsInput{StreamNameCondition: &kvtypes.StreamNameCondition{
				ComparisonOperator: kvtypes.ComparisonOperatorBeginsWith, ComparisonValue: aws.String(name)}})
			require.NoError(t, err)
			require.Len(t, list.StreamInfoList, 1)
			out, err := producerClip(r, name, start, start.Add(time.Hour))
			require.NoError(t, err)
			clip, err := io.ReadAll(out.Payload)
			require.NoError(t, err)
			assert.Equal(t, "ftyp", string(clip[4:8]))
			_, err = r.kv.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: list.StreamInfoList[0].StreamARN})
			require.NoError(t, err)
			_, err = r.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String(name)})
			var nf *kvtypes.ResourceNotFoundException
			require.ErrorAs(t, err, &nf)
		})
	}
}
