package payments

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// Undoer is what a person's undo asks Fineract (a *mifos.HTTPClient).
// Each answers mifos.ErrAlreadyReversed for a transaction reversed
// already, which is how a second run, or a run after a crash, knows what
// is left to do.
type Undoer interface {
	UndoLoanTxn(ctx context.Context, loanID, txnID int64, on mifos.Date, idempotencyKey string) (mifos.Result, error)
	UndoSavingsTxn(ctx context.Context, savingsID, txnID int64, idempotencyKey string) (mifos.Result, error)
}

// Undo reverses in Fineract every transaction the payment posted, as a
// person decided after the operator reversed the payment: only a payment
// in reversal-pending (an operator's reversal notice for it arrived) is
// undone, nothing is undone by itself. Then the payment is reversed. A
// reversed payment is answered as it is (running it again changes
// nothing), and a transaction found reversed already (by an earlier run
// or by hand in Mifos) counts as undone.
//
// A posting still under way or waiting for a checker in Mifos is refused
// (try again once it settles): undoing half a payment would leave it
// posted in part.
func (c *Core) Undo(ctx context.Context, operator, txnID string) (store.Payment, error) {
	p, err := c.Find(operator, txnID)
	if err != nil {
		return store.Payment{}, err
	}
	if p.State == store.PaymentReversed {
		return p, nil
	}
	if p.State != store.PaymentReversalPending {
		return p, fmt.Errorf("payment %s is %s; only a payment the operator reversed (reversal-pending) is undone: %w",
			p.TxnID, p.State, store.ErrPaymentState)
	}
	u, ok := c.API.(Undoer)
	if c.API == nil || !ok {
		return p, errors.New("Fineract is not configured")
	}
	entries := make([]store.JournalEntry, 0, len(p.Journal))
	for _, id := range p.Journal {
		e, err := c.DB.JournalEntry(id)
		if errors.Is(err, store.ErrNotFound) {
			return p, fmt.Errorf("the posting record %d of payment %s is gone (pruned); undo transactions %v in Mifos by hand", id, p.TxnID, p.FineractTxnIDs)
		}
		if err != nil {
			return p, err
		}
		switch {
		case e.State.Open():
			return p, fmt.Errorf("payment %s is still being posted to %s; nothing was undone, try again once it is posted", p.TxnID, e.AccountNo)
		case e.State == store.JournalAwaitingApproval:
			return p, fmt.Errorf("payment %s waits for a checker in Mifos on %s; nothing was undone, decide it there first", p.TxnID, e.AccountNo)
		case e.State == store.JournalDone && len(e.FineractTxnIDs) == 0:
			return p, fmt.Errorf("no Mifos transaction id is known for the posting to %s; nothing was undone, undo it in Mifos by hand", e.AccountNo)
		}
		entries = append(entries, e)
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	var undone []string
	for _, e := range entries {
		if e.State != store.JournalDone {
			continue // failed: nothing reached Fineract
		}
		for _, fid := range e.FineractTxnIDs {
			if err := c.undoOne(cctx, u, e, fid); err != nil {
				return p, fmt.Errorf("undoing transaction %d on %s: %w (undone so far: %s; run it again)", fid, e.AccountNo, err, strings.Join(undone, ", "))
			}
			undone = append(undone, fmt.Sprintf("%d", fid))
		}
	}
	reason := "nothing of it was in Mifos to undo"
	if len(undone) > 0 {
		reason = "undone in Mifos (transactions " + strings.Join(undone, ", ") + ")"
	}
	err = c.DB.Update(func(tx *store.Tx) error {
		var err error
		p, err = tx.SetPaymentState(p.Key(), []store.PaymentState{store.PaymentReversalPending}, store.PaymentReversed, reason)
		return err
	})
	if err != nil {
		if again, gerr := c.DB.Payment(p.Operator, p.TxnID); gerr == nil && again.State == store.PaymentReversed {
			return again, nil // another undo finished first
		}
		return p, err
	}
	c.log().Info("payment undone in Mifos by a person", "operator", p.Operator, "txn", p.TxnID, "transactions", undone)
	return p, nil
}

// undoOne undoes Fineract transaction fid of journal entry e; one found
// reversed already is done.
func (c *Core) undoOne(ctx context.Context, u Undoer, e store.JournalEntry, fid int64) error {
	var res mifos.Result
	var err error
	switch e.Kind {
	case store.JournalLoanRepayment:
		on, perr := time.Parse(time.DateOnly, e.Date)
		if perr != nil {
			return fmt.Errorf("the posting's date %q: %w", e.Date, perr)
		}
		res, err = u.UndoLoanTxn(ctx, e.AccountID, fid, mifos.DateOf(on), "")
	case store.JournalSavingsDeposit:
		res, err = u.UndoSavingsTxn(ctx, e.AccountID, fid, "")
	default:
		return fmt.Errorf("a %s posting is not undone here; undo it in Mifos by hand", e.Kind)
	}
	switch {
	case errors.Is(err, mifos.ErrAlreadyReversed):
		c.log().Info("transaction reversed already", "account", e.AccountNo, "fineract_txn", fid)
		return nil
	case err != nil:
		return err
	case res.PendingApproval:
		return errors.New("the undo waits for a checker in Mifos; run it again once approved")
	}
	return nil
}
