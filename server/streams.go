package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// arnPattern matches a stream ARN. It is compiled on first use, not at
// start-up, which every command of the binary would pay for.
var arnPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:stream/([a-zA-Z0-9_.-]+)/[0-9]+$`)
})

// streamARN is a stream's ARN in KVS's form, ending in the creation time in ms.
func (s *Server) streamARN(name string, createdMs int64) string {
	return fmt.Sprintf("arn:aws:kinesisvideo:%s:%s:stream/%s/%d", s.cfg.Region, s.cfg.AccountID, name, createdMs)
}

// resolveStream finds the stream a request names by StreamName or
// StreamARN. Both may be given when they agree (the spec leaves that case
// open; refusing agreeing values would only break clients).
func (s *Server) resolveStream(ctx context.Context, name, arn *string) (archive.Stream, error) {
	n, a := httpapi.Deref(name), httpapi.Deref(arn)
	switch {
	case n == "" && a == "":
		return archive.Stream{}, httpapi.InvalidArg("Either StreamName or StreamARN must be given.")
	case a != "":
		if err := httpapi.FieldStreamARN.Check(arn); err != nil {
			return archive.Stream{}, err
		}
		m := arnPattern().FindStringSubmatch(a)
		if m == nil {
			return archive.Stream{}, httpapi.InvalidArg("StreamARN %q is not a Kinesis Video stream ARN.", a)
		}
		if n != "" && n != m[1] {
			return archive.Stream{}, httpapi.InvalidArg("StreamName and StreamARN name different streams.")
		}
		st, err := s.cfg.Store.Stream(ctx, m[1])
		if err != nil || st.ARN != a {
			return archive.Stream{}, httpapi.StreamNotFound(a)
		}
		return st, nil
	}
	if !kvs.ValidStreamName(n) {
		return archive.Stream{}, invalidStreamName(n)
	}
	st, err := s.cfg.Store.Stream(ctx, n)
	if errors.Is(err, archive.ErrStreamNotFound) {
		return archive.Stream{}, httpapi.StreamNotFound(n)
	}
	return st, err
}

// invalidStreamName names the field and shows at most the start of the
// name: the request may hold megabytes there.
func invalidStreamName(n string) error {
	if len(n) > kvs.MaxStreamNameLength {
		return httpapi.InvalidArg("StreamName must be 1 to %d characters long, not %d.", kvs.MaxStreamNameLength, len(n))
	}
	return httpapi.InvalidArg("StreamName %q does not match [a-zA-Z0-9_.-]{1,256}.", n)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// newVersion returns a fresh stream version: 20 random alphanumerics, the
// shape of KVS's.
func newVersion() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [20]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// updateVersioned finds a stream by name or ARN and applies edit to it
// under KVS's optimistic concurrency: the stream must still be at version
// current, and leaves the update at a new version.
func (s *Server) updateVersioned(ctx context.Context, name, arn, current *string, edit func(*archive.Stream) error) (archive.Stream, error) {
	st, err := s.resolveStream(ctx, name, arn)
	if err != nil {
		return st, err
	}
	return st, s.cfg.Store.UpdateStream(ctx, st.Name, func(st *archive.Stream) error {
		if err := checkVersion(st, current); err != nil {
			return err
		}
		if err := edit(st); err != nil {
			return err
		}
		st.Version = newVersion()
		return nil
	})
}

// checkVersion applies KVS's optimistic concurrency: a given CurrentVersion
// must be the stream's.
func checkVersion(st *archive.Stream, current *string) error {
	if err := fieldVersion.Check(current); err != nil {
		return err
	}
	if current != nil && *current != st.Version {
		return httpapi.Errorf(kvs.VersionMismatch, "The stream version %s is not the current version.", *current)
	}
	return nil
}

func hasPrefix(name string, prefix *string) bool {
	return prefix == nil || strings.HasPrefix(name, *prefix)
}
