package handler

import (
	"context"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// What the handlers ask Fineract, in small interfaces declared here where
// they are used (the *mifos.HTTPClient has them all). Each handler's file
// says which it needs, so a test's fake implements only those.

// businessDay is the tenant's business date: "today" for postings.
type businessDay interface {
	BusinessDate(ctx context.Context) (mifos.Date, error)
}

// clientBook finds clients and their accounts.
type clientBook interface {
	ClientByRef(ctx context.Context, ref string) (mifos.ClientHit, error)
	Client(ctx context.Context, id int64) (mifos.Client, error)
	ClientAccounts(ctx context.Context, clientID int64) (mifos.Accounts, error)
}

// accountBook reads one loan or savings account.
type accountBook interface {
	Loan(ctx context.Context, loanID int64) (mifos.Loan, error)
	Savings(ctx context.Context, savingsID int64) (mifos.Savings, error)
}

// groupBook reads groups and the staff who run them.
type groupBook interface {
	Group(ctx context.Context, groupID int64) (mifos.Group, error)
	GroupsByStaff(ctx context.Context, staffID int64) ([]mifos.Group, error)
	Staff(ctx context.Context, staffID int64) (mifos.Staff, error)
}

// Fineract is everything the handlers ask: what Env.API must provide.
type Fineract interface {
	businessDay
	clientBook
	accountBook
	groupBook
	ClientsByPhone(ctx context.Context, phone string) ([]mifos.ClientHit, error)
	GenerateCollectionSheet(ctx context.Context, groupID, calendarID int64, date mifos.Date) (mifos.CollectionSheet, error)
}

// balanceAPI is what BAL asks: the client of a phone, their accounts and
// loans, and the business date (for what is overdue).
type balanceAPI interface {
	businessDay
	ClientsByPhone(ctx context.Context, phone string) ([]mifos.ClientHit, error)
	ClientAccounts(ctx context.Context, clientID int64) (mifos.Accounts, error)
	Loan(ctx context.Context, loanID int64) (mifos.Loan, error)
}

// reminderAPI is what a client's arrears reminder reads.
type reminderAPI interface {
	Client(ctx context.Context, id int64) (mifos.Client, error)
	ClientAccounts(ctx context.Context, clientID int64) (mifos.Accounts, error)
	Loan(ctx context.Context, loanID int64) (mifos.Loan, error)
}
