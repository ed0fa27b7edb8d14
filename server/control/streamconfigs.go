package control

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// The configurations kept with a stream: image generation and
// notification, validated as the service model constrains them and stored
// as the client sent them; and the storage tier.

// Patterns of the service model for the configurations' fields.
var (
	uriPattern         = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z_0-9]+:(//)?([^/]+)/?([^*]*)$`) })
	regionPattern      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]+(-[a-z]+)?-[a-z]+-[0-9]$`) })
	formatValuePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z_0-9]+`) })
)

// Limits of the service model; the bounds of sampling and image size are
// GetImages' too, in kvs.
const (
	maxURILen      = 255 // DestinationUri
	maxFormatValue = 256 // FormatConfigValue
	minSampling    = kvs.MinSamplingInterval
	maxSampling    = kvs.MaxSamplingInterval
	maxImageWidth  = kvs.MaxImageWidth
	maxImageHeight = kvs.MaxImageHeight
)

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

// given is a configuration an update carries, or nil for none (absent or
// null), which removes the stream's.
func given(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || strings.TrimSpace(string(raw)) == "null" {
		return nil
	}
	return raw
}

// validate checks the configuration an update carries, if any.
func (f configField) validate(raw json.RawMessage) error {
	if raw = given(raw); raw == nil {
		return nil
	}
	return f.check(raw)
}

// describeConfig answers Describe*Configuration: the stored configuration,
// or none.
func (p *plane) describeConfig(ctx context.Context, ref streamRef, f configField) (json.RawMessage, error) {
	st, err := p.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	return *f.get(&st), nil
}

// updateConfig answers Update*Configuration: a valid configuration
// replaces the stream's; none removes it. A stream that keeps no data has
// nothing to generate images or notifications from
// (NoDataRetentionException).
func (p *plane) updateConfig(ctx context.Context, ref streamRef, f configField, raw json.RawMessage) error {
	raw = given(raw)
	st, err := p.resolve(ctx, ref)
	if err != nil {
		return err
	}
	if st.RetentionHours == 0 && raw != nil {
		return httpapi.Errorf(kvs.NoDataRetention, "The stream %s keeps no data: set a retention before %s.", st.Name, f.name)
	}
	err = p.Store.UpdateStream(ctx, st.Name, func(st *archive.Stream) error {
		*f.get(st) = raw
		return nil
	})
	if err != nil {
		return err
	}
	httpapi.Log(ctx).Info("stream configuration updated", "stream", st.Name, "configuration", f.name, "set", raw != nil)
	return nil
}

type describeImageGenerationIn struct{ streamRef }

type describeImageGenerationOut struct {
	ImageGenerationConfiguration json.RawMessage `json:",omitempty"`
}

func (p *plane) describeImageGeneration(ctx context.Context, in *describeImageGenerationIn) (*describeImageGenerationOut, error) {
	raw, err := p.describeConfig(ctx, in.streamRef, imageGenerationField)
	if err != nil {
		return nil, err
	}
	return &describeImageGenerationOut{ImageGenerationConfiguration: raw}, nil
}

type updateImageGenerationIn struct {
	streamRef
	ImageGenerationConfiguration json.RawMessage
}

func (in *updateImageGenerationIn) Validate() error {
	return imageGenerationField.validate(in.ImageGenerationConfiguration)
}

func (p *plane) updateImageGeneration(ctx context.Context, in *updateImageGenerationIn) (*noOutput, error) {
	return nil, p.updateConfig(ctx, in.streamRef, imageGenerationField, in.ImageGenerationConfiguration)
}

type describeNotificationIn struct{ streamRef }

type describeNotificationOut struct {
	NotificationConfiguration json.RawMessage `json:",omitempty"`
}

func (p *plane) describeNotification(ctx context.Context, in *describeNotificationIn) (*describeNotificationOut, error) {
	raw, err := p.describeConfig(ctx, in.streamRef, notificationField)
	if err != nil {
		return nil, err
	}
	return &describeNotificationOut{NotificationConfiguration: raw}, nil
}

type updateNotificationIn struct {
	streamRef
	NotificationConfiguration json.RawMessage
}

func (in *updateNotificationIn) Validate() error {
	return notificationField.validate(in.NotificationConfiguration)
}

func (p *plane) updateNotification(ctx context.Context, in *updateNotificationIn) (*noOutput, error) {
	return nil, p.updateConfig(ctx, in.streamRef, notificationField, in.NotificationConfiguration)
}

// defaultStorageTier is the tier of a stream that was never given one.
const defaultStorageTier = "HOT"

// streamStorage is the StreamStorageConfiguration shape.
type streamStorage struct {
	DefaultStorageTier string
}

type describeStreamStorageIn struct{ streamRef }

type describeStreamStorageOut struct {
	StreamName, StreamARN      string
	StreamStorageConfiguration streamStorage
}

func (p *plane) describeStreamStorage(ctx context.Context, in *describeStreamStorageIn) (*describeStreamStorageOut, error) {
	st, err := p.resolve(ctx, in.streamRef)
	if err != nil {
		return nil, err
	}
	tier := st.StorageTier
	if tier == "" {
		tier = defaultStorageTier
	}
	return &describeStreamStorageOut{st.Name, st.ARN, streamStorage{tier}}, nil
}

type updateStreamStorageIn struct {
	streamRef
	CurrentVersion             *string
	StreamStorageConfiguration *streamStorage
}

func (in *updateStreamStorageIn) Validate() error {
	if in.CurrentVersion == nil {
		return httpapi.InvalidArg("CurrentVersion is required.")
	}
	if c := in.StreamStorageConfiguration; c == nil || (c.DefaultStorageTier != "HOT" && c.DefaultStorageTier != "WARM") {
		return httpapi.InvalidArg("StreamStorageConfiguration.DefaultStorageTier must be HOT or WARM.")
	}
	return nil
}

func (p *plane) updateStreamStorage(ctx context.Context, in *updateStreamStorageIn) (*noOutput, error) {
	tier := in.StreamStorageConfiguration.DefaultStorageTier
	st, err := p.Streams.UpdateVersioned(ctx, in.StreamName, in.StreamARN, in.CurrentVersion, func(st *archive.Stream) error {
		st.StorageTier = tier
		return nil
	})
	if err != nil {
		return nil, err
	}
	httpapi.Log(ctx).Info("stream storage configuration updated", "stream", st.Name, "tier", tier)
	return nil, nil
}
