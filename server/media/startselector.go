package media

import (
	"regexp"
	"sync"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// Start selector types of GetMedia (the media API model's StartSelectorType).
const (
	startNow               = "NOW"
	startEarliest          = "EARLIEST"
	startFragmentNumber    = "FRAGMENT_NUMBER"
	startServerTimestamp   = "SERVER_TIMESTAMP"
	startProducerTimestamp = "PRODUCER_TIMESTAMP"
	startContinuationToken = "CONTINUATION_TOKEN"
)

// tokenPattern is the model's ContinuationToken pattern; its length is 1
// to 128 (maxTokenLen). Compiled on first use, as the other patterns.
var tokenPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9_.\-]+$`) })

// maxTokenLen is the model's bound on ContinuationToken.
const maxTokenLen = 128

// StartSelector is GetMedia's StartSelector as the JSON carries it.
type StartSelector struct {
	StartSelectorType   string
	AfterFragmentNumber *string
	StartTimestamp      *kvs.Millis
	ContinuationToken   *string
}

// startPoint is where a GetMedia stream begins, once checked.
type startPoint struct {
	// kind is one of the start* constants.
	kind string
	// after is the fragment number the stream continues after:
	// AfterFragmentNumber, or the continuation token (which is the
	// number of the last fragment the consumer got).
	after string
	// at is StartTimestamp in ms, for the timestamp kinds.
	at int64
}

// parse checks the selector as the model says: each type with the one
// member it needs. Members a type does not use are ignored, as the model
// documents nothing for them.
func (sel *StartSelector) parse() (startPoint, error) {
	st := startPoint{kind: sel.StartSelectorType}
	switch sel.StartSelectorType {
	case startNow, startEarliest:
	case startFragmentNumber:
		if sel.AfterFragmentNumber == nil {
			return st, httpapi.InvalidArg("StartSelectorType FRAGMENT_NUMBER needs AfterFragmentNumber.")
		}
		if !kvs.ValidFragmentNumber(*sel.AfterFragmentNumber) {
			return st, httpapi.InvalidArg("AfterFragmentNumber must be 1 to 128 decimal digits.")
		}
		st.after = *sel.AfterFragmentNumber
	case startServerTimestamp, startProducerTimestamp:
		if sel.StartTimestamp == nil {
			return st, httpapi.InvalidArg("StartSelectorType %s needs StartTimestamp.", sel.StartSelectorType)
		}
		st.at = int64(*sel.StartTimestamp)
	case startContinuationToken:
		if sel.ContinuationToken == nil {
			return st, httpapi.InvalidArg("StartSelectorType CONTINUATION_TOKEN needs ContinuationToken.")
		}
		tok := *sel.ContinuationToken
		if len(tok) > maxTokenLen || !tokenPattern().MatchString(tok) {
			return st, httpapi.InvalidArg("ContinuationToken must be 1 to %d characters of [a-zA-Z0-9_.-].", maxTokenLen)
		}
		// Our tokens are fragment numbers, as KVS's are; anything else
		// was not issued by this service.
		if !kvs.ValidFragmentNumber(tok) {
			return st, httpapi.InvalidArg("ContinuationToken %q was not issued by this service.", tok)
		}
		st.after = tok
	case "":
		return st, httpapi.InvalidArg("StartSelector needs a StartSelectorType.")
	default:
		return st, httpapi.InvalidArg("StartSelectorType must be one of NOW, EARLIEST, FRAGMENT_NUMBER, SERVER_TIMESTAMP, PRODUCER_TIMESTAMP, CONTINUATION_TOKEN.")
	}
	return st, nil
}
