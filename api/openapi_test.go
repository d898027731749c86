package api

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/token"
)

// TestOpenAPIListsEveryRoute: the document describes exactly the routes
// served, each with the token rule it really has, and the server answers
// each of them (not with the catch-all 404).
func TestOpenAPIListsEveryRoute(t *testing.T) {
	f := newFixture(t)
	a := f.do("GET", "/api/v1/openapi.json", "", "")
	if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %v", a.status, a.header)
	}
	var doc struct {
		OpenAPI  string `json:"openapi"`
		Security []any  `json:"security"`
		Paths    map[string]map[string]struct {
			Security *[]any `json:"security"`
		} `json:"paths"`
	}
	a.decode(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Security) == 0 {
		t.Fatalf("not an OpenAPI 3 document with a default security: %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			key := strings.ToUpper(method) + " " + path
			documented[key] = op.Security == nil || len(*op.Security) > 0 // true: needs a token
		}
	}
	served := map[string]bool{}
	all := f.token("all", token.AllScopes...)
	for _, r := range Routes {
		key := r.Method + " " + r.Path
		served[key] = r.Scope != ""
		path := strings.Replace(r.Path, "{id}", "1", 1)
		body := ""
		if r.Method == "POST" {
			body = `{"to":"+254712345678","text":"hi"}`
		}
		if a := f.do(r.Method, path, all, body); strings.Contains(a.errorText(), "no API route") || a.status == 405 {
			t.Errorf("%s is listed but not served: %d %s", key, a.status, a.body)
		}
	}
	if !maps.Equal(documented, served) {
		t.Errorf("document and server differ:\ndocumented %v\nserved     %v", slices.Sorted(maps.Keys(documented)), slices.Sorted(maps.Keys(served)))
	}
}
