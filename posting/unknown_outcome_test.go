package posting

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// The cases of docs/fineract.md §10.3 where the outcome of a posting is not
// known, against a fake that keeps Fineract's Idempotency-Key rules (a
// replay gets the stored answer, or 425 while the first command runs) and
// that lets a command commit after the gateway gave up on it.

// unknownOutcomeItem is one kind of posting, with what Fineract must hold
// once it went through exactly once.
type unknownOutcomeItem struct {
	name  string
	entry func() store.JournalEntry
	// unguarded: Fineract would post a second copy under a new key, so
	// only the resent key (and for a deposit the receipt lookup) stops it.
	unguarded bool
	// ledger is every transaction id Fineract holds for the item.
	ledger func(f *fakeFineract) []int64
	// seed sends the item with key, as the daemon did before it stopped.
	seed func(f *fakeFineract, key string) error
}

const (
	sheetGroup             = 7
	sheetLoanA, sheetLoanB = 11, 12
	sheetSavingsA          = 21
	sheetSavingsB          = 22
	depositAccount         = 31
	loanAccount            = 41
)

var (
	depositsOnlySheet = mifos.SaveSheet{Deposits: []mifos.SheetDeposit{
		{SavingsID: sheetSavingsA, Amount: 200_000_000, DepositAccountType: "Savings Deposit"},
		{SavingsID: sheetSavingsB, Amount: 50_000_000, DepositAccountType: "Savings Deposit"},
	}}
	mixedSheet = mifos.SaveSheet{
		Repayments: []mifos.SheetRepayment{
			{LoanID: sheetLoanA, Amount: 100_000_000, ExternalID: "me-box-m9-0-l11"},
			{LoanID: sheetLoanB, Amount: 250_500_000, ExternalID: "me-box-m9-0-l12"},
		},
		Deposits: depositsOnlySheet.Deposits,
	}
)

func unknownOutcomeItems() []unknownOutcomeItem {
	sheetLedger := func(f *fakeFineract, loans ...int64) []int64 {
		ids := loanLedger(f, loans...)
		return append(append(ids, f.savingsTxnIDs(sheetSavingsA)...), f.savingsTxnIDs(sheetSavingsB)...)
	}
	ctx := context.Background()
	return []unknownOutcomeItem{
		{
			name:      "deposit",
			entry:     func() store.JournalEntry { return savingsEntry(9, depositAccount, "MEbox9I1") },
			unguarded: true,
			ledger:    func(f *fakeFineract) []int64 { return f.savingsTxnIDs(depositAccount) },
			seed: func(f *fakeFineract, key string) error {
				_, err := f.Deposit(ctx, depositAccount, mifos.Deposit{PaymentTypeID: 3, Amount: 500_000_000, ReceiptNumber: "MEbox9I1", Date: entryDay}, key)
				return err
			},
		},
		{
			name:      "sheet of deposits only",
			entry:     func() store.JournalEntry { return sheetEntry(9, sheetGroup, depositsOnlySheet) },
			unguarded: true,
			ledger:    func(f *fakeFineract) []int64 { return sheetLedger(f) },
			seed: func(f *fakeFineract, key string) error {
				_, err := f.SaveCollectionSheet(ctx, sheetGroup, asSent(depositsOnlySheet), key)
				return err
			},
		},
		{
			name:   "sheet of repayments and deposits",
			entry:  func() store.JournalEntry { return sheetEntry(9, sheetGroup, mixedSheet) },
			ledger: func(f *fakeFineract) []int64 { return sheetLedger(f, sheetLoanA, sheetLoanB) },
			seed: func(f *fakeFineract, key string) error {
				_, err := f.SaveCollectionSheet(ctx, sheetGroup, asSent(mixedSheet), key)
				return err
			},
		},
		{
			name:   "repayment",
			entry:  func() store.JournalEntry { return loanEntry(9, loanAccount, "me-box-m9-1") },
			ledger: func(f *fakeFineract) []int64 { return loanLedger(f, loanAccount) },
			seed: func(f *fakeFineract, key string) error {
				_, err := f.Repay(ctx, loanAccount, mifos.Repayment{ExternalID: "me-box-m9-1", Amount: mifos.Amount(loanEntry(9, loanAccount, "").Amount), Date: entryDay}, key)
				return err
			},
		},
	}
}

// asSent is a sheet as the worker sends it: dated with its entry.
func asSent(s mifos.SaveSheet) mifos.SaveSheet {
	s.Date = entryDay
	return s
}

// loanLedger is the ids of the repayments on the loans.
func loanLedger(f *fakeFineract, loans ...int64) []int64 {
	var ids []int64
	for _, l := range loans {
		for _, ext := range f.loanOrder(l) {
			ids = append(ids, f.loanTxnID(ext))
		}
	}
	return ids
}

// wantLedgerSize is how many transactions one posting of each item makes.
func wantLedgerSize(item unknownOutcomeItem) int {
	e := item.entry()
	if e.Kind != store.JournalCollectionSheet {
		return 1
	}
	s, err := DecodeSheet(e.Payload)
	if err != nil {
		panic(err)
	}
	return len(s.Repayments) + len(s.Deposits)
}

// postThroughUnknownOutcome posts item after the first attempt's outcome
// was left unknown by lose, then lets every command still running in
// Fineract finish, and checks that Fineract holds the item exactly once,
// as the entry says, and that an unguarded item never went out under a
// second key.
func postThroughUnknownOutcome(t *testing.T, item unknownOutcomeItem, crashed bool, lose error, then afterFault) {
	t.Helper()
	fake := newFake()
	fake.commitAfter425 = 2
	fake.fault = func(c fakeCall) (afterFault, error) {
		if c.N == 1 {
			return then, lose
		}
		return rolledBack, nil
	}
	h := newHarness(t, fake, nil)
	id := h.append(item.entry())
	if crashed {
		// The daemon persisted its key, sent the request and was killed.
		const key = "key-before-the-crash"
		if err := h.db.MarkJournalPosting(id, key); err != nil {
			t.Fatal(err)
		}
		if err := item.seed(fake, key); err == nil {
			t.Fatal("the request before the crash got an answer; the fault did not apply")
		}
	}
	h.start()
	e := h.waitSettled(id)[0]
	h.stop()
	// What Fineract still had running finishes after the worker settled.
	fake.finishRunning()

	writes := fake.writeCalls()
	ledger := item.ledger(fake)
	if e.State != store.JournalDone {
		t.Fatalf("entry %s after writes %+v: %+v", e.State, writes, e)
	}
	if len(ledger) != wantLedgerSize(item) {
		t.Fatalf("Fineract holds %d transactions (%v) for one posting, want %d; writes: %+v", len(ledger), ledger, wantLedgerSize(item), writes)
	}
	// A sheet found by its first repayment names only that one: its
	// deposits carry nothing to find them by.
	for _, id := range e.FineractTxnIDs {
		if !slices.Contains(ledger, id) {
			t.Errorf("entry names transactions %v, Fineract holds %v", e.FineractTxnIDs, ledger)
		}
	}
	if len(e.FineractTxnIDs) == 0 {
		t.Errorf("entry names no transaction; Fineract holds %v", ledger)
	}
	if then == stillRunning && item.unguarded && fake.tooEarlyAnswers() == 0 {
		t.Errorf("no request met the running command (no 425 answered): the case did not happen; writes: %+v", writes)
	}
	if item.unguarded {
		for _, w := range writes[1:] {
			if w.Key != writes[0].Key {
				t.Fatalf("after an unknown outcome an unguarded posting went out under a new Idempotency-Key %q (first %q): %+v", w.Key, writes[0].Key, writes)
			}
		}
	}
}

// An answer lost after Fineract committed (the gateway's 504): the next
// attempt finds the posting or gets the stored answer with the same key.
func TestGatewayTimeoutAfterCommitPostsOnce(t *testing.T) {
	for _, item := range unknownOutcomeItems() {
		t.Run(item.name, func(t *testing.T) {
			postThroughUnknownOutcome(t, item, false, &mifos.Error{Status: 504, Message: "Gateway Time-out"}, committed)
		})
	}
}

// The gateway gave up while Fineract still ran the command: lookups do not
// see it yet and a replay of its key gets 425 "still running". Only the same
// key stops a deposit (or a sheet of deposits) from going in twice.
func TestGatewayTimeoutWhileRunningPostsOnce(t *testing.T) {
	for _, item := range unknownOutcomeItems() {
		t.Run(item.name, func(t *testing.T) {
			postThroughUnknownOutcome(t, item, false, &mifos.Error{Status: 504, Message: "Gateway Time-out"}, stillRunning)
		})
	}
}

// The daemon was killed during the request and Fineract still runs it: the
// 425 that the resent key gets means "still running, look again", never
// "rolled back, post anew".
func TestStillRunningAfterCrashIsNotRolledBack(t *testing.T) {
	for _, item := range unknownOutcomeItems() {
		t.Run(item.name, func(t *testing.T) {
			postThroughUnknownOutcome(t, item, true, context.Canceled, stillRunning)
		})
	}
}

// The fake itself: a replay answers as Fineract does, so the tests above
// test the worker and not a lenient fake.
func TestFakeFineractReplaysLikeFineract(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	f.fault = func(c fakeCall) (afterFault, error) {
		if c.N == 1 {
			return stillRunning, &mifos.Error{Status: 504}
		}
		return rolledBack, nil
	}
	d := mifos.Deposit{PaymentTypeID: 3, Amount: 1, ReceiptNumber: "r1"}
	if _, err := f.Deposit(ctx, 1, d, "k1"); err == nil {
		t.Fatal("the first request was answered")
	}
	if got, _ := f.SavingsTransactions(ctx, 1); len(got) != 0 {
		t.Fatalf("a running deposit is visible: %+v", got)
	}
	_, err := f.Deposit(ctx, 1, d, "k1")
	var fe *mifos.Error
	if !errors.As(err, &fe) || fe.Status != 425 || !fe.ServedFromCache {
		t.Fatalf("replay while running: %v, want 425 served from cache", err)
	}
	if n := f.finishRunning(); n != 1 {
		t.Fatalf("%d commands finished", n)
	}
	res, err := f.Deposit(ctx, 2, d, "k1") // the same key on another account
	if err != nil || !res.ServedFromCache || res.ResourceID != f.savingsTxnIDs(1)[0] {
		t.Fatalf("replay after commit: %+v, %v; want the stored result from the cache", res, err)
	}
	if len(f.savingsTxnIDs(1))+len(f.savingsTxnIDs(2)) != 1 {
		t.Fatal("a replay posted again")
	}
	sheet, err := f.SaveCollectionSheet(ctx, sheetGroup, depositsOnlySheet, "k2")
	if err != nil || len(sheet.SavingsTransactionIDs) != 2 || len(f.savingsTxnIDs(sheetSavingsA)) != 1 {
		t.Fatalf("sheet of deposits: %+v, %v", sheet, err)
	}
	again, err := f.SaveCollectionSheet(ctx, sheetGroup, depositsOnlySheet, "k2")
	if err != nil || !again.ServedFromCache || !slices.Equal(again.SavingsTransactionIDs, sheet.SavingsTransactionIDs) {
		t.Fatalf("sheet replay: %+v, %v", again, err)
	}
}
