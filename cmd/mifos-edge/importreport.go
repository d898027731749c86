package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/reconcile"
)

func counted[K ~string](m map[K]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}

// more says how many were not listed.
func more(w io.Writer, listed, all int) {
	if all > listed {
		fmt.Fprintf(w, "  … and %d more (--list N shows more)\n", all-listed)
	}
}

// timeLayout shows a time as the operator printed it, with its offset.
const timeLayout = "2006-01-02 15:04:05 -07:00"

// printReport writes the reconciliation for a person at a terminal.
func printReport(w io.Writer, r *reconcile.Report) {
	fmt.Fprintf(w, "M-PESA statement %s, imported %s\n", r.File, r.Where)
	if r.DryRun {
		fmt.Fprintln(w, "DRY RUN: nothing was recorded; this is what an import would do.")
	}
	period := "no period (no readable dates)"
	if !r.Period.IsZero() {
		how := "from the rows' times"
		if r.Declared {
			how = "as the file declares it"
		}
		period = fmt.Sprintf("period %s to %s (%s)", r.Period.From.Format(timeLayout), r.Period.To.Format(timeLayout), how)
	}
	fmt.Fprintf(w, "%d rows read; %s\n", r.Rows, period)
	if r.ReadErr != "" {
		fmt.Fprintf(w, "READING STOPPED: %s; the rows after it were not read\n", r.ReadErr)
	}
	fmt.Fprintln(w)

	amount := "KES " + r.NewAmount.Format(2)
	if r.DryRun {
		fmt.Fprintf(w, "Would post:     %d new payments, %s\n", r.New, amount)
	} else {
		fmt.Fprintf(w, "Posted now:     %d new payments, %s\n", r.New, amount)
		fmt.Fprintf(w, "                %d matched to an account, journaled to post to Mifos\n", r.Journaled)
		fmt.Fprintf(w, "                %d to suspense (a person assigns them)\n", r.Suspense)
		fmt.Fprintf(w, "                %d waiting for Mifos to answer (matched and posted when it does)\n", r.Waiting)
	}
	known := ""
	if r.Known > 0 {
		known = fmt.Sprintf(": %s; first seen by %s", counted(r.KnownStates), counted(r.KnownSources))
	}
	fmt.Fprintf(w, "Already known:  %d (not posted again)%s\n", r.Known, known)
	fmt.Fprintf(w, "Refused:        %d\n", r.Refused)
	for _, s := range r.RefusedRows {
		fmt.Fprintln(w, "  "+s)
	}
	more(w, len(r.RefusedRows), r.Refused)
	skipped := ""
	if n := r.SkippedRows(); n > 0 {
		skipped = ": " + counted(r.Skipped)
	}
	fmt.Fprintf(w, "Skipped:        %d%s\n", r.SkippedRows(), skipped)
	fmt.Fprintf(w, "Broken rows:    %d", r.Broken)
	if r.Broken > 0 {
		fmt.Fprint(w, " (nothing posted from them: fix the file, or post them by hand, and import again)")
	}
	fmt.Fprintln(w)
	for _, s := range r.BrokenRows {
		fmt.Fprintln(w, "  "+s)
	}
	more(w, len(r.BrokenRows), r.Broken)
	if r.Repeated > 0 {
		fmt.Fprintf(w, "Repeated rows:  %d\n", r.Repeated)
		for _, s := range r.RepeatedRows {
			fmt.Fprintln(w, "  "+s)
		}
		more(w, len(r.RepeatedRows), r.Repeated)
	}

	if r.Reversed > 0 {
		fmt.Fprintf(w, "\nReversed on the statement: %d (none of them posted by this import; undo in Mifos what was posted earlier: mifos-edge payments undo TXN_ID)\n", r.Reversed)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, v := range r.ReversedRows {
			state := string(v.State)
			if state == "" {
				state = "-"
			}
			fmt.Fprintf(tw, "  %s	reversed by %s	row %d	%s	%s\n", v.TxnID, v.By, v.Line, state, v.Note)
		}
		tw.Flush()
		more(w, len(r.ReversedRows), r.Reversed)
	}

	if len(r.SuspenseRows) > 0 {
		fmt.Fprintln(w, "\nTo suspense (check whose each is, then: mifos-edge payments assign TXN_ID --account ACCOUNT_NO):")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range r.SuspenseRows {
			fmt.Fprintf(tw, "  %s\t%s %s\trow %d\t%s\n", s.TxnID, s.Currency, s.Amount.Format(2), s.Line, s.Reason)
		}
		tw.Flush()
		more(w, len(r.SuspenseRows), r.Suspense)
	}

	fmt.Fprintln(w)
	switch {
	case r.Period.IsZero():
		fmt.Fprintln(w, "Receipts not on the statement: not checked (the statement has no period)")
		return
	case !r.Reconciled:
		fmt.Fprintln(w, "Receipts not on the statement: not checked (the import stopped first)")
		return
	}
	fmt.Fprintf(w, "Receipts inside the period that are NOT on the statement (possible forgeries): %d\n", r.Unlisted)
	if r.Unlisted == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  TXN\tAMOUNT\tTIME\tSTATE\tSOURCE\tACCOUNT\tNOTE")
	for _, u := range r.UnlistedRows {
		fmt.Fprintf(tw, "  %s\t%s %s\t%s\t%s\t%s\t%s\t%s\n", u.TxnID, u.Currency, mifos.Amount(u.Amount).Format(2),
			u.Time.Format(timeLayout), u.State, u.Source, u.Account, u.Note)
	}
	tw.Flush()
	more(w, len(r.UnlistedRows), r.Unlisted)
	fmt.Fprintln(w, "  Check each in the M-PESA portal by its receipt number before anything else is done with it")
	fmt.Fprintln(w, "  (docs/mobile-money.md, \"Importing a statement\").")
}
