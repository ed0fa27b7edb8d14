package control

import (
	"context"
	"regexp"
	"sync"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// Edge configurations and mapped resources, which no stream here has: the
// package documentation says why.

var hubDevicePattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^arn:[a-z\d-]+:iot:[a-z0-9-]+:[0-9]+:thing/[a-zA-Z0-9_.-]+$`)
})

// maxEdgeConfigsPerPage is ListEdgeAgentConfigurations' largest MaxResults.
const maxEdgeConfigsPerPage = 10

// edgeConfigurationIn is the input of DescribeEdgeConfiguration and
// DeleteEdgeConfiguration, and the part of StartEdgeConfigurationUpdate's
// read before it is refused: the stream.
type edgeConfigurationIn struct{ streamRef }

// noEdgeConfiguration answers DescribeEdgeConfiguration and
// DeleteEdgeConfiguration: the stream exists (else ResourceNotFound) and
// has no edge configuration.
func (p *plane) noEdgeConfiguration(ctx context.Context, in *edgeConfigurationIn) (*noOutput, error) {
	st, err := p.resolve(ctx, in.streamRef)
	if err != nil {
		return nil, err
	}
	return nil, httpapi.Errorf(kvs.StreamEdgeConfigurationNotFound,
		"The stream %s has no edge configuration: kvsclip runs no edge agent.", st.Name)
}

// startEdgeConfigurationUpdate refuses to create an edge configuration.
func (p *plane) startEdgeConfigurationUpdate(ctx context.Context, in *edgeConfigurationIn) (*noOutput, error) {
	if _, err := p.resolve(ctx, in.streamRef); err != nil {
		return nil, err
	}
	return nil, httpapi.Errorf(kvs.AccessDenied,
		"StartEdgeConfigurationUpdate: kvsclip runs no edge agent (AWS IoT Greengrass); record with a producer and PutMedia instead.")
}

type listEdgeAgentConfigurationsIn struct {
	HubDeviceArn *string
	MaxResults   *int64
	NextToken    *string
}

func (in *listEdgeAgentConfigurationsIn) Validate() error {
	if in.HubDeviceArn == nil || len(*in.HubDeviceArn) > 1024 || !hubDevicePattern().MatchString(*in.HubDeviceArn) {
		return httpapi.InvalidArg("HubDeviceArn must be the ARN of an AWS IoT thing.")
	}
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > maxEdgeConfigsPerPage) {
		return httpapi.InvalidArg("MaxResults must be between 1 and %d.", maxEdgeConfigsPerPage)
	}
	if in.NextToken != nil {
		// No list here has a second page, so no token is one of ours.
		return httpapi.InvalidArg("NextToken is not valid.")
	}
	return nil
}

type listEdgeAgentConfigurationsOut struct {
	EdgeConfigs []struct{} // always empty
}

func listEdgeAgentConfigurations(context.Context, *listEdgeAgentConfigurationsIn) (*listEdgeAgentConfigurationsOut, error) {
	return &listEdgeAgentConfigurationsOut{EdgeConfigs: []struct{}{}}, nil
}

type describeMappedResourceConfigurationIn struct {
	streamRef
	NextToken  *string
	MaxResults *int64
}

func (in *describeMappedResourceConfigurationIn) Validate() error {
	if in.MaxResults != nil && *in.MaxResults < 1 {
		return httpapi.InvalidArg("MaxResults must be at least 1.")
	}
	if in.NextToken != nil {
		return httpapi.InvalidArg("NextToken is not valid.")
	}
	return nil
}

type describeMappedResourceConfigurationOut struct {
	MappedResourceConfigurationList []struct{} // always empty
}

func (p *plane) describeMappedResourceConfiguration(ctx context.Context, in *describeMappedResourceConfigurationIn) (*describeMappedResourceConfigurationOut, error) {
	if _, err := p.resolve(ctx, in.streamRef); err != nil {
		return nil, err
	}
	return &describeMappedResourceConfigurationOut{MappedResourceConfigurationList: []struct{}{}}, nil
}
