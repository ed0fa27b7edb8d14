// Package kvs is the vocabulary kvsclip shares with Kinesis Video Streams:
// its error kinds, and an error type that carries one together with the
// place in the input where it was found (every package of the engine
// returns errors that KindOf classifies, so a CLI prints the kind and the
// server answers the HTTP status and exception name the AWS SDKs expect);
// its timestamps (milliseconds since the Unix epoch, written as seconds
// with three decimals), the two timestamps a range can select on, fragment
// numbers, and the words of its answers that clients match on.
//
// Every package that speaks of these things uses these types, so a
// timestamp typed by a person, carried in a manifest or answered by the
// service reads and prints the same way everywhere.
//
// # Public on purpose
//
// Some exported names are used by no code of this module outside the
// package and are public for callers all the same (make api-check holds
// the list, api/public-on-purpose.txt): ErrTimestamp, which callers test
// with errors.Is; Kinded, which error types of other packages implement;
// the Valid methods of the session enumerations, vocabulary like
// Selector.Valid; and MillisOf, the counterpart of Millis.Time.
package kvs
