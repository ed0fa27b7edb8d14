package kvs

import (
	"fmt"
	"slices"
)

// The fields of a playback session (GetHLSStreamingSessionURL and
// GetDASHStreamingSessionURL) that take one of a few words, spelled as the
// API spells them. A session token carries them as these strings, so a
// value read from a request, stored in a token and compared in a handler
// is the same typed word everywhere.

// Protocol is the streaming protocol of a playback session.
type Protocol string

// The two session protocols.
const (
	// HLS is HTTP Live Streaming: GetHLSStreamingSessionURL.
	HLS Protocol = "HLS"
	// DASH is MPEG-DASH: GetDASHStreamingSessionURL.
	DASH Protocol = "DASH"
)

var protocols = []Protocol{HLS, DASH}

// Valid reports whether p is HLS or DASH.
func (p Protocol) Valid() bool { return slices.Contains(protocols, p) }

// PlaybackMode is a session's PlaybackMode: which fragments it shows, and
// whether its playlist grows.
type PlaybackMode string

// The playback modes.
const (
	// Live follows the stream's newest fragments.
	Live PlaybackMode = "LIVE"
	// LiveReplay plays a range from its start, and goes on past its end
	// (if it has none) as the fragments come.
	LiveReplay PlaybackMode = "LIVE_REPLAY"
	// OnDemand shows a closed range at once.
	OnDemand PlaybackMode = "ON_DEMAND"
)

var playbackModes = []PlaybackMode{Live, LiveReplay, OnDemand}

// Valid reports whether m is one of the playback modes.
func (m PlaybackMode) Valid() bool { return slices.Contains(playbackModes, m) }

// Check returns nil when m is valid, else the InvalidArgument the service
// answers for the request field named field.
func (m PlaybackMode) Check(field string) error { return checkWord(field, m, playbackModes) }

// ContainerFormat is an HLS session's ContainerFormat: how its segments
// are packaged.
type ContainerFormat string

// The container formats.
const (
	// FragmentedMP4 segments are an init segment and moof+mdat pairs.
	FragmentedMP4 ContainerFormat = "FRAGMENTED_MP4"
	// MPEGTS segments are MPEG-2 transport streams.
	MPEGTS ContainerFormat = "MPEG_TS"
)

var containerFormats = []ContainerFormat{FragmentedMP4, MPEGTS}

// Valid reports whether c is one of the container formats.
func (c ContainerFormat) Valid() bool { return slices.Contains(containerFormats, c) }

// Check returns nil when c is valid, else the InvalidArgument the service
// answers for the request field named field.
func (c ContainerFormat) Check(field string) error { return checkWord(field, c, containerFormats) }

// DiscontinuityMode is an HLS session's DiscontinuityMode: where its media
// playlist marks a discontinuity between fragments.
type DiscontinuityMode string

// The discontinuity modes.
const (
	// DiscontinuityAlways marks one before every fragment.
	DiscontinuityAlways DiscontinuityMode = "ALWAYS"
	// DiscontinuityNever marks none.
	DiscontinuityNever DiscontinuityMode = "NEVER"
	// OnDiscontinuity marks one where a fragment does not start where the
	// one before it ends.
	OnDiscontinuity DiscontinuityMode = "ON_DISCONTINUITY"
)

var discontinuityModes = []DiscontinuityMode{DiscontinuityAlways, DiscontinuityNever, OnDiscontinuity}

// Valid reports whether d is one of the discontinuity modes.
func (d DiscontinuityMode) Valid() bool { return slices.Contains(discontinuityModes, d) }

// Check returns nil when d is valid, else the InvalidArgument the service
// answers for the request field named field.
func (d DiscontinuityMode) Check(field string) error {
	return checkWord(field, d, discontinuityModes)
}

// DisplayMode is a session's DisplayFragmentTimestamp or (DASH)
// DisplayFragmentNumber: whether its playlist or manifest shows each
// fragment's timestamp or number.
type DisplayMode string

// The display modes.
const (
	// DisplayAlways shows the value with every fragment.
	DisplayAlways DisplayMode = "ALWAYS"
	// DisplayNever shows it nowhere.
	DisplayNever DisplayMode = "NEVER"
)

var displayModes = []DisplayMode{DisplayAlways, DisplayNever}

// Valid reports whether d is ALWAYS or NEVER.
func (d DisplayMode) Valid() bool { return slices.Contains(displayModes, d) }

// Check returns nil when d is valid, else the InvalidArgument the service
// answers for the request field named field.
func (d DisplayMode) Check(field string) error { return checkWord(field, d, displayModes) }

var selectors = []Selector{ProducerTimestamp, ServerTimestamp}

// Check returns nil when s is valid, else the InvalidArgument a session
// request's FragmentSelectorType is answered with, naming field.
func (s Selector) Check(field string) error { return checkWord(field, s, selectors) }

// checkWord is every Check: the message lists the words in the model's
// order, as "PlaybackMode must be one of [LIVE LIVE_REPLAY ON_DEMAND].".
func checkWord[T ~string](field string, v T, words []T) error {
	if slices.Contains(words, v) {
		return nil
	}
	return New(InvalidArgument, fmt.Sprintf("%s must be one of %v.", field, words))
}
