package posting

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// settleWait bounds how long a test waits for postings; generous, since a
// loaded machine is slow, and far below any backoff the tests rely on.
const settleWait = 30 * time.Second

type settledCall struct {
	e     store.JournalEntry
	batch []store.JournalEntry
}

type harness struct {
	t    *testing.T
	db   *store.DB
	fake *fakeFineract
	w    *Worker
	opts Options

	mu      sync.Mutex
	settled []settledCall

	cancel context.CancelFunc
	done   chan error
}

func newHarness(t *testing.T, fake *fakeFineract, tune func(*Options)) *harness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &harness{t: t, db: db, fake: fake}
	h.opts = Options{
		DB:            db,
		API:           fake,
		PaymentTypeID: 3,
		Workers:       4,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		MinBackoff:    10 * time.Millisecond,
		MaxBackoff:    50 * time.Millisecond,
		ProbeInterval: 10 * time.Millisecond,
		Settled: func(_ context.Context, e store.JournalEntry, batch []store.JournalEntry) []store.Outbound {
			h.mu.Lock()
			h.settled = append(h.settled, settledCall{e, batch})
			h.mu.Unlock()
			if e.Officer == "" {
				return nil
			}
			return []store.Outbound{{To: e.Officer, Text: fmt.Sprintf("%s %d: %s", e.State, e.ID, e.Outcome), Origin: fmt.Sprint("journal:", e.ID)}}
		},
	}
	if tune != nil {
		tune(&h.opts)
	}
	return h
}

func (h *harness) start() {
	h.w = New(h.opts)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- h.w.Run(ctx) }()
	h.t.Cleanup(h.stop)
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	if err := <-h.done; !errors.Is(err, context.Canceled) {
		h.t.Errorf("Run returned %v, want context.Canceled", err)
	}
}

func (h *harness) append(e store.JournalEntry) uint64 {
	h.t.Helper()
	id, err := h.db.AppendJournal(e)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// waitSettled waits until every id has left pending/posting and returns them.
func (h *harness) waitSettled(ids ...uint64) []store.JournalEntry {
	h.t.Helper()
	deadline := time.Now().Add(settleWait)
	for {
		var out []store.JournalEntry
		open := 0
		for _, id := range ids {
			e, err := h.db.JournalEntry(id)
			if err != nil {
				h.t.Fatal(err)
			}
			if e.State.Open() {
				open++
			}
			out = append(out, e)
		}
		if open == 0 {
			return out
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%d of %d entries still open after %s: %+v", open, len(ids), settleWait, out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) settledCalls() []settledCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.settled)
}

func loanEntry(batch uint64, loan int64, ext string) store.JournalEntry {
	return store.JournalEntry{Batch: batch, Kind: store.JournalLoanRepayment, Officer: "+254700000001", AccountID: loan,
		Amount: 2_375_000_000, Date: "2024-09-26", ExternalID: ext, Receipt: "R-" + ext}
}

func savingsEntry(batch uint64, savings int64, receipt string) store.JournalEntry {
	return store.JournalEntry{Batch: batch, Kind: store.JournalSavingsDeposit, Officer: "+254700000001", AccountID: savings,
		Amount: 500_000_000, Date: "2024-09-26", Receipt: receipt}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRepaymentAndDepositHappyPath(t *testing.T) {
	fake := newFake()
	h := newHarness(t, fake, nil)
	h.start()
	loan := h.append(loanEntry(9, 981, "sms-1-a"))
	dep := h.append(savingsEntry(9, 77, "sms-1-b"))
	h.w.Nudge()
	got := h.waitSettled(loan, dep)
	for _, e := range got {
		if e.State != store.JournalDone || len(e.FineractTxnIDs) != 1 || e.Attempts != 1 || !uuidV4.MatchString(e.IdempotencyKey) {
			t.Errorf("entry %d: %+v", e.ID, e)
		}
	}
	repays, deps := fake.callsOf("repay"), fake.callsOf("deposit")
	if len(repays) != 1 || len(deps) != 1 || repays[0].Key == deps[0].Key {
		t.Fatalf("calls: repay %+v deposit %+v", repays, deps)
	}
	if repays[0].Key != got[0].IdempotencyKey || repays[0].ExtID != "sms-1-a" || deps[0].ExtID != "sms-1-b" {
		t.Errorf("request did not carry the journal's key/external id: %+v %+v", repays[0], deps[0])
	}
	if id := fake.loanTxnID("sms-1-a"); got[0].FineractTxnIDs[0] != id {
		t.Errorf("loan txn id %v, Fineract has %d", got[0].FineractTxnIDs, id)
	}
	if !h.w.Online() {
		t.Error("Online() false although Fineract answered")
	}
	// The second Settled call of the batch sees both entries settled.
	calls := h.settledCalls()
	if len(calls) != 2 {
		t.Fatalf("Settled called %d times", len(calls))
	}
	last := calls[1].batch
	if len(last) != 2 || last[0].State != store.JournalDone || last[1].State != store.JournalDone {
		t.Errorf("last Settled batch: %+v", last)
	}
	if out, _ := h.db.ListOutbound("", 0); len(out) != 2 {
		t.Errorf("%d confirmations queued, want 2", len(out))
	}
	if len(fake.callsOf("lookup-loan"))+len(fake.callsOf("lookup-savings")) != 0 {
		t.Error("a clean first attempt looked the posting up")
	}
}

func TestMakerCheckerAwaitsApproval(t *testing.T) {
	fake := newFake()
	fake.makerChecker.Store(true)
	h := newHarness(t, fake, nil)
	id := h.append(loanEntry(1, 5, "mc-1"))
	h.start()
	e := h.waitSettled(id)[0]
	if e.State != store.JournalAwaitingApproval || !strings.Contains(e.Outcome, "approval") {
		t.Fatalf("entry: %+v", e)
	}
	if fake.postings(5) != 0 {
		t.Error("maker-checker posting reached the ledger")
	}
	if calls := h.settledCalls(); len(calls) != 1 || calls[0].e.State != store.JournalAwaitingApproval {
		t.Errorf("Settled calls: %+v", calls)
	}
}

func TestDuplicateExternalIDIsDone(t *testing.T) {
	fake := newFake()
	prior := fake.seedLoanTxn(5, "dup-1")
	h := newHarness(t, fake, nil)
	id := h.append(loanEntry(1, 5, "dup-1"))
	h.start()
	e := h.waitSettled(id)[0]
	if e.State != store.JournalDone || !slices.Equal(e.FineractTxnIDs, []int64{prior}) {
		t.Fatalf("entry: %+v, want done with Fineract's id %d", e, prior)
	}
	if n := fake.postings(5); n != 1 {
		t.Errorf("ledger has %d repayments, want 1", n)
	}
}

// A timeout after Fineract committed: the retry must find the posting, not post again.
func TestTimeoutAfterCommitPostsOnce(t *testing.T) {
	for _, kind := range []store.JournalKind{store.JournalLoanRepayment, store.JournalSavingsDeposit} {
		t.Run(string(kind), func(t *testing.T) {
			fake := newFake()
			fake.fault = func(c fakeCall) (afterFault, error) {
				if c.N == 1 {
					return committed, context.DeadlineExceeded
				}
				return rolledBack, nil
			}
			h := newHarness(t, fake, nil)
			entry := loanEntry(1, 5, "to-1")
			if kind == store.JournalSavingsDeposit {
				entry = savingsEntry(1, 5, "to-1")
			}
			id := h.append(entry)
			h.start()
			e := h.waitSettled(id)[0]
			if e.State != store.JournalDone || !e.Uncertain || len(e.FineractTxnIDs) != 1 {
				t.Fatalf("entry: %+v", e)
			}
			posted := fake.postings(5)
			writes := len(fake.callsOf("repay")) + len(fake.callsOf("deposit"))
			if posted != 1 || writes != 1 {
				t.Errorf("Fineract has %d postings after %d write calls, want exactly 1 of each", posted, writes)
			}
		})
	}
}

// The daemon died with the entry "posting": look it up, then post only if absent.
func TestCrashWhilePosting(t *testing.T) {
	cases := []struct {
		name         string
		kind         store.JournalKind
		wentThrough  bool
		wantWrites   int
		wantSameKey  bool // the resend must reuse the persisted key
		wantLookupOp string
	}{
		{"loan went through", store.JournalLoanRepayment, true, 0, false, "lookup-loan"},
		{"loan never arrived", store.JournalLoanRepayment, false, 1, false, "lookup-loan"},
		{"savings went through", store.JournalSavingsDeposit, true, 0, false, "lookup-savings"},
		{"savings never arrived", store.JournalSavingsDeposit, false, 1, true, "lookup-savings"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake()
			h := newHarness(t, fake, nil)
			entry := loanEntry(1, 5, "crash-1")
			if tc.kind == store.JournalSavingsDeposit {
				entry = savingsEntry(1, 5, "crash-1")
			}
			id := h.append(entry)
			if err := h.db.MarkJournalPosting(id, "key-before-crash"); err != nil {
				t.Fatal(err)
			}
			if tc.wentThrough {
				ctx := context.Background()
				var err error
				if tc.kind == store.JournalLoanRepayment {
					_, err = fake.Repay(ctx, 5, mifos.Repayment{ExternalID: "crash-1", Amount: mifos.Amount(entry.Amount), Date: entryDay}, "key-before-crash")
				} else {
					_, err = fake.Deposit(ctx, 5, mifos.Deposit{PaymentTypeID: 3, ReceiptNumber: "crash-1", Amount: mifos.Amount(entry.Amount), Date: entryDay}, "key-before-crash")
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			before := len(fake.callsOf("repay")) + len(fake.callsOf("deposit"))
			h.start()
			e := h.waitSettled(id)[0]
			if e.State != store.JournalDone {
				t.Fatalf("entry: %+v", e)
			}
			writes := append(fake.callsOf("repay"), fake.callsOf("deposit")...)[before:]
			if len(writes) != tc.wantWrites {
				t.Fatalf("worker made %d writes, want %d: %+v", len(writes), tc.wantWrites, writes)
			}
			if len(fake.callsOf(tc.wantLookupOp)) == 0 {
				t.Errorf("no %s before deciding", tc.wantLookupOp)
			}
			if posted := fake.postings(5); posted != 1 {
				t.Errorf("Fineract has %d postings, want 1", posted)
			}
			if tc.wantWrites == 1 && (writes[0].Key == "key-before-crash") != tc.wantSameKey {
				t.Errorf("resend used key %q; want same key = %v", writes[0].Key, tc.wantSameKey)
			}
		})
	}
}

// A 500 may come after Fineract committed, so it is an unknown outcome:
// the posting is looked up before it is sent again. A 500 that Fineract
// rolled back is stored under its key: a deposit's resent key gets it back
// from the store (served from cache), which proves the rollback, and only
// then does a new key post it.
func TestServerErrorIsLookedUpBeforeAResend(t *testing.T) {
	for _, tc := range []struct {
		kind   store.JournalKind
		lookup string
		keys   int // distinct keys over the writes
		writes int
	}{
		{store.JournalLoanRepayment, "lookup-loan", 2, 2},
		{store.JournalSavingsDeposit, "lookup-savings", 2, 3},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			fake := newFake()
			fake.fault = func(c fakeCall) (afterFault, error) {
				if c.N == 1 {
					return rolledBack, &mifos.Error{Status: 500, Message: "java.lang.NullPointerException"}
				}
				return rolledBack, nil
			}
			h := newHarness(t, fake, nil)
			entry := loanEntry(1, 5, "e500")
			if tc.kind == store.JournalSavingsDeposit {
				entry = savingsEntry(1, 5, "e500")
			}
			id := h.append(entry)
			h.start()
			e := h.waitSettled(id)[0]
			writes := append(fake.callsOf("repay"), fake.callsOf("deposit")...)
			keys := map[string]bool{}
			for _, w := range writes {
				keys[w.Key] = true
			}
			if e.State != store.JournalDone || !e.Uncertain || len(writes) != tc.writes || len(keys) != tc.keys || fake.postings(5) != 1 {
				t.Fatalf("entry %+v after writes %+v", e, writes)
			}
			if n := len(fake.callsOf(tc.lookup)); n == 0 {
				t.Error("sent again after a 500 without looking the posting up")
			}
		})
	}
}

func TestRefusalFailsAndTellsOfficer(t *testing.T) {
	fake := newFake()
	const code = "error.msg.loan.transaction.cannot.be.before.disbursement.date"
	fake.fault = func(fakeCall) (afterFault, error) {
		return rolledBack, &mifos.Error{Status: 403, Code: "validation.msg.domain.rule.violation",
			Errors: []mifos.FieldError{{Code: code, Message: "The transaction date cannot be before the loan disbursement date."}}}
	}
	h := newHarness(t, fake, nil)
	id := h.append(loanEntry(1, 5, "early-1"))
	h.start()
	e := h.waitSettled(id)[0]
	if e.State != store.JournalFailed || !strings.Contains(e.Outcome, code) || e.LastError != e.Outcome {
		t.Fatalf("entry: %+v", e)
	}
	if n := len(fake.callsOf("repay")); n != 1 {
		t.Errorf("refused posting was sent %d times", n)
	}
	calls := h.settledCalls()
	if len(calls) != 1 || calls[0].e.State != store.JournalFailed || !strings.Contains(calls[0].e.Outcome, "cannot be before the loan disbursement date") {
		t.Fatalf("Settled calls: %+v", calls)
	}
	out, _ := h.db.ListOutbound("", 0)
	if len(out) != 1 || out[0].To != "+254700000001" || !strings.Contains(out[0].Text, "failed") {
		t.Errorf("officer confirmation: %+v", out)
	}
}

func TestOfflineThenBackDrainsWithoutWaitingOutBackoff(t *testing.T) {
	fake := newFake()
	fake.fault = func(c fakeCall) (afterFault, error) {
		if c.N == 1 {
			fake.down.Store(true) // the link drops during the first posting
			return rolledBack, errNetwork
		}
		return rolledBack, nil
	}
	h := newHarness(t, fake, func(o *Options) {
		// Far longer than settleWait: only the outage recovery can drain in time.
		o.MinBackoff, o.MaxBackoff = time.Hour, time.Hour
		o.Workers = 1
	})
	var ids []uint64
	for i := range 5 {
		ids = append(ids, h.append(loanEntry(uint64(i+1), int64(10+i), fmt.Sprint("off-", i))))
	}
	h.start()
	deadline := time.Now().Add(settleWait)
	for {
		e, _ := h.db.JournalEntry(ids[0])
		if e.Attempts == 1 && e.State == store.JournalPending && !h.w.Online() {
			if e.NextAttempt.Before(time.Now().Add(30 * time.Minute)) {
				t.Fatalf("retry after a network error due at %v, want the configured hour", e.NextAttempt)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker never went offline: %+v online=%v", e, h.w.Online())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if others := len(fake.callsOf("repay")); others != 1 {
		t.Errorf("%d postings attempted while offline, want only the first", others)
	}
	fake.down.Store(false)
	for _, e := range h.waitSettled(ids...) {
		if e.State != store.JournalDone {
			t.Errorf("entry %d: %+v", e.ID, e)
		}
	}
	if !h.w.Online() {
		t.Error("Online() false after draining")
	}
}

func TestPerAccountOrdering(t *testing.T) {
	fake := newFake()
	fake.delay = 2 * time.Millisecond
	fake.fault = func(c fakeCall) (afterFault, error) {
		if c.N == 1 { // the first entry of loan 1 must retry; the second must wait for it
			return rolledBack, &mifos.Error{Status: 409, Code: "error.msg.loan.locked"}
		}
		return rolledBack, nil
	}
	h := newHarness(t, fake, nil)
	a1 := h.append(loanEntry(1, 1, "a1"))
	a2 := h.append(loanEntry(2, 1, "a2"))
	b1 := h.append(loanEntry(2, 2, "b1"))
	a3 := h.append(loanEntry(3, 1, "a3"))
	h.start()
	h.waitSettled(a1, a2, b1, a3)
	if got := fake.loanOrder(1); !slices.Equal(got, []string{"a1", "a2", "a3"}) {
		t.Errorf("loan 1 posted in order %v, want a1 a2 a3", got)
	}
	if n := fake.counters().overlaps; n != 0 {
		t.Errorf("%d writes to one account overlapped", n)
	}
}

func TestBoundedConcurrency(t *testing.T) {
	fake := newFake()
	fake.delay = 5 * time.Millisecond
	h := newHarness(t, fake, func(o *Options) { o.Workers = 3 })
	var ids []uint64
	for i := range 30 {
		ids = append(ids, h.append(loanEntry(uint64(i), int64(100+i), fmt.Sprint("c-", i))))
	}
	h.start()
	h.waitSettled(ids...)
	peak := fake.counters().maxInflight
	if peak > 3 {
		t.Errorf("%d calls at once with Workers=3", peak)
	}
	if peak < 2 {
		t.Errorf("postings never overlapped (max %d at once): the workers do not run concurrently", peak)
	}
}

func sheetEntry(batch uint64, group int64, s mifos.SaveSheet) store.JournalEntry {
	return store.JournalEntry{Batch: batch, Kind: store.JournalCollectionSheet, Officer: "+254700000002", GroupID: group,
		CalendarID: 8, Date: "2024-09-26", Payload: EncodeSheet(s)}
}

func TestCollectionSheet(t *testing.T) {
	sheet := mifos.SaveSheet{Repayments: []mifos.SheetRepayment{
		{LoanID: 1, Amount: 100_000_000, ExternalID: "sheet-1-l1"},
		{LoanID: 2, Amount: 250_500_000, ExternalID: "sheet-1-l2"},
	}}
	t.Run("posted", func(t *testing.T) {
		fake := newFake()
		h := newHarness(t, fake, nil)
		id := h.append(sheetEntry(1, 7, sheet))
		h.start()
		e := h.waitSettled(id)[0]
		if e.State != store.JournalDone || len(e.FineractTxnIDs) != 2 {
			t.Fatalf("entry: %+v", e)
		}
	})
	t.Run("timeout after commit", func(t *testing.T) {
		fake := newFake()
		fake.fault = func(c fakeCall) (afterFault, error) {
			if c.N == 1 {
				return committed, &mifos.Error{Status: 504, Message: "gateway timeout"}
			}
			return rolledBack, nil
		}
		h := newHarness(t, fake, nil)
		id := h.append(sheetEntry(1, 7, sheet))
		h.start()
		e := h.waitSettled(id)[0]
		if e.State != store.JournalDone || len(fake.callsOf("sheet")) != 1 || fake.postings(1) != 1 {
			t.Fatalf("entry %+v, sheet calls %d, loan 1 ledger %v", e, len(fake.callsOf("sheet")), fake.loanOrder(1))
		}
	})
	t.Run("damaged payload fails", func(t *testing.T) {
		fake := newFake()
		h := newHarness(t, fake, nil)
		bad := sheetEntry(1, 7, sheet)
		bad.Payload = []byte("{not json")
		id := h.append(bad)
		h.start()
		if e := h.waitSettled(id)[0]; e.State != store.JournalFailed || !strings.Contains(e.Outcome, "damaged") {
			t.Fatalf("entry: %+v", e)
		}
	})
}

func TestSheetEncodingIsExact(t *testing.T) {
	in := mifos.SaveSheet{Date: mifos.Date{Year: 2024, Month: 9, Day: 26}, CalendarID: 8, PaymentTypeID: 3, Note: "meeting",
		Repayments: []mifos.SheetRepayment{{LoanID: 1, Amount: 9_007_199_254_740_993, ExternalID: "x"}},
		Deposits:   []mifos.SheetDeposit{{SavingsID: 2, Amount: 1, DepositAccountType: "Savings Deposit"}}}
	out, err := DecodeSheet(EncodeSheet(in))
	if err != nil {
		t.Fatal(err)
	}
	if out.Repayments[0].Amount != in.Repayments[0].Amount || out.Date != in.Date || out.Deposits[0] != in.Deposits[0] || out.Note != in.Note {
		t.Errorf("round trip: %+v -> %+v", in, out)
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	w := New(Options{MinBackoff: time.Second, MaxBackoff: 8 * time.Second})
	for attempt, base := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 30: 8 * time.Second} {
		for range 50 {
			d := w.backoff(attempt)
			if d < base*3/4 || d > base*5/4 {
				t.Fatalf("backoff(%d) = %v, want within 25%% of %v", attempt, d, base)
			}
		}
	}
}

// An external id Fineract holds on another loan (a restored store, two
// boxes with one name): nothing of ours was posted, so it must not say done.
func TestDuplicateExternalIDOnAnotherLoanFails(t *testing.T) {
	fake := newFake()
	fake.seedLoanTxn(100, "dup-2")
	fake.fault = func(c fakeCall) (afterFault, error) {
		if c.Op == "repay" {
			return rolledBack, &mifos.Error{Status: 400, Errors: []mifos.FieldError{{Code: mifos.CodeDuplicateExternalID}}}
		}
		return rolledBack, nil
	}
	h := newHarness(t, fake, nil)
	id := h.append(loanEntry(1, 5, "dup-2"))
	h.start()
	e := h.waitSettled(id)[0]
	if e.State != store.JournalFailed || !strings.Contains(e.Outcome, "no repayment on this loan has it") {
		t.Fatalf("entry: %+v", e)
	}
	if n := fake.postings(5); n != 0 {
		t.Errorf("loan 5 has %d repayments", n)
	}
}

// Fineract refusing the box's own user must hold postings, not fail them:
// fixing the password afterwards posts everything.
func TestAuthProblemWaitsInsteadOfFailing(t *testing.T) {
	fake := newFake()
	var refused atomic.Int32
	fake.fault = func(c fakeCall) (afterFault, error) {
		if c.Op == "repay" && refused.Add(1) <= 2 {
			return rolledBack, &mifos.Error{Status: 401, Code: "error.msg.not.authenticated"}
		}
		return rolledBack, nil
	}
	h := newHarness(t, fake, nil)
	id := h.append(loanEntry(1, 5, "auth-1"))
	h.start()
	e := h.waitSettled(id)[0]
	if e.State != store.JournalDone || fake.postings(5) != 1 || refused.Load() < 3 {
		t.Fatalf("entry %+v after %d refusals, %d postings", e, refused.Load(), fake.postings(5))
	}
}

// A redirect means the box's base_url is wrong, not the posting: nothing
// was processed (the client never follows one), so the posting waits
// without being marked uncertain, and goes through once base_url is fixed.
func TestRedirectWaitsInsteadOfFailing(t *testing.T) {
	fake := newFake()
	var redirected atomic.Int32
	fake.fault = func(c fakeCall) (afterFault, error) {
		if c.Op == "repay" && redirected.Add(1) <= 2 {
			return rolledBack, &mifos.Error{Status: 302}
		}
		return rolledBack, nil
	}
	h := newHarness(t, fake, nil)
	id := h.append(loanEntry(1, 5, "redirect-1"))
	h.start()
	e := h.waitSettled(id)[0]
	if e.State != store.JournalDone || e.Uncertain || fake.postings(5) != 1 || redirected.Load() < 3 {
		t.Fatalf("entry %+v after %d redirects, %d postings", e, redirected.Load(), fake.postings(5))
	}
}

// A redirected lookup of a deposit that may have gone through says
// nothing about it: the entry keeps waiting (still uncertain, same key)
// rather than failing, and is checked again once base_url is fixed.
func TestRedirectedLookupWaits(t *testing.T) {
	fake := newFake()
	var redirected atomic.Int32
	fake.lookupFault = func(c fakeCall) error {
		if redirected.Add(1) <= 2 {
			return &mifos.Error{Status: 301}
		}
		return nil
	}
	h := newHarness(t, fake, nil)
	id := h.append(savingsEntry(1, 5, "moved-1"))
	if err := h.db.MarkJournalPosting(id, "key-before-crash"); err != nil {
		t.Fatal(err)
	}
	h.start()
	e := h.waitSettled(id)[0]
	deposits := fake.callsOf("deposit")
	if e.State != store.JournalDone || fake.postings(5) != 1 || redirected.Load() < 3 || len(deposits) != 1 || deposits[0].Key != "key-before-crash" {
		t.Fatalf("entry %+v after %d redirected lookups; deposits %+v", e, redirected.Load(), deposits)
	}
}

// Once a checker approves a held posting in Fineract, the worker finds it
// and settles it as done, which sends the usual confirmation.
func TestApprovedPostingSettlesAsDone(t *testing.T) {
	fake := newFake()
	fake.makerChecker.Store(true)
	h := newHarness(t, fake, func(o *Options) { o.ApprovalInterval = 20 * time.Millisecond })
	id := h.append(loanEntry(1, 5, "mc-2"))
	h.start()
	if e := h.waitSettled(id)[0]; e.State != store.JournalAwaitingApproval {
		t.Fatalf("entry: %+v", e)
	}
	approved := fake.seedLoanTxn(5, "mc-2") // the checker approves it in Fineract
	deadline := time.Now().Add(10 * time.Second)
	for {
		e, err := h.db.JournalEntry(id)
		if err != nil {
			t.Fatal(err)
		}
		if e.State == store.JournalDone {
			if !slices.Equal(e.FineractTxnIDs, []int64{approved}) {
				t.Fatalf("done with txns %v, want %d", e.FineractTxnIDs, approved)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %s after approval", e.State)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if calls := h.settledCalls(); len(calls) != 2 || calls[1].e.State != store.JournalDone {
		t.Fatalf("Settled calls: %+v", calls)
	}
	if n := fake.postings(5); n != 1 {
		t.Fatalf("%d repayments, want the approved one only", n)
	}
}
