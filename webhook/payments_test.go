package webhook

import (
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

// A payment that goes to suspense, then (assigned by a person) posts,
// gives payment.suspense and then payment.posted, each with the payment
// as it stood then.
func TestPaymentEvents(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	rcv := newReceiver(t, nil)
	hooks := []Hook{{URL: rcv.srv.URL, Events: []string{PaymentPosted, PaymentSuspense}, Secret: secret, GiveUpAfter: time.Hour}}
	var key string
	if err := db.Update(func(tx *store.Tx) error {
		p, _, err := tx.AddPayment(store.Payment{Operator: "mpesa-ke", TxnID: "QEV1", Kind: "payment", Amount: 1_050_500_000, Currency: "KES",
			PayerPhone: "0712***678", Source: "sms", State: store.PaymentPending})
		if err != nil {
			return err
		}
		key = p.Key()
		_, err = tx.SuspendPayment(key, "the payer's number is masked")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var jid uint64
	if err := db.Update(func(tx *store.Tx) error {
		p, err := tx.JournalPayment(key, 42, []store.JournalEntry{{Kind: store.JournalSavingsDeposit, AccountID: 77, AccountNo: "000000077",
			Amount: 1_050_500_000, Currency: "KES", Date: "2026-12-01", Receipt: "QEV1"}})
		jid = p.Journal[0]
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.SettleJournal(jid, store.JournalDone, []int64{555}, "posted", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Pump(db, hooks, "KE", 100); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go (&Deliverer{DB: db, Hooks: hooks, Log: slog.New(slog.DiscardHandler)}).Run(ctx)
	got := rcv.waitFor(2)
	byType := map[string]Envelope{}
	for _, e := range got {
		byType[e.Type] = e
	}
	if len(byType) != 2 || byType[PaymentSuspense].ID == "" || byType[PaymentPosted].ID == "" {
		t.Fatalf("events %+v", got)
	}
	// Deliveries are not ordered; the event ids are (the feed's order).
	seq := func(id string) int { n, _ := strconv.Atoi(strings.TrimPrefix(id, "evt_")); return n }
	if seq(byType[PaymentSuspense].ID) >= seq(byType[PaymentPosted].ID) {
		t.Errorf("suspense %s after posted %s", byType[PaymentSuspense].ID, byType[PaymentPosted].ID)
	}
	s, p := string(byType[PaymentSuspense].Data), string(byType[PaymentPosted].Data)
	if !strings.Contains(s, `"state":"suspense"`) || !strings.Contains(s, `"reason":"the payer's number is masked"`) || !strings.Contains(s, `"amount":1050.5`) {
		t.Errorf("suspense data %s", s)
	}
	if !strings.Contains(p, `"state":"posted"`) || !strings.Contains(p, `"fineract_txn_id":555`) || !strings.Contains(p, `"txn_id":"QEV1"`) {
		t.Errorf("posted data %s", p)
	}
}
