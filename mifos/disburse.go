package mifos

import (
	"context"
	"errors"
)

// Recording in Fineract a loan the box paid out to the client's mobile
// wallet (docs/fineract.md, "Disbursement").

// Disbursement is the body of POST /loans/{id}?command=disburse.
type Disbursement struct {
	Date   Date   // actualDisbursementDate: the day the money went out
	Amount Amount // transactionAmount: the principal paid out
	// PaymentTypeID is Fineract's payment type of the disbursement (the
	// MFI's "mobile money" one). Fineract keeps the payment details,
	// ReceiptNumber among them, only with a payment type.
	PaymentTypeID int64
	// ExternalID is the disbursement transaction's externalId (<= 100),
	// unique over all loan transactions: what finds it again, and what
	// refuses a second one.
	ExternalID string
	// ReceiptNumber (<= 50) is the operator's confirmation number.
	ReceiptNumber string
	Note          string
}

// The codes of Fineract's refusals of a disbursement that the box acts on.
const (
	// CodeDisbursalNotApproved (400): the loan is not approved and waiting
	// for disbursal: already disbursed (by someone else, or by an attempt
	// whose answer was lost), or its approval undone, or rejected.
	CodeDisbursalNotApproved = "error.msg.loan.disbursal.account.is.not.approve.not.disbursed.state"
	// CodeDisbursalAboveApproved (403): the amount is more than the
	// approved principal.
	CodeDisbursalAboveApproved = "error.msg.loan.disburse.amount.must.be.less.than.approved.amount"
	// CodeDisbursalAfterFirstRepayment (403): the application fixed a first
	// repayment date, and the disbursement is after it.
	CodeDisbursalAfterFirstRepayment = "error.msg.loan.disbursal.cannot.be.after.expected.first.repayment.date"
	// CodeDisbursalBeforeApproval (403): dated before the approval.
	CodeDisbursalBeforeApproval = "error.msg.loan.disbursal.cannot.be.before.approval.date"
)

// IsNotApprovedForDisbursal reports Fineract refusing a disbursement
// because the loan is not approved and waiting for one.
func IsNotApprovedForDisbursal(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == 400 && e.HasCode(CodeDisbursalNotApproved)
}

// Disburse is POST /loans/{id}?command=disburse (permission DISBURSE_LOAN).
// The result's ResourceID is the loan; SubResourceID is the disbursement
// transaction (Fineract 1.9+). Every input is checked first, as for a
// repayment: a date that is a calendar day, an amount above zero, an
// Idempotency-Key, an externalId (required here: without it the
// disbursement could not be found again), the field lengths, and a payment
// type whenever a receipt number is given, since Fineract would drop the
// receipt without one.
func (c *HTTPClient) Disburse(ctx context.Context, loanID int64, d Disbursement, idempotencyKey string) (Result, error) {
	const what = "disbursement"
	if err := checkTxn(what, d.Date, d.Amount, idempotencyKey, d.ReceiptNumber, d.Note); err != nil {
		return Result{}, err
	}
	switch {
	case d.ExternalID == "":
		return Result{}, invalidf("%s: an external id is required so the disbursement can be found again", what)
	case len(d.ExternalID) > 100:
		return Result{}, invalidf("%s: the external id is longer than 100 characters", what)
	case d.PaymentTypeID < 0:
		return Result{}, invalidf("%s: the payment type id cannot be negative", what)
	case d.ReceiptNumber != "" && d.PaymentTypeID == 0:
		return Result{}, invalidf("%s: a receipt number needs a payment type (Fineract drops payment details without one)", what)
	}
	body := map[string]any{
		"actualDisbursementDate": d.Date,
		"transactionAmount":      d.Amount,
		"externalId":             d.ExternalID,
		"dateFormat":             dateFormat,
		"locale":                 c.locale,
	}
	if d.PaymentTypeID > 0 {
		body["paymentTypeId"] = d.PaymentTypeID
	}
	if d.ReceiptNumber != "" {
		body["receiptNumber"] = d.ReceiptNumber
	}
	if d.Note != "" {
		body["note"] = d.Note
	}
	return c.command(ctx, "/loans/"+id(loanID), "disburse", body, idempotencyKey)
}
