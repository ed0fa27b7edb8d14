package server_test

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/bench"
	"github.com/kvsclip/kvsclip/server"
)

// TestClipPlanCache: a clip asked for again — by GetClip, or by a range
// of /clips with the same fragments and format — is written from the plan
// kept from the first request, byte for byte the same; another selection
// is planned anew; PlanCacheBytes < 0 keeps no plan. A kept plan does not
// hide a fragment damaged in the store since: the clip still fails before
// its first byte, with an error the SDK reads.
func TestClipPlanCache(t *testing.T) {
	rec := syntheticRecording(t, bench.Synth{Fragments: 6, KeyFrame: 30_000, Frame: 3_600, Audio: 300})
	for _, keep := range []bool{true, false} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			r, dir, start, nums := recordedInDir(t, rec, func(cfg *server.Config) {
				if !keep {
					cfg.Archived.PlanCacheBytes = -1
				}
			})
			require.Len(t, nums, 6)
			plans := func(how string) float64 { return r.metric("kvsclip_getclip_plans_total", "plan", how) }
			clip := func(from, to time.Time) []byte {
				out, err := producerClip(r, "cam", from, to)
				require.NoError(t, err)
				return readAll(t, out.Payload)
			}

			first := clip(start, start.Add(time.Hour))
			assert.Equal(t, 1.0, plans("planned"))
			again := clip(start, start.Add(time.Hour))
			assert.True(t, bytes.Equal(first, again), "the same clip")
			cached := 0.0
			if keep {
				cached = 1
			}
			assert.Equal(t, cached, plans("cached"))
			assert.Equal(t, 2-cached, plans("planned"))

			// A range of the same clip through /clips (progressive MP4,
			// the same fragments): the same plan.
			url := fmt.Sprintf("%s/clips/cam.mp4?start=%d&end=%d", r.url, start.Unix(), start.Add(time.Hour).Unix())
			resp, part := get(t, presign(t, r, "GET", url), map[string]string{"Range": "bytes=1000-99999"})
			require.Equal(t, 206, resp.StatusCode, string(part))
			assert.True(t, bytes.Equal(first[1000:100000], part))
			if keep {
				cached++
			}
			assert.Equal(t, cached, plans("cached"))

			// Fewer fragments: another clip, planned.
			before := plans("planned")
			part2 := clip(start.Add(4*time.Second), start.Add(time.Hour))
			assert.Less(t, len(part2), len(first))
			assert.Equal(t, before+1, plans("planned"))

			// The first fragment's document is cut short in the store: a
			// kept plan still reads it first, and the clip fails before
			// its first byte, as a failure of the service's storage.
			require.NoError(t, os.Truncate(storedDoc(t, dir, nums[0]), 1000))
			_, err := producerClip(r, "cam", start, start.Add(time.Hour))
			var api smithy.APIError
			require.ErrorAs(t, err, &api)
			assert.Equal(t, "InternalFailure", api.ErrorCode())
		})
	}
}
