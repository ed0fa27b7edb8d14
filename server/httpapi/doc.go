// Package httpapi is the one shape of the server's KVS operations: an
// operation is a function of a context and a typed input, registered once
// with its name and path (Op, Stream, Raw), and this package decodes the
// JSON body, checks the input's fields (Validator), encodes the answer and
// writes every failure as the typed error the AWS SDKs decode (Error, From,
// WriteError). Every surface package of the server (control plane, ingest,
// media, archived media, sessions, images) builds its routes with it; the
// server's middleware (package server) finds the route, checks the
// signature and hands the request on with its Call in the context.
//
// The wire conventions are the REST-JSON ones of the KVS models (spec
// §1.9): the exception name in X-Amzn-ErrorType and in the body's __type,
// the message under "message", and an x-amzn-RequestId on every answer.
package httpapi
