package control

import (
	"net/http"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// signalingOps are the kinesisvideo operations on signaling channels
// (WebRTC), with their paths. They are part of the API the SDKs expose,
// and a typed refusal tells a client what a 404 would not. The media
// storage configuration is a signaling channel's, so it is refused too.
var signalingOps = []struct{ name, path string }{
	{"CreateSignalingChannel", "/createSignalingChannel"},
	{"DeleteSignalingChannel", "/deleteSignalingChannel"},
	{"DescribeSignalingChannel", "/describeSignalingChannel"},
	{"GetSignalingChannelEndpoint", "/getSignalingChannelEndpoint"},
	{"ListSignalingChannels", "/listSignalingChannels"},
	{"UpdateSignalingChannel", "/updateSignalingChannel"},
	{"DescribeMediaStorageConfiguration", "/describeMediaStorageConfiguration"},
	{"UpdateMediaStorageConfiguration", "/updateMediaStorageConfiguration"},
}

// signalingRoutes refuses the signaling operations with
// AccessDeniedException. They read no body: whatever a client sends, the
// answer is the same refusal.
func signalingRoutes() []httpapi.Route {
	rs := make([]httpapi.Route, 0, len(signalingOps))
	for _, op := range signalingOps {
		rs = append(rs, httpapi.Raw(op.name, op.path, false, func(http.ResponseWriter, *http.Request) error {
			return httpapi.Errorf(kvs.AccessDenied,
				"%s: kvsclip serves video streams only; signaling channels (WebRTC) are not supported.", op.name)
		}))
	}
	return rs
}
