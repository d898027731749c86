package posting

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// outcome is what one attempt at an entry decided.
type outcome struct {
	settle store.JournalState // done, awaiting_approval or failed; "" = try again later
	txnIDs []int64
	why    string // the full account, for the log and the journal
	// refusal is what the officer is told about a failure (see
	// store.JournalEntry.Refusal): never Fineract's own message.
	refusal string
	// For a retry: uncertain means the attempt may have reached Fineract
	// without an answer; reuseKey asks the next attempt to resend its key.
	uncertain, reuseKey bool
	// stillRunning: the resent key was answered 425 (counted, see
	// Options.MaxStillRunning).
	stillRunning bool
	skip         bool // nothing to record (the entry moved on meanwhile)
	// posted is what Fineract posted (millionths) as read back after a
	// fresh posting; 0 when not read.
	posted int64
	// commandID is the held command's audit id, for awaiting_approval.
	commandID int64
}

// settled is a final outcome; a failure's why is told to the officer too,
// so it must be this box's own words (see refused for Fineract's answers).
func settled(state store.JournalState, why string, ids ...int64) outcome {
	o := outcome{settle: state, why: why, txnIDs: ids}
	if state == store.JournalFailed {
		o.refusal = why
	}
	return o
}

// refused is a failure because of err: the full text for people, and for
// the officer Fineract's status and code (or err's words when it is not a
// Fineract answer: then they are this box's own).
func refused(why string, err error) outcome {
	o := outcome{settle: store.JournalFailed, why: why, refusal: err.Error()}
	if r, ok := mifos.RefusalOf(err); ok {
		o.refusal = r.String()
	}
	return o
}

// poster is the kind-specific part of posting one entry.
type poster struct {
	// guarded: Fineract refuses a second copy by itself (a unique loan
	// transaction externalId), so every attempt may use a new key.
	guarded bool
	// lookup finds an earlier attempt's posting; errNoLookup if impossible.
	lookup func(ctx context.Context) (found bool, o outcome, err error)
	post   func(ctx context.Context, key string) (outcome, error)
	// refused, when set, settles a guarded posting Fineract refused and the
	// lookup did not find (its kind's own words); nil: the generic ones.
	refused func(ctx context.Context, err error) outcome
}

var errNoLookup = errors.New("this posting cannot be looked up in Fineract")

// process makes one attempt at the entry (snapshot from DueJournal) and
// records its outcome.
func (w *Worker) process(ctx context.Context, snap store.JournalEntry) {
	e, err := w.db.JournalEntry(snap.ID)
	if err != nil {
		w.log.Error("read journal entry", "id", snap.ID, "err", err)
		pause(ctx)
		return
	}
	// The snapshot may be stale: only open entries that are due are worked on.
	if !e.State.Open() || (e.State == store.JournalPending && e.NextAttempt.After(w.now())) {
		return
	}
	out := w.attempt(ctx, e)
	if out.skip {
		return
	}
	if err := w.record(ctx, e, out); err != nil {
		w.log.Error("record journal outcome", "id", e.ID, "err", err)
		pause(ctx)
	}
}

func (w *Worker) record(ctx context.Context, e store.JournalEntry, out outcome) error {
	log := w.log.With("id", e.ID, "kind", e.Kind, "account", e.AccountID, "group", e.GroupID)
	if out.settle == "" {
		next := w.now().Add(w.backoff(e.Attempts + 1))
		if ctx.Err() != nil {
			next = w.now() // stopped, not failed: try again at the next start
		}
		log.Info("posting will be retried", "at", next.Format(time.RFC3339), "uncertain", out.uncertain, "why", out.why)
		if out.stillRunning {
			return w.db.MarkJournalStillRunning(e.ID, next, out.why)
		}
		if out.uncertain {
			return w.db.MarkJournalUncertain(e.ID, next, out.why, out.reuseKey)
		}
		return w.db.MarkJournalRetry(e.ID, next, out.why)
	}
	switch out.settle {
	case store.JournalFailed:
		log.Warn("posting refused by Fineract; a person must look at it", "why", out.why)
	default:
		log.Info("posting settled", "state", out.settle, "txns", out.txnIDs, "why", out.why)
	}
	if out.settle == store.JournalDone && out.posted != 0 && out.posted != e.Amount {
		log.Warn("Fineract posted another amount than was sent (a currency rounded to its inMultiplesOf); the confirmations give Fineract's",
			"sent", e.Amount, "posted", out.posted)
		if err := w.db.SetJournalPostedAmount(e.ID, out.posted); err != nil {
			return err
		}
	}
	if out.settle == store.JournalDone && w.opts.BalanceAfter != nil {
		if bal := w.opts.BalanceAfter(ctx, e); bal != "" {
			if err := w.db.SetJournalBalanceAfter(e.ID, bal); err != nil {
				return err
			}
		}
	}
	confirm := func(ne store.JournalEntry, batch []store.JournalEntry) []store.Outbound {
		if w.opts.Settled == nil {
			return nil
		}
		return w.opts.Settled(ctx, ne, batch)
	}
	var err error
	switch out.settle {
	case store.JournalFailed:
		err = w.db.FailJournalWith(e.ID, out.txnIDs, out.why, out.refusal, confirm)
	case store.JournalAwaitingApproval:
		err = w.db.AwaitJournalApprovalWith(e.ID, out.commandID, out.why, confirm)
	default:
		err = w.db.SettleJournalWith(e.ID, out.settle, out.txnIDs, out.why, confirm)
	}
	if err == nil && w.opts.AfterSettle != nil {
		w.opts.AfterSettle(e)
	}
	return err
}

// attempt runs the exactly-once algorithm (docs/fineract.md §10.3) for one entry.
func (w *Worker) attempt(ctx context.Context, e store.JournalEntry) outcome {
	if e.Kind == store.JournalUnresolved {
		return w.resolve(ctx, e)
	}
	p, err := w.poster(e)
	if err != nil {
		return settled(store.JournalFailed, err.Error())
	}
	crashed := e.State == store.JournalPosting
	// The entry is still "posting" only if the daemon stopped mid-request.
	if crashed || e.Uncertain {
		found, o, err := p.lookup(ctx)
		switch {
		case errors.Is(err, errNoLookup):
		case err != nil && (mifos.IsRetryable(err) || mifos.Classify(err).Waits() || ctx.Err() != nil):
			return outcome{why: "could not check whether an earlier attempt went through: " + err.Error(), uncertain: true, reuseKey: crashed || e.ReuseKey}
		case err != nil && !p.guarded:
			const why = "could not check whether an earlier attempt went through, so it was not sent again; check in Fineract"
			o := settled(store.JournalFailed, why+": "+err.Error())
			o.refusal = why
			return o
		case err != nil:
			// The externalId still stops a second copy.
		case found:
			return o
		}
	}
	key := newKey()
	reuse := !p.guarded && (crashed || e.ReuseKey) && e.IdempotencyKey != ""
	if reuse {
		// Fineract answers a resend of the key with the first result (or 425
		// while it still runs) instead of posting twice.
		key = e.IdempotencyKey
		if e.StillRunning >= w.opts.MaxStillRunning {
			// A command whose server died mid-way stays "running" for ever
			// (no job resets it): resending the key cannot end, and a new key
			// could post a second copy if it did go through after all.
			o := settled(store.JournalFailed, fmt.Sprintf("Fineract answered %d times that this posting is still running (425) and it cannot be found there; "+
				"it may be stuck in Fineract; not sent again, check in Mifos whether it went through", e.StillRunning))
			o.refusal = "Mifos kept answering that it is still working on it, and it cannot be found there: check in Mifos before taking the money again"
			return o
		}
	}
	if err := w.db.MarkJournalPosting(e.ID, key); err != nil {
		if errors.Is(err, store.ErrJournalState) {
			// An earlier entry of the account was requeued meanwhile; wait behind it.
			w.log.Info("posting waits for an earlier entry of the same account", "id", e.ID, "err", err)
			if crashed {
				return outcome{why: "waiting for an earlier entry of the same account", uncertain: true, reuseKey: true}
			}
			return outcome{skip: true}
		}
		w.log.Error("record posting attempt", "id", e.ID, "err", err)
		pause(ctx)
		return outcome{skip: true}
	}
	o, err := p.post(ctx, key)
	if err == nil {
		return o
	}
	switch {
	case mifos.IsRedirect(err):
		// Nothing was processed and the posting is fine; base_url is wrong.
		// Failing it would fail every posting of the branch until a person
		// requeues each one, so it waits for the fix like an auth problem.
		w.log.Error("Fineract answers with a redirect; postings wait until [mifos] base_url is fixed", "err", err)
		return outcome{why: reason(err)}
	case mifos.IsAuthProblem(err):
		w.log.Error("Fineract refuses this box's user; postings wait until [mifos] username/password or the user's permissions are fixed", "err", err)
		return outcome{why: "Fineract refused the box's credentials or permissions: " + reason(err)}
	case mifos.Classify(err) == mifos.Misconfigured:
		// Every posting would fail the same way until the setup is fixed;
		// failing them would make a person requeue each one.
		why := "waiting for the box's setup to be fixed: " + setupProblem(err, e.Kind, w.paymentType(e)) + ": " + reason(err)
		w.log.Error("Fineract refuses this box's setup; postings wait until it is fixed", "why", why)
		return outcome{why: why}
	case ctx.Err() != nil:
		return outcome{why: "stopped during the request: " + err.Error(), uncertain: true, reuseKey: true}
	case reuse && isStillRunning(err):
		return outcome{why: "Fineract is still running the first request with this key: " + err.Error(), uncertain: true, reuseKey: true, stillRunning: true}
	case mifos.IsRetryable(err):
		return outcome{why: err.Error(), uncertain: outcomeUnknown(err), reuseKey: true}
	case p.guarded:
		return w.refusedGuarded(ctx, e, p, err)
	default:
		return refused(reason(err), err)
	}
}

// refusedGuarded settles a refused repayment (or sheet with repayments).
// Whatever the refusal, the externalId is looked up first: a duplicate may
// be Fineract's own 400 or, where it does not recognise the database's
// index, a generic 403 data-integrity error. Found on this loan, it was
// posted by an attempt we lost track of (compared with the entry by the
// lookup); a duplicate not found collides with some other posting and
// nothing of ours was posted: a person must look, never "done".
func (w *Worker) refusedGuarded(ctx context.Context, e store.JournalEntry, p poster, err error) outcome {
	found, o, lerr := p.lookup(ctx)
	switch {
	case lerr == nil && found:
		return o
	case lerr != nil && (mifos.IsRetryable(lerr) || mifos.Classify(lerr).Waits() || ctx.Err() != nil):
		return outcome{why: "Fineract refused the posting (" + reason(err) + "); could not check whether it holds it already: " + lerr.Error(), uncertain: true}
	case p.refused != nil:
		return p.refused(ctx, err)
	case mifos.IsDuplicateExternalID(err):
		o := settled(store.JournalFailed, "Fineract reports external id "+e.ExternalID+
			" as already used, but no repayment on this loan has it now (used elsewhere, or reversed); nothing was posted, check in Fineract")
		o.refusal = "Mifos already has a payment with this id, not on this loan: check in Mifos"
		return o
	}
	return refused(reason(err), err)
}

// outcomeUnknown: no answer, a gateway's timeout, "still running" (425), or
// a first 500 from Fineract: it may come after the commit, from storing the
// command's result (the key then stays "running"). After a 409, 429 or 503,
// and after a 500 replayed from the idempotency store (the command failed
// inside its transaction, which was rolled back), nothing was posted.
func outcomeUnknown(err error) bool {
	var fe *mifos.Error
	if !errors.As(err, &fe) {
		return true
	}
	switch {
	case fe.Status == 502, fe.Status == 504, fe.Status == 425:
		return true
	case mifos.Classify(err) == mifos.ServerError:
		return !fe.ServedFromCache
	}
	return false
}

// isStillRunning: Fineract's 425, a command with this key not finished.
func isStillRunning(err error) bool {
	var fe *mifos.Error
	return errors.As(err, &fe) && fe.Status == 425
}

// paymentType is the entry's own payment type (mobile money has one of
// its own, [mobile_money] payment_type_id), else the box's.
func (w *Worker) paymentType(e store.JournalEntry) int64 {
	if e.PaymentTypeID != 0 {
		return e.PaymentTypeID
	}
	return w.opts.PaymentTypeID
}

// setupProblem names the setting a Misconfigured answer points at.
func setupProblem(err error, kind store.JournalKind, paymentTypeID int64) string {
	var fe *mifos.Error
	switch {
	case errors.As(err, &fe) && fe.HasCode(mifos.CodePaymentTypeInvalid) && kind == store.JournalLoanDisbursement:
		return fmt.Sprintf("Fineract has no payment type %d, check [disbursement] payment_type_id", paymentTypeID)
	case errors.As(err, &fe) && fe.HasCode(mifos.CodePaymentTypeInvalid):
		return fmt.Sprintf("Fineract has no payment type %d, check [mifos] payment_type_id (or [mobile_money] payment_type_id for mobile money)", paymentTypeID)
	}
	return "Fineract refused the request before reading it (not its JSON answer), check [mifos] tenant"
}

// reason is Fineract's refusal in words a person can act on.
func reason(err error) string {
	var fe *mifos.Error
	if errors.As(err, &fe) {
		return fe.Error()
	}
	return err.Error()
}

// call runs one Fineract call under CallTimeout and records reachability.
func call[T any](w *Worker, ctx context.Context, fn func(ctx context.Context) (T, error)) (T, error) {
	start := w.now()
	cctx, cancel := context.WithTimeout(ctx, w.opts.CallTimeout)
	defer cancel()
	v, err := fn(cctx)
	w.observe(ctx, start, err)
	return v, err
}

func (w *Worker) poster(e store.JournalEntry) (poster, error) {
	date, err := parseDate(e.Date)
	if err != nil {
		return poster{}, err
	}
	switch e.Kind {
	case store.JournalLoanRepayment:
		return w.loanPoster(e, date), nil
	case store.JournalSavingsDeposit:
		return w.savingsPoster(e, date), nil
	case store.JournalCollectionSheet:
		return w.sheetPoster(e, date)
	case store.JournalLoanDisbursement:
		return w.disbursementPoster(e, date), nil
	}
	return poster{}, fmt.Errorf("unknown journal kind %q", e.Kind)
}

// notOnThisLoan are the codes of Fineract's own answer that no
// transaction of the loan has the external id.
var notOnThisLoan = []string{"error.msg.loan.transaction.external.id.invalid", "error.msg.loan.transaction.id.invalid"}

// loanHit is a loan transaction found by its externalId, and whether it
// still stands.
type loanHit struct {
	txn      mifos.LoanTxn
	reversed bool
}

// findLoanTxn finds the transaction with externalID on loanID. Only
// Fineract's own not-found answer means absent: a plain 404 is a server
// without the external-id route (before 1.9), remembered, and the loan's
// transactions are searched instead.
//
// The external-id read shows a transaction whether or not it stands, and
// manuallyReversed only for a person's reversal: one Fineract reversed
// itself (undoing a disbursal) keeps its externalId and manuallyReversed
// false. The loan's transactions list only what stands, and what a person
// reversed: a hit is confirmed there.
func (w *Worker) findLoanTxn(ctx context.Context, loanID int64, externalID string) (loanHit, bool, error) {
	var byExt *mifos.LoanTxn
	if !w.noExtIDRoute.Load() {
		t, err := call(w, ctx, func(ctx context.Context) (mifos.LoanTxn, error) {
			return w.api.LoanTxnByExternalID(ctx, loanID, externalID)
		})
		switch {
		case err == nil:
			byExt = &t
		case mifos.IsNotFoundAnswer(err, notOnThisLoan...):
			return loanHit{}, false, nil
		case !mifos.IsMissingRoute(err):
			return loanHit{}, false, err
		default:
			if !w.noExtIDRoute.Swap(true) {
				w.log.Warn("Fineract has no external-id lookup (a server before 1.9); repayments are looked up in the loan's transactions", "err", err)
			}
		}
	}
	txns, err := call(w, ctx, func(ctx context.Context) ([]mifos.LoanTxn, error) { return w.api.LoanTransactions(ctx, loanID) })
	if err != nil {
		return loanHit{}, false, err
	}
	for _, t := range txns {
		if (byExt != nil && t.ID == byExt.ID) || (byExt == nil && t.ExternalID == externalID) {
			return loanHit{txn: t, reversed: t.ManuallyReversed}, true, nil
		}
	}
	if byExt != nil {
		// Found by its externalId but not among the loan's transactions:
		// Fineract reversed it.
		return loanHit{txn: *byExt, reversed: true}, true, nil
	}
	return loanHit{}, false, nil
}

// expected is what a posting put on one account, which a transaction found
// by the posting's id must match to be it.
type expected struct {
	amount mifos.Amount
	date   mifos.Date
	cur    mifos.Currency
}

func expectOf(e store.JournalEntry, amount mifos.Amount, date mifos.Date) expected {
	return expected{amount: amount, date: date, cur: mifos.Currency{Code: e.Currency, DecimalPlaces: e.Decimals}}
}

// differs names how a transaction found by id differs from want; "" if not.
func (want expected) differs(amount mifos.Amount, date mifos.Date) string {
	switch {
	case amount != want.amount && date != want.date:
		return "another amount and date"
	case amount != want.amount:
		return "another amount"
	case date != want.date:
		return "another date"
	}
	return ""
}

// mismatch settles an entry whose id Fineract holds for a transaction that
// is not this posting (two boxes with one box_id, a store restored from an
// old copy): nothing is posted again, and a person decides.
func mismatch(what string, txnID int64, amount mifos.Amount, date mifos.Date, want expected, how string) outcome {
	why := fmt.Sprintf("%s exists in Fineract as transaction %d but with %s (%s on %s; this entry: %s on %s); nothing was posted again, check in Mifos which is right",
		what, txnID, how, want.cur.Format(amount), date, want.cur.Format(want.amount), want.date)
	o := settled(store.JournalFailed, why, txnID)
	o.refusal = "Mifos already has a payment with this id but with " + how + ": check in Mifos"
	return o
}

// loanTxnLookup finds the repayment with externalID on loanID and
// compares it with want.
func (w *Worker) loanTxnLookup(loanID int64, externalID string, want expected) func(ctx context.Context) (bool, outcome, error) {
	return func(ctx context.Context) (bool, outcome, error) {
		hit, found, err := w.findLoanTxn(ctx, loanID, externalID)
		if err != nil || !found {
			return false, outcome{}, err
		}
		t := hit.txn
		if hit.reversed {
			return true, settled(store.JournalFailed, fmt.Sprintf("posted in Fineract as transaction %d, but that transaction has since been reversed there; not posted again", t.ID), t.ID), nil
		}
		if how := want.differs(t.Amount, t.Date); how != "" {
			return true, mismatch("a repayment with external id "+externalID, t.ID, t.Amount, t.Date, want, how), nil
		}
		return true, settled(store.JournalDone, "found in Fineract by its external id", t.ID), nil
	}
}

func (w *Worker) loanPoster(e store.JournalEntry, date mifos.Date) poster {
	return poster{
		guarded: true,
		lookup:  w.loanTxnLookup(e.AccountID, e.ExternalID, expectOf(e, mifos.Amount(e.Amount), date)),
		post: func(ctx context.Context, key string) (outcome, error) {
			r := mifos.Repayment{Date: date, Amount: mifos.Amount(e.Amount), PaymentTypeID: w.paymentType(e),
				ExternalID: e.ExternalID, ReceiptNumber: e.Receipt, Note: e.Note}
			res, err := call(w, ctx, func(ctx context.Context) (mifos.Result, error) { return w.api.Repay(ctx, e.AccountID, r, key) })
			o, err := resultOutcome(res, err)
			if err == nil && mayRound(e, o, res) {
				w.readBack(ctx, e, &o, func(ctx context.Context) (mifos.Amount, error) {
					t, err := w.api.LoanTxn(ctx, e.AccountID, res.ResourceID)
					return t.Amount, err
				})
			}
			return o, err
		},
	}
}

// mayRound: Fineract rounds what it posts only in a currency without
// decimals (to its inMultiplesOf; Money.of), and only the transaction it
// posted tells the result (the command's changes echo the amount sent).
// An entry journaled with decimals is posted as sent, so costs no read.
// Decimals 0 is also an entry whose currency was not known, read too.
func mayRound(e store.JournalEntry, o outcome, res mifos.Result) bool {
	return e.Decimals == 0 && o.settle == store.JournalDone && res.ResourceID != 0
}

// readBack records in o what Fineract posted, read by read. The posting went
// through whatever the read says: a failed read leaves o as it is (done,
// the amount as journaled) with a word in its account.
func (w *Worker) readBack(ctx context.Context, e store.JournalEntry, o *outcome, read func(ctx context.Context) (mifos.Amount, error)) {
	a, err := call(w, ctx, read)
	if err != nil {
		w.log.Warn("posted, but the amount Fineract posted could not be read back; the confirmations give the amount sent",
			"id", e.ID, "err", err)
		o.why += "; the amount Fineract posted could not be read back"
		return
	}
	o.posted += int64(a)
	if int64(a) != e.Amount {
		cur := mifos.Currency{Code: e.Currency, DecimalPlaces: e.Decimals}
		o.why += fmt.Sprintf("; Fineract posted %s for the %s sent", cur.Format(a), cur.Format(mifos.Amount(e.Amount)))
	}
}

// awaiting is a write Fineract's maker-checker holds as command commandID
// (0: Fineract named none).
func awaiting(commandID int64) outcome {
	why := "waiting for approval in Fineract"
	if commandID != 0 {
		why += fmt.Sprintf(" (command %d)", commandID)
	}
	o := settled(store.JournalAwaitingApproval, why)
	o.commandID = commandID
	return o
}

func resultOutcome(res mifos.Result, err error) (outcome, error) {
	if err != nil {
		return outcome{}, err
	}
	if res.PendingApproval {
		return awaiting(res.CommandID), nil
	}
	if res.ResourceID == 0 {
		return settled(store.JournalDone, "posted"), nil
	}
	return settled(store.JournalDone, "posted", res.ResourceID), nil
}

// Paging of the deposit lookup: one day's deposits of one account, at most
// depositPages pages of depositPage (beyond, a person looks).
const (
	depositPage  = 200
	depositPages = 25
)

// errTooManyDeposits: the day's deposits of an account are more than the
// lookup reads; asking again would not change that.
var errTooManyDeposits = fmt.Errorf("%w: more than %d deposits on that day", mifos.ErrTooLarge, depositPage*depositPages)

// findDeposit finds the deposit with receipt, dated on, on a savings
// account. A reversed deposit is followed by its reversal copy (same
// receipt, isReversal, not itself reversed, listed first): the copy is
// never the deposit, and whether it stands is read on the original.
//
// The account's transaction list has no paging, and a long account's is
// more than the client reads: the day's deposits are searched page by page
// instead (Fineract 1.9+), and only a server without the search (a plain
// 404, remembered) is read whole. An answer too large, or more pages than
// depositPages, is an error no retry cures (mifos.TooLarge).
func (w *Worker) findDeposit(ctx context.Context, savingsID int64, receipt string, on mifos.Date) (mifos.SavingsTxn, bool, error) {
	match := func(txns []mifos.SavingsTxn) (mifos.SavingsTxn, bool) {
		for _, t := range txns {
			if t.ReceiptNumber == receipt && !t.IsReversal {
				return t, true
			}
		}
		return mifos.SavingsTxn{}, false
	}
	for page := 0; !w.noSavingsSearch.Load(); page++ {
		if page == depositPages {
			return mifos.SavingsTxn{}, false, errTooManyDeposits
		}
		p, err := call(w, ctx, func(ctx context.Context) (mifos.SavingsTxnPage, error) {
			return w.api.SavingsDepositsOn(ctx, savingsID, on, page*depositPage, depositPage)
		})
		if mifos.IsMissingRoute(err) {
			if !w.noSavingsSearch.Swap(true) {
				w.log.Warn("Fineract has no savings transaction search (a server before 1.9); deposits are looked up in the account's whole list", "err", err)
			}
			break
		}
		if err != nil {
			return mifos.SavingsTxn{}, false, err
		}
		if t, ok := match(p.Txns); ok {
			return t, true, nil
		}
		if len(p.Txns) == 0 || (page+1)*depositPage >= p.Total {
			return mifos.SavingsTxn{}, false, nil
		}
	}
	txns, err := call(w, ctx, func(ctx context.Context) ([]mifos.SavingsTxn, error) {
		return w.api.SavingsTransactions(ctx, savingsID)
	})
	if err != nil {
		return mifos.SavingsTxn{}, false, err
	}
	t, ok := match(txns)
	return t, ok, nil
}

func (w *Worker) savingsPoster(e store.JournalEntry, date mifos.Date) poster {
	return poster{
		lookup: func(ctx context.Context) (bool, outcome, error) {
			t, found, err := w.findDeposit(ctx, e.AccountID, e.Receipt, date)
			if err != nil || !found {
				return false, outcome{}, err
			}
			if t.Reversed {
				return true, settled(store.JournalFailed, fmt.Sprintf("posted in Fineract as transaction %d, but that transaction has since been reversed there; not posted again", t.ID), t.ID), nil
			}
			want := expectOf(e, mifos.Amount(e.Amount), date)
			if how := want.differs(t.Amount, t.Date); how != "" {
				return true, mismatch("a deposit with receipt number "+e.Receipt, t.ID, t.Amount, t.Date, want, how), nil
			}
			return true, settled(store.JournalDone, "found in Fineract by its receipt number", t.ID), nil
		},
		post: func(ctx context.Context, key string) (outcome, error) {
			d := mifos.Deposit{Date: date, Amount: mifos.Amount(e.Amount), PaymentTypeID: w.paymentType(e),
				ReceiptNumber: e.Receipt, Note: e.Note}
			res, err := call(w, ctx, func(ctx context.Context) (mifos.Result, error) { return w.api.Deposit(ctx, e.AccountID, d, key) })
			o, err := resultOutcome(res, err)
			if err == nil && mayRound(e, o, res) {
				w.readBack(ctx, e, &o, func(ctx context.Context) (mifos.Amount, error) {
					t, err := w.api.SavingsTxn(ctx, e.AccountID, res.ResourceID)
					return t.Amount, err
				})
			}
			return o, err
		},
	}
}

func (w *Worker) sheetPoster(e store.JournalEntry, date mifos.Date) (poster, error) {
	s, err := DecodeSheet(e.Payload)
	if err != nil {
		return poster{}, err
	}
	for _, r := range s.Repayments {
		if r.ExternalID == "" {
			return poster{}, fmt.Errorf("collection sheet item for loan %d has no external id", r.LoanID)
		}
	}
	if s.Date == (mifos.Date{}) {
		s.Date = date
	}
	if s.CalendarID == 0 {
		s.CalendarID = e.CalendarID
	}
	if s.PaymentTypeID == 0 {
		s.PaymentTypeID = w.opts.PaymentTypeID
	}
	if s.Note == "" {
		s.Note = e.Note
	}
	if s.ReceiptNumber == "" {
		s.ReceiptNumber = sheetReceipt(e)
	}
	p := poster{
		lookup: func(context.Context) (bool, outcome, error) { return false, outcome{}, errNoLookup },
		post: func(ctx context.Context, key string) (outcome, error) {
			res, err := call(w, ctx, func(ctx context.Context) (mifos.SheetResult, error) {
				return w.api.SaveCollectionSheet(ctx, e.GroupID, s, key)
			})
			if err != nil {
				return outcome{}, err
			}
			if res.PendingApproval {
				return awaiting(res.CommandID), nil
			}
			ids := append(append([]int64(nil), res.LoanTransactionIDs...), res.SavingsTransactionIDs...)
			if len(res.LoanTransactionIDs) != len(s.Repayments) || len(res.SavingsTransactionIDs) != len(s.Deposits) {
				// Fineract drops a sheet item that fails inside the save
				// (a deposit's exception is caught and ignored) and saves the
				// rest: part of the money is in, part is not.
				sent := len(s.Repayments) + len(s.Deposits)
				o := settled(store.JournalFailed, fmt.Sprintf("Fineract saved only %d of the %d items of this sheet (%d of %d repayments, %d of %d deposits); "+
					"the others were dropped inside Fineract, check in Mifos which ones before collecting them again",
					len(ids), sent, len(res.LoanTransactionIDs), len(s.Repayments), len(res.SavingsTransactionIDs), len(s.Deposits)), ids...)
				o.refusal = fmt.Sprintf("Mifos saved only %d of the %d payments: check in Mifos which ones", len(ids), sent)
				return o, nil
			}
			o := settled(store.JournalDone, "posted", ids...)
			if e.Decimals == 0 {
				w.readBack(ctx, e, &o, func(ctx context.Context) (mifos.Amount, error) {
					return w.sheetPosted(ctx, s, res)
				})
			}
			return o, nil
		},
	}
	// Fineract saves a sheet in one transaction, so its first repayment
	// tells whether the whole sheet went through.
	if len(s.Repayments) > 0 {
		p.guarded = true
		p.lookup = w.loanTxnLookup(s.Repayments[0].LoanID, s.Repayments[0].ExternalID, expectOf(e, s.Repayments[0].Amount, s.Date))
	} else if s.PaymentTypeID > 0 && s.ReceiptNumber != "" {
		p.lookup = w.sheetDepositsLookup(e, s)
	}
	return p, nil
}

// sheetReceipt is the receipt number a sheet's payment details carry: the
// entry's receipt token, else its externalId (which no loan transaction
// has: the sheet's repayments add "-l<loan>"), at most its last 50
// characters.
func sheetReceipt(e store.JournalEntry) string {
	r := e.Receipt
	if r == "" {
		r = e.ExternalID
	}
	if len(r) > 50 {
		r = r[len(r)-50:]
	}
	return r
}

// sheetDepositsLookup finds a sheet of deposits by its receipt number,
// which Fineract gives every item when the sheet has a payment type. Every
// account is searched: Fineract swallows a deposit that fails inside the
// save, so one missing deposit does not prove the sheet was not saved.
func (w *Worker) sheetDepositsLookup(e store.JournalEntry, s mifos.SaveSheet) func(ctx context.Context) (bool, outcome, error) {
	return func(ctx context.Context) (bool, outcome, error) {
		var ids []int64
		standing := false
		seen := map[int64]bool{}
		for _, d := range s.Deposits {
			if seen[d.SavingsID] {
				continue
			}
			seen[d.SavingsID] = true
			t, found, err := w.findDeposit(ctx, d.SavingsID, s.ReceiptNumber, s.Date)
			if err != nil {
				return false, outcome{}, err
			}
			if !found {
				continue
			}
			want := expectOf(e, d.Amount, s.Date)
			how := want.differs(t.Amount, t.Date)
			for _, other := range s.Deposits {
				// The account may have more than one item in the sheet.
				if other.SavingsID == d.SavingsID && expectOf(e, other.Amount, s.Date).differs(t.Amount, t.Date) == "" {
					how = ""
				}
			}
			if how != "" && !t.Reversed {
				return true, mismatch("a deposit with receipt number "+s.ReceiptNumber, t.ID, t.Amount, t.Date, want, how), nil
			}
			ids = append(ids, t.ID)
			standing = standing || !t.Reversed
		}
		switch {
		case len(ids) == 0:
			return false, outcome{}, nil
		case !standing:
			return true, settled(store.JournalFailed, "posted in Fineract, but its deposits have since been reversed there; not posted again", ids...), nil
		}
		return true, settled(store.JournalDone, "found in Fineract by its receipt number", ids...), nil
	}
}

// sheetPosted is the total Fineract posted for a saved sheet, read back
// transaction by transaction (its changes list the new ids in item order).
func (w *Worker) sheetPosted(ctx context.Context, s mifos.SaveSheet, res mifos.SheetResult) (mifos.Amount, error) {
	var total mifos.Amount
	for i, id := range res.LoanTransactionIDs {
		t, err := w.api.LoanTxn(ctx, s.Repayments[i].LoanID, id)
		if err != nil {
			return 0, err
		}
		total += t.Amount
	}
	for i, id := range res.SavingsTransactionIDs {
		t, err := w.api.SavingsTxn(ctx, s.Deposits[i].SavingsID, id)
		if err != nil {
			return 0, err
		}
		total += t.Amount
	}
	return total, nil
}

// EncodeSheet is the journal payload of a collection sheet.
func EncodeSheet(s mifos.SaveSheet) []byte {
	raw, err := json.Marshal(s)
	if err != nil {
		// SaveSheet holds only numbers and strings; Marshal cannot fail.
		panic(fmt.Sprintf("encode collection sheet: %v", err))
	}
	return raw
}

// DecodeSheet reads a payload written by EncodeSheet, or one that wraps
// the sheet as {"sheet": ...} beside data of its own (the COLLECT handler
// keeps each client's share there for the confirmations).
func DecodeSheet(payload []byte) (mifos.SaveSheet, error) {
	var wrapped struct {
		Sheet json.RawMessage `json:"sheet"`
	}
	if err := json.Unmarshal(payload, &wrapped); err == nil && len(wrapped.Sheet) > 0 {
		payload = wrapped.Sheet
	}
	var s mifos.SaveSheet
	if err := json.Unmarshal(payload, &s); err != nil {
		return mifos.SaveSheet{}, fmt.Errorf("collection sheet payload is damaged: %w", err)
	}
	return s, nil
}

func parseDate(s string) (mifos.Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return mifos.Date{}, fmt.Errorf("transaction date %q is not yyyy-mm-dd", s)
	}
	return mifos.Date{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}, nil
}

// newKey is a random UUIDv4 (36 characters, within Fineract's 50).
func newKey() string {
	var b [16]byte
	rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the program instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// resolve replaces an entry recorded while Fineract was unreachable by the
// posting it stands for; the new entry is picked up on the next pass.
func (w *Worker) resolve(ctx context.Context, e store.JournalEntry) outcome {
	if w.opts.Resolve == nil {
		return settled(store.JournalFailed, "this box cannot resolve payments recorded offline")
	}
	start := w.now()
	cctx, cancel := context.WithTimeout(ctx, w.opts.CallTimeout)
	resolved, err := w.opts.Resolve(cctx, e)
	cancel()
	var perm interface{ Permanent() bool }
	if err != nil && errors.As(err, &perm) && perm.Permanent() {
		// Fineract answered clearly; the answer is that this cannot be posted.
		w.observe(ctx, start, nil)
		return refused(err.Error(), err)
	}
	w.observe(ctx, start, err)
	if err != nil {
		return outcome{why: "resolving the client and account: " + err.Error()}
	}
	id, err := w.db.SupersedeJournal(e.ID, resolved)
	if err != nil {
		w.log.Error("record resolved payment", "id", e.ID, "err", err)
		pause(ctx)
		return outcome{skip: true}
	}
	w.log.Info("payment recorded offline resolved", "id", e.ID, "as", id, "account", resolved.AccountID)
	w.Nudge()
	return outcome{skip: true}
}
