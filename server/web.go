package server

import (
	"bytes"
	"embed"
	"html"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// webFiles is the browser page at /: plain HTML, CSS and JS, embedded so
// that the binary alone serves it.
//
//go:embed web
var webFiles embed.FS

// serveWeb answers GET / with the page and GET /web/... with its assets;
// every other GET goes on to the API router, which answers as it did
// before the page existed. The page holds no stream data, so it is served
// without authorization; the API calls it makes are authorized as usual.
// On a server with credentials it asks for them and signs its calls
// (SigV4 headers) and its clip URLs (presigned) in the browser.
func (s *Server) serveWeb(w http.ResponseWriter, r *http.Request) {
	sub, _ := fs.Sub(webFiles, "web")
	switch name := r.URL.Path; {
	case name == "/":
		// The page signs in the server's region: it is written in.
		page, _ := fs.ReadFile(sub, "index.html")
		page = bytes.Replace(page, []byte("{{region}}"), []byte(html.EscapeString(s.cfg.Region)), 1)
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	case strings.HasPrefix(name, "/web/player/"):
		s.servePlayer(w, r, strings.TrimPrefix(name, "/web/player/"))
	case strings.HasPrefix(name, "/web/") && name != "/web/":
		w.Header().Set("Cache-Control", "no-cache")
		http.StripPrefix("/web", http.FileServerFS(sub)).ServeHTTP(w, r)
	default:
		s.serveAPI(w, r)
	}
}

// playerFiles are the files of Config.PlayerDir the page may load, with
// their types: only these, so that the directory is never served whole.
var playerFiles = map[string]string{
	"hls.min.js":                      "text/javascript; charset=utf-8",
	"hls.min.js.LICENSE":              "text/plain; charset=utf-8",
	"dash.mediaplayer.min.js":         "text/javascript; charset=utf-8",
	"dash.mediaplayer.min.js.LICENSE": "text/plain; charset=utf-8",
}

// servePlayer answers GET /web/player/NAME from Config.PlayerDir. A
// missing file is a plain 404, which the page reads as "no player
// library here" and says so.
func (s *Server) servePlayer(w http.ResponseWriter, r *http.Request, name string) {
	ctype, ok := playerFiles[name]
	if !ok || s.cfg.PlayerDir == "" {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(filepath.Join(s.cfg.PlayerDir, name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, fi.ModTime(), f)
}
