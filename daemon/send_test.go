package daemon

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/modem/atcmd"
	"github.com/mifos-edge/mifos-edge/store"
)

// scriptedSend answers each submitted part with the next error of a script
// (nil = accepted) and records what it was given.
type scriptedSend struct {
	results []error
	sent    []string
	mr      int
}

func (s *scriptedSend) send(_ context.Context, hex string, _ int) (int, error) {
	s.sent = append(s.sent, hex)
	var err error
	if len(s.results) > 0 {
		err, s.results = s.results[0], s.results[1:]
	}
	if err != nil {
		return 0, err
	}
	s.mr++
	return s.mr, nil
}

func newSendTestDaemon(t *testing.T, script *scriptedSend) *Daemon {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := &config.Config{}
	cfg.Modem.Device, cfg.Store.Path = "/dev/null", db.Path()
	cfg.SetDefaults()
	return &Daemon{cfg: cfg, db: db, log: slog.New(slog.DiscardHandler), send: script.send}
}

func cms(code int) error { return &atcmd.Error{Kind: atcmd.CMS, Code: code} }

// step queues (if needed) and runs one send pass for the due message.
func step(t *testing.T, d *Daemon) store.Outbound {
	t.Helper()
	o, ok, err := d.db.NextDue(time.Now().Add(time.Hour))
	if err != nil || !ok {
		t.Fatalf("nothing due: %v", err)
	}
	if err := d.sendOne(context.Background(), o); err != nil {
		t.Fatalf("sendOne: %v", err)
	}
	got, err := d.db.Outbound(o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestSendStateMachine(t *testing.T) {
	long := strings.Repeat("x", 200) // two GSM-7 parts
	cases := []struct {
		name      string
		text      string
		harmless  bool
		script    []error
		passes    int
		wantState store.OutState
		wantSent  int // PDUs handed to the modem over all passes
		check     func(t *testing.T, o store.Outbound)
	}{
		{name: "accepted", text: "hi", script: nil, passes: 1, wantState: store.OutSubmitted, wantSent: 1,
			check: func(t *testing.T, o store.Outbound) {
				if len(o.MRs) != 1 || o.MRs[0] != 1 {
					t.Errorf("MRs %v", o.MRs)
				}
			}},
		{name: "transient then only the missing part resent", text: long, script: []error{nil, cms(42)}, passes: 2,
			wantState: store.OutSubmitted, wantSent: 3,
			check: func(t *testing.T, o store.Outbound) {
				if o.PartsDone != 2 || len(o.MRs) != 2 {
					t.Errorf("parts %d MRs %v", o.PartsDone, o.MRs)
				}
			}},
		{name: "bad PDU is permanent", text: "hi", script: []error{cms(304)}, passes: 1, wantState: store.OutFailed, wantSent: 1},
		{name: "unknown outcome of a reply is resent once", text: "hi", harmless: true,
			script: []error{modem.ErrUnknownOutcome, nil}, passes: 2, wantState: store.OutSubmitted, wantSent: 2},
		{name: "second unknown outcome waits for a person", text: "hi", harmless: true,
			script: []error{modem.ErrUnknownOutcome, modem.ErrUnknownOutcome}, passes: 2, wantState: store.OutUnknown, wantSent: 2},
		{name: "unknown outcome of an operator SMS is never resent", text: "hi",
			script: []error{modem.ErrUnknownOutcome}, passes: 1, wantState: store.OutUnknown, wantSent: 1},
		{name: "modem away is not a failure", text: "hi",
			script: []error{modem.ErrNotReady, modem.ErrNotReady, modem.ErrNotReady, modem.ErrNotReady, modem.ErrNotReady,
				modem.ErrNotReady, modem.ErrNotReady, modem.ErrNotReady, modem.ErrNotReady, nil},
			passes: 10, wantState: store.OutSubmitted, wantSent: 10},
		{name: "a long modem outage does not spend the attempts", text: "hi",
			script: []error{modem.ErrNotReady, modem.ErrNotReady, modem.ErrNotReady, modem.ErrNotReady, modem.ErrNotReady,
				modem.ErrNotReady, modem.ErrNotReady, modem.ErrNotReady, modem.ErrNotReady, cms(42), nil},
			passes: 11, wantState: store.OutSubmitted, wantSent: 11},
		{name: "transient errors until the attempts run out", text: "hi",
			script: []error{cms(500), cms(500), cms(500), cms(500), cms(500), cms(500), cms(500), cms(500)},
			passes: 8, wantState: store.OutFailed, wantSent: 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			script := &scriptedSend{results: c.script}
			d := newSendTestDaemon(t, script)
			if _, err := d.db.Enqueue(store.Outbound{To: "+254712345678", Text: c.text, DuplicateHarmless: c.harmless}); err != nil {
				t.Fatal(err)
			}
			var o store.Outbound
			for i := 0; i < c.passes; i++ {
				o = step(t, d)
			}
			if o.State != c.wantState || len(script.sent) != c.wantSent {
				t.Fatalf("state %s after %d PDUs (%s), want %s after %d", o.State, len(script.sent), o.LastError, c.wantState, c.wantSent)
			}
			if c.check != nil {
				c.check(t, o)
			}
		})
	}
}

func TestInvalidNumberFailsWithoutTouchingTheModem(t *testing.T) {
	script := &scriptedSend{}
	d := newSendTestDaemon(t, script)
	if _, err := d.db.Enqueue(store.Outbound{To: "call me", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	o := step(t, d)
	if o.State != store.OutFailed || len(script.sent) != 0 {
		t.Fatalf("state %s, %d PDUs sent", o.State, len(script.sent))
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	for attempt := 1; attempt <= 12; attempt++ {
		want := min(backoffBase<<(attempt-1), backoffCap)
		for i := 0; i < 50; i++ {
			got := backoff(attempt)
			if got < want*8/10 || got > want*12/10 {
				t.Fatalf("backoff(%d) = %s, want %s ±20%%", attempt, got, want)
			}
		}
	}
}
