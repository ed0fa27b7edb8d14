package control

import (
	"context"

	"github.com/kvsclip/kvsclip/server/httpapi"
)

// dataAPIs are the APIName values GetDataEndpoint accepts.
var dataAPIs = map[string]bool{
	"PUT_MEDIA": true, "GET_MEDIA": true, "LIST_FRAGMENTS": true, "GET_MEDIA_FOR_FRAGMENT_LIST": true,
	"GET_HLS_STREAMING_SESSION_URL": true, "GET_DASH_STREAMING_SESSION_URL": true, "GET_CLIP": true, "GET_IMAGES": true,
}

type getDataEndpointIn struct {
	streamRef
	APIName string
}

func (in *getDataEndpointIn) Validate() error {
	if !dataAPIs[in.APIName] {
		return httpapi.InvalidArg("APIName %q is not one of the data-plane APIs.", in.APIName)
	}
	return nil
}

type getDataEndpointOut struct {
	DataEndpoint string
}

func (p *plane) getDataEndpoint(ctx context.Context, in *getDataEndpointIn) (*getDataEndpointOut, error) {
	if in.APIName == "GET_IMAGES" {
		if err := p.ImagesUnavailable(); err != nil {
			return nil, err // no endpoint for an API not served
		}
	}
	if _, err := p.resolve(ctx, in.streamRef); err != nil {
		return nil, err
	}
	// One server does everything, so every API has the same endpoint: the
	// one the client reached, which only the HTTP request knows.
	return &getDataEndpointOut{DataEndpoint: p.Endpoint(httpapi.CallOf(ctx).Request)}, nil
}
