package daraja

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/darajasim"
	"github.com/mifos-edge/mifos-edge/disburse"
)

// Distinct secret values, so a test can look for them where they must
// not be.
const (
	testKey        = "ck-Zq81RbTwK"
	testSecret     = "cs-9fXv2LmPq"
	testInitiator  = "mifosapi"
	testCredential = "Sc/RSA+Q9xkV3Lw8=="
	testShortCode  = "600997"
	testCBToken    = "cbtok-7Hn2Kd0sWq"
)

// reporter records what the provider reports.
type reporter struct {
	mu   sync.Mutex
	got  []disburse.Result
	ch   chan disburse.Result
	fail atomic.Bool
}

func newReporter() *reporter { return &reporter{ch: make(chan disburse.Result, 100)} }

func (r *reporter) Report(_ context.Context, res disburse.Result) error {
	if r.fail.Load() {
		return errors.New("the store is full")
	}
	r.mu.Lock()
	r.got = append(r.got, res)
	r.mu.Unlock()
	r.ch <- res
	return nil
}

func (r *reporter) all() []disburse.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]disburse.Result(nil), r.got...)
}

// next waits for the next report (a missing one fails the test only after
// a generous wait: it says nothing about speed).
func (r *reporter) next(t *testing.T) disburse.Result {
	t.Helper()
	select {
	case res := <-r.ch:
		return res
	case <-time.After(10 * time.Second):
		t.Fatal("no result reported")
		return disburse.Result{}
	}
}

// clock is a settable clock shared by the stand-in and the provider.
type clock struct{ t atomic.Pointer[time.Time] }

func newClock() *clock {
	c := &clock{}
	t := time.Date(2024, 7, 6, 19, 48, 52, 0, time.UTC)
	c.t.Store(&t)
	return c
}
func (c *clock) now() time.Time          { return *c.t.Load() }
func (c *clock) advance(d time.Duration) { t := c.now().Add(d); c.t.Store(&t) }

type rig struct {
	t    *testing.T
	sim  *darajasim.Server
	api  *httptest.Server
	hook *httptest.Server
	rep  *reporter
	p    *Provider
	clk  *clock
	logs *bytes.Buffer
	cfg  Config
	// handler serves the callbacks: the provider's that use says.
	handler atomic.Pointer[http.Handler]
}

type rigOpt func(*darajasim.Options, *Config)

// newRig runs the stand-in and the provider's callbacks over real HTTP.
func newRig(t *testing.T, opts ...rigOpt) *rig {
	t.Helper()
	g := &rig{t: t, rep: newReporter(), clk: newClock(), logs: &bytes.Buffer{}}
	simOpts := darajasim.Options{
		ConsumerKey: testKey, ConsumerSecret: testSecret, InitiatorName: testInitiator,
		SecurityCredential: testCredential, ShortCode: testShortCode,
		ResultDelay: time.Millisecond, Clock: g.clk.now, Seed: 7,
	}
	g.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*g.handler.Load()).ServeHTTP(w, r) }))
	t.Cleanup(g.hook.Close)
	base := g.hook.URL + CallbackPrefix + testCBToken
	g.cfg = Config{
		ConsumerKey: testKey, ConsumerSecret: testSecret, InitiatorName: testInitiator,
		SecurityCredential: testCredential, ShortCode: testShortCode, CommandID: "BusinessPayment",
		ResultURL: base + "/result", QueueTimeOutURL: base + "/timeout",
		StatusResultURL: base + "/status-result", StatusTimeOutURL: base + "/status-timeout",
		CallbackToken: testCBToken, Timeout: 5 * time.Second, Now: g.clk.now,
	}
	for _, o := range opts {
		o(&simOpts, &g.cfg)
	}
	g.sim = darajasim.New(simOpts)
	g.api = httptest.NewServer(g.sim)
	t.Cleanup(func() { g.sim.Close(); g.api.Close() }) // the stand-in first: it releases hanging requests
	g.cfg.BaseURL = g.api.URL
	g.use(g.provider())
	return g
}

// use makes p the provider under test, its callbacks the ones served.
func (g *rig) use(p *Provider) {
	g.p = p
	h := p.Callbacks()
	g.handler.Store(&h)
}

// provider makes another provider on the same stand-in (it has no token yet).
func (g *rig) provider() *Provider {
	g.t.Helper()
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: g.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := New(g.cfg, g.rep, log)
	if err != nil {
		g.t.Fatal(err)
	}
	return p
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func order(ref, phone string, kes int64) disburse.Order {
	return disburse.Order{LineID: 1, Ref: ref, Phone: phone, Amount: kes * 1_000_000, Currency: "KES", Remarks: "Loan 000000981"}
}

// settled waits for the stand-in's callbacks, then lists the reports.
func (g *rig) settled() []disburse.Result {
	g.sim.Settle()
	return g.rep.all()
}

// unknown: err says the request may have been accepted.
func unknown(err error) bool {
	var ns *disburse.NotSentError
	var rf *disburse.RefusedError
	return err != nil && !errors.As(err, &ns) && !errors.As(err, &rf)
}
