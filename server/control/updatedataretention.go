package control

import (
	"context"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// UpdateDataRetention lengthens or shortens how long a stream keeps its
// fragments, by a change in hours, under the stream's version. Retention
// deletes what the shorter retention no longer covers at its next pass.

// The two operations of UpdateDataRetention.
const (
	increaseRetention = "INCREASE_DATA_RETENTION"
	decreaseRetention = "DECREASE_DATA_RETENTION"
)

// updateDataRetentionIn is UpdateDataRetention's input.
type updateDataRetentionIn struct {
	streamRef
	CurrentVersion             *string
	Operation                  string
	DataRetentionChangeInHours *int32
}

func (in *updateDataRetentionIn) Validate() error {
	if in.DataRetentionChangeInHours == nil || *in.DataRetentionChangeInHours < 1 {
		return httpapi.InvalidArg("DataRetentionChangeInHours must be at least 1.")
	}
	if in.Operation != increaseRetention && in.Operation != decreaseRetention {
		return httpapi.InvalidArg("Operation must be INCREASE_DATA_RETENTION or DECREASE_DATA_RETENTION.")
	}
	if in.CurrentVersion == nil {
		return httpapi.InvalidArg("CurrentVersion is required.")
	}
	return nil
}

// updateDataRetention moves the stream's retention by the change, within
// 0 to maxRetentionHours.
func (p *plane) updateDataRetention(ctx context.Context, in *updateDataRetentionIn) (*noOutput, error) {
	change := *in.DataRetentionChangeInHours
	st, err := p.Streams.UpdateVersioned(ctx, in.StreamName, in.StreamARN, in.CurrentVersion, func(st *archive.Stream) error {
		next := st.RetentionHours + change
		if in.Operation == decreaseRetention {
			next = st.RetentionHours - change
		}
		if next < 0 || next > maxRetentionHours {
			return httpapi.InvalidArg("The new retention %d is outside 0..%d hours.", next, maxRetentionHours)
		}
		st.RetentionHours = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	httpapi.Log(ctx).Info("retention changed", "stream", st.Name, "operation", in.Operation, "hours", change)
	return nil, nil
}
