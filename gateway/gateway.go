// Package gateway makes the box Fineract's SMS "message gateway": Fineract's
// SMS jobs POST batches to /sms and ask for delivery states at /sms/report,
// its campaign screen lists providers from /smsbridges, and its "Web" hook
// posts events to /hooks/fineract/<token>, which become SMS to clients.
// docs/gateway.md says how to point Fineract at the box.
package gateway

import (
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/token"
	"github.com/mifos-edge/mifos-edge/web"
)

// Store is what the gateway needs of the store.
type Store interface {
	web.Tokens
	GatewayAccept(tenant string, items []store.GatewayItem) (store.GatewayOutcome, error)
	GatewayReport(tenant string, ids []int64, now time.Time, lostAfter time.Duration) ([]store.GatewayLookup, error)
	AddHookEvent(e store.HookEvent) (bool, error)
}

// Config is the gateway's part of the configuration.
type Config struct {
	// Tenant is [mifos] tenant: calls for another tenant are refused. ""
	// accepts any tenant, each kept apart.
	Tenant     string
	Country    string // [sms] country
	Prefix     string // [gateway] prefix: "" or "/path"
	ProviderID int64
	PhoneNo    string
	BoxID      string
	MaxBatch   int
	ReportWait time.Duration
	LostAfter  time.Duration
	// HookEvents are the "ENTITY/ACTION" events stored for an SMS.
	HookEvents []string
	// Queued is called after SMS were queued (it wakes the sender);
	// Hooked after a hook event was stored (it wakes the hook worker).
	Queued, Hooked func()
	Log            *slog.Logger
	Now            func() time.Time // time.Now when nil
}

// Server serves the gateway routes.
type Server struct {
	cfg Config
	db  Store
}

// New returns the gateway for db.
func New(db Store, cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Queued == nil {
		cfg.Queued = func() {}
	}
	if cfg.Hooked == nil {
		cfg.Hooked = func() {}
	}
	return &Server{cfg: cfg, db: db}
}

// Mount adds the gateway's routes to mux.
func (s *Server) Mount(mux *http.ServeMux) {
	p := s.cfg.Prefix
	mux.HandleFunc("POST "+p+"/sms", s.serveSMS)
	mux.HandleFunc("POST "+p+"/sms/report", s.serveReport)
	mux.HandleFunc("GET "+p+"/smsbridges", s.serveBridges)
	mux.HandleFunc("GET "+p+"/smsbridges/{id}", s.serveBridge)
	// Fineract's Web hook adds "/" to the configured URL on some versions.
	for _, path := range []string{"/hooks/fineract/{key}", "/hooks/fineract/{key}/"} {
		mux.HandleFunc("POST "+path, s.serveHook)
		mux.HandleFunc("GET "+path, s.serveHookPing)
	}
}

// appKeyHeader carries the token on Fineract's gateway calls.
const appKeyHeader = "Fineract-Tenant-App-Key"

// tenantHeader names the tenant on every call from Fineract.
const tenantHeader = "Fineract-Platform-TenantId"

// admit checks a gateway call's token (key) and tenant header. It answers
// the refusal itself and returns ok false: 401 without or with an unknown
// token, 403 for a token without scope gateway or another tenant, 400
// without a tenant.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, key string) (tenant string, ok bool) {
	if key == "" {
		web.Error(w, http.StatusUnauthorized, "this call needs the header "+appKeyHeader+": a token of scope gateway (mifos-edge token add --scope gateway)")
		return "", false
	}
	tok, status, msg := web.CheckToken(s.db, key, token.ScopeGateway)
	if status != 0 {
		web.Error(w, status, msg)
		return "", false
	}
	_ = s.db.TouchToken(tok.ID, s.cfg.Now())
	tenant = strings.TrimSpace(r.Header.Get(tenantHeader))
	switch {
	case tenant == "":
		web.Error(w, http.StatusBadRequest, "this call needs the header "+tenantHeader)
		return "", false
	case len(tenant) > 100:
		web.Error(w, http.StatusBadRequest, tenantHeader+" is longer than 100 characters")
		return "", false
	case s.cfg.Tenant != "" && tenant != s.cfg.Tenant:
		web.Error(w, http.StatusForbidden, "tenant "+clip(tenant, 40)+" is not this box's tenant")
		return "", false
	}
	return tenant, true
}

// isJSON reports whether a Content-Type names JSON.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
