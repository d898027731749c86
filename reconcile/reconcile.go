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
	"errors"
	"fmt"
	"io"
	"strings"
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

// ErrNotStatement wraps why f is not a statement the reader takes (its
// header): nothing was read or recorded, and there is no report.
var ErrNotStatement = errors.New("not an M-PESA statement")

// Statement reads the statement f twice, from its start: once for its reversal rows
// (a reversal may follow the payment it reverses, and that payment must
// never be posted), then a batch of payments at a time, and reconciles
// it. The report is returned whatever happens once the header was read
// (with what was done before a failure); the error is why the import
// stopped: the file stopped being readable, or the backend failed. What
// it keeps for the whole file is the set of receipt numbers on it (under
// 100 bytes each: 10,000 rows, under a megabyte) plus what the report
// lists (capped).
func Statement(ctx context.Context, f io.ReadSeeker, b Backend, o Options) (*Report, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	revs, err := reversals(f)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	rd, err := mpesastatement.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotStatement, err)
	}
	s := &statementImport{rd: rd, b: b, dryRun: o.DryRun, rep: newReport(o), onStatement: map[string]string{},
		revs: revs, reversedBy: map[string]int{}}
	for i, r := range revs {
		if _, dup := s.reversedBy[r.Of]; !dup {
			s.reversedBy[r.Of] = i
		}
	}
	return s.rep, s.run(ctx)
}

// reversal is a statement row that reverses the payment Of.
type reversal struct {
	By, Of string
	Line   int
}

// reversals is the first pass: the reversal rows that name the
// transaction they reverse. A row that cannot be read is left to the
// second pass, which reports it.
func reversals(f io.Reader) ([]reversal, error) {
	rd, err := mpesastatement.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotStatement, err)
	}
	var out []reversal
	for {
		row, err := rd.Next()
		if err != nil {
			return out, nil // io.EOF, or a fault the second pass reports where it is
		}
		of := strings.ToUpper(strings.TrimSpace(row.Linked))
		if row.Outcome == mpesastatement.Skip && row.Skip == mpesastatement.SkipReversal && of != "" && row.Payment.TxnID != "" {
			out = append(out, reversal{By: row.Payment.TxnID, Of: of, Line: row.Line})
		}
	}
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
	// revs: the statement's reversals, in order; reversedBy: the
	// transaction each reverses → its first reversal's index.
	revs       []reversal
	reversedBy map[string]int
}

func (s *statementImport) run(ctx context.Context) error {
	// The reversals are recorded first: a payment they name, known to the
	// box already, is marked reversal-pending; one this statement brings
	// is recorded reversal-pending, never posted.
	if err := s.recordReversals(ctx); err != nil {
		return err
	}
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
	if err := s.listReversed(ctx); err != nil {
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
		if _, reversed := s.reversedBy[s.batch[i].Payment.TxnID]; reversed {
			continue // listed with the reversals
		}
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

// recordReversals records the statement's reversal rows as reversal
// notices, a batch at a time (none in a dry run).
func (s *statementImport) recordReversals(ctx context.Context) error {
	if s.dryRun {
		return nil
	}
	for start := 0; start < len(s.revs); start += Batch {
		part := s.revs[start:min(start+Batch, len(s.revs))]
		ps := make([]mobilemoney.Payment, len(part))
		for i, r := range part {
			ps[i] = mobilemoney.Payment{Operator: Operator, Kind: mobilemoney.KindReversal, TxnID: r.By, ReversedTxnID: r.Of, Source: "statement"}
		}
		res, err := s.b.Record(ctx, ps)
		if err == nil && len(res) != len(ps) {
			err = fmt.Errorf("%d answers for %d reversals", len(res), len(ps))
		}
		if err != nil {
			return fmt.Errorf("reversal rows %d to %d: %w", part[0].Line, part[len(part)-1].Line, err)
		}
	}
	return nil
}

// listReversed looks up (changing nothing) what the box holds of each
// payment a reversal row names, and lists it.
func (s *statementImport) listReversed(ctx context.Context) error {
	var of []string
	for i, r := range s.revs {
		if s.reversedBy[r.Of] == i {
			of = append(of, r.Of)
		}
	}
	for start := 0; start < len(of); start += Batch {
		part := of[start:min(start+Batch, len(of))]
		res, err := s.b.Known(ctx, KnownArgs{Operator: Operator, TxnIDs: part})
		if err == nil && len(res) != len(part) {
			err = fmt.Errorf("%d answers for %d ids", len(res), len(part))
		}
		if err != nil {
			return fmt.Errorf("looking up the reversed payments: %w", err)
		}
		for i, r := range res {
			_, onStatement := s.onStatement[part[i]]
			s.rep.reversed(s.revs[s.reversedBy[part[i]]], r, onStatement && s.onStatement[part[i]] == "")
		}
	}
	return nil
}
