package server

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// The rest of the stream control plane: UpdateStream, the resource tag
// operations (by ARN), and the image-generation and notification
// configurations, which are validated as the service model constrains
// them and kept with the stream. kvsclip does not generate images into a
// destination or send notifications: it stores what was configured, so
// clients that set and read these settings work, and GetImages is where
// images come from.

// Patterns of the service model for the fields these operations take.
var (
	devicePattern      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`) })
	mediaPattern       = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w\-.+]+/[\w\-.+]+(,[\w\-.+]+/[\w\-.+]+)*$`) })
	versionPattern     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9]{1,64}$`) })
	uriPattern         = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z_0-9]+:(//)?([^/]+)/?([^*]*)$`) })
	regionPattern      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]+(-[a-z]+)?-[a-z]+-[0-9]$`) })
	formatValuePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z_0-9]+`) })
	channelARN         = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:channel/[a-zA-Z0-9_.-]+/[0-9]+$`)
	})
)

// Limits of the service model.
const (
	maxMediaTypeLen = 128  // MediaType
	maxURILen       = 255  // DestinationUri
	minSampling     = 3000 // SamplingInterval, ms
	maxSampling     = 20000
	maxImageWidth   = 3840 // WidthPixels
	maxImageHeight  = 2160 // HeightPixels
	maxFormatValue  = 256  // FormatConfigValue
)

func (s *Server) updateStream(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	var in struct {
		StreamName, StreamARN, CurrentVersion, DeviceName, MediaType *string
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	if in.CurrentVersion == nil || !versionPattern().MatchString(*in.CurrentVersion) {
		return httpapi.InvalidArg("CurrentVersion must be 1 to 64 letters or digits.")
	}
	if in.DeviceName != nil && !devicePattern().MatchString(*in.DeviceName) {
		return httpapi.InvalidArg("DeviceName must be 1 to 128 characters of [a-zA-Z0-9_.-].")
	}
	if in.MediaType != nil && (len(*in.MediaType) > maxMediaTypeLen || !mediaPattern().MatchString(*in.MediaType)) {
		return httpapi.InvalidArg("MediaType must be up to %d characters of type/subtype pairs, such as video/h264.", maxMediaTypeLen)
	}
	st, err := s.streams.UpdateVersioned(r.Context(), in.StreamName, in.StreamARN, in.CurrentVersion, func(st *archive.Stream) error {
		if in.DeviceName != nil {
			st.Device = *in.DeviceName
		}
		if in.MediaType != nil {
			st.MediaType = *in.MediaType
		}
		return nil
	})
	if err != nil {
		return err
	}
	rq.Log.Info("stream updated", "stream", st.Name)
	httpapi.WriteJSON(w, struct{}{})
	return nil
}

// codeAccessDenied is the model's exception for what a caller may not do:
// here, anything about signaling channels, which kvsclip does not have.
const codeAccessDenied = "AccessDeniedException"

// signalingRefused answers the signaling-channel (WebRTC) operations: they
// are part of the kinesisvideo API the SDKs expose, and a typed refusal
// tells a client what a 404 would not.
func (s *Server) signalingRefused(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	return httpapi.Errorf(kvs.AccessDenied,
		"%s: kvsclip serves video streams only; signaling channels (WebRTC) are not supported.", rq.API)
}

// resourceStream resolves a ResourceARN of the tag operations: a stream's,
// or a signaling channel's, which cannot exist here.
func (s *Server) resourceStream(r *http.Request, arn *string) (archive.Stream, error) {
	if arn == nil || *arn == "" || len(*arn) > 1024 {
		return archive.Stream{}, httpapi.InvalidArg("ResourceARN is required (1 to 1024 characters).")
	}
	if channelARN().MatchString(*arn) {
		return archive.Stream{}, httpapi.Errorf(kvs.ResourceNotFound, "No signaling channel %s: kvsclip has none.", *arn)
	}
	return s.streams.Resolve(r.Context(), nil, arn)
}

func (s *Server) tagResource(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	var in struct {
		ResourceARN *string
		Tags        []struct{ Key, Value *string }
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	if len(in.Tags) < 1 || len(in.Tags) > maxStreamTags {
		return httpapi.InvalidArg("Tags must hold 1 to %d tags.", maxStreamTags)
	}
	tags := make(map[string]string, len(in.Tags))
	for _, t := range in.Tags {
		if t.Key == nil || t.Value == nil {
			return httpapi.InvalidArg("Every tag needs a Key and a Value.")
		}
		tags[*t.Key] = *t.Value
	}
	if err := checkTags(tags, true); err != nil {
		return err
	}
	st, err := s.resourceStream(r, in.ResourceARN)
	if err != nil {
		return err
	}
	if err := s.addTags(r, st.Name, tags); err != nil {
		return err
	}
	rq.Log.Info("stream tagged", "stream", st.Name, "tags", len(tags))
	httpapi.WriteJSON(w, struct{}{})
	return nil
}

func (s *Server) untagResource(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	var in struct {
		ResourceARN *string
		TagKeyList  []string
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	if err := checkTagKeys(in.TagKeyList); err != nil {
		return err
	}
	st, err := s.resourceStream(r, in.ResourceARN)
	if err != nil {
		return err
	}
	if err := s.removeTags(r, st.Name, in.TagKeyList); err != nil {
		return err
	}
	rq.Log.Info("stream untagged", "stream", st.Name, "keys", len(in.TagKeyList))
	httpapi.WriteJSON(w, struct{}{})
	return nil
}

func (s *Server) listTagsForResource(w http.ResponseWriter, r *http.Request, _ *httpapi.Call) error {
	var in struct{ ResourceARN, NextToken *string }
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	if err := checkNextToken(in.NextToken); err != nil {
		return err
	}
	st, err := s.resourceStream(r, in.ResourceARN)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, map[string]any{"Tags": tagsOf(st)})
	return nil
}

// imageGeneration is ImageGenerationConfiguration of the service model.
type imageGeneration struct {
	Status, ImageSelectorType, Format *string
	DestinationConfig                 *struct{ Uri, DestinationRegion *string }
	SamplingInterval                  *int32
	FormatConfig                      map[string]string
	WidthPixels, HeightPixels         *int32
}

// check validates the configuration as the model constrains it.
func (c *imageGeneration) check() error {
	switch {
	case !isOneOf(c.Status, "ENABLED", "DISABLED"):
		return httpapi.InvalidArg("ImageGenerationConfiguration.Status must be ENABLED or DISABLED.")
	case !isOneOf(c.ImageSelectorType, "SERVER_TIMESTAMP", "PRODUCER_TIMESTAMP"):
		return httpapi.InvalidArg("ImageGenerationConfiguration.ImageSelectorType must be SERVER_TIMESTAMP or PRODUCER_TIMESTAMP.")
	case !isOneOf(c.Format, "JPEG", "PNG"):
		return httpapi.InvalidArg("ImageGenerationConfiguration.Format must be JPEG or PNG.")
	case c.SamplingInterval == nil || *c.SamplingInterval < minSampling || *c.SamplingInterval > maxSampling:
		return httpapi.InvalidArg("ImageGenerationConfiguration.SamplingInterval must be %d to %d ms.", minSampling, maxSampling)
	case c.DestinationConfig == nil:
		return httpapi.InvalidArg("ImageGenerationConfiguration.DestinationConfig is required.")
	case !validURI(c.DestinationConfig.Uri):
		return httpapi.InvalidArg("ImageGenerationConfiguration.DestinationConfig.Uri must be a URI of up to %d characters.", maxURILen)
	case c.DestinationConfig.DestinationRegion == nil || !regionPattern().MatchString(*c.DestinationConfig.DestinationRegion):
		return httpapi.InvalidArg("ImageGenerationConfiguration.DestinationConfig.DestinationRegion must be a region name.")
	case c.WidthPixels != nil && (*c.WidthPixels < 1 || *c.WidthPixels > maxImageWidth):
		return httpapi.InvalidArg("ImageGenerationConfiguration.WidthPixels must be 1 to %d.", maxImageWidth)
	case c.HeightPixels != nil && (*c.HeightPixels < 1 || *c.HeightPixels > maxImageHeight):
		return httpapi.InvalidArg("ImageGenerationConfiguration.HeightPixels must be 1 to %d.", maxImageHeight)
	}
	if c.FormatConfig != nil {
		if len(c.FormatConfig) != 1 {
			return httpapi.InvalidArg("ImageGenerationConfiguration.FormatConfig holds one entry, JPEGQuality.")
		}
		v, ok := c.FormatConfig["JPEGQuality"]
		if !ok || len(v) > maxFormatValue || !formatValuePattern().MatchString(v) {
			return httpapi.InvalidArg("ImageGenerationConfiguration.FormatConfig must be {\"JPEGQuality\": \"1\" to \"100\"}.")
		}
	}
	return nil
}

// notification is NotificationConfiguration of the service model.
type notification struct {
	Status            *string
	DestinationConfig *struct{ Uri *string }
}

func (c *notification) check() error {
	switch {
	case !isOneOf(c.Status, "ENABLED", "DISABLED"):
		return httpapi.InvalidArg("NotificationConfiguration.Status must be ENABLED or DISABLED.")
	case c.DestinationConfig == nil || !validURI(c.DestinationConfig.Uri):
		return httpapi.InvalidArg("NotificationConfiguration.DestinationConfig.Uri must be a URI of up to %d characters.", maxURILen)
	}
	return nil
}

func isOneOf(v *string, allowed ...string) bool {
	if v == nil {
		return false
	}
	for _, a := range allowed {
		if *v == a {
			return true
		}
	}
	return false
}

func validURI(u *string) bool {
	return u != nil && len(*u) >= 1 && len(*u) <= maxURILen && uriPattern().MatchString(*u)
}

// configField names one of the two stored configurations.
type configField struct {
	name string // the JSON member, such as ImageGenerationConfiguration
	get  func(*archive.Stream) *json.RawMessage
	// check decodes and validates a configuration.
	check func(json.RawMessage) error
}

var (
	imageGenerationField = configField{name: "ImageGenerationConfiguration",
		get: func(st *archive.Stream) *json.RawMessage { return &st.ImageGeneration },
		check: func(raw json.RawMessage) error {
			var c imageGeneration
			if err := json.Unmarshal(raw, &c); err != nil {
				return httpapi.InvalidArg("ImageGenerationConfiguration is not valid JSON of its shape.")
			}
			return c.check()
		}}
	notificationField = configField{name: "NotificationConfiguration",
		get: func(st *archive.Stream) *json.RawMessage { return &st.Notification },
		check: func(raw json.RawMessage) error {
			var c notification
			if err := json.Unmarshal(raw, &c); err != nil {
				return httpapi.InvalidArg("NotificationConfiguration is not valid JSON of its shape.")
			}
			return c.check()
		}}
)

// describeConfig answers Describe*Configuration: the stored configuration,
// or none.
func (s *Server) describeConfig(f configField) func(http.ResponseWriter, *http.Request, *httpapi.Call) error {
	return func(w http.ResponseWriter, r *http.Request, _ *httpapi.Call) error {
		var in struct{ StreamName, StreamARN *string }
		if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
			return err
		}
		st, err := s.streams.Resolve(r.Context(), in.StreamName, in.StreamARN)
		if err != nil {
			return err
		}
		out := map[string]json.RawMessage{}
		if raw := *f.get(&st); len(raw) > 0 {
			out[f.name] = raw
		}
		httpapi.WriteJSON(w, out)
		return nil
	}
}

// updateConfig answers Update*Configuration: a valid configuration replaces
// the stream's; none removes it. A stream that keeps no data has nothing
// to generate images or notifications from (NoDataRetentionException).
func (s *Server) updateConfig(f configField) func(http.ResponseWriter, *http.Request, *httpapi.Call) error {
	return func(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
		var in map[string]json.RawMessage
		if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
			return err
		}
		var name, arn *string
		for k, dst := range map[string]**string{"StreamName": &name, "StreamARN": &arn} {
			if raw, ok := in[k]; ok {
				var v string
				if err := json.Unmarshal(raw, &v); err != nil {
					return httpapi.InvalidArg("%s must be a string.", k)
				}
				*dst = &v
			}
		}
		raw := in[f.name]
		if len(raw) > 0 && strings.TrimSpace(string(raw)) != "null" {
			if err := f.check(raw); err != nil {
				return err
			}
		} else {
			raw = nil
		}
		st, err := s.streams.Resolve(r.Context(), name, arn)
		if err != nil {
			return err
		}
		if st.RetentionHours == 0 && raw != nil {
			return httpapi.Errorf(kvs.NoDataRetention, "The stream %s keeps no data: set a retention before %s.", st.Name, f.name)
		}
		err = s.cfg.Store.UpdateStream(r.Context(), st.Name, func(st *archive.Stream) error {
			*f.get(st) = raw
			return nil
		})
		if err != nil {
			return err
		}
		rq.Log.Info("stream configuration updated", "stream", st.Name, "configuration", f.name, "set", raw != nil)
		httpapi.WriteJSON(w, struct{}{})
		return nil
	}
}
