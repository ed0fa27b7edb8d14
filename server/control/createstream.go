package control

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/streamref"
)

// maxRetentionHours is KVS's upper bound: ten years.
const maxRetentionHours = 87600

// The fields CreateStream checks beyond StreamName, which kvs owns.
var (
	fieldDeviceName = httpapi.Field{Name: "DeviceName", Min: 1, Max: 128, Pattern: "[a-zA-Z0-9_.-]+", OK: httpapi.IsNameChars}
	fieldMediaType  = httpapi.Field{Name: "MediaType", Min: 1, Max: 128, Pattern: "type/subtype[,type/subtype...] of letters, digits and _.+-", OK: isMediaType}
	fieldKmsKeyID   = httpapi.Field{Name: "KmsKeyId", Min: 1, Max: 2048, Pattern: ".+", OK: nil}
)

// isMediaType is the model's [\w\-\.\+]+/[\w\-\.\+]+(,[\w\-\.\+]+/[\w\-\.\+]+)*.
func isMediaType(s string) bool {
	const word = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.+"
	for _, mt := range strings.Split(s, ",") {
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok || typ == "" || sub == "" || strings.Trim(typ, word) != "" || strings.Trim(sub, word) != "" {
			return false
		}
	}
	return true
}

type createStreamIn struct {
	StreamName           *string
	DataRetentionInHours *int32
	DeviceName           *string
	MediaType            *string
	KmsKeyId             *string
	Tags                 map[string]string
}

func (in *createStreamIn) Validate() error {
	if name := httpapi.Deref(in.StreamName); !kvs.ValidStreamName(name) {
		return streamref.InvalidStreamName(name)
	}
	if err := httpapi.CheckFields(fieldDeviceName.Of(in.DeviceName), fieldMediaType.Of(in.MediaType),
		fieldKmsKeyID.Of(in.KmsKeyId)); err != nil {
		return err
	}
	if ret := httpapi.Deref(in.DataRetentionInHours); ret < 0 || ret > maxRetentionHours {
		return httpapi.InvalidArg("DataRetentionInHours must be between 0 and %d.", maxRetentionHours)
	}
	return checkTags(in.Tags, false)
}

type createStreamOut struct {
	StreamARN string
}

func (p *plane) createStream(ctx context.Context, in *createStreamIn) (*createStreamOut, error) {
	name, ret := *in.StreamName, httpapi.Deref(in.DataRetentionInHours)
	created := p.Now().UTC().Truncate(time.Millisecond)
	st := archive.Stream{
		Name: name, ARN: p.Streams.ARN(name, created.UnixMilli()), RetentionHours: ret,
		Created: created, Version: streamref.NewVersion(), MediaType: httpapi.Deref(in.MediaType),
		Device: httpapi.Deref(in.DeviceName), KMSKeyID: httpapi.Deref(in.KmsKeyId), Tags: in.Tags,
	}
	if err := p.Store.CreateStream(ctx, st); err != nil {
		if errors.Is(err, archive.ErrStreamExists) {
			return nil, httpapi.Errorf(kvs.ResourceInUse, "The stream %s already exists.", name)
		}
		return nil, err
	}
	httpapi.Log(ctx).Info("stream created", "stream", name, "retention_hours", ret)
	return &createStreamOut{StreamARN: st.ARN}, nil
}
