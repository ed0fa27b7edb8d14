// Package server speaks the Kinesis Video Streams HTTP API over an
// archive.Store, so that the stock AWS SDKs and producers can be pointed at
// it. This package is the front door and the wiring: it holds no KVS
// operation of its own. Each API surface is a package under it, and this
// package builds them, puts their routes in one table, and runs every
// request through the same middleware, so that a request id, the signature
// check, the limits, the metrics and the typed error answer cannot differ
// from one operation to the next.
//
// # What this package owns
//
//   - Config (config.go) and New (server.go): the settings of every
//     surface in one struct with their defaults, and the construction of
//     the surfaces, each from a small Deps struct (store, clock, logger,
//     metrics, stream resolver, read budget) rather than from *Server, so
//     that a surface can be built and tested without a server.
//   - The route table (New, addRoutes in routes.go): every KVS operation by
//     its path, one Routes call per surface; two routes for one path panic
//     when the Server is made rather than shadow each other.
//   - The middleware (serveAPI in server.go): the x-amzn-RequestId
//     (wire.go), the JSON body read whole under ReadTimeout and
//     MaxRequestBody, the signature check (auth.go, with package sigv4), the request's httpapi.Call in its context, and the
//     accounting: metrics and a log line per request (finish), and every
//     failure written as the typed error the SDKs decode (fail; an internal
//     failure's cause goes to the log, not to the client). The session
//     resources and the clip URLs get the same accounting (sessionres.go,
//     accounted in routes.go).
//   - Local mode (localmode.go): without credentials, loopback clients
//     only, a loopback Host, no cross-site requests but from the origins
//     Config.AllowOrigins names.
//   - CORS (cors.go, with httpapi.CORS): browsers are clients too. The API
//     routes, the clip URLs and the session resources answer preflights
//     from their headers alone (no signature check, no store read) and
//     tell a page of another origin that it may read their answers: any
//     origin on a server with credentials, whose requests carry their
//     own, unless AllowOrigins names some; only those named in local mode.
//   - Serve (serve.go): the listener with its connection budget, header
//     and idle timeouts, TLS, the retention loop, and the drain on
//     shutdown (Drain lets PutMedia sessions finish the fragment they are
//     reading).
//   - The address that GetDataEndpoint and the session URLs name
//     (baseURL), retention (RunRetention, ExpireOnce), GET /metrics, and
//     the web page (web.go, web/).
//
// # The packages under it
//
// The API surfaces, one per group of operations:
//
//   - control: the kinesisvideo API: CreateStream, DescribeStream,
//     ListStreams, UpdateStream, UpdateDataRetention, DeleteStream, the
//     tags by name and by ARN, the image-generation, notification and
//     storage configurations, GetDataEndpoint, and the answers for edge
//     configurations, mapped resources and signaling channels.
//   - ingest: PutMedia: the producers' upload, fragment numbering, one
//     producer per stream, the acks.
//   - media: GetMedia: a stream from a start selector on, then following
//     new fragments.
//   - archived: ListFragments, GetMediaForFragmentList, GetClip, and
//     GetClip as a plain URL (GET /clips/{stream}.mp4).
//   - sessions: GetHLSStreamingSessionURL, GetDASHStreamingSessionURL and
//     the resources a player fetches under /hls/v1/ and /dash/v1/.
//   - images: GetImages, through the ffmpeg program.
//
// What the surfaces share (a surface imports these, never another
// surface, and no package imports this one; server/layout_test.go holds
// every package under server/ to that, so that a surface can be read, and
// changed, without the others):
//
//   - httpapi: the one shape of an operation (Op, Stream, Raw), the
//     request's Call, and the typed errors and their wire format.
//   - sigv4: checking AWS Signature Version 4 in each way a request can be
//     signed, and signing what the SDK's signer does not.
//   - connlimit: the listener's connection budget and per-client cap.
//   - stall: the rule for slow peers, on request bodies and on answers.
//   - ratelimit: the per-stream token buckets of KVS's call limits.
//   - storeread: reads of stored fragments within a shared memory budget,
//     and the cache of sample indexes.
//   - streamref: a request's StreamName or StreamARN to the stored stream.
//   - answer: MP4 answers from stored payloads that stay typed errors as
//     long as no byte has gone out.
//   - feed: the in-process signal of a new fragment, for the GetMedia tails
//     on the server that stored it.
//   - metrics: the Prometheus registry and the metrics every surface shares.
//   - playback, playback/ts: session tokens, playlists and manifests, and
//     MPEG-TS segments; no HTTP and no storage.
//   - putack: the vocabulary of PutMedia's acks, which ingest writes and
//     putclient reads.
//   - internal/lru: the size-bounded cache behind the index, plan and
//     image caches.
//
// And one client, which runs in other programs: putclient, the PutMedia
// client that kvsclip put and the tests use. It imports only httpapi,
// putack and sigv4, so that a producer does not link the serving side.
//
// # How a request flows
//
// A connection is accepted by connlimit's listener (Serve), which refuses
// a client over its cap and sheds idle connections when the budget is
// full; net/http bounds the headers. Server.ServeHTTP refuses, in local
// mode, what a web page rather than a client on this machine could send,
// then hands the request to the mux: GET /metrics, GET /clips/{file}
// (package archived, which asks the server to check the presigned URL or
// the signature: authorizeURL), GET /hls/v1/ and
// /dash/v1/ (package sessions; the session token in the URL is the
// credential, as with KVS), GET / and /web/ (the page), and everything
// else to serveAPI. serveAPI gives the request an id, finds its route by
// path (anything but a POST to a registered path is UnknownOperation), reads
// a JSON body whole (PutMedia's streams instead), and calls authorize: without credentials the client must
// be on loopback; with them the signature must verify, and a streaming
// body (PutMedia) is replaced by one checked as it is read. The route then
// decodes and validates the input (package httpapi) and calls the
// surface's handler, a func(ctx, *In) (*Out, error) for most operations;
// an error it returns becomes the typed answer, and the request is counted
// whatever happened.
//
// # How to add a KVS operation
//
// A kinesisvideo operation, for example, is:
//
//   - a handler file in server/control, say fooconfig.go, with the
//     operation's input and output as the service model names their
//     members, the input's field rules as a Validate method
//     (httpapi.Validator), and errors made with httpapi.Errorf from a kvs
//     kind, which holds the one table of exception names and statuses;
//   - its test in the same package (server/control/control_test.go serves
//     a route as the middleware would, without a server), and one through
//     the Go SDK in this package when the SDK has the operation;
//   - one line in that package's Routes, in server/control/routes.go:
//     httpapi.Op("FooConfig", "/fooConfig", p.fooConfig).
//
// An operation of another API goes in its surface's package and that
// package's Routes (ingest.go, media.go, archived.go, sessions.go,
// getimages.go). New needs no change unless the operation is a new
// surface: then it is a package with a Deps struct and a Routes, one
// addRoutes line in New, and its name among the surfaces in
// server/layout_test.go. To have every client of the conformance run call
// it, give it an input in compat/plan.json.
//
// # Hostile and careless clients
//
// They are bounded, each bound by the package that owns the phase, and
// this package sets them all from Config. A signature is checked as AWS
// checks it (Host, X-Amz-Date and PutMedia's stream header signed, the
// server's region, the session token, presigned URLs) before any body
// byte is used; a PutMedia body signed with its hash is verified before it
// is parsed, an aws-chunked one chunk by chunk (package sigv4). Every
// phase has a limit: a request body's ReadTimeout, PutMedia's progress
// rule (bytes per window, not a deadline a trickle can renew) and the
// write stall timeout of clip and media answers (package stall), a count
// of PutMedia sessions and one producer per stream, the newest winning
// (package ingest), a count of GetClips (package archived), and, in front,
// the connection budget of package connlimit.
// Without credentials the server is local: loopback clients, a loopback
// Host, no cross-site requests.
//
// # The web page
//
// The web page at / (web/, embedded) lists the streams, plays and
// downloads clips, and plays HLS and DASH sessions: a live view of a
// stream and the playback of a chosen range, asked for with
// Get{HLS,DASH}StreamingSessionURL as any client asks. Browsers offer
// Media Source Extensions rather than these protocols (Safari's HLS
// aside), so the page loads hls.js and dash.js. The libraries are
// fetched, not committed: make deps (and make run) unpack pinned
// versions, checked against their packages' SHA-256, from the npm
// registry into Config.PlayerDir (kvsclip serve --player-dir, by default
// the user's cache directory), and the server serves those files alone
// under /web/player/. Vendoring them would have put 1.3 MB of minified
// third-party code, and its updates, into the repository's history for a
// feature the API does not need; a server without them still serves
// everything else, and its page says what is missing, playing HLS
// natively where the browser can.
package server
