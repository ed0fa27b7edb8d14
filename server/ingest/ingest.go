// Package ingest is PutMedia: the producers' streaming upload, read
// fragment by fragment, each one numbered, written as a GetMedia-layout
// document, stored and acknowledged (acks of package putack) while the body
// still arrives. It owns the session's limits (Config), its timed body
// reader, the one producer per stream (the last to connect wins, through
// the store's lease across servers), and fragment numbering, seeded from
// the archive so numbers keep growing across restarts.
//
// The body it reads has already been checked by the server's middleware:
// the signature of its headers, and a signed body's hash or chunk
// signatures, which end the body with an error of their own when they fail.
package ingest

import (
	"log/slog"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/server/feed"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/metrics"
	"github.com/kvsclip/kvsclip/server/streamref"
)

// Deps is what ingest needs from the server.
type Deps struct {
	Store archive.Store
	// Now is the clock numbering is seeded by.
	Now     func() time.Time
	Log     *slog.Logger
	Metrics *metrics.Metrics
	Streams streamref.Resolver
	// Feed is told of each fragment stored, for the GetMedia consumers
	// tailing its stream on this server.
	Feed *feed.Feed
	// Draining returns when the server began draining, if it did: the
	// sessions then finish the fragment they are reading and end.
	Draining func() (time.Time, bool)
}

// Service serves PutMedia.
type Service struct {
	cfg     Config
	d       Deps
	numbers *numberGen
	// sessions holds a token per PutMedia session in progress.
	sessions  chan struct{}
	producers producerSet
}

// New returns the PutMedia service of cfg (defaults applied) over d.Store,
// its numbering seeded from the archive.
func New(cfg Config, d Deps) (*Service, error) {
	cfg.SetDefaults()
	numbers, err := seedNumbers(d.Store, d.Now())
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, d: d, numbers: numbers, sessions: make(chan struct{}, cfg.MaxPutMediaSessions)}, nil
}

// Routes is PutMedia's route: its parameters are headers and its body
// streams, so the middleware must not buffer it.
func (s *Service) Routes() []httpapi.Route {
	return []httpapi.Route{httpapi.Raw("PutMedia", "/putMedia", true, s.putMedia)}
}

// Sessions returns the number of PutMedia sessions in progress.
func (s *Service) Sessions() int { return len(s.sessions) }
