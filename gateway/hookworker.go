package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// FineractReader is what the hook worker reads back from Fineract with the
// box's own user: the loan (with its schedule and what was disbursed), the
// loan as an application (what was approved), its client and the
// transaction.
type FineractReader interface {
	Client(ctx context.Context, id int64) (mifos.Client, error)
	Loan(ctx context.Context, loanID int64) (mifos.Loan, error)
	LoanApplication(ctx context.Context, loanID int64) (mifos.LoanApplication, error)
	LoanTxn(ctx context.Context, loanID, txnID int64) (mifos.LoanTxn, error)
	LoanTransactions(ctx context.Context, loanID int64) ([]mifos.LoanTxn, error)
}

// Texts renders the SMS templates (handler.Texts).
type Texts interface {
	Get(key string, pairs ...string) string
	Date(d, today mifos.Date) string
}

// HookStore is what the hook worker needs of the store.
type HookStore interface {
	DueHookEvents(now time.Time, limit int) ([]store.HookEvent, error)
	FinishHookEvent(key string, out *store.Outbound, note string) (uint64, error)
	RetryHookEvent(key string, next time.Time, why string) error
}

// HookWorker turns stored hook events into client SMS. Each event is done
// once: its SMS is queued in the same transaction that marks it done.
type HookWorker struct {
	DB      HookStore
	API     FineractReader
	Texts   Texts
	Country string            // [sms] country
	Today   func() mifos.Date // the tenant's today, for dates in the SMS
	Wake    <-chan struct{}   // a new event was stored
	Queued  func()            // an SMS was queued
	Log     *slog.Logger      // discarded when nil
	Now     func() time.Time  // time.Now when nil
	Poll    time.Duration     // how often due retries are looked for; 15 s when 0
	MaxAge  time.Duration     // an event older than this is dropped; 72 h when 0
}

// Template keys the worker uses (registered by package handler).
const (
	TextLoanApproved      = "hook.loan_approved"
	TextLoanDisbursed     = "hook.loan_disbursed"
	TextLoanDisbursedOnly = "hook.loan_disbursed_plain"
	TextLoanRepayment     = "hook.loan_repayment"
)

const (
	hookBatch      = 20
	hookRetryFirst = 30 * time.Second
	hookRetryCap   = 30 * time.Minute
)

func (w *HookWorker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *HookWorker) log() *slog.Logger {
	if w.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return w.Log
}

// Run works through due events until ctx ends; events survive restarts
// in the store, and one whose Fineract read failed waits and is retried.
func (w *HookWorker) Run(ctx context.Context) error {
	poll := w.Poll
	if poll <= 0 {
		poll = 15 * time.Second
	}
	for {
		evs, err := w.DB.DueHookEvents(w.now(), hookBatch)
		if err != nil {
			w.log().Error("reading Fineract hook events failed; retrying", "err", err)
		}
		for _, ev := range evs {
			if err := w.Process(ctx, ev); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				w.log().Error("Fineract hook event not updated; will retry", "event", ev.Key, "err", err)
			}
		}
		if len(evs) == hookBatch && err == nil {
			continue
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-w.Wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// skip is a reason an event sends no SMS.
type skip struct{ why string }

func (s skip) Error() string { return s.why }

// Process builds and queues the SMS of one waiting event, skips it with
// the reason, or schedules a retry when Fineract could not be read. The
// error is the store's only.
func (w *HookWorker) Process(ctx context.Context, ev store.HookEvent) error {
	maxAge := w.MaxAge
	if maxAge <= 0 {
		maxAge = 72 * time.Hour
	}
	if age := w.now().Sub(ev.ReceivedAt); age > maxAge {
		return w.finish(ev, nil, fmt.Sprintf("not sent: the event waited %s for Fineract, longer than %s", age.Round(time.Minute), maxAge))
	}
	out, err := w.build(ctx, ev)
	var sk skip
	switch {
	case errors.As(err, &sk):
		return w.finish(ev, nil, sk.why)
	case err != nil:
		delay := hookRetryFirst << min(ev.Attempts, 10)
		delay = min(delay, hookRetryCap)
		w.log().Warn("Fineract hook event waits for Fineract", "event", ev.Key, "retry_in", delay, "err", err)
		return w.DB.RetryHookEvent(ev.Key, w.now().Add(delay), err.Error())
	}
	return w.finish(ev, &out, "")
}

func (w *HookWorker) finish(ev store.HookEvent, out *store.Outbound, note string) error {
	id, err := w.DB.FinishHookEvent(ev.Key, out, note)
	if errors.Is(err, store.ErrHookEventGone) {
		return nil // done meanwhile: nothing to do twice
	}
	if err != nil {
		return err
	}
	if out == nil {
		w.log().Info("Fineract hook event sends no SMS", "event", ev.Key, "why", note)
		return nil
	}
	w.log().Info("SMS queued for a Fineract event", "event", ev.Key, "sms", id)
	if w.Queued != nil {
		w.Queued()
	}
	return nil
}

// read classifies a failed Fineract read: an answer that will not change
// (the loan does not exist, a refusal) skips the event; anything else
// (Fineract unreachable, busy, the box's user refused) leaves it waiting.
func read(what string, err error) error {
	a := mifos.Classify(err)
	var fe *mifos.Error
	switch {
	case errors.As(err, &fe) && fe.Status == http.StatusNotFound:
		return skip{what + " is not in Fineract"}
	case a == mifos.Refused || a == mifos.NotSent || a == mifos.TooLarge:
		return skip{fmt.Sprintf("Fineract refused to show %s (%s): %v", what, a, err)}
	}
	return fmt.Errorf("reading %s: %s: %w", what, a, err)
}

// build reads the loan, its client and (for a repayment) the transaction
// from Fineract, and writes the SMS. Only the client's own mobile number
// in Fineract receives it; amounts are Fineract's, never the hook's.
func (w *HookWorker) build(ctx context.Context, ev store.HookEvent) (store.Outbound, error) {
	loanWhat := "loan " + strconv.FormatInt(ev.LoanID, 10)
	today := w.today()
	var to, text string
	switch ev.Entity + "/" + ev.Action {
	case "LOAN/APPROVE":
		// The application, not the loan: it carries the approved amount,
		// which a later smaller disbursement does not change.
		app, err := w.API.LoanApplication(ctx, ev.LoanID)
		if err != nil {
			return store.Outbound{}, read(loanWhat, err)
		}
		if app.ApprovedOn.IsZero() || app.StatusID == 100 {
			return store.Outbound{}, skip{loanWhat + " is not approved in Fineract any more (the approval was undone)"}
		}
		var name string
		if to, name, err = w.recipient(ctx, app.ClientID, loanWhat); err != nil {
			return store.Outbound{}, err
		}
		text = w.Texts.Get(TextLoanApproved, "name", name, "account", app.AccountNo, "product", app.ProductName,
			"amount", money(app.Currency, app.ApprovedPrincipal))
	case "LOAN/DISBURSE":
		loan, err := w.API.Loan(ctx, ev.LoanID)
		if err != nil {
			return store.Outbound{}, read(loanWhat, err)
		}
		if loan.PrincipalDisbursed <= 0 {
			return store.Outbound{}, skip{loanWhat + " shows nothing disbursed in Fineract (the disbursement was undone)"}
		}
		txns, err := w.API.LoanTransactions(ctx, ev.LoanID)
		if err != nil {
			return store.Outbound{}, read("the transactions of "+loanWhat, err)
		}
		for _, t := range txns {
			if t.Disbursement && !t.ManuallyReversed && mifos.PostedByBox(t.ExternalID) {
				// Paid out by mobile money from this box: the client had the box's own SMS.
				return store.Outbound{}, skip{loanWhat + " was disbursed by this box's mobile disbursement, which sent its own SMS"}
			}
		}
		var name string
		if to, name, err = w.recipient(ctx, loan.ClientID, loanWhat); err != nil {
			return store.Outbound{}, err
		}
		amount := money(loan.Currency, loan.PrincipalDisbursed)
		if next, ok := firstDue(loan.Periods); ok {
			text = w.Texts.Get(TextLoanDisbursed, "name", name, "account", loan.AccountNo, "amount", amount,
				"outstanding", money(loan.Currency, loan.TotalOutstanding),
				"installment", money(loan.Currency, next.TotalOutstanding), "date", w.Texts.Date(next.DueDate, today))
		} else {
			text = w.Texts.Get(TextLoanDisbursedOnly, "name", name, "account", loan.AccountNo, "amount", amount,
				"outstanding", money(loan.Currency, loan.TotalOutstanding))
		}
	case "LOAN/REPAYMENT":
		loan, err := w.API.Loan(ctx, ev.LoanID)
		if err != nil {
			return store.Outbound{}, read(loanWhat, err)
		}
		var name string
		if to, name, err = w.recipient(ctx, loan.ClientID, loanWhat); err != nil {
			return store.Outbound{}, err
		}
		txWhat := "transaction " + strconv.FormatInt(ev.ResourceID, 10) + " of " + loanWhat
		tx, err := w.API.LoanTxn(ctx, ev.LoanID, ev.ResourceID)
		if err != nil {
			return store.Outbound{}, read(txWhat, err)
		}
		if tx.ManuallyReversed {
			return store.Outbound{}, skip{txWhat + " was reversed"}
		}
		if mifos.PostedByBox(tx.ExternalID) {
			// An officer's PAY or a mobile-money payment: the box sent its
			// own receipt when it posted it.
			return store.Outbound{}, skip{txWhat + " was posted by this box, which sent its own receipt"}
		}
		text = w.Texts.Get(TextLoanRepayment, "name", name, "account", loan.AccountNo,
			"amount", money(loan.Currency, tx.Amount), "date", w.Texts.Date(tx.Date, today),
			"balance", money(loan.Currency, tx.OutstandingBalance))
	default:
		return store.Outbound{}, skip{"no SMS is written for " + ev.Entity + "/" + ev.Action}
	}
	return store.Outbound{
		To:       to,
		Text:     text,
		Origin:   "hook:" + ev.Entity + "/" + ev.Action + ":" + strconv.FormatInt(ev.ResourceID, 10),
		Priority: store.PriorityNotification,
	}, nil
}

// recipient reads the loan's client and returns its own mobile number in
// Fineract, normalized, and its name; a skip when there is none to send to.
func (w *HookWorker) recipient(ctx context.Context, clientID int64, loanWhat string) (to, name string, err error) {
	if clientID == 0 {
		return "", "", skip{loanWhat + " belongs to no single client (a group loan)"}
	}
	clientWhat := "client " + strconv.FormatInt(clientID, 10)
	cl, err := w.API.Client(ctx, clientID)
	if err != nil {
		return "", "", read(clientWhat, err)
	}
	if strings.TrimSpace(cl.MobileNo) == "" {
		return "", "", skip{clientWhat + " has no mobile number in Fineract"}
	}
	to, err = phone.Normalize(cl.MobileNo, w.Country)
	if err != nil {
		return "", "", skip{clientWhat + "'s mobile number in Fineract is not one the box can send to"}
	}
	return to, strings.TrimSpace(cl.DisplayName), nil
}

func (w *HookWorker) today() mifos.Date {
	if w.Today != nil {
		return w.Today()
	}
	return mifos.DateOf(w.now())
}

// firstDue is the first installment not yet paid.
func firstDue(periods []mifos.Period) (mifos.Period, bool) {
	for _, p := range periods {
		if !p.Complete && p.TotalOutstanding > 0 {
			return p, true
		}
	}
	return mifos.Period{}, false
}

// money writes an amount as every SMS of the box does: the currency code,
// then the amount in its decimals ("KES 1,500.00").
func money(c mifos.Currency, a mifos.Amount) string {
	if c.Code == "" {
		return c.Format(a)
	}
	return c.Code + " " + c.Format(a)
}
