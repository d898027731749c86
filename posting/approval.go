package posting

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// approvalLoop follows postings that Fineract's maker-checker holds. The
// command's audit (GET /audits/{commandId}) tells what a checker decided:
// rejected, the entry fails with that reason and the officer is told it
// was NOT posted; approved, the posting is looked up and settles as done
// (the officer and client then get the usual confirmation); still
// awaiting, nothing changes. Where the audit cannot be read (no command
// id, no READ_AUDIT), the lookup alone finds an approved posting and a
// rejected one stays awaiting for a person.
func (w *Worker) approvalLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.opts.ApprovalInterval):
		}
		if !w.online.Load() {
			continue
		}
		waiting, err := w.db.ListJournal(store.JournalAwaitingApproval, 200)
		if err != nil {
			w.log.Error("read postings awaiting approval", "err", err)
			continue
		}
		for _, e := range waiting {
			if ctx.Err() != nil {
				return
			}
			w.checkApproval(ctx, e)
		}
	}
}

// checkApproval settles one entry awaiting approval if a checker decided.
func (w *Worker) checkApproval(ctx context.Context, e store.JournalEntry) {
	p, err := w.poster(e)
	if err != nil {
		return
	}
	audit, known := w.commandAudit(ctx, e)
	var o outcome
	switch {
	case known && audit.Rejected():
		o = rejectedByChecker(audit)
	case known && audit.Awaiting():
		return
	default:
		found, lo, err := p.lookup(ctx)
		switch {
		case errors.Is(err, errNoLookup) && known && audit.Processed():
			// A sheet of deposits without a receipt to find them by.
			o = settled(store.JournalDone, fmt.Sprintf("approved in Fineract (command %d); its transactions cannot be looked up", audit.ID))
		case err != nil || !found:
			if known && audit.Processed() {
				w.log.Warn("Fineract reports a held posting approved, but it cannot be found there yet", "id", e.ID, "command", audit.ID, "err", err)
			}
			return
		case lo.settle == store.JournalDone:
			o = lo
			o.why = "approved in Fineract"
		case known && audit.Processed():
			// Approved, then found reversed or for another amount: a person looks.
			o = lo
		default:
			return
		}
	}
	if err := w.record(ctx, e, o); err != nil {
		w.log.Error("record a checker's decision on a posting", "id", e.ID, "err", err)
	}
}

// rejectedByChecker is the failure of a posting a checker rejected in
// Fineract, which keeps no reason for it: only who rejected it.
func rejectedByChecker(a mifos.CommandAudit) outcome {
	who := "a checker"
	if a.Checker != "" {
		who = "checker " + a.Checker
	}
	o := settled(store.JournalFailed, fmt.Sprintf("rejected in Fineract by %s (command %d); nothing was posted", who, a.ID))
	o.refusal = "a checker in Mifos rejected it"
	return o
}

// heldCommand finds the command id in the outcome of an entry that settled
// as awaiting before the id had a field of its own.
var heldCommand = regexp.MustCompile(`\(command ([0-9]+)\)`)

// commandAudit reads what Fineract's audit says of the entry's held
// command; known is false when there is no command id or the audit cannot
// be read (then only the lookup can tell).
func (w *Worker) commandAudit(ctx context.Context, e store.JournalEntry) (a mifos.CommandAudit, known bool) {
	id := e.CommandID
	if m := heldCommand.FindStringSubmatch(e.Outcome); id == 0 && m != nil {
		id, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if id == 0 {
		return mifos.CommandAudit{}, false
	}
	a, err := call(w, ctx, func(ctx context.Context) (mifos.CommandAudit, error) { return w.api.CommandAudit(ctx, id) })
	switch {
	case err == nil && a.ID == id:
		return a, true
	case mifos.IsAuthProblem(err):
		if !w.noAuditRead.Swap(true) {
			w.log.Warn("the box's Fineract user may not read the audit (READ_AUDIT): a posting a checker rejects stays awaiting approval; give the user READ_AUDIT", "err", err)
		}
	case err != nil:
		w.log.Debug("read a held command's audit", "id", e.ID, "command", id, "err", err)
	}
	return mifos.CommandAudit{}, false
}
