package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/archived"
	"github.com/kvsclip/kvsclip/server/connlimit"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/images"
	"github.com/kvsclip/kvsclip/server/ingest"
)

// Environment variables holding the one key pair the server accepts, and
// the session token that must come with it when the pair is temporary.
const (
	envAccessKey    = "KVSCLIP_ACCESS_KEY_ID"
	envSecretKey    = "KVSCLIP_SECRET_ACCESS_KEY"
	envSessionToken = "KVSCLIP_SESSION_TOKEN"
)

// serveCmd runs `kvsclip serve` until SIGINT or SIGTERM.
func serveCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	data := fs.String("data", "./data", "archive directory (the embedded archive)")
	// An S3 archive holds all state, so several servers can share it.
	s3url := fs.String("archive", "", "s3://BUCKET/PREFIX: keep the archive in an S3-compatible bucket (created when missing) instead of --data; configured by AWS_ENDPOINT_URL_S3, AWS_REGION and the AWS credential chain")
	public := fs.String("public-url", "", "URL GetDataEndpoint returns (default: this server as the client reached it)")
	region := fs.String("region", server.DefaultRegion, "region written into stream ARNs; signatures must be scoped to it")
	maxClips := fs.Int("max-getclips", archived.DefaultMaxConcurrentGetClips, "GetClip requests served at once; more get ClientLimitExceeded")
	planCache := fs.Int64("plan-cache", archived.DefaultPlanCacheBytes, "bytes of memory for the plans of recent clips, reused when a clip is asked for again (-1: none)")
	tps := fs.Float64("getclip-tps", 0, "GetClip calls per second per stream (KVS: 1); 0 = unlimited")
	retention := fs.Duration("retention-interval", server.DefaultRetentionInterval, "how often expired fragments are deleted")
	verbose := fs.Bool("v", false, "log every request")
	// The producer SDKs' samples insist on HTTPS for the control plane:
	// serving TLS here spares a terminator in front.
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this PEM certificate (chain) file; needs --tls-key")
	tlsKey := fs.String("tls-key", "", "the PEM private key of --tls-cert")
	playerDir := fs.String("player-dir", server.DefaultPlayerDir(), "directory holding hls.min.js, the HLS player the web page loads (make deps fetches it there)")
	clipFormat := fs.String("clip-format", "mp4", "GetClip's answer: `mp4` (progressive, as KVS documents) or fmp4 (fragmented, with mehd and sidx)")
	// Limits in time and count: a client that stops sending or reading
	// loses its slot; the defaults are in the range load balancers and
	// KVS use.
	readTimeout := fs.Duration("read-timeout", server.DefaultReadTimeout, "longest a request body (other than PutMedia's) may take to arrive")
	headerTimeout := fs.Duration("header-timeout", server.DefaultHeaderTimeout, "longest a request's headers may take to arrive")
	idleTimeout := fs.Duration("idle-timeout", server.DefaultIdleTimeout, "how long an idle keep-alive connection is kept")
	putWindow := fs.Duration("putmedia-window", ingest.DefaultPutMediaIdleTimeout, "PutMedia must bring --putmedia-min-bytes in every window this long (KVS: 30s idle)")
	putMinBytes := fs.Int64("putmedia-min-bytes", ingest.DefaultPutMediaMinBytes, "bytes a PutMedia must bring per --putmedia-window")
	maxPuts := fs.Int("max-putmedia", ingest.DefaultMaxPutMediaSessions, "PutMedia sessions at once; more get ClientLimitExceeded")
	maxConns := fs.Int("max-conns", connlimit.DefaultMaxConns(), "connections held at once (default: the descriptor limit less a reserve); past it idle ones are shed first")
	maxConnsPerClient := fs.Int("max-conns-per-client", connlimit.DefaultMaxConnsPerClient, "connections one client address may hold")
	ffmpeg := fs.String("ffmpeg", "ffmpeg", "the ffmpeg program GetImages decodes key frames with (a path, or a name on PATH); without it GetImages answers InvalidArgumentException")
	var allowOrigins originList
	fs.Var(&allowOrigins, "allow-origin", "`ORIGIN` (scheme://host[:port]) of a web page that may read this server's answers, besides its own page; repeat or separate with commas. Without credentials only these origins may call; with credentials every origin may unless some are named")
	writeStall := fs.Duration("write-stall", server.DefaultWriteStallTimeout, "longest a client may take no byte of a clip or media response before it is cut off")
	// One line for a bad flag, as the other commands answer, not the
	// flag package's whole list (serve --help has it).
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// serveHelp asks for the flags' list this way.
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintf(stderr, "kvsclip serve: %v\nsee kvsclip serve --help\n", err)
		return 2
	}
	if *clipFormat != "mp4" && *clipFormat != "fmp4" {
		fmt.Fprintf(stderr, "kvsclip serve: --clip-format %q: want mp4 or fmp4\n", *clipFormat)
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(stderr, "kvsclip serve: no arguments expected")
		return 2
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		fmt.Fprintln(stderr, "kvsclip serve: --tls-cert and --tls-key go together")
		return 2
	}
	var tlsConfig *tls.Config
	if *tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
		if err != nil {
			fmt.Fprintf(stderr, "kvsclip serve: %v\n", err)
			return 1
		}
		// HTTP/1.1 only, as KVS's PutMedia speaks it: one request a
		// connection, acks streamed while the body still arrives.
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	var creds *server.Credentials
	id, secret := os.Getenv(envAccessKey), os.Getenv(envSecretKey)
	if id != "" || secret != "" {
		if id == "" || secret == "" {
			fmt.Fprintf(stderr, "kvsclip serve: set both %s and %s\n", envAccessKey, envSecretKey)
			return 2
		}
		creds = &server.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv(envSessionToken)}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "kvsclip serve: %v\n", err)
		return 1
	}
	if creds == nil {
		if host := ln.Addr().(*net.TCPAddr).IP; !host.IsLoopback() {
			ln.Close()
			fmt.Fprintf(stderr, "kvsclip serve: without %s and %s the server only listens on loopback, not %s\n", envAccessKey, envSecretKey, *addr)
			return 2
		}
		log.Warn("no credentials configured: requests are not authenticated; local mode serves loopback clients only, for a loopback Host (localhost, 127.0.0.1, [::1]), and cross-site requests from web pages only of the --allow-origin origins",
			"hint", "set "+envAccessKey+" and "+envSecretKey+" to require SigV4", "allow_origins", []string(allowOrigins))
	}
	var store archive.Store
	where := *data
	if *s3url != "" {
		where = *s3url
		store, err = archive.OpenS3URL(context.Background(), *s3url, &archive.S3Options{Logger: log})
	} else {
		store, err = archive.OpenFS(*data, &archive.FSOptions{Logger: log})
	}
	if err != nil {
		fmt.Fprintf(stderr, "kvsclip serve: %v\n", err)
		return 1
	}
	srv, err := server.New(server.Config{
		Store: store, PublicURL: *public, Region: *region, Credentials: creds, AllowOrigins: allowOrigins,
		Archived: archived.Config{MaxConcurrentGetClips: *maxClips, PlanCacheBytes: *planCache, GetClipTPSPerStream: *tps,
			FragmentedClips: *clipFormat == "fmp4"},
		RetentionInterval: *retention, Logger: log,
		PlayerDir:   *playerDir,
		ReadTimeout: *readTimeout, WriteStallTimeout: *writeStall, Images: images.Config{FFmpeg: *ffmpeg},
		Ingest: ingest.Config{PutMediaIdleTimeout: *putWindow, PutMediaMinBytes: *putMinBytes, MaxPutMediaSessions: *maxPuts},
		Listen: server.ListenConfig{
			HeaderTimeout: *headerTimeout, IdleTimeout: *idleTimeout, TLS: tlsConfig,
			MaxConns: *maxConns, MaxConnsPerClient: *maxConnsPerClient,
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "kvsclip serve: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "kvsclip serve: listening on %s://%s, archive %s\n", scheme, ln.Addr(), where)
	log.Info("serving", "addr", ln.Addr().String(), "scheme", scheme, "archive", where, "auth", creds != nil,
		"max_conns", *maxConns, "max_conns_per_client", *maxConnsPerClient)
	if err := srv.Serve(ctx, ln); err != nil {
		fmt.Fprintf(stderr, "kvsclip serve: %v\n", err)
		return 1
	}
	return 0
}

// originList is --allow-origin: repeated, or several separated by commas.
// Each is checked as it is parsed, so a typo is a usage error.
type originList []string

func (l *originList) String() string { return strings.Join(*l, ",") }

func (l *originList) Set(v string) error {
	for o := range strings.SplitSeq(v, ",") {
		co, err := httpapi.CanonicalOrigin(o)
		if err != nil {
			return err
		}
		*l = append(*l, co)
	}
	return nil
}
