package kvs

// The service model's bounds of the images KVS makes from a stream. The
// same numbers bound GetImages' request and a stream's
// ImageGenerationConfiguration, so both surfaces read them here.
const (
	// MinSamplingInterval and MaxSamplingInterval bound SamplingInterval,
	// in milliseconds.
	MinSamplingInterval = 3000
	MaxSamplingInterval = 20000
	// MaxImageWidth and MaxImageHeight bound WidthPixels and HeightPixels.
	MaxImageWidth  = 3840
	MaxImageHeight = 2160
)
