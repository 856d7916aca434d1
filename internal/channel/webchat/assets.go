package webchat

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var staticFS embed.FS

// assets are the page template and the files the page loads, read once.
type assets struct {
	page *template.Template

	// version changes with any file, so that the page's asset URLs and the
	// service worker's cache move on together.
	version string

	files map[string]asset
	sw    []byte
}

type asset struct {
	body        []byte
	contentType string
}

// staticFiles are the files served under /chat/static/.
var staticFiles = map[string]string{
	"chat.css": "text/css; charset=utf-8",
	"chat.js":  "text/javascript; charset=utf-8",
}

func loadAssets() *assets {
	a := &assets{
		page:  template.Must(template.ParseFS(staticFS, "static/page.html")),
		files: map[string]asset{},
	}

	h := sha256.New()
	err := fs.WalkDir(staticFS, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	if err != nil {
		panic("webchat: read embedded files: " + err.Error())
	}
	a.version = hex.EncodeToString(h.Sum(nil))[:12]

	for name, ct := range staticFiles {
		a.files[name] = asset{body: mustRead("static/" + name), contentType: ct}
	}
	a.files["manifest.webmanifest"] = asset{body: mustRead("static/manifest.webmanifest"), contentType: "application/manifest+json"}
	a.files["icon.svg"] = asset{body: mustRead("static/icon.svg"), contentType: "image/svg+xml"}
	a.sw = bytes.ReplaceAll(mustRead("static/sw.js"), []byte("__VERSION__"), []byte(a.version))
	return a
}

func mustRead(path string) []byte {
	b, err := staticFS.ReadFile(path)
	if err != nil {
		panic("webchat: " + err.Error())
	}
	return b
}

type pageState string

const (
	pageChat       pageState = "chat"        // the conversation
	pageJoin       pageState = "join"        // the invite form
	pageConfirm    pageState = "confirm"     // an invite link's button
	pageJoinFailed pageState = "join-failed" // the form again, after an unknown code
	pageStranger   pageState = "stranger"    // an unknown invite link
	pageError      pageState = "error"
)

// page is what the page template shows.
type page struct {
	State       pageState
	Code        string // the invite code of pageConfirm
	CompanyName string
	Tag         string
	Version     string
}

func (s *Server) renderPage(w http.ResponseWriter, status int, p page) {
	p.Version = s.assets.version
	var buf bytes.Buffer
	if err := s.assets.page.Execute(&buf, p); err != nil {
		s.Logger.Error("Web chat page not rendered", "error", err.Error())
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, ok := staticFiles[name]; !ok {
		http.NotFound(w, r)
		return
	}
	s.serveAsset(w, r, s.assets.files[name])
}

func (s *Server) handleManifest(w http.ResponseWriter, r *http.Request) {
	s.serveAsset(w, r, s.assets.files["manifest.webmanifest"])
}

func (s *Server) handleIcon(w http.ResponseWriter, r *http.Request) {
	s.serveAsset(w, r, s.assets.files["icon.svg"])
}

// handleServiceWorker serves the worker. It sits under /chat/ but must
// control the page /chat as well, hence Service-Worker-Allowed.
func (s *Server) handleServiceWorker(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Service-Worker-Allowed", "/chat")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Write(s.assets.sw)
}

func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request, a asset) {
	cache := "public, max-age=3600"
	if strings.Contains(r.URL.RawQuery, "v="+s.assets.version) {
		cache = "public, max-age=31536000, immutable"
	}
	w.Header().Set("Cache-Control", cache)
	w.Header().Set("Content-Type", a.contentType)
	w.Write(a.body)
}
