package dedup_test

import (
	"fmt"

	"github.com/kvsclip/kvsclip/dedup"
	"github.com/kvsclip/kvsclip/kvs"
)

// Select applied to the ListFragments example of the KVS documentation:
// fragments at 00:00, 00:02, 00:04 and 00:06 (plus a late re-upload of
// 00:02), range 00:01–00:04.
func ExampleSelect() {
	const t0 = 1511827200000 // 2017-11-28 00:00:00 UTC, in ms
	frags := []kvs.Fragment{
		{Number: "101", ProducerMillis: t0, ServerMillis: t0 + 500},
		{Number: "102", ProducerMillis: t0 + 2000, ServerMillis: t0 + 2500},
		{Number: "103", ProducerMillis: t0 + 4000, ServerMillis: t0 + 4500},
		{Number: "104", ProducerMillis: t0 + 6000, ServerMillis: t0 + 6500},
		{Number: "999", ProducerMillis: t0 + 2000, ServerMillis: t0 + 86_400_000},
	}
	req := &dedup.Request{Selector: kvs.ProducerTimestamp, Start: t0 + 1000, End: t0 + 4000}
	sel, err := dedup.Select(req, frags, dedup.KVSLimits)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, i := range sel.Chosen {
		fmt.Println("clip", frags[i].Number)
	}
	for _, d := range sel.Dropped {
		fmt.Println("drop", frags[d.Index].Number, d.Reason)
	}
	// Output:
	// clip 102
	// clip 103
	// drop 101 before-start
	// drop 104 after-end
	// drop 999 duplicate
}
