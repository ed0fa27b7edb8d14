package archive

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvs"
)

// Errors of a Store. Implementations wrap them, so test with errors.Is.
var (
	// ErrStreamNotFound: no stream has the given name.
	ErrStreamNotFound = errors.New("stream not found")
	// ErrStreamExists: CreateStream of a name already taken.
	ErrStreamExists = errors.New("stream already exists")
	// ErrFragmentNotFound: no fragment of the stream has the given number
	// (never stored, or deleted by retention).
	ErrFragmentNotFound = errors.New("fragment not found")
	// ErrInvalid: a stream name, fragment number or metadata value that
	// the store cannot keep.
	ErrInvalid = errors.New("invalid value")
	// ErrLeaseTaken: TakeProducerLease lost to a session that took the
	// lease after this one began to.
	ErrLeaseTaken = errors.New("producer lease taken by a newer session")
)

// Stream is what the store keeps about a stream: the control-plane fields of
// DescribeStream.
type Stream struct {
	Name           string    `json:"name"`
	ARN            string    `json:"arn"`
	RetentionHours int32     `json:"retention_hours"`
	Created        time.Time `json:"created"`
	// Version changes on every update; callers pass it back to guard
	// against lost updates, as KVS's CurrentVersion does.
	Version   string            `json:"version"`
	MediaType string            `json:"media_type,omitempty"`
	Device    string            `json:"device,omitempty"`
	KMSKeyID  string            `json:"kms_key_id,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
	// ImageGeneration and Notification are the stream's image-generation
	// and notification configurations as the control plane accepted them
	// (the service model's JSON); nil when never set.
	ImageGeneration json.RawMessage `json:"image_generation,omitempty"`
	Notification    json.RawMessage `json:"notification,omitempty"`
	// StorageTier is the stream storage configuration's default tier
	// (HOT or WARM); "" when never set. The archive keeps every fragment
	// alike: the tier is recorded, for the clients that set and read it.
	StorageTier string `json:"storage_tier,omitempty"`
}

// Store is a fragment archive. Implementations are safe for concurrent use.
//
// Every method takes the caller's context first, as database/sql/driver's
// do: a call whose caller has gone (a client that hung up, a server
// shutting down) stops, and returns the context's error.
type Store interface {
	// CreateStream adds a stream; ErrStreamExists if the name is taken.
	CreateStream(ctx context.Context, s Stream) error
	// Stream returns a stream by name.
	Stream(ctx context.Context, name string) (Stream, error)
	// Streams returns every stream, sorted by name.
	Streams(ctx context.Context) ([]Stream, error)
	// UpdateStream applies fn to a stream's metadata and stores the result
	// atomically; an error from fn aborts the update and is returned.
	UpdateStream(ctx context.Context, name string, fn func(*Stream) error) error
	// DeleteStream removes a stream and all its fragments and indexes.
	DeleteStream(ctx context.Context, name string) error

	// Put stores one fragment's document and its sample index
	// (fragindex.Build of the document) durably: when it returns nil the
	// fragment survives a crash of the process or the machine, and so does
	// its index. No listed fragment lacks its index, and no index names a
	// fragment that is not stored. A document that is not a fragment the
	// mkv Reader reads is refused with ErrInvalid.
	Put(ctx context.Context, stream string, meta kvs.Fragment, doc []byte) error
	// List returns the fragments whose timestamp of the given kind lies
	// in [start, end] (ms, both inclusive), in number order.
	List(ctx context.Context, stream string, kind kvs.Selector, start, end int64) ([]kvs.Fragment, error)
	// Lookup returns the metadata of one fragment.
	Lookup(ctx context.Context, stream, number string) (kvs.Fragment, error)
	// Read returns one fragment's whole document.
	Read(ctx context.Context, stream, number string) ([]byte, error)
	// ReadAt reads len(p) bytes of one fragment's document from offset off,
	// with io.ReaderAt's semantics: fewer bytes only with an error, io.EOF
	// when the document ends first.
	ReadAt(ctx context.Context, stream, number string, p []byte, off int64) (int, error)
	// Index returns one fragment's sample index. A fragment stored without
	// one (by an archive older than indexes), or whose stored index is
	// damaged or does not describe its document, has it built from the
	// document and stored again; a damaged one is logged. It is never
	// trusted blindly. f is the fragment as List or Lookup returned it:
	// its Number, and its Size, which a store may use to check the index
	// without another round trip (0 when the caller does not know it).
	Index(ctx context.Context, stream string, f kvs.Fragment) (*fragindex.Index, error)
	// DeleteBefore deletes the fragments whose server timestamp is before
	// cutoff (ms), with their indexes, and returns how many it deleted:
	// retention.
	DeleteBefore(ctx context.Context, stream string, cutoff int64) (int, error)
}

// ProducerLeases is implemented by stores that several servers share (S3).
// KVS takes one producer per stream, the newest: a server that starts a
// PutMedia session takes the stream's lease, and a session on another
// server finds, before it stores its next fragment, that the lease is no
// longer its own, and ends.
type ProducerLeases interface {
	// TakeProducerLease makes session the stream's producer, whoever
	// held it before it began. A session that takes the lease while this
	// call is under way is newer and keeps it: the call then returns
	// ErrLeaseTaken.
	TakeProducerLease(ctx context.Context, stream, session string) error
	// ProducerLeaseHolder is the session holding the stream's lease.
	ProducerLeaseHolder(ctx context.Context, stream string) (string, error)
}
