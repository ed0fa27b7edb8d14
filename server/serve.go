package server

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/kvsclip/kvsclip/server/connlimit"
)

// ListenConfig is how Serve runs the server on a listener: what net/http
// and the connection budget bound before any handler runs, and how long a
// shutdown waits. Zero fields take the defaults below.
type ListenConfig struct {
	// HeaderTimeout bounds a request's headers (DefaultHeaderTimeout).
	// Bodies and answers have their own rules (ReadTimeout, PutMedia's
	// progress rule, WriteStallTimeout), set by the handlers.
	HeaderTimeout time.Duration
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request (DefaultIdleTimeout).
	IdleTimeout time.Duration
	// MaxConns and MaxConnsPerClient are the connection budget
	// (connlimit.LimitListener): connlimit.DefaultMaxConns() and
	// connlimit.DefaultMaxConnsPerClient.
	MaxConns          int
	MaxConnsPerClient int
	// ShutdownGrace is how long a shutdown waits for PutMedia sessions to
	// finish their fragment in flight and for answers to finish, before it
	// closes the connections left (DefaultShutdownGrace).
	ShutdownGrace time.Duration
	// TLS, when set, serves HTTPS with it.
	TLS *tls.Config
}

// Defaults of ListenConfig.
const (
	// DefaultHeaderTimeout: every SDK sends its headers at once, and 10 s
	// is what load balancers allow a slow client.
	DefaultHeaderTimeout = 10 * time.Second
	// DefaultIdleTimeout: the SDKs' pools reuse a connection within
	// seconds, and one idle for a minute only holds a descriptor (AWS
	// ALBs: 60 s).
	DefaultIdleTimeout = time.Minute
	// DefaultShutdownGrace: a PutMedia fragment lasts at most 10 s at KVS's
	// limits, and a clip of 100 MB takes seconds on any link a viewer
	// keeps; 30 s is also what orchestrators give a process after SIGTERM.
	DefaultShutdownGrace = 30 * time.Second
)

func (c *ListenConfig) setDefaults() {
	if c.HeaderTimeout == 0 {
		c.HeaderTimeout = DefaultHeaderTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MaxConns == 0 {
		c.MaxConns = connlimit.DefaultMaxConns()
	}
	if c.MaxConnsPerClient == 0 {
		c.MaxConnsPerClient = connlimit.DefaultMaxConnsPerClient
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
}

// Serve serves the API on ln with every protection of the server: the
// header and idle timeouts, the connection budget (idle connections shed
// first, a cap per client address), TLS when configured, and the
// retention loop. When ctx ends it drains: PutMedia sessions store and
// acknowledge the fragment they are reading and end, answers in flight
// finish within ShutdownGrace, then the connections left are closed and
// Serve returns nil. It returns the listener's error if serving fails
// first. A Server serves on one listener at a time.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	lc := s.cfg.Listen
	rctx, stopRetention := context.WithCancel(ctx)
	defer stopRetention()
	go s.RunRetention(rctx)

	limited := connlimit.LimitListener(ln, connlimit.ConnLimits{MaxConns: lc.MaxConns, MaxConnsPerClient: lc.MaxConnsPerClient})
	hs := &http.Server{
		Handler:           limited.Handler(s),
		ConnContext:       limited.ConnContext,
		ReadHeaderTimeout: lc.HeaderTimeout,
		IdleTimeout:       lc.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	ln = limited
	if lc.TLS != nil {
		hs.TLSConfig = lc.TLS
		ln = tls.NewListener(ln, lc.TLS)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing fragments in flight")
	s.Drain()
	sctx, cancel := context.WithTimeout(context.Background(), lc.ShutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		s.log.Warn("shutdown grace period over; closing connections", "err", err)
		hs.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.log.Info("stopped")
	return nil
}

// ListenAndServe listens on the TCP address addr and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}
