package handler

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// A PAY's confirmations are interactive: the officer and the client stand
// waiting for them. A collection sheet's receipts to each client are
// notifications (many, unasked for); the officer's total is interactive.
func TestConfirmationsAreClassed(t *testing.T) {
	env := &Env{}
	pay := entry(1, store.JournalDone, "L1", 500_000_000)
	pay.FineractTxnIDs = []int64{5}
	out := env.Confirmations(pay, []store.JournalEntry{pay})
	if len(out) != 2 {
		t.Fatalf("PAY confirmations: %+v", out)
	}
	for _, o := range out {
		if o.Priority != store.PriorityInteractive {
			t.Errorf("PAY confirmation to %s is %q, want interactive", o.To, o.Priority)
		}
	}
	payload, err := json.Marshal(CollectPayload{GroupName: "Umoja", Currency: mifos.Currency{Code: "KES", DecimalPlaces: 2},
		Clients: []CollectedShare{{ClientID: 42, Name: "Amina", Phone: "+254712345678", Amount: 100_000_000},
			{ClientID: 44, Name: "John", Phone: "+254733444555", Amount: 200_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	sheet := store.JournalEntry{ID: 2, Batch: 8, Kind: store.JournalCollectionSheet, State: store.JournalDone, Officer: "+254722000012",
		Amount: 300_000_000, Currency: "KES", Date: "2026-12-01", Payload: payload}
	out = env.Confirmations(sheet, []store.JournalEntry{sheet})
	if len(out) != 3 {
		t.Fatalf("collection confirmations: %+v", out)
	}
	for _, o := range out {
		want := store.PriorityNotification
		if o.To == sheet.Officer {
			want = store.PriorityInteractive
		}
		if o.Priority != want {
			t.Errorf("collection SMS to %s is %q, want %q", o.To, o.Priority, want)
		}
	}
}

// Reminders are bulk: any reply queued after them goes first.
func TestRemindersAreQueuedAsBulk(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	list := []Reminder{{ClientID: 1, Phone: "+254711000001", Text: "pay 1"}, {ClientID: 2, Phone: "+254711000002", Text: "pay 2"}}
	err = db.Update(func(tx *store.Tx) error {
		_, err := QueueReminders(tx, list, "remind:1", time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	queued, err := db.ListOutbound(store.OutQueued, 0)
	if err != nil || len(queued) != 2 {
		t.Fatalf("queued %+v, %v", queued, err)
	}
	for _, o := range queued {
		if o.Priority != store.PriorityBulk {
			t.Errorf("reminder to %s is %q, want bulk", o.To, o.Priority)
		}
	}
}
