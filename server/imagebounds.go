package server

import "github.com/kvsclip/kvsclip/kvs"

// GetImages' bounds of the service model, which the image-generation
// configuration of the control plane shares (package kvs holds them).
const (
	minSampling    = kvs.MinSamplingInterval
	maxSampling    = kvs.MaxSamplingInterval
	maxImageWidth  = kvs.MaxImageWidth
	maxImageHeight = kvs.MaxImageHeight
)
