package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/archived"
	"github.com/kvsclip/kvsclip/server/connlimit"
	"github.com/kvsclip/kvsclip/server/control"
	"github.com/kvsclip/kvsclip/server/feed"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/images"
	"github.com/kvsclip/kvsclip/server/ingest"
	"github.com/kvsclip/kvsclip/server/media"
	"github.com/kvsclip/kvsclip/server/metrics"
	"github.com/kvsclip/kvsclip/server/sessions"
	"github.com/kvsclip/kvsclip/server/sigv4"
	"github.com/kvsclip/kvsclip/server/storeread"
	"github.com/kvsclip/kvsclip/server/streamref"
)

// Server serves the KVS API. Create it with New; it is an http.Handler.
type Server struct {
	cfg       Config
	log       *slog.Logger
	m         *metrics.Metrics
	rd        *storeread.Reader  // reads of stored fragments for answers
	streams   streamref.Resolver // the streams requests name
	sig       *sigv4.Verifier    // nil without credentials: loopback only
	cors      *httpapi.CORS      // which other origins' pages may read answers
	ingest    *ingest.Service    // PutMedia
	sessions  *sessions.Sessions // HLS and DASH
	images    *images.API        // GetImages
	feeds     feed.Feed          // new fragments, for GetMedia tails
	drainAt   atomic.Int64
	drainOnce sync.Once
	portGuess sync.Once                // the log line of baseURL
	routes    map[string]httpapi.Route // by path
	mux       *http.ServeMux
}

// New returns a Server over cfg.Store. It seeds fragment numbering from the
// archive so numbers keep growing across restarts.
func New(cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:    cfg,
		log:    cfg.Logger,
		m:      metrics.New(),
		rd:     storeread.New(cfg.Store, cfg.ClipReadAheadBytes, cfg.IndexCacheBytes),
		routes: map[string]httpapi.Route{},
	}
	s.streams = streamref.Resolver{Store: cfg.Store, Region: cfg.Region, AccountID: cfg.AccountID}
	s.sig = newVerifier(&s.cfg)
	var err error
	if s.cors, err = newCORS(&s.cfg); err != nil {
		return nil, err
	}
	s.ingest, err = ingest.New(cfg.Ingest, ingest.Deps{Store: cfg.Store, Now: cfg.Now, Log: s.log, Metrics: s.m,
		Streams: s.streams, Feed: &s.feeds, Draining: s.drainedAt})
	if err != nil {
		return nil, err
	}
	s.sessions, err = sessions.New(sessions.Deps{Store: cfg.Store, Now: cfg.Now, Metrics: s.m, Streams: s.streams,
		Reader: s.rd, Endpoint: s.baseURL, Secret: sessionSecret(cfg.Credentials)}, cfg.Sessions)
	if err != nil {
		return nil, err
	}
	s.images = images.New(images.Deps{Store: cfg.Store, Log: cfg.Logger, Metrics: s.m, Streams: s.streams, Reader: s.rd,
		// Fragments stored under the default bound may be longer than a
		// lower one set since.
		MaxFragmentDuration: max(cfg.Ingest.MaxFragmentDuration, ingest.DefaultMaxFragmentDuration)}, cfg.Images)
	getMedia := media.New(media.Deps{Store: cfg.Store, Reader: s.rd, Now: cfg.Now, Streams: s.streams,
		Feed: &s.feeds, Draining: s.draining, MaxFragmentDuration: cfg.Ingest.MaxFragmentDuration}, cfg.Media)
	clips := archived.New(archived.Deps{Store: cfg.Store, Reader: s.rd, Now: cfg.Now, Metrics: s.m, Streams: s.streams,
		WriteStallTimeout: cfg.WriteStallTimeout, WriteTimeout: cfg.WriteTimeout,
		Vectored: connlimit.Vectored, AuthorizeURL: s.authorizeURL}, cfg.Archived)

	// The route table: every KVS operation, by API surface. A new
	// operation is a handler in its surface's package and a line there.
	s.addRoutes(control.Routes(control.Deps{Store: cfg.Store, Now: cfg.Now, Streams: s.streams, Endpoint: s.baseURL,
		ImagesUnavailable: func() error {
			if !s.images.Available() {
				return images.Unavailable()
			}
			return nil
		}})) // kinesisvideo
	s.addRoutes(s.ingest.Routes())   // kinesis-video-media: PutMedia
	s.addRoutes(getMedia.Routes())   // kinesis-video-media: GetMedia
	s.addRoutes(clips.Routes())      // kinesis-video-archived-media
	s.addRoutes(s.sessions.Routes()) // kinesis-video-archived-media: HLS, DASH
	s.addRoutes(s.images.Routes())   // kinesis-video-archived-media: GetImages

	s.mux = http.NewServeMux()
	s.mux.Handle("GET /metrics", s.m)
	s.mux.HandleFunc("GET /clips/{file}", s.accounted("GetClipURL", clips.ServeClipURL))
	s.mux.HandleFunc("GET /hls/v1/{res}", s.serveSession)
	s.mux.HandleFunc("GET /dash/v1/{res}", s.serveSession)
	s.mux.HandleFunc("GET "+sessions.TimePath, s.sessions.ServeTime) // DASH's UTCTiming
	s.mux.HandleFunc("GET /", s.serveWeb)
	s.mux.HandleFunc("/", s.serveAPI)
	return s, nil
}

// ServeHTTP serves the API routes, the page, clip URLs and GET /metrics.
// Without credentials it first refuses what a web page, rather than a
// client on this machine, could send (localGuard). Browsers' preflights
// are answered here (serveCORS), before any signature check or store read.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	methods := s.corsMethods(r.URL.Path)
	crossOK := methods != "" && s.originAllowed(r)
	if s.cfg.Credentials == nil {
		if e := s.localGuard(r, crossOK); e != nil {
			w.Header().Set("Connection", "close")
			w.Header().Set("x-amzn-RequestId", newRequestID())
			s.log.Info("local mode: request refused", "remote", r.RemoteAddr, "host", r.Host, "origin", r.Header.Get("Origin"), "why", e.Message)
			httpapi.WriteError(w, e)
			return
		}
	}
	if methods != "" && s.serveCORS(w, r, methods, crossOK) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Drain tells PutMedia sessions to stop after the fragment each is reading:
// that fragment is stored and acknowledged, then the session ends. Call it
// before http.Server.Shutdown, which waits for the sessions.
func (s *Server) Drain() {
	s.drainOnce.Do(func() {
		s.drainAt.Store(time.Now().UnixNano())
	})
}

// drainedAt returns when Drain was called, if it was.
func (s *Server) drainedAt() (time.Time, bool) {
	ns := s.drainAt.Load()
	return time.Unix(0, ns), ns != 0
}

func (s *Server) draining() bool {
	_, ok := s.drainedAt()
	return ok
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	rq := &httpapi.Call{ID: newRequestID(), Start: time.Now(), Request: r, BodyLimit: s.cfg.MaxRequestBody}
	w.Header().Set("x-amzn-RequestId", rq.ID)
	rt, ok := s.routes[r.URL.Path]
	rq.API = rt.Name
	if !ok || r.Method != http.MethodPost {
		rq.API = "Unknown"
	}
	rq.Log = s.log.With("request_id", rq.ID, "api", rq.API)
	defer s.finish(rq)
	if rq.API == "Unknown" {
		w.Header().Set("Connection", "close")
		s.fail(w, rq, httpapi.Errorf(kvs.UnknownOperation, "No operation %s %s.", r.Method, r.URL.Path))
		return
	}
	// The body and, after a failure, what net/http drains of it before
	// the next request: a client that promises a body and sends none
	// holds the connection this long at most. PutMedia's body then sets
	// its own deadlines as it streams.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(s.cfg.ReadTimeout))
	if !rt.Streaming {
		if err := s.readBody(r); err != nil {
			w.Header().Set("Connection", "close")
			s.fail(w, rq, err)
			return
		}
		// The body is in: no read deadline is left to run out on the
		// connection while a long answer (a clip) is written.
		_ = rc.SetReadDeadline(time.Time{})
	}
	if err := s.authorize(w, r, rt.Streaming); err != nil {
		// The body may be unread: close rather than wait for it.
		w.Header().Set("Connection", "close")
		s.fail(w, rq, err)
		return
	}
	r = r.WithContext(httpapi.WithCall(r.Context(), rq))
	if err := rt.Serve(w, r); err != nil {
		if rt.Streaming {
			w.Header().Set("Connection", "close") // its body is unread
		}
		s.fail(w, rq, err)
	}
}

// readBody reads a JSON request's body whole, up to one byte past
// MaxRequestBody (decodeJSON reports the excess), under the read
// deadline, and puts it back for the signature check and the handler.
func (s *Server) readBody(r *http.Request) error {
	raw, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxRequestBody+1))
	if err != nil {
		return httpapi.InvalidArg("Could not read the request body.")
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	return nil
}

// fail answers with err as an API error. An internal failure's answer
// says only "internal failure" (its text can name server paths), so its
// cause goes to the log here, at error level, with the request's id: the
// one place an operator can find why.
func (s *Server) fail(w http.ResponseWriter, rq *httpapi.Call, err error) {
	e := httpapi.From(err)
	if httpapi.IsInternal(e) {
		rq.Log.Error("internal failure", "err", err)
	}
	rq.Code = e.Code
	httpapi.WriteError(w, e)
}

// finish records the request in the metrics and the log. A handler that
// aborts its response panics with http.ErrAbortHandler; the deferred call
// still runs and sees the code it set.
func (s *Server) finish(rq *httpapi.Call) {
	d := time.Since(rq.Start)
	s.m.Requests.WithLabelValues(rq.API).Inc()
	s.m.Latency.WithLabelValues(rq.API).Observe(d.Seconds())
	if rq.Code != "" {
		s.m.Errors.WithLabelValues(rq.API, rq.Code).Inc()
		rq.Log.Info("request failed", "code", rq.Code, "duration", d)
		return
	}
	rq.Log.Debug("request", "duration", d)
}

// baseURL is GetDataEndpoint's answer: the configured public URL, or this
// server as the client reached it. The producer SDKs send a Host without
// the port even on a non-default one (and sign it so), so a port-less Host
// gets the port of the listener that took the connection; that guess is
// logged once, since behind a proxy only Config.PublicURL is right.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if _, _, err := net.SplitHostPort(host); err != nil {
		if la, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
			if port := la.Port; !(scheme == "http" && port == 80 || scheme == "https" && port == 443) {
				host = net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port))
				s.portGuess.Do(func() {
					s.log.Warn("a request's Host has no port: data endpoints name the listener's port; set the public URL if clients reach the server through another",
						"host", r.Host, "endpoint", scheme+"://"+host)
				})
			}
		}
	}
	return scheme + "://" + host
}

// RunRetention deletes fragments past their stream's retention every
// RetentionInterval until ctx ends.
func (s *Server) RunRetention(ctx context.Context) {
	t := time.NewTicker(s.cfg.RetentionInterval)
	defer t.Stop()
	for {
		s.ExpireOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ExpireOnce runs one retention pass over every stream. A stream with
// retention 0 keeps no archive, so its fragments go at the first pass.
func (s *Server) ExpireOnce(ctx context.Context) {
	streams, err := s.cfg.Store.Streams(ctx)
	if err != nil {
		s.log.Error("retention: list streams", "err", err)
		return
	}
	now := s.cfg.Now()
	for _, st := range streams {
		cutoff := now.Add(-time.Duration(st.RetentionHours) * time.Hour).UnixMilli()
		n, err := s.cfg.Store.DeleteBefore(ctx, st.Name, cutoff)
		if err != nil {
			s.log.Error("retention", "stream", st.Name, "err", err)
		}
		if n > 0 {
			s.m.Retained.Add(float64(n))
			s.log.Info("retention: fragments deleted", "stream", st.Name, "count", n)
		}
	}
}

// isLoopback reports whether a remote address is on this machine.
func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
