package server_test

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/server"
)

// TestServeProtections: a server embedded with Serve, not only kvsclip
// serve, cuts a client that never finishes its headers, caps the
// connections of one address, and returns nil once a cancelled context
// has drained it.
func TestServeProtections(t *testing.T) {
	store, err := archive.Open(t.TempDir())
	require.NoError(t, err)
	srv, err := server.New(server.Config{
		Store:  store,
		Logger: slog.New(slog.DiscardHandler),
		Listen: server.ListenConfig{HeaderTimeout: 300 * time.Millisecond, MaxConnsPerClient: 2, ShutdownGrace: 5 * time.Second},
	})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	// closed reports whether the server closes c before the client's own
	// deadline, which only bounds a test that would otherwise hang.
	closed := func(c net.Conn) bool {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Second)))
		_, err := bufio.NewReader(c).ReadByte()
		return err != nil && !isTimeout(err)
	}

	t.Run("headers never finished", func(t *testing.T) {
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Write([]byte("POST /listStreams HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
		require.NoError(t, err)
		assert.True(t, closed(c), "the server keeps a connection whose headers never end")
	})

	t.Run("connections per client", func(t *testing.T) {
		var held []net.Conn
		for range 2 {
			c, err := net.Dial("tcp", ln.Addr().String())
			require.NoError(t, err)
			defer c.Close()
			held = append(held, c)
		}
		third, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		defer third.Close()
		assert.True(t, closed(third), "a third connection of one address is kept past MaxConnsPerClient 2")
	})

	stop()
	select {
	case err := <-served:
		assert.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
