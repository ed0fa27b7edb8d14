package archived

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// TestListFragmentsQuery: a NextToken carries its whole query and wins
// over a selector; a selector's range must not run backwards; without
// either, the whole stream by server time. What is refused is an
// InvalidArgument.
func TestListFragmentsQuery(t *testing.T) {
	ms := func(v int64) *kvs.Millis { m := kvs.Millis(v); return &m }
	str := func(s string) *string { return &s }
	tok := listToken{kind: kvs.ProducerTimestamp, start: 10, end: 20, after: "123"}.encode()
	sel := func(kind string, from, to int64) *Selector {
		return &Selector{FragmentSelectorType: kind, TimestampRange: &TimestampRange{StartTimestamp: ms(from), EndTimestamp: ms(to)}}
	}
	for _, tt := range []struct {
		name string
		in   ListFragmentsInput
		want listToken
		ok   bool
	}{
		{"whole stream", ListFragmentsInput{}, listToken{kind: kvs.ServerTimestamp, start: math.MinInt64, end: math.MaxInt64}, true},
		{"selector", ListFragmentsInput{FragmentSelector: sel("PRODUCER_TIMESTAMP", 1000, 2000)}, listToken{kind: kvs.ProducerTimestamp, start: 1000, end: 2000}, true},
		{"token over selector", ListFragmentsInput{NextToken: &tok, FragmentSelector: sel("SERVER_TIMESTAMP", 1, 2)}, listToken{kind: kvs.ProducerTimestamp, start: 10, end: 20, after: "123"}, true},
		{"backwards", ListFragmentsInput{FragmentSelector: sel("SERVER_TIMESTAMP", 2000, 1000)}, listToken{}, false},
		{"bad kind", ListFragmentsInput{FragmentSelector: sel("NOW", 1, 2)}, listToken{}, false},
		{"no range", ListFragmentsInput{FragmentSelector: &Selector{FragmentSelectorType: "SERVER_TIMESTAMP"}}, listToken{}, false},
		{"token not ours", ListFragmentsInput{NextToken: str("aGVsbG8=")}, listToken{}, false},
		{"token not base64", ListFragmentsInput{NextToken: str("a b")}, listToken{}, false},
		{"MaxResults 0", ListFragmentsInput{MaxResults: new(int64)}, listToken{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if !tt.ok {
				require.Error(t, err)
				assert.Equal(t, "InvalidArgumentException", httpapi.From(err).Code)
				return
			}
			require.NoError(t, err)
			q, err := tt.in.query()
			require.NoError(t, err)
			assert.Equal(t, tt.want, q)
		})
	}
}
