package mp4

import "errors"

// Sentinel causes carried inside the *kvs.Error values this package
// returns, so callers can test for them with errors.Is while
// kvs.KindOf still reports the KVS error kind.
var (
	// ErrInvalidTrack marks a track list that NewWriter cannot use: empty,
	// a zero or repeated track ID, a zero timescale, or a codec
	// configuration that is missing or malformed.
	ErrInvalidTrack = errors.New("mp4: invalid track")
	// ErrUnsupportedCodec marks a track whose sample entry type this
	// package cannot write.
	ErrUnsupportedCodec = errors.New("mp4: unsupported codec")
	// ErrInvalidFragment marks a Fragment that cannot be written: an
	// unknown or repeated track, an empty sample, a sample description
	// index the init segment does not have.
	ErrInvalidFragment = errors.New("mp4: invalid fragment")
	// ErrFragmentTooLarge marks a fragment whose moof+mdat would not fit
	// the 32-bit fields that address it; see MaxFragmentSize.
	ErrFragmentTooLarge = errors.New("mp4: fragment too large")
	// ErrWriteOrder marks a call out of order: WriteInit twice, or
	// WriteFragment before WriteInit.
	ErrWriteOrder = errors.New("mp4: call out of order")
	// ErrNoRoom marks a header that does not fit the room reserved for
	// it in front of the fragments (ReservedHeader).
	ErrNoRoom = errors.New("mp4: header does not fit the reserved room")
)
