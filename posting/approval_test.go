package posting

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/store"
)

// heldStandIn is the stand-in with maker-checker on and a worker that
// looks at held postings every few milliseconds, wired as the daemon wires
// it (with the balance read for the client's confirmation).
func heldStandIn(t *testing.T) (standIn, *harness) {
	t.Helper()
	s := newStandIn(t, fineractsim.Options{})
	s.fin.SetMakerChecker(true)
	h := s.harness(t, func(o *Options) {
		o.ApprovalInterval = 20 * time.Millisecond
		o.BalanceAfter = func(context.Context, store.JournalEntry) string { return "loan balance read back" }
	})
	return s, h
}

// waitState waits until entry id is in state want.
func (h *harness) waitState(id uint64, want store.JournalState) store.JournalEntry {
	h.t.Helper()
	deadline := time.Now().Add(settleWait)
	for {
		e, err := h.db.JournalEntry(id)
		if err != nil {
			h.t.Fatal(err)
		}
		if e.State == want {
			return e
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("entry %d is still %s after %s, want %s: %+v", id, e.State, settleWait, want, e)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// heldCommand waits until entry id awaits approval and returns it with the
// command Fineract holds for it.
func (h *harness) held(s standIn, id uint64) (store.JournalEntry, int64) {
	h.t.Helper()
	e := h.waitState(id, store.JournalAwaitingApproval)
	if e.CommandID == 0 || !slices.Contains(s.fin.Awaiting(), e.CommandID) {
		h.t.Fatalf("entry awaits approval as command %d; Fineract holds %v", e.CommandID, s.fin.Awaiting())
	}
	return e, e.CommandID
}

// A checker approves: the posting settles as done with Fineract's
// transaction, the balance is read for the client, and the confirmation
// tells of this entry alone.
func TestCheckerApprovalSettlesTheEntryDone(t *testing.T) {
	s, h := heldStandIn(t)
	id := h.append(s.repayment(1, fineractsim.SeedLoanAmina, "me-box-m1-1", 500_000_000))
	h.start()
	_, cmd := h.held(s, id)
	before := len(s.fin.LoanTransactions(fineractsim.SeedLoanAmina))
	if err := s.fin.Approve(cmd); err != nil {
		t.Fatal(err)
	}
	e := h.waitState(id, store.JournalDone)
	txns := s.fin.LoanTransactions(fineractsim.SeedLoanAmina)
	if len(txns) != before+1 || len(e.FineractTxnIDs) != 1 || e.FineractTxnIDs[0] != txns[len(txns)-1].ID {
		t.Fatalf("done with %v; Fineract's transactions %+v", e.FineractTxnIDs, txns)
	}
	if e.BalanceAfter != "loan balance read back" || !strings.Contains(e.Outcome, "approved in Fineract") {
		t.Fatalf("entry: %+v", e)
	}
	calls := h.settledCalls()
	if len(calls) != 2 || calls[1].e.State != store.JournalDone || len(calls[1].batch) != 1 {
		t.Fatalf("Settled calls: %+v", calls)
	}
}

// A checker rejects: the posting fails with the reason (who rejected it,
// Fineract keeps no more), nothing is posted, and the officer is told.
func TestCheckerRejectionFailsTheEntryAndTellsTheOfficer(t *testing.T) {
	s, h := heldStandIn(t)
	id := h.append(s.repayment(1, fineractsim.SeedLoanAmina, "me-box-m1-1", 500_000_000))
	h.start()
	_, cmd := h.held(s, id)
	before := len(s.fin.LoanTransactions(fineractsim.SeedLoanAmina))
	if err := s.fin.Reject(cmd); err != nil {
		t.Fatal(err)
	}
	e := h.waitState(id, store.JournalFailed)
	if e.Refusal != "a checker in Mifos rejected it" ||
		!strings.Contains(e.Outcome, fmt.Sprintf("rejected in Fineract by checker checker (command %d); nothing was posted", cmd)) {
		t.Fatalf("entry: %+v", e)
	}
	if n := len(s.fin.LoanTransactions(fineractsim.SeedLoanAmina)); n != before {
		t.Fatalf("a rejected posting reached the ledger: %d transactions, %d before", n, before)
	}
	calls := h.settledCalls()
	if len(calls) != 2 || calls[1].e.State != store.JournalFailed {
		t.Fatalf("Settled calls: %+v", calls)
	}
	out, err := h.db.ListOutbound("", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].To != "+254700000001" || !strings.HasPrefix(out[0].Text, fmt.Sprintf("failed %d: rejected in Fineract", id)) {
		t.Fatalf("the officer was not told: %+v", out)
	}
}

// While no checker has decided, the entry stays as it is: the audit says
// so, and the posting is not even looked up.
func TestHeldPostingStaysAwaitingUntilACheckerDecides(t *testing.T) {
	s, h := heldStandIn(t)
	id := h.append(s.repayment(1, fineractsim.SeedLoanAmina, "me-box-m1-1", 500_000_000))
	h.start()
	h.held(s, id)
	deadline := time.Now().Add(settleWait)
	for s.requests("/audits/") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the held posting's audit was read %d times in %s", s.requests("/audits/"), settleWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
	e, err := h.db.JournalEntry(id)
	if err != nil {
		t.Fatal(err)
	}
	if e.State != store.JournalAwaitingApproval || len(h.settledCalls()) != 1 {
		t.Fatalf("undecided posting changed: %+v, %d Settled calls", e, len(h.settledCalls()))
	}
	if n := s.requests("/external-id/"); n != 0 {
		t.Fatalf("an undecided posting was looked up %d times", n)
	}
}

// Two items of one SMS, both held: the checker rejects one and approves the
// other. Each decision is confirmed for its own entry only: what was
// confirmed before is not told again.
func TestEachCheckerDecisionIsConfirmedAlone(t *testing.T) {
	s, h := heldStandIn(t)
	loan := h.append(s.repayment(7, fineractsim.SeedLoanAmina, "me-box-m7-1", 500_000_000))
	dep := h.append(store.JournalEntry{Batch: 7, Kind: store.JournalSavingsDeposit, Officer: "+254700000001",
		AccountID: fineractsim.SeedSavingsAmina, Amount: 200_000_000, Currency: "KES", Decimals: 2, Date: s.day, Receipt: "me-box-m7-2"})
	h.start()
	_, loanCmd := h.held(s, loan)
	_, depCmd := h.held(s, dep)
	if err := s.fin.Reject(loanCmd); err != nil {
		t.Fatal(err)
	}
	h.waitState(loan, store.JournalFailed)
	if err := s.fin.Approve(depCmd); err != nil {
		t.Fatal(err)
	}
	h.waitState(dep, store.JournalDone)
	calls := h.settledCalls()
	decided := calls[len(calls)-2:]
	if decided[0].e.ID != loan || len(decided[0].batch) != 1 || decided[0].batch[0].State != store.JournalFailed ||
		decided[1].e.ID != dep || len(decided[1].batch) != 1 || decided[1].batch[0].State != store.JournalDone {
		t.Fatalf("the checker's decisions were confirmed with %+v", decided)
	}
}

// Without READ_AUDIT the box cannot learn of a rejection (the entry stays
// awaiting for a person, as before), but an approval is still found by
// the lookup.
func TestWithoutTheAuditAnApprovalIsStillFound(t *testing.T) {
	s, h := heldStandIn(t)
	s.fin.SetPermissions("REPAYMENT_LOAN", "READ_LOAN", "READ_BUSINESS_DATE")
	rejected := h.append(s.repayment(1, fineractsim.SeedLoanAmina, "me-box-m1-1", 500_000_000))
	h.start()
	_, cmd := h.held(s, rejected)
	if err := s.fin.Reject(cmd); err != nil {
		t.Fatal(err)
	}
	approved := h.append(s.repayment(2, fineractsim.SeedLoanAmina, "me-box-m2-1", 300_000_000))
	h.w.Nudge()
	_, cmd = h.held(s, approved)
	if err := s.fin.Approve(cmd); err != nil {
		t.Fatal(err)
	}
	h.waitState(approved, store.JournalDone)
	if e, err := h.db.JournalEntry(rejected); err != nil || e.State != store.JournalAwaitingApproval {
		t.Fatalf("rejected entry without READ_AUDIT: %+v, %v", e, err)
	}
}
