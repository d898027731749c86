// Package reconcile imports an operator's statement and reconciles it
// with what the box recorded: every client payment on it that the box
// does not know is recorded (and posted, or put in suspense, like an SMS
// payment), and the receipts the box holds inside the statement's period
// that the statement lacks are listed (possible forgeries). The command
// line (`mifos-edge import mpesa-statement`) and the console's upload both
// run it; where the payments go (the running daemon, or the store) is the
// caller's Backend.
package reconcile

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/mobilemoney/mpesastatement"
	"github.com/mifos-edge/mifos-edge/store"
)

// Operator is the operator of the rows mpesastatement reads.
const Operator = "mpesa-ke"

// Batch is how many rows go to the backend per call: short calls, and the
// daemon never holds more than this of a statement.
const Batch = 200

// Import outcomes of one payment.
const (
	New     = "new"     // recorded now
	Known   = "known"   // the box had it already (SMS, API, an earlier import): nothing changes
	Refused = "refused" // not a payment the box takes; Reason says why
)

// Result is what became of one payment of a batch (or, for a dry run,
// what would).
type Result struct {
	TxnID   string             `json:"txn_id"`
	Outcome string             `json:"outcome"`
	State   store.PaymentState `json:"state,omitempty"`
	// Matched: the matching decided (journaled to post, or suspense);
	// false for a new payment that waits for Fineract to answer.
	Matched bool   `json:"matched,omitempty"`
	Source  string `json:"source,omitempty"` // the first arrival's, for a known one
	Reason  string `json:"reason,omitempty"`
}

// KnownArgs asks which transaction ids of Operator the box knows.
type KnownArgs struct {
	Operator string   `json:"operator"`
	TxnIDs   []string `json:"txn_ids"`
}

// ReceiptsArgs asks for the payments of Operator that did not come from a
// statement, whose operator's time is inside [From, To], newest first,
// from arrival number Before down (0: from the newest), examining at most
// Limit payments per call.
type ReceiptsArgs struct {
	Operator string    `json:"operator"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Before   uint64    `json:"before,omitempty"`
	Limit    int       `json:"limit,omitempty"`
}

// Receipt is a payment as the reconciliation lists it.
type Receipt struct {
	Seq      uint64             `json:"seq"`
	TxnID    string             `json:"txn_id"`
	Amount   int64              `json:"amount"`
	Currency string             `json:"currency"`
	Time     time.Time          `json:"time"`
	State    store.PaymentState `json:"state"`
	Source   string             `json:"source"`
	Account  string             `json:"account_no,omitempty"`
}

// ReceiptsPage is one page of receipts; Next is the Before of the next
// page, 0 when there is none.
type ReceiptsPage struct {
	Receipts []Receipt `json:"receipts"`
	Next     uint64    `json:"next,omitempty"`
}

// Backend is where the rows go: the running daemon or the store.
type Backend interface {
	// Record records a batch of payments; one Result per payment, in order.
	Record(ctx context.Context, batch []mobilemoney.Payment) ([]Result, error)
	// Known says, changing nothing, what Record would find (a dry run).
	Known(ctx context.Context, a KnownArgs) ([]Result, error)
	// Receipts pages through the receipts inside a period.
	Receipts(ctx context.Context, a ReceiptsArgs) (ReceiptsPage, error)
}

// Options are an import's choices.
type Options struct {
	File   string // the statement's name, for the report
	DryRun bool   // record nothing; say what an import would do
	List   int    // at most this many rows listed per section (counts are whole)
}

// Statement reads the statement rd once, a batch of payments at a time,
// and reconciles it. The report is returned whatever happens (with what
// was done before a failure); the error is why the import stopped: the
// file stopped being readable, or the backend failed. What it keeps for
// the whole file is the set of receipt numbers on it (under 100 bytes
// each: 10,000 rows, under a megabyte) plus what the report lists
// (capped).
func Statement(ctx context.Context, rd *mpesastatement.Reader, b Backend, o Options) (*Report, error) {
	s := &statementImport{rd: rd, b: b, dryRun: o.DryRun, rep: newReport(o), onStatement: map[string]string{}}
	return s.rep, s.run(ctx)
}

type statementImport struct {
	rd     *mpesastatement.Reader
	b      Backend
	dryRun bool
	rep    *Report
	// onStatement: receipt → "" for a payment row, else the status of a
	// row that moved no money (Failed, Cancelled…).
	onStatement map[string]string
	batch       []mpesastatement.Row
}

func (s *statementImport) run(ctx context.Context) error {
	for {
		row, err := s.rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.rep.ReadErr = err.Error()
			return err // the file stopped being readable: what was read is reported
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.rep.Rows++
		switch row.Outcome {
		case mpesastatement.Import:
			id := row.Payment.TxnID
			if status, dup := s.onStatement[id]; dup && status == "" {
				s.rep.repeated(row)
				continue
			}
			s.onStatement[id] = ""
			s.batch = append(s.batch, row)
			if len(s.batch) == Batch {
				if err := s.flush(ctx); err != nil {
					return err
				}
			}
		case mpesastatement.Skip:
			s.rep.skip(row)
			if row.Skip == mpesastatement.SkipNotCompleted && row.Payment.TxnID != "" {
				if _, ok := s.onStatement[row.Payment.TxnID]; !ok {
					s.onStatement[row.Payment.TxnID] = row.Status
				}
			}
		case mpesastatement.Broken:
			s.rep.broke(row)
		}
	}
	if err := s.flush(ctx); err != nil {
		return err
	}
	return s.reconcile(ctx)
}

func (s *statementImport) flush(ctx context.Context) error {
	if len(s.batch) == 0 {
		return nil
	}
	var res []Result
	var err error
	if s.dryRun {
		ids := make([]string, len(s.batch))
		for i, r := range s.batch {
			ids[i] = r.Payment.TxnID
		}
		res, err = s.b.Known(ctx, KnownArgs{Operator: Operator, TxnIDs: ids})
	} else {
		ps := make([]mobilemoney.Payment, len(s.batch))
		for i, r := range s.batch {
			ps[i] = r.Payment
		}
		res, err = s.b.Record(ctx, ps)
	}
	if err == nil && len(res) != len(s.batch) {
		err = fmt.Errorf("%d answers for %d payments", len(res), len(s.batch))
	}
	if err != nil {
		return fmt.Errorf("rows %d to %d: %w", s.batch[0].Line, s.batch[len(s.batch)-1].Line, err)
	}
	for i, r := range res {
		s.rep.result(s.batch[i], r)
	}
	s.batch = s.batch[:0]
	return nil
}

// reconcile lists the receipts the box holds inside the statement's
// period that the statement does not have as a completed payment.
func (s *statementImport) reconcile(ctx context.Context) error {
	p := s.rd.Period()
	span := p.Span()
	s.rep.Period, s.rep.Declared = span, !p.Declared.IsZero()
	if span.IsZero() {
		return nil
	}
	a := ReceiptsArgs{Operator: Operator, From: span.From, To: span.To}
	for {
		page, err := s.b.Receipts(ctx, a)
		if err != nil {
			return fmt.Errorf("listing the receipts inside the statement's period: %w", err)
		}
		for _, r := range page.Receipts {
			status, on := s.onStatement[r.TxnID]
			if on && status == "" {
				continue
			}
			s.rep.unlisted(r, status)
		}
		if page.Next == 0 {
			s.rep.Reconciled = true
			return nil
		}
		a.Before = page.Next
	}
}
