package console

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/mobilemoney/mpesastatement"
	"github.com/mifos-edge/mifos-edge/reconcile"
	"github.com/mifos-edge/mifos-edge/web"
)

// The statement upload on the Payments page runs the same import and
// reconciliation as `mifos-edge import mpesa-statement` (package
// reconcile), in the daemon, as the signed-in person, and shows the
// report as a page.

// StatementPath is where the statement is uploaded.
const StatementPath = "/console/payments/statement"

// StatementMax bounds an uploaded statement: 10,000 rows of the portal's
// export are about 2 MB.
const StatementMax = 8 << 20

// LargeBodies are the console's routes that take more than web.MaxBody;
// the daemon passes them to web.Protect.
var LargeBodies = []web.LargeBody{{Path: StatementPath, Max: StatementMax}}

// statementListed caps each list of the report on a phone; the counts
// are whole.
const statementListed = 50

// statementWait bounds one import: a 10,000-row statement is matched a
// few Fineract reads per new payment, minutes on a slow link. The import
// does not stop when the phone goes away (each batch is recorded exactly
// once anyway, and a second upload takes up the rest), only after this.
const statementWait = 30 * time.Minute

// importing lets one statement import run at a time: a second upload
// meanwhile would only compete for the same link and store.
var importing sync.Mutex

// statementHTML is the upload form, on the Payments page.
func statementHTML(h *htmlWriter) {
	h.raw(`
<section class="card">
<h2>Import an M-PESA statement</h2>
<p class="small">The CSV export of the M-PESA organisation portal. Payments the SMS missed are posted, what is known already is not posted again, and receipts the box holds that the statement lacks are listed.</p>
<form method="post" action="` + StatementPath + `" enctype="multipart/form-data">
<label>Statement file <input type="file" name="statement" accept=".csv,text/csv" required></label>
<label class="check"><input type="checkbox" name="dry_run" value="1"> Dry run: record nothing, show what an import would do</label>
<button type="submit">Import</button>
</form>
</section>
`)
}

// uploadStatement imports the uploaded statement and shows its report.
func (c *Console) uploadStatement(w http.ResponseWriter, r *http.Request, s *session) {
	if c.d.Payments == nil || c.d.Statements == nil {
		http.NotFound(w, r)
		return
	}
	p := page{Title: "Statement", Tab: "payments", User: &s.ConsoleSession}
	fail := func(status int, msg string) {
		p.Error = msg
		c.render(w, status, p, func(h *htmlWriter) { statementHTML(h) })
	}
	if status, problem := c.refusal(s, postMoney); problem != "" {
		// No form: this person may not import.
		p.Error = problem
		c.render(w, status, p, nil)
		return
	}
	if err := r.ParseMultipartForm(StatementMax); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("The file is larger than %d MB; split the statement by date and import each part.", StatementMax>>20))
			return
		}
		fail(http.StatusBadRequest, "Choose the statement file and press Import.")
		return
	}
	defer r.MultipartForm.RemoveAll()
	f, hdr, err := r.FormFile("statement")
	if err != nil {
		fail(http.StatusBadRequest, "Choose the statement file and press Import.")
		return
	}
	defer f.Close()
	dryRun := r.PostFormValue("dry_run") != ""
	name := filepath.Base(strings.ReplaceAll(hdr.Filename, `\`, "/"))
	if _, err := mpesastatement.NewReader(f); err != nil {
		fail(http.StatusUnprocessableEntity, "That file is not an M-PESA statement the box can read: "+err.Error())
		return
	}
	if !importing.TryLock() {
		fail(http.StatusConflict, "Another statement is being imported; try again when it is done.")
		return
	}
	defer importing.Unlock()
	// A long import must not lose its page to the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(statementWait + time.Minute))
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), statementWait)
	defer cancel()
	rep, err := reconcile.Statement(ctx, f, c.d.Statements, reconcile.Options{File: name, DryRun: dryRun, List: statementListed})
	if rep == nil {
		// The header was read once already; only a failing upload store gets here.
		fail(http.StatusUnprocessableEntity, "That file is not an M-PESA statement the box can read: "+err.Error())
		return
	}
	status := http.StatusOK
	switch {
	case err != nil && rep.ReadErr != "":
		// The file stopped being readable: what was read is reported.
		status = http.StatusUnprocessableEntity
		p.Error = "The file could not be read to its end; the rows after the fault were not imported."
	case err != nil:
		c.d.Logger.Warn("console statement import stopped", "file", name, "err", err)
		status = http.StatusServiceUnavailable
		p.Error = "The import stopped: " + err.Error() + ". What is reported below was done; import the file again to finish (nothing is posted twice)."
	}
	c.d.Logger.Info("console imported a statement", "user", s.Username, "file", name, "dry_run", dryRun, "rows", rep.Rows,
		"new", rep.New, "known", rep.Known, "suspense", rep.Suspense, "broken", rep.Broken, "unlisted", rep.Unlisted, "reversed", rep.Reversed)
	if dryRun {
		p.Notice = "Dry run: nothing was recorded; this is what an import would do."
	}
	c.render(w, status, p, reportHTML(rep))
}

// counted writes "a 2, b 1" from m, in key order, leaving out zeros.
func counted[K ~string](m map[K]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}

// reportTime writes an operator's time with its offset, as the statement
// has it.
const reportTime = "2 Jan 2006 15:04 -07:00"

// reportHTML is the reconciliation: the counts, then the capped lists.
func reportHTML(rep *reconcile.Report) func(h *htmlWriter) {
	return func(h *htmlWriter) {
		// list writes rows and "… and n more" when the count is larger.
		more := func(listed, all int) {
			if all > listed {
				h.raw("<p class=\"small\">… and ")
				h.int(int64(all - listed))
				h.raw(" more (<code>mifos-edge import mpesa-statement --dry-run --list N</code> lists them all).</p>\n")
			}
		}
		list := func(rows []string, all int) {
			for _, s := range rows {
				h.raw("<p class=\"why\">")
				h.text(s)
				h.raw("</p>\n")
			}
			more(len(rows), all)
		}
		count := func(label markup, n int) {
			h.raw("<dt>" + label + "</dt><dd>")
			h.int(int64(n))
			h.raw("</dd>\n")
		}
		h.raw("\n<section class=\"card\">\n<h2>")
		h.text(rep.File)
		h.raw("</h2>\n<p class=\"small\">")
		h.int(int64(rep.Rows))
		h.raw(" rows read; ")
		if rep.Period.IsZero() {
			h.raw("no period (no readable dates)")
		} else {
			h.raw("period ")
			h.text(rep.Period.From.Format(reportTime))
			h.raw(" to ")
			h.text(rep.Period.To.Format(reportTime))
			if rep.Declared {
				h.raw(" (as the file declares it)")
			} else {
				h.raw(" (from the rows' times)")
			}
		}
		h.raw("</p>\n")
		if rep.ReadErr != "" {
			h.raw("<p class=\"error\">Reading stopped: ")
			h.text(rep.ReadErr)
			h.raw("</p>\n")
		}
		h.raw("<dl>\n")
		if rep.DryRun {
			h.raw("<dt>Would post</dt><dd>")
		} else {
			h.raw("<dt>Posted now</dt><dd>")
		}
		h.int(int64(rep.New))
		h.raw(" · KES ")
		h.text(rep.NewAmount.Format(2))
		h.raw("</dd>\n")
		if !rep.DryRun {
			count("Matched, to post", rep.Journaled)
			count("To suspense", rep.Suspense)
			count("Waiting for Mifos", rep.Waiting)
		}
		h.raw("<dt>Already known</dt><dd>")
		h.int(int64(rep.Known))
		h.suffix(" · ", counted(rep.KnownStates))
		h.raw("</dd>\n")
		count("Refused", rep.Refused)
		h.raw("<dt>Skipped</dt><dd>")
		h.int(int64(rep.SkippedRows()))
		h.suffix(" · ", counted(rep.Skipped))
		h.raw("</dd>\n")
		count("Broken rows", rep.Broken)
		if rep.Repeated > 0 {
			count("Repeated rows", rep.Repeated)
		}
		h.raw("</dl>\n</section>\n")

		if rep.Refused > 0 {
			h.raw("<section class=\"card\">\n<h2>Refused</h2>\n")
			list(rep.RefusedRows, rep.Refused)
			h.raw("</section>\n")
		}
		if rep.Broken > 0 {
			h.raw("<section class=\"card\">\n<h2>Broken rows</h2>\n<p class=\"small\">Nothing was posted from them: fix the file, or post them by hand, and import again.</p>\n")
			list(rep.BrokenRows, rep.Broken)
			h.raw("</section>\n")
		}
		if rep.Repeated > 0 {
			h.raw("<section class=\"card\">\n<h2>Repeated rows</h2>\n")
			list(rep.RepeatedRows, rep.Repeated)
			h.raw("</section>\n")
		}
		if rep.Reversed > 0 {
			h.raw("<section class=\"card\">\n<h2>Reversed on the statement</h2>\n<p class=\"warn\">")
			h.int(int64(rep.Reversed))
			h.raw(" payments the statement shows reversed: none of them is posted by this import. What was posted earlier is reversal-pending: undo it in Mifos (<code>mifos-edge payments undo TXN_ID</code>).</p>\n")
			for _, v := range rep.ReversedRows {
				h.raw("<div class=\"item\"><p><strong>")
				h.text(v.TxnID)
				h.raw("</strong> · reversed by ")
				h.text(v.By)
				h.raw(" · row ")
				h.int(int64(v.Line))
				h.suffix(" · ", string(v.State))
				h.raw("</p><p class=\"why\">")
				h.text(v.Note)
				h.raw("</p></div>\n")
			}
			more(len(rep.ReversedRows), rep.Reversed)
			h.raw("</section>\n")
		}
		if rep.Suspense > 0 {
			h.raw("<section class=\"card\">\n<h2>To suspense</h2>\n<p class=\"small\">Assign each on the <a href=\"/console/money\">Money</a> page.</p>\n")
			for _, s := range rep.SuspenseRows {
				h.raw("<div class=\"item\"><p><strong>")
				h.text(s.Amount.Format(2))
				h.raw(" ")
				h.text(s.Currency)
				h.raw("</strong> · ")
				h.text(s.TxnID)
				h.raw(" · row ")
				h.int(int64(s.Line))
				h.raw("</p><p class=\"why\">")
				h.text(s.Reason)
				h.raw("</p></div>\n")
			}
			more(len(rep.SuspenseRows), rep.Suspense)
			h.raw("</section>\n")
		}

		h.raw("<section class=\"card\">\n<h2>Receipts not on the statement</h2>\n")
		switch {
		case rep.Period.IsZero():
			h.raw("<p>Not checked: the statement has no period.</p>\n")
		case !rep.Reconciled:
			h.raw("<p>Not checked: the import stopped first.</p>\n")
		case rep.Unlisted == 0:
			h.raw("<p class=\"ok\">None: every receipt the box holds inside the period is on the statement.</p>\n")
		default:
			h.raw("<p class=\"warn\">")
			h.int(int64(rep.Unlisted))
			h.raw(" receipts inside the period are NOT on the statement (possible forgeries). Check each in the M-PESA portal by its receipt number before anything else is done with it.</p>\n")
			for _, u := range rep.UnlistedRows {
				h.raw("<div class=\"item\"><p><strong>")
				h.text(mifos.Amount(u.Amount).Format(2))
				h.raw(" ")
				h.text(u.Currency)
				h.raw("</strong> · ")
				h.text(u.TxnID)
				h.raw(" · ")
				h.text(u.Time.Format(reportTime))
				h.raw("</p><p class=\"small\">")
				h.text(string(u.State))
				h.suffix(" · by ", u.Source)
				h.suffix(" · account ", u.Account)
				h.raw("</p><p class=\"why\">")
				h.text(u.Note)
				h.raw("</p></div>\n")
			}
			more(len(rep.UnlistedRows), rep.Unlisted)
		}
		h.raw("</section>\n<p><a href=\"/console/payments\">Back to the payments</a></p>\n")
	}
}
