// Package connlimit bounds the connections a server holds: a listener
// that caps each client address and sheds idle connections when its budget
// is full, so that a flood of connections that send nothing cannot take the
// descriptors producers and readers need. It knows which connections are
// busy through the http.Server's ConnContext and a handler wrapper, and it
// tells a handler whether its response can reach the socket as vectors
// (Vectored). It bounds connections only: the time a request's body or
// answer may take is package stall's, and the headers' is net/http's.
package connlimit

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// ConnLimits bound the connections a listener holds, so that a flood of
// connections that send nothing, or too little, cannot take the
// descriptors producers and readers need.
type ConnLimits struct {
	// MaxConns is the connection budget: at most this many are open.
	// Keep it below the process's descriptor limit, which files and
	// outgoing connections share. When it is reached, a new connection
	// sheds the oldest one that is idle (between requests, or connected
	// without a request yet); with none idle, the new one is closed.
	MaxConns int
	// MaxConnsPerClient caps the connections of one client address
	// beyond which a new one is closed at once.
	MaxConnsPerClient int
}

// LimitedListener enforces ConnLimits on a listener. A connection is busy
// while a handler serves one of its requests, and idle otherwise:
// connected with no request yet (or half a request head), or between
// requests. Only idle connections are shed. Give its ConnContext and
// Handler to the http.Server, which is how it knows which are busy.
type LimitedListener struct {
	net.Listener
	lim ConnLimits

	mu        sync.Mutex
	total     int
	perAddr   map[string]int
	sheddable map[*limitedConn]time.Time // idle connections, and since when
	refused   int64
}

// LimitListener wraps ln with limits; a limit of 0 is no limit.
func LimitListener(ln net.Listener, lim ConnLimits) *LimitedListener {
	return &LimitedListener{Listener: ln, lim: lim, perAddr: map[string]int{}, sheddable: map[*limitedConn]time.Time{}}
}

// Accept returns the next connection within the limits.
func (l *LimitedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		lc, shed := l.admit(c)
		if shed != nil {
			shed.Conn.Close() // already uncounted
		}
		if lc != nil {
			return lc, nil
		}
		c.Close()
	}
}

// admit counts c in, and returns it with the idle connection it displaces
// when the budget is full (to be closed by the caller, uncounted), or
// nil when c must be closed.
func (l *LimitedListener) admit(c net.Conn) (lc, shed *limitedConn) {
	addr := remoteHost(c)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lim.MaxConnsPerClient > 0 && l.perAddr[addr] >= l.lim.MaxConnsPerClient {
		l.refused++
		return nil, nil
	}
	if l.lim.MaxConns > 0 && l.total >= l.lim.MaxConns {
		victim := l.victim()
		if victim == nil {
			l.refused++
			return nil, nil
		}
		l.uncount(victim)
		shed = victim
	}
	l.total++
	l.perAddr[addr]++
	lc = &limitedConn{Conn: c, l: l, addr: addr, counted: true}
	// A connection is idle until a request of it reaches a handler.
	l.sheddable[lc] = time.Now()
	return lc, shed
}

// victim is the idle connection to shed: of the address holding the most
// connections (a flood's, not a producer's), the one idle longest; nil
// if none is idle.
func (l *LimitedListener) victim() *limitedConn {
	var victim *limitedConn
	var since time.Time
	for c, t := range l.sheddable {
		if victim == nil || l.perAddr[c.addr] > l.perAddr[victim.addr] ||
			l.perAddr[c.addr] == l.perAddr[victim.addr] && t.Before(since) {
			victim, since = c, t
		}
	}
	return victim
}

// uncount takes c out of the counts; l.mu is held.
func (l *LimitedListener) uncount(c *limitedConn) {
	delete(l.sheddable, c)
	if !c.counted {
		return
	}
	c.counted = false
	l.total--
	if l.perAddr[c.addr]--; l.perAddr[c.addr] <= 0 {
		delete(l.perAddr, c.addr)
	}
}

// connKey is the context key of a request's limitedConn.
type connKey struct{}

// ConnContext is for http.Server.ConnContext: it lets Handler find the
// connection of each request.
func (l *LimitedListener) ConnContext(ctx context.Context, c net.Conn) context.Context {
	for {
		if lc, ok := c.(*limitedConn); ok {
			return context.WithValue(ctx, connKey{}, lc)
		}
		// A TLS listener on top of this one hands out its own conns.
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return ctx
		}
		c = u.NetConn()
	}
}

// Handler marks a connection busy while h serves a request of it.
func (l *LimitedListener) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lc, _ := r.Context().Value(connKey{}).(*limitedConn)
		if lc == nil {
			h.ServeHTTP(w, r)
			return
		}
		l.mu.Lock()
		delete(l.sheddable, lc)
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			if lc.counted {
				l.sheddable[lc] = time.Now()
			}
			l.mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	})
}

// Refused is how many connections were closed at accept.
func (l *LimitedListener) Refused() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refused
}

// limitedConn is a counted connection; closing it frees its place.
type limitedConn struct {
	net.Conn
	l       *LimitedListener
	addr    string
	once    sync.Once
	counted bool // under l.mu: false once shed
}

func (c *limitedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		defer c.l.mu.Unlock()
		c.l.uncount(c)
	})
	return c.Conn.Close()
}

// ReadFrom is where net/http hands a response body's ReadFrom (it passes
// a body writer's ReadFrom to its connection once the headers are out): a
// *net.Buffers, a clip's flush (stall.Writer.WriteBuffers), goes to the
// socket in one writev through the connection underneath; anything else
// takes the connection's own path.
func (c *limitedConn) ReadFrom(r io.Reader) (int64, error) {
	if b, ok := r.(*net.Buffers); ok {
		return b.WriteTo(c.Conn)
	}
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// Vectored reports whether the body of w, the response to r,
// reaches its socket as vectors through limitedConn.ReadFrom: an HTTP/1
// request without TLS, on a TCP or Unix connection of a LimitedListener
// (as `kvsclip serve` runs). Elsewhere net/http copies what a ReadFrom
// gives it, or the connection writes one piece at a time.
func Vectored(w http.ResponseWriter, r *http.Request) bool {
	lc, _ := r.Context().Value(connKey{}).(*limitedConn)
	if lc == nil || r.TLS != nil || r.ProtoMajor != 1 {
		return false
	}
	if _, ok := w.(io.ReaderFrom); !ok {
		return false
	}
	switch lc.Conn.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// remoteHost is a connection's client address without the port.
func remoteHost(c net.Conn) string {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}

// connReserve is what the connection budget leaves of the descriptor
// limit for everything else: the archive's files (a clip reads a few
// fragments at once, ingest writes one per session), S3's connection pool,
// the listener and the log.
func connReserve(limit int) int { return max(64, limit/8) }

// DefaultMaxConns is the connection budget for this process: its
// descriptor limit less what files and outgoing connections need; 0 (no
// budget) when the limit is unknown.
func DefaultMaxConns() int {
	limit := descriptorLimit()
	if limit == 0 {
		return 0
	}
	return max(limit-connReserve(limit), 16)
}

// DefaultMaxConnsPerClient lets one address hold many SDK clients (a
// gateway of cameras behind one NAT, a browser's six) while one flooding
// address cannot take the budget.
const DefaultMaxConnsPerClient = 128
