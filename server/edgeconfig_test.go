package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The newer stream operations answer through the Go SDK with their typed
// answers: none is an UnknownOperationException.
func TestNewerStreamOperations(t *testing.T) {
	r := newRig(t)
	arn := r.createStream("cam", 24)
	name := aws.String("cam")
	thing := aws.String("arn:aws:iot:us-west-2:000000000000:thing/hub-1")
	for _, c := range []struct {
		name string
		call func() error
		want func(error) bool
	}{
		{"DescribeEdgeConfiguration", func() error {
			_, err := r.kv.DescribeEdgeConfiguration(bg, &kinesisvideo.DescribeEdgeConfigurationInput{StreamName: name})
			return err
		}, is[*kvtypes.StreamEdgeConfigurationNotFoundException]},
		{"DescribeEdgeConfiguration by ARN", func() error {
			_, err := r.kv.DescribeEdgeConfiguration(bg, &kinesisvideo.DescribeEdgeConfigurationInput{StreamARN: aws.String(arn)})
			return err
		}, is[*kvtypes.StreamEdgeConfigurationNotFoundException]},
		{"DescribeEdgeConfiguration unknown stream", func() error {
			_, err := r.kv.DescribeEdgeConfiguration(bg, &kinesisvideo.DescribeEdgeConfigurationInput{StreamName: aws.String("nope")})
			return err
		}, is[*kvtypes.ResourceNotFoundException]},
		{"DeleteEdgeConfiguration", func() error {
			_, err := r.kv.DeleteEdgeConfiguration(bg, &kinesisvideo.DeleteEdgeConfigurationInput{StreamName: name})
			return err
		}, is[*kvtypes.StreamEdgeConfigurationNotFoundException]},
		{"StartEdgeConfigurationUpdate", func() error {
			_, err := r.kv.StartEdgeConfigurationUpdate(bg, &kinesisvideo.StartEdgeConfigurationUpdateInput{StreamName: name,
				EdgeConfig: &kvtypes.EdgeConfig{HubDeviceArn: thing, RecorderConfig: &kvtypes.RecorderConfig{
					MediaSourceConfig: &kvtypes.MediaSourceConfig{MediaUriSecretArn: aws.String("arn:aws:secretsmanager:us-west-2:000000000000:secret:cam"), MediaUriType: kvtypes.MediaUriTypeRtspUri}}}})
			return err
		}, is[*kvtypes.AccessDeniedException]},
		{"ListEdgeAgentConfigurations bad ARN", func() error {
			_, err := r.kv.ListEdgeAgentConfigurations(bg, &kinesisvideo.ListEdgeAgentConfigurationsInput{HubDeviceArn: aws.String("hub")})
			return err
		}, is[*kvtypes.InvalidArgumentException]},
		{"ListEdgeAgentConfigurations MaxResults", func() error {
			_, err := r.kv.ListEdgeAgentConfigurations(bg, &kinesisvideo.ListEdgeAgentConfigurationsInput{HubDeviceArn: thing, MaxResults: aws.Int32(11)})
			return err
		}, is[*kvtypes.InvalidArgumentException]},
		{"DescribeMappedResourceConfiguration unknown stream", func() error {
			_, err := r.kv.DescribeMappedResourceConfiguration(bg, &kinesisvideo.DescribeMappedResourceConfigurationInput{StreamName: aws.String("nope")})
			return err
		}, is[*kvtypes.ResourceNotFoundException]},
		{"DescribeMediaStorageConfiguration", func() error {
			_, err := r.kv.DescribeMediaStorageConfiguration(bg, &kinesisvideo.DescribeMediaStorageConfigurationInput{ChannelName: aws.String("ch")})
			return err
		}, is[*kvtypes.AccessDeniedException]},
		{"UpdateMediaStorageConfiguration", func() error {
			_, err := r.kv.UpdateMediaStorageConfiguration(bg, &kinesisvideo.UpdateMediaStorageConfigurationInput{ChannelARN: aws.String("arn:aws:kinesisvideo:us-west-2:000000000000:channel/ch/1"),
				MediaStorageConfiguration: &kvtypes.MediaStorageConfiguration{Status: kvtypes.MediaStorageConfigurationStatusEnabled, StreamARN: aws.String(arn)}})
			return err
		}, is[*kvtypes.AccessDeniedException]},
		{"UpdateStreamStorageConfiguration tier", func() error {
			_, err := r.kv.UpdateStreamStorageConfiguration(bg, &kinesisvideo.UpdateStreamStorageConfigurationInput{StreamName: name, CurrentVersion: aws.String("1"),
				StreamStorageConfiguration: &kvtypes.StreamStorageConfiguration{DefaultStorageTier: "COLD"}})
			return err
		}, is[*kvtypes.InvalidArgumentException]},
		{"UpdateStreamStorageConfiguration version", func() error {
			_, err := r.kv.UpdateStreamStorageConfiguration(bg, &kinesisvideo.UpdateStreamStorageConfigurationInput{StreamName: name, CurrentVersion: aws.String("0"),
				StreamStorageConfiguration: &kvtypes.StreamStorageConfiguration{DefaultStorageTier: kvtypes.DefaultStorageTierWarm}})
			return err
		}, is[*kvtypes.VersionMismatchException]},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			require.Error(t, err)
			assert.True(t, c.want(err), "%v", err)
		})
	}

	edge, err := r.kv.ListEdgeAgentConfigurations(bg, &kinesisvideo.ListEdgeAgentConfigurationsInput{HubDeviceArn: thing})
	require.NoError(t, err)
	assert.Empty(t, edge.EdgeConfigs)
	assert.Nil(t, edge.NextToken)
	mapped, err := r.kv.DescribeMappedResourceConfiguration(bg, &kinesisvideo.DescribeMappedResourceConfigurationInput{StreamARN: aws.String(arn)})
	require.NoError(t, err)
	assert.Empty(t, mapped.MappedResourceConfigurationList)

	// The storage tier: HOT until set, then what was set, kept with the
	// stream under a new version.
	storage, err := r.kv.DescribeStreamStorageConfiguration(bg, &kinesisvideo.DescribeStreamStorageConfigurationInput{StreamName: name})
	require.NoError(t, err)
	assert.Equal(t, arn, *storage.StreamARN)
	assert.Equal(t, kvtypes.DefaultStorageTierHot, storage.StreamStorageConfiguration.DefaultStorageTier)
	desc, err := r.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: name})
	require.NoError(t, err)
	_, err = r.kv.UpdateStreamStorageConfiguration(bg, &kinesisvideo.UpdateStreamStorageConfigurationInput{StreamName: name, CurrentVersion: desc.StreamInfo.Version,
		StreamStorageConfiguration: &kvtypes.StreamStorageConfiguration{DefaultStorageTier: kvtypes.DefaultStorageTierWarm}})
	require.NoError(t, err)
	storage, err = r.kv.DescribeStreamStorageConfiguration(bg, &kinesisvideo.DescribeStreamStorageConfigurationInput{StreamARN: aws.String(arn)})
	require.NoError(t, err)
	assert.Equal(t, kvtypes.DefaultStorageTierWarm, storage.StreamStorageConfiguration.DefaultStorageTier)
	after, err := r.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: name})
	require.NoError(t, err)
	assert.NotEqual(t, *desc.StreamInfo.Version, *after.StreamInfo.Version)
}

// Every APIName of the SDK's enum gets an endpoint, and the endpoint serves
// an operation of that name: GetDataEndpoint hands out nothing that 404s.
func TestDataEndpointsServed(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	served := map[string]bool{}
	for _, rt := range r.srv.RouteTable() {
		served[rt.Name] = true
	}
	for _, name := range kvtypes.APIName("").Values() {
		out, err := r.kv.GetDataEndpoint(context.Background(), &kinesisvideo.GetDataEndpointInput{StreamName: aws.String("cam"), APIName: name})
		require.NoError(t, err, name)
		assert.Equal(t, r.url, *out.DataEndpoint)
		// PUT_MEDIA → PutMedia, GET_HLS_STREAMING_SESSION_URL → GetHLSStreamingSessionURL.
		var op strings.Builder
		for _, word := range strings.Split(string(name), "_") {
			switch word {
			case "HLS", "DASH", "URL":
				op.WriteString(word)
			default:
				op.WriteString(word[:1] + strings.ToLower(word[1:]))
			}
		}
		assert.True(t, served[op.String()], "%s: no route serves %s", name, op.String())
	}
	assert.Contains(t, r.srv.RouteTable(), "/getImages")
}
