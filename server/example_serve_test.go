package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/server"
)

// A Go service embeds kvsclip's server with Serve, which brings the
// protections kvsclip serve has (timeouts, the connection budget,
// retention, a drain on shutdown). Without credentials the server serves
// clients on this machine only.
func ExampleServer_Serve() {
	dir, err := os.MkdirTemp("", "kvsclip-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	store, err := archive.Open(dir)
	if err != nil {
		panic(err)
	}
	srv, err := server.New(server.Config{
		Store:  store,
		Logger: slog.New(slog.DiscardHandler),
		Listen: server.ListenConfig{MaxConnsPerClient: 16},
	})
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	for _, call := range []struct{ path, body string }{
		{"/createStream", `{"StreamName":"front-door","DataRetentionInHours":24}`},
		{"/listStreams", `{}`},
	} {
		resp, err := http.Post("http://"+ln.Addr().String()+call.path, "application/json", strings.NewReader(call.body))
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(call.path, resp.StatusCode, strings.Contains(string(body), `"StreamName":"front-door"`) || strings.Contains(string(body), `"StreamARN"`))
	}

	stop() // drains: fragments in flight are stored, answers finish
	fmt.Println("stopped:", <-served)
	// Output:
	// /createStream 200 true
	// /listStreams 200 true
	// stopped: <nil>
}
