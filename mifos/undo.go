package mifos

import (
	"context"
	"errors"
	"fmt"
)

// ErrAlreadyReversed means the transaction to undo is reversed already (a
// person undid it in Mifos, or an earlier undo got through without its
// answer): the undo's goal holds, nothing more was changed.
var ErrAlreadyReversed = errors.New("the transaction is reversed already")

// UndoLoanTxn is a person's undo of a loan repayment: POST
// /loans/{loanId}/transactions/{transactionId} without a command and with
// transactionAmount 0 (Fineract's adjustment to zero). Fineract marks the
// transaction manuallyReversed and reprocesses the loan. on is the
// transaction's date (Fineract requires transactionDate).
//
// A transaction reversed already answers ErrAlreadyReversed: Fineract's
// refusal is not specific to it, so the transaction is read back to tell.
func (c *HTTPClient) UndoLoanTxn(ctx context.Context, loanID, txnID int64, on Date, idempotencyKey string) (Result, error) {
	if !on.valid() {
		return Result{}, invalidf("undo: the transaction date %s is not a calendar day", on)
	}
	if len(idempotencyKey) > 50 {
		return Result{}, invalidf("undo: the Idempotency-Key is longer than 50 characters")
	}
	body := map[string]any{"transactionDate": on, "transactionAmount": 0, "dateFormat": dateFormat, "locale": c.locale}
	var w resultWire
	path := "/loans/" + id(loanID) + "/transactions/" + id(txnID)
	h, err := c.do(ctx, request{method: "POST", path: path, body: body, idemKey: idempotencyKey}, &w)
	if err != nil {
		var fe *Error
		if errors.As(err, &fe) && fe.Status == 403 {
			if t, lerr := c.LoanTxn(ctx, loanID, txnID); lerr == nil && t.ManuallyReversed {
				return Result{}, fmt.Errorf("loan transaction %d: %w", txnID, ErrAlreadyReversed)
			}
		}
		return Result{}, err
	}
	return Result{
		ResourceID: w.ResourceID, CommandID: w.CommandID, PendingApproval: w.RollbackTransaction,
		ServedFromCache: servedFromCache(h), ResourceExternalID: string(w.ResourceExternalID),
	}, nil
}

// savingsAlreadyReversed is Fineract's refusal to undo a savings
// transaction a second time.
const savingsAlreadyReversed = "error.msg.saving.account.transaction.already.reversed"

// UndoSavingsTxn is POST /savingsaccounts/{id}/transactions/{txnId}?command=undo:
// the deposit is marked reversed and the balance recomputed. A
// transaction reversed already answers ErrAlreadyReversed.
func (c *HTTPClient) UndoSavingsTxn(ctx context.Context, savingsID, txnID int64, idempotencyKey string) (Result, error) {
	if len(idempotencyKey) > 50 {
		return Result{}, invalidf("undo: the Idempotency-Key is longer than 50 characters")
	}
	res, err := c.command(ctx, "/savingsaccounts/"+id(savingsID)+"/transactions/"+id(txnID), "undo", map[string]any{}, idempotencyKey)
	var fe *Error
	if errors.As(err, &fe) && fe.HasCode(savingsAlreadyReversed) {
		return Result{}, fmt.Errorf("savings transaction %d: %w", txnID, ErrAlreadyReversed)
	}
	return res, err
}
