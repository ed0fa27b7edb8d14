// Package streamref resolves the stream a request names, by StreamName or
// StreamARN, to the stored stream with the errors KVS answers, and
// changes a stream under its version (CurrentVersion) as KVS does.
package streamref

import (
	"context"
	"crypto/rand"
	"errors"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// Resolver finds the streams requests name, and makes the ARNs of new
// ones, in one store under one region and account.
type Resolver struct {
	Store     archive.Store
	Region    string
	AccountID string
}

// ARN is a stream's ARN in KVS's form, ending in the creation time in ms.
func (r Resolver) ARN(name string, createdMs int64) string {
	return kvs.StreamARN(r.Region, r.AccountID, name, createdMs)
}

// Resolve finds the stream a request names by StreamName or
// StreamARN. Both may be given when they agree (the spec leaves that case
// open; refusing agreeing values would only break clients).
func (r Resolver) Resolve(ctx context.Context, name, arn *string) (archive.Stream, error) {
	n, a := httpapi.Deref(name), httpapi.Deref(arn)
	switch {
	case n == "" && a == "":
		return archive.Stream{}, httpapi.InvalidArg("Either StreamName or StreamARN must be given.")
	case a != "":
		if err := httpapi.FieldStreamARN.Check(arn); err != nil {
			return archive.Stream{}, err
		}
		sn, ok := kvs.StreamNameOfARN(a)
		if !ok {
			return archive.Stream{}, httpapi.InvalidArg("StreamARN %q is not a Kinesis Video stream ARN.", a)
		}
		if n != "" && n != sn {
			return archive.Stream{}, httpapi.InvalidArg("StreamName and StreamARN name different streams.")
		}
		st, err := r.Store.Stream(ctx, sn)
		if err != nil || st.ARN != a {
			return archive.Stream{}, httpapi.StreamNotFound(a)
		}
		return st, nil
	}
	if !kvs.ValidStreamName(n) {
		return archive.Stream{}, InvalidStreamName(n)
	}
	st, err := r.Store.Stream(ctx, n)
	if errors.Is(err, archive.ErrStreamNotFound) {
		return archive.Stream{}, httpapi.StreamNotFound(n)
	}
	return st, err
}

// InvalidStreamName names the field and shows at most the start of the
// name: the request may hold megabytes there.
func InvalidStreamName(n string) error {
	if len(n) > kvs.MaxStreamNameLength {
		return httpapi.InvalidArg("StreamName must be 1 to %d characters long, not %d.", kvs.MaxStreamNameLength, len(n))
	}
	return httpapi.InvalidArg("StreamName %q does not match [a-zA-Z0-9_.-]{1,256}.", n)
}

// NewVersion returns a fresh stream version: 20 random alphanumerics, the
// shape of KVS's.
func NewVersion() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [20]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// UpdateVersioned finds a stream by name or ARN and applies edit to it
// under KVS's optimistic concurrency: the stream must still be at version
// current, and leaves the update at a new version.
func (r Resolver) UpdateVersioned(ctx context.Context, name, arn, current *string, edit func(*archive.Stream) error) (archive.Stream, error) {
	st, err := r.Resolve(ctx, name, arn)
	if err != nil {
		return st, err
	}
	return st, r.Store.UpdateStream(ctx, st.Name, func(st *archive.Stream) error {
		if err := CheckVersion(st, current); err != nil {
			return err
		}
		if err := edit(st); err != nil {
			return err
		}
		st.Version = NewVersion()
		return nil
	})
}

// FieldVersion is CurrentVersion's rule in the service model.
var FieldVersion = httpapi.Field{Name: "CurrentVersion", Min: 1, Max: 64, Pattern: "[a-zA-Z0-9]+", OK: httpapi.IsAlnum}

// CheckVersion applies KVS's optimistic concurrency: a given CurrentVersion
// must be the stream's.
func CheckVersion(st *archive.Stream, current *string) error {
	if err := FieldVersion.Check(current); err != nil {
		return err
	}
	if current != nil && *current != st.Version {
		return httpapi.Errorf(kvs.VersionMismatch, "The stream version %s is not the current version.", *current)
	}
	return nil
}
