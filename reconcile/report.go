package reconcile

import (
	"fmt"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/mobilemoney/mpesastatement"
	"github.com/mifos-edge/mifos-edge/store"
)

// Report is the reconciliation of one statement: counts of every kind
// are whole; the rows listed under each are capped at List, so a
// statement of any size gives a report of bounded size.
type Report struct {
	File   string
	DryRun bool
	List   int
	// Where the import ran, in words (the caller's).
	Where string

	Rows     int
	Period   mpesastatement.Span
	Declared bool // the period is the file's own, not the rows' times
	// Reconciled: the receipts inside the period were all looked at.
	Reconciled bool
	ReadErr    string

	New                          int
	NewAmount                    mifos.Amount
	Journaled, Suspense, Waiting int
	SuspenseRows                 []SuspenseRow

	Known        int
	KnownStates  map[store.PaymentState]int
	KnownSources map[string]int

	Refused     int
	RefusedRows []string

	Skipped map[mpesastatement.SkipReason]int

	Broken     int
	BrokenRows []string

	Repeated     int
	RepeatedRows []string

	Unlisted     int
	UnlistedRows []Unlisted

	// Reversed: the payments the statement shows reversed (a reversal
	// row names them); none of them is posted by this import.
	Reversed     int
	ReversedRows []Reversed
}

// Reversed is a payment a reversal row of the statement names.
type Reversed struct {
	TxnID string             // the payment reversed
	By    string             // the reversal's receipt
	Line  int                // the reversal row
	State store.PaymentState // the payment's state on the box, "" when the box does not have it
	Note  string
}

// SuspenseRow is a statement payment put in suspense.
type SuspenseRow struct {
	TxnID    string
	Currency string
	Amount   mifos.Amount
	Line     int
	Reason   string
}

// Unlisted is a receipt inside the period that the statement lacks.
type Unlisted struct {
	Receipt
	Note string
}

func newReport(o Options) *Report {
	return &Report{File: o.File, DryRun: o.DryRun, List: max(o.List, 0), KnownStates: map[store.PaymentState]int{},
		KnownSources: map[string]int{}, Skipped: map[mpesastatement.SkipReason]int{}}
}

// SkippedRows is how many rows were skipped, for every reason.
func (r *Report) SkippedRows() int {
	n := 0
	for _, v := range r.Skipped {
		n += v
	}
	return n
}

func (r *Report) keep(rows []string, s string) []string {
	if len(rows) < r.List {
		rows = append(rows, s)
	}
	return rows
}

func (r *Report) skip(row mpesastatement.Row) { r.Skipped[row.Skip]++ }

func (r *Report) broke(row mpesastatement.Row) {
	r.Broken++
	msg := fmt.Sprintf("row %d: broken", row.Line)
	if row.Err != nil {
		msg = row.Err.Error()
	}
	r.BrokenRows = r.keep(r.BrokenRows, msg)
}

func (r *Report) repeated(row mpesastatement.Row) {
	r.Repeated++
	r.RepeatedRows = r.keep(r.RepeatedRows, fmt.Sprintf("row %d: %s is on the statement twice; taken once", row.Line, row.Payment.TxnID))
}

// result counts what became of a payment row (or would, in a dry run).
func (r *Report) result(row mpesastatement.Row, res Result) {
	p := row.Payment
	switch res.Outcome {
	case New:
		r.New++
		r.NewAmount += p.Amount
		if r.DryRun {
			return
		}
		switch {
		case res.State == store.PaymentSuspense:
			r.Suspense++
			if len(r.SuspenseRows) < r.List {
				r.SuspenseRows = append(r.SuspenseRows, SuspenseRow{TxnID: p.TxnID, Currency: p.Currency, Amount: p.Amount, Line: row.Line, Reason: res.Reason})
			}
		case !res.Matched:
			r.Waiting++
		default:
			r.Journaled++
		}
	case Known:
		r.Known++
		r.KnownStates[res.State]++
		r.KnownSources[res.Source]++
	default:
		r.Refused++
		r.RefusedRows = r.keep(r.RefusedRows, fmt.Sprintf("row %d: %s: %s", row.Line, res.TxnID, res.Reason))
	}
}

// unlisted notes a receipt inside the period that the statement does not
// have as a completed payment (status: its row's status when the
// statement has it as failed or cancelled).
func (r *Report) unlisted(rc Receipt, status string) {
	r.Unlisted++
	if len(r.UnlistedRows) >= r.List {
		return
	}
	note := "not on the statement"
	if status != "" {
		note = fmt.Sprintf("on the statement as %s, not Completed: no money came in", status)
	}
	r.UnlistedRows = append(r.UnlistedRows, Unlisted{Receipt: rc, Note: note})
}

// reversed lists a payment the statement shows reversed: res is what the
// box holds of it (after the import, or now for a dry run); paid: the
// statement has its completed payment row too.
func (r *Report) reversed(rv reversal, res Result, paid bool) {
	r.Reversed++
	if len(r.ReversedRows) >= r.List {
		return
	}
	row := Reversed{TxnID: rv.Of, By: rv.By, Line: rv.Line}
	if res.Outcome == Known {
		row.State = res.State
	}
	switch {
	case r.DryRun && row.State != "" && row.State != store.PaymentReversalPending:
		row.Note = fmt.Sprintf("the box has it (%s, from %s): an import marks it reversal-pending for a person to undo", row.State, res.Source)
	case r.DryRun && paid:
		row.Note = "on this statement too: an import records it reversal-pending, never posted"
	case r.DryRun && row.State == "":
		row.Note = "not on the box: an import remembers the reversal, so it is never posted"
	case row.State == store.PaymentReversalPending && res.Source == "statement":
		row.Note = "recorded reversal-pending from this statement, never posted"
	case row.State == store.PaymentReversalPending:
		row.Note = fmt.Sprintf("came earlier (%s): marked reversal-pending; a person undoes it in Mifos (mifos-edge payments undo)", res.Source)
	case row.State == "":
		row.Note = "not on the box: if it arrives it is recorded reversal-pending, never posted"
	default:
		row.Note = fmt.Sprintf("the box has it as %s (%s)", row.State, res.Reason)
	}
	r.ReversedRows = append(r.ReversedRows, row)
}
