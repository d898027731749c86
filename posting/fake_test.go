package posting

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// fakeFineract is a small in-memory Fineract: a ledger of loan and savings
// transactions with unique loan externalIds, collection sheets with their
// repayments and deposits, the Idempotency-Key cache of docs/fineract.md
// §10.1, and fault injection. Only the calls the worker makes are implemented.
//
// The cache behaves as Fineract's does: a replay of a key (same action, any
// account) gets the stored answer, success or Fineract's own error, marked
// served from cache; a replay while the first command with that key is still
// running, or waits for a checker, gets 425. A command still running is not
// seen by lookups until it commits.
type fakeFineract struct {
	delay time.Duration
	// down makes every call fail as if the network were gone.
	down atomic.Bool
	// makerChecker makes writes wait for approval instead of posting.
	makerChecker atomic.Bool

	mu       sync.Mutex
	nextID   int64
	loanTxns map[string]fakeLoanTxn // by externalId, unique over all loans
	loanLog  map[int64][]string     // externalIds per loan, in posting order
	// loanStatus is each loan's status id for disbursements; absent: approved (200).
	loanStatus map[int64]int
	// appReadErr, if set, answers LoanApplication.
	appReadErr error
	savings    map[int64][]mifos.SavingsTxn
	cache      map[string]*cached // idempotency cache by action+key
	calls      []fakeCall
	writes     int
	tooEarly   int // 425 answers
	// fault, if set, runs at the start of each write that is not a replay;
	// a non-nil err is answered in Fineract's place, and then says what
	// Fineract did with the command meanwhile.
	fault func(c fakeCall) (then afterFault, err error)
	// commitAfter425: a command left stillRunning commits once it has
	// answered this many replays with 425; 0 leaves it running until
	// finishRunning.
	commitAfter425 int
	// lookupFault, if set, may answer a lookup in Fineract's place.
	lookupFault func(c fakeCall) error

	inflight, maxInflight int
	busyAccounts          map[string]bool
	overlaps              int // writes to one account that ran at the same time
}

// afterFault is what Fineract did with a command whose answer a fault replaced.
type afterFault int

const (
	// rolledBack: nothing was written. Fineract stores its own refusal
	// under the key; a gateway's answer or a lost request leaves no trace.
	rolledBack afterFault = iota
	// committed: written, and the answer was lost on the way back (a
	// gateway's 504 or the client's timeout after Fineract committed).
	committed
	// stillRunning: Fineract is still at it; it commits later (see
	// commitAfter425 and finishRunning).
	stillRunning
)

type fakeLoanTxn struct {
	loan int64
	txn  mifos.LoanTxn
}

// answer is what one write command answered: a result (sheet for a
// collection sheet) or an error.
type answer struct {
	res   mifos.Result
	sheet mifos.SheetResult
	err   error
}

// cached is the Idempotency-Key cache's record of one command.
type cached struct {
	answer
	// running: the command has not finished; apply finishes it.
	running bool
	apply   func() answer
	early   int  // replays answered 425 while running
	waiting bool // held for a checker: replays get 425 for ever
}

type fakeCall struct {
	Op      string // "repay", "deposit", "sheet", "lookup-loan", "lookup-savings"
	Account int64
	Key     string
	ExtID   string // or receipt
	N       int    // 1-based count of writes so far
	Replay  bool   // the key was in the idempotency cache already
}

func newFake() *fakeFineract {
	return &fakeFineract{
		nextID:       1000,
		loanTxns:     map[string]fakeLoanTxn{},
		loanLog:      map[int64][]string{},
		loanStatus:   map[int64]int{},
		savings:      map[int64][]mifos.SavingsTxn{},
		cache:        map[string]*cached{},
		busyAccounts: map[string]bool{},
	}
}

var errNetwork = errors.New("dial tcp 10.0.0.5:8443: connect: no route to host")

// enter counts a call in flight and sleeps the fake's latency.
func (f *fakeFineract) enter(ctx context.Context, account string) (func(), error) {
	if f.down.Load() {
		return func() {}, errNetwork
	}
	f.mu.Lock()
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	if account != "" {
		if f.busyAccounts[account] {
			f.overlaps++
		}
		f.busyAccounts[account] = true
	}
	f.mu.Unlock()
	leave := func() {
		f.mu.Lock()
		f.inflight--
		if account != "" {
			delete(f.busyAccounts, account)
		}
		f.mu.Unlock()
	}
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			leave()
			return func() {}, ctx.Err()
		}
	}
	return leave, nil
}

func notFound(code string) error {
	return &mifos.Error{Status: 404, Code: "error.msg.resource.not.found", Errors: []mifos.FieldError{{Code: code}}}
}

// storedByFineract reports whether Fineract itself answered err from its
// command pipeline, so that it keeps the answer under the key: not a
// gateway's 502/504, not an authentication or rate refusal before the
// pipeline, not a request that never arrived.
func storedByFineract(err error) bool {
	var fe *mifos.Error
	if !errors.As(err, &fe) {
		return false
	}
	switch fe.Status {
	case 400, 403, 404, 409, 500:
		return true
	}
	return false
}

// tooEarlyAnswer is Fineract's answer to a replay of a key whose command is
// still running (docs/fineract.md §10.1: 425, not the documented 409).
func tooEarlyAnswer() error {
	return &mifos.Error{Status: 425, Code: "error.msg.idempotency.request.in.progress",
		Message: "the request with this idempotency key is still being processed", ServedFromCache: true}
}

// replay answers a key already in the cache. Caller holds f.mu.
func (f *fakeFineract) replay(hit *cached) answer {
	if hit.running || hit.waiting {
		f.tooEarly++
		hit.early++
		if hit.running && f.commitAfter425 > 0 && hit.early >= f.commitAfter425 {
			// The first request finishes just after this replay was answered.
			hit.answer, hit.running = hit.apply(), false
		}
		return answer{err: tooEarlyAnswer()}
	}
	a := hit.answer
	a.res.ServedFromCache, a.sheet.ServedFromCache = true, true
	a.sheet.LoanTransactionIDs = slices.Clone(a.sheet.LoanTransactionIDs)
	a.sheet.SavingsTransactionIDs = slices.Clone(a.sheet.SavingsTransactionIDs)
	if fe, ok := a.err.(*mifos.Error); ok {
		copied := *fe
		copied.ServedFromCache = true
		a.err = &copied
	}
	return a
}

// write runs one write command with the idempotency cache and fault hook;
// apply runs under f.mu.
func (f *fakeFineract) write(ctx context.Context, op string, account int64, key, ext string, apply func() answer) answer {
	leave, err := f.enter(ctx, fmt.Sprint(op, account))
	defer leave()
	if err != nil {
		return answer{err: err}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	c := fakeCall{Op: op, Account: account, Key: key, ExtID: ext, N: f.writes}
	cacheKey := op + "/" + key
	hit, isReplay := f.cache[cacheKey]
	c.Replay = isReplay
	f.calls = append(f.calls, c)
	if isReplay {
		return f.replay(hit)
	}
	if f.fault != nil {
		if then, ferr := f.fault(c); ferr != nil {
			switch then {
			case committed:
				f.cache[cacheKey] = &cached{answer: apply()}
			case stillRunning:
				f.cache[cacheKey] = &cached{running: true, apply: apply}
			default:
				if storedByFineract(ferr) {
					f.cache[cacheKey] = &cached{answer: answer{err: ferr}}
				}
			}
			return answer{err: ferr}
		}
	}
	if f.makerChecker.Load() {
		f.nextID++
		a := answer{res: mifos.Result{CommandID: f.nextID, PendingApproval: true}}
		a.sheet.PendingApproval = true
		f.cache[cacheKey] = &cached{answer: a, waiting: true}
		return a
	}
	a := apply()
	f.cache[cacheKey] = &cached{answer: a}
	return a
}

// finishRunning lets every command still running commit, as Fineract
// eventually does; it returns how many there were.
func (f *fakeFineract) finishRunning() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.cache {
		if c.running {
			c.answer, c.running = c.apply(), false
			n++
		}
	}
	return n
}

func (f *fakeFineract) Repay(ctx context.Context, loanID int64, r mifos.Repayment, key string) (mifos.Result, error) {
	a := f.write(ctx, "repay", loanID, key, r.ExternalID, func() answer {
		res, err := f.applyRepay(loanID, r.ExternalID, r.Amount, r.Date)
		return answer{res: res, err: err}
	})
	return a.res, a.err
}

// applyRepay posts under f.mu.
func (f *fakeFineract) applyRepay(loanID int64, ext string, amount mifos.Amount, date mifos.Date) (mifos.Result, error) {
	if _, dup := f.loanTxns[ext]; dup {
		return mifos.Result{}, &mifos.Error{Status: 400, Code: "validation.msg.validation.errors.exist",
			Errors: []mifos.FieldError{{Code: mifos.CodeDuplicateExternalID, Parameter: "externalId"}}}
	}
	f.nextID++
	f.loanTxns[ext] = fakeLoanTxn{loanID, mifos.LoanTxn{ID: f.nextID, ExternalID: ext, Amount: amount, Date: date}}
	f.loanLog[loanID] = append(f.loanLog[loanID], ext)
	return mifos.Result{ResourceID: f.nextID, ResourceExternalID: ext}, nil
}

// Disburse pays an approved loan out once: a loan not approved and waiting
// (already disbursed, or any other status) is Fineract's 400.
func (f *fakeFineract) Disburse(ctx context.Context, loanID int64, d mifos.Disbursement, key string) (mifos.Result, error) {
	a := f.write(ctx, "disburse", loanID, key, d.ExternalID, func() answer {
		if st, ok := f.loanStatus[loanID]; ok && st != mifos.StatusApproved {
			return answer{err: &mifos.Error{Status: 400, Code: "validation.msg.validation.errors.exist",
				Errors: []mifos.FieldError{{Code: mifos.CodeDisbursalNotApproved}}}}
		}
		res, err := f.applyRepay(loanID, d.ExternalID, d.Amount, d.Date)
		if err != nil {
			return answer{err: err}
		}
		t := f.loanTxns[d.ExternalID]
		t.txn.Disbursement = true
		f.loanTxns[d.ExternalID] = t
		f.loanStatus[loanID] = mifos.StatusActive
		return answer{res: mifos.Result{ResourceID: loanID, SubResourceID: res.ResourceID}}
	})
	return a.res, a.err
}

// LoanApplication reads a loan's status (approved unless set otherwise).
func (f *fakeFineract) LoanApplication(ctx context.Context, loanID int64) (mifos.LoanApplication, error) {
	leave, err := f.enter(ctx, "")
	defer leave()
	if err != nil {
		return mifos.LoanApplication{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.appReadErr != nil {
		return mifos.LoanApplication{}, f.appReadErr
	}
	st, ok := f.loanStatus[loanID]
	if !ok {
		st = mifos.StatusApproved
	}
	return mifos.LoanApplication{PendingLoan: mifos.PendingLoan{ID: loanID}, StatusID: st}, nil
}

// applyDeposit posts under f.mu.
func (f *fakeFineract) applyDeposit(savingsID int64, amount mifos.Amount, date mifos.Date, receipt string) int64 {
	f.nextID++
	f.savings[savingsID] = append(f.savings[savingsID], mifos.SavingsTxn{ID: f.nextID, Amount: amount, Date: date, ReceiptNumber: receipt})
	return f.nextID
}

func (f *fakeFineract) Deposit(ctx context.Context, savingsID int64, d mifos.Deposit, key string) (mifos.Result, error) {
	a := f.write(ctx, "deposit", savingsID, key, d.ReceiptNumber, func() answer {
		if d.PaymentTypeID <= 0 {
			return answer{err: &mifos.Error{Status: 400, Errors: []mifos.FieldError{{Code: "validation.msg.savingsaccount.transaction.paymentTypeId.cannot.be.blank"}}}}
		}
		return answer{res: mifos.Result{ResourceID: f.applyDeposit(savingsID, d.Amount, d.Date, d.ReceiptNumber)}}
	})
	return a.res, a.err
}

// SaveCollectionSheet saves every repayment and deposit of the sheet in one
// transaction: a repeated externalId refuses the whole sheet.
func (f *fakeFineract) SaveCollectionSheet(ctx context.Context, groupID int64, s mifos.SaveSheet, key string) (mifos.SheetResult, error) {
	ext := ""
	if len(s.Repayments) > 0 {
		ext = s.Repayments[0].ExternalID
	}
	a := f.write(ctx, "sheet", groupID, key, ext, func() answer {
		for _, r := range s.Repayments {
			if _, dup := f.loanTxns[r.ExternalID]; dup {
				return answer{err: &mifos.Error{Status: 400, Errors: []mifos.FieldError{{Code: mifos.CodeDuplicateExternalID}}}}
			}
		}
		var res mifos.SheetResult
		for _, r := range s.Repayments {
			posted, _ := f.applyRepay(r.LoanID, r.ExternalID, r.Amount, s.Date)
			res.LoanTransactionIDs = append(res.LoanTransactionIDs, posted.ResourceID)
		}
		// The sheet's payment details, receipt included, go to every item
		// when it has a payment type.
		receipt := ""
		if s.PaymentTypeID > 0 {
			receipt = s.ReceiptNumber
		}
		for _, d := range s.Deposits {
			res.SavingsTransactionIDs = append(res.SavingsTransactionIDs, f.applyDeposit(d.SavingsID, d.Amount, s.Date, receipt))
		}
		return answer{sheet: res}
	})
	return a.sheet, a.err
}

func (f *fakeFineract) LoanTxnByExternalID(ctx context.Context, loanID int64, ext string) (mifos.LoanTxn, error) {
	leave, err := f.enter(ctx, "")
	defer leave()
	if err != nil {
		return mifos.LoanTxn{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fakeCall{Op: "lookup-loan", Account: loanID, ExtID: ext})
	t, ok := f.loanTxns[ext]
	if !ok || t.loan != loanID {
		return mifos.LoanTxn{}, notFound("error.msg.loan.transaction.external.id.invalid")
	}
	return t.txn, nil
}

// LoanTransactions lists the loan's repayments in posting order.
func (f *fakeFineract) LoanTransactions(ctx context.Context, loanID int64) ([]mifos.LoanTxn, error) {
	leave, err := f.enter(ctx, "")
	defer leave()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fakeCall{Op: "list-loan", Account: loanID})
	var out []mifos.LoanTxn
	for _, ext := range f.loanLog[loanID] {
		out = append(out, f.loanTxns[ext].txn)
	}
	return out, nil
}

// LoanTxn reads back a posted repayment by its id.
func (f *fakeFineract) LoanTxn(ctx context.Context, loanID, txnID int64) (mifos.LoanTxn, error) {
	leave, err := f.enter(ctx, "")
	defer leave()
	if err != nil {
		return mifos.LoanTxn{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fakeCall{Op: "read-loan", Account: loanID})
	for _, t := range f.loanTxns {
		if t.loan == loanID && t.txn.ID == txnID {
			return t.txn, nil
		}
	}
	return mifos.LoanTxn{}, notFound("error.msg.loan.transaction.id.invalid")
}

// SavingsTxn reads back a posted deposit by its id.
func (f *fakeFineract) SavingsTxn(ctx context.Context, savingsID, txnID int64) (mifos.SavingsTxn, error) {
	leave, err := f.enter(ctx, "")
	defer leave()
	if err != nil {
		return mifos.SavingsTxn{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fakeCall{Op: "read-savings", Account: savingsID})
	for _, t := range f.savings[savingsID] {
		if t.ID == txnID {
			return t, nil
		}
	}
	return mifos.SavingsTxn{}, notFound("error.msg.saving.account.transaction.id.invalid")
}

func (f *fakeFineract) SavingsTransactions(ctx context.Context, savingsID int64) ([]mifos.SavingsTxn, error) {
	leave, err := f.enter(ctx, "")
	defer leave()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := fakeCall{Op: "lookup-savings", Account: savingsID}
	f.calls = append(f.calls, c)
	if f.lookupFault != nil {
		if err := f.lookupFault(c); err != nil {
			return nil, err
		}
	}
	return append([]mifos.SavingsTxn(nil), f.savings[savingsID]...), nil
}

// SavingsDepositsOn is the paged search of one day's deposits (1.9+).
func (f *fakeFineract) SavingsDepositsOn(ctx context.Context, savingsID int64, on mifos.Date, offset, limit int) (mifos.SavingsTxnPage, error) {
	leave, err := f.enter(ctx, "")
	defer leave()
	if err != nil {
		return mifos.SavingsTxnPage{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := fakeCall{Op: "lookup-savings", Account: savingsID}
	f.calls = append(f.calls, c)
	if f.lookupFault != nil {
		if err := f.lookupFault(c); err != nil {
			return mifos.SavingsTxnPage{}, err
		}
	}
	var day []mifos.SavingsTxn
	for _, t := range f.savings[savingsID] {
		if t.Date == on && !t.IsReversal {
			day = append(day, t)
		}
	}
	p := mifos.SavingsTxnPage{Total: len(day)}
	if offset < len(day) {
		p.Txns = append(p.Txns, day[offset:min(offset+limit, len(day))]...)
	}
	return p, nil
}

func (f *fakeFineract) BusinessDate(ctx context.Context) (mifos.Date, error) {
	if f.down.Load() {
		return mifos.Date{}, errNetwork
	}
	return mifos.Date{Year: 2024, Month: 9, Day: 26}, nil
}

// entryDay is the date of the test entries (loanEntry, savingsEntry, sheetEntry).
var entryDay = mifos.Date{Year: 2024, Month: 9, Day: 26}

// seedLoanTxn records a repayment Fineract already has, as loanEntry
// would post it.
func (f *fakeFineract) seedLoanTxn(loanID int64, ext string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	res, _ := f.applyRepay(loanID, ext, mifos.Amount(loanEntry(0, loanID, ext).Amount), entryDay)
	return res.ResourceID
}

// callsOf returns the calls with op.
func (f *fakeFineract) callsOf(op string) []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeCall
	for _, c := range f.calls {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// postings counts the loan and savings transactions on account id.
func (f *fakeFineract) postings(id int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.loanLog[id]) + len(f.savings[id])
}

func (f *fakeFineract) loanOrder(loan int64) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.loanLog[loan]...)
}

func (f *fakeFineract) loanTxnID(ext string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loanTxns[ext].txn.ID
}

type fakeCounters struct{ maxInflight, overlaps int }

func (f *fakeFineract) counters() fakeCounters {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakeCounters{f.maxInflight, f.overlaps}
}

var _ Fineract = (*fakeFineract)(nil)

// CommandAudit answers as a Fineract that keeps no audit of the command (a
// user without READ_AUDIT would get a refusal instead): only the lookup can
// tell the fate of a held posting here. The stand-in tests
// (approval_test.go) read real audits.
func (f *fakeFineract) CommandAudit(_ context.Context, commandID int64) (mifos.CommandAudit, error) {
	if f.down.Load() {
		return mifos.CommandAudit{}, errNetwork
	}
	return mifos.CommandAudit{}, &mifos.Error{Status: 404, Code: "error.msg.command.id.invalid"}
}

// tooEarlyAnswers counts the 425s answered to replays of a running command.
func (f *fakeFineract) tooEarlyAnswers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tooEarly
}

// writeCalls returns every write call (repayments, deposits and sheets) in order.
func (f *fakeFineract) writeCalls() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeCall
	for _, c := range f.calls {
		switch c.Op {
		case "repay", "deposit", "sheet":
			out = append(out, c)
		}
	}
	return out
}

// savingsTxnIDs returns the ids of the deposits on a savings account.
func (f *fakeFineract) savingsTxnIDs(id int64) []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int64
	for _, t := range f.savings[id] {
		out = append(out, t.ID)
	}
	return out
}
