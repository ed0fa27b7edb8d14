package control

import (
	"cmp"
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/streamref"
)

// streamInfo is DescribeStream's StreamInfo.
type streamInfo struct {
	CreationTime         kvs.Millis `json:"CreationTime"`
	DataRetentionInHours int32      `json:"DataRetentionInHours"`
	DeviceName           string     `json:"DeviceName,omitempty"`
	// KmsKeyID is always there, as KVS always names the key it
	// encrypts with: the one given at create, else the default
	// (defaultKMSKeyID). DeviceName, which KVS does not use, stays out
	// when none was given, as KVS leaves it out.
	KmsKeyID   string `json:"KmsKeyId"`
	MediaType  string `json:"MediaType,omitempty"`
	Status     string `json:"Status"`
	StreamARN  string `json:"StreamARN"`
	StreamName string `json:"StreamName"`
	Version    string `json:"Version"`
}

func infoOf(st archive.Stream) streamInfo {
	return streamInfo{
		CreationTime:         kvs.Millis(st.Created.UnixMilli()),
		DataRetentionInHours: st.RetentionHours,
		DeviceName:           st.Device,
		KmsKeyID:             cmp.Or(st.KMSKeyID, defaultKMSKeyID(st.ARN)),
		MediaType:            st.MediaType,
		Status:               "ACTIVE",
		StreamARN:            st.ARN,
		StreamName:           st.Name,
		Version:              st.Version,
	}
}

// defaultKMSKeyID is the key KVS encrypts a stream with when CreateStream
// named none: the Kinesis Video-managed key, alias aws/kinesisvideo (the
// model's CreateStream KmsKeyId), named by its alias ARN in the stream's
// partition, region and account, as KVS's DescribeStream names it. An ARN
// that does not split as expected gives the bare alias.
func defaultKMSKeyID(streamARN string) string {
	const alias = "alias/aws/kinesisvideo"
	// arn:PARTITION:kinesisvideo:REGION:ACCOUNT:stream/NAME/TIME
	p := strings.SplitN(streamARN, ":", 6)
	if len(p) < 6 || p[0] != "arn" || p[1] == "" || p[3] == "" || p[4] == "" {
		return alias
	}
	return "arn:" + p[1] + ":kms:" + p[3] + ":" + p[4] + ":" + alias
}

type describeStreamIn struct{ streamRef }

type describeStreamOut struct {
	StreamInfo streamInfo
}

func (p *plane) describeStream(ctx context.Context, in *describeStreamIn) (*describeStreamOut, error) {
	st, err := p.resolve(ctx, in.streamRef)
	if err != nil {
		return nil, err
	}
	return &describeStreamOut{StreamInfo: infoOf(st)}, nil
}

type deleteStreamIn struct {
	StreamARN, CurrentVersion *string
}

func (in *deleteStreamIn) Validate() error {
	if in.StreamARN == nil {
		return httpapi.InvalidArg("StreamARN is required.")
	}
	return nil
}

func (p *plane) deleteStream(ctx context.Context, in *deleteStreamIn) (*noOutput, error) {
	st, err := p.Streams.Resolve(ctx, nil, in.StreamARN)
	if err != nil {
		return nil, err
	}
	if err := streamref.CheckVersion(&st, in.CurrentVersion); err != nil {
		return nil, err
	}
	if err := p.Store.DeleteStream(ctx, st.Name); err != nil {
		if errors.Is(err, archive.ErrStreamNotFound) {
			return nil, httpapi.StreamNotFound(st.ARN)
		}
		return nil, err
	}
	httpapi.Log(ctx).Info("stream deleted", "stream", st.Name)
	return nil, nil
}

// UpdateStream's patterns of the service model. Its messages differ from
// CreateStream's field checks, as they always have.
var (
	devicePattern  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`) })
	mediaPattern   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w\-.+]+/[\w\-.+]+(,[\w\-.+]+/[\w\-.+]+)*$`) })
	versionPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9]{1,64}$`) })
)

// maxMediaTypeLen is the model's bound on MediaType.
const maxMediaTypeLen = 128

type updateStreamIn struct {
	streamRef
	CurrentVersion, DeviceName, MediaType *string
}

func (in *updateStreamIn) Validate() error {
	if in.CurrentVersion == nil || !versionPattern().MatchString(*in.CurrentVersion) {
		return httpapi.InvalidArg("CurrentVersion must be 1 to 64 letters or digits.")
	}
	if in.DeviceName != nil && !devicePattern().MatchString(*in.DeviceName) {
		return httpapi.InvalidArg("DeviceName must be 1 to 128 characters of [a-zA-Z0-9_.-].")
	}
	if in.MediaType != nil && (len(*in.MediaType) > maxMediaTypeLen || !mediaPattern().MatchString(*in.MediaType)) {
		return httpapi.InvalidArg("MediaType must be up to %d characters of type/subtype pairs, such as video/h264.", maxMediaTypeLen)
	}
	return nil
}

func (p *plane) updateStream(ctx context.Context, in *updateStreamIn) (*noOutput, error) {
	st, err := p.Streams.UpdateVersioned(ctx, in.StreamName, in.StreamARN, in.CurrentVersion, func(st *archive.Stream) error {
		if in.DeviceName != nil {
			st.Device = *in.DeviceName
		}
		if in.MediaType != nil {
			st.MediaType = *in.MediaType
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	httpapi.Log(ctx).Info("stream updated", "stream", st.Name)
	return nil, nil
}
