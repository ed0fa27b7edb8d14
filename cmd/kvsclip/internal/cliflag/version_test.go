package cliflag

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVersion(t *testing.T) {
	platform := " " + runtime.GOOS + "/" + runtime.GOARCH
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "6680daf1c2e3a1b2c3d4e5f60718293a4b5c6d7e"}
	for _, c := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"a checkout with changes", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{rev, {Key: "vcs.modified", Value: "true"}}},
			"kvsclip (devel), revision 6680daf1c2e3a1b2c3d4e5f60718293a4b5c6d7e (modified), go1.26.8" + platform},
		{"a clean checkout", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{rev, {Key: "vcs.modified", Value: "false"}}},
			"kvsclip (devel), revision 6680daf1c2e3a1b2c3d4e5f60718293a4b5c6d7e, go1.26.8" + platform},
		{"go install of a release", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}},
			"kvsclip v1.2.3, go1.26.8" + platform},
		{"no VCS stamp", debug.BuildInfo{GoVersion: "go1.26.8"}, "kvsclip (devel), go1.26.8" + platform},
	} {
		assert.Equal(t, c.want, versionOf(&c.bi), c.name)
	}
	assert.Contains(t, Version(), "kvsclip ")
}
