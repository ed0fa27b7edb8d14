package archived

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// ListFragmentsInput is ListFragments' request.
type ListFragmentsInput struct {
	StreamName, StreamARN, NextToken *string
	MaxResults                       *int64
	FragmentSelector                 *Selector
}

// Validate checks MaxResults, and the token or else the selector
// (ListFragmentsInput.query).
func (in *ListFragmentsInput) Validate() error {
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 1000) {
		return httpapi.InvalidArg("MaxResults must be between 1 and 1000.")
	}
	_, err := in.query()
	return err
}

// query is the listing asked for: the token's, which carries its query,
// else the selector's; without either, every fragment of the stream.
func (in *ListFragmentsInput) query() (listToken, error) {
	q := listToken{kind: kvs.ServerTimestamp, start: math.MinInt64, end: math.MaxInt64}
	var err error
	switch {
	case in.NextToken != nil:
		if err := httpapi.FieldPageToken.Check(in.NextToken); err != nil {
			return q, err
		}
		return decodeListToken(*in.NextToken)
	case in.FragmentSelector != nil:
		if q.kind, q.start, q.end, err = in.FragmentSelector.parse(); err != nil {
			return q, err
		}
		if q.end < q.start {
			return q, httpapi.InvalidArg("EndTimestamp must not be before StartTimestamp.")
		}
	}
	return q, nil
}

// ListFragmentsOutput is ListFragments' answer.
type ListFragmentsOutput struct {
	Fragments []Fragment
	NextToken *string `json:",omitempty"`
}

// Fragment is ListFragments' Fragment.
type Fragment struct {
	FragmentNumber               string
	FragmentSizeInBytes          int64
	ProducerTimestamp            kvs.Millis
	ServerTimestamp              kvs.Millis
	FragmentLengthInMilliseconds int64
}

// listToken is ListFragments' NextToken: the query and the last number
// returned, so the next page continues after it. Standard base64 fits the
// token pattern of the API model.
type listToken struct {
	kind       kvs.Selector
	start, end int64
	after      string
}

func (t listToken) encode() string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s %d %d %s", t.kind, t.start, t.end, t.after))
}

func decodeListToken(s string) (listToken, error) {
	var t listToken
	raw, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		var k string
		_, err = fmt.Sscanf(string(raw), "%s %d %d %s", &k, &t.start, &t.end, &t.after)
		t.kind = kvs.Selector(k)
	}
	if err != nil || !kvs.ValidFragmentNumber(t.after) || !t.kind.Valid() {
		return t, httpapi.InvalidArg("NextToken is not valid.")
	}
	return t, nil
}

// listFragments lists a stream's fragments in number order, a page of up
// to MaxResults (1000 by default) at a time.
func (s *Service) listFragments(ctx context.Context, in *ListFragmentsInput) (*ListFragmentsOutput, error) {
	st, err := s.d.Streams.Resolve(ctx, in.StreamName, in.StreamARN)
	if err != nil {
		return nil, err
	}
	limit := httpapi.Deref(in.MaxResults)
	if limit == 0 {
		limit = 1000
	}
	q, err := in.query()
	if err != nil {
		return nil, err
	}
	frags, err := s.d.Store.List(ctx, st.Name, q.kind, q.start, q.end)
	if err != nil {
		return nil, err
	}
	out := &ListFragmentsOutput{Fragments: []Fragment{}}
	for _, f := range frags {
		if q.after != "" && kvs.CompareFragmentNumbers(f.Number, q.after) <= 0 {
			continue
		}
		if int64(len(out.Fragments)) == limit {
			q.after = out.Fragments[limit-1].FragmentNumber
			tok := q.encode()
			out.NextToken = &tok
			break
		}
		out.Fragments = append(out.Fragments, Fragment{
			FragmentNumber: f.Number, FragmentSizeInBytes: f.Size,
			ProducerTimestamp: kvs.Millis(f.ProducerMillis), ServerTimestamp: kvs.Millis(f.ServerMillis),
			FragmentLengthInMilliseconds: f.DurationMillis,
		})
	}
	return out, nil
}
