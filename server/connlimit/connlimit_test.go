package connlimit

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limitedServer serves h on a loopback listener under lim.
func limitedServer(t *testing.T, lim ConnLimits, h http.Handler) (string, *LimitedListener) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := LimitListener(ln, lim)
	hs := &http.Server{Handler: l.Handler(h), ConnContext: l.ConnContext, ReadHeaderTimeout: time.Minute}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String(), l
}

// pipeListener hands out in-memory connections (net.Pipe) that claim the
// remote address the test dials from: LimitedListener counts by address,
// and a synctest bubble can hold no real socket.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }

// dial connects from the loopback address from and returns once the
// listener has taken the connection in (admitted or closed it). A
// millisecond of the bubble's clock then passes, so that "the oldest
// idle connection" is always one.
func (l *pipeListener) dial(t *testing.T, from string) net.Conn {
	server, client := net.Pipe()
	l.conns <- fromConn{Conn: server, remote: &net.TCPAddr{IP: net.ParseIP(from), Port: 40000}}
	synctest.Wait()
	time.Sleep(time.Millisecond)
	t.Cleanup(func() { client.Close() })
	return client
}

// fromConn is a pipe end with a remote address.
type fromConn struct {
	net.Conn
	remote net.Addr
}

func (c fromConn) RemoteAddr() net.Addr { return c.remote }

// closedByServer reports whether the server closed c, in a bubble: any
// close has happened by the time every goroutine waits, so the read
// deadline (300 ms of the bubble's clock) passes only on an open one.
func closedByServer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var b [1]byte
	_, err := c.Read(b[:])
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return err != nil
}

// TestLimitedListener: one address is capped; a full budget sheds the
// idle connection of the address holding most, never one whose request is
// being served; with nothing idle, the newcomer is turned away. It runs
// in a synctest bubble over in-memory connections: synctest.Wait is the
// moment the server has done all it will with what it was sent.
func TestLimitedListener(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hold := make(chan struct{})
		ln := newPipeListener()
		l := LimitListener(ln, ConnLimits{MaxConns: 4, MaxConnsPerClient: 3})
		hs := &http.Server{Handler: l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-hold // a request in progress: a PutMedia, a clip
		})), ConnContext: l.ConnContext, ReadHeaderTimeout: time.Minute}
		go hs.Serve(l)
		defer hs.Close()
		defer close(hold)
		busy := func(from string) net.Conn {
			c := ln.dial(t, from)
			_, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			require.NoError(t, err)
			synctest.Wait() // its handler runs
			return c
		}

		b := busy("127.0.0.1")
		flood := []net.Conn{ln.dial(t, "127.0.0.2"), ln.dial(t, "127.0.0.2"), ln.dial(t, "127.0.0.2")}
		over := ln.dial(t, "127.0.0.2")
		assert.EqualValues(t, 1, l.Refused())
		assert.True(t, closedByServer(over), "a fourth connection of one address is refused")

		// The budget (4) is full; a newcomer sheds the oldest idle
		// connection of the address holding most, not the busy one.
		b2 := busy("127.0.0.4")
		assert.EqualValues(t, 1, l.Refused(), "the newcomer is admitted")
		assert.False(t, closedByServer(b), "a connection being served is never shed")
		assert.False(t, closedByServer(b2), "the newcomer is in")
		assert.True(t, closedByServer(flood[0]), "the oldest idle one of the busiest address went")

		// Fill with busy connections: nothing is idle, the newcomer goes.
		for _, c := range flood[1:] {
			_, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			require.NoError(t, err)
		}
		synctest.Wait() // their handlers run
		late := ln.dial(t, "127.0.0.5")
		assert.EqualValues(t, 2, l.Refused())
		assert.True(t, closedByServer(late), "no idle connection to shed")
		for _, c := range append([]net.Conn{b, b2}, flood[1:]...) {
			assert.False(t, closedByServer(c), "busy connections stay")
		}
	})
}

// TestVectoredResponse: which responses reach their socket as vectors
// (limitedConn.ReadFrom): plain HTTP/1 on a LimitedListener, as `kvsclip
// serve` runs; not a server without one, nor TLS on top of one.
func TestVectoredResponse(t *testing.T) {
	probe := func(got chan<- bool) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- Vectored(w, r) })
	}
	lim := ConnLimits{MaxConns: 16, MaxConnsPerClient: 16}

	got := make(chan bool, 1)
	addr, _ := limitedServer(t, lim, probe(got))
	resp, err := http.Get("http://" + addr + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.True(t, <-got, "LimitedListener, plain HTTP/1")

	plain := httptest.NewServer(probe(got))
	t.Cleanup(plain.Close)
	resp, err = http.Get(plain.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.False(t, <-got, "no LimitedListener")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := LimitListener(ln, lim)
	ts := httptest.NewUnstartedServer(l.Handler(probe(got)))
	ts.Listener = l
	ts.Config.ConnContext = l.ConnContext
	ts.StartTLS()
	t.Cleanup(ts.Close)
	resp, err = ts.Client().Get(ts.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.False(t, <-got, "TLS on a LimitedListener")
}

// TestLimitedConnReadFrom: a *net.Buffers given to a limitedConn's
// ReadFrom arrives whole and in order, as does any other reader.
func TestLimitedConnReadFrom(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	l := LimitListener(ln, ConnLimits{MaxConns: 4, MaxConnsPerClient: 4})
	client, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer client.Close()
	c, err := l.Accept()
	require.NoError(t, err)
	rf, ok := c.(io.ReaderFrom)
	require.True(t, ok)

	var want []byte
	bufs := net.Buffers{}
	for k := range 40 {
		p := bytes.Repeat([]byte{byte(k)}, 1+k*997)
		bufs, want = append(bufs, p), append(want, p...)
	}
	tail := bytes.Repeat([]byte{'z'}, 12345)
	want = append(want, tail...)
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(client)
		got <- b
	}()
	n, err := rf.ReadFrom(&bufs)
	require.NoError(t, err)
	n2, err := rf.ReadFrom(bytes.NewReader(tail))
	require.NoError(t, err)
	assert.Equal(t, int64(len(want)), n+n2)
	require.NoError(t, c.Close())
	select {
	case b := <-got:
		assert.True(t, bytes.Equal(want, b))
	case <-time.After(10 * time.Second):
		t.Fatal("nothing arrived")
	}
}
