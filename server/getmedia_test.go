package server_test

import (
	"bytes"
	"context"
	"math"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// gmMedia is the committed recording the GetMedia tests put.
const gmMedia = "h264-aac-160x120.getmedia.mkv"

// gmStream puts seconds of the test media on a new stream "cam" and
// returns what the archive holds, in number order.
func gmStream(t *testing.T, r *rig, seconds float64) (*producerMedia, []kvs.Fragment) {
	t.Helper()
	r.createStream("cam", 24)
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	m := loadProducerMedia(t, gmMedia, true, false, start, seconds)
	acks, err := r.put("cam", "RELATIVE", start, bytes.NewReader(producerBody(t, m)))
	require.NoError(t, err)
	require.Len(t, persisted(acks), len(m.frags))
	frags, err := r.store.List(bg, "cam", kvs.ServerTimestamp, math.MinInt64, math.MaxInt64)
	require.NoError(t, err)
	require.Len(t, frags, len(m.frags))
	return m, frags
}

func secondsOf(ms int64) *float64 {
	s := float64(ms) / 1000
	return &s
}

// firstHolding is the documented start of a timestamp selector: the
// first fragment, in number order, that holds at or starts after it.
func firstHolding(frags []kvs.Fragment, at int64, ts func(kvs.Fragment) int64) int {
	for i, f := range frags {
		if ts(f) >= at || ts(f)+f.DurationMillis > at {
			return i
		}
	}
	return -1
}

// TestGetMediaSelectors: each start selector begins where the model's
// documentation says, and the stream then runs in number order to the
// last stored fragment, every document carrying its tags.
func TestGetMediaSelectors(t *testing.T) {
	r := newRig(t)
	_, frags := gmStream(t, r, 12)
	require.GreaterOrEqual(t, len(frags), 6)
	last := frags[len(frags)-1].Number
	server := func(f kvs.Fragment) int64 { return f.ServerMillis }
	producer := func(f kvs.Fragment) int64 { return f.ProducerMillis }
	mid := frags[3]

	tests := []struct {
		name  string
		sel   gmSelector
		first int // index in frags
	}{
		{"earliest", gmSelector{StartSelectorType: "EARLIEST"}, 0},
		{"now is the latest", gmSelector{StartSelectorType: "NOW"}, len(frags) - 1},
		{"fragment number: the one after", gmSelector{StartSelectorType: "FRAGMENT_NUMBER", AfterFragmentNumber: frags[2].Number}, 3},
		{"continuation token: the one after", gmSelector{StartSelectorType: "CONTINUATION_TOKEN", ContinuationToken: frags[4].Number}, 5},
		{"producer timestamp inside a fragment", gmSelector{StartSelectorType: "PRODUCER_TIMESTAMP", StartTimestamp: secondsOf(mid.ProducerMillis + mid.DurationMillis/2)}, 3},
		{"producer timestamp at a start", gmSelector{StartSelectorType: "PRODUCER_TIMESTAMP", StartTimestamp: secondsOf(mid.ProducerMillis)}, 3},
		{"producer timestamp before all", gmSelector{StartSelectorType: "PRODUCER_TIMESTAMP", StartTimestamp: secondsOf(frags[0].ProducerMillis - 60_000)}, 0},
		{"server timestamp", gmSelector{StartSelectorType: "SERVER_TIMESTAMP", StartTimestamp: secondsOf(mid.ServerMillis)},
			firstHolding(frags, mid.ServerMillis, server)},
		{"server timestamp before all", gmSelector{StartSelectorType: "SERVER_TIMESTAMP", StartTimestamp: secondsOf(frags[0].ServerMillis - 60_000)}, 0},
	}
	require.Equal(t, 3, firstHolding(frags, mid.ProducerMillis+mid.DurationMillis/2, producer))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(bg, 20*time.Second)
			defer cancel()
			out, err := r.getMedia(ctx, "cam", tt.sel)
			require.NoError(t, err)
			assert.Equal(t, "video/webm", out.ContentType)
			docs := readUntil(t, out, cancel, last)
			var want []string
			for _, f := range frags[tt.first:] {
				want = append(want, f.Number)
			}
			require.Equal(t, want, numbersOf(docs))
			for i, d := range docs {
				f := frags[tt.first+i]
				tg := d.frag.Tags
				assert.Equal(t, f.Number, tg.ContinuationToken, "the token continues after this fragment")
				assert.True(t, tg.HasMillisBehindNow)
				assert.GreaterOrEqual(t, tg.MillisBehindNow, int64(0))
				assert.Equal(t, f.ServerMillis, tg.ServerTimestamp)
				assert.Equal(t, f.ProducerMillis, tg.ProducerTimestamp)
				assert.NotEmpty(t, d.frag.Blocks)
			}
		})
	}
}

// TestGetMediaSelectorErrors: what the model makes an error is refused
// before any media, with the exception the SDK decodes.
func TestGetMediaSelectorErrors(t *testing.T) {
	r := newRig(t)
	_, frags := gmStream(t, r, 4)
	tests := []struct {
		name   string
		body   string
		code   string
		status int
	}{
		{"no selector", `{"StreamName":"cam"}`, "InvalidArgumentException", 400},
		{"no type", `{"StreamName":"cam","StartSelector":{}}`, "InvalidArgumentException", 400},
		{"unknown type", `{"StreamName":"cam","StartSelector":{"StartSelectorType":"LATEST"}}`, "InvalidArgumentException", 400},
		{"fragment number missing", `{"StreamName":"cam","StartSelector":{"StartSelectorType":"FRAGMENT_NUMBER"}}`, "InvalidArgumentException", 400},
		{"fragment number not digits", `{"StreamName":"cam","StartSelector":{"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":"12a"}}`, "InvalidArgumentException", 400},
		{"fragment number unknown", `{"StreamName":"cam","StartSelector":{"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":"123"}}`, "ResourceNotFoundException", 404},
		{"timestamp missing", `{"StreamName":"cam","StartSelector":{"StartSelectorType":"SERVER_TIMESTAMP"}}`, "InvalidArgumentException", 400},
		{"token missing", `{"StreamName":"cam","StartSelector":{"StartSelectorType":"CONTINUATION_TOKEN"}}`, "InvalidArgumentException", 400},
		{"token bad pattern", `{"StreamName":"cam","StartSelector":{"StartSelectorType":"CONTINUATION_TOKEN","ContinuationToken":"a b"}}`, "InvalidArgumentException", 400},
		{"token not ours", `{"StreamName":"cam","StartSelector":{"StartSelectorType":"CONTINUATION_TOKEN","ContinuationToken":"abc"}}`, "InvalidArgumentException", 400},
		{"no stream", `{"StartSelector":{"StartSelectorType":"NOW"}}`, "InvalidArgumentException", 400},
		{"unknown stream", `{"StreamName":"nope","StartSelector":{"StartSelectorType":"NOW"}}`, "ResourceNotFoundException", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.getMediaRaw(bg, []byte(tt.body))
			var ge *gmError
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, tt.code, ge.Code)
			assert.Equal(t, tt.status, ge.Status)
		})
	}
	// A token whose fragment retention removed still continues by number.
	docs := r.readStream(gmSelector{StartSelectorType: "CONTINUATION_TOKEN", ContinuationToken: "1"}, frags[len(frags)-1].Number)
	assert.Len(t, docs, len(frags))
}

// TestGetMediaContinuation: a consumer whose connection drops, even in the
// middle of a document, resumes with the token of the last document it
// got whole, and so gets every fragment exactly once.
func TestGetMediaContinuation(t *testing.T) {
	r := newRig(t)
	_, frags := gmStream(t, r, 12)
	last := frags[len(frags)-1].Number
	var got []string
	sel := gmSelector{StartSelectorType: "EARLIEST"}
	for drop := 0; ; drop++ {
		require.Less(t, drop, len(frags)+1, "no progress")
		ctx, cancel := context.WithTimeout(bg, 10*time.Second)
		out, err := r.getMedia(ctx, "cam", sel)
		require.NoError(t, err)
		n, done := 0, false
		// Two documents whole, then a cut inside the third.
		rest := gmDocs(t, &cutAfter{r: out.Payload, docs: 2}, func(d gmDoc) bool {
			got = append(got, d.frag.Tags.FragmentNumber)
			sel = gmSelector{StartSelectorType: "CONTINUATION_TOKEN", ContinuationToken: d.frag.Tags.ContinuationToken}
			n++
			done = d.frag.Tags.FragmentNumber == last
			return !done
		})
		cancel()
		out.Payload.Close()
		if done {
			break
		}
		require.NotEmpty(t, rest, "the connection dropped inside a document")
		require.Equal(t, 2, n)
	}
	var want []string
	for _, f := range frags {
		want = append(want, f.Number)
	}
	assert.Equal(t, want, got)
}

// cutAfter reads until it has passed docs continuation tokens, then half
// of what follows, then reports the connection gone.
type cutAfter struct {
	r    interface{ Read([]byte) (int, error) }
	docs int
	seen []byte
	cut  bool
}

func (c *cutAfter) Read(p []byte) (int, error) {
	if c.cut {
		return 0, context.Canceled
	}
	n, err := c.r.Read(p)
	c.seen = append(c.seen, p[:n]...)
	if bytes.Count(c.seen, tokenTag) > c.docs {
		i := 0
		for k := 0; k <= c.docs; k++ {
			i += bytes.Index(c.seen[i:], tokenTag) + len(tokenTag)
		}
		// Keep everything up to the middle of the next document's last tag.
		over := len(c.seen) - (i - len(tokenTag)/2)
		c.cut = true
		return max(0, n-over), nil
	}
	return n, err
}

// TestGetMediaMatchesFragmentList: what GetMedia EARLIEST sends for each
// fragment is what GetMediaForFragmentList sends for it, plus the Tags
// element of GetMedia's own two tags.
func TestGetMediaMatchesFragmentList(t *testing.T) {
	r := newRig(t)
	_, frags := gmStream(t, r, 8)
	docs := r.readStream(gmSelector{StartSelectorType: "EARLIEST"}, frags[len(frags)-1].Number)
	require.Len(t, docs, len(frags))

	list := fragmentListBytes(t, r, frags)
	for i, f := range frags {
		gfl := list[:f.Size]
		list = list[f.Size:]
		tg := docs[i].frag.Tags
		want := mkv.AppendGetMediaTags(bytes.Clone(gfl), &mkv.Tags{
			MillisBehindNow: tg.MillisBehindNow, HasMillisBehindNow: true, ContinuationToken: f.Number})
		require.Equal(t, want, docs[i].raw, "fragment %d", i)
	}
	require.Empty(t, list)
}

// fragmentListBytes is GetMediaForFragmentList's answer for frags.
func fragmentListBytes(t *testing.T, r *rig, frags []kvs.Fragment) []byte {
	t.Helper()
	var numbers []string
	for _, f := range frags {
		numbers = append(numbers, f.Number)
	}
	out, err := r.media.GetMediaForFragmentList(bg, &am.GetMediaForFragmentListInput{StreamName: aws.String("cam"), Fragments: numbers})
	require.NoError(t, err)
	return readAll(t, out.Payload)
}
