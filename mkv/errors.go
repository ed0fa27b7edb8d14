package mkv

import (
	"errors"
	"fmt"

	"github.com/kvsclip/kvsclip/kvs"
)

// Sentinel causes of reading errors; a *Error wraps one of them.
var (
	// ErrNotMatroska: the input does not start with an EBML header of a
	// Matroska (or WebM) document.
	ErrNotMatroska = errors.New("input is not a Matroska stream")
	// ErrMalformed: an element ID, size or value is not valid EBML, or an
	// element does not fit in its parent.
	ErrMalformed = errors.New("malformed element")
	// ErrUnexpectedEOF: the input ended before an element that must be
	// complete (anything outside the last Cluster).
	ErrUnexpectedEOF = errors.New("unexpected end of input")
	// ErrTooLarge: an element or fragment is over one of the limits in
	// limits.go.
	ErrTooLarge = errors.New("over limit")
	// ErrUnknownTrack: a block names a track the header does not declare.
	ErrUnknownTrack = errors.New("block of undeclared track")
	// ErrNoTracks: a Cluster comes before any Tracks element.
	ErrNoTracks = errors.New("cluster without tracks")
	// ErrUnsupported: valid Matroska that kvsclip does not handle, such as
	// compressed or encrypted tracks.
	ErrUnsupported = errors.New("unsupported feature")
	// ErrBadTag: an AWS_KINESISVIDEO_* tag value is not in its documented
	// format.
	ErrBadTag = errors.New("invalid AWS tag value")
)

// Error is a reading error: what was wrong, in which element, at which byte.
type Error struct {
	// Offset is the input position of the element that failed.
	Offset int64
	// Element names it ("SimpleBlock", "Tracks", ...).
	Element string
	// Err is one of the Err* sentinels.
	Err error
	// Detail says more, for people.
	Detail string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("mkv: %s at offset %d: %v", e.Element, e.Offset, e.Err)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns the sentinel cause.
func (e *Error) Unwrap() error { return e.Err }

// KVSKind classifies the error for the KVS API: input that is not Matroska is
// an InvalidArgument, unsupported features an UnsupportedStreamMediaType, and
// anything broken inside the stream an InvalidMediaFrame.
func (e *Error) KVSKind() kvs.Kind {
	switch e.Err {
	case ErrNotMatroska:
		return kvs.InvalidArgument
	case ErrUnsupported:
		return kvs.UnsupportedStreamMediaType
	}
	return kvs.InvalidMediaFrame
}

func newError(off int64, element string, err error, detail string, args ...any) *Error {
	if len(args) > 0 {
		detail = fmt.Sprintf(detail, args...)
	}
	return &Error{Offset: off, Element: element, Err: err, Detail: detail}
}
