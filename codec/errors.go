package codec

import "github.com/kvsclip/kvsclip/kvserr"

// The helpers below only build errors; every one leaves Fragment, Track and
// Offset empty because the caller, not this package, knows where the bytes
// came from.

func invalidCPD(format string, args ...any) *kvserr.Error {
	return kvserr.Errorf(kvserr.InvalidCodecPrivateData, format, args...)
}

func invalidFrame(format string, args ...any) *kvserr.Error {
	return kvserr.Errorf(kvserr.InvalidMediaFrame, format, args...)
}
