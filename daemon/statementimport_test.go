package daemon

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

// The reconciliation's page walk: every receipt inside the period comes
// once across pages, statement payments, other operators, forgeries and
// times outside the period do not, and a payment received long before
// the period ends the walk.
func TestPaymentReceiptsPages(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	from := time.Now().Add(-24 * time.Hour)
	inside, want := from.Add(time.Hour), map[string]bool{}
	err = db.Update(func(tx *store.Tx) error {
		add := func(p store.Payment) error {
			p.Kind, p.Amount, p.Currency = "payment", 1_000_000, "KES"
			if p.State == "" {
				p.State = store.PaymentPending
			}
			if p.Source == "" {
				p.Source = "sms"
			}
			_, _, err := tx.AddPayment(p)
			return err
		}
		for i := range 2500 {
			p := store.Payment{Operator: "mpesa-ke", TxnID: fmt.Sprintf("R%05d", i), Time: inside}
			switch i % 5 {
			case 1:
				p.Source = "statement"
			case 2:
				p.Operator = "gcash"
			case 3:
				p.Time = from.Add(-time.Minute)
			case 4:
				p.State, p.Reason = store.PaymentIgnored, "forged: from a phone number"
			default:
				want[p.TxnID] = true
			}
			if err := add(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, pages := map[string]bool{}, 0
	a := ReceiptsArgs{Operator: "mpesa-ke", From: from, To: time.Now().Add(time.Hour), Limit: 1000}
	for {
		page, err := PaymentReceipts(db, a)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range page.Receipts {
			if got[r.TxnID] || !want[r.TxnID] {
				t.Fatalf("receipt %s listed twice or not wanted", r.TxnID)
			}
			got[r.TxnID] = true
		}
		if page.Next == 0 {
			break
		}
		a.Before = page.Next
	}
	if len(got) != len(want) || pages != 3 {
		t.Fatalf("%d receipts in %d pages, want %d in 3", len(got), pages, len(want))
	}
	// A period that begins days after every payment was received: the
	// walk stops at the newest one instead of reading them all.
	page, err := PaymentReceipts(db, ReceiptsArgs{Operator: "mpesa-ke", From: time.Now().Add(3 * receivedSlack), To: time.Now().Add(4 * receivedSlack)})
	if err != nil || len(page.Receipts) != 0 || page.Next != 0 {
		t.Fatalf("an old period: %+v %v", page, err)
	}
}
