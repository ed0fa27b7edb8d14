package control

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/streamref"
)

// testPlane answers the control plane's operations over a store in a
// temporary directory, as the server's middleware would hand them on.
type testPlane struct {
	t      *testing.T
	routes map[string]httpapi.Route
	images error // what ImagesUnavailable answers
}

func newTestPlane(t *testing.T) *testPlane {
	store, err := archive.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	p := &testPlane{t: t, routes: map[string]httpapi.Route{}}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, rt := range Routes(Deps{
		Store:             store,
		Now:               func() time.Time { return now },
		Streams:           streamref.Resolver{Store: store, Region: "us-west-2", AccountID: "123456789012"},
		Endpoint:          func(r *http.Request) string { return "http://" + r.Host },
		ImagesUnavailable: func() error { return p.images },
	}) {
		_, dup := p.routes[rt.Name]
		require.False(t, dup, "%s registered twice", rt.Name)
		p.routes[rt.Name] = rt
	}
	return p
}

// call serves one operation and returns its status and JSON answer.
func (p *testPlane) call(op, body string) (int, map[string]any) {
	p.t.Helper()
	rt, ok := p.routes[op]
	require.True(p.t, ok, "no route %s", op)
	r := httptest.NewRequest(http.MethodPost, rt.Path, strings.NewReader(body))
	c := &httpapi.Call{API: op, Request: r, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BodyLimit: 1 << 20}
	r = r.WithContext(httpapi.WithCall(r.Context(), c))
	w := httptest.NewRecorder()
	if err := rt.Serve(w, r); err != nil {
		httpapi.WriteError(w, httpapi.From(err))
	}
	var out map[string]any
	require.NoError(p.t, json.Unmarshal(w.Body.Bytes(), &out), w.Body.String())
	return w.Code, out
}

// TestStreamLifecycle: a stream created is described, listed, endpointed
// at the host the client reached, and deleted under its version.
func TestStreamLifecycle(t *testing.T) {
	p := newTestPlane(t)
	code, out := p.call("CreateStream", `{"StreamName":"cam","DataRetentionInHours":24,"MediaType":"video/h264","Tags":{"site":"north"}}`)
	require.Equal(t, http.StatusOK, code, out)
	arn := out["StreamARN"].(string)
	assert.Equal(t, "arn:aws:kinesisvideo:us-west-2:123456789012:stream/cam/1767323045000", arn)

	code, out = p.call("CreateStream", `{"StreamName":"cam"}`)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "ResourceInUseException", out["__type"])

	_, out = p.call("DescribeStream", `{"StreamARN":"`+arn+`"}`)
	info := out["StreamInfo"].(map[string]any)
	assert.Equal(t, "cam", info["StreamName"])
	assert.EqualValues(t, 24, info["DataRetentionInHours"])
	assert.Equal(t, "video/h264", info["MediaType"])

	_, out = p.call("ListTagsForResource", `{"ResourceARN":"`+arn+`"}`)
	assert.Equal(t, map[string]any{"site": "north"}, out["Tags"])

	_, out = p.call("GetDataEndpoint", `{"StreamName":"cam","APIName":"GET_CLIP"}`)
	assert.Equal(t, "http://example.com", out["DataEndpoint"])

	code, out = p.call("DeleteStream", `{"StreamARN":"`+arn+`","CurrentVersion":"`+info["Version"].(string)+`"}`)
	require.Equal(t, http.StatusOK, code, out)
	assert.Empty(t, out, "an operation without output answers {}")
	code, _ = p.call("DescribeStream", `{"StreamName":"cam"}`)
	assert.Equal(t, http.StatusNotFound, code)
}

// TestDataEndpointWithoutImages: no endpoint is handed out for GetImages
// when the server cannot serve it, and the check comes before the stream's.
func TestDataEndpointWithoutImages(t *testing.T) {
	p := newTestPlane(t)
	p.images = httpapi.InvalidArg("no ffmpeg")
	_, out := p.call("GetDataEndpoint", `{"StreamName":"nowhere","APIName":"GET_IMAGES"}`)
	assert.Equal(t, "no ffmpeg", out["message"])
	_, out = p.call("GetDataEndpoint", `{"StreamName":"nowhere","APIName":"PUT_MEDIA"}`)
	assert.Equal(t, "ResourceNotFoundException", out["__type"])
	_, out = p.call("GetDataEndpoint", `{"StreamName":"nowhere","APIName":"GET_SOMETHING"}`)
	assert.Equal(t, "InvalidArgumentException", out["__type"])
}

// TestInputsCheckedBeforeTheStore: field rules answer InvalidArgument
// naming the field even for a stream that does not exist, since inputs are
// validated before any stream is looked up.
func TestInputsCheckedBeforeTheStore(t *testing.T) {
	p := newTestPlane(t)
	for _, c := range []struct{ op, body, msg string }{
		{"CreateStream", `{"StreamName":"a b"}`, "StreamName"},
		{"CreateStream", `{"StreamName":"cam","MediaType":"video"}`, "MediaType"},
		{"CreateStream", `{"StreamName":"cam","DataRetentionInHours":87601}`, "DataRetentionInHours"},
		{"CreateStream", `{"StreamName":"cam","Tags":{"":"v"}}`, "Tag key"},
		{"ListStreams", `{"MaxResults":0}`, "MaxResults"},
		{"ListStreams", `{"StreamNameCondition":{"ComparisonOperator":"ENDS_WITH","ComparisonValue":"c"}}`, "ComparisonOperator"},
		{"ListStreams", `{"NextToken":"!"}`, "NextToken"},
		{"DeleteStream", `{}`, "StreamARN"},
		{"UpdateStream", `{"StreamName":"nowhere","CurrentVersion":"v1","MediaType":"h264"}`, "MediaType"},
		{"UpdateDataRetention", `{"StreamName":"nowhere","CurrentVersion":"v1","Operation":"DOUBLE","DataRetentionChangeInHours":1}`, "Operation"},
		{"TagStream", `{"StreamName":"nowhere","Tags":{}}`, "Tags"},
		{"UntagStream", `{"StreamName":"nowhere","TagKeyList":[]}`, "TagKeyList"},
		{"TagResource", `{"ResourceARN":"x","Tags":[{"Key":"k"}]}`, "Key and a Value"},
		{"UntagResource", `{"TagKeyList":["k"]}`, "ResourceARN"},
		{"UpdateImageGenerationConfiguration", `{"StreamName":"nowhere","ImageGenerationConfiguration":{"Status":"ON"}}`, "Status"},
		{"UpdateNotificationConfiguration", `{"StreamName":"nowhere","NotificationConfiguration":{"Status":"ENABLED"}}`, "Uri"},
		{"UpdateStreamStorageConfiguration", `{"StreamName":"nowhere","CurrentVersion":"v1","StreamStorageConfiguration":{"DefaultStorageTier":"COLD"}}`, "DefaultStorageTier"},
		{"ListEdgeAgentConfigurations", `{"HubDeviceArn":"arn:aws:iot:us-west-2:123456789012:thing/hub","MaxResults":11}`, "MaxResults"},
		{"DescribeMappedResourceConfiguration", `{"StreamName":"nowhere","NextToken":"t"}`, "NextToken"},
	} {
		code, out := p.call(c.op, c.body)
		assert.Equal(t, http.StatusBadRequest, code, "%s %s", c.op, c.body)
		assert.Equal(t, "InvalidArgumentException", out["__type"], "%s %s", c.op, c.body)
		assert.Contains(t, out["message"], c.msg, "%s %s", c.op, c.body)
	}
}

// TestStoredConfigurations: a configuration set is read back as sent, a
// null one removes it, and a stream that keeps no data takes none.
func TestStoredConfigurations(t *testing.T) {
	p := newTestPlane(t)
	p.call("CreateStream", `{"StreamName":"cam","DataRetentionInHours":1}`)
	p.call("CreateStream", `{"StreamName":"live"}`)
	const cfg = `{"Status":"ENABLED","DestinationConfig":{"Uri":"s3://bucket/prefix"}}`
	code, out := p.call("UpdateNotificationConfiguration", `{"StreamName":"cam","NotificationConfiguration":`+cfg+`}`)
	require.Equal(t, http.StatusOK, code, out)
	_, out = p.call("DescribeNotificationConfiguration", `{"StreamName":"cam"}`)
	raw, _ := json.Marshal(out["NotificationConfiguration"])
	assert.JSONEq(t, cfg, string(raw))

	p.call("UpdateNotificationConfiguration", `{"StreamName":"cam","NotificationConfiguration":null}`)
	_, out = p.call("DescribeNotificationConfiguration", `{"StreamName":"cam"}`)
	assert.Empty(t, out, "a removed configuration is not answered")

	_, out = p.call("UpdateNotificationConfiguration", `{"StreamName":"live","NotificationConfiguration":`+cfg+`}`)
	assert.Equal(t, "NoDataRetentionException", out["__type"])

	_, out = p.call("DescribeStreamStorageConfiguration", `{"StreamName":"cam"}`)
	assert.Equal(t, map[string]any{"DefaultStorageTier": "HOT"}, out["StreamStorageConfiguration"])
}

// TestSignalingRefusedWhateverTheBody: the signaling operations read no
// body, so even one that is not JSON gets the typed refusal.
func TestSignalingRefusedWhateverTheBody(t *testing.T) {
	p := newTestPlane(t)
	for _, op := range signalingOps {
		code, out := p.call(op.name, `not json`)
		assert.Equal(t, http.StatusForbidden, code, op.name)
		assert.Equal(t, "AccessDeniedException", out["__type"], op.name)
		assert.True(t, strings.HasPrefix(out["message"].(string), op.name+": "), op.name)
	}
}

// TestEdgeAnswers: a stream has no edge configuration, and none can be
// started; a missing stream is still ResourceNotFound.
func TestEdgeAnswers(t *testing.T) {
	p := newTestPlane(t)
	p.call("CreateStream", `{"StreamName":"cam"}`)
	_, out := p.call("DescribeEdgeConfiguration", `{"StreamName":"cam"}`)
	assert.Equal(t, "StreamEdgeConfigurationNotFoundException", out["__type"])
	_, out = p.call("StartEdgeConfigurationUpdate", `{"StreamName":"cam"}`)
	assert.Equal(t, "AccessDeniedException", out["__type"])
	_, out = p.call("DeleteEdgeConfiguration", `{"StreamName":"nowhere"}`)
	assert.Equal(t, "ResourceNotFoundException", out["__type"])
	_, out = p.call("ListEdgeAgentConfigurations", `{"HubDeviceArn":"arn:aws:iot:us-west-2:123456789012:thing/hub"}`)
	assert.Equal(t, map[string]any{"EdgeConfigs": []any{}}, out)
}

// TestIsMediaType follows the model's pattern of type/subtype lists.
func TestIsMediaType(t *testing.T) {
	for s, want := range map[string]bool{
		"video/h264": true, "video/h264,audio/aac": true, "application/x-mkv+v1.0": true,
		"video": false, "video/": false, "/h264": false, "video/h264,": false, "video/h 264": false,
	} {
		assert.Equal(t, want, isMediaType(s), s)
	}
}

// TestTagLimits: 50 tags fit a stream, the 51st is refused with the
// model's exception, and nothing of a refused TagResource is kept.
func TestTagLimits(t *testing.T) {
	p := newTestPlane(t)
	tags := map[string]string{}
	for i := range maxStreamTags {
		tags[strings.Repeat("k", i+1)] = "v"
	}
	raw, _ := json.Marshal(tags)
	code, out := p.call("CreateStream", `{"StreamName":"cam","Tags":`+string(raw)+`}`)
	require.Equal(t, http.StatusOK, code, out)
	arn := out["StreamARN"].(string)
	_, out = p.call("TagResource", `{"ResourceARN":"`+arn+`","Tags":[{"Key":"one-more","Value":"v"}]}`)
	assert.Equal(t, "TagsPerResourceExceededLimitException", out["__type"])
	_, out = p.call("ListTagsForStream", `{"StreamName":"cam"}`)
	assert.Len(t, out["Tags"], maxStreamTags)
	_, out = p.call("ListTagsForResource", `{"ResourceARN":"arn:aws:kinesisvideo:us-west-2:123456789012:channel/ch/1"}`)
	assert.Equal(t, "ResourceNotFoundException", out["__type"])
}

// TestDescribeStreamKMSKey: KmsKeyId is always answered, as KVS answers
// it: the key given at create, else the Kinesis Video-managed key by its
// alias ARN in the stream's region and account. DeviceName, optional in
// the model and unused by KVS, is answered only when one was given.
func TestDescribeStreamKMSKey(t *testing.T) {
	p := newTestPlane(t)
	for _, c := range []struct {
		create           string
		wantKey, wantDev any
	}{
		{`{"StreamName":"plain"}`, "arn:aws:kms:us-west-2:123456789012:alias/aws/kinesisvideo", nil},
		{`{"StreamName":"mine","KmsKeyId":"arn:aws:kms:us-west-2:123456789012:key/1234","DeviceName":"door-1"}`,
			"arn:aws:kms:us-west-2:123456789012:key/1234", "door-1"},
	} {
		code, out := p.call("CreateStream", c.create)
		require.Equal(t, http.StatusOK, code, out)
		_, out = p.call("DescribeStream", `{"StreamARN":"`+out["StreamARN"].(string)+`"}`)
		info := out["StreamInfo"].(map[string]any)
		assert.Equal(t, c.wantKey, info["KmsKeyId"], c.create)
		assert.Equal(t, c.wantDev, info["DeviceName"], c.create)
	}
	_, out := p.call("ListStreams", `{}`)
	for _, s := range out["StreamInfoList"].([]any) {
		assert.NotEmpty(t, s.(map[string]any)["KmsKeyId"], "ListStreams answers the key too")
	}
}

func TestDefaultKMSKeyID(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:kinesisvideo:us-west-2:123456789012:stream/cam/1":     "arn:aws:kms:us-west-2:123456789012:alias/aws/kinesisvideo",
		"arn:aws-cn:kinesisvideo:cn-north-1:123456789012:stream/cam/1": "arn:aws-cn:kms:cn-north-1:123456789012:alias/aws/kinesisvideo",
		"not an arn": "alias/aws/kinesisvideo",
		"arn:aws:kinesisvideo::123456789012:stream/cam/1": "alias/aws/kinesisvideo",
	} {
		assert.Equal(t, want, defaultKMSKeyID(in), in)
	}
}
