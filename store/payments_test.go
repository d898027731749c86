package store

import (
	"errors"
	"testing"
)

func newPayment(txn, source string) Payment {
	return Payment{Operator: "mpesa-ke", TxnID: txn, Kind: "payment", Amount: 1_050_000_000, Currency: "KES",
		AccountRef: "981", Source: source, State: PaymentPending}
}

func addPayment(t *testing.T, db *DB, p Payment) (Payment, bool) {
	t.Helper()
	var got Payment
	var added bool
	check(t, db.Update(func(tx *Tx) (err error) {
		got, added, err = tx.AddPayment(p)
		return err
	}))
	return got, added
}

// The same operator transaction arriving again, from any source, is the
// same record: only a "seen again" note changes, and it never gets a
// second journal entry.
func TestPaymentExactlyOnce(t *testing.T) {
	db := openTemp(t)
	p, added := addPayment(t, db, newPayment("QAI1S35S7Z", "sms"))
	if !added || p.Seq == 0 || p.State != PaymentPending || p.Matched {
		t.Fatalf("first arrival: %+v added=%v", p, added)
	}
	if keys := must(db.UnmatchedPayments(10))(t); len(keys) != 1 || keys[0] != "mpesa-ke/QAI1S35S7Z" {
		t.Fatalf("unmatched %v", keys)
	}
	entry := JournalEntry{Kind: JournalLoanRepayment, AccountID: 981, AccountNo: "000000981", Amount: p.Amount,
		Date: "2026-04-02", ExternalID: "mm-mpesa-ke-QAI1S35S7Z", Receipt: "QAI1S35S7Z"}
	var journaled Payment
	check(t, db.Update(func(tx *Tx) (err error) {
		journaled, err = tx.JournalPayment(p.Key(), 42, []JournalEntry{entry})
		return err
	}))
	if journaled.State != PaymentPending || !journaled.Matched || len(journaled.Journal) != 1 || journaled.AccountNo != "000000981" {
		t.Fatalf("journaled: %+v", journaled)
	}
	for _, source := range []string{"sms", "statement", "api"} {
		again, added := addPayment(t, db, newPayment("QAI1S35S7Z", source))
		if added || again.Seq != p.Seq || len(again.Journal) != 1 {
			t.Fatalf("arrival from %s: added=%v %+v", source, added, again)
		}
	}
	// A second journaling (a race between two sources' matching) is refused.
	err := db.Update(func(tx *Tx) error {
		_, err := tx.JournalPayment(p.Key(), 42, []JournalEntry{entry})
		return err
	})
	if !errors.Is(err, ErrPaymentState) {
		t.Fatalf("second journaling: %v", err)
	}
	got := must(db.Payment("mpesa-ke", "QAI1S35S7Z"))(t)
	if got.Sightings != 3 || len(got.SeenAgain) != 3 || got.SeenAgain[1].Source != "statement" {
		t.Fatalf("sightings: %+v", got)
	}
	if n := len(must(db.ListJournal("", 0))(t)); n != 1 {
		t.Fatalf("%d journal entries, want 1", n)
	}
	if all := must(db.ListPayments("", 0))(t); len(all) != 1 {
		t.Fatalf("%d payments", len(all))
	}
	if keys := must(db.UnmatchedPayments(10))(t); len(keys) != 0 {
		t.Fatalf("still unmatched %v", keys)
	}
	assertJournalInvariants(t, db)
}

// The payment follows its journal entries in the transactions that settle
// them: posted once all are done (with the feed entry webhooks read),
// failed with the refusal, pending again when a person requeues.
func TestPaymentFollowsItsJournal(t *testing.T) {
	db := openTemp(t)
	p, _ := addPayment(t, db, newPayment("QBC2", "api"))
	entries := []JournalEntry{
		{Kind: JournalLoanRepayment, AccountID: 981, AccountNo: "000000981", Amount: 1_000_000_000, Date: "2026-04-02", ExternalID: "mm-a"},
		{Kind: JournalSavingsDeposit, AccountID: 77, AccountNo: "000000077", Amount: 50_000_000, Date: "2026-04-02", Receipt: "QBC2"},
	}
	check(t, db.Update(func(tx *Tx) (err error) {
		p, err = tx.JournalPayment(p.Key(), 42, entries)
		return err
	}))
	if p.AccountNo != "000000981,000000077" {
		t.Fatalf("accounts %q", p.AccountNo)
	}
	batch := must(db.JournalBatch(p.Batch()))(t)
	if len(batch) != 2 || batch[0].Payment != p.Key() {
		t.Fatalf("batch %+v", batch)
	}
	check(t, db.SettleJournal(p.Journal[0], JournalDone, []int64{501}, "posted", nil))
	if got := must(db.Payment("mpesa-ke", "QBC2"))(t); got.State != PaymentPending {
		t.Fatalf("after one of two: %s", got.State)
	}
	check(t, db.FailJournalWith(p.Journal[1], nil, "fineract 403 x", "fineract 403 error.msg.x", nil))
	got := must(db.Payment("mpesa-ke", "QBC2"))(t)
	if got.State != PaymentFailed || got.Reason != "Mifos refused the posting: 000000077: fineract 403 error.msg.x" {
		t.Fatalf("after a failure: %s %q", got.State, got.Reason)
	}
	check(t, db.RequeueJournal(p.Journal[1]))
	if got := must(db.Payment("mpesa-ke", "QBC2"))(t); got.State != PaymentPending {
		t.Fatalf("after requeue: %s", got.State)
	}
	check(t, db.SettleJournal(p.Journal[1], JournalDone, []int64{601}, "posted", nil))
	got = must(db.Payment("mpesa-ke", "QBC2"))(t)
	if got.State != PaymentPosted || len(got.FineractTxnIDs) != 2 || got.FineractTxnIDs[1] != 601 {
		t.Fatalf("after both: %+v", got)
	}
	var states []string
	check(t, db.View(func(tx *Tx) error {
		return tx.FeedAfter(0, func(e FeedEntry) (bool, error) {
			if e.Kind == FeedPayment {
				states = append(states, e.State)
				bySeq, err := tx.PaymentBySeq(e.ID)
				if err != nil || bySeq.TxnID != "QBC2" {
					t.Errorf("feed payment %d: %+v %v", e.ID, bySeq, err)
				}
			}
			return true, nil
		})
	}))
	if len(states) != 1 || states[0] != "posted" {
		t.Fatalf("payment feed %v", states)
	}
	assertJournalInvariants(t, db)
}

// Suspense: only a payment waiting to be matched goes there, and only a
// suspense one can then be assigned (journaled) by a person.
func TestPaymentSuspenseAndAssign(t *testing.T) {
	db := openTemp(t)
	p, _ := addPayment(t, db, newPayment("QSUS", "sms"))
	check(t, db.Update(func(tx *Tx) error { _, err := tx.SuspendPayment(p.Key(), "payer phone is masked"); return err }))
	err := db.Update(func(tx *Tx) error { _, err := tx.SuspendPayment(p.Key(), "again"); return err })
	if !errors.Is(err, ErrPaymentState) {
		t.Fatalf("suspend twice: %v", err)
	}
	if s := must(db.ListPayments(PaymentSuspense, 0))(t); len(s) != 1 || s[0].Reason != "payer phone is masked" {
		t.Fatalf("suspense list %+v", s)
	}
	entry := JournalEntry{Kind: JournalSavingsDeposit, AccountID: 77, AccountNo: "000000077", Amount: p.Amount, Date: "2026-04-02", Receipt: "QSUS"}
	check(t, db.Update(func(tx *Tx) error { _, err := tx.JournalPayment(p.Key(), 42, []JournalEntry{entry}); return err }))
	if got := must(db.Payment("mpesa-ke", "QSUS"))(t); got.State != PaymentPending || got.Reason != "" || got.ClientID != 42 {
		t.Fatalf("assigned: %+v", got)
	}
	if _, err := db.ListPayments("bogus", 0); err == nil {
		t.Fatal("unknown state listed")
	}
	// A rolled-back transaction leaves no payment behind.
	boom := errors.New("boom")
	err = db.Update(func(tx *Tx) error {
		if _, _, err := tx.AddPayment(newPayment("QROLL", "sms")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := db.Payment("mpesa-ke", "QROLL"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rolled back payment: %v", err)
	}
}

// The counts by state follow every change and match a full count.
func TestPaymentCountsFollowStates(t *testing.T) {
	db := openTemp(t)
	a, _ := addPayment(t, db, newPayment("QC1", "sms"))
	addPayment(t, db, newPayment("QC2", "api"))
	addPayment(t, db, newPayment("QC1", "statement")) // seen again: no new payment
	check(t, db.Update(func(tx *Tx) error { _, err := tx.SuspendPayment(a.Key(), "masked phone"); return err }))
	counts := must(db.PaymentCounts())(t)
	if counts[PaymentSuspense] != 1 || counts[PaymentPending] != 1 || counts[PaymentPosted] != 0 {
		t.Fatalf("counts %v", counts)
	}
	for _, s := range PaymentStates {
		if n := len(must(db.ListPayments(s, 0))(t)); n != counts[s] {
			t.Errorf("%s: counted %d, listed %d", s, counts[s], n)
		}
	}
}

// A second arrival with other figures is flagged, never posted again.
func TestSecondArrivalWithOtherFiguresIsFlagged(t *testing.T) {
	db := openTemp(t)
	addPayment(t, db, newPayment("QF1", "sms"))
	same := newPayment("QF1", "statement")
	if got, added := addPayment(t, db, same); added || got.Flag != "" {
		t.Fatalf("the same figures again: added %v, flag %q", added, got.Flag)
	}
	other := newPayment("QF1", "statement")
	other.Amount, other.AccountRef = 10_500_000_000, "982"
	got, added := addPayment(t, db, other)
	if added || got.Flag != "figures differ: statement says KES 10500, account 982" {
		t.Fatalf("other figures: added %v, flag %q", added, got.Flag)
	}
	if got.Amount != 1_050_000_000 || got.AccountRef != "981" {
		t.Errorf("the first figures changed: %+v", got)
	}
	if s := must(db.Payment("mpesa-ke", "QF1"))(t); s.Flag != got.Flag {
		t.Errorf("stored flag %q", s.Flag)
	}
}

// A failed posting of a payment the operator reversed is not requeued:
// posting it would credit money the client no longer paid.
func TestRequeueRefusedForReversedPayment(t *testing.T) {
	db := openTemp(t)
	p, _ := addPayment(t, db, newPayment("QBR1", "api"))
	check(t, db.Update(func(tx *Tx) (err error) {
		p, err = tx.JournalPayment(p.Key(), 42, []JournalEntry{
			{Kind: JournalLoanRepayment, AccountID: 981, AccountNo: "000000981", Amount: 1_000_000_000, Date: "2026-04-02", ExternalID: "mm-r"},
		})
		return err
	}))
	check(t, db.FailJournalWith(p.Journal[0], nil, "fineract 403 x", "fineract 403 error.msg.x", nil))
	for _, st := range []PaymentState{PaymentReversalPending, PaymentReversed} {
		check(t, db.Update(func(tx *Tx) error {
			_, err := tx.SetPaymentState(p.Key(), []PaymentState{PaymentFailed, PaymentReversalPending}, st, "reversed")
			return err
		}))
		err := db.RequeueJournal(p.Journal[0])
		if !errors.Is(err, ErrJournalPaymentReversed) || errors.Is(err, ErrJournalState) {
			t.Fatalf("%s: requeue: %v", st, err)
		}
		if e := must(db.JournalEntry(p.Journal[0]))(t); e.State != JournalFailed {
			t.Fatalf("%s: entry is %s", st, e.State)
		}
		if got := must(db.Payment("mpesa-ke", "QBR1"))(t); got.State != st {
			t.Fatalf("payment is %s, want %s", got.State, st)
		}
	}
	assertJournalInvariants(t, db)
}
