package daemon

import (
	"context"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/ops"
)

// Every Fineract request the daemon makes passes one of these wrappers, so
// that /metrics counts requests and errors (by mifos.Classify's class) and
// /healthz knows the link's state in one place, without the handlers, the
// posting worker or the client knowing of metrics. Methods a later
// Fineract interface adds pass through the embedded value uncounted until
// they are listed here.

// meteredFineract counts the handlers' and the posting worker's requests.
type meteredFineract struct {
	Fineract
	m *ops.Metrics
}

// meteredSetup counts the setup check's requests.
type meteredSetup struct {
	setupAPI
	m *ops.Metrics
}

func (f meteredFineract) BusinessDate(ctx context.Context) (mifos.Date, error) {
	v, err := f.Fineract.BusinessDate(ctx)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) Client(ctx context.Context, id int64) (mifos.Client, error) {
	v, err := f.Fineract.Client(ctx, id)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) ClientAccounts(ctx context.Context, clientID int64) (mifos.Accounts, error) {
	v, err := f.Fineract.ClientAccounts(ctx, clientID)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) ClientByRef(ctx context.Context, ref string) (mifos.ClientHit, error) {
	v, err := f.Fineract.ClientByRef(ctx, ref)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) ClientsByPhone(ctx context.Context, phone string) ([]mifos.ClientHit, error) {
	v, err := f.Fineract.ClientsByPhone(ctx, phone)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) CommandAudit(ctx context.Context, commandID int64) (mifos.CommandAudit, error) {
	v, err := f.Fineract.CommandAudit(ctx, commandID)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) Deposit(ctx context.Context, savingsID int64, d mifos.Deposit, idempotencyKey string) (mifos.Result, error) {
	v, err := f.Fineract.Deposit(ctx, savingsID, d, idempotencyKey)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) GenerateCollectionSheet(ctx context.Context, groupID, calendarID int64, date mifos.Date) (mifos.CollectionSheet, error) {
	v, err := f.Fineract.GenerateCollectionSheet(ctx, groupID, calendarID, date)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) Group(ctx context.Context, groupID int64) (mifos.Group, error) {
	v, err := f.Fineract.Group(ctx, groupID)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) GroupsByStaff(ctx context.Context, staffID int64) ([]mifos.Group, error) {
	v, err := f.Fineract.GroupsByStaff(ctx, staffID)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) Loan(ctx context.Context, loanID int64) (mifos.Loan, error) {
	v, err := f.Fineract.Loan(ctx, loanID)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) LoanTransactions(ctx context.Context, loanID int64) ([]mifos.LoanTxn, error) {
	v, err := f.Fineract.LoanTransactions(ctx, loanID)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) LoanTxn(ctx context.Context, loanID, txnID int64) (mifos.LoanTxn, error) {
	v, err := f.Fineract.LoanTxn(ctx, loanID, txnID)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) LoanTxnByExternalID(ctx context.Context, loanID int64, externalID string) (mifos.LoanTxn, error) {
	v, err := f.Fineract.LoanTxnByExternalID(ctx, loanID, externalID)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) Repay(ctx context.Context, loanID int64, r mifos.Repayment, idempotencyKey string) (mifos.Result, error) {
	v, err := f.Fineract.Repay(ctx, loanID, r, idempotencyKey)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) SaveCollectionSheet(ctx context.Context, groupID int64, s mifos.SaveSheet, idempotencyKey string) (mifos.SheetResult, error) {
	v, err := f.Fineract.SaveCollectionSheet(ctx, groupID, s, idempotencyKey)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) Savings(ctx context.Context, savingsID int64) (mifos.Savings, error) {
	v, err := f.Fineract.Savings(ctx, savingsID)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) SavingsDepositsOn(ctx context.Context, savingsID int64, on mifos.Date, offset, limit int) (mifos.SavingsTxnPage, error) {
	v, err := f.Fineract.SavingsDepositsOn(ctx, savingsID, on, offset, limit)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) SavingsTransactions(ctx context.Context, savingsID int64) ([]mifos.SavingsTxn, error) {
	v, err := f.Fineract.SavingsTransactions(ctx, savingsID)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) SavingsTxn(ctx context.Context, savingsID, txnID int64) (mifos.SavingsTxn, error) {
	v, err := f.Fineract.SavingsTxn(ctx, savingsID, txnID)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredFineract) Staff(ctx context.Context, staffID int64) (mifos.Staff, error) {
	v, err := f.Fineract.Staff(ctx, staffID)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredSetup) Authenticate(ctx context.Context) (mifos.User, error) {
	v, err := f.setupAPI.Authenticate(ctx)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredSetup) BusinessDate(ctx context.Context) (mifos.Date, error) {
	v, err := f.setupAPI.BusinessDate(ctx)
	f.m.FineractAnswer(ctx, err)
	return v, err
}

func (f meteredSetup) PaymentType(ctx context.Context, id int64) (string, error) {
	v, err := f.setupAPI.PaymentType(ctx, id)
	f.m.FineractAnswer(ctx, err)
	return v, err
}
