package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
)

// JournalKind is what a journal entry posts to Fineract.
type JournalKind string

const (
	JournalLoanRepayment   JournalKind = "loan_repayment"
	JournalSavingsDeposit  JournalKind = "savings_deposit"
	JournalCollectionSheet JournalKind = "collection_sheet"
	// JournalLoanDisbursement records in Fineract a loan the box paid out
	// to the client's mobile wallet (DisburseLine names the line); Receipt
	// is the operator's confirmation number, ExternalID the disbursement
	// transaction's externalId.
	JournalLoanDisbursement JournalKind = "loan_disbursement"
	// JournalUnresolved is a payment recorded while Fineract was unreachable:
	// client and item are as the officer wrote them (ClientRef, ItemRef,
	// Payload); it is resolved into a real entry when the link is back.
	JournalUnresolved JournalKind = "unresolved"
)

// JournalState is the life-cycle state of a journal entry:
//
//	pending -> posting -> done | awaiting_approval | failed
//	posting -> pending (retry; after a crash the entry is still posting)
//	awaiting_approval -> done | failed (a person decided in Fineract)
//	failed -> pending (RequeueJournal, by an operator)
//
// pending and posting are "open": they hold back later entries of the same
// order key. The others are "settled".
type JournalState string

const (
	JournalPending          JournalState = "pending"
	JournalPosting          JournalState = "posting"
	JournalDone             JournalState = "done"
	JournalAwaitingApproval JournalState = "awaiting_approval"
	JournalFailed           JournalState = "failed"
)

var journalStates = []JournalState{JournalPending, JournalPosting, JournalDone, JournalAwaitingApproval, JournalFailed}

// ErrJournalState means a journal transition was asked for from a state that
// does not allow it (for example settling an entry twice).
var ErrJournalState = errors.New("journal entry is not in a state that allows this change")

// ErrJournalPaymentReversed refuses to requeue a failed entry of a
// mobile-money payment the operator reversed: posting it would credit
// money the client no longer paid.
var ErrJournalPaymentReversed = errors.New("its mobile-money payment was reversed by the operator; it must not be posted")

// JournalEntry is one posting to make in Fineract exactly once.
type JournalEntry struct {
	ID          uint64       `json:"id"`
	Batch       uint64       `json:"batch"` // inbox message id; all items of one SMS share it
	Kind        JournalKind  `json:"kind"`
	Officer     string       `json:"officer,omitempty"`      // officer phone for confirmations; "" for CLI/system
	ClientPhone string       `json:"client_phone,omitempty"` // "" = no client confirmation
	ClientID    int64        `json:"client_id,omitempty"`
	ClientName  string       `json:"client_name,omitempty"`
	AccountID   int64        `json:"account_id,omitempty"` // loan or savings id; 0 for collection_sheet
	AccountNo   string       `json:"account_no,omitempty"`
	GroupID     int64        `json:"group_id,omitempty"` // collection_sheet
	CalendarID  int64        `json:"calendar_id,omitempty"`
	Amount      int64        `json:"amount"` // millionths, like mifos.Amount
	Currency    string       `json:"currency,omitempty"`
	Date        string       `json:"date"`                  // transaction date yyyy-mm-dd
	ExternalID  string       `json:"external_id,omitempty"` // loan-transaction externalId (sheet items derive from it)
	Receipt     string       `json:"receipt,omitempty"`     // receiptNumber token, <= 50 chars (savings)
	Payload     []byte       `json:"payload,omitempty"`     // collection_sheet body, opaque here
	State       JournalState `json:"state"`
	Attempts    int          `json:"attempts"`
	NextAttempt time.Time    `json:"next_attempt"`
	LastError   string       `json:"last_error,omitempty"`
	// IdempotencyKey is the key of the latest attempt, persisted before its request.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Uncertain: some attempt may have reached Fineract without an answer
	// (timeout, crash); every later attempt must look the posting up first.
	Uncertain bool `json:"uncertain,omitempty"`
	// ReuseKey: the latest attempt's outcome is unknown, so the next attempt
	// should resend IdempotencyKey (the only guard where no externalId exists).
	ReuseKey bool `json:"reuse_key,omitempty"`
	// StillRunning counts the times a resent key was answered "still
	// running" (425) after a lookup found nothing: a command Fineract never
	// finishes (its server died mid-way) answers so for ever.
	StillRunning   int     `json:"still_running,omitempty"`
	FineractTxnIDs []int64 `json:"fineract_txn_ids,omitempty"`
	Note           string  `json:"note,omitempty"`    // note sent to Fineract
	Outcome        string  `json:"outcome,omitempty"` // why it settled as it did, in plain words
	// Refusal is what the officer is told about a failure, while Outcome
	// and LastError keep the full account for people: "fineract <status>
	// <code>" for a Fineract refusal (never Fineract's own message), or
	// this box's own words. "" when not failed or recorded before it existed.
	Refusal string `json:"refusal,omitempty"`
	// Decimals of the account's currency, for writing amounts back.
	Decimals int `json:"decimals,omitempty"`
	// ClientRef and ItemRef are the client and item as the officer wrote them.
	ClientRef string `json:"client_ref,omitempty"`
	ItemRef   string `json:"item_ref,omitempty"`
	// BalanceAfter is the account's balance once posted, in words, for the client's confirmation.
	BalanceAfter string `json:"balance_after,omitempty"`
	// PostedAmount is what Fineract posted (millionths) when it differs from
	// Amount: a currency without decimals is rounded to its inMultiplesOf.
	// 0 = Fineract posted Amount, or the posting stage could not read it back.
	PostedAmount int64 `json:"posted_amount,omitempty"`
	// CommandID is Fineract's audit id of the command a checker must
	// approve (awaiting_approval): what tells later whether a checker
	// approved or rejected it. 0 when Fineract gave none.
	CommandID int64 `json:"command_id,omitempty"`
	// Payment is the mobile-money payment (store.PaymentKey) this entry
	// posts; "" for an officer's or the CLI's. Its settling updates the payment.
	Payment string `json:"payment,omitempty"`
	// PaymentTypeID is Fineract's payment type for this entry; 0 = the
	// box's [mifos] payment_type_id (mobile money has its own).
	PaymentTypeID int64 `json:"payment_type_id,omitempty"`
	// DisburseLine is the disbursement line (store.DisburseLine) a
	// loan_disbursement entry records; 0 otherwise.
	DisburseLine uint64 `json:"disburse_line,omitempty"`
	// SupersededBy is the entry an unresolved one was resolved into; 0 otherwise.
	SupersededBy uint64    `json:"superseded_by,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	SettledAt    time.Time `json:"settled_at"`
}

// OrderKey groups entries that must post in id order: the account a
// repayment or deposit goes to, or the group of a collection sheet.
func (e JournalEntry) OrderKey() string {
	switch e.Kind {
	case JournalLoanRepayment, JournalLoanDisbursement:
		return "loan:" + strconv.FormatInt(e.AccountID, 10)
	case JournalSavingsDeposit:
		return "savings:" + strconv.FormatInt(e.AccountID, 10)
	case JournalCollectionSheet:
		return "group:" + strconv.FormatInt(e.GroupID, 10)
	}
	return "other:" + string(e.Kind)
}

// Open reports whether the entry still holds back later entries of its key.
func (s JournalState) Open() bool { return s == JournalPending || s == JournalPosting }

// Journal buckets. jr holds the records; jr_state_<s> the ids per state;
// jr_open (orderKey, id) the open entries, so the first key of an order-key
// prefix is that key's head; jr_due (NextAttempt, id) the pending heads;
// jr_batch (batch, id); jr_done_at (SettledAt, id) the done entries, for prune.
var (
	bucketJournal       = []byte("jr")
	bucketJournalOpen   = []byte("jr_open")
	bucketJournalDue    = []byte("jr_due")
	bucketJournalBatch  = []byte("jr_batch")
	bucketJournalDoneAt = []byte("jr_done_at")
)

func journalStateBucket(s JournalState) []byte { return []byte("jr_state_" + string(s)) }

func journalBuckets() [][]byte {
	names := [][]byte{bucketJournal, bucketJournalOpen, bucketJournalDue, bucketJournalBatch, bucketJournalDoneAt}
	for _, s := range journalStates {
		names = append(names, journalStateBucket(s))
	}
	return names
}

// orderPrefix is the length-prefixed order key, so no key is a prefix of another.
func orderPrefix(key string) []byte {
	p := binary.AppendUvarint(nil, uint64(len(key)))
	return append(p, key...)
}

func openKey(e *JournalEntry) []byte { return append(orderPrefix(e.OrderKey()), idKey(e.ID)...) }

// headID returns the id of the first open entry of order key (0 if none).
func headID(btx *bbolt.Tx, key string) uint64 {
	prefix := orderPrefix(key)
	k, _ := btx.Bucket(bucketJournalOpen).Cursor().Seek(prefix)
	if k == nil || len(k) != len(prefix)+8 || string(k[:len(prefix)]) != string(prefix) {
		return 0
	}
	return keyID(k[len(prefix):])
}

// unindexHead removes key's head from the due index; indexHead puts the
// (possibly new) head back. Every change to an open entry runs between the
// two. Invariant: jr_due holds exactly the entries that are pending and the
// head of their order key, at (NextAttempt, id).
func unindexHead(btx *bbolt.Tx, key string) error {
	id := headID(btx, key)
	if id == 0 {
		return nil
	}
	h, err := loadJournal(btx, id)
	if err != nil {
		return err
	}
	return btx.Bucket(bucketJournalDue).Delete(timeIDKey(h.NextAttempt, h.ID))
}

func indexHead(btx *bbolt.Tx, key string) error {
	id := headID(btx, key)
	if id == 0 {
		return nil
	}
	h, err := loadJournal(btx, id)
	if err != nil {
		return err
	}
	if h.State != JournalPending {
		return nil
	}
	return btx.Bucket(bucketJournalDue).Put(timeIDKey(h.NextAttempt, h.ID), nil)
}

// saveJournal writes e and moves its state, open, batch and done-at index
// entries from old's (nil: new). The due index is the caller's, through
// unindexHead/indexHead.
func saveJournal(btx *bbolt.Tx, old, e *JournalEntry) error {
	if old != nil {
		if err := btx.Bucket(journalStateBucket(old.State)).Delete(idKey(old.ID)); err != nil {
			return err
		}
		if old.State.Open() {
			if err := btx.Bucket(bucketJournalOpen).Delete(openKey(old)); err != nil {
				return err
			}
		}
		if old.State == JournalDone {
			if err := btx.Bucket(bucketJournalDoneAt).Delete(timeIDKey(old.SettledAt, old.ID)); err != nil {
				return err
			}
		}
	} else if err := btx.Bucket(bucketJournalBatch).Put(append(idKey(e.Batch), idKey(e.ID)...), nil); err != nil {
		return err
	}
	idx := btx.Bucket(journalStateBucket(e.State))
	if idx == nil {
		return fmt.Errorf("journal entry %d has unknown state %q", e.ID, e.State)
	}
	if err := idx.Put(idKey(e.ID), nil); err != nil {
		return err
	}
	if e.State.Open() {
		if err := btx.Bucket(bucketJournalOpen).Put(openKey(e), nil); err != nil {
			return err
		}
	}
	if e.State == JournalDone {
		if err := btx.Bucket(bucketJournalDoneAt).Put(timeIDKey(e.SettledAt, e.ID), nil); err != nil {
			return err
		}
	}
	if err := feedJournal(btx, old, e); err != nil {
		return err
	}
	if err := paymentJournal(btx, old, e); err != nil {
		return err
	}
	if err := disburseJournal(btx, old, e); err != nil {
		return err
	}
	return putJSON(btx.Bucket(bucketJournal), idKey(e.ID), e)
}

func loadJournal(btx *bbolt.Tx, id uint64) (JournalEntry, error) {
	var e JournalEntry
	found, err := getJSON(btx.Bucket(bucketJournal), idKey(id), &e)
	if err != nil {
		return JournalEntry{}, fmt.Errorf("journal entry %d: %w", id, err)
	}
	if !found {
		return JournalEntry{}, fmt.Errorf("journal entry %d: %w", id, ErrNotFound)
	}
	return e, nil
}

// maxExternalID and maxReceipt are Fineract's column sizes.
const (
	maxExternalID = 100
	maxReceipt    = 50
)

func checkNewJournal(e *JournalEntry) error {
	switch e.Kind {
	case JournalLoanRepayment:
		if e.AccountID <= 0 || e.ExternalID == "" {
			return errors.New("a loan repayment needs the loan id and an external id")
		}
	case JournalLoanDisbursement:
		// The externalId makes the disbursement exactly once in Fineract;
		// the operator's confirmation is the proof the money left.
		if e.AccountID <= 0 || e.ExternalID == "" || e.Receipt == "" || e.DisburseLine == 0 {
			return errors.New("a loan disbursement needs the loan id, an external id, the operator's confirmation and its disbursement line")
		}
	case JournalSavingsDeposit:
		if e.AccountID <= 0 || e.Receipt == "" {
			return errors.New("a savings deposit needs the savings account id and a receipt token")
		}
	case JournalCollectionSheet:
		if e.GroupID <= 0 || len(e.Payload) == 0 {
			return errors.New("a collection sheet needs the group id and its payload")
		}
	case JournalUnresolved:
		if e.ClientRef == "" || e.ItemRef == "" || e.ExternalID == "" || e.Receipt == "" {
			return errors.New("an unresolved payment needs the client and item references and both ids")
		}
	default:
		return fmt.Errorf("unknown journal kind %q", e.Kind)
	}
	if e.Kind != JournalCollectionSheet && e.Amount <= 0 {
		return fmt.Errorf("amount %d is not positive", e.Amount)
	}
	if len(e.ExternalID) > maxExternalID {
		return fmt.Errorf("external id %q is longer than %d characters", e.ExternalID, maxExternalID)
	}
	if len(e.Receipt) > maxReceipt {
		return fmt.Errorf("receipt %q is longer than %d characters", e.Receipt, maxReceipt)
	}
	if _, err := time.Parse(time.DateOnly, e.Date); err != nil {
		return fmt.Errorf("transaction date %q is not yyyy-mm-dd", e.Date)
	}
	return nil
}

// AppendJournal records e as pending, due now, inside the caller's
// transaction (the handler's, together with MarkHandled and its reply), and
// returns its id. The store sets ID, State and the progress fields.
func (tx *Tx) AppendJournal(e JournalEntry) (uint64, error) {
	if err := checkNewJournal(&e); err != nil {
		return 0, fmt.Errorf("journal %s: %w", e.Kind, err)
	}
	now := time.Now()
	e.State, e.NextAttempt, e.CreatedAt, e.UpdatedAt = JournalPending, now, now, now
	e.Attempts, e.LastError, e.IdempotencyKey, e.Uncertain, e.ReuseKey, e.StillRunning = 0, "", "", false, false, 0
	e.FineractTxnIDs, e.Outcome, e.SettledAt, e.Refusal, e.PostedAmount, e.CommandID = nil, "", time.Time{}, "", 0, 0
	id, err := tx.btx.Bucket(bucketJournal).NextSequence()
	if err != nil {
		return 0, err
	}
	e.ID = id
	key := e.OrderKey()
	if err := unindexHead(tx.btx, key); err != nil {
		return 0, err
	}
	if err := saveJournal(tx.btx, nil, &e); err != nil {
		return 0, fmt.Errorf("journal %s: %w", e.Kind, err)
	}
	return id, indexHead(tx.btx, key)
}

// AppendJournal is tx.AppendJournal in a transaction of its own.
func (db *DB) AppendJournal(e JournalEntry) (uint64, error) {
	var id uint64
	err := db.Update(func(tx *Tx) (err error) {
		id, err = tx.AppendJournal(e)
		return err
	})
	return id, err
}

// journalTransition applies change to entry id if its state is one of from,
// in one transaction, keeping every index in step.
func (db *DB) journalTransition(id uint64, what string, from []JournalState, change func(btx *bbolt.Tx, e *JournalEntry) error) error {
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		old, err := loadJournal(btx, id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, old.State) {
			return fmt.Errorf("journal entry %d is %s, %s needs %v: %w", id, old.State, what, from, ErrJournalState)
		}
		key := old.OrderKey()
		if err := unindexHead(btx, key); err != nil {
			return err
		}
		e := old
		e.FineractTxnIDs = slices.Clone(old.FineractTxnIDs)
		if err := change(btx, &e); err != nil {
			return err
		}
		e.UpdatedAt = time.Now()
		if err := saveJournal(btx, &old, &e); err != nil {
			return err
		}
		return indexHead(btx, key)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// MarkJournalPosting records that an attempt with idempotencyKey is about to
// be sent; it must be persisted before the request, so that after a crash
// the entry is still "posting" and the poster knows to look it up first.
// Only the head of an order key may post: an earlier open entry of the same
// account makes this fail with ErrJournalState.
func (db *DB) MarkJournalPosting(id uint64, idempotencyKey string) error {
	return db.journalTransition(id, "mark journal posting", []JournalState{JournalPending, JournalPosting}, func(btx *bbolt.Tx, e *JournalEntry) error {
		if idempotencyKey == "" || len(idempotencyKey) > 50 {
			return fmt.Errorf("idempotency key %q must be 1 to 50 characters", idempotencyKey)
		}
		if head := headID(btx, e.OrderKey()); head != e.ID {
			return fmt.Errorf("journal entry %d must wait for entry %d on %s: %w", e.ID, head, e.OrderKey(), ErrJournalState)
		}
		e.State, e.IdempotencyKey, e.ReuseKey = JournalPosting, idempotencyKey, false
		e.Attempts++
		return nil
	})
}

// MarkJournalRetry puts the entry back to pending, due at next, after an
// attempt that Fineract answered with a passing error (the next attempt
// uses a new idempotency key).
func (db *DB) MarkJournalRetry(id uint64, next time.Time, why string) error {
	return db.journalTransition(id, "schedule journal retry", []JournalState{JournalPending, JournalPosting}, func(_ *bbolt.Tx, e *JournalEntry) error {
		e.State, e.NextAttempt, e.LastError, e.ReuseKey = JournalPending, next, why, false
		return nil
	})
}

// MarkJournalUncertain puts the entry back to pending, due at next, after an
// attempt whose outcome is unknown (no answer). Uncertain stays set for good,
// so every later attempt looks the posting up first; reuseKey asks the next
// attempt to resend the same idempotency key.
func (db *DB) MarkJournalUncertain(id uint64, next time.Time, why string, reuseKey bool) error {
	return db.journalTransition(id, "schedule journal retry after an unknown outcome", []JournalState{JournalPending, JournalPosting}, func(_ *bbolt.Tx, e *JournalEntry) error {
		e.State, e.NextAttempt, e.LastError = JournalPending, next, why
		e.Uncertain, e.ReuseKey = true, reuseKey && e.IdempotencyKey != ""
		return nil
	})
}

// MarkJournalStillRunning is MarkJournalUncertain with the key resent next
// time, after the resent key was answered "still running" (425): it counts
// those answers in StillRunning.
func (db *DB) MarkJournalStillRunning(id uint64, next time.Time, why string) error {
	return db.journalTransition(id, "schedule journal retry after a still-running answer", []JournalState{JournalPending, JournalPosting}, func(_ *bbolt.Tx, e *JournalEntry) error {
		e.State, e.NextAttempt, e.LastError = JournalPending, next, why
		e.Uncertain, e.ReuseKey = true, e.IdempotencyKey != ""
		e.StillRunning++
		return nil
	})
}

// SettleJournal moves the entry to done, awaiting_approval or failed and
// queues confirmations in the same transaction, so a confirmation goes out
// if and only if the entry settled.
func (db *DB) SettleJournal(id uint64, state JournalState, txnIDs []int64, why string, confirmations []Outbound) error {
	return db.SettleJournalWith(id, state, txnIDs, why, func(JournalEntry, []JournalEntry) []Outbound { return confirmations })
}

// SettleJournalWith is SettleJournal with the confirmations computed inside
// the write transaction: confirm gets the settled entry and every entry of
// its batch as committed with it (the entry in its new state), so entries of
// one batch settling at the same time each see the others' final states.
// Batch 0 (CLI and system entries) is a batch of the entry alone, and so is
// an entry a checker decided (settled from awaiting_approval): the rest of
// its batch was confirmed when it settled, and must not be told twice.
// confirm runs inside the transaction: it must not use the DB.
func (db *DB) SettleJournalWith(id uint64, state JournalState, txnIDs []int64, why string, confirm func(e JournalEntry, batch []JournalEntry) []Outbound) error {
	return db.settleJournal(id, state, txnIDs, why, "", 0, confirm)
}

// FailJournalWith settles the entry as failed, like SettleJournalWith, and
// records refusal, what the officer may be told (see JournalEntry.Refusal);
// why, the full account, goes to Outcome and LastError for people.
func (db *DB) FailJournalWith(id uint64, txnIDs []int64, why, refusal string, confirm func(e JournalEntry, batch []JournalEntry) []Outbound) error {
	return db.settleJournal(id, JournalFailed, txnIDs, why, refusal, 0, confirm)
}

// AwaitJournalApprovalWith settles the entry as awaiting_approval, like
// SettleJournalWith, and records commandID, the held command's audit id in
// Fineract (see JournalEntry.CommandID).
func (db *DB) AwaitJournalApprovalWith(id uint64, commandID int64, why string, confirm func(e JournalEntry, batch []JournalEntry) []Outbound) error {
	return db.settleJournal(id, JournalAwaitingApproval, nil, why, "", commandID, confirm)
}

func (db *DB) settleJournal(id uint64, state JournalState, txnIDs []int64, why, refusal string, commandID int64, confirm func(e JournalEntry, batch []JournalEntry) []Outbound) error {
	if state != JournalDone && state != JournalAwaitingApproval && state != JournalFailed {
		return fmt.Errorf("settle journal entry %d: %q is not a settled state", id, state)
	}
	from := []JournalState{JournalPending, JournalPosting}
	if state != JournalAwaitingApproval {
		from = append(from, JournalAwaitingApproval)
	}
	return db.journalTransition(id, "settle journal entry", from, func(btx *bbolt.Tx, e *JournalEntry) error {
		now := time.Now()
		checkerDecided := e.State == JournalAwaitingApproval
		e.State, e.Outcome, e.SettledAt, e.ReuseKey, e.Refusal = state, why, now, false, refusal
		if len(txnIDs) > 0 {
			e.FineractTxnIDs = slices.Clone(txnIDs)
		}
		if commandID != 0 {
			e.CommandID = commandID
		}
		if state == JournalFailed {
			e.LastError = why
		}
		if confirm == nil {
			return nil
		}
		// Batch 0 is every CLI or system entry: not one SMS, so alone.
		batch := []JournalEntry{*e}
		if e.Batch != 0 && !checkerDecided {
			var err error
			if batch, err = journalBatch(btx, e.Batch); err != nil {
				return err
			}
		}
		for i := range batch {
			if batch[i].ID == e.ID {
				batch[i] = *e
				batch[i].UpdatedAt = now
			}
		}
		tx := &Tx{btx: btx}
		for _, o := range confirm(*e, batch) {
			if _, err := tx.Enqueue(o); err != nil {
				return fmt.Errorf("queue confirmation: %w", err)
			}
		}
		return nil
	})
}

// RequeueJournal sends a failed entry again (an operator fixed the cause in
// Fineract). It becomes open again and holds back later entries of its account.
func (db *DB) RequeueJournal(id uint64) error {
	return db.journalTransition(id, "requeue journal entry", []JournalState{JournalFailed}, func(btx *bbolt.Tx, e *JournalEntry) error {
		if e.Payment != "" {
			p, found, err := (&Tx{btx: btx}).loadPayment(e.Payment)
			if err != nil {
				return err
			}
			if found && (p.State == PaymentReversalPending || p.State == PaymentReversed) {
				return fmt.Errorf("journal entry %d: payment %s is %s: %w", id, e.Payment, p.State, ErrJournalPaymentReversed)
			}
		}
		e.State, e.NextAttempt, e.SettledAt, e.Outcome, e.Refusal = JournalPending, time.Now(), time.Time{}, "", ""
		e.PostedAmount, e.StillRunning, e.CommandID = 0, 0, 0
		return nil
	})
}

// JournalEntry returns one entry by id.
func (db *DB) JournalEntry(id uint64) (JournalEntry, error) {
	var e JournalEntry
	err := db.bolt.View(func(btx *bbolt.Tx) (err error) {
		e, err = loadJournal(btx, id)
		return err
	})
	return e, err
}

func journalBatch(btx *bbolt.Tx, batch uint64) ([]JournalEntry, error) {
	var out []JournalEntry
	prefix := idKey(batch)
	c := btx.Bucket(bucketJournalBatch).Cursor()
	for k, _ := c.Seek(prefix); k != nil && string(k[:8]) == string(prefix); k, _ = c.Next() {
		e, err := loadJournal(btx, keyID(k[8:]))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// JournalBatch returns every entry journaled from inbox message batch, in id order.
func (db *DB) JournalBatch(batch uint64) ([]JournalEntry, error) {
	var out []JournalEntry
	err := db.bolt.View(func(btx *bbolt.Tx) (err error) {
		out, err = journalBatch(btx, batch)
		return err
	})
	return out, err
}

// DueJournal returns what the poster should work on now, at most limit
// entries (limit <= 0: all): first every "posting" entry (an attempt whose
// outcome is unknown unless the caller has it in flight), then pending
// entries due by now, earliest first. Only the head of each order key is
// ever returned, so a later entry never overtakes an earlier open one of the
// same account. It walks the posting and due indexes only.
func (db *DB) DueJournal(now time.Time, limit int) ([]JournalEntry, error) {
	var out []JournalEntry
	full := func() bool { return limit > 0 && len(out) >= limit }
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		c := btx.Bucket(journalStateBucket(JournalPosting)).Cursor()
		for k, _ := c.First(); k != nil && !full(); k, _ = c.Next() {
			e, err := loadJournal(btx, keyID(k))
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		cutoff := string(timeKey(now))
		c = btx.Bucket(bucketJournalDue).Cursor()
		for k, _ := c.First(); k != nil && !full() && string(k[:8]) <= cutoff; k, _ = c.Next() {
			e, err := loadJournal(btx, keyID(k[8:]))
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// NextJournalWake returns the earliest NextAttempt strictly after `after`
// of any pending head, so the poster can sleep until then.
func (db *DB) NextJournalWake(after time.Time) (time.Time, bool, error) {
	var at time.Time
	var ok bool
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		k, _ := btx.Bucket(bucketJournalDue).Cursor().Seek(timeKey(after.Add(time.Nanosecond)))
		if k != nil {
			at, ok = keyTime(k[:8]), true
		}
		return nil
	})
	return at, ok, err
}

// HurryJournal makes every pending head that is waiting beyond now, and was
// last changed at or after since, due now. The poster calls it when Fineract
// answers again after an outage, so entries that backed off during the
// outage do not wait out their backoff. It returns how many it moved.
func (db *DB) HurryJournal(now, since time.Time) (int, error) {
	n := 0
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		n = 0
		due := btx.Bucket(bucketJournalDue)
		var keys [][]byte
		c := due.Cursor()
		for k, _ := c.Seek(timeKey(now.Add(time.Nanosecond))); k != nil; k, _ = c.Next() {
			keys = append(keys, append([]byte(nil), k...))
		}
		for _, k := range keys {
			old, err := loadJournal(btx, keyID(k[8:]))
			if err != nil {
				return err
			}
			if old.UpdatedAt.Before(since) {
				continue
			}
			e := old
			e.NextAttempt, e.UpdatedAt = now, time.Now()
			if err := due.Delete(k); err != nil {
				return err
			}
			if err := saveJournal(btx, &old, &e); err != nil {
				return err
			}
			if err := due.Put(timeIDKey(e.NextAttempt, e.ID), nil); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("hurry journal entries delayed by an outage: %w", err)
	}
	return n, nil
}

// ListJournal returns up to limit entries in state ("" = all), newest first;
// limit <= 0 means all.
func (db *DB) ListJournal(state JournalState, limit int) ([]JournalEntry, error) {
	name := bucketJournal
	if state != "" {
		if !slices.Contains(journalStates, state) {
			return nil, fmt.Errorf("unknown journal state %q", state)
		}
		name = journalStateBucket(state)
	}
	var out []JournalEntry
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		c := btx.Bucket(name).Cursor()
		for k, _ := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Prev() {
			e, err := loadJournal(btx, keyID(k))
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// JournalStats counts journal entries per state.
type JournalStats struct {
	Pending, Posting, Done, AwaitingApproval, Failed int
}

func journalStats(btx *bbolt.Tx) JournalStats {
	count := func(s JournalState) int { return btx.Bucket(journalStateBucket(s)).Stats().KeyN }
	return JournalStats{
		Pending:          count(JournalPending),
		Posting:          count(JournalPosting),
		Done:             count(JournalDone),
		AwaitingApproval: count(JournalAwaitingApproval),
		Failed:           count(JournalFailed),
	}
}

// JournalStats counts entries per state from the state indexes.
func (db *DB) JournalStats() (JournalStats, error) {
	var s JournalStats
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		s = journalStats(btx)
		return nil
	})
	return s, err
}

// PruneJournal deletes done entries settled before `before` and returns how
// many. Only the done-at index is walked: pending, posting, awaiting and
// failed entries are never touched.
func (db *DB) PruneJournal(before time.Time) (int, error) {
	total := 0
	for {
		n := 0
		err := db.bolt.Update(func(btx *bbolt.Tx) error {
			index := btx.Bucket(bucketJournalDoneAt)
			keys := keysBefore(index, before, pruneBatch)
			n = len(keys)
			for _, k := range keys {
				e, err := loadJournal(btx, keyID(k[8:]))
				if err != nil || e.State != JournalDone {
					// A stale index entry; the record itself is not ours to delete.
					if err := index.Delete(k); err != nil {
						return err
					}
					continue
				}
				for _, del := range []struct {
					bucket []byte
					key    []byte
				}{
					{journalStateBucket(e.State), idKey(e.ID)},
					{bucketJournalDoneAt, k},
					{bucketJournalBatch, append(idKey(e.Batch), idKey(e.ID)...)},
					{bucketJournal, idKey(e.ID)},
				} {
					if err := btx.Bucket(del.bucket).Delete(del.key); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("prune journal: %w", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// SupersedeJournal replaces an unresolved entry by its resolved form in one
// transaction: the old entry settles as done (SupersededBy set, so no
// confirmation counts it) and the new one is appended to the same batch
// with the same external id and receipt, so a repost stays detectable.
func (db *DB) SupersedeJournal(id uint64, resolved JournalEntry) (uint64, error) {
	var newID uint64
	err := db.journalTransition(id, "resolve journal entry", []JournalState{JournalPending, JournalPosting}, func(btx *bbolt.Tx, e *JournalEntry) error {
		if e.Kind != JournalUnresolved {
			return fmt.Errorf("entry %d is a %s, not an unresolved payment: %w", id, e.Kind, ErrJournalState)
		}
		if resolved.Kind == JournalUnresolved {
			return fmt.Errorf("entry %d: the replacement is still unresolved", id)
		}
		resolved.Batch, resolved.ExternalID, resolved.Receipt = e.Batch, e.ExternalID, e.Receipt
		var err error
		if newID, err = (&Tx{btx: btx}).AppendJournal(resolved); err != nil {
			return err
		}
		now := time.Now()
		e.State, e.SettledAt, e.SupersededBy = JournalDone, now, newID
		e.Outcome = fmt.Sprintf("resolved as journal entry %d", newID)
		return nil
	})
	return newID, err
}

// SetJournalBalanceAfter records the account balance after an entry posted
// (read from Fineract outside any transaction) for the client's
// confirmation: before it settles as done, from posting or, once a checker
// approved it, from awaiting_approval.
func (db *DB) SetJournalBalanceAfter(id uint64, balance string) error {
	from := []JournalState{JournalPending, JournalPosting, JournalAwaitingApproval}
	return db.journalTransition(id, "record balance after posting", from, func(_ *bbolt.Tx, e *JournalEntry) error {
		e.BalanceAfter = balance
		return nil
	})
}

// SetJournalPostedAmount records the amount Fineract posted for an entry
// (read back before it settles) when it differs from the one journaled, so
// the confirmations tell what Fineract holds.
func (db *DB) SetJournalPostedAmount(id uint64, amount int64) error {
	return db.journalTransition(id, "record the amount posted", []JournalState{JournalPending, JournalPosting}, func(_ *bbolt.Tx, e *JournalEntry) error {
		if amount <= 0 {
			return fmt.Errorf("posted amount %d is not positive", amount)
		}
		e.PostedAmount = amount
		return nil
	})
}

// UnresolvedOpen reports whether payments recorded while Fineract was
// unreachable still wait to be resolved: new payments queue behind them so
// that each account's postings keep the order they were received in.
func (db *DB) UnresolvedOpen() (bool, error) {
	open := false
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		open = headID(btx, JournalEntry{Kind: JournalUnresolved}.OrderKey()) != 0
		return nil
	})
	return open, err
}
