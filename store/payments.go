package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// Mobile-money payments, one record per operator transaction: the key is
// operator + transaction id, so the same payment arriving again (the
// Swahili twin of an SMS, a resent SMS, the statement, an integrator's
// retry) finds its record and changes nothing but a "seen again" note.
// A payment's journal entries are written in the same transaction as the
// record that names them, and every change of state of those entries
// updates the payment in the transaction that makes it (saveJournal), so
// the payment's state is never behind its postings.
const (
	extPayments          = "payments"           // operator "/" txn id -> Payment
	extPaymentSeq        = "payments_seq"       // seq (8 bytes) -> key, in arrival order
	extPaymentsUnmatched = "payments_unmatched" // key -> nil: waiting for Fineract to be matched
)

// PaymentState is where a payment stands.
type PaymentState string

const (
	// PaymentPending: recorded; journaled and not yet in Fineract, or
	// waiting for Fineract to be matched to an account (Matched false).
	PaymentPending PaymentState = "pending"
	// PaymentPosted: every journal entry of it posted.
	PaymentPosted PaymentState = "posted"
	// PaymentFailed: Fineract refused a posting of it; Reason says why. A
	// person requeues the posting (mifos-edge postings) or fixes it in Mifos.
	PaymentFailed PaymentState = "failed"
	// PaymentSuspense: no account could be chosen safely; a person assigns it.
	PaymentSuspense PaymentState = "suspense"
	// PaymentIgnored: kept, never posted (a forgery, a reversal notice).
	PaymentIgnored PaymentState = "ignored"
	// PaymentReversalPending: the operator reversed it; a person undoes it in Fineract.
	PaymentReversalPending PaymentState = "reversal-pending"
	// PaymentReversed: undone in Fineract.
	PaymentReversed PaymentState = "reversed"
)

// PaymentStates lists every state.
var PaymentStates = []PaymentState{PaymentPending, PaymentPosted, PaymentFailed, PaymentSuspense,
	PaymentIgnored, PaymentReversalPending, PaymentReversed}

// PaymentBatchBase is added to a payment's Seq to make the Batch of its
// journal entries: inbox message ids (the other batches) never get there,
// so one payment's entries are one batch (one confirmation) of their own.
const PaymentBatchBase = uint64(1) << 62

// ErrPaymentState means a payment change was asked for from a state that
// does not allow it (assigning a payment that is not in suspense).
var ErrPaymentState = errors.New("payment is not in a state that allows this change")

// maxSightings bounds the "seen again" notes kept per payment; Sightings counts them all.
const maxSightings = 10

// PaymentSighting is one more arrival of a payment already recorded.
type PaymentSighting struct {
	Source string    `json:"source"`
	At     time.Time `json:"at"`
}

// Payment is one operator transaction and what the box did with it.
type Payment struct {
	Seq        uint64 `json:"seq"`
	Operator   string `json:"operator"`
	TxnID      string `json:"txn_id"`
	Kind       string `json:"kind"` // payment or reversal
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
	PayerPhone string `json:"payer_phone,omitempty"` // as printed, maybe masked
	PayerName  string `json:"payer_name,omitempty"`
	AccountRef string `json:"account_ref,omitempty"`
	// Time is the operator's time, in the operator's zone.
	Time          time.Time `json:"time,omitzero"`
	NewBalance    int64     `json:"new_balance,omitempty"`
	HasBalance    bool      `json:"has_balance,omitempty"`
	ReversedTxnID string    `json:"reversed_txn_id,omitempty"`
	Source        string    `json:"source"` // the first arrival's: sms, statement or api

	State  PaymentState `json:"state"`
	Reason string       `json:"reason,omitempty"`
	// Matched: the matching decided (journaled, suspense, ignored); false
	// while it waits for Fineract to answer.
	Matched        bool     `json:"matched,omitempty"`
	ClientID       int64    `json:"client_id,omitempty"`
	AccountNo      string   `json:"account_no,omitempty"` // the accounts posted to, comma separated
	FineractTxnIDs []int64  `json:"fineract_txn_ids,omitempty"`
	Journal        []uint64 `json:"journal,omitempty"`

	// Flag is a warning for the accountant that does not change the
	// state: the operator's running balance does not follow from the
	// previous notification (one missing, or one injected).
	Flag string `json:"flag,omitempty"`

	Sightings  int               `json:"sightings,omitempty"`
	SeenAgain  []PaymentSighting `json:"seen_again,omitempty"`
	ReceivedAt time.Time         `json:"received_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// Key is the payment's identity: operator and transaction id.
func (p Payment) Key() string { return PaymentKey(p.Operator, p.TxnID) }

// PaymentKey is the identity of operator's transaction txnID.
func PaymentKey(operator, txnID string) string { return operator + "/" + txnID }

// Batch is the journal batch of the payment's entries.
func (p Payment) Batch() uint64 { return PaymentBatchBase + p.Seq }

type paymentBuckets struct{ byKey, bySeq, unmatched *bbolt.Bucket }

func (tx *Tx) paymentBuckets() (paymentBuckets, error) {
	var pb paymentBuckets
	var err error
	if pb.byKey, err = tx.Bucket(extPayments); err != nil {
		return pb, err
	}
	if pb.bySeq, err = tx.Bucket(extPaymentSeq); err != nil {
		return pb, err
	}
	pb.unmatched, err = tx.Bucket(extPaymentsUnmatched)
	return pb, err
}

func (tx *Tx) loadPayment(key string) (Payment, bool, error) {
	pb, err := tx.paymentBuckets()
	if errors.Is(err, ErrNotFound) {
		return Payment{}, false, nil
	}
	if err != nil {
		return Payment{}, false, err
	}
	var p Payment
	found, err := getJSON(pb.byKey, []byte(key), &p)
	if err != nil {
		return Payment{}, false, fmt.Errorf("payment %s: %w", key, err)
	}
	return p, found, nil
}

// savePayment writes p and keeps the unmatched index and the feed in step
// with old (nil: new).
func (tx *Tx) savePayment(old *Payment, p *Payment) error {
	pb, err := tx.paymentBuckets()
	if err != nil {
		return err
	}
	key := []byte(p.Key())
	p.UpdatedAt = time.Now()
	if old == nil || old.State != p.State {
		if err := tx.countPaymentState(old, p.State); err != nil {
			return err
		}
	}
	if p.State == PaymentPending && !p.Matched {
		err = pb.unmatched.Put(key, nil)
	} else {
		err = pb.unmatched.Delete(key)
	}
	if err != nil {
		return err
	}
	if (p.State == PaymentPosted || p.State == PaymentSuspense) && (old == nil || old.State != p.State) {
		// The reason as it was: the payment may be assigned before the event leaves.
		data, err := json.Marshal(map[string]string{"reason": p.Reason})
		if err != nil {
			return err
		}
		if err := appendFeed(tx.btx, FeedEntry{Kind: FeedPayment, ID: p.Seq, State: string(p.State), Data: data}); err != nil {
			return err
		}
	}
	return putJSON(pb.byKey, key, p)
}

func checkNewPayment(p *Payment) error {
	switch {
	case p.Operator == "" || p.TxnID == "":
		return errors.New("a payment needs its operator and transaction id")
	case strings.Contains(p.Operator, "/"):
		return fmt.Errorf("operator %q must not contain /", p.Operator)
	case p.Source == "":
		return errors.New("a payment needs its source")
	case !slices.Contains(PaymentStates, p.State):
		return fmt.Errorf("unknown payment state %q", p.State)
	}
	return nil
}

// AddPayment records p (its State: pending to be matched, or ignored or
// suspense with a Reason) in the caller's transaction, unless its
// operator and transaction id were recorded before: then the existing
// record only notes that p.Source saw it again, and is returned with
// added false. The store sets Seq and the times.
func (tx *Tx) AddPayment(p Payment) (Payment, bool, error) {
	if err := checkNewPayment(&p); err != nil {
		return Payment{}, false, err
	}
	old, found, err := tx.loadPayment(p.Key())
	if err != nil {
		return Payment{}, false, err
	}
	now := time.Now()
	if found {
		next := old
		next.Sightings++
		next.SeenAgain = append(slices.Clone(old.SeenAgain), PaymentSighting{Source: p.Source, At: now})
		// One transaction id names one payment: another source telling
		// other figures is flagged for the accountant (the first arrival
		// may have been wrong, or forged); nothing is posted again.
		if differ := differentFigures(old, p); differ != "" {
			next.Flag = strings.TrimPrefix(next.Flag+"; ", "; ") + differ
		}
		if len(next.SeenAgain) > maxSightings {
			next.SeenAgain = next.SeenAgain[len(next.SeenAgain)-maxSightings:]
		}
		return next, false, tx.savePayment(&old, &next)
	}
	pb, err := tx.paymentBuckets()
	if err != nil {
		return Payment{}, false, err
	}
	seq, err := pb.bySeq.NextSequence()
	if err != nil {
		return Payment{}, false, err
	}
	p.Seq, p.ReceivedAt = seq, now
	p.Matched = p.State != PaymentPending
	p.Journal, p.FineractTxnIDs, p.Sightings, p.SeenAgain = nil, nil, 0, nil
	if err := pb.bySeq.Put(idKey(seq), []byte(p.Key())); err != nil {
		return Payment{}, false, err
	}
	return p, true, tx.savePayment(nil, &p)
}

// Payment returns the payment operator/txnID as seen in this transaction;
// ErrNotFound when none.
func (tx *Tx) Payment(operator, txnID string) (Payment, error) {
	p, found, err := tx.loadPayment(PaymentKey(operator, txnID))
	if err == nil && !found {
		err = fmt.Errorf("payment %s %s: %w", operator, txnID, ErrNotFound)
	}
	return p, err
}

// PaymentBySeq returns the payment with that arrival number.
func (tx *Tx) PaymentBySeq(seq uint64) (Payment, error) {
	pb, err := tx.paymentBuckets()
	if err != nil {
		return Payment{}, err
	}
	key := pb.bySeq.Get(idKey(seq))
	if key == nil {
		return Payment{}, fmt.Errorf("payment %d: %w", seq, ErrNotFound)
	}
	p, found, err := tx.loadPayment(string(key))
	if err == nil && !found {
		err = fmt.Errorf("payment %d: %w", seq, ErrNotFound)
	}
	return p, err
}

// JournalPayment posts a payment: entries (their Batch, Payment and ids
// set here) are journaled and the payment becomes pending with the
// client and accounts they go to, in the caller's transaction. It is
// allowed once, from a payment waiting to be matched or in suspense (a
// person assigning it); anything else is ErrPaymentState, so a payment
// is never journaled twice.
func (tx *Tx) JournalPayment(key string, clientID int64, entries []JournalEntry) (Payment, error) {
	old, found, err := tx.loadPayment(key)
	if err != nil {
		return Payment{}, err
	}
	if !found {
		return Payment{}, fmt.Errorf("payment %s: %w", key, ErrNotFound)
	}
	if !(old.State == PaymentPending && !old.Matched) && old.State != PaymentSuspense {
		return Payment{}, fmt.Errorf("payment %s is %s: %w", key, old.State, ErrPaymentState)
	}
	if len(entries) == 0 {
		return Payment{}, errors.New("a payment is posted by at least one journal entry")
	}
	p := old
	p.State, p.Reason, p.Matched, p.ClientID, p.Journal = PaymentPending, "", true, clientID, nil
	var accounts []string
	for _, e := range entries {
		e.Batch, e.Payment = p.Batch(), key
		id, err := tx.AppendJournal(e)
		if err != nil {
			return Payment{}, err
		}
		p.Journal = append(p.Journal, id)
		if !slices.Contains(accounts, e.AccountNo) {
			accounts = append(accounts, e.AccountNo)
		}
	}
	p.AccountNo = strings.Join(accounts, ",")
	return p, tx.savePayment(&old, &p)
}

// SuspendPayment puts a payment waiting to be matched into suspense for a
// person, with the reason, in the caller's transaction.
func (tx *Tx) SuspendPayment(key, reason string) (Payment, error) {
	old, found, err := tx.loadPayment(key)
	if err != nil {
		return Payment{}, err
	}
	if !found {
		return Payment{}, fmt.Errorf("payment %s: %w", key, ErrNotFound)
	}
	if old.State != PaymentPending || old.Matched {
		return Payment{}, fmt.Errorf("payment %s is %s: %w", key, old.State, ErrPaymentState)
	}
	p := old
	p.State, p.Reason, p.Matched = PaymentSuspense, reason, true
	return p, tx.savePayment(&old, &p)
}

// SetPaymentState moves a payment from one of from to state with reason,
// in the caller's transaction (a reversal notice marks its payment
// reversal-pending; a person's undo makes it reversed).
func (tx *Tx) SetPaymentState(key string, from []PaymentState, state PaymentState, reason string) (Payment, error) {
	old, found, err := tx.loadPayment(key)
	if err != nil {
		return Payment{}, err
	}
	if !found {
		return Payment{}, fmt.Errorf("payment %s: %w", key, ErrNotFound)
	}
	if !slices.Contains(from, old.State) {
		return Payment{}, fmt.Errorf("payment %s is %s: %w", key, old.State, ErrPaymentState)
	}
	p := old
	p.State, p.Reason, p.Matched = state, reason, true
	return p, tx.savePayment(&old, &p)
}

// paymentJournal brings the payment of journal entry e up to date when e
// changed state; it runs in saveJournal's transaction, before e is
// written (so e itself is taken from the argument, not the bucket).
func paymentJournal(btx *bbolt.Tx, old, e *JournalEntry) error {
	if e.Payment == "" || old == nil || old.State == e.State {
		return nil
	}
	tx := &Tx{btx: btx}
	before, found, err := tx.loadPayment(e.Payment)
	if err != nil || !found {
		return err
	}
	if before.State != PaymentPending && before.State != PaymentPosted && before.State != PaymentFailed {
		return nil // a person has taken it over (reversal); postings no longer speak for it
	}
	p := before
	p.FineractTxnIDs = nil
	open, awaiting, failed := false, false, []string(nil)
	for _, id := range p.Journal {
		j := *e
		if id != e.ID {
			if j, err = loadJournal(btx, id); errors.Is(err, ErrNotFound) {
				continue // a done entry pruned after its retention
			} else if err != nil {
				return err
			}
		}
		switch j.State {
		case JournalPending, JournalPosting:
			open = true
		case JournalAwaitingApproval:
			awaiting = true
		case JournalFailed:
			why := j.Refusal
			if why == "" {
				why = j.Outcome
			}
			failed = append(failed, fmt.Sprintf("%s: %s", j.AccountNo, why))
		}
		p.FineractTxnIDs = append(p.FineractTxnIDs, j.FineractTxnIDs...)
	}
	switch {
	case open:
		p.State, p.Reason = PaymentPending, ""
	case len(failed) > 0:
		p.State, p.Reason = PaymentFailed, "Mifos refused the posting: "+strings.Join(failed, "; ")
	case awaiting:
		p.State, p.Reason = PaymentPending, "waiting for approval in Mifos"
	default:
		p.State, p.Reason = PaymentPosted, ""
	}
	return tx.savePayment(&before, &p)
}

// Payment returns the payment operator/txnID; ErrNotFound when none.
func (db *DB) Payment(operator, txnID string) (Payment, error) {
	var p Payment
	err := db.View(func(tx *Tx) (err error) {
		p, err = tx.Payment(operator, txnID)
		return err
	})
	return p, err
}

// ListPayments returns up to limit payments in state ("" = all), newest
// first; limit <= 0 means all.
func (db *DB) ListPayments(state PaymentState, limit int) ([]Payment, error) {
	if state != "" && !slices.Contains(PaymentStates, state) {
		return nil, fmt.Errorf("unknown payment state %q", state)
	}
	var out []Payment
	err := db.View(func(tx *Tx) error {
		pb, err := tx.paymentBuckets()
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		c := pb.bySeq.Cursor()
		for k, key := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, key = c.Prev() {
			var p Payment
			if _, err := getJSON(pb.byKey, key, &p); err != nil {
				return fmt.Errorf("payment %s: %w", key, err)
			}
			if state == "" || p.State == state {
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}

// UnmatchedPayments returns the keys of payments waiting for Fineract to
// be matched, at most limit.
func (db *DB) UnmatchedPayments(limit int) ([]string, error) {
	var out []string
	err := db.View(func(tx *Tx) error {
		pb, err := tx.paymentBuckets()
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		c := pb.unmatched.Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			out = append(out, string(k))
		}
		return nil
	})
	return out, err
}

// differentFigures says how a second arrival p disagrees with the payment
// first recorded, or "" when it agrees: the amount, the currency, or the
// account the payer typed (when both name one).
func differentFigures(first, p Payment) string {
	var diffs []string
	if p.Amount != first.Amount || p.Currency != first.Currency {
		diffs = append(diffs, fmt.Sprintf("%s %s", p.Currency, formatMillionths(p.Amount)))
	}
	if p.AccountRef != "" && first.AccountRef != "" && !strings.EqualFold(strings.TrimSpace(p.AccountRef), strings.TrimSpace(first.AccountRef)) {
		diffs = append(diffs, "account "+p.AccountRef)
	}
	if len(diffs) == 0 {
		return ""
	}
	return "figures differ: " + p.Source + " says " + strings.Join(diffs, ", ")
}

// formatMillionths writes an amount kept in millionths as a plain number
// ("1050", "1050.5"); store knows no currency's decimals.
func formatMillionths(a int64) string {
	neg := a < 0
	if neg {
		a = -a
	}
	out := strconv.FormatInt(a/1_000_000, 10)
	if frac := a % 1_000_000; frac != 0 {
		out += "." + strings.TrimRight(fmt.Sprintf("%06d", frac), "0")
	}
	if neg {
		out = "-" + out
	}
	return out
}
