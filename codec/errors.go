package codec

import "github.com/kvsclip/kvsclip/kvs"

// The helpers below only build errors; every one leaves Fragment, Track and
// Offset empty because the caller, not this package, knows where the bytes
// came from.

func invalidCPD(format string, args ...any) *kvs.Error {
	return kvs.Errorf(kvs.InvalidCodecPrivateData, format, args...)
}

func invalidFrame(format string, args ...any) *kvs.Error {
	return kvs.Errorf(kvs.InvalidMediaFrame, format, args...)
}
