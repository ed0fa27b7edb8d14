package media

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// FuzzStartSelector: any GetMedia body either decodes to a start the
// cursor can use or is refused with InvalidArgument; it never panics, and
// a start it accepts names a valid fragment number wherever it needs one.
func FuzzStartSelector(f *testing.F) {
	for _, seed := range []string{
		`{"StreamName":"cam","StartSelector":{"StartSelectorType":"NOW"}}`,
		`{"StartSelector":{"StartSelectorType":"EARLIEST"}}`,
		`{"StartSelector":{"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":"91343852333181432392682062607743920146159169392"}}`,
		`{"StartSelector":{"StartSelectorType":"SERVER_TIMESTAMP","StartTimestamp":1709251200.123}}`,
		`{"StartSelector":{"StartSelectorType":"PRODUCER_TIMESTAMP","StartTimestamp":-1e300}}`,
		`{"StartSelector":{"StartSelectorType":"CONTINUATION_TOKEN","ContinuationToken":"91343852333181432392682062607743920146159169392"}}`,
		`{"StartSelector":{"StartSelectorType":"CONTINUATION_TOKEN","ContinuationToken":"a.b-c_d"}}`,
		`{"StartSelector":{"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":""}}`,
		`{"StartSelector":{"StartSelectorType":"LATEST"}}`,
		`{"StartSelector":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in GetMediaInput
		if json.Unmarshal(body, &in) != nil || in.StartSelector == nil {
			return
		}
		st, err := in.StartSelector.parse()
		if err != nil {
			require.Equal(t, "InvalidArgumentException", httpapi.From(err).Code)
			return
		}
		switch st.kind {
		case startFragmentNumber, startContinuationToken:
			require.True(t, kvs.ValidFragmentNumber(st.after), "%q", st.after)
			require.LessOrEqual(t, len(st.after), maxTokenLen)
		case startNow, startEarliest, startServerTimestamp, startProducerTimestamp:
			require.Empty(t, st.after)
		default:
			t.Fatalf("accepted selector type %q", st.kind)
		}
	})
}
