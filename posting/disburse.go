package posting

import (
	"context"
	"fmt"
	"strings"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// Disbursements: a loan the box paid out to the client's mobile wallet is
// recorded in Fineract by its disburse command, exactly once, like a
// repayment: the disbursement transaction carries the entry's externalId,
// which Fineract keeps unique, and is looked up by it after an unknown
// outcome (docs/fineract.md, "Disbursement"). The money has already gone
// out when the entry is made, so every failure says that the client was
// paid, and nothing is ever paid again from here.

// paidByMobile ends every failure's words: the client has the money
// whatever Mifos holds.
const paidByMobile = "the client was paid by mobile money"

// disbursalWords are the officer's words for Fineract's refusals of a
// disbursement that its lookup did not explain, by Fineract's code.
var disbursalWords = map[string]string{
	mifos.CodeDisbursalAboveApproved: "Mifos refused to record the disbursement: the amount paid is more than the loan's approved amount; " +
		paidByMobile + ": correct the loan in Mifos and record it there by hand",
	mifos.CodeDisbursalAfterFirstRepayment: "Mifos refused to record the disbursement: the loan's first repayment date is before the payment; " +
		paidByMobile + ": change the first repayment date in Mifos, then have the record sent again",
	mifos.CodeDisbursalBeforeApproval: "Mifos refused to record the disbursement: it is dated before the loan's approval; " +
		paidByMobile + ": check the approval in Mifos",
	"error.msg.client.not.active.exception": "Mifos refused to record the disbursement: the client is not active in Mifos; " +
		paidByMobile + ": check",
	"error.msg.loan.application.disbursement.date.on.holiday": "Mifos refused to record the disbursement: the loan's expected disbursement date is a holiday in Mifos; " +
		paidByMobile + ": change that date in Mifos, then have the record sent again",
	"error.msg.loan.application.disbursement.date.on.non.working.day": "Mifos refused to record the disbursement: the loan's expected disbursement date is not a working day in Mifos; " +
		paidByMobile + ": change that date in Mifos, then have the record sent again",
	mifos.CodeDuplicateExternalID: "Mifos already has a transaction with this disbursement's id, not on this loan; " +
		paidByMobile + ": check in Mifos",
	"error.msg.data.integrity.issue": "Mifos refused to record the disbursement as a data integrity issue (an id used twice?); " +
		paidByMobile + ": check in Mifos",
}

// disbursalRefusal is what the officer is told of a refusal err that is
// not "no longer waiting for disbursal": the words for its code, else the
// code itself within this box's words.
func disbursalRefusal(err error) string {
	r, ok := mifos.RefusalOf(err)
	if !ok {
		return "the disbursement could not be recorded in Mifos (" + err.Error() + "); " + paidByMobile + ": record it there by hand"
	}
	for code, words := range disbursalWords {
		// RefusalOf gives the code in lower case.
		if strings.EqualFold(code, r.Code) {
			return words
		}
	}
	return "Mifos refused to record the disbursement (" + r.String() + "); " + paidByMobile + ": record it there by hand"
}

// The words when Fineract answers that the loan no longer waits for a
// disbursement, by what the loan is now.
const (
	disbursedElsewhere = "the loan was already disbursed in Mifos by someone else; the client was also paid by mobile money: check"
	approvalUndone     = "the loan's approval was undone in Mifos; " + paidByMobile + ": check"
	loanWithdrawn      = "the loan was withdrawn in Mifos; " + paidByMobile + ": check"
	loanRejected       = "the loan was rejected in Mifos; " + paidByMobile + ": check"
	notWaiting         = "the loan no longer waits for disbursement in Mifos (disbursed by someone else, or its approval undone); " + paidByMobile + ": check"
)

// notWaitingWords names what became of a loan Fineract would not disburse
// because it no longer waits for that, from its status now.
func notWaitingWords(statusID int) string {
	switch statusID {
	case mifos.StatusPending:
		return approvalUndone
	case 400:
		return loanWithdrawn
	case 500:
		return loanRejected
	case mifos.StatusActive, 600, 601, 602, 700:
		return disbursedElsewhere
	}
	return notWaiting
}

func (w *Worker) disbursementPoster(e store.JournalEntry, date mifos.Date) poster {
	want := expectOf(e, mifos.Amount(e.Amount), date)
	return poster{
		guarded: true,
		lookup:  w.disbursementLookup(e, want),
		post: func(ctx context.Context, key string) (outcome, error) {
			d := mifos.Disbursement{Date: date, Amount: mifos.Amount(e.Amount), PaymentTypeID: w.paymentType(e),
				ExternalID: e.ExternalID, ReceiptNumber: e.Receipt, Note: e.Note}
			res, err := call(w, ctx, func(ctx context.Context) (mifos.Result, error) { return w.api.Disburse(ctx, e.AccountID, d, key) })
			if err != nil {
				return outcome{}, err
			}
			if res.PendingApproval {
				return awaiting(res.CommandID), nil
			}
			o := settled(store.JournalDone, "disbursed in Fineract")
			id := res.SubResourceID
			if id == 0 {
				// A server before 1.9 names only the loan; the transaction is
				// found by its externalId. Not found, it is done all the same.
				if hit, found, err := w.findLoanTxn(ctx, e.AccountID, e.ExternalID); err == nil && found {
					id = hit.txn.ID
				}
			}
			if id == 0 {
				return o, nil
			}
			o.txnIDs = []int64{id}
			if e.Decimals == 0 {
				w.readBack(ctx, e, &o, func(ctx context.Context) (mifos.Amount, error) {
					t, err := w.api.LoanTxn(ctx, e.AccountID, id)
					return t.Amount, err
				})
			}
			return o, nil
		},
		refused: func(ctx context.Context, err error) outcome {
			if mifos.IsNotApprovedForDisbursal(err) {
				return w.notWaitingForDisbursal(ctx, e, err)
			}
			o := settled(store.JournalFailed, "Fineract refused the disbursement: "+reason(err)+"; "+paidByMobile)
			o.refusal = disbursalRefusal(err)
			return o
		},
	}
}

// disbursementLookup finds the disbursement with the entry's externalId
// on its loan and compares it with want. Undone in Fineract (the
// disbursement transaction reversed with its loan back to approved), it is
// not recorded again: a person looks.
func (w *Worker) disbursementLookup(e store.JournalEntry, want expected) func(ctx context.Context) (bool, outcome, error) {
	return func(ctx context.Context) (bool, outcome, error) {
		hit, found, err := w.findLoanTxn(ctx, e.AccountID, e.ExternalID)
		if err != nil || !found {
			return false, outcome{}, err
		}
		t := hit.txn
		if hit.reversed {
			o := settled(store.JournalFailed, fmt.Sprintf("disbursed in Fineract as transaction %d, but that disbursement has since been undone there; not recorded again", t.ID), t.ID)
			o.refusal = "the disbursement was recorded in Mifos and later undone there; " + paidByMobile + ": check"
			return true, o, nil
		}
		if !t.Disbursement {
			o := settled(store.JournalFailed, fmt.Sprintf("Fineract holds external id %s as transaction %d, which is not a disbursement; nothing was recorded, check in Mifos",
				e.ExternalID, t.ID), t.ID)
			o.refusal = "Mifos already has another kind of transaction with this disbursement's id; " + paidByMobile + ": check in Mifos"
			return true, o, nil
		}
		if how := want.differs(t.Amount, t.Date); how != "" {
			o := mismatch("a disbursement with external id "+e.ExternalID, t.ID, t.Amount, t.Date, want, how)
			o.refusal = "Mifos already has a disbursement with this id but with " + how + "; " + paidByMobile + ": check in Mifos"
			return true, o, nil
		}
		return true, settled(store.JournalDone, "found in Fineract by its external id", t.ID), nil
	}
}

// notWaitingForDisbursal settles a disbursement Fineract refused because
// the loan no longer waits for one, after the lookup found none of ours:
// someone else disbursed it (by cash, say) while the box paid it out by
// mobile money, or its approval was undone. The loan says which.
func (w *Worker) notWaitingForDisbursal(ctx context.Context, e store.JournalEntry, err error) outcome {
	app, rerr := call(w, ctx, func(ctx context.Context) (mifos.LoanApplication, error) {
		return w.api.LoanApplication(ctx, e.AccountID)
	})
	if rerr != nil && (mifos.IsRetryable(rerr) || mifos.Classify(rerr).Waits() || ctx.Err() != nil) {
		return outcome{why: "Fineract refused the disbursement (" + reason(err) + "); could not read the loan to say why: " + rerr.Error(), uncertain: true}
	}
	words := notWaiting
	why := "Fineract refused the disbursement, the loan is not waiting for one (" + reason(err) + ")"
	if rerr == nil {
		words = notWaitingWords(app.StatusID)
		why += fmt.Sprintf("; the loan is now status %d", app.StatusID)
		if !app.DisbursedOn.IsZero() {
			why += ", disbursed on " + app.DisbursedOn.String()
		}
	} else {
		why += "; the loan could not be read: " + rerr.Error()
	}
	o := settled(store.JournalFailed, why+"; no disbursement of ours is there; "+paidByMobile)
	o.refusal = words
	return o
}
