package server_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const serverPath = "github.com/kvsclip/kvsclip/server"

// The server's rooms (DESIGN.md): the API surfaces, and the shared pieces
// they are built from. A surface imports shared pieces only, never another
// surface; a shared piece imports other shared pieces only; nothing imports
// the root package, which assembles them.
var (
	surfaces = []string{"archived", "control", "images", "ingest", "media", "sessions"}
	shared   = []string{"answer", "connlimit", "feed", "httpapi", "internal/lru", "metrics", "playback", "playback/ts",
		"putack", "ratelimit", "sigv4", "stall", "storeread", "streamref"}
	// clients run in other programs (kvsclip put): they import the
	// vocabulary and the signer, not the serving side.
	clients = map[string][]string{"putclient": {"httpapi", "putack", "sigv4"}}
)

// TestServerLayout holds the server's packages to their rooms: no import
// upward or across surfaces, and every package under server/ in one room,
// so a new package has to say which it is.
func TestServerLayout(t *testing.T) {
	imports := serverImports(t)
	for pkg, deps := range imports {
		var allowed []string
		switch {
		case pkg == "":
			continue // the root assembles everything
		case slices.Contains(surfaces, pkg), slices.Contains(shared, pkg):
			allowed = shared
		case clients[pkg] != nil:
			allowed = clients[pkg]
		default:
			t.Errorf("server/%s is in no room: add it to surfaces, shared or clients in this test", pkg)
			continue
		}
		for _, d := range deps {
			assert.Contains(t, allowed, d, "server/%s imports server/%s", pkg, d)
		}
	}
	for _, pkg := range append(slices.Clone(surfaces), shared...) {
		assert.Contains(t, imports, pkg, "server/%s is gone: update the rooms", pkg)
	}
}

// serverImports maps each package under server/ (by its path below
// server/; "" is the root) to the server packages its non-test files import.
func serverImports(t *testing.T) map[string][]string {
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		if pkg == "." {
			pkg = ""
		}
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			if p == serverPath {
				out[pkg] = append(out[pkg], "(the root package)")
			} else if rest, ok := strings.CutPrefix(p, serverPath+"/"); ok && !slices.Contains(out[pkg], rest) {
				out[pkg] = append(out[pkg], rest)
			}
		}
		return nil
	})
	require.NoError(t, err)
	return out
}
