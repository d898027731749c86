// Package payments is the core every mobile-money source feeds (operator
// SMS, the operator's statement, an integrator's API call): one record per
// operator transaction (store), matched to a loan, a savings account or a
// client (match.go), and posted through the journal, so that a payment is
// posted to Fineract at most once however many times and ways it arrives.
// What cannot be matched safely waits in suspense for a person (Assign).
package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// Core records and posts payments. Its methods are safe for concurrent use.
type Core struct {
	DB  *store.DB
	API Fineract
	// Operators are the enabled operators ([mobile_money] operators).
	Operators []string
	// PaymentTypeID is Fineract's payment type of the postings.
	PaymentTypeID int64
	// MaxAmount: above it a payment goes to suspense; 0 = no ceiling.
	MaxAmount mifos.Amount
	// Country reads payer numbers written without + (sms.country).
	Country string
	// Today is the date Fineract posts on (its business date).
	Today func(ctx context.Context) mifos.Date
	// Journaled, if set, is called after payments were journaled: the
	// place to wake the posting worker.
	Journaled func()
	Log       *slog.Logger
	// CallTimeout bounds one payment's matching; default 1 min.
	CallTimeout time.Duration
}

// recordMatchWait bounds the matching Record does while its caller waits.
const recordMatchWait = 10 * time.Second

// InvalidError is a payment refused before it is recorded: which field,
// and why, in words an integrator can act on.
type InvalidError struct{ Field, Reason string }

func (e *InvalidError) Error() string { return e.Field + ": " + e.Reason }

// InvalidField names the field refused (the API answers 422 for these).
func (e *InvalidError) InvalidField() string { return e.Field }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// txnIDPattern: operators' transaction ids are letters and digits (M-PESA
// "QAI1S35S7Z", MTN "12345678901"), some with dots or dashes; at most 40,
// so the receipt number (50) and the externalId (100) hold them.
var txnIDPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9.-]{0,39}$`)

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// Sources a payment can come from.
var Sources = []string{"sms", "statement", "api"}

// check validates p, upper-casing its transaction id.
func (c *Core) check(p *mobilemoney.Payment) error {
	p.TxnID = strings.ToUpper(strings.TrimSpace(p.TxnID))
	switch {
	case !slices.Contains(c.Operators, p.Operator):
		if len(c.Operators) == 0 {
			return invalid("operator", "mobile money is off on this box ([mobile_money] operators is empty)")
		}
		return invalid("operator", "%q is not an operator this box takes (%s)", p.Operator, strings.Join(c.Operators, ", "))
	case p.TxnID == "":
		return invalid("txn_id", "the operator's transaction id is required")
	case !txnIDPattern.MatchString(p.TxnID):
		return invalid("txn_id", "%q is not a transaction id (letters, digits, . and -, at most 40)", p.TxnID)
	case !slices.Contains(Sources, p.Source):
		return invalid("source", "%q is not a source (%s)", p.Source, strings.Join(Sources, ", "))
	case p.Kind != mobilemoney.KindPayment && p.Kind != mobilemoney.KindReversal:
		return invalid("kind", "%q is not a kind of notification", p.Kind)
	case p.Kind == mobilemoney.KindReversal:
		return nil
	case p.Amount <= 0:
		return invalid("amount", "must be more than zero")
	case !currencyPattern.MatchString(p.Currency):
		return invalid("currency", "%q is not an ISO 4217 code such as KES", p.Currency)
	}
	return nil
}

func stored(p mobilemoney.Payment) store.Payment {
	return store.Payment{
		Operator: p.Operator, TxnID: p.TxnID, Kind: string(p.Kind), Amount: int64(p.Amount), Currency: p.Currency,
		PayerPhone: p.PayerPhone, PayerName: p.PayerName, AccountRef: p.AccountRef, Time: p.Time,
		NewBalance: int64(p.NewBalance), HasBalance: p.HasBalance, ReversedTxnID: p.ReversedTxnID, Source: p.Source,
		State: store.PaymentPending,
	}
}

// Record is the one entry point of every source: it records p exactly
// once (a second arrival of its operator and transaction id only notes
// that it was seen again, and returns the record with added false), then
// matches and journals it when Fineract answers. When Fineract does not,
// the payment waits (pending, not matched) and Run matches it later.
// A reversal notice is kept (ignored) and marks the payment it reverses
// reversal-pending for a person; nothing is undone automatically. A
// payment whose reversal came first is recorded reversal-pending, never
// matched (see add).
func (c *Core) Record(ctx context.Context, in mobilemoney.Payment) (p store.Payment, added bool, err error) {
	if err := c.check(&in); err != nil {
		return store.Payment{}, false, err
	}
	err = c.DB.Update(func(tx *store.Tx) error {
		p, added, err = c.add(tx, in)
		return err
	})
	if err != nil || !added {
		if err == nil {
			c.log().Info("payment seen again; nothing changes", "operator", p.Operator, "txn", p.TxnID, "source", in.Source, "state", p.State)
		}
		return p, added, err
	}
	c.log().Info("payment recorded", "operator", p.Operator, "txn", p.TxnID, "source", p.Source, "amount", mifos.Amount(p.Amount).String(), "currency", p.Currency)
	if p.State == store.PaymentPending {
		// The caller (an integrator's HTTP request) waits for this; a slow
		// Fineract leaves the payment to Run instead of holding it.
		mctx, cancel := context.WithTimeout(ctx, recordMatchWait)
		err := c.matchOne(mctx, p.Key())
		cancel()
		if err != nil {
			c.log().Warn("payment waits to be matched until Fineract answers", "operator", p.Operator, "txn", p.TxnID, "err", err)
		}
		if again, err := c.DB.Payment(p.Operator, p.TxnID); err == nil {
			p = again
		}
	}
	return p, true, nil
}

func (c *Core) log() *slog.Logger {
	if c.Log == nil {
		return slog.Default()
	}
	return c.Log
}

func (c *Core) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	d := c.CallTimeout
	if d <= 0 {
		d = time.Minute
	}
	return context.WithTimeout(ctx, d)
}

func (c *Core) matcher(ctx context.Context) matcher {
	today := mifos.Date{}
	if c.Today != nil {
		today = c.Today(ctx)
	}
	return matcher{api: c.API, country: c.Country, today: today, max: c.MaxAmount}
}

// matchOne matches the payment key if it still waits: a decision is
// written (journal entries or suspense) in one transaction; an error
// leaves it waiting.
func (c *Core) matchOne(ctx context.Context, key string) error {
	if c.API == nil {
		return errors.New("Fineract is not configured")
	}
	op, txn, _ := strings.Cut(key, "/")
	p, err := c.DB.Payment(op, txn)
	if err != nil {
		return err
	}
	if p.Matched || p.State != store.PaymentPending {
		return nil
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	m := c.matcher(cctx)
	d, err := m.match(cctx, p)
	if err != nil {
		return err
	}
	return c.apply(p, d, m.today)
}

// apply writes a decision; a payment another caller decided meanwhile is
// left as that caller wrote it.
func (c *Core) apply(p store.Payment, d decision, today mifos.Date) error {
	err := c.DB.Update(func(tx *store.Tx) error {
		if d.suspense != "" {
			_, err := tx.SuspendPayment(p.Key(), d.suspense)
			return err
		}
		_, err := tx.JournalPayment(p.Key(), d.client.ID, c.entries(p, d, today))
		return err
	})
	if errors.Is(err, store.ErrPaymentState) {
		return nil
	}
	if err != nil {
		return err
	}
	if d.suspense != "" {
		c.log().Warn("payment in suspense: a person assigns it (mifos-edge payments)", "operator", p.Operator, "txn", p.TxnID, "reason", d.suspense)
		return nil
	}
	c.log().Info("payment journaled", "operator", p.Operator, "txn", p.TxnID, "client", d.client.ID, "parts", len(d.parts))
	if c.Journaled != nil {
		c.Journaled()
	}
	return nil
}

// ExternalID is the loan-transaction externalId of part n (0-based) of
// a payment: derived from the operator and its transaction id alone, so
// the same payment can never post twice, whatever source or box sends it.
// Parts are marked with "~", which a transaction id cannot hold
// (txnIDPattern), so part 2 of "ABC" never meets part 1 of "ABC-2".
func ExternalID(operator, txnID string, n int) string {
	id := mifos.ExternalIDMobileMoney + operator + "-" + txnID
	if n > 0 {
		id += fmt.Sprintf("~%d", n+1)
	}
	return id
}

// postingDate is the operator's date of the payment, or today when it has
// none or is later than Fineract's today (Fineract refuses a future date).
func postingDate(p store.Payment, today mifos.Date) string {
	if p.Time.IsZero() {
		return today.String()
	}
	y, m, d := p.Time.Date()
	on := mifos.Date{Year: y, Month: int(m), Day: d}
	if !today.IsZero() && today.Before(on) {
		return today.String()
	}
	return on.String()
}

func (c *Core) entries(p store.Payment, d decision, today mifos.Date) []store.JournalEntry {
	clientPhone := ""
	if d.client.MobileNo != "" {
		// The number Fineract holds, never the one the operator printed.
		clientPhone, _ = phone.Normalize(d.client.MobileNo, c.Country)
	}
	out := make([]store.JournalEntry, 0, len(d.parts))
	for i, pt := range d.parts {
		e := store.JournalEntry{
			Kind: store.JournalSavingsDeposit, ClientPhone: clientPhone, ClientID: d.client.ID, ClientName: d.client.DisplayName,
			AccountID: pt.accountID, AccountNo: pt.accountNo, Amount: int64(pt.amount),
			Currency: pt.currency.Code, Decimals: pt.currency.DecimalPlaces, Date: postingDate(p, today),
			Receipt: p.TxnID, ItemRef: pt.accountNo, ClientRef: p.TxnID, PaymentTypeID: c.PaymentTypeID,
			Note: fmt.Sprintf("%s payment %s (%s)", p.Operator, p.TxnID, p.Source),
		}
		if pt.loan {
			e.Kind, e.ExternalID = store.JournalLoanRepayment, ExternalID(p.Operator, p.TxnID, i)
		}
		out = append(out, e)
	}
	return out
}

// MatchWaiting matches the payments that wait for Fineract, at most limit;
// it returns how many it decided.
func (c *Core) MatchWaiting(ctx context.Context, limit int) (int, error) {
	keys, err := c.DB.UnmatchedPayments(limit)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		if err := c.matchOne(ctx, k); err != nil {
			return n, err // Fineract does not answer: the rest wait too
		}
		n++
	}
	return n, nil
}

// Run matches waiting payments at once (those a stop left waiting), then
// every interval, until ctx ends.
func (c *Core) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := c.MatchWaiting(ctx, 50); err != nil && ctx.Err() == nil {
			c.log().Info("payments wait to be matched until Fineract answers", "matched", n, "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// ErrAmbiguous means a transaction id is recorded for more than one
// operator; the operator must be named.
var ErrAmbiguous = errors.New("the transaction id is recorded for more than one operator; name the operator")

// Find returns the payment txnID of operator, or of whichever enabled
// operator has it when operator is "".
func (c *Core) Find(operator, txnID string) (store.Payment, error) {
	txnID = strings.ToUpper(strings.TrimSpace(txnID))
	if operator != "" {
		return c.DB.Payment(operator, txnID)
	}
	var found []store.Payment
	for _, op := range c.Operators {
		p, err := c.DB.Payment(op, txnID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return store.Payment{}, err
		}
		found = append(found, p)
	}
	switch len(found) {
	case 0:
		return store.Payment{}, fmt.Errorf("no payment has transaction id %s: %w", txnID, store.ErrNotFound)
	case 1:
		return found[0], nil
	}
	return store.Payment{}, ErrAmbiguous
}

// Assign posts a payment in suspense to the loan or savings account
// accountNo, as a person decided: the account must be active and in the
// payment's currency; the amount ceiling does not apply (a person checked).
func (c *Core) Assign(ctx context.Context, operator, txnID, accountNo string) (store.Payment, error) {
	p, err := c.Find(operator, txnID)
	if err != nil {
		return store.Payment{}, err
	}
	if p.State != store.PaymentSuspense {
		return p, fmt.Errorf("payment %s is %s, only a payment in suspense can be assigned: %w", p.TxnID, p.State, store.ErrPaymentState)
	}
	accountNo = strings.TrimSpace(accountNo)
	if !isDigits(accountNo) {
		return p, invalid("account", "%q is not an account number (digits)", accountNo)
	}
	if c.API == nil {
		return p, errors.New("Fineract is not configured")
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	m := c.matcher(cctx)
	m.max = 0
	d, found, err := m.byAccountNo(cctx, p, accountNo)
	if err != nil {
		return p, fmt.Errorf("no answer from Mifos; nothing was assigned, try again: %w", err)
	}
	if !found {
		return p, invalid("account", "no loan or savings account has number %s", accountNo)
	}
	if d.suspense != "" {
		return p, invalid("account", "%s", d.suspense)
	}
	if err := c.DB.Update(func(tx *store.Tx) error {
		_, err := tx.JournalPayment(p.Key(), d.client.ID, c.entries(p, d, m.today))
		return err
	}); err != nil {
		return p, err
	}
	c.log().Info("payment assigned by a person", "operator", p.Operator, "txn", p.TxnID, "account", accountNo)
	if c.Journaled != nil {
		c.Journaled()
	}
	return c.DB.Payment(p.Operator, p.TxnID)
}
