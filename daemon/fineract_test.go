package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/boxkey"
	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// linkConfig is a [mifos] table with an inline password.
func linkConfig(baseURL, password string, insecureHTTP bool) *config.Config {
	return &config.Config{Mifos: config.Mifos{BaseURL: baseURL, Tenant: "default", Username: "branch-sms",
		Password: password, InsecureHTTP: insecureHTTP}}
}

func TestFineractLinkWarnings(t *testing.T) {
	const longPassword, shortPassword = "Kx7-long-enough", "Zq9"
	for _, tc := range []struct {
		name, base, password string
		insecure             bool
		wantErr              string
		warn                 []string // each must appear in the log; none = no WARN at all
	}{
		{name: "https", base: "https://fineract.example.org/fineract-provider", password: longPassword},
		{name: "plain http to this machine", base: "http://127.0.0.1:8080/fineract-provider", password: longPassword},
		{name: "plain http to another machine", base: "http://10.9.9.9:8080/fineract-provider", password: longPassword,
			wantErr: "plain http:// to 10.9.9.9"},
		{name: "plain http allowed by insecure_http", base: "http://10.9.9.9:8080/fineract-provider", password: longPassword, insecure: true,
			warn: []string{"level=WARN", "plain http to another machine", "mifos.insecure_http = true", "host=10.9.9.9"}},
		{name: "short password", base: "https://fineract.example.org/fineract-provider", password: shortPassword,
			warn: []string{"level=WARN", "shorter than 8 characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logged bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logged, nil))
			c, err := newFineract(linkConfig(tc.base, tc.password, tc.insecure), log, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("newFineract built a client (%v), error %v; want an error containing %q", c != nil, err, tc.wantErr)
				}
				return
			}
			if err != nil || c == nil {
				t.Fatalf("newFineract: %v", err)
			}
			out := logged.String()
			if len(tc.warn) == 0 && out != "" {
				t.Errorf("unexpected log: %s", out)
			}
			for _, w := range tc.warn {
				if !strings.Contains(out, w) {
					t.Errorf("log lacks %q: %s", w, out)
				}
			}
			if strings.Contains(out, tc.password) {
				t.Errorf("the log shows the password: %s", out)
			}
		})
	}
}

// Without [mifos] timezone the box dates postings in its own zone: the
// daemon says so at start, and the handlers take the box's zone; set, the
// handlers take the tenant's zone and nothing is said.
func TestTenantZoneFromConfig(t *testing.T) {
	for _, tc := range []struct{ timezone, zone, warn string }{
		{"", time.Local.String(), "mifos.timezone is not set"},
		{"Africa/Nairobi", "Africa/Nairobi", ""},
	} {
		cfg := linkConfig("https://fineract.example.org/fineract-provider", "Kx7-long-enough", false)
		cfg.Mifos.Timezone = tc.timezone
		var logged bytes.Buffer
		warnTenantZone(cfg, slog.New(slog.NewTextHandler(&logged, nil)))
		if tc.warn == "" && logged.Len() != 0 || tc.warn != "" && !strings.Contains(logged.String(), tc.warn) {
			t.Errorf("timezone %q: log %q, want %q", tc.timezone, logged.String(), tc.warn)
		}
		db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		key, _, err := boxkey.LoadOrCreate(filepath.Join(t.TempDir(), "box.key"))
		if err != nil {
			t.Fatal(err)
		}
		env, err := NewEnv(cfg, db, nil, key, nil)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if env.Zone.String() != tc.zone {
			t.Errorf("timezone %q: the handlers' zone is %s, want %s", tc.timezone, env.Zone, tc.zone)
		}
	}
}

// A redirect while resolving an offline payment is the box's base_url, not
// the payment: it must wait like an outage, not be refused for good. The
// Fineract here sits behind a misconfigured proxy: every call is answered
// with a redirect.
func TestResolverWaitsOnRedirect(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://fineract.example.org"+r.URL.Path, http.StatusFound)
	}))
	defer proxy.Close()
	api, err := mifos.New(mifos.Config{BaseURL: proxy.URL, Tenant: "default", Username: "mifos", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	env := &handler.Env{API: api}
	item, err := json.Marshal(handler.PayItem{Kind: handler.LoanItem, Index: 1, Amount: 1_000_000, Raw: "L1=1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = resolver(env)(context.Background(), store.JournalEntry{Kind: store.JournalUnresolved, ClientRef: "42", Payload: item})
	var perm interface{ Permanent() bool }
	if err == nil || (errors.As(err, &perm) && perm.Permanent()) || !mifos.IsRedirect(err) {
		t.Fatalf("resolving during a redirect: %v; want the redirect, not a permanent refusal", err)
	}
}
