package control

import (
	"context"
	"net/http"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/streamref"
)

// Deps is what the control plane needs from the server. It has no logger
// or metrics of its own: it logs through the request's logger
// (httpapi.Log), and the middleware counts its requests.
type Deps struct {
	// Store holds the streams.
	Store archive.Store
	// Now is the clock of stream creation times.
	Now func() time.Time
	// Streams resolves the streams requests name and makes new ARNs.
	Streams streamref.Resolver
	// Endpoint is the data endpoint GetDataEndpoint answers for a request:
	// one server serves every API, so it is this server as the client
	// reached it, or the configured public URL.
	Endpoint func(*http.Request) string
	// ImagesUnavailable returns nil when GetImages is served, else the
	// error to answer for it: GetDataEndpoint hands out no endpoint for an
	// API that would only fail. A func, since the server learns whether it
	// has ffmpeg after its routes are made.
	ImagesUnavailable func() error
}

// plane serves the control plane's operations with its Deps.
type plane struct{ Deps }

// Routes returns the control plane's operations.
func Routes(d Deps) []httpapi.Route {
	p := &plane{d}
	rs := []httpapi.Route{
		httpapi.Op("CreateStream", "/createStream", p.createStream),
		httpapi.Op("DescribeStream", "/describeStream", p.describeStream),
		httpapi.Op("ListStreams", "/listStreams", p.listStreams),
		httpapi.Op("DeleteStream", "/deleteStream", p.deleteStream),
		httpapi.Op("UpdateStream", "/updateStream", p.updateStream),
		httpapi.Op("UpdateDataRetention", "/updateDataRetention", p.updateDataRetention),
		httpapi.Op("GetDataEndpoint", "/getDataEndpoint", p.getDataEndpoint),

		httpapi.Op("TagStream", "/tagStream", p.tagStream),
		httpapi.Op("UntagStream", "/untagStream", p.untagStream),
		httpapi.Op("ListTagsForStream", "/listTagsForStream", p.listTagsForStream),
		httpapi.Op("TagResource", "/TagResource", p.tagResource),
		httpapi.Op("UntagResource", "/UntagResource", p.untagResource),
		httpapi.Op("ListTagsForResource", "/ListTagsForResource", p.listTagsForResource),

		httpapi.Op("DescribeImageGenerationConfiguration", "/describeImageGenerationConfiguration", p.describeImageGeneration),
		httpapi.Op("UpdateImageGenerationConfiguration", "/updateImageGenerationConfiguration", p.updateImageGeneration),
		httpapi.Op("DescribeNotificationConfiguration", "/describeNotificationConfiguration", p.describeNotification),
		httpapi.Op("UpdateNotificationConfiguration", "/updateNotificationConfiguration", p.updateNotification),
		httpapi.Op("DescribeStreamStorageConfiguration", "/describeStreamStorageConfiguration", p.describeStreamStorage),
		httpapi.Op("UpdateStreamStorageConfiguration", "/updateStreamStorageConfiguration", p.updateStreamStorage),

		httpapi.Op("DescribeEdgeConfiguration", "/describeEdgeConfiguration", p.noEdgeConfiguration),
		httpapi.Op("DeleteEdgeConfiguration", "/deleteEdgeConfiguration", p.noEdgeConfiguration),
		httpapi.Op("StartEdgeConfigurationUpdate", "/startEdgeConfigurationUpdate", p.startEdgeConfigurationUpdate),
		httpapi.Op("ListEdgeAgentConfigurations", "/listEdgeAgentConfigurations", listEdgeAgentConfigurations),
		httpapi.Op("DescribeMappedResourceConfiguration", "/describeMappedResourceConfiguration", p.describeMappedResourceConfiguration),
	}
	return append(rs, signalingRoutes()...)
}

// streamRef is how most inputs name their stream: by StreamName or
// StreamARN (streamref.Resolver.Resolve).
type streamRef struct {
	StreamName, StreamARN *string
}

// resolve finds the stream the input names.
func (p *plane) resolve(ctx context.Context, ref streamRef) (archive.Stream, error) {
	return p.Streams.Resolve(ctx, ref.StreamName, ref.StreamARN)
}

// noOutput is the output of the operations KVS answers with an empty
// object: their handlers return a nil *noOutput.
type noOutput struct{}
