package connlimit

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
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

// dialFrom connects from a loopback address.
func dialFrom(t *testing.T, addr, from string) net.Conn {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer reports whether the server closed c (within 300 ms).
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
// being served; with nothing idle, the newcomer is turned away.
func TestLimitedListener(t *testing.T) {
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	addr, l := limitedServer(t, ConnLimits{MaxConns: 4, MaxConnsPerClient: 3}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-hold // a request in progress: a PutMedia, a clip
	}))
	busy := func(from string) net.Conn {
		c := dialFrom(t, addr, from)
		_, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		return c
	}

	b := busy("127.0.0.1")
	flood := []net.Conn{dialFrom(t, addr, "127.0.0.2"), dialFrom(t, addr, "127.0.0.2"), dialFrom(t, addr, "127.0.0.2")}
	over := dialFrom(t, addr, "127.0.0.2")
	assert.True(t, closedByServer(over), "a fourth connection of one address is refused")

	// The budget (4) is full; a newcomer sheds the oldest idle connection
	// of the address holding most, not the busy one.
	b2 := busy("127.0.0.4")
	require.Eventually(t, func() bool { return l.Refused() >= 1 }, time.Second, 10*time.Millisecond)
	assert.False(t, closedByServer(b), "a connection being served is never shed")
	assert.False(t, closedByServer(b2), "the newcomer is in")
	assert.True(t, closedByServer(flood[0]), "the oldest idle one of the busiest address went")

	// Fill with busy connections: nothing is idle, the newcomer goes.
	for _, c := range flood[1:] {
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	time.Sleep(100 * time.Millisecond)
	late := dialFrom(t, addr, "127.0.0.5")
	assert.True(t, closedByServer(late), "no idle connection to shed")
	for _, c := range append([]net.Conn{b, b2}, flood[1:]...) {
		assert.False(t, closedByServer(c), "busy connections stay")
	}
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
