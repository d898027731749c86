package ops

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/token"
)

// Numbers that must never show on the open endpoints.
const (
	clientNumber = "+254700111222"
	simIMSI      = "639070123456789"
	smscNumber   = "+254722500029"
)

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func readyModem(lastOK time.Time) func() modem.Status {
	return func() modem.Status {
		return modem.Status{
			State: modem.StateReady, IMSI: simIMSI, IMEI: "356938035643809", SMSC: smscNumber,
			SignalRSSI: 20, SignalText: "excellent (-73 dBm)", Registration: 1, RegistrationText: "registered (home network)",
			LastOK: lastOK, Reconnects: 2, StorageUsed: 3, StorageTotal: 30,
		}
	}
}

func serve(o Options) *httptest.Server {
	mux := http.NewServeMux()
	Mount(mux, o)
	return httptest.NewServer(mux)
}

func get(t *testing.T, url, bearer string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func parse(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("exposition does not parse: %v\n%s", err, text)
	}
	return fams
}

// value finds the sample of family name whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, typ dto.MetricType, want map[string]string) *dto.Metric {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no family %s", name)
	}
	if f.GetType() != typ {
		t.Fatalf("%s is a %v, want %v", name, f.GetType(), typ)
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		return m
	}
	t.Fatalf("%s has no sample with labels %v", name, want)
	return nil
}

func gauge(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	return value(t, fams, name, dto.MetricType_GAUGE, pairs(labels)).GetGauge().GetValue()
}

func counter(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	return value(t, fams, name, dto.MetricType_COUNTER, pairs(labels)).GetCounter().GetValue()
}

func pairs(kv []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func enqueue(t *testing.T, db *store.DB, n int, p store.Priority) []uint64 {
	t.Helper()
	var ids []uint64
	for i := 0; i < n; i++ {
		id, err := db.Enqueue(store.Outbound{To: clientNumber, Text: "balance 1,234.00", Origin: "test", Priority: p})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestMetricsAfterKnownEvents(t *testing.T) {
	db := openStore(t)
	m := NewMetrics(true)
	now := time.Now()
	ids := enqueue(t, db, 3, store.PriorityInteractive)
	if err := db.MarkSubmitting(ids[0], 7); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkPartSubmitted(ids[0], 0, 42, 1); err != nil {
		t.Fatal(err)
	}
	sent, err := db.Outbound(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	m.ObserveSend(sent.Priority, sent.CreatedAt, sent.CreatedAt.Add(1500*time.Millisecond))
	if _, err := db.AppendJournal(store.JournalEntry{Kind: store.JournalLoanRepayment, AccountID: 9, Amount: 1_000_000, ExternalID: "E2E-1", Date: "2026-01-05"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m.FineractAnswer(ctx, nil)
	m.FineractAnswer(ctx, &mifos.Error{Status: 404, Code: "error.msg.loan.id.invalid"})
	m.FineractAnswer(ctx, errors.New("dial tcp: connection refused"))
	m.FineractAnswer(ctx, errors.New("dial tcp: connection refused"))
	// A request we hung up on ourselves is not Fineract's error.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	m.FineractAnswer(cancelled, context.Canceled)

	srv := serve(Options{Queues: db, Store: db, Modem: readyModem(now.Add(-10 * time.Second)), Metrics: m,
		Setup: func() (bool, []string) { return true, []string{"permissions"} }})
	defer srv.Close()
	code, body, hdr := get(t, srv.URL+"/metrics", "")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("status %d, content type %q", code, hdr.Get("Content-Type"))
	}
	for _, secret := range []string{clientNumber, simIMSI, smscNumber, "1,234"} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics shows %q", secret)
		}
	}
	fams := parse(t, body)
	for state, want := range map[string]float64{"queued": 2, "submitted": 1, "submitting": 0, "unknown": 0, "failed": 0} {
		if got := gauge(t, fams, "mifos_edge_messages_out", "state", state); got != want {
			t.Errorf("messages_out{state=%q} = %v, want %v", state, got, want)
		}
	}
	if got := gauge(t, fams, "mifos_edge_messages_in", "state", "pending"); got != 0 {
		t.Errorf("messages_in pending = %v", got)
	}
	if got := gauge(t, fams, "mifos_edge_journal_entries", "state", "pending"); got != 1 {
		t.Errorf("journal pending = %v, want 1", got)
	}
	if got := gauge(t, fams, "mifos_edge_oldest_waiting_seconds", "queue", "outbox"); got < 0 || got > time.Since(now).Seconds()+1 {
		t.Errorf("oldest outbox age = %v", got)
	}
	if got := gauge(t, fams, "mifos_edge_oldest_waiting_seconds", "queue", "inbox"); got != 0 {
		t.Errorf("empty inbox has oldest age %v, want 0", got)
	}
	h := value(t, fams, "mifos_edge_send_latency_seconds", dto.MetricType_HISTOGRAM, map[string]string{"priority": "interactive"}).GetHistogram()
	if h.GetSampleCount() != 1 || h.GetSampleSum() != 1.5 {
		t.Errorf("send latency: count %d sum %v, want 1 and 1.5", h.GetSampleCount(), h.GetSampleSum())
	}
	for _, b := range h.Bucket {
		want := uint64(0)
		if b.GetUpperBound() >= 2 {
			want = 1
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v has %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
	if got := counter(t, fams, "mifos_edge_fineract_requests_total"); got != 4 {
		t.Errorf("fineract requests = %v, want 4", got)
	}
	for class, want := range map[string]float64{"unreachable": 2, "refused": 1, "server_error": 0, "not_allowed": 0} {
		if got := counter(t, fams, "mifos_edge_fineract_errors_total", "class", class); got != want {
			t.Errorf("fineract errors{class=%q} = %v, want %v", class, got, want)
		}
	}
	if got := gauge(t, fams, "mifos_edge_fineract_up"); got != 0 {
		t.Errorf("fineract_up = %v after an unreachable answer", got)
	}
	if got := gauge(t, fams, "mifos_edge_fineract_setup_problems"); got != 1 {
		t.Errorf("setup problems = %v", got)
	}
	if got := gauge(t, fams, "mifos_edge_modem_up"); got != 1 {
		t.Errorf("modem_up = %v", got)
	}
	if got := gauge(t, fams, "mifos_edge_modem_signal_dbm"); got != -73 {
		t.Errorf("signal = %v dBm, want -73", got)
	}
	if gauge(t, fams, "mifos_edge_modem_registration", "status", "home") != 1 || gauge(t, fams, "mifos_edge_modem_registration", "status", "roaming") != 0 {
		t.Error("registration enum does not say home")
	}
	if got := gauge(t, fams, "mifos_edge_modem_last_answer_age_seconds"); got < 10 || got > 10+time.Since(now).Seconds()+1 {
		t.Errorf("modem last answer age = %v, want about 10", got)
	}
	if got := counter(t, fams, "mifos_edge_modem_reconnects_total"); got != 2 {
		t.Errorf("reconnects = %v", got)
	}
	if gauge(t, fams, "mifos_edge_store_writable") != 1 || gauge(t, fams, "mifos_edge_store_size_bytes") <= 0 {
		t.Error("store gauges wrong")
	}
	free, size := gauge(t, fams, "mifos_edge_store_filesystem_free_bytes"), gauge(t, fams, "mifos_edge_store_filesystem_size_bytes")
	if free <= 0 || size < free {
		t.Errorf("filesystem free %v of %v", free, size)
	}
	if gauge(t, fams, "mifos_edge_build_info") != 1 {
		t.Error("build_info is not 1")
	}
	if _, ok := fams["process_resident_memory_bytes"]; !ok {
		t.Error("no process_resident_memory_bytes")
	}
	// Without mobile money there are no payments to count: no fake zero.
	if _, ok := fams["mifos_edge_suspense_payments"]; ok {
		t.Error("mifos_edge_suspense_payments is exported while mobile money is off")
	}
}

func TestMetricsWithoutFineractOrModemShowNeither(t *testing.T) {
	db := openStore(t)
	srv := serve(Options{Queues: db, Store: db, Metrics: NewMetrics(false)})
	defer srv.Close()
	_, body, _ := get(t, srv.URL+"/metrics", "")
	fams := parse(t, body)
	for name := range fams {
		if strings.HasPrefix(name, "mifos_edge_fineract_") || strings.HasPrefix(name, "mifos_edge_modem_") {
			t.Errorf("%s shown on a box without [mifos] or modem status", name)
		}
	}
	if gauge(t, fams, "mifos_edge_messages_out", "state", "queued") != 0 {
		t.Error("empty outbox not 0")
	}
}

func TestFineractLinkUpAfterRefusal(t *testing.T) {
	m := NewMetrics(true)
	ctx := context.Background()
	m.FineractAnswer(ctx, errors.New("timeout"))
	if l := m.linkSnapshot(); l.up || l.lastClass != "unreachable" {
		t.Fatalf("after a timeout: %+v", l)
	}
	// Fineract refusing one request still answered: the link works.
	m.FineractAnswer(ctx, &mifos.Error{Status: 400, Code: "validation.msg.x", Errors: []mifos.FieldError{{Code: "x"}}})
	if l := m.linkSnapshot(); !l.up {
		t.Fatalf("after a refusal the link is down: %+v", l)
	}
	// Refusing the box's own user is a link a person must fix.
	m.FineractAnswer(ctx, &mifos.Error{Status: 401})
	if l := m.linkSnapshot(); l.up || l.lastClass != "not_allowed" {
		t.Fatalf("after 401: %+v", l)
	}
}

func TestHealthzOK(t *testing.T) {
	db := openStore(t)
	enqueue(t, db, 1, store.PriorityNotification)
	m := NewMetrics(true)
	m.FineractAnswer(context.Background(), nil)
	srv := serve(Options{Queues: db, Store: db, Modem: readyModem(time.Now()), Metrics: m,
		Setup: func() (bool, []string) { return true, nil }})
	defer srv.Close()
	code, body, hdr := get(t, srv.URL+"/healthz", "")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d %q: %s", code, hdr.Get("Content-Type"), body)
	}
	var h Health
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatal(err)
	}
	if h.Status != "ok" || !h.Store.Writable || h.Modem.State != "ready" || h.Modem.Registration != "home" ||
		h.Modem.SignalDBm == nil || *h.Modem.SignalDBm != -73 || !h.Fineract.Configured || h.Fineract.Link != "up" || !h.Fineract.SetupChecked {
		t.Errorf("unexpected health: %s", body)
	}
	for _, secret := range []string{clientNumber, simIMSI, smscNumber, "356938035643809"} {
		if strings.Contains(body, secret) {
			t.Errorf("/healthz shows %q", secret)
		}
	}
	// The probe wrote where it said, nowhere else.
	err := db.View(func(tx *store.Tx) error {
		b, err := tx.Bucket(probeBucket)
		if err != nil {
			return err
		}
		if b.Get([]byte(probeKey)) == nil {
			return errors.New("no probe record")
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

func TestHealthz503WhenStoreClosed(t *testing.T) {
	db := openStore(t)
	srv := serve(Options{Queues: db, Store: db, Metrics: NewMetrics(false)})
	defer srv.Close()
	db.Close()
	code, body, _ := get(t, srv.URL+"/healthz", "")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("status %d with the store closed: %s", code, body)
	}
	var h Health
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatal(err)
	}
	if h.Status != "unhealthy" || h.Store.Writable || !strings.Contains(h.Reason, "cannot be written") {
		t.Errorf("unexpected answer: %s", body)
	}
	// /metrics still answers, and says the store is not writable.
	code, body, _ = get(t, srv.URL+"/metrics", "")
	if code != 200 {
		t.Fatalf("/metrics %d with the store closed", code)
	}
	if fams := parse(t, body); gauge(t, fams, "mifos_edge_store_writable") != 0 {
		t.Error("store_writable is not 0 with the store closed")
	}
}

// countingStore counts write probes and can hang them.
type countingStore struct {
	*store.DB
	writes atomic.Int32
	hang   chan struct{} // non-nil: writes wait for it to close
}

func (c *countingStore) Update(fn func(tx *store.Tx) error) error {
	c.writes.Add(1)
	if c.hang != nil {
		<-c.hang
	}
	return c.DB.Update(fn)
}

func TestHealthzProbeIsCachedAndShared(t *testing.T) {
	cs := &countingStore{DB: openStore(t)}
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	srv := serve(Options{Queues: cs, Store: cs, Now: now})
	defer srv.Close()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, body, _ := get(t, srv.URL+"/healthz", ""); code != 200 {
				t.Errorf("status %d: %s", code, body)
			}
		}()
	}
	wg.Wait()
	if n := cs.writes.Load(); n != 1 {
		t.Fatalf("20 health checks within %s made %d writes, want 1", probeFresh, n)
	}
	mu.Lock()
	clock = clock.Add(probeFresh)
	mu.Unlock()
	get(t, srv.URL+"/healthz", "")
	if n := cs.writes.Load(); n != 2 {
		t.Fatalf("after %s: %d writes, want 2", probeFresh, n)
	}
	// A scrape reuses a probe up to a minute old.
	get(t, srv.URL+"/metrics", "")
	if n := cs.writes.Load(); n != 2 {
		t.Fatalf("a scrape right after a probe wrote again (%d writes)", n)
	}
}

func TestHealthzHungDisk(t *testing.T) {
	cs := &countingStore{DB: openStore(t), hang: make(chan struct{})}
	srv := serve(Options{Queues: cs, Store: cs})
	defer srv.Close()
	start := time.Now()
	code, body, _ := get(t, srv.URL+"/healthz", "")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "did not finish") {
		t.Fatalf("status %d: %s", code, body)
	}
	if d := time.Since(start); d > probeWait+2*time.Second {
		t.Errorf("a hung disk held the request %s", d)
	}
	// The next check waits on the same probe, not a second one.
	get(t, srv.URL+"/healthz", "")
	if n := cs.writes.Load(); n != 1 {
		t.Errorf("%d probes started on a hung disk, want 1", n)
	}
	close(cs.hang)
}

func TestMetricsToken(t *testing.T) {
	db := openStore(t)
	mint := func(scopes ...string) string {
		text, id, hash, err := token.New()
		if err != nil {
			t.Fatal(err)
		}
		if err := db.AddToken(store.APIToken{ID: id, Name: "prometheus", Scopes: scopes, Hash: hash, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		return text
	}
	read, send := mint(token.ScopeRead), mint(token.ScopeSend)
	srv := serve(Options{Queues: db, Store: db, Tokens: db})
	defer srv.Close()
	if code, _, hdr := get(t, srv.URL+"/metrics", ""); code != 401 || hdr.Get("WWW-Authenticate") == "" {
		t.Errorf("no token: %d", code)
	}
	if code, _, _ := get(t, srv.URL+"/metrics", "me_bogus"); code != 401 {
		t.Errorf("bogus token: %d", code)
	}
	if code, _, _ := get(t, srv.URL+"/metrics", send); code != 403 {
		t.Errorf("send-scope token: %d", code)
	}
	if code, body, _ := get(t, srv.URL+"/metrics", read); code != 200 || !strings.Contains(body, "mifos_edge_messages_out") {
		t.Errorf("read token: %d", code)
	}
	// /healthz stays open: a load balancer or systemd probe has no token.
	if code, _, _ := get(t, srv.URL+"/healthz", ""); code != 200 {
		t.Errorf("healthz with metrics_token: %d", code)
	}
}

func TestOnlyGet(t *testing.T) {
	db := openStore(t)
	srv := serve(Options{Queues: db, Store: db})
	defer srv.Close()
	for _, path := range []string{"/metrics", "/healthz"} {
		res, err := http.Post(srv.URL+path, "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: %d", path, res.StatusCode)
		}
	}
}

// With mobile money on, the payments by state and the suspense count come
// from the store's counts.
func TestPaymentMetrics(t *testing.T) {
	db := openStore(t)
	for _, txn := range []string{"QA1", "QA2", "QA3"} {
		err := db.Update(func(tx *store.Tx) error {
			p, _, err := tx.AddPayment(store.Payment{Operator: "mpesa-ke", TxnID: txn, Kind: "payment", Amount: 1_000_000000,
				Currency: "KES", Source: "sms", State: store.PaymentPending})
			if err != nil || txn == "QA3" {
				return err
			}
			_, err = tx.SuspendPayment(p.Key(), "masked phone")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	srv := serve(Options{Queues: db, Store: db, Metrics: NewMetrics(false), Payments: db.PaymentCounts})
	defer srv.Close()
	_, body, _ := get(t, srv.URL+"/metrics", "")
	fams := parse(t, body)
	if got := gauge(t, fams, "mifos_edge_suspense_payments"); got != 2 {
		t.Errorf("suspense = %v, want 2", got)
	}
	if got := gauge(t, fams, "mifos_edge_payments", "state", "pending"); got != 1 {
		t.Errorf("pending = %v, want 1", got)
	}
}

// Disbursement lines are counted by state from the store's indexes.
func TestMetricsCountDisbursementLines(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, lines, err := db.CreateDisburseBatch(store.DisburseBatch{StaffID: 12, Currency: "KES", Decimals: 2},
		[]store.DisburseLine{{LoanID: 1, Phone: "+254711000001", Amount: 1_000_000000, Currency: "KES"},
			{LoanID: 2, Phone: "+254711000002", Amount: 1_000_000000, Currency: "KES"}},
		func(id uint64) string { return "R" + strconv.FormatUint(id, 10) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SendDisburseBatch(b.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.MarkLineSending(lines[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LineUnknown(lines[0].ID, "answer lost", time.Now()); err != nil {
		t.Fatal(err)
	}
	srv := serve(Options{Queues: db, Store: db, Metrics: NewMetrics(false), DisburseLines: db.DisburseLineCounts})
	defer srv.Close()
	_, body, _ := get(t, srv.URL+"/metrics", "")
	fams := parse(t, body)
	if got := gauge(t, fams, "mifos_edge_disbursement_lines", "state", "unknown"); got != 1 {
		t.Errorf("unknown = %v, want 1", got)
	}
	if got := gauge(t, fams, "mifos_edge_disbursement_lines", "state", "pending"); got != 1 {
		t.Errorf("pending = %v, want 1", got)
	}
}
