package server

import (
	"io"
	"net"
	"net/http"
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
