package mifos

// Loans waiting for approval, and the approval or rejection a branch
// manager gives them from the console, performed in Fineract as that
// manager (docs/fineract.md, "Loan approval").

// PendingLoan is a loan application submitted and not yet approved
// (loan status 100).
type PendingLoan struct {
	ID          int64
	AccountNo   string
	ClientID    int64
	ClientName  string
	GroupID     int64
	GroupName   string
	ProductName string
	Principal   Amount
	Currency    Currency
	OfficerID   int64
	OfficerName string
	OfficeID    int64
	SubmittedOn Date
	// ExpectedDisbursement is the date the application asks for.
	ExpectedDisbursement Date
}

// Approval is the body of POST /loans/{id}?command=approve.
type Approval struct {
	On                   Date   // approvedOnDate
	Amount               Amount // approvedLoanAmount; zero keeps the applied principal
	ExpectedDisbursement Date   // expectedDisbursementDate; zero keeps the application's
	Note                 string
}

// Rejection is the body of POST /loans/{id}?command=reject.
type Rejection struct {
	On   Date // rejectedOnDate
	Note string
}
