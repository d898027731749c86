// Package ops serves the operations endpoints a head office watches a
// fleet of branch boxes with: /healthz (can the box keep what it is given?)
// and /metrics (Prometheus text format, names prefixed mifos_edge_).
//
// Counters and the send-latency histogram are fed by the daemon's stages
// as things happen (Metrics); everything else is read when scraped, from
// the store's indexes and the modem's last status, so an idle box does no
// work for monitoring between scrapes. Neither endpoint shows a phone
// number, a name or an amount: counts, ages and states only.
package ops

import (
	"net/http"
	"time"

	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/token"
	"github.com/mifos-edge/mifos-edge/web"
)

// Queues is what the scrape reads of the store's queues.
type Queues interface {
	Stats() (store.Stats, error)
	OldestWaiting() (store.Oldest, error)
}

// StoreFile is the store as a file: written to prove it is writable, and
// measured.
type StoreFile interface {
	Update(fn func(tx *store.Tx) error) error
	Path() string
}

// Setup reports the daemon's last Fineract setup check: checked is false
// before the first; problems names the checks that failed.
type Setup func() (checked bool, problems []string)

// Options are what the endpoints read.
type Options struct {
	Queues Queues
	Store  StoreFile
	// Modem is the modem's last status (modem.Modem.Status).
	Modem func() modem.Status
	// Metrics are the daemon's counters; its Fineract part is shown only
	// when the box talks to Fineract.
	Metrics *Metrics
	// Setup is nil without [mifos].
	Setup Setup
	// Payments, set while mobile money is on, counts payments by state
	// (mifos_edge_payments, mifos_edge_suspense_payments).
	Payments func() (map[store.PaymentState]int, error)
	// DisburseLines, set while mobile disbursement is on, counts lines by
	// state (mifos_edge_disbursement_lines).
	DisburseLines func() (map[store.LineState]int, error)
	// Tokens, when set, make /metrics need a bearer token with scope
	// "read" ([http] metrics_token); nil leaves it open on the listen
	// address: it shows counts only.
	Tokens web.Tokens
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

// Mount adds GET /healthz and GET /metrics to mux.
func Mount(mux *http.ServeMux, o Options) {
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &health{o: o, probe: newProber(o.Store, o.Now)}
	mux.Handle("GET /healthz", h)
	var m http.Handler = &scrape{o: o, probe: h.probe, build: readBuildInfo()}
	if o.Tokens != nil {
		m = web.RequireScope(o.Tokens, token.ScopeRead, m)
	}
	mux.Handle("GET /metrics", m)
}
