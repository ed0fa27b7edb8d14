package kvs

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is one of the KVS archived-media error kinds.
type Kind int

// The kinds. Their names are the KVS exception names without the
// "Exception" suffix.
const (
	// Unknown is the kind of an error that carries no kind (an I/O error of
	// the output, for example).
	Unknown Kind = iota
	// InvalidArgument: a request or input that is not acceptable as given.
	InvalidArgument
	// ResourceNotFound: nothing to clip (no fragment, or no such stream).
	ResourceNotFound
	// MissingCodecPrivateData: a track has no CodecPrivate.
	MissingCodecPrivateData
	// InvalidCodecPrivateData: a track's CodecPrivate cannot be used, or it
	// changes within one clip.
	InvalidCodecPrivateData
	// InvalidMediaFrame: a frame, or the container around it, cannot be parsed.
	InvalidMediaFrame
	// UnsupportedStreamMediaType: the codecs or the set of tracks are not
	// ones a clip can carry.
	UnsupportedStreamMediaType
	// ClientLimitExceeded: a request was throttled.
	ClientLimitExceeded
	// NotAuthorized: the caller is not allowed to make the request.
	NotAuthorized
	// NoDataRetention: the stream keeps no data.
	NoDataRetention
	// ResourceInUse: the resource exists already, or is busy (a stream of
	// that name, CreateStream).
	ResourceInUse
	// VersionMismatch: a stream's CurrentVersion is not its version.
	VersionMismatch
	// UnknownOperation: no operation has the request's method and path.
	UnknownOperation
	// ConnectionLimitExceeded: a stream has all the GetMedia connections
	// it may have.
	ConnectionLimitExceeded
	// TagsPerResourceExceededLimit: a stream would have more tags than
	// it may.
	TagsPerResourceExceededLimit
	// AccessDenied: the operation is not allowed on this resource at all
	// (the signaling channels' media storage, for example).
	AccessDenied
	// StreamEdgeConfigurationNotFound: a stream has no edge configuration.
	StreamEdgeConfigurationNotFound
)

// kindTable is every exception the service answers with: its name and its
// HTTP status (spec §1.8). The service models give NotAuthorized 401,
// ResourceNotFound and the edge configuration's 404, AccessDenied 403 and
// an internal failure 500; the rest, throttling included, are 400. An
// unknown operation is 404, as AWS's front door answers one.
var kindTable = [...]struct {
	name   string
	status int
}{
	Unknown:                         {"InternalFailure", 500},
	InvalidArgument:                 {"InvalidArgument", 400},
	ResourceNotFound:                {"ResourceNotFound", 404},
	MissingCodecPrivateData:         {"MissingCodecPrivateData", 400},
	InvalidCodecPrivateData:         {"InvalidCodecPrivateData", 400},
	InvalidMediaFrame:               {"InvalidMediaFrame", 400},
	UnsupportedStreamMediaType:      {"UnsupportedStreamMediaType", 400},
	ClientLimitExceeded:             {"ClientLimitExceeded", 400},
	NotAuthorized:                   {"NotAuthorized", 401},
	NoDataRetention:                 {"NoDataRetention", 400},
	ResourceInUse:                   {"ResourceInUse", 400},
	VersionMismatch:                 {"VersionMismatch", 400},
	UnknownOperation:                {"UnknownOperation", 404},
	ConnectionLimitExceeded:         {"ConnectionLimitExceeded", 400},
	TagsPerResourceExceededLimit:    {"TagsPerResourceExceededLimit", 400},
	AccessDenied:                    {"AccessDenied", 403},
	StreamEdgeConfigurationNotFound: {"StreamEdgeConfigurationNotFound", 404},
}

// String returns the kind's name, such as "InvalidMediaFrame".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindTable) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindTable[k].name
}

// Exception returns the name of the KVS exception shape for the kind, such as
// "InvalidMediaFrameException". Unknown maps to the common "InternalFailure".
func (k Kind) Exception() string {
	if k == Unknown {
		return kindTable[Unknown].name
	}
	return k.String() + "Exception"
}

// Status returns the HTTP status KVS answers an exception of the kind with;
// 500 for a kind it does not know.
func (k Kind) Status() int {
	if k < 0 || int(k) >= len(kindTable) {
		return 500
	}
	return kindTable[k].status
}

// Error is an error with a kind and the place it was found.
type Error struct {
	Kind Kind
	// Fragment is the KVS fragment number, or the fragment's index in the
	// input written as "#N" when it has no number; empty when not known.
	Fragment string
	// Track is the Matroska track number; 0 when the error is not about one track.
	Track uint64
	// Offset is the byte offset in the input; -1 when not known.
	Offset int64
	// Msg says what is wrong, in words a user can act on.
	Msg string
	// Err is the underlying cause, if any.
	Err error
}

// New returns an error of the given kind with no location.
func New(kind Kind, msg string) *Error {
	return &Error{Kind: kind, Offset: -1, Msg: msg}
}

// Errorf returns an error of the given kind with a formatted message and no
// location. A %w verb in format makes the wrapped error its cause.
func Errorf(kind Kind, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Offset: -1, Msg: err.Error(), Err: errors.Unwrap(err)}
}

// Error formats the error as "Kind: message (fragment F, track T, offset O)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.String())
	b.WriteString(": ")
	switch {
	case e.Msg != "":
		b.WriteString(e.Msg)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString("error")
	}
	var where []string
	if e.Fragment != "" {
		where = append(where, "fragment "+e.Fragment)
	}
	if e.Track != 0 {
		where = append(where, fmt.Sprintf("track %d", e.Track))
	}
	if e.Offset >= 0 {
		where = append(where, fmt.Sprintf("offset %d", e.Offset))
	}
	if len(where) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(where, ", "))
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Kinded is implemented by the error types of the engine's packages that know
// their KVS kind.
type Kinded interface {
	error
	KVSKind() Kind
}

// KindOf returns the kind of err: that of the first *Error or Kinded in its
// chain, else Unknown.
func KindOf(err error) Kind {
	var ke *Error
	if errors.As(err, &ke) {
		return ke.Kind
	}
	var k Kinded
	if errors.As(err, &k) {
		return k.KVSKind()
	}
	return Unknown
}
