package api

import (
	_ "embed"
	"net/http"
)

// openAPIDoc describes every route in Routes; TestOpenAPIListsEveryRoute
// keeps the two in step.
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPI serves the document. It needs no token: it says nothing about
// the box's data, and integrators' tools fetch it before they have one.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(openAPIDoc)
}
