// Package api is the integrator API under /api/v1/: JSON over HTTP with a
// bearer token per integrator (`mifos-edge token add`). Each route needs
// one scope (package token). It queues SMS and reports their state, lists
// received SMS after a cursor, shows the webhook queue, and serves its own
// OpenAPI document. It reads and writes only the store; the modem and
// Fineract are the daemon's.
package api

import (
	"net/http"
	"strings"

	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/token"
	"github.com/mifos-edge/mifos-edge/web"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1/"

// Server serves the API from one store.
type Server struct {
	DB *store.DB
	// Country reads numbers written without + (the box's sms.country).
	Country string
	// Nudge, if set, wakes the sender after an SMS was queued, so it leaves
	// now rather than at the sender's next look at the queue.
	Nudge func()
	// Payments records integrators' payments; nil when mobile money is off.
	Payments Payments
}

// Route is one method and path the API serves, with the scope it needs
// ("" for none; "a|b": either opens it); the OpenAPI document must list
// exactly these.
type Route struct {
	Method, Path, Scope string
	handler             func(s *Server, w http.ResponseWriter, r *http.Request)
}

// Routes lists every route, as the OpenAPI document writes its paths.
var Routes = []Route{
	{"POST", "/api/v1/sms", token.ScopeSend, (*Server).sendSMS},
	{"GET", "/api/v1/sms/{id}", token.ScopeSend, (*Server).getSMS},
	{"GET", "/api/v1/messages", token.ScopeRead, (*Server).listMessages},
	{"GET", "/api/v1/webhooks/deliveries", token.ScopeRead, (*Server).listDeliveries},
	{"POST", "/api/v1/payments", token.ScopePayments, (*Server).reportPayment},
	{"GET", "/api/v1/payments/{operator}/{txn_id}", token.ScopePayments + "|" + token.ScopeRead, (*Server).getPayment},
	{"GET", "/api/v1/openapi.json", "", (*Server).openAPI},
}

// Handler serves every route; anything else under Prefix is a JSON 404
// (or 405 for a known path with another method).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	paths := map[string]bool{}
	for _, r := range Routes {
		var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { r.handler(s, w, req) })
		if r.Scope != "" {
			h = web.RequireAnyScope(s.DB, strings.Split(r.Scope, "|"), h)
		}
		mux.Handle(r.Method+" "+r.Path, h)
		paths[r.Path] = true
	}
	for p := range paths {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			web.Error(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not served at "+r.URL.Path+" (see /api/v1/openapi.json)")
		})
	}
	mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		web.Error(w, http.StatusNotFound, "no API route "+r.URL.Path+" (see /api/v1/openapi.json)")
	})
	return mux
}
