package posting

import (
	"context"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// What the posting worker asks Fineract, one small interface per kind of
// posting, declared here where it is used (the *mifos.HTTPClient has them
// all). Each posting kind posts and, after an unknown outcome, looks up.

// loanPoster posts a repayment, finds it again by its externalId, and
// reads back what Fineract posted.
type loanPoster interface {
	Repay(ctx context.Context, loanID int64, r mifos.Repayment, idempotencyKey string) (mifos.Result, error)
	LoanTxnByExternalID(ctx context.Context, loanID int64, externalID string) (mifos.LoanTxn, error)
	LoanTransactions(ctx context.Context, loanID int64) ([]mifos.LoanTxn, error)
	LoanTxn(ctx context.Context, loanID, txnID int64) (mifos.LoanTxn, error)
}

// depositPoster posts a savings deposit, finds it again by its receipt,
// and reads back what Fineract posted.
type depositPoster interface {
	Deposit(ctx context.Context, savingsID int64, d mifos.Deposit, idempotencyKey string) (mifos.Result, error)
	SavingsTransactions(ctx context.Context, savingsID int64) ([]mifos.SavingsTxn, error)
	SavingsDepositsOn(ctx context.Context, savingsID int64, on mifos.Date, offset, limit int) (mifos.SavingsTxnPage, error)
	SavingsTxn(ctx context.Context, savingsID, txnID int64) (mifos.SavingsTxn, error)
}

// disbursementPoster records in Fineract a loan the box paid out by mobile
// money (found again, like a repayment, through loanPoster's lookups), and
// reads the loan when Fineract answers that it no longer waits for that.
type disbursementPoster interface {
	Disburse(ctx context.Context, loanID int64, d mifos.Disbursement, idempotencyKey string) (mifos.Result, error)
	LoanApplication(ctx context.Context, loanID int64) (mifos.LoanApplication, error)
}

// sheetPoster saves a group's collection sheet.
type sheetPoster interface {
	SaveCollectionSheet(ctx context.Context, groupID int64, s mifos.SaveSheet, idempotencyKey string) (mifos.SheetResult, error)
}

// prober asks Fineract the cheapest question, to learn it answers again.
type prober interface {
	BusinessDate(ctx context.Context) (mifos.Date, error)
}

// auditReader learns what a checker decided about a held command, by the
// commandId its write answered with.
type auditReader interface {
	CommandAudit(ctx context.Context, commandID int64) (mifos.CommandAudit, error)
}

// Fineract is everything the worker asks.
type Fineract interface {
	loanPoster
	disbursementPoster
	depositPoster
	sheetPoster
	prober
	auditReader
}
