package api

import (
	_ "embed"
	"net/http"
)

// openAPI is the OpenAPI 3 description of the API, served as it is. A
// test holds it to the route table: every route is described, and every
// described operation is routed.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the API's description.
func OpenAPI() []byte { return openAPI }

// serveOpenAPI answers GET /api/v1/openapi.json.
func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPI)
}
