package posting

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// disbursement is the journal entry of a line paid out to a loan's client.
func (s standIn) disbursement(line uint64, loan int64, amount int64) store.JournalEntry {
	return store.JournalEntry{Batch: line, Kind: store.JournalLoanDisbursement, Officer: "+254722000012", AccountID: loan,
		Amount: amount, Currency: "KES", Decimals: 2, Date: s.day, ExternalID: "md-box-l" + itoa(line),
		Receipt: "SIQ7K2L9X" + itoa(line), PaymentTypeID: fineractsim.SeedPaymentMpesa, DisburseLine: line,
		Note: "paid by M-PESA"}
}

// disburseRequests counts the disburse commands Fineract received.
func (s standIn) disburseRequests() int {
	n := 0
	for _, r := range s.fin.Requests() {
		if r.Method == "POST" && strings.Contains(r.Query, "command=disburse") {
			n++
		}
	}
	return n
}

// wantDisbursedOnce checks that Fineract holds exactly one disbursement of
// the loan, e's, and that e names it.
func wantDisbursedOnce(t *testing.T, s standIn, e store.JournalEntry) {
	t.Helper()
	d := s.fin.Disbursals(e.AccountID)
	if len(d) != 1 {
		t.Fatalf("loan %d disbursed %d times: %+v", e.AccountID, len(d), d)
	}
	if d[0].ExternalID != e.ExternalID || d[0].ReceiptNumber != e.Receipt || d[0].PaymentTypeID != e.PaymentTypeID ||
		int64(d[0].Amount) != e.Amount || mifos.DateOf(d[0].Date).String() != e.Date || d[0].Note != e.Note {
		t.Fatalf("disbursement %+v for entry %+v", d[0], e)
	}
	if e.State != store.JournalDone || len(e.FineractTxnIDs) != 1 || e.FineractTxnIDs[0] != d[0].ID {
		t.Fatalf("entry %+v, want done as transaction %d", e, d[0].ID)
	}
	if st := s.fin.LoanStatus(e.AccountID); st != 300 {
		t.Fatalf("loan status %d", st)
	}
}

// A disbursement is recorded once, with the operator's receipt and the
// payment type, and names Fineract's transaction; a server before 1.9,
// which names only the loan, has it found by its externalId.
func TestDisbursementPostsOnce(t *testing.T) {
	for _, before19 := range []bool{false, true} {
		s := newStandIn(t, fineractsim.Options{Before19: before19})
		h := s.harness(t, nil)
		id := h.append(s.disbursement(1, fineractsim.SeedLoanRose, 20_000_000_000))
		h.start()
		wantDisbursedOnce(t, s, h.waitSettled(id)[0])
		if n := s.disburseRequests(); n != 1 {
			t.Errorf("before 1.9 %v: %d disburse requests", before19, n)
		}
	}
}

// Whatever loses the answer, the disbursement is looked up by its
// externalId before anything is sent again, and Fineract holds it once.
func TestDisbursementAnswerLost(t *testing.T) {
	t.Run("500 after the commit", func(t *testing.T) {
		s := newStandIn(t, fineractsim.Options{})
		h := s.harness(t, nil)
		id := h.append(s.disbursement(1, fineractsim.SeedLoanRose, 20_000_000_000))
		s.fin.FailAfterCommit(1)
		h.start()
		wantDisbursedOnce(t, s, h.waitSettled(id)[0])
	})
	t.Run("Fineract died mid-request", func(t *testing.T) {
		s := newStandIn(t, fineractsim.Options{})
		h := s.harness(t, nil)
		id := h.append(s.disbursement(1, fineractsim.SeedLoanRose, 20_000_000_000))
		s.fin.CrashNext(1)
		h.start()
		wantDisbursedOnce(t, s, h.waitSettled(id)[0])
		// Go's transport may itself resend the lost request once on a
		// reused connection (it carries an Idempotency-Key): 425 then.
		if n := s.disburseRequests(); n < 2 {
			t.Errorf("%d disburse requests, want the lost one and at least one more", n)
		}
	})
	t.Run("timed out while Fineract held it", func(t *testing.T) {
		s := newStandIn(t, fineractsim.Options{})
		h := s.harness(t, func(o *Options) { o.CallTimeout = 300 * time.Millisecond })
		e := s.disbursement(1, fineractsim.SeedLoanRose, 20_000_000_000)
		id := h.append(e)
		release := make(chan struct{})
		s.fin.HoldWrites(release)
		h.start()
		// The first attempt gives up with its write still held.
		deadline := time.Now().Add(settleWait)
		for {
			got, err := h.db.JournalEntry(id)
			if err != nil {
				t.Fatal(err)
			}
			if got.Uncertain && s.fin.HeldWrites() > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the first attempt did not time out: %+v", got)
			}
			time.Sleep(5 * time.Millisecond)
		}
		s.fin.HoldWrites(nil)
		close(release)
		wantDisbursedOnce(t, s, h.waitSettled(id)[0])
	})
	t.Run("the box stopped mid-request", func(t *testing.T) {
		s := newStandIn(t, fineractsim.Options{})
		h := s.harness(t, nil)
		e := s.disbursement(1, fineractsim.SeedLoanRose, 20_000_000_000)
		id := h.append(e)
		// As the daemon left it: the key persisted, the request made, the
		// answer never read.
		const key = "key-before-the-crash"
		if err := h.db.MarkJournalPosting(id, key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.api.Disburse(context.Background(), e.AccountID, mifos.Disbursement{Date: mustDate(t, e.Date), Amount: mifos.Amount(e.Amount),
			PaymentTypeID: e.PaymentTypeID, ExternalID: e.ExternalID, ReceiptNumber: e.Receipt, Note: e.Note}, key); err != nil {
			t.Fatal(err)
		}
		h.start()
		wantDisbursedOnce(t, s, h.waitSettled(id)[0])
		if n := s.disburseRequests(); n != 1 {
			t.Errorf("%d disburse requests: sent again after the restart", n)
		}
	})
}

// Fineract answers "not approved and waiting" both when an earlier attempt
// of ours went through unseen (a store restored from an older copy) and
// when someone else disbursed the loan. The externalId tells them apart:
// ours is done; someone else's is a failure in plain words, for the
// officer to check, since the client was paid by mobile money as well.
func TestDisbursementNotWaitingAnyMore(t *testing.T) {
	t.Run("our own earlier attempt", func(t *testing.T) {
		s := newStandIn(t, fineractsim.Options{})
		h := s.harness(t, nil)
		e := s.disbursement(1, fineractsim.SeedLoanRose, 20_000_000_000)
		id := h.append(e)
		if _, err := s.api.Disburse(context.Background(), e.AccountID, mifos.Disbursement{Date: mustDate(t, e.Date), Amount: mifos.Amount(e.Amount),
			PaymentTypeID: e.PaymentTypeID, ExternalID: e.ExternalID, ReceiptNumber: e.Receipt, Note: e.Note}, "key-of-an-older-copy"); err != nil {
			t.Fatal(err)
		}
		h.start()
		got := h.waitSettled(id)[0]
		wantDisbursedOnce(t, s, got)
		if !strings.Contains(got.Outcome, "found in Fineract") {
			t.Errorf("outcome %q", got.Outcome)
		}
	})
	t.Run("someone else, by cash", func(t *testing.T) {
		s := newStandIn(t, fineractsim.Options{})
		h := s.harness(t, nil)
		e := s.disbursement(1, fineractsim.SeedLoanRose, 20_000_000_000)
		id := h.append(e)
		mgr := s.api.AsUser(fineractsim.SeedManager, fineractsim.SeedManagerPassword)
		if _, err := mgr.Disburse(context.Background(), e.AccountID, mifos.Disbursement{Date: mustDate(t, e.Date), Amount: mifos.Amount(e.Amount),
			PaymentTypeID: fineractsim.SeedPaymentCash, ExternalID: "cash-at-the-counter"}, "key-of-the-teller"); err != nil {
			t.Fatal(err)
		}
		h.start()
		got := h.waitSettled(id)[0]
		if got.State != store.JournalFailed || got.Refusal != disbursedElsewhere || len(got.FineractTxnIDs) != 0 {
			t.Fatalf("entry %+v, want failed telling the officer %q", got, disbursedElsewhere)
		}
		if !strings.Contains(got.Outcome, "status 300") || !strings.Contains(got.Outcome, "disbursed on "+s.day) {
			t.Errorf("outcome %q does not say what the loan is now", got.Outcome)
		}
		if d := s.fin.Disbursals(e.AccountID); len(d) != 1 || d[0].ExternalID != "cash-at-the-counter" {
			t.Fatalf("disbursals %+v", d)
		}
	})
}

// Refusals the lookup does not explain fail the entry in the officer's
// words, saying the client was paid; a disbursement dated after Fineract's
// today waits for that day instead; a payment type Fineract lacks waits for
// the setting to be fixed, naming it.
func TestDisbursementRefusals(t *testing.T) {
	t.Run("amount above the approved one", func(t *testing.T) {
		s := newStandIn(t, fineractsim.Options{})
		h := s.harness(t, nil)
		id := h.append(s.disbursement(1, fineractsim.SeedLoanJoyce, 25_000_010_000))
		h.start()
		got := h.waitSettled(id)[0]
		if got.State != store.JournalFailed || got.Refusal != disbursalWords[mifos.CodeDisbursalAboveApproved] {
			t.Fatalf("entry %+v", got)
		}
		if n := len(s.fin.Disbursals(fineractsim.SeedLoanJoyce)); n != 0 || s.fin.LoanStatus(fineractsim.SeedLoanJoyce) != 200 {
			t.Fatalf("%d disbursals", n)
		}
	})
	t.Run("dated after Fineract's today", func(t *testing.T) {
		s := newStandIn(t, fineractsim.Options{BusinessDate: time.Date(2024, 9, 26, 0, 0, 0, 0, time.UTC)})
		h := s.harness(t, nil)
		e := s.disbursement(1, fineractsim.SeedLoanRose, 20_000_000_000)
		e.Date = "2024-09-27"
		id := h.append(e)
		h.start()
		if got := waitRetried(t, h, id, 3); got.State != store.JournalPending {
			t.Fatalf("entry %+v, want it waiting", got)
		}
		s.fin.SetBusinessDate(time.Date(2024, 9, 27, 0, 0, 0, 0, time.UTC))
		got := h.waitSettled(id)[0]
		got.Date = e.Date
		wantDisbursedOnce(t, s, got)
	})
	t.Run("unknown payment type", func(t *testing.T) {
		s := newStandIn(t, fineractsim.Options{})
		h := s.harness(t, nil)
		e := s.disbursement(1, fineractsim.SeedLoanRose, 20_000_000_000)
		e.PaymentTypeID = 9
		id := h.append(e)
		h.start()
		got := waitRetried(t, h, id, 3)
		if got.State != store.JournalPending || !strings.Contains(got.LastError, "[disbursement] payment_type_id") {
			t.Fatalf("entry %+v, want it waiting and naming the setting", got)
		}
	})
}
