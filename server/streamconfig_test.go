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

// TestUpdateStream: DeviceName and MediaType change under the version
// guard, each change makes a new version, and the model's patterns hold.
func TestUpdateStream(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 1)
	d, err := r.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	v := d.StreamInfo.Version

	_, err = r.kv.UpdateStream(bg, &kinesisvideo.UpdateStreamInput{StreamName: aws.String("cam"), CurrentVersion: aws.String("stale"), MediaType: aws.String("video/h265")})
	var mismatch *kvtypes.VersionMismatchException
	require.ErrorAs(t, err, &mismatch)
	_, err = r.kv.UpdateStream(bg, &kinesisvideo.UpdateStreamInput{StreamName: aws.String("cam"), CurrentVersion: v,
		DeviceName: aws.String("door-1"), MediaType: aws.String("video/h265,audio/aac")})
	require.NoError(t, err)
	d, err = r.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	assert.Equal(t, "door-1", *d.StreamInfo.DeviceName)
	assert.Equal(t, "video/h265,audio/aac", *d.StreamInfo.MediaType)
	assert.NotEqual(t, *v, *d.StreamInfo.Version)

	for _, in := range []*kinesisvideo.UpdateStreamInput{
		{StreamName: aws.String("cam"), CurrentVersion: d.StreamInfo.Version, MediaType: aws.String("h265")},
		{StreamName: aws.String("cam"), CurrentVersion: d.StreamInfo.Version, MediaType: aws.String("video/" + strings.Repeat("x", 128))},
		{StreamName: aws.String("cam"), CurrentVersion: d.StreamInfo.Version, DeviceName: aws.String("door 1")},
		{StreamName: aws.String("cam"), CurrentVersion: aws.String("not-alnum")},
	} {
		_, err = r.kv.UpdateStream(bg, in)
		var invalid *kvtypes.InvalidArgumentException
		assert.ErrorAs(t, err, &invalid)
	}
}

// TestResourceTags: the ARN-based tag operations see the tags given at
// CreateStream and those of TagStream, and change them; a signaling
// channel's ARN is not found.
func TestResourceTags(t *testing.T) {
	r := newRig(t)
	out, err := r.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("cam"),
		DataRetentionInHours: aws.Int32(1), Tags: map[string]string{"site": "north"}})
	require.NoError(t, err)
	arn := out.StreamARN
	list := func() map[string]string {
		t.Helper()
		l, err := r.kv.ListTagsForResource(bg, &kinesisvideo.ListTagsForResourceInput{ResourceARN: arn})
		require.NoError(t, err)
		return l.Tags
	}
	assert.Equal(t, map[string]string{"site": "north"}, list())
	_, err = r.kv.TagResource(bg, &kinesisvideo.TagResourceInput{ResourceARN: arn, Tags: []kvtypes.Tag{{Key: aws.String("floor"), Value: aws.String("2")}}})
	require.NoError(t, err)
	l, err := r.kv.ListTagsForStream(bg, &kinesisvideo.ListTagsForStreamInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"site": "north", "floor": "2"}, l.Tags)
	_, err = r.kv.UntagResource(bg, &kinesisvideo.UntagResourceInput{ResourceARN: arn, TagKeyList: []string{"site"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"floor": "2"}, list())

	_, err = r.kv.TagResource(bg, &kinesisvideo.TagResourceInput{ResourceARN: arn, Tags: []kvtypes.Tag{{Key: aws.String("bad#"), Value: aws.String("v")}}})
	var invalid *kvtypes.InvalidArgumentException
	assert.ErrorAs(t, err, &invalid)
	channel := "arn:aws:kinesisvideo:us-west-2:000000000000:channel/door/1700000000000"
	_, err = r.kv.ListTagsForResource(bg, &kinesisvideo.ListTagsForResourceInput{ResourceARN: aws.String(channel)})
	var notFound *kvtypes.ResourceNotFoundException
	assert.ErrorAs(t, err, &notFound)
}

// TestStreamConfigurations: image-generation and notification
// configurations are validated as the model says, kept with the stream and
// described back; a stream without retention refuses them.
func TestStreamConfigurations(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 1)
	r.createStream("live-only", 0)
	img := &kvtypes.ImageGenerationConfiguration{
		Status: kvtypes.ConfigurationStatusEnabled, ImageSelectorType: kvtypes.ImageSelectorTypeProducerTimestamp,
		DestinationConfig: &kvtypes.ImageGenerationDestinationConfig{Uri: aws.String("s3://thumbs/cam"), DestinationRegion: aws.String("us-west-2")},
		SamplingInterval:  aws.Int32(3000), Format: kvtypes.FormatJpeg,
		FormatConfig: map[string]string{"JPEGQuality": "80"}, WidthPixels: aws.Int32(640), HeightPixels: aws.Int32(360),
	}
	d, err := r.kv.DescribeImageGenerationConfiguration(bg, &kinesisvideo.DescribeImageGenerationConfigurationInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	assert.Nil(t, d.ImageGenerationConfiguration, "none before one is set")
	_, err = r.kv.UpdateImageGenerationConfiguration(bg, &kinesisvideo.UpdateImageGenerationConfigurationInput{StreamName: aws.String("cam"), ImageGenerationConfiguration: img})
	require.NoError(t, err)
	d, err = r.kv.DescribeImageGenerationConfiguration(bg, &kinesisvideo.DescribeImageGenerationConfigurationInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	require.NotNil(t, d.ImageGenerationConfiguration)
	assert.Equal(t, *img.DestinationConfig.Uri, *d.ImageGenerationConfiguration.DestinationConfig.Uri)
	assert.Equal(t, int32(640), *d.ImageGenerationConfiguration.WidthPixels)
	assert.Equal(t, "80", d.ImageGenerationConfiguration.FormatConfig["JPEGQuality"])

	bad := *img
	bad.SamplingInterval = aws.Int32(2999)
	_, err = r.kv.UpdateImageGenerationConfiguration(bg, &kinesisvideo.UpdateImageGenerationConfigurationInput{StreamName: aws.String("cam"), ImageGenerationConfiguration: &bad})
	var invalid *kvtypes.InvalidArgumentException
	assert.ErrorAs(t, err, &invalid)
	_, err = r.kv.UpdateImageGenerationConfiguration(bg, &kinesisvideo.UpdateImageGenerationConfigurationInput{StreamName: aws.String("live-only"), ImageGenerationConfiguration: img})
	var noRetention *kvtypes.NoDataRetentionException
	assert.ErrorAs(t, err, &noRetention)

	note := &kvtypes.NotificationConfiguration{Status: kvtypes.ConfigurationStatusEnabled,
		DestinationConfig: &kvtypes.NotificationDestinationConfig{Uri: aws.String("arn:aws:sns:us-west-2:000000000000:cam-events")}}
	_, err = r.kv.UpdateNotificationConfiguration(bg, &kinesisvideo.UpdateNotificationConfigurationInput{StreamName: aws.String("cam"), NotificationConfiguration: note})
	require.NoError(t, err)
	n, err := r.kv.DescribeNotificationConfiguration(bg, &kinesisvideo.DescribeNotificationConfigurationInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	require.NotNil(t, n.NotificationConfiguration)
	assert.Equal(t, kvtypes.ConfigurationStatusEnabled, n.NotificationConfiguration.Status)
	_, err = r.kv.UpdateNotificationConfiguration(bg, &kinesisvideo.UpdateNotificationConfigurationInput{StreamName: aws.String("cam"),
		NotificationConfiguration: &kvtypes.NotificationConfiguration{Status: "ON", DestinationConfig: note.DestinationConfig}})
	assert.ErrorAs(t, err, &invalid)
}

// TestSignalingChannelsRefused: every signaling-channel operation gets a
// typed AccessDeniedException, not a 404.
func TestSignalingChannelsRefused(t *testing.T) {
	r := newRig(t)
	var denied *kvtypes.AccessDeniedException
	_, err := r.kv.CreateSignalingChannel(bg, &kinesisvideo.CreateSignalingChannelInput{ChannelName: aws.String("door")})
	assert.ErrorAs(t, err, &denied)
	_, err = r.kv.ListSignalingChannels(bg, &kinesisvideo.ListSignalingChannelsInput{})
	assert.ErrorAs(t, err, &denied)
	_, err = r.kv.DescribeSignalingChannel(bg, &kinesisvideo.DescribeSignalingChannelInput{ChannelName: aws.String("door")})
	assert.ErrorAs(t, err, &denied)
	_, err = r.kv.GetSignalingChannelEndpoint(bg, &kinesisvideo.GetSignalingChannelEndpointInput{ChannelARN: aws.String("arn:aws:kinesisvideo:us-west-2:000000000000:channel/door/1")})
	assert.ErrorAs(t, err, &denied)
	_, err = r.kv.DeleteSignalingChannel(bg, &kinesisvideo.DeleteSignalingChannelInput{ChannelARN: aws.String("arn:aws:kinesisvideo:us-west-2:000000000000:channel/door/1")})
	assert.ErrorAs(t, err, &denied)
	_, err = r.kv.UpdateSignalingChannel(bg, &kinesisvideo.UpdateSignalingChannelInput{ChannelARN: aws.String("arn:aws:kinesisvideo:us-west-2:000000000000:channel/door/1"), CurrentVersion: aws.String("1")})
	assert.ErrorAs(t, err, &denied)
	assert.Contains(t, err.Error(), "signaling channels")
}
