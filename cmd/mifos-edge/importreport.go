package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/mobilemoney/mpesastatement"
	"github.com/mifos-edge/mifos-edge/store"
)

// importReport is the reconciliation of one statement: counts of every
// kind are whole; the rows listed under each are capped at list, so a
// statement of any size prints a report of bounded size.
type importReport struct {
	file   string
	dryRun bool
	list   int
	where  string

	rows     int
	period   mpesastatement.Span
	declared bool
	// reconciled: the receipts inside the period were all looked at.
	reconciled bool
	readErr    string

	newN                         int
	newAmount                    mifos.Amount
	journaled, suspense, waiting int
	suspenseRows                 []string

	knownN       int
	knownStates  map[store.PaymentState]int
	knownSources map[string]int

	refusedN    int
	refusedRows []string

	skipped map[mpesastatement.SkipReason]int

	brokenN    int
	brokenRows []string

	repeatedN    int
	repeatedRows []string

	unlistedN    int
	unlistedRows []unlistedReceipt
}

type unlistedReceipt struct {
	daemon.Receipt
	note string
}

func newImportReport(file string, dryRun bool, list int) *importReport {
	return &importReport{file: file, dryRun: dryRun, list: list, knownStates: map[store.PaymentState]int{},
		knownSources: map[string]int{}, skipped: map[mpesastatement.SkipReason]int{}}
}

func (r *importReport) keep(rows []string, s string) []string {
	if len(rows) < r.list {
		rows = append(rows, s)
	}
	return rows
}

func (r *importReport) skip(row mpesastatement.Row) { r.skipped[row.Skip]++ }

func (r *importReport) broke(row mpesastatement.Row) {
	r.brokenN++
	msg := fmt.Sprintf("row %d: broken", row.Line)
	if row.Err != nil {
		msg = row.Err.Error()
	}
	r.brokenRows = r.keep(r.brokenRows, msg)
}

func (r *importReport) repeated(row mpesastatement.Row) {
	r.repeatedN++
	r.repeatedRows = r.keep(r.repeatedRows, fmt.Sprintf("row %d: %s is on the statement twice; taken once", row.Line, row.Payment.TxnID))
}

// result counts what became of a payment row (or would, in a dry run).
func (r *importReport) result(row mpesastatement.Row, res daemon.ImportResult) {
	p := row.Payment
	switch res.Outcome {
	case daemon.ImportNew:
		r.newN++
		r.newAmount += p.Amount
		if r.dryRun {
			return
		}
		switch {
		case res.State == store.PaymentSuspense:
			r.suspense++
			r.suspenseRows = r.keep(r.suspenseRows, fmt.Sprintf("%s\t%s %s\trow %d\t%s", p.TxnID, p.Currency, p.Amount.Format(2), row.Line, res.Reason))
		case !res.Matched:
			r.waiting++
		default:
			r.journaled++
		}
	case daemon.ImportKnown:
		r.knownN++
		r.knownStates[res.State]++
		r.knownSources[res.Source]++
	default:
		r.refusedN++
		r.refusedRows = r.keep(r.refusedRows, fmt.Sprintf("row %d: %s: %s", row.Line, res.TxnID, res.Reason))
	}
}

// unlisted notes a receipt inside the period that the statement does not
// have as a completed payment (status: its row's status when the
// statement has it as failed or cancelled).
func (r *importReport) unlisted(rc daemon.Receipt, status string) {
	r.unlistedN++
	if len(r.unlistedRows) >= r.list {
		return
	}
	note := "not on the statement"
	if status != "" {
		note = fmt.Sprintf("on the statement as %s, not Completed: no money came in", status)
	}
	r.unlistedRows = append(r.unlistedRows, unlistedReceipt{Receipt: rc, note: note})
}

func counted[K ~string](m map[K]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}

func total[K comparable](m map[K]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// more says how many were not listed.
func more(w io.Writer, listed, all int) {
	if all > listed {
		fmt.Fprintf(w, "  … and %d more (--list N shows more)\n", all-listed)
	}
}

// timeLayout shows a time as the operator printed it, with its offset.
const timeLayout = "2006-01-02 15:04:05 -07:00"

func (r *importReport) print(w io.Writer) {
	fmt.Fprintf(w, "M-PESA statement %s, imported %s\n", r.file, r.where)
	if r.dryRun {
		fmt.Fprintln(w, "DRY RUN: nothing was recorded; this is what an import would do.")
	}
	period := "no period (no readable dates)"
	if !r.period.IsZero() {
		how := "from the rows' times"
		if r.declared {
			how = "as the file declares it"
		}
		period = fmt.Sprintf("period %s to %s (%s)", r.period.From.Format(timeLayout), r.period.To.Format(timeLayout), how)
	}
	fmt.Fprintf(w, "%d rows read; %s\n", r.rows, period)
	if r.readErr != "" {
		fmt.Fprintf(w, "READING STOPPED: %s; the rows after it were not read\n", r.readErr)
	}
	fmt.Fprintln(w)

	amount := "KES " + r.newAmount.Format(2)
	if r.dryRun {
		fmt.Fprintf(w, "Would post:     %d new payments, %s\n", r.newN, amount)
	} else {
		fmt.Fprintf(w, "Posted now:     %d new payments, %s\n", r.newN, amount)
		fmt.Fprintf(w, "                %d matched to an account, journaled to post to Mifos\n", r.journaled)
		fmt.Fprintf(w, "                %d to suspense (a person assigns them)\n", r.suspense)
		fmt.Fprintf(w, "                %d waiting for Mifos to answer (matched and posted when it does)\n", r.waiting)
	}
	known := ""
	if r.knownN > 0 {
		known = fmt.Sprintf(": %s; first seen by %s", counted(r.knownStates), counted(r.knownSources))
	}
	fmt.Fprintf(w, "Already known:  %d (not posted again)%s\n", r.knownN, known)
	fmt.Fprintf(w, "Refused:        %d\n", r.refusedN)
	for _, s := range r.refusedRows {
		fmt.Fprintln(w, "  "+s)
	}
	more(w, len(r.refusedRows), r.refusedN)
	skipped := ""
	if n := total(r.skipped); n > 0 {
		skipped = ": " + counted(r.skipped)
	}
	fmt.Fprintf(w, "Skipped:        %d%s\n", total(r.skipped), skipped)
	fmt.Fprintf(w, "Broken rows:    %d", r.brokenN)
	if r.brokenN > 0 {
		fmt.Fprint(w, " (nothing posted from them: fix the file, or post them by hand, and import again)")
	}
	fmt.Fprintln(w)
	for _, s := range r.brokenRows {
		fmt.Fprintln(w, "  "+s)
	}
	more(w, len(r.brokenRows), r.brokenN)
	if r.repeatedN > 0 {
		fmt.Fprintf(w, "Repeated rows:  %d\n", r.repeatedN)
		for _, s := range r.repeatedRows {
			fmt.Fprintln(w, "  "+s)
		}
		more(w, len(r.repeatedRows), r.repeatedN)
	}

	if len(r.suspenseRows) > 0 {
		fmt.Fprintln(w, "\nTo suspense (check whose each is, then: mifos-edge payments assign TXN_ID --account ACCOUNT_NO):")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range r.suspenseRows {
			fmt.Fprintln(tw, "  "+s)
		}
		tw.Flush()
		more(w, len(r.suspenseRows), r.suspense)
	}

	fmt.Fprintln(w)
	switch {
	case r.period.IsZero():
		fmt.Fprintln(w, "Receipts not on the statement: not checked (the statement has no period)")
		return
	case !r.reconciled:
		fmt.Fprintln(w, "Receipts not on the statement: not checked (the import stopped first)")
		return
	}
	fmt.Fprintf(w, "Receipts inside the period that are NOT on the statement (possible forgeries): %d\n", r.unlistedN)
	if r.unlistedN == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  TXN\tAMOUNT\tTIME\tSTATE\tSOURCE\tACCOUNT\tNOTE")
	for _, u := range r.unlistedRows {
		fmt.Fprintf(tw, "  %s\t%s %s\t%s\t%s\t%s\t%s\t%s\n", u.TxnID, u.Currency, mifos.Amount(u.Amount).Format(2),
			u.Time.Format(timeLayout), u.State, u.Source, u.Account, u.note)
	}
	tw.Flush()
	more(w, len(r.unlistedRows), r.unlistedN)
	fmt.Fprintln(w, "  Check each in the M-PESA portal by its receipt number before anything else is done with it")
	fmt.Fprintln(w, "  (docs/mobile-money.md, \"Importing a statement\").")
}
