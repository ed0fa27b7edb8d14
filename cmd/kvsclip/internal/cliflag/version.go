package cliflag

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is the line `kvsclip --version` prints: the module version
// ("(devel)" when built from a checkout), the VCS revision and whether the
// checkout had changes when the build stamped them, and the toolchain.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "kvsclip (unknown version: no build information), " + runtime.Version()
	}
	return versionOf(bi)
}

// versionOf is Version's line for the build information bi. The VCS
// settings are there when the go command found the checkout (a git clone,
// not a git worktree, whose .git is a file) and -buildvcs was not false.
func versionOf(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	line := "kvsclip " + v
	if rev != "" {
		line += ", revision " + rev
		if modified == "true" {
			line += " (modified)"
		}
	}
	goVersion := bi.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	return fmt.Sprintf("%s, %s %s/%s", line, goVersion, runtime.GOOS, runtime.GOARCH)
}
