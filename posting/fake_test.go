package posting

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// fakeFineract is a small in-memory Fineract: a ledger of loan and savings
// transactions with unique loan externalIds, the Idempotency-Key cache of
// docs/fineract.md §10.1 (a replay returns the stored result, success or error), and
// fault injection. Only the calls the worker makes are implemented.
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
	savings  map[int64][]mifos.SavingsTxn
	cache    map[string]cached // idempotency cache by action+key
	calls    []fakeCall
	writes   int
	// fault, if set, runs at the start of each write and may answer in
	// Fineract's place; apply=true first performs the write, so the answer
	// is lost (a timeout after Fineract committed).
	fault func(c fakeCall) (err error, apply bool)
	// lookupFault, if set, may answer a lookup in Fineract's place.
	lookupFault func(c fakeCall) error

	inflight, maxInflight int
	busyAccounts          map[string]bool
	overlaps              int // writes to one account that ran at the same time
}

type fakeLoanTxn struct {
	loan int64
	txn  mifos.LoanTxn
}

type cached struct {
	res mifos.Result
	err error
}

type fakeCall struct {
	Op      string // "repay", "deposit", "sheet", "lookup-loan", "lookup-savings"
	Account int64
	Key     string
	ExtID   string // or receipt
	N       int    // 1-based count of writes so far
}

func newFake() *fakeFineract {
	return &fakeFineract{
		nextID:       1000,
		loanTxns:     map[string]fakeLoanTxn{},
		loanLog:      map[int64][]string{},
		savings:      map[int64][]mifos.SavingsTxn{},
		cache:        map[string]cached{},
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

// write runs one write command with the idempotency cache and fault hook.
func (f *fakeFineract) write(ctx context.Context, op string, account int64, key, ext string, apply func() (mifos.Result, error)) (mifos.Result, error) {
	leave, err := f.enter(ctx, fmt.Sprint(op, account))
	defer leave()
	if err != nil {
		return mifos.Result{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	c := fakeCall{Op: op, Account: account, Key: key, ExtID: ext, N: f.writes}
	f.calls = append(f.calls, c)
	cacheKey := op + "/" + key
	if hit, ok := f.cache[cacheKey]; ok {
		hit.res.ServedFromCache = true
		if fe, isFE := hit.err.(*mifos.Error); isFE {
			copied := *fe
			copied.ServedFromCache = true
			return hit.res, &copied
		}
		return hit.res, hit.err
	}
	if f.fault != nil {
		if ferr, applyFirst := f.fault(c); ferr != nil {
			if applyFirst {
				res, err := apply()
				f.cache[cacheKey] = cached{res, err}
			} else if _, isFE := ferr.(*mifos.Error); isFE {
				f.cache[cacheKey] = cached{err: ferr} // Fineract stores failed commands too
			}
			return mifos.Result{}, ferr
		}
	}
	if f.makerChecker.Load() {
		f.nextID++
		res := mifos.Result{CommandID: f.nextID, PendingApproval: true}
		f.cache[cacheKey] = cached{res: res}
		return res, nil
	}
	res, err := apply()
	f.cache[cacheKey] = cached{res, err}
	return res, err
}

func (f *fakeFineract) Repay(ctx context.Context, loanID int64, r mifos.Repayment, key string) (mifos.Result, error) {
	return f.write(ctx, "repay", loanID, key, r.ExternalID, func() (mifos.Result, error) { return f.applyRepay(loanID, r.ExternalID, r.Amount, r.Date) })
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

func (f *fakeFineract) Deposit(ctx context.Context, savingsID int64, d mifos.Deposit, key string) (mifos.Result, error) {
	return f.write(ctx, "deposit", savingsID, key, d.ReceiptNumber, func() (mifos.Result, error) {
		if d.PaymentTypeID <= 0 {
			return mifos.Result{}, &mifos.Error{Status: 400, Errors: []mifos.FieldError{{Code: "validation.msg.savingsaccount.transaction.paymentTypeId.cannot.be.blank"}}}
		}
		f.nextID++
		f.savings[savingsID] = append(f.savings[savingsID], mifos.SavingsTxn{ID: f.nextID, Amount: d.Amount, Date: d.Date, ReceiptNumber: d.ReceiptNumber})
		return mifos.Result{ResourceID: f.nextID}, nil
	})
}

func (f *fakeFineract) SaveCollectionSheet(ctx context.Context, groupID int64, s mifos.SaveSheet, key string) (mifos.SheetResult, error) {
	var ids []int64
	ext := ""
	if len(s.Repayments) > 0 {
		ext = s.Repayments[0].ExternalID
	}
	res, err := f.write(ctx, "sheet", groupID, key, ext, func() (mifos.Result, error) {
		ids = nil
		for _, r := range s.Repayments {
			if _, dup := f.loanTxns[r.ExternalID]; dup {
				return mifos.Result{}, &mifos.Error{Status: 400, Errors: []mifos.FieldError{{Code: mifos.CodeDuplicateExternalID}}}
			}
		}
		for _, r := range s.Repayments {
			res, _ := f.applyRepay(r.LoanID, r.ExternalID, r.Amount, s.Date)
			ids = append(ids, res.ResourceID)
		}
		return mifos.Result{ResourceID: int64(len(ids))}, nil
	})
	if err != nil {
		return mifos.SheetResult{}, err
	}
	return mifos.SheetResult{LoanTransactionIDs: ids, PendingApproval: res.PendingApproval, ServedFromCache: res.ServedFromCache}, nil
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

func (f *fakeFineract) BusinessDate(ctx context.Context) (mifos.Date, error) {
	if f.down.Load() {
		return mifos.Date{}, errNetwork
	}
	return mifos.Date{Year: 2024, Month: 9, Day: 26}, nil
}

// seedLoanTxn records a repayment Fineract already has.
func (f *fakeFineract) seedLoanTxn(loanID int64, ext string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	res, _ := f.applyRepay(loanID, ext, 1, mifos.Date{})
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
