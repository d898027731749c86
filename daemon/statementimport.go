package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/payments"
	"github.com/mifos-edge/mifos-edge/reconcile"
	"github.com/mifos-edge/mifos-edge/store"
)

// The statement import (mifos-edge import mpesa-statement) reads the file
// itself and hands the daemon its payments a batch at a time, so one
// control call stays short and the daemon never holds a whole statement;
// the reconciliation asks which receipts the box holds inside the
// statement's period, a page at a time. The same functions run on the
// store when no daemon runs.
const (
	// OpPaymentImport records a batch of payments (ImportArgs).
	OpPaymentImport = "payments.import"
	// OpPaymentKnown says which transaction ids are known (KnownArgs), for --dry-run.
	OpPaymentKnown = "payments.known"
	// OpPaymentReceipts pages through the receipts inside a period (ReceiptsArgs).
	OpPaymentReceipts = "payments.receipts"
)

// MaxImportBatch bounds one import or lookup call: a batch of statement
// rows is well under the control socket's 1 MiB request limit.
const MaxImportBatch = 500

// ImportArgs is the "payments.import" argument.
type ImportArgs struct {
	Payments []mobilemoney.Payment `json:"payments"`
}

// KnownArgs is the "payments.known" argument.
type KnownArgs = reconcile.KnownArgs

// Import outcomes of one payment.
const (
	ImportNew     = reconcile.New     // recorded now
	ImportKnown   = reconcile.Known   // the box had it already: nothing changes
	ImportRefused = reconcile.Refused // not a payment the box takes; Reason says why
)

// ImportResult is what became of one payment of a batch (or, for
// payments.known, what would).
type ImportResult = reconcile.Result

// ImportPayments records a batch of statement payments through the
// payments core and says, per payment in order, what became of it. Only a
// store failure is an error.
func ImportPayments(ctx context.Context, core *payments.Core, batch []mobilemoney.Payment) ([]ImportResult, error) {
	if len(batch) > MaxImportBatch {
		return nil, fmt.Errorf("at most %d payments per call, not %d", MaxImportBatch, len(batch))
	}
	for i := range batch {
		// What comes this way is read from an operator's statement,
		// whatever the caller wrote: an SMS is only ever taken from the modem.
		batch[i].Source = "statement"
	}
	res := core.RecordBatch(ctx, batch)
	out := make([]ImportResult, len(res))
	for i, r := range res {
		out[i].TxnID = strings.ToUpper(strings.TrimSpace(batch[i].TxnID))
		var invalid *payments.InvalidError
		switch {
		case errors.As(r.Err, &invalid):
			out[i].Outcome, out[i].Reason = ImportRefused, invalid.Error()
			continue
		case r.Err != nil:
			return nil, r.Err
		case r.Added:
			out[i].Outcome = ImportNew
		default:
			out[i].Outcome = ImportKnown
		}
		p := r.Payment
		out[i].State, out[i].Matched, out[i].Source, out[i].Reason = p.State, p.Matched, p.Source, p.Reason
	}
	return out, nil
}

// KnownPayments looks the transaction ids of operator up without changing
// anything: known ones with their state, the others as they would be (new).
func KnownPayments(db *store.DB, a KnownArgs) ([]ImportResult, error) {
	if len(a.TxnIDs) > MaxImportBatch {
		return nil, fmt.Errorf("at most %d transaction ids per call, not %d", MaxImportBatch, len(a.TxnIDs))
	}
	out := make([]ImportResult, len(a.TxnIDs))
	err := db.View(func(tx *store.Tx) error {
		for i, id := range a.TxnIDs {
			id = strings.ToUpper(strings.TrimSpace(id))
			out[i] = ImportResult{TxnID: id, Outcome: ImportNew}
			p, err := tx.Payment(a.Operator, id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out[i] = ImportResult{TxnID: id, Outcome: ImportKnown, State: p.State, Matched: p.Matched, Source: p.Source, Reason: p.Reason}
		}
		return nil
	})
	return out, err
}

// ReceiptsArgs is the "payments.receipts" argument (reconcile.ReceiptsArgs).
type ReceiptsArgs = reconcile.ReceiptsArgs

// Receipt is a payment as the reconciliation lists it.
type Receipt = reconcile.Receipt

// ReceiptsPage is one page of receipts.
type ReceiptsPage = reconcile.ReceiptsPage

// receiptsPage is how many payments one call examines by default.
const receiptsPage = 1000

// receivedSlack: a payment the box received more than this before the
// period began cannot have happened inside it (an SMS is received after
// it is sent); the slack covers a box clock set wrong by a day or so.
// The scan, newest first, stops there instead of reading every payment.
const receivedSlack = 48 * time.Hour

// PaymentReceipts pages through the payments that arrived other than by a
// statement (an SMS, an integrator) with an operator's time inside the
// period. Forgeries from phone numbers (ignored already) and reversal
// notices are not listed: they were never taken as payments.
func PaymentReceipts(db *store.DB, a ReceiptsArgs) (ReceiptsPage, error) {
	if a.From.IsZero() || a.To.Before(a.From) {
		return ReceiptsPage{}, errors.New("a period needs its start and an end not before it")
	}
	limit := a.Limit
	if limit <= 0 || limit > receiptsPage {
		limit = receiptsPage
	}
	seq := a.Before
	if seq == 0 {
		top, err := lastPaymentSeq(db)
		if err != nil {
			return ReceiptsPage{}, err
		}
		seq = top + 1
	}
	var page ReceiptsPage
	err := db.View(func(tx *store.Tx) error {
		for n := 0; seq > 1 && n < limit; n++ {
			seq--
			p, err := tx.PaymentBySeq(seq)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if p.ReceivedAt.Before(a.From.Add(-receivedSlack)) {
				seq = 1 // older than the period: nothing further back is in it
				break
			}
			if p.Operator != a.Operator || p.Source == "statement" || p.Kind != string(mobilemoney.KindPayment) ||
				p.State == store.PaymentIgnored || p.Time.IsZero() || p.Time.Before(a.From) || p.Time.After(a.To) {
				continue
			}
			page.Receipts = append(page.Receipts, Receipt{Seq: p.Seq, TxnID: p.TxnID, Amount: p.Amount, Currency: p.Currency,
				Time: p.Time, State: p.State, Source: p.Source, Account: p.AccountNo})
		}
		return nil
	})
	if seq > 1 {
		page.Next = seq
	}
	return page, err
}

// lastPaymentSeq is the newest payment's arrival number. Payments are
// never deleted and their numbers come from the store's sequence, so the
// count of payments is the last number; the probe past it covers a store
// whose counts began after its first payments.
func lastPaymentSeq(db *store.DB) (uint64, error) {
	counts, err := db.PaymentCounts()
	if err != nil {
		return 0, err
	}
	var top uint64
	for _, n := range counts {
		top += uint64(n)
	}
	err = db.View(func(tx *store.Tx) error {
		for {
			_, err := tx.PaymentBySeq(top + 1)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			top++
		}
	})
	return top, err
}

// registerImportOps adds the statement import's operations.
func (d *Daemon) registerImportOps(s *control.Server) {
	s.Handle(OpPaymentImport, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a ImportArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "payments", len(a.Payments))
		if d.payments == nil {
			return nil, ErrPaymentsOff
		}
		return ImportPayments(ctx, d.payments, a.Payments)
	})
	s.HandleReadOnly(OpPaymentKnown, func(_ context.Context, raw json.RawMessage) (any, error) {
		var a KnownArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		return KnownPayments(d.db, a)
	})
	s.HandleReadOnly(OpPaymentReceipts, func(_ context.Context, raw json.RawMessage) (any, error) {
		var a ReceiptsArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		return PaymentReceipts(d.db, a)
	})
}

// StoreImport is reconcile's backend in the process that holds the
// store: the daemon itself (the console's upload), or the command line
// when no daemon runs. Core is nil for a dry run, which records nothing.
type StoreImport struct {
	DB   *store.DB
	Core *payments.Core
}

// Record implements reconcile.Backend.
func (s StoreImport) Record(ctx context.Context, batch []mobilemoney.Payment) ([]ImportResult, error) {
	if s.Core == nil {
		return nil, ErrPaymentsOff
	}
	return ImportPayments(ctx, s.Core, batch)
}

// Known implements reconcile.Backend.
func (s StoreImport) Known(_ context.Context, a KnownArgs) ([]ImportResult, error) {
	return KnownPayments(s.DB, a)
}

// Receipts implements reconcile.Backend.
func (s StoreImport) Receipts(_ context.Context, a ReceiptsArgs) (ReceiptsPage, error) {
	return PaymentReceipts(s.DB, a)
}

var _ reconcile.Backend = StoreImport{}
