package posting

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// standIn is the Fineract stand-in, seeded, with the real client on it.
type standIn struct {
	fin *fineractsim.Server
	api *mifos.HTTPClient
	day string // the business date, yyyy-mm-dd
}

func newStandIn(t *testing.T, opts fineractsim.Options) standIn {
	t.Helper()
	fin, err := fineractsim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fin.Close() })
	fin.Seed()
	// A request lost on a loaded machine (a reused connection the stand-in
	// closed) is given up after 3 s, not the default 20 s, so the worker's
	// retry, which these tests are about, happens within settleWait.
	api, err := mifos.New(mifos.Config{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password", Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return standIn{fin: fin, api: api, day: mifos.DateOf(fin.BusinessDate()).String()}
}

// harness is a posting harness whose Fineract is the stand-in.
func (s standIn) harness(t *testing.T, tune func(*Options)) *harness {
	t.Helper()
	return newHarness(t, nil, func(o *Options) {
		o.API = s.api
		o.PaymentTypeID = fineractsim.SeedPaymentMpesa
		if tune != nil {
			tune(o)
		}
	})
}

// requests counts the requests whose path contains part.
func (s standIn) requests(part string) int {
	n := 0
	for _, r := range s.fin.Requests() {
		if strings.Contains(r.Path, part) {
			n++
		}
	}
	return n
}

func (s standIn) repayment(batch uint64, loan int64, ext string, amount int64) store.JournalEntry {
	return store.JournalEntry{Batch: batch, Kind: store.JournalLoanRepayment, Officer: "+254700000001", AccountID: loan,
		Amount: amount, Currency: "KES", Decimals: 2, Date: s.day, ExternalID: ext, Receipt: "R" + ext}
}

// postedBeforeTheCrash sends e as the daemon did just before it stopped:
// the key is persisted, the request reached Fineract, the answer was lost.
func postedBeforeTheCrash(t *testing.T, h *harness, s standIn, id uint64, e store.JournalEntry) int64 {
	t.Helper()
	const key = "key-before-the-crash"
	if err := h.db.MarkJournalPosting(id, key); err != nil {
		t.Fatal(err)
	}
	res, err := s.api.Repay(context.Background(), e.AccountID, mifos.Repayment{Date: mustDate(t, e.Date), Amount: mifos.Amount(e.Amount),
		PaymentTypeID: fineractsim.SeedPaymentMpesa, ExternalID: e.ExternalID, ReceiptNumber: e.Receipt}, key)
	if err != nil {
		t.Fatal(err)
	}
	return res.ResourceID
}

func mustDate(t *testing.T, s string) mifos.Date {
	t.Helper()
	d, err := parseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Fineract before 1.9 has no external-id route, and its plain 404 is not
// "no such repayment": the repayment is found in the loan's transactions,
// and the missing route is learnt once.
func TestLookupOnFineractBefore19(t *testing.T) {
	s := newStandIn(t, fineractsim.Options{Before19: true})
	// One at a time, so the second lookup starts after the first learnt.
	h := s.harness(t, func(o *Options) { o.Workers = 1 })
	first := s.repayment(1, fineractsim.SeedLoanAmina, "me-box-m1-1", 500_000_000)
	second := s.repayment(2, fineractsim.SeedLoanGrace, "me-box-m2-1", 700_000_000)
	id1, id2 := h.append(first), h.append(second)
	posted1 := postedBeforeTheCrash(t, h, s, id1, first)
	posted2 := postedBeforeTheCrash(t, h, s, id2, second)
	before := len(s.fin.LoanTransactions(fineractsim.SeedLoanAmina))
	h.start()
	got := h.waitSettled(id1, id2)
	for i, want := range []int64{posted1, posted2} {
		if e := got[i]; e.State != store.JournalDone || len(e.FineractTxnIDs) != 1 || e.FineractTxnIDs[0] != want {
			t.Fatalf("entry %d: %+v, want done as transaction %d", i, e, want)
		}
	}
	if n := len(s.fin.LoanTransactions(fineractsim.SeedLoanAmina)); n != before {
		t.Fatalf("loan has %d transactions, had %d: posted twice", n, before)
	}
	if n := s.requests("/external-id/"); n != 1 {
		t.Errorf("the external-id route was asked %d times; the first plain 404 should be remembered", n)
	}
}

func (s standIn) deposit(batch uint64, savings int64, receipt string, amount int64) store.JournalEntry {
	return store.JournalEntry{Batch: batch, Kind: store.JournalSavingsDeposit, Officer: "+254700000001", AccountID: savings,
		Amount: amount, Currency: "KES", Decimals: 2, Date: s.day, Receipt: receipt}
}

// meetsToday adds a group of Amina and Grace that meets on the business
// date, so a sheet of their savings can be saved today.
func (s standIn) meetsToday(t *testing.T) (group, calendar int64) {
	t.Helper()
	b := s.fin.BusinessDate()
	const cal = 88
	g := s.fin.AddGroup(fineractsim.Group{Name: "Tumaini", StaffID: fineractsim.SeedStaffPeter,
		ClientIDs: []int64{fineractsim.SeedClientAmina, fineractsim.SeedClientGrace},
		Meeting:   &fineractsim.Calendar{ID: cal, StartDate: b.AddDate(0, -3, 0), Weekday: b.Weekday()}})
	return g, cal
}

func (s standIn) depositsSheet(batch uint64, group, calendar int64) store.JournalEntry {
	sheet := mifos.SaveSheet{Deposits: []mifos.SheetDeposit{
		{SavingsID: fineractsim.SeedSavingsAmina, Amount: 200_000_000, DepositAccountType: "Saving Deposit"},
		{SavingsID: fineractsim.SeedSavingsGrace, Amount: 50_000_000, DepositAccountType: "Saving Deposit"},
	}}
	return store.JournalEntry{Batch: batch, Kind: store.JournalCollectionSheet, Officer: "+254700000002", GroupID: group,
		CalendarID: calendar, Amount: 250_000_000, Currency: "KES", Decimals: 2, Date: s.day,
		ExternalID: "me-box-m" + itoa(batch) + "-0", Payload: EncodeSheet(sheet)}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// savingsWith counts the transactions of a savings account with receipt.
func (s standIn) savingsWith(id int64, receipt string) int {
	n := 0
	for _, t := range s.fin.SavingsTransactions(id) {
		if t.ReceiptNumber == receipt {
			n++
		}
	}
	return n
}

// Fineract can fail after it committed (while storing the command's
// result): the answer is a 500, the posting is in the books, and the key
// stays "running". A 500 is therefore an unknown outcome: the posting is
// looked up before anything is resent, a deposit and a sheet of deposits
// too, and each posts once.
func TestServerErrorAfterCommitPostsOnce(t *testing.T) {
	t.Run("deposit", func(t *testing.T) {
		s := newStandIn(t, fineractsim.Options{})
		h := s.harness(t, nil)
		id := h.append(s.deposit(1, fineractsim.SeedSavingsAmina, "MEbox1I1", 300_000_000))
		s.fin.FailAfterCommit(1)
		h.start()
		e := h.waitSettled(id)[0]
		if e.State != store.JournalDone || len(e.FineractTxnIDs) != 1 {
			t.Fatalf("entry %+v", e)
		}
		if n := s.savingsWith(fineractsim.SeedSavingsAmina, "MEbox1I1"); n != 1 {
			t.Fatalf("Fineract holds the deposit %d times", n)
		}
	})
	t.Run("sheet of deposits", func(t *testing.T) {
		s := newStandIn(t, fineractsim.Options{})
		group, cal := s.meetsToday(t)
		h := s.harness(t, nil)
		e := s.depositsSheet(5, group, cal)
		id := h.append(e)
		before := len(s.fin.SavingsTransactions(fineractsim.SeedSavingsGrace))
		s.fin.FailAfterCommit(1)
		h.start()
		got := h.waitSettled(id)[0]
		if got.State != store.JournalDone || len(got.FineractTxnIDs) == 0 {
			t.Fatalf("entry %+v", got)
		}
		if n := len(s.fin.SavingsTransactions(fineractsim.SeedSavingsGrace)) - before; n != 1 {
			t.Fatalf("the sheet's deposit to Grace was posted %d times", n)
		}
	})
	t.Run("repayment", func(t *testing.T) {
		s := newStandIn(t, fineractsim.Options{})
		h := s.harness(t, nil)
		id := h.append(s.repayment(1, fineractsim.SeedLoanAmina, "me-box-m1-1", 500_000_000))
		before := len(s.fin.LoanTransactions(fineractsim.SeedLoanAmina))
		s.fin.FailAfterCommit(1)
		h.start()
		if e := h.waitSettled(id)[0]; e.State != store.JournalDone {
			t.Fatalf("entry %+v", e)
		}
		if n := len(s.fin.LoanTransactions(fineractsim.SeedLoanAmina)) - before; n != 1 {
			t.Fatalf("the repayment was posted %d times", n)
		}
	})
}

// depositedBeforeTheCrash is postedBeforeTheCrash for a deposit.
func depositedBeforeTheCrash(t *testing.T, h *harness, s standIn, id uint64, e store.JournalEntry) int64 {
	t.Helper()
	const key = "key-before-the-crash"
	if err := h.db.MarkJournalPosting(id, key); err != nil {
		t.Fatal(err)
	}
	res, err := s.api.Deposit(context.Background(), e.AccountID, mifos.Deposit{Date: mustDate(t, e.Date), Amount: mifos.Amount(e.Amount),
		PaymentTypeID: fineractsim.SeedPaymentMpesa, ReceiptNumber: e.Receipt}, key)
	if err != nil {
		t.Fatal(err)
	}
	return res.ResourceID
}

// A deposit posted, then reversed in Fineract before its lost answer was
// looked up: the receipt lookup meets the reversal copy first (same
// receipt, isReversal, not reversed) and must not take it for the deposit.
// It is reversed: not done, not posted again.
func TestReversedDepositIsNotTakenForPosted(t *testing.T) {
	s := newStandIn(t, fineractsim.Options{})
	h := s.harness(t, nil)
	e := s.deposit(1, fineractsim.SeedSavingsAmina, "MEbox1I1", 300_000_000)
	id := h.append(e)
	posted := depositedBeforeTheCrash(t, h, s, id, e)
	if err := s.fin.ReverseSavingsTransaction(fineractsim.SeedSavingsAmina, posted); err != nil {
		t.Fatal(err)
	}
	h.start()
	got := h.waitSettled(id)[0]
	if got.State != store.JournalFailed || !strings.Contains(got.Outcome, "reversed") || len(got.FineractTxnIDs) != 1 || got.FineractTxnIDs[0] != posted {
		t.Fatalf("entry %+v, want failed as reversed transaction %d", got, posted)
	}
	if n := s.savingsWith(fineractsim.SeedSavingsAmina, "MEbox1I1"); n != 2 {
		t.Fatalf("%d transactions with the receipt, want the deposit and its reversal only", n)
	}
}

// A repayment that Fineract itself reversed (undoing the disbursal) keeps
// its externalId and manuallyReversed false: the external-id lookup finds
// it as if it stood. Only the loan's transactions tell it is reversed.
func TestRepaymentReversedByFineractIsNotTakenForPosted(t *testing.T) {
	s := newStandIn(t, fineractsim.Options{})
	h := s.harness(t, nil)
	e := s.repayment(1, fineractsim.SeedLoanAmina, "me-box-m1-1", 500_000_000)
	id := h.append(e)
	posted := postedBeforeTheCrash(t, h, s, id, e)
	if err := s.fin.ReverseLoanTransaction(posted, false); err != nil {
		t.Fatal(err)
	}
	h.start()
	got := h.waitSettled(id)[0]
	if got.State != store.JournalFailed || !strings.Contains(got.Outcome, "reversed") || len(got.FineractTxnIDs) != 1 || got.FineractTxnIDs[0] != posted {
		t.Fatalf("entry %+v, want failed as reversed transaction %d", got, posted)
	}
}

// waitRetried waits until entry id has been tried n times and waits for
// its next try (or settled).
func waitRetried(t *testing.T, h *harness, id uint64, n int) store.JournalEntry {
	t.Helper()
	deadline := time.Now().Add(settleWait)
	for {
		e, err := h.db.JournalEntry(id)
		if err != nil {
			t.Fatal(err)
		}
		if (e.Attempts >= n && e.State == store.JournalPending) || !e.State.Open() {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("entry tried %d times, want %d: %+v", e.Attempts, n, e)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A wrong [mifos] tenant (Fineract's filter answers 400 with a servlet
// page) or payment_type_id (404 error.msg.payment.type.invalid) is the
// box's setup, not the posting: postings wait, saying so, and go through
// once the setup is fixed.
func TestSetupProblemsMakePostingsWait(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tune  func(s standIn, o *Options)
		words string
	}{
		{"unknown tenant", func(s standIn, o *Options) {
			api, err := mifos.New(mifos.Config{BaseURL: s.fin.URL(), Tenant: "defualt", Username: "mifos", Password: "password"})
			if err != nil {
				panic(err)
			}
			o.API = api
		}, "[mifos] tenant"},
		{"unknown payment type", func(_ standIn, o *Options) { o.PaymentTypeID = 2 }, "[mifos] payment_type_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t, fineractsim.Options{})
			h := s.harness(t, func(o *Options) { tc.tune(s, o) })
			id := h.append(s.deposit(1, fineractsim.SeedSavingsAmina, "MEbox1I1", 300_000_000))
			h.start()
			e := waitRetried(t, h, id, 3)
			h.stop()
			if e.State != store.JournalPending || !strings.Contains(e.LastError, tc.words) {
				t.Fatalf("entry %+v, want it waiting and naming %s", e, tc.words)
			}
			// The setup fixed, the same entry posts.
			fixed := s.harness(t, nil)
			fixed.db = h.db
			fixed.opts.DB = h.db
			fixed.start()
			if e := fixed.waitSettled(id)[0]; e.State != store.JournalDone || s.savingsWith(fineractsim.SeedSavingsAmina, "MEbox1I1") != 1 {
				t.Fatalf("after the fix: %+v", e)
			}
		})
	}
}

// alreadyInFineract posts a repayment with e's externalId that the journal
// knows nothing of (a store restored from an older copy, or two boxes with
// one box_id), for amount on day.
func alreadyInFineract(t *testing.T, s standIn, e store.JournalEntry, amount int64, day mifos.Date) int64 {
	t.Helper()
	res, err := s.api.Repay(context.Background(), e.AccountID, mifos.Repayment{Date: day, Amount: mifos.Amount(amount),
		PaymentTypeID: fineractsim.SeedPaymentMpesa, ExternalID: e.ExternalID}, "key-of-another-box")
	if err != nil {
		t.Fatal(err)
	}
	return res.ResourceID
}

// Whatever refuses a repayment (the duplicate externalId may come as the
// generic 403 data-integrity error), the externalId is looked up before the
// entry fails: found, it was posted. And a repayment found by its
// externalId is compared with the entry: another amount or date is not
// "done" but a question for a person.
func TestRefusedRepaymentIsLookedUpAndCompared(t *testing.T) {
	for _, tc := range []struct {
		name        string
		opts        fineractsim.Options
		amount      int64
		daysEarlier int
		want        store.JournalState
		words       string
	}{
		{"duplicate as data-integrity 403", fineractsim.Options{UnnamedExternalIDIndex: true}, 500_000_000, 0, store.JournalDone, "found in Fineract"},
		{"another amount", fineractsim.Options{}, 400_000_000, 0, store.JournalFailed, "another amount"},
		{"another date", fineractsim.Options{}, 500_000_000, 1, store.JournalFailed, "another date"},
		{"another amount, as data-integrity 403", fineractsim.Options{UnnamedExternalIDIndex: true}, 400_000_000, 0, store.JournalFailed, "another amount"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t, tc.opts)
			h := s.harness(t, nil)
			e := s.repayment(1, fineractsim.SeedLoanAmina, "me-box-m1-1", 500_000_000)
			id := h.append(e)
			prior := alreadyInFineract(t, s, e, tc.amount, mifos.DateOf(s.fin.BusinessDate().AddDate(0, 0, -tc.daysEarlier)))
			before := len(s.fin.LoanTransactions(fineractsim.SeedLoanAmina))
			h.start()
			got := h.waitSettled(id)[0]
			if got.State != tc.want || !strings.Contains(got.Outcome, tc.words) {
				t.Fatalf("entry %+v, want %s saying %q", got, tc.want, tc.words)
			}
			if len(got.FineractTxnIDs) != 1 || got.FineractTxnIDs[0] != prior {
				t.Errorf("entry names %v, Fineract's transaction is %d", got.FineractTxnIDs, prior)
			}
			if tc.want == store.JournalFailed && (!strings.Contains(got.Refusal, "check in Mifos") || strings.Contains(got.Refusal, "fineract ")) {
				t.Errorf("the officer is told %q: want plain words asking to check in Mifos", got.Refusal)
			}
			if n := len(s.fin.LoanTransactions(fineractsim.SeedLoanAmina)); n != before {
				t.Errorf("posted again: %d transactions, had %d", n, before)
			}
		})
	}
}

// A deposit whose first request died with Fineract's server: nothing was
// posted, but the key stays "running" for ever, so every resend gets 425
// and every lookup finds nothing. After a bounded number of those the
// entry goes to a person, in plain words, instead of retrying for ever.
func TestStuckCommandGoesToAPerson(t *testing.T) {
	s := newStandIn(t, fineractsim.Options{})
	h := s.harness(t, nil)
	id := h.append(s.deposit(1, fineractsim.SeedSavingsAmina, "MEbox1I1", 300_000_000))
	s.fin.CrashNext(1)
	h.start()
	e := waitRetried(t, h, id, 25)
	if e.State != store.JournalFailed || !strings.Contains(e.Refusal, "check in Mifos") || strings.Contains(e.Refusal, "fineract ") {
		t.Fatalf("entry %+v, want it failed for a person to check", e)
	}
	if e.StillRunning == 0 || e.Attempts > 20 {
		t.Errorf("after %d attempts and %d still-running answers", e.Attempts, e.StillRunning)
	}
	if n := s.savingsWith(fineractsim.SeedSavingsAmina, "MEbox1I1"); n != 0 {
		t.Fatalf("%d deposits posted", n)
	}
	deposits := 0
	for _, r := range s.fin.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/transactions") {
			deposits++
			if r.Header.Get("Idempotency-Key") != e.IdempotencyKey {
				t.Fatalf("a resend under a new key %q (first %q)", r.Header.Get("Idempotency-Key"), e.IdempotencyKey)
			}
		}
	}
	if deposits < 2 {
		t.Errorf("%d deposit requests", deposits)
	}
}

// longHistory gives Amina's savings more transactions than the client
// reads in one answer (8 MiB), all before the business date.
func (s standIn) longHistory() {
	s.fin.AddDeposits(fineractsim.SeedSavingsAmina, 14_000, fineractsim.MustAmount("5"), s.fin.BusinessDate().AddDate(0, 0, -1), "OLD")
}

// The savings transaction list has no paging: on a long account it is
// more than the client reads, and that error used to pass for a network
// failure, retried for ever (and the link taken for down). The deposit is
// looked up in the day's deposits page by page (Fineract 1.9+); without
// that search, an answer too large goes to a person at once.
func TestDepositLookupOnALongAccount(t *testing.T) {
	t.Run("search by day", func(t *testing.T) {
		s := newStandIn(t, fineractsim.Options{})
		s.longHistory()
		h := s.harness(t, nil)
		e := s.deposit(1, fineractsim.SeedSavingsAmina, "MEbox1I1", 300_000_000)
		id := h.append(e)
		posted := depositedBeforeTheCrash(t, h, s, id, e)
		h.start()
		got := waitRetried(t, h, id, 5)
		if got.State != store.JournalDone || len(got.FineractTxnIDs) != 1 || got.FineractTxnIDs[0] != posted {
			t.Fatalf("entry %+v, want done as %d", got, posted)
		}
	})
	t.Run("whole list too large", func(t *testing.T) {
		s := newStandIn(t, fineractsim.Options{Before19: true})
		s.longHistory()
		h := s.harness(t, nil)
		e := s.deposit(1, fineractsim.SeedSavingsAmina, "MEbox1I1", 300_000_000)
		id := h.append(e)
		depositedBeforeTheCrash(t, h, s, id, e)
		h.start()
		got := waitRetried(t, h, id, 5)
		if got.State != store.JournalFailed || !strings.Contains(got.Refusal, "check in") || strings.Contains(got.Refusal, "fineract ") {
			t.Fatalf("entry %+v, want it failed for a person", got)
		}
		if n := s.savingsWith(fineractsim.SeedSavingsAmina, "MEbox1I1"); n != 1 {
			t.Fatalf("%d deposits with the receipt", n)
		}
		if !h.w.Online() {
			t.Error("an answer too large took Fineract for unreachable")
		}
	})
}

// Fineract drops a sheet deposit that fails inside the save and answers
// 200 for the rest. The ids it returns are counted against the items sent:
// one missing is not "done" but a question for a person.
func TestSheetWithADroppedDepositIsNotDone(t *testing.T) {
	s := newStandIn(t, fineractsim.Options{})
	group, cal := s.meetsToday(t)
	closed := s.fin.AddSavings(fineractsim.Savings{ClientID: fineractsim.SeedClientGrace, StatusID: 600,
		ActivatedOn: s.fin.BusinessDate().AddDate(-1, 0, 0)})
	h := s.harness(t, nil)
	e := s.depositsSheet(5, group, cal)
	sheet, err := DecodeSheet(e.Payload)
	if err != nil {
		t.Fatal(err)
	}
	sheet.Deposits = append(sheet.Deposits, mifos.SheetDeposit{SavingsID: closed, Amount: 70_000_000, DepositAccountType: "Saving Deposit"})
	e.Payload, e.Amount = EncodeSheet(sheet), 320_000_000
	id := h.append(e)
	h.start()
	got := h.waitSettled(id)[0]
	if got.State != store.JournalFailed || !strings.Contains(got.Refusal, "check in Mifos") || strings.Contains(got.Refusal, "fineract ") {
		t.Fatalf("entry %+v, want failed for a person to check", got)
	}
	if len(got.FineractTxnIDs) != 2 || !strings.Contains(got.Outcome, "2 of the 3") {
		t.Errorf("entry names %v, outcome %q", got.FineractTxnIDs, got.Outcome)
	}
}
