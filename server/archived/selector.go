package archived

import (
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// Selector is the JSON of ListFragments' FragmentSelector and GetClip's
// ClipFragmentSelector: a timestamp kind and a range.
type Selector struct {
	FragmentSelectorType string
	TimestampRange       *TimestampRange
}

// TimestampRange is a Selector's range, both ends required.
type TimestampRange struct {
	StartTimestamp, EndTimestamp *kvs.Millis
}

// parse checks the selector and returns its kind and range in ms.
func (sel *Selector) parse() (kvs.Selector, int64, int64, error) {
	kind := kvs.Selector(sel.FragmentSelectorType)
	if !kind.Valid() {
		return "", 0, 0, httpapi.InvalidArg("FragmentSelectorType must be PRODUCER_TIMESTAMP or SERVER_TIMESTAMP.")
	}
	tr := sel.TimestampRange
	if tr == nil || tr.StartTimestamp == nil || tr.EndTimestamp == nil {
		return "", 0, 0, httpapi.InvalidArg("TimestampRange needs StartTimestamp and EndTimestamp.")
	}
	return kind, int64(*tr.StartTimestamp), int64(*tr.EndTimestamp), nil
}
