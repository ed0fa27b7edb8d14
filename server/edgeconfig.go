package server

import (
	"net/http"
	"regexp"
	"sync"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// The newer stream operations of the kinesisvideo API (in the JS v3 and Go
// v2 SDKs' models, not in every botocore): edge configuration, mapped
// resources, media storage and stream storage. Each gets the answer that
// is true of a self-hosted archive rather than a 404:
//
//   - Edge configuration drives the KVS Edge Agent, which records cameras
//     on an AWS IoT Greengrass device and uploads to KVS. No such agent
//     works for this server, so no stream has an edge configuration:
//     DescribeEdgeConfiguration and DeleteEdgeConfiguration answer
//     StreamEdgeConfigurationNotFoundException, as KVS does for a stream
//     without one; ListEdgeAgentConfigurations lists none; and
//     StartEdgeConfigurationUpdate, which would have to create one, is
//     refused with AccessDeniedException.
//   - A mapped resource is the signaling channel whose WebRTC media is
//     stored in a stream. There are no signaling channels here, so
//     DescribeMappedResourceConfiguration lists none for any stream.
//   - Describe/UpdateMediaStorageConfiguration take a signaling channel,
//     and are refused as the other signaling-channel operations are.
//   - The stream storage configuration (the default storage tier, HOT or
//     WARM) is validated and kept with the stream, and read back; the
//     archive has one tier, so it changes nothing about where fragments go.

// codeEdgeConfigNotFound is the exception KVS answers for a stream without an
// edge configuration.
const codeEdgeConfigNotFound = "StreamEdgeConfigurationNotFoundException"

var hubDevicePattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^arn:[a-z\d-]+:iot:[a-z0-9-]+:[0-9]+:thing/[a-zA-Z0-9_.-]+$`)
})

// Limits of the service model for these operations.
const (
	maxEdgeConfigsPerPage = 10 // ListEdgeAgentConfigurations' MaxResults
	defaultStorageTier    = "HOT"
)

// streamOnly decodes a body that names a stream, and finds the stream.
func (s *Server) streamOnly(r *http.Request) (archive.Stream, error) {
	var in struct{ StreamName, StreamARN *string }
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return archive.Stream{}, err
	}
	return s.streams.Resolve(r.Context(), in.StreamName, in.StreamARN)
}

// noEdgeConfiguration answers DescribeEdgeConfiguration and
// DeleteEdgeConfiguration: the stream exists (else ResourceNotFound) and
// has no edge configuration.
func (s *Server) noEdgeConfiguration(w http.ResponseWriter, r *http.Request, _ *httpapi.Call) error {
	st, err := s.streamOnly(r)
	if err != nil {
		return err
	}
	return httpapi.Errorf(kvs.StreamEdgeConfigurationNotFound,
		"The stream %s has no edge configuration: kvsclip runs no edge agent.", st.Name)
}

// startEdgeConfigurationUpdate refuses to create an edge configuration.
func (s *Server) startEdgeConfigurationUpdate(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	if _, err := s.streamOnly(r); err != nil {
		return err
	}
	return httpapi.Errorf(kvs.AccessDenied,
		"%s: kvsclip runs no edge agent (AWS IoT Greengrass); record with a producer and PutMedia instead.", rq.API)
}

func (s *Server) listEdgeAgentConfigurations(w http.ResponseWriter, r *http.Request, _ *httpapi.Call) error {
	var in struct {
		HubDeviceArn *string
		MaxResults   *int64
		NextToken    *string
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
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
	httpapi.WriteJSON(w, map[string][]struct{}{"EdgeConfigs": {}})
	return nil
}

func (s *Server) describeMappedResourceConfiguration(w http.ResponseWriter, r *http.Request, _ *httpapi.Call) error {
	var in struct {
		StreamName, StreamARN, NextToken *string
		MaxResults                       *int64
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	if in.MaxResults != nil && *in.MaxResults < 1 {
		return httpapi.InvalidArg("MaxResults must be at least 1.")
	}
	if in.NextToken != nil {
		return httpapi.InvalidArg("NextToken is not valid.")
	}
	if _, err := s.streams.Resolve(r.Context(), in.StreamName, in.StreamARN); err != nil {
		return err
	}
	httpapi.WriteJSON(w, map[string][]struct{}{"MappedResourceConfigurationList": {}})
	return nil
}

// streamStorage is the StreamStorageConfiguration shape.
type streamStorage struct {
	DefaultStorageTier string
}

func (s *Server) describeStreamStorageConfiguration(w http.ResponseWriter, r *http.Request, _ *httpapi.Call) error {
	st, err := s.streamOnly(r)
	if err != nil {
		return err
	}
	tier := st.StorageTier
	if tier == "" {
		tier = defaultStorageTier
	}
	httpapi.WriteJSON(w, struct {
		StreamName, StreamARN      string
		StreamStorageConfiguration streamStorage
	}{st.Name, st.ARN, streamStorage{tier}})
	return nil
}

func (s *Server) updateStreamStorageConfiguration(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	var in struct {
		StreamName, StreamARN, CurrentVersion *string
		StreamStorageConfiguration            *streamStorage
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	if in.CurrentVersion == nil {
		return httpapi.InvalidArg("CurrentVersion is required.")
	}
	c := in.StreamStorageConfiguration
	if c == nil || (c.DefaultStorageTier != "HOT" && c.DefaultStorageTier != "WARM") {
		return httpapi.InvalidArg("StreamStorageConfiguration.DefaultStorageTier must be HOT or WARM.")
	}
	st, err := s.streams.UpdateVersioned(r.Context(), in.StreamName, in.StreamARN, in.CurrentVersion, func(st *archive.Stream) error {
		st.StorageTier = c.DefaultStorageTier
		return nil
	})
	if err != nil {
		return err
	}
	rq.Log.Info("stream storage configuration updated", "stream", st.Name, "tier", c.DefaultStorageTier)
	httpapi.WriteJSON(w, struct{}{})
	return nil
}
