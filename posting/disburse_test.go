package posting

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

func disbursementEntry(line uint64, loan int64) store.JournalEntry {
	return store.JournalEntry{Batch: line, Kind: store.JournalLoanDisbursement, Officer: "+254700000001", AccountID: loan,
		Amount: 20_000_000_000, Date: "2024-09-26", ExternalID: "md-box-l" + itoa(line), Receipt: "SIQ7K2L9X" + itoa(line),
		PaymentTypeID: 4, DisburseLine: line}
}

// Each refusal Fineract gives a disbursement has the officer's words, and
// every one says the client was paid; a code without words of its own is
// named inside this box's words, never left bare.
func TestDisbursalRefusalWords(t *testing.T) {
	refusal := func(status int, code string) error {
		return &mifos.Error{Status: status, Code: "validation.msg.domain.rule.violation", Errors: []mifos.FieldError{{Code: code, Message: "Java text"}}}
	}
	cases := []struct {
		err  error
		want string // a part of the words
	}{
		{refusal(403, mifos.CodeDisbursalAboveApproved), "more than the loan's approved amount"},
		{refusal(403, mifos.CodeDisbursalAfterFirstRepayment), "first repayment date is before the payment"},
		{refusal(403, mifos.CodeDisbursalBeforeApproval), "before the loan's approval"},
		{refusal(403, "error.msg.client.not.active.exception"), "client is not active"},
		{refusal(403, "error.msg.loan.application.disbursement.date.on.holiday"), "is a holiday"},
		{refusal(403, "error.msg.loan.application.disbursement.date.on.non.working.day"), "not a working day"},
		{refusal(400, mifos.CodeDuplicateExternalID), "not on this loan"},
		{refusal(403, "error.msg.data.integrity.issue"), "data integrity"},
		{refusal(403, "error.msg.loan.something.new"), "(fineract 403 error.msg.loan.something.new)"},
		{errors.New("the disbursement's date is not a calendar day"), "could not be recorded"},
	}
	for _, c := range cases {
		got := disbursalRefusal(c.err)
		if !strings.Contains(got, c.want) || !strings.Contains(got, paidByMobile) || strings.Contains(got, "Java text") {
			t.Errorf("%v: %q, want it to say %q and that the client was paid", c.err, got, c.want)
		}
		if _, ok := mifos.ParseRefusal(got); ok {
			t.Errorf("%q reads as a bare Fineract refusal", got)
		}
	}
	for code, words := range disbursalWords {
		if !strings.Contains(words, paidByMobile) {
			t.Errorf("%s: %q does not say the client was paid", code, words)
		}
	}
}

// What became of a loan Fineract no longer disburses, from its status.
func TestNotWaitingWords(t *testing.T) {
	cases := []struct {
		status int
		want   string
	}{
		{100, approvalUndone},
		{300, disbursedElsewhere},
		{600, disbursedElsewhere},
		{601, disbursedElsewhere},
		{700, disbursedElsewhere},
		{400, loanWithdrawn},
		{500, loanRejected},
		{200, notWaiting}, // approved after all: a race with someone else
		{0, notWaiting},
	}
	for _, c := range cases {
		if got := notWaitingWords(c.status); got != c.want {
			t.Errorf("status %d: %q, want %q", c.status, got, c.want)
		}
	}
}

// The loan is read to say why Fineract no longer disburses it; when it
// cannot be read now the entry waits and asks again, when it cannot be read
// at all the words stay general.
func TestDisbursementNotWaitingReadsTheLoan(t *testing.T) {
	t.Run("rejected", func(t *testing.T) {
		fake := newFake()
		fake.loanStatus[981] = 500
		h := newHarness(t, fake, nil)
		id := h.append(disbursementEntry(1, 981))
		h.start()
		if got := h.waitSettled(id)[0]; got.State != store.JournalFailed || got.Refusal != loanRejected {
			t.Fatalf("entry %+v", got)
		}
	})
	t.Run("loan unreadable for now", func(t *testing.T) {
		fake := newFake()
		fake.loanStatus[981] = 300
		fake.appReadErr = &mifos.Error{Status: 503}
		h := newHarness(t, fake, nil)
		id := h.append(disbursementEntry(1, 981))
		h.start()
		if got := waitRetried(t, h, id, 2); got.State != store.JournalPending || !got.Uncertain {
			t.Fatalf("entry %+v, want it waiting", got)
		}
		fake.mu.Lock()
		fake.appReadErr = nil
		fake.mu.Unlock()
		if got := h.waitSettled(id)[0]; got.State != store.JournalFailed || got.Refusal != disbursedElsewhere {
			t.Fatalf("entry %+v", got)
		}
		if n := len(fake.callsOf("disburse")); n < 2 {
			t.Errorf("%d disburse commands", n)
		}
	})
	t.Run("loan unreadable", func(t *testing.T) {
		fake := newFake()
		fake.loanStatus[981] = 300
		fake.appReadErr = &mifos.Error{Status: 404, Code: mifos.CodeNotFound}
		h := newHarness(t, fake, nil)
		id := h.append(disbursementEntry(1, 981))
		h.start()
		got := h.waitSettled(id)[0]
		if got.State != store.JournalFailed || got.Refusal != notWaiting || !strings.Contains(got.Outcome, "could not be read") {
			t.Fatalf("entry %+v", got)
		}
	})
}

// Fineract's maker-checker holds a disbursement like any posting; once a
// checker approves it, the lookup finds it and it is done.
func TestDisbursementAwaitingApproval(t *testing.T) {
	fake := newFake()
	fake.makerChecker.Store(true)
	h := newHarness(t, fake, func(o *Options) { o.ApprovalInterval = 10 * time.Millisecond })
	e := disbursementEntry(1, 981)
	id := h.append(e)
	h.start()
	if got := h.waitState(id, store.JournalAwaitingApproval); got.CommandID == 0 {
		t.Fatalf("entry %+v", got)
	}
	fake.mu.Lock()
	_, err := fake.applyRepay(981, e.ExternalID, mifos.Amount(e.Amount), mifos.Date{Year: 2024, Month: 9, Day: 26})
	t1 := fake.loanTxns[e.ExternalID]
	t1.txn.Disbursement = true
	fake.loanTxns[e.ExternalID] = t1
	fake.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if got := h.waitState(id, store.JournalDone); len(got.FineractTxnIDs) != 1 || got.FineractTxnIDs[0] != t1.txn.ID {
		t.Fatalf("entry %+v", got)
	}
}
