package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

var secret = []byte("0123456789abcdef-test-secret")

func openStore(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path, store.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// receiver is an integrator's endpoint: it checks every signature and
// records what it got; answer decides each status.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	got    []Envelope
	hdrs   []http.Header
	bad    int
	answer func(n int) int
	// slack is the signature age accepted (tests with a fake clock).
	slack time.Duration
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	r := &receiver{t: t, answer: answer, slack: 5 * time.Minute}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := Verify(secret, req.Header.Get(SignatureHeader), body, time.Now(), r.slack); err != nil {
			r.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var e Envelope
		if err := json.Unmarshal(body, &e); err != nil || e.ID != req.Header.Get("X-Mifos-Edge-Event-Id") || e.Type != req.Header.Get("X-Mifos-Edge-Event") {
			r.t.Errorf("body %s does not match headers %v", body, req.Header)
		}
		r.got = append(r.got, e)
		r.hdrs = append(r.hdrs, req.Header.Clone())
		status := 200
		if r.answer != nil {
			status = r.answer(len(r.got))
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) events() []Envelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Envelope(nil), r.got...)
}

func (r *receiver) waitFor(n int) []Envelope {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if got := r.events(); len(got) >= n {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.t.Fatalf("receiver got %d events, want %d", len(r.events()), n)
	return nil
}

// happen writes one of each event source into the store, each the way the
// daemon does: a handled SMS, an API SMS given up, a box reply given up
// (no event), a posting settled, a modem note.
func happen(t *testing.T, db *store.DB) {
	t.Helper()
	res, err := db.AddSegment(store.Segment{Fingerprint: "fp1", Sender: "+254711000001", SenderType: "international", Text: "YES", ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *store.Tx) error { return tx.MarkHandled(res.MessageID, "") }); err != nil {
		t.Fatal(err)
	}
	for _, origin := range []string{"api:0badc0de", "reply:1"} {
		id, err := db.Enqueue(store.Outbound{To: "+254711000001", Text: "hello", Origin: origin})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.MarkFailed(id, "no network"); err != nil {
			t.Fatal(err)
		}
	}
	jid, err := db.AppendJournal(store.JournalEntry{Kind: store.JournalLoanRepayment, AccountID: 7, AccountNo: "000000007", ExternalID: "E2E-1",
		Amount: 1_500_000_000, Currency: "KES", Date: "2026-12-01", ClientPhone: "+254711000001"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.MarkJournalPosting(jid, "k1"); err != nil {
		t.Fatal(err)
	}
	if err := db.SettleJournal(jid, store.JournalDone, []int64{99}, "posted", nil); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(ModemEvent{State: "lost", Registration: "searching for a network"})
	if err := db.Update(func(tx *store.Tx) error { return tx.AddFeedNote(NoteModemLost, data) }); err != nil {
		t.Fatal(err)
	}
}

func TestPumpAndDeliverSigned(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	rcv := newReceiver(t, nil)
	other := newReceiver(t, nil)
	hooks := []Hook{
		{URL: rcv.srv.URL, Events: Events, Secret: secret, GiveUpAfter: time.Hour},
		{URL: other.srv.URL, Events: []string{ModemState}, Secret: secret, GiveUpAfter: time.Hour},
	}
	happen(t, db)
	n, err := Pump(db, hooks, "KE", 100)
	if err != nil || n != 5 {
		t.Fatalf("pump consumed %d entries, %v; want 5", n, err)
	}
	// A second pump finds nothing new: each entry becomes deliveries once.
	if n, err := Pump(db, hooks, "KE", 100); n != 0 || err != nil {
		t.Fatalf("second pump: %d, %v", n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := &Deliverer{DB: db, Hooks: hooks, Log: slog.New(slog.DiscardHandler)}
	go d.Run(ctx)
	got := rcv.waitFor(4)
	types := map[string]Envelope{}
	for _, e := range got {
		types[e.Type] = e
	}
	if len(types) != 4 || types[SMSReceived].ID == "" || types[SMSFailed].ID == "" || types[PostingSettled].ID == "" || types[ModemState].ID == "" {
		t.Fatalf("events %+v", got)
	}
	if !strings.Contains(string(types[SMSReceived].Data), `"text":"YES"`) || !strings.Contains(string(types[SMSFailed].Data), `"token_id":"0badc0de"`) ||
		!strings.Contains(string(types[PostingSettled].Data), `"amount":"1500"`) || strings.Contains(string(types[PostingSettled].Data), "254711000001") {
		t.Errorf("data: %s | %s | %s", types[SMSReceived].Data, types[SMSFailed].Data, types[PostingSettled].Data)
	}
	og := other.waitFor(1)
	if og[0].ID != types[ModemState].ID {
		t.Errorf("one event has two ids: %s and %s", og[0].ID, types[ModemState].ID)
	}
	time.Sleep(100 * time.Millisecond)
	if len(rcv.events()) != 4 || len(other.events()) != 1 || rcv.bad+other.bad != 0 {
		t.Errorf("extra or badly signed deliveries: %d, %d, bad %d", len(rcv.events()), len(other.events()), rcv.bad+other.bad)
	}
	if q, _ := db.WebhookDeliveries(false, 0); len(q) != 0 {
		t.Errorf("%d deliveries still queued after 2xx", len(q))
	}
}

func TestRetryBackoffAndDeadLetter(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	rcv := newReceiver(t, func(n int) int {
		if n < 3 {
			return 503
		}
		return 204
	})
	now := time.Now()
	hooks := []Hook{{URL: rcv.srv.URL, Events: []string{ModemState}, Secret: secret, GiveUpAfter: time.Hour}}
	d := &Deliverer{DB: db, Hooks: hooks, Log: slog.New(slog.DiscardHandler), Client: NewClient(2 * time.Second),
		Now: func() time.Time { return now }, Jitter: func(d time.Duration) time.Duration { return d }}
	data, _ := json.Marshal(ModemEvent{State: "registered"})
	if err := db.Update(func(tx *store.Tx) error { return tx.AddFeedNote(NoteModemRegistered, data) }); err != nil {
		t.Fatal(err)
	}
	if _, err := Pump(db, hooks, "KE", 10); err != nil {
		t.Fatal(err)
	}
	now = time.Now()
	var waits []time.Duration
	for range 3 {
		due, err := db.DueWebhooks(now, 10, nil)
		if err != nil || len(due) != 1 {
			t.Fatalf("due: %v %v", due, err)
		}
		d.attempt(context.Background(), due[0])
		if q, _ := db.WebhookDeliveries(false, 0); len(q) == 1 {
			waits = append(waits, q[0].NextAttempt.Sub(now))
			if none, _ := db.DueWebhooks(now, 10, nil); len(none) != 0 {
				t.Fatal("a failed delivery is due again at once")
			}
			now = q[0].NextAttempt
		}
	}
	if fmt.Sprint(waits) != "[10s 20s]" {
		t.Errorf("waits %v, want [10s 20s] (10 s doubling, jitter at its top)", waits)
	}
	got := rcv.events()
	if len(got) != 3 || got[0].ID != got[2].ID || rcv.hdrs[2].Get("X-Mifos-Edge-Attempt") != "3" {
		t.Errorf("deliveries %v", got)
	}
	if q, _ := db.WebhookDeliveries(false, 0); len(q) != 0 {
		t.Errorf("still queued after 204: %+v", q)
	}

	// A receiver that never answers 2xx: given up after give_up_after.
	down := newReceiver(t, func(int) int { return 500 })
	down.slack = 100 * time.Hour
	d.Hooks = []Hook{{URL: down.srv.URL, Events: []string{ModemState}, Secret: secret, GiveUpAfter: time.Minute}}
	if err := db.Update(func(tx *store.Tx) error { return tx.AddFeedNote(NoteModemLost, data) }); err != nil {
		t.Fatal(err)
	}
	if _, err := Pump(db, d.Hooks, "KE", 10); err != nil {
		t.Fatal(err)
	}
	now = time.Now()
	start := now
	for i := 0; i < 10; i++ {
		due, _ := db.DueWebhooks(now, 10, nil)
		if len(due) == 0 {
			break
		}
		d.attempt(context.Background(), due[0])
		now = now.Add(time.Hour)
	}
	dead, _ := db.WebhookDeliveries(true, 0)
	if len(dead) != 1 || dead[0].Attempts != 2 || !strings.Contains(dead[0].LastError, "500") || dead[0].DeadAt.IsZero() {
		t.Errorf("dead letters %+v (started %v)", dead, start)
	}
	if q, _ := db.WebhookDeliveries(false, 0); len(q) != 0 {
		t.Errorf("a dead letter is still queued: %+v", q)
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	none := func(time.Duration) time.Duration { return 0 }
	full := func(d time.Duration) time.Duration { return d }
	for attempts, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 5: 160 * time.Second, 30: time.Hour} {
		if got := Backoff(attempts, full); got != want {
			t.Errorf("attempt %d: %v, want %v", attempts, got, want)
		}
		if got := Backoff(attempts, none); got != want/2 {
			t.Errorf("attempt %d, no jitter: %v, want %v", attempts, got, want/2)
		}
	}
	seen := map[time.Duration]bool{}
	for range 50 {
		b := Backoff(3, fullJitter)
		if b < 20*time.Second || b > 40*time.Second {
			t.Fatalf("jittered backoff %v outside 20s..40s", b)
		}
		seen[b] = true
	}
	if len(seen) < 10 {
		t.Errorf("jitter gave only %d distinct waits in 50", len(seen))
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	elsewhere := newReceiver(t, nil)
	redirector := httptest.NewServer(http.RedirectHandler(elsewhere.srv.URL, http.StatusTemporaryRedirect))
	defer redirector.Close()
	hooks := []Hook{{URL: redirector.URL, Events: []string{ModemState}, Secret: secret, GiveUpAfter: time.Hour}}
	data, _ := json.Marshal(ModemEvent{State: "registered"})
	_ = db.Update(func(tx *store.Tx) error { return tx.AddFeedNote(NoteModemRegistered, data) })
	if _, err := Pump(db, hooks, "KE", 10); err != nil {
		t.Fatal(err)
	}
	d := &Deliverer{DB: db, Hooks: hooks, Log: slog.New(slog.DiscardHandler), Client: NewClient(2 * time.Second), Now: time.Now, Jitter: fullJitter}
	due, _ := db.DueWebhooks(time.Now(), 10, nil)
	d.attempt(context.Background(), due[0])
	q, _ := db.WebhookDeliveries(false, 0)
	if len(elsewhere.events()) != 0 || len(q) != 1 || !strings.Contains(q[0].LastError, "redirect") {
		t.Errorf("redirect followed or not recorded: %d events elsewhere, queue %+v", len(elsewhere.events()), q)
	}
}

// TestCrashBetweenEventAndDelivery: the daemon dies (the store is closed
// without a pump) right after an SMS was handled, then again after the
// receiver got the event but before the box recorded it. After each
// restart the event arrives: at least once, always with the same event id.
func TestCrashBetweenEventAndDelivery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	rcv := newReceiver(t, nil)
	hooks := []Hook{{URL: rcv.srv.URL, Events: []string{SMSReceived}, Secret: secret, GiveUpAfter: time.Hour}}

	db := openStore(t, path)
	res, _ := db.AddSegment(store.Segment{Fingerprint: "fp", Sender: "+254711000001", SenderType: "international", Text: "STOP", ReceivedAt: time.Now()})
	if err := db.Update(func(tx *store.Tx) error { return tx.MarkHandled(res.MessageID, "") }); err != nil {
		t.Fatal(err)
	}
	db.Close() // killed: nothing pumped yet

	db = openStore(t, path)
	if n, err := Pump(db, hooks, "KE", 10); n != 1 || err != nil {
		t.Fatalf("after restart the pump found %d entries, %v", n, err)
	}
	due, _ := db.DueWebhooks(time.Now(), 10, nil)
	d := &Deliverer{DB: db, Hooks: hooks, Log: slog.New(slog.DiscardHandler), Client: NewClient(2 * time.Second), Now: time.Now, Jitter: fullJitter}
	if err := d.post(context.Background(), hooks[0], due[0]); err != nil { // the receiver has it...
		t.Fatal(err)
	}
	db.Close() // ...and the box dies before recording it

	db = openStore(t, path)
	defer db.Close()
	if n, _ := Pump(db, hooks, "KE", 10); n != 0 {
		t.Errorf("the pump turned the same entry into deliveries twice (%d)", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.DB = db
	go d.Run(ctx)
	got := rcv.waitFor(2)
	if got[0].ID != got[1].ID || got[0].Type != SMSReceived {
		t.Errorf("redelivery has another id: %s, %s", got[0].ID, got[1].ID)
	}
	deadline := time.Now().Add(5 * time.Second)
	for q, _ := db.WebhookDeliveries(false, 0); len(q) != 0; q, _ = db.WebhookDeliveries(false, 0) {
		if time.Now().After(deadline) {
			t.Fatal("the redelivered event stays queued")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(rcv.events()); n != 2 {
		t.Errorf("%d deliveries, want 2 (one before the crash, one after)", n)
	}
}
