package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jssdkDir holds the JavaScript SDK harness; make deps runs npm ci there.
var jssdkDir = filepath.Join("testdata", "jssdk")

// nodeWithSDK finds node and the harness's installed SDK packages. CI must
// have both (make deps installs them), so there their absence fails the
// test; elsewhere the test skips.
func nodeWithSDK(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(jssdkDir, "node_modules", "@aws-sdk", "client-kinesis-video"))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node or the JavaScript SDK is missing (make deps installs them): %v", err)
		}
		t.Skipf("node or the JavaScript SDK is missing (make deps installs them): %v", err)
	}
	return node
}

// jsResult is one call of jssdk.mjs.
type jsResult struct {
	Op       string
	OK       bool
	Error    string
	Message  string
	Pages    int
	Endpoint string
	Count    *int
	Tier     string
	Images   []struct {
		Time    int64
		Error   string
		Content string
	}
}

// GetImages and the newer kinesisvideo operations through the AWS SDK for
// JavaScript v3: typed answers, none an UnknownOperationException.
func TestJSSDKImagesAndNewerOperations(t *testing.T) {
	node := nodeWithSDK(t)
	r := imagesRig(t)
	cmd := exec.Command(node, "jssdk.mjs")
	cmd.Dir = jssdkDir
	cmd.Env = append(os.Environ(), "KVSCLIP_ENDPOINT="+r.url, "KVSCLIP_KEY_ID="+testKeyID, "KVSCLIP_SECRET="+testSecret,
		"KVSCLIP_STREAM=cam", "KVSCLIP_START_MS="+strconv.FormatInt(imagesStart, 10))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var results []jsResult
	require.NoError(t, json.Unmarshal(out, &results), "%s", out)
	byOp := map[string]jsResult{}
	for _, res := range results {
		byOp[res.Op] = res
		t.Logf("%s: ok=%v %s %s", res.Op, res.OK, res.Error, res.Message)
	}

	img := byOp["GetImages"]
	require.True(t, img.OK, img.Message)
	assert.Equal(t, 2, img.Pages, "4 images, 2 a page")
	require.Len(t, img.Images, 4)
	for k, im := range img.Images {
		assert.Equal(t, imagesStart+int64(k)*3000, im.Time)
		require.Empty(t, im.Error)
		raw, err := base64.StdEncoding.DecodeString(im.Content)
		require.NoError(t, err)
		codecName, w, h := probeImage(t, raw)
		assert.Equal(t, "mjpeg", codecName)
		assert.Equal(t, []int{48 * imagesWidth / imagesHeight, 48}, []int{w, h})
	}
	assert.Equal(t, jsResult{Op: "GetDataEndpoint", OK: true, Endpoint: r.url}, byOp["GetDataEndpoint"])

	for op, exception := range map[string]string{
		"DescribeEdgeConfiguration":         "StreamEdgeConfigurationNotFoundException",
		"DeleteEdgeConfiguration":           "StreamEdgeConfigurationNotFoundException",
		"StartEdgeConfigurationUpdate":      "AccessDeniedException",
		"DescribeMediaStorageConfiguration": "AccessDeniedException",
		"UpdateMediaStorageConfiguration":   "AccessDeniedException",
	} {
		assert.Equal(t, exception, byOp[op].Error, op)
	}
	for _, op := range []string{"ListEdgeAgentConfigurations", "DescribeMappedResourceConfiguration"} {
		require.True(t, byOp[op].OK, "%s: %s", op, byOp[op].Message)
		require.NotNil(t, byOp[op].Count, op)
		assert.Zero(t, *byOp[op].Count, op)
	}
	assert.Equal(t, "HOT", byOp["DescribeStreamStorageConfiguration"].Tier)
	assert.Equal(t, "WARM", byOp["UpdateStreamStorageConfiguration"].Tier)
}
