package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// Mobile disbursement: batches of approved loans paid out to clients'
// mobile wallets (docs/disbursement.md). A batch is built by a loan
// officer, approved by a second person when its total is above the
// officer's limit, then sent; each of its lines is paid at most once:
//
//	pending -> sent -> successful | failed
//	sent -> unknown -> successful | failed   (status query or a person)
//	sent -> pending only while the provider surely never got it (Submitted false)
//
// A line goes to sent, durably, before any request leaves the box; a line
// found sent without the provider's acknowledgement after a crash becomes
// unknown, never pending. A successful line journals the loan's
// disbursement in Fineract in the same transaction. A loan is on at most
// one line that has not failed; a failed line the operator later says it
// paid bars its loan from new batches.

// BatchState is a disbursement batch's life-cycle state.
type BatchState string

const (
	// BatchAwaitingApproval: the total is above the builder's limit; a
	// second person with the approver role must approve it.
	BatchAwaitingApproval BatchState = "awaiting_approval"
	// BatchReady: within the builder's limit; it may be sent.
	BatchReady BatchState = "ready"
	// BatchApproved: approved by a second person; it may be sent.
	BatchApproved BatchState = "approved"
	// BatchSending: sending was asked for; lines are being paid.
	BatchSending BatchState = "sending"
	// BatchDone: every line settled, and the officer was told.
	BatchDone BatchState = "done"
	// BatchCancelled: cancelled before it was sent; nothing paid.
	BatchCancelled BatchState = "cancelled"
)

// DisburseBatchBase is added to a line's id to make the Batch of its
// journal entry: apart from inbox message ids and payments.
const DisburseBatchBase = uint64(1) << 61

// LineState is one line's state (see the diagram above).
type LineState string

const (
	LinePending    LineState = "pending"
	LineSent       LineState = "sent"
	LineSuccessful LineState = "successful"
	LineFailed     LineState = "failed"
	LineUnknown    LineState = "unknown"
)

// LineStates are every line state, in life-cycle order.
var LineStates = []LineState{LinePending, LineSent, LineSuccessful, LineFailed, LineUnknown}

// Settled reports whether the line's outcome is final.
func (s LineState) Settled() bool { return s == LineSuccessful || s == LineFailed }

// Errors of the disbursement records.
var (
	ErrBatchState = errors.New("the batch is not in a state that allows this")
	// ErrBatchApprovedAlready refuses to change a batch once approved:
	// the approval covers exactly what was approved.
	ErrBatchApprovedAlready = errors.New("the batch was approved; an approval covers exactly what was approved, so it cannot be changed (cancel it and build a new one)")
	ErrSelfApproval         = errors.New("nobody approves a batch of their own")
	ErrLineState            = errors.New("the line is not in a state that allows this")
	// ErrLoanInBatch: the loan is already on a line that is not failed.
	ErrLoanInBatch = errors.New("the loan is already on another disbursement line")
	// ErrBatchChanged: the lines differ from what was approved.
	ErrBatchChanged = errors.New("the batch's lines differ from what was approved; it is not sent")
)

// DisburseBatch is one batch.
type DisburseBatch struct {
	ID      uint64 `json:"id"`
	StaffID int64  `json:"staff_id"` // the loan officer whose loans these are
	// StaffName is the officer's name in Fineract.
	StaffName string `json:"staff_name,omitempty"`
	// CreatedBy is who built it in words ("staff 14 Grace Wanjiru (cli, uid 0)"),
	// CreatedByUser the Mifos user name when the console knows it.
	CreatedBy     string `json:"created_by"`
	CreatedByUser string `json:"created_by_user,omitempty"`
	// OfficerPhone gets the batch's summary; "" when none is known.
	OfficerPhone string     `json:"officer_phone,omitempty"`
	State        BatchState `json:"state"`
	Currency     string     `json:"currency"`
	Decimals     int        `json:"decimals"`
	Total        int64      `json:"total"` // millionths
	// Limit is the builder's limit when it was checked (millionths).
	Limit         int64  `json:"limit"`
	NeedsApproval bool   `json:"needs_approval"`
	Digest        string `json:"digest"` // of the lines, see LinesDigest
	// ApprovedDigest is the Digest the approver saw and approved.
	ApprovedDigest string    `json:"approved_digest,omitempty"`
	ApprovedBy     string    `json:"approved_by,omitempty"`
	ApprovedAt     time.Time `json:"approved_at,omitzero"`
	SentBy         string    `json:"sent_by,omitempty"`
	SentAt         time.Time `json:"sent_at,omitzero"`
	CancelledBy    string    `json:"cancelled_by,omitempty"`
	Lines          []uint64  `json:"lines"`
	// Told records notices already sent to the officer (one per kind).
	Told      []string  `json:"told,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	DoneAt    time.Time `json:"done_at,omitzero"`
}

// WasTold reports whether the officer got notice kind already.
func (b DisburseBatch) WasTold(kind string) bool {
	for _, k := range b.Told {
		if k == kind {
			return true
		}
	}
	return false
}

// DisburseLine is one client's loan in a batch.
type DisburseLine struct {
	ID         uint64    `json:"id"`
	Batch      uint64    `json:"batch"`
	LoanID     int64     `json:"loan_id"`
	AccountNo  string    `json:"account_no"`
	ClientID   int64     `json:"client_id"`
	ClientName string    `json:"client_name"`
	Phone      string    `json:"phone"`  // international form, from Fineract
	Amount     int64     `json:"amount"` // millionths
	Approved   int64     `json:"approved"`
	Currency   string    `json:"currency"`
	Decimals   int       `json:"decimals"`
	State      LineState `json:"state"`
	// Ref is the line's id towards the operator (unique, fixed at creation).
	Ref string `json:"ref"`
	// Submitted: the provider acknowledged the request (or the command SMS
	// was queued); false while the request may still be on its way.
	Submitted   bool      `json:"submitted,omitempty"`
	ProviderRef string    `json:"provider_ref,omitempty"`
	OutboxID    uint64    `json:"outbox_id,omitempty"` // the command SMS (sms-command)
	SentAt      time.Time `json:"sent_at,omitzero"`
	// Confirmation is the operator's confirmation number (successful).
	Confirmation string    `json:"confirmation,omitempty"`
	CompletedAt  time.Time `json:"completed_at,omitzero"` // the operator's time
	Reason       string    `json:"reason,omitempty"`
	Code         string    `json:"code,omitempty"` // the operator's result code
	// SettledBy says who decided the outcome: "callback", "status query",
	// "reply SMS", or a person's name (resolve).
	SettledBy string    `json:"settled_by,omitempty"`
	SettledAt time.Time `json:"settled_at,omitzero"`
	// Conflict is a later word from the operator that disagrees with the
	// settled outcome; a person must look.
	Conflict string `json:"conflict,omitempty"`
	// Tries counts provider-down attempts; Queries status queries.
	Tries     int       `json:"tries,omitempty"`
	Queries   int       `json:"queries,omitempty"`
	NextTry   time.Time `json:"next_try,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	// Journal is the loan_disbursement entry; Posted its state, FineractTxnID
	// the disbursement transaction in Fineract.
	Journal       uint64       `json:"journal,omitempty"`
	Posted        JournalState `json:"posted,omitempty"`
	FineractTxnID int64        `json:"fineract_txn_id,omitempty"`
	PostError     string       `json:"post_error,omitempty"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
}

// Finished reports whether nothing more will happen to the line: it
// failed, or it succeeded and its Fineract posting settled.
func (l DisburseLine) Finished() bool {
	return l.State == LineFailed || (l.State == LineSuccessful && l.Posted != "" && !l.Posted.Open())
}

// DisburseAudit is one step in a batch's history.
type DisburseAudit struct {
	Seq   uint64    `json:"seq"`
	At    time.Time `json:"at"`
	Batch uint64    `json:"batch"`
	Line  uint64    `json:"line,omitempty"`
	Who   string    `json:"who"`
	What  string    `json:"what"`
}

// LinesDigest is what an approval covers: every line's loan, client,
// phone and amount, in order.
func LinesDigest(lines []DisburseLine) string {
	h := sha256.New()
	for _, l := range lines {
		fmt.Fprintf(h, "%d|%d|%s|%d|%s\n", l.LoanID, l.ClientID, l.Phone, l.Amount, l.Currency)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Extension buckets of disbursement: batches and lines by id, lines by
// ref, the live line of each loan, lines per state, the audit trail.
const (
	extDisbBatches = "disb_batches"
	extDisbLines   = "disb_lines"
	extDisbRefs    = "disb_refs"
	extDisbLoans   = "disb_loans"
	extDisbAudit   = "disb_audit"
	// extDisbSending: ids of the batches in state sending.
	extDisbSending = "disb_sending"
	// extDisbPaidLater: loans whose failed line the operator later said it
	// paid (loan id -> line id).
	extDisbPaidLater = "disb_paid_later"
)

func extDisbState(s LineState) string { return "disb_state_" + string(s) }

func (tx *Tx) disbBucket(name string) (*bbolt.Bucket, error) {
	b, err := tx.Bucket(name)
	if errors.Is(err, ErrNotFound) {
		return nil, nil // read-only and never written: empty
	}
	return b, err
}

// loadDisb reads record what id from extension bucket name.
func loadDisb[T any](tx *Tx, name, what string, id uint64) (T, error) {
	var v T
	bk, err := tx.disbBucket(name)
	if err != nil {
		return v, err
	}
	if bk == nil {
		return v, fmt.Errorf("%s %d: %w", what, id, ErrNotFound)
	}
	found, err := getJSON(bk, idKey(id), &v)
	if err != nil {
		return v, fmt.Errorf("%s %d: %w", what, id, err)
	}
	if !found {
		return v, fmt.Errorf("%s %d: %w", what, id, ErrNotFound)
	}
	return v, nil
}

func (tx *Tx) loadBatch(id uint64) (DisburseBatch, error) {
	return loadDisb[DisburseBatch](tx, extDisbBatches, "batch", id)
}

func (tx *Tx) loadLine(id uint64) (DisburseLine, error) {
	return loadDisb[DisburseLine](tx, extDisbLines, "line", id)
}

// saveBatch writes b and keeps the index of sending batches in step, so
// the engine finds the batches it works on without reading every batch.
func (tx *Tx) saveBatch(b *DisburseBatch) error {
	bk, err := tx.Bucket(extDisbBatches)
	if err != nil {
		return err
	}
	sending, err := tx.Bucket(extDisbSending)
	if err != nil {
		return err
	}
	if b.State == BatchSending {
		err = sending.Put(idKey(b.ID), nil)
	} else {
		err = sending.Delete(idKey(b.ID))
	}
	if err != nil {
		return err
	}
	b.UpdatedAt = time.Now()
	return putJSON(bk, idKey(b.ID), b)
}

// SendingBatches lists the batches being paid, oldest first.
func (db *DB) SendingBatches() ([]DisburseBatch, error) {
	var out []DisburseBatch
	err := db.View(func(tx *Tx) error {
		sending, err := tx.disbBucket(extDisbSending)
		if err != nil || sending == nil {
			return err
		}
		return sending.ForEach(func(k, _ []byte) error {
			b, err := tx.loadBatch(keyID(k))
			if err != nil {
				return err
			}
			out = append(out, b)
			return nil
		})
	})
	return out, err
}

// saveLine writes l and keeps the state index and the loan index in step
// with old (nil: new line).
func (tx *Tx) saveLine(old, l *DisburseLine) error {
	bk, err := tx.Bucket(extDisbLines)
	if err != nil {
		return err
	}
	l.UpdatedAt = time.Now()
	if old == nil || old.State != l.State {
		if old != nil {
			sb, err := tx.Bucket(extDisbState(old.State))
			if err != nil {
				return err
			}
			if err := sb.Delete(idKey(l.ID)); err != nil {
				return err
			}
		}
		sb, err := tx.Bucket(extDisbState(l.State))
		if err != nil {
			return err
		}
		if err := sb.Put(idKey(l.ID), nil); err != nil {
			return err
		}
	}
	// A failed line frees its loan for a new batch; any other holds it.
	loans, err := tx.Bucket(extDisbLoans)
	if err != nil {
		return err
	}
	key := []byte(strconv.FormatInt(l.LoanID, 10))
	if l.State == LineFailed {
		if v := loans.Get(key); v != nil && keyID(v) == l.ID {
			if err := loans.Delete(key); err != nil {
				return err
			}
		}
	} else if err := loans.Put(key, idKey(l.ID)); err != nil {
		return err
	}
	// A failed line the operator later said it paid (Conflict) bars its
	// loan from new batches for good: the money may have left, so a
	// person must look (and disburse it in Mifos if it was paid).
	if l.State == LineFailed && l.Conflict != "" {
		barred, err := tx.Bucket(extDisbPaidLater)
		if err != nil {
			return err
		}
		if err := barred.Put(key, idKey(l.ID)); err != nil {
			return err
		}
	}
	return putJSON(bk, idKey(l.ID), l)
}

func (tx *Tx) deleteLine(l DisburseLine) error {
	for _, name := range []string{extDisbLines, extDisbState(l.State)} {
		bk, err := tx.Bucket(name)
		if err != nil {
			return err
		}
		if err := bk.Delete(idKey(l.ID)); err != nil {
			return err
		}
	}
	refs, err := tx.Bucket(extDisbRefs)
	if err != nil {
		return err
	}
	if err := refs.Delete([]byte(l.Ref)); err != nil {
		return err
	}
	loans, err := tx.Bucket(extDisbLoans)
	if err != nil {
		return err
	}
	key := []byte(strconv.FormatInt(l.LoanID, 10))
	if v := loans.Get(key); v != nil && keyID(v) == l.ID {
		return loans.Delete(key)
	}
	return nil
}

func (tx *Tx) audit(batch, line uint64, who, what string) error {
	bk, err := tx.Bucket(extDisbAudit)
	if err != nil {
		return err
	}
	seq, err := bk.NextSequence()
	if err != nil {
		return err
	}
	return putJSON(bk, idKey(seq), DisburseAudit{Seq: seq, At: time.Now(), Batch: batch, Line: line, Who: who, What: what})
}

// addLines stores new lines of batch b, refusing a loan that is already on
// a live line; ref makes each line's operator ref from its id.
func (tx *Tx) addLines(b *DisburseBatch, lines []DisburseLine, ref func(id uint64) string) ([]DisburseLine, error) {
	lb, err := tx.Bucket(extDisbLines)
	if err != nil {
		return nil, err
	}
	refs, err := tx.Bucket(extDisbRefs)
	if err != nil {
		return nil, err
	}
	loans, err := tx.Bucket(extDisbLoans)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]DisburseLine, 0, len(lines))
	b.Lines, b.Total = nil, 0
	barred, err := tx.Bucket(extDisbPaidLater)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		key := []byte(strconv.FormatInt(l.LoanID, 10))
		if v := loans.Get(key); v != nil {
			other, err := tx.loadLine(keyID(v))
			if err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("loan %s: %w (batch %d, line %d, %s)", l.AccountNo, ErrLoanInBatch, other.Batch, other.ID, other.State)
		}
		if v := barred.Get(key); v != nil {
			other, err := tx.loadLine(keyID(v))
			if err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("loan %s: %w (batch %d, line %d failed, but then %s; a person must check with the operator)", l.AccountNo, ErrLoanInBatch, other.Batch, other.ID, other.Conflict)
		}
		id, err := lb.NextSequence()
		if err != nil {
			return nil, err
		}
		l.ID, l.Batch, l.State, l.Ref, l.CreatedAt = id, b.ID, LinePending, ref(id), now
		if refs.Get([]byte(l.Ref)) != nil {
			return nil, fmt.Errorf("line ref %q is not unique", l.Ref)
		}
		if err := refs.Put([]byte(l.Ref), idKey(id)); err != nil {
			return nil, err
		}
		if err := tx.saveLine(nil, &l); err != nil {
			return nil, err
		}
		b.Lines = append(b.Lines, id)
		b.Total += l.Amount
		out = append(out, l)
	}
	b.Digest = LinesDigest(out)
	return out, nil
}

// CreateDisburseBatch stores a new batch with its lines, in state ready or
// awaiting_approval as NeedsApproval says. ref gives each line's operator
// ref from its id (unique on this box and across boxes).
func (db *DB) CreateDisburseBatch(b DisburseBatch, lines []DisburseLine, ref func(id uint64) string) (DisburseBatch, []DisburseLine, error) {
	if len(lines) == 0 {
		return b, nil, errors.New("a batch needs at least one line")
	}
	var out []DisburseLine
	err := db.Update(func(tx *Tx) error {
		bk, err := tx.Bucket(extDisbBatches)
		if err != nil {
			return err
		}
		if b.ID, err = bk.NextSequence(); err != nil {
			return err
		}
		b.CreatedAt = time.Now()
		b.State = BatchReady
		if b.NeedsApproval {
			b.State = BatchAwaitingApproval
		}
		if out, err = tx.addLines(&b, lines, ref); err != nil {
			return err
		}
		if err := tx.saveBatch(&b); err != nil {
			return err
		}
		what := fmt.Sprintf("built with %d lines, total %s %s (limit %s)", len(out), formatMillionths(b.Total), b.Currency, formatMillionths(b.Limit))
		if b.NeedsApproval {
			what += "; above the limit: waits for a second person's approval"
		}
		return tx.audit(b.ID, 0, b.CreatedBy, what)
	})
	return b, out, err
}

// EditDisburseBatch replaces the lines of a batch not yet approved or sent
// (ErrBatchApprovedAlready once approved); needsApproval and limit are
// the builder's check of the new total.
func (db *DB) EditDisburseBatch(id uint64, lines []DisburseLine, needsApproval bool, limit int64, who string, ref func(id uint64) string) (DisburseBatch, []DisburseLine, error) {
	if len(lines) == 0 {
		return DisburseBatch{}, nil, errors.New("a batch needs at least one line (cancel it instead)")
	}
	var b DisburseBatch
	var out []DisburseLine
	err := db.Update(func(tx *Tx) error {
		var err error
		if b, err = tx.loadBatch(id); err != nil {
			return err
		}
		switch b.State {
		case BatchApproved:
			return ErrBatchApprovedAlready
		case BatchReady, BatchAwaitingApproval:
		default:
			return fmt.Errorf("batch %d is %s: %w", id, b.State, ErrBatchState)
		}
		for _, lid := range b.Lines {
			l, err := tx.loadLine(lid)
			if err != nil {
				return err
			}
			if err := tx.deleteLine(l); err != nil {
				return err
			}
		}
		if out, err = tx.addLines(&b, lines, ref); err != nil {
			return err
		}
		b.NeedsApproval, b.Limit = needsApproval, limit
		b.State = BatchReady
		if needsApproval {
			b.State = BatchAwaitingApproval
		}
		if err := tx.saveBatch(&b); err != nil {
			return err
		}
		return tx.audit(b.ID, 0, who, fmt.Sprintf("changed to %d lines, total %s %s", len(out), formatMillionths(b.Total), b.Currency))
	})
	return b, out, err
}

// batchTransition changes batch id in one transaction: change checks the
// batch's state and makes its change, and says what it did for the audit
// trail, as who's step.
func (db *DB) batchTransition(id uint64, who string, change func(tx *Tx, b *DisburseBatch) (what string, err error)) (DisburseBatch, error) {
	var b DisburseBatch
	err := db.Update(func(tx *Tx) error {
		var err error
		if b, err = tx.loadBatch(id); err != nil {
			return err
		}
		what, err := change(tx, &b)
		if err != nil {
			return err
		}
		if err := tx.saveBatch(&b); err != nil {
			return err
		}
		return tx.audit(b.ID, 0, who, what)
	})
	return b, err
}

// ApproveDisburseBatch records a second person's approval of exactly the
// lines whose digest they saw. approverStaff is the Fineract staff the
// approver is; neither they nor the builder's user may approve.
func (db *DB) ApproveDisburseBatch(id uint64, approver string, approverStaff int64, digestSeen string) (DisburseBatch, error) {
	return db.batchTransition(id, approver, func(_ *Tx, b *DisburseBatch) (string, error) {
		if b.State != BatchAwaitingApproval {
			return "", fmt.Errorf("batch %d is %s, not waiting for approval: %w", id, b.State, ErrBatchState)
		}
		if approverStaff == b.StaffID || (b.CreatedByUser != "" && strings.EqualFold(approver, b.CreatedByUser)) {
			return "", ErrSelfApproval
		}
		if digestSeen != "" && digestSeen != b.Digest {
			return "", ErrBatchChanged
		}
		b.State, b.ApprovedBy, b.ApprovedAt, b.ApprovedDigest = BatchApproved, approver, time.Now(), b.Digest
		return fmt.Sprintf("approved %d lines, total %s %s", len(b.Lines), formatMillionths(b.Total), b.Currency), nil
	})
}

// SendDisburseBatch starts paying a ready or approved batch.
func (db *DB) SendDisburseBatch(id uint64, who string) (DisburseBatch, error) {
	return db.batchTransition(id, who, func(tx *Tx, b *DisburseBatch) (string, error) {
		switch b.State {
		case BatchAwaitingApproval:
			return "", fmt.Errorf("batch %d waits for approval (its total is above the limit): %w", id, ErrBatchState)
		case BatchReady, BatchApproved:
		default:
			return "", fmt.Errorf("batch %d is %s: %w", id, b.State, ErrBatchState)
		}
		lines, err := tx.batchLines(*b)
		if err != nil {
			return "", err
		}
		// The approval covers exactly what was approved.
		if LinesDigest(lines) != b.Digest || (b.State == BatchApproved && b.ApprovedDigest != b.Digest) {
			return "", ErrBatchChanged
		}
		b.State, b.SentBy, b.SentAt = BatchSending, who, time.Now()
		return "sending asked for", nil
	})
}

// CancelDisburseBatch cancels a batch not yet sent; its lines fail with
// nothing paid.
func (db *DB) CancelDisburseBatch(id uint64, who string) (DisburseBatch, error) {
	return db.batchTransition(id, who, func(tx *Tx, b *DisburseBatch) (string, error) {
		switch b.State {
		case BatchReady, BatchApproved, BatchAwaitingApproval:
		default:
			return "", fmt.Errorf("batch %d is %s; only a batch not yet sent can be cancelled: %w", id, b.State, ErrBatchState)
		}
		for _, lid := range b.Lines {
			old, err := tx.loadLine(lid)
			if err != nil {
				return "", err
			}
			l := old
			l.State, l.Reason, l.SettledBy, l.SettledAt = LineFailed, "batch cancelled before it was sent; nothing paid", who, time.Now()
			if err := tx.saveLine(&old, &l); err != nil {
				return "", err
			}
		}
		b.State, b.CancelledBy, b.DoneAt = BatchCancelled, who, time.Now()
		return "cancelled; nothing paid", nil
	})
}

func (tx *Tx) batchLines(b DisburseBatch) ([]DisburseLine, error) {
	out := make([]DisburseLine, 0, len(b.Lines))
	for _, id := range b.Lines {
		l, err := tx.loadLine(id)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// DisburseBatch is batch id with its lines.
func (db *DB) DisburseBatch(id uint64) (DisburseBatch, []DisburseLine, error) {
	var b DisburseBatch
	var lines []DisburseLine
	err := db.View(func(tx *Tx) error {
		var err error
		if b, err = tx.loadBatch(id); err != nil {
			return err
		}
		lines, err = tx.batchLines(b)
		return err
	})
	return b, lines, err
}

// DisburseBatches lists up to limit batches, newest first (limit <= 0: all).
func (db *DB) DisburseBatches(limit int) ([]DisburseBatch, error) {
	var out []DisburseBatch
	err := db.View(func(tx *Tx) error {
		bk, err := tx.disbBucket(extDisbBatches)
		if err != nil || bk == nil {
			return err
		}
		c := bk.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var b DisburseBatch
			if err := json.Unmarshal(v, &b); err != nil {
				return fmt.Errorf("batch %d: %w", keyID(k), err)
			}
			out = append(out, b)
		}
		return nil
	})
	return out, err
}

// DisburseLine is line id.
func (db *DB) DisburseLine(id uint64) (DisburseLine, error) {
	var l DisburseLine
	err := db.View(func(tx *Tx) error {
		var err error
		l, err = tx.loadLine(id)
		return err
	})
	return l, err
}

// DisburseLineByRef is the line with operator ref ref; ErrNotFound if none.
func (db *DB) DisburseLineByRef(ref string) (DisburseLine, error) {
	var l DisburseLine
	err := db.View(func(tx *Tx) error {
		refs, err := tx.disbBucket(extDisbRefs)
		if err != nil {
			return err
		}
		var v []byte
		if refs != nil {
			v = refs.Get([]byte(ref))
		}
		if v == nil {
			return fmt.Errorf("disbursement ref %q: %w", ref, ErrNotFound)
		}
		l, err = tx.loadLine(keyID(v))
		return err
	})
	return l, err
}

// DisburseLines lists the lines in state s, oldest first.
func (db *DB) DisburseLines(s LineState) ([]DisburseLine, error) {
	var out []DisburseLine
	err := db.View(func(tx *Tx) error {
		sb, err := tx.disbBucket(extDisbState(s))
		if err != nil || sb == nil {
			return err
		}
		return sb.ForEach(func(k, _ []byte) error {
			l, err := tx.loadLine(keyID(k))
			if err != nil {
				return err
			}
			out = append(out, l)
			return nil
		})
	})
	return out, err
}

// DisburseAuditOf is batch id's history, oldest first.
func (db *DB) DisburseAuditOf(batch uint64) ([]DisburseAudit, error) {
	var out []DisburseAudit
	err := db.View(func(tx *Tx) error {
		bk, err := tx.disbBucket(extDisbAudit)
		if err != nil || bk == nil {
			return err
		}
		return bk.ForEach(func(_, v []byte) error {
			var a DisburseAudit
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			if a.Batch == batch {
				out = append(out, a)
			}
			return nil
		})
	})
	return out, err
}

// lineTransition changes line id from one of the states from, in one
// transaction with whatever change does (a journal entry, an SMS).
func (db *DB) lineTransition(id uint64, from []LineState, change func(tx *Tx, l *DisburseLine) error) (DisburseLine, error) {
	var l DisburseLine
	err := db.Update(func(tx *Tx) error {
		old, err := tx.loadLine(id)
		if err != nil {
			return err
		}
		ok := false
		for _, s := range from {
			ok = ok || old.State == s
		}
		if !ok {
			l = old
			return fmt.Errorf("line %d is %s: %w", id, old.State, ErrLineState)
		}
		l = old
		if err := change(tx, &l); err != nil {
			return err
		}
		return tx.saveLine(&old, &l)
	})
	return l, err
}

// MarkLineSending records, before any request leaves the box, that line
// id is being sent; only a pending line of a sending batch may be.
func (db *DB) MarkLineSending(id uint64) (DisburseLine, error) {
	return db.lineTransition(id, []LineState{LinePending}, func(tx *Tx, l *DisburseLine) error {
		b, err := tx.loadBatch(l.Batch)
		if err != nil {
			return err
		}
		if b.State != BatchSending {
			return fmt.Errorf("batch %d is %s: %w", b.ID, b.State, ErrBatchState)
		}
		l.State, l.Submitted, l.SentAt, l.Tries = LineSent, false, time.Now(), l.Tries+1
		return tx.audit(l.Batch, l.ID, "box", "sending to the operator")
	})
}

// MarkLineCommand marks a pending line sent together with queueing its
// command SMS o (at most once, hidden), in one transaction.
func (db *DB) MarkLineCommand(id uint64, o Outbound) (DisburseLine, error) {
	return db.lineTransition(id, []LineState{LinePending}, func(tx *Tx, l *DisburseLine) error {
		b, err := tx.loadBatch(l.Batch)
		if err != nil {
			return err
		}
		if b.State != BatchSending {
			return fmt.Errorf("batch %d is %s: %w", b.ID, b.State, ErrBatchState)
		}
		o.AtMostOnce, o.Hidden, o.DuplicateHarmless = true, true, false
		oid, err := tx.Enqueue(o)
		if err != nil {
			return err
		}
		l.State, l.Submitted, l.OutboxID, l.SentAt, l.Tries = LineSent, true, oid, time.Now(), l.Tries+1
		return tx.audit(l.Batch, l.ID, "box", fmt.Sprintf("command SMS %d queued to the operator", oid))
	})
}

// MarkLineSubmitted records the provider's acknowledgement of a sent line.
func (db *DB) MarkLineSubmitted(id uint64, providerRef string) (DisburseLine, error) {
	return db.lineTransition(id, []LineState{LineSent}, func(tx *Tx, l *DisburseLine) error {
		l.Submitted, l.ProviderRef, l.LastError = true, providerRef, ""
		return tx.audit(l.Batch, l.ID, "box", "accepted by the operator ("+providerRef+")")
	})
}

// ReleaseLine puts back to pending a sent line the provider surely never
// got (why: the provider is down), to try again at next.
func (db *DB) ReleaseLine(id uint64, why string, next time.Time) (DisburseLine, error) {
	return db.lineTransition(id, []LineState{LineSent}, func(tx *Tx, l *DisburseLine) error {
		if l.Submitted {
			return fmt.Errorf("line %d reached the operator: %w", id, ErrLineState)
		}
		l.State, l.LastError, l.NextTry = LinePending, why, next
		return tx.audit(l.Batch, l.ID, "box", "not sent, will try again: "+why)
	})
}

// LineUnknown records that nobody knows whether line id was paid; the
// provider is asked from next on.
func (db *DB) LineUnknown(id uint64, why string, next time.Time) (DisburseLine, error) {
	return db.lineTransition(id, []LineState{LineSent, LineUnknown}, func(tx *Tx, l *DisburseLine) error {
		if l.State == LineUnknown && l.LastError == why {
			l.NextTry = next
			return nil
		}
		l.State, l.LastError, l.NextTry = LineUnknown, why, next
		return tx.audit(l.Batch, l.ID, "box", "outcome unknown: "+why)
	})
}

// NoteLineQuery records a status query that settled nothing.
func (db *DB) NoteLineQuery(id uint64, what string, next time.Time) (DisburseLine, error) {
	return db.lineTransition(id, []LineState{LineUnknown}, func(tx *Tx, l *DisburseLine) error {
		l.Queries++
		l.LastError, l.NextTry = what, next
		return nil
	})
}

// LineOutcome is a final outcome of a line.
type LineOutcome struct {
	State        LineState // successful or failed
	Confirmation string
	CompletedAt  time.Time
	Reason       string
	Code         string
	By           string // "callback", "status query", "reply SMS", a person
	// Disbursement is the journal entry that records a successful line in
	// Fineract (its DisburseLine is set here); required when successful.
	Disbursement *JournalEntry
}

// SettleLine settles line id (from sent, unknown, or pending when the
// provider refused it at once) and journals its disbursement in the same
// transaction. A line settled already is left as it is: the same outcome
// again (a duplicate callback) returns it with dup true; a different one
// is recorded as its Conflict and returns ErrLineState.
func (db *DB) SettleLine(id uint64, o LineOutcome) (l DisburseLine, dup bool, err error) {
	if o.State != LineSuccessful && o.State != LineFailed {
		return l, false, fmt.Errorf("settle line %d as %q: not a final state", id, o.State)
	}
	// A paid line without its disbursement would leave Fineract untold.
	if o.State == LineSuccessful && o.Disbursement == nil {
		return l, false, fmt.Errorf("settle line %d as paid: its disbursement journal entry is missing", id)
	}
	conflict := false
	err = db.Update(func(tx *Tx) error {
		old, err := tx.loadLine(id)
		if err != nil {
			return err
		}
		l = old
		if old.State.Settled() {
			if old.State == o.State && (o.State == LineFailed || old.Confirmation == o.Confirmation) {
				dup = true
				return nil
			}
			l.Conflict = fmt.Sprintf("%s said %s %s%s after the line was settled %s", o.By, o.State, o.Confirmation, o.Reason, old.State)
			if err := tx.saveLine(&old, &l); err != nil {
				return err
			}
			conflict = true
			return tx.audit(l.Batch, l.ID, o.By, "CONFLICT: "+l.Conflict)
		}
		l.State, l.Confirmation, l.CompletedAt, l.Reason, l.Code = o.State, o.Confirmation, o.CompletedAt, o.Reason, o.Code
		l.SettledBy, l.SettledAt, l.LastError, l.NextTry = o.By, time.Now(), "", time.Time{}
		what := "paid, confirmation " + o.Confirmation
		if o.State == LineFailed {
			what = "not paid: " + o.Reason
		}
		if o.State == LineSuccessful {
			e := *o.Disbursement
			e.DisburseLine = l.ID
			jid, err := tx.AppendJournal(e)
			if err != nil {
				return err
			}
			l.Journal, l.Posted = jid, JournalPending
			what += fmt.Sprintf("; disbursement journaled (entry %d)", jid)
		}
		if err := tx.saveLine(&old, &l); err != nil {
			return err
		}
		return tx.audit(l.Batch, l.ID, o.By, what)
	})
	if err == nil && conflict {
		return l, false, fmt.Errorf("line %d was settled %s already: %w", id, l.State, ErrLineState)
	}
	return l, dup, err
}

// RecoverDisburse makes every line left sent without the provider's
// acknowledgement (the box stopped mid-request) unknown: it may have
// been paid, so it is asked about, never sent again. It returns how many.
func (db *DB) RecoverDisburse() (int, error) {
	lines, err := db.DisburseLines(LineSent)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range lines {
		if l.Submitted {
			continue
		}
		if _, err := db.LineUnknown(l.ID, "the box stopped while sending this line; it may have been paid, so the operator is asked", time.Now()); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// TellBatch records that the officer got notice kind, with its SMS
// queued in the same transaction (none when o.To is empty); false when
// the notice was given already.
func (db *DB) TellBatch(id uint64, kind string, o Outbound) (bool, error) {
	told := false
	err := db.Update(func(tx *Tx) error {
		b, err := tx.loadBatch(id)
		if err != nil {
			return err
		}
		if b.WasTold(kind) {
			return nil
		}
		if o.To != "" {
			if _, err := tx.Enqueue(o); err != nil {
				return err
			}
		}
		b.Told = append(b.Told, kind)
		told = true
		if err := tx.saveBatch(&b); err != nil {
			return err
		}
		return tx.audit(id, 0, "box", "officer told: "+kind)
	})
	return told, err
}

// FinishBatch marks a sending batch whose lines are all finished done,
// queueing the officer's summary o in the same transaction.
func (db *DB) FinishBatch(id uint64, o Outbound) error {
	return db.Update(func(tx *Tx) error {
		b, err := tx.loadBatch(id)
		if err != nil {
			return err
		}
		if b.State != BatchSending {
			return fmt.Errorf("batch %d is %s: %w", id, b.State, ErrBatchState)
		}
		lines, err := tx.batchLines(b)
		if err != nil {
			return err
		}
		for _, l := range lines {
			if !l.Finished() {
				return fmt.Errorf("batch %d line %d is %s: %w", id, l.ID, l.State, ErrBatchState)
			}
		}
		if o.To != "" {
			if _, err := tx.Enqueue(o); err != nil {
				return err
			}
		}
		b.State, b.DoneAt = BatchDone, time.Now()
		if err := tx.saveBatch(&b); err != nil {
			return err
		}
		return tx.audit(id, 0, "box", "every line settled; summary sent to the officer")
	})
}

// disburseJournal brings the line of a loan_disbursement entry up to date
// when the entry's state changes (posted, refused).
func disburseJournal(btx *bbolt.Tx, old, e *JournalEntry) error {
	if e.DisburseLine == 0 || old == nil || old.State == e.State {
		return nil
	}
	tx := &Tx{btx: btx}
	before, err := tx.loadLine(e.DisburseLine)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	l := before
	l.Posted = e.State
	if len(e.FineractTxnIDs) > 0 {
		l.FineractTxnID = e.FineractTxnIDs[0]
	}
	l.PostError = ""
	if e.State == JournalFailed {
		l.PostError = e.Refusal
		if l.PostError == "" {
			l.PostError = e.Outcome
		}
	}
	if err := tx.saveLine(&before, &l); err != nil {
		return err
	}
	if e.State == JournalDone || e.State == JournalFailed {
		what := fmt.Sprintf("disbursed in Mifos (transaction %d)", l.FineractTxnID)
		if e.State == JournalFailed {
			what = "Mifos refused the disbursement: " + l.PostError
		}
		return tx.audit(l.Batch, l.ID, "box", what)
	}
	return nil
}

// DeferLine keeps a pending line waiting until next (Mifos could not be
// asked before paying it).
func (db *DB) DeferLine(id uint64, why string, next time.Time) (DisburseLine, error) {
	return db.lineTransition(id, []LineState{LinePending}, func(tx *Tx, l *DisburseLine) error {
		l.LastError, l.NextTry = why, next
		return nil
	})
}

// DisburseLineCounts is how many lines are in each state (for /metrics):
// the state indexes' key counts, without reading a line.
func (db *DB) DisburseLineCounts() (map[LineState]int, error) {
	out := make(map[LineState]int, len(LineStates))
	err := db.View(func(tx *Tx) error {
		for _, s := range LineStates {
			b, err := tx.disbBucket(extDisbState(s))
			if err != nil {
				return err
			}
			if b != nil {
				out[s] = b.Stats().KeyN
			}
		}
		return nil
	})
	return out, err
}

// LoanBatches is, for each loan on a line that has not failed, the batch
// of that line: the loans a new batch cannot take.
func (db *DB) LoanBatches() (map[int64]uint64, error) {
	out := map[int64]uint64{}
	err := db.View(func(tx *Tx) error {
		loans, err := tx.disbBucket(extDisbLoans)
		if err != nil || loans == nil {
			return err
		}
		return loans.ForEach(func(k, v []byte) error {
			loan, err := strconv.ParseInt(string(k), 10, 64)
			if err != nil {
				return fmt.Errorf("loan index key %q: %w", k, err)
			}
			l, err := tx.loadLine(keyID(v))
			if err != nil {
				return err
			}
			out[loan] = l.Batch
			return nil
		})
	})
	return out, err
}
