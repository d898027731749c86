// Package mifos is a typed client for the Apache Fineract (Mifos X) REST API
// calls the branch daemon needs; docs/fineract.md describes each call and its rules.
//
// Amounts are exact (Amount, in millionths); dates are calendar dates (Date,
// [y,m,d] on the wire); errors are *Error with Fineract's status and codes.
package mifos

import (
	"context"
	"time"
)

// Amount is an exact money amount in millionths of the currency unit
// (Fineract returns 6 decimals). 1500.50 is Amount(1500500000).
type Amount int64

// Date is a calendar date in the tenant's time zone; on the wire it is
// [y,m,d] in responses and "yyyy-MM-dd" (with dateFormat+locale) in bodies.
type Date struct{ Year, Month, Day int }

// Status is Fineract's {id, code, value} enum object.
type Status struct {
	ID    int    `json:"id"`
	Code  string `json:"code"`
	Value string `json:"value"`
}

// Currency is the subset of Fineract's currency object the daemon uses.
type Currency struct {
	Code          string `json:"code"`
	DecimalPlaces int    `json:"decimalPlaces"`
	// InMultiplesOf: for a currency without decimals Fineract rounds every
	// amount it posts to the nearest multiple of this (a tie goes up), so
	// 1,050 posts as 1,100 when it is 100. 0 or 1: whole units.
	InMultiplesOf int    `json:"inMultiplesOf"`
	DisplaySymbol string `json:"displaySymbol"`
}

// ClientHit is one client found by phone, account number or external id.
type ClientHit struct {
	ID          int64
	AccountNo   string
	ExternalID  string
	DisplayName string
	MobileNo    string
	StatusID    int // 300 = active
	OfficeID    int64
}

// Client is GET /clients/{id}.
type Client struct {
	ID          int64
	AccountNo   string
	ExternalID  string
	DisplayName string
	MobileNo    string
	StatusID    int
	OfficeID    int64
	StaffID     int64
	GroupIDs    []int64
}

// LoanSummary is one entry of GET /clients/{id}/accounts loanAccounts[].
type LoanSummary struct {
	ID                     int64
	AccountNo              string
	ProductName            string
	StatusID               int // 300 active
	Currency               Currency
	LoanBalance            Amount // missing = 0
	InArrears              bool
	ActualDisbursementDate Date // zero if not disbursed (timeline.actualDisbursementDate)
}

// SavingsSummary is one entry of savingsAccounts[].
type SavingsSummary struct {
	ID             int64
	AccountNo      string
	ProductName    string
	StatusID       int // 300 active
	Currency       Currency
	AccountBalance Amount // missing = 0
	// DepositType is depositType.id: 100 savings, 200 fixed deposit, 300
	// recurring deposit (0: not given; taken for savings).
	DepositType int
}

// Plain reports a plain savings account (depositType 100): the only kind
// whose transactions Fineract lists, so the only kind a deposit can be
// found again in.
func (s SavingsSummary) Plain() bool { return s.DepositType == 0 || s.DepositType == 100 }

// Accounts is GET /clients/{id}/accounts.
type Accounts struct {
	Loans   []LoanSummary
	Savings []SavingsSummary
}

// Period is one installment row of a repayment schedule (disbursement rows,
// which have no "period" key, are not included).
type Period struct {
	Number           int
	DueDate          Date
	Complete         bool
	TotalDue         Amount // totalDueForPeriod
	TotalOutstanding Amount // totalOutstandingForPeriod
}

// Loan is GET /loans/{id}?associations=repaymentSchedule.
type Loan struct {
	ID               int64
	AccountNo        string
	ExternalID       string
	StatusID         int
	ClientID         int64
	ClientName       string
	ProductName      string
	LoanOfficerID    int64
	Currency         Currency
	TotalOutstanding Amount // summary.totalOutstanding
	// PrincipalDisbursed is summary.principalDisbursed: what was paid out
	// (every tranche so far); zero while the loan is not disbursed, as
	// Fineract writes no summary then.
	PrincipalDisbursed Amount
	Periods            []Period
}

// Savings is GET /savingsaccounts/{id}.
type Savings struct {
	ID               int64
	AccountNo        string
	StatusID         int
	ClientID         int64
	ProductName      string
	Currency         Currency
	AccountBalance   Amount // summary.accountBalance
	AvailableBalance Amount // summary.availableBalance
}

// SavingsTxn is one savings transaction (associations=transactions).
type SavingsTxn struct {
	ID       int64
	Date     Date
	Amount   Amount
	Reversed bool
	// IsReversal marks the copy Fineract adds when it reverses a
	// transaction (same type, date and receipt; not itself reversed).
	IsReversal    bool
	ReceiptNumber string // paymentDetailData.receiptNumber
	TypeValue     string // transactionType.value
}

// SavingsTxnPage is one page of GET /savingsaccounts/{id}/transactions/search.
type SavingsTxnPage struct {
	Txns  []SavingsTxn
	Total int // every transaction the search matched, over all pages
}

// LoanTxn is one loan transaction: GET /loans/{loanId}/transactions/{id}
// or /external-id/{externalId}.
type LoanTxn struct {
	ID                 int64
	ExternalID         string
	Date               Date
	Amount             Amount
	ManuallyReversed   bool
	OutstandingBalance Amount // outstandingLoanBalance
	// Disbursement is type.disbursement: the transaction pays the loan
	// out (a repayment and the others are false).
	Disbursement bool
	// PaymentTypeID and ReceiptNumber are its payment details
	// (paymentDetailData); Fineract keeps none without a payment type.
	PaymentTypeID int64
	ReceiptNumber string
}

// Repayment is the body of POST /loans/{id}/transactions?command=repayment.
type Repayment struct {
	Date          Date
	Amount        Amount
	PaymentTypeID int64  // 0 = omit
	ExternalID    string // deterministic, <= 100 chars
	ReceiptNumber string // <= 50 chars, optional
	Note          string // optional
}

// Deposit is the body of POST /savingsaccounts/{id}/transactions?command=deposit.
type Deposit struct {
	Date          Date
	Amount        Amount
	PaymentTypeID int64  // required by Fineract >= 1.8
	ReceiptNumber string // <= 50 chars: our unique token, used to find it again
	Note          string
}

// Result is a CommandProcessingResult.
type Result struct {
	ResourceID int64 // the new transaction id; for a loan command (Disburse) the loan's
	// SubResourceID is subResourceId: for a disbursement the disbursement
	// transaction's id (Fineract 1.9+; 0 from an older server).
	SubResourceID      int64
	CommandID          int64
	PendingApproval    bool // rollbackTransaction: true (maker-checker)
	ServedFromCache    bool // x-served-from-cache: true
	ResourceExternalID string
}

// Calendar is a group's collection meeting calendar.
type Calendar struct {
	ID                 int64
	Title              string
	NextRecurringDates []Date // nextTenRecurringDates, from the tenant's today
	// RecurringDates are the meetings from the calendar's start (at most a
	// year back) to a year ahead, in no promised order: the past ones say
	// which meeting a collection belongs to.
	RecurringDates []Date
	HumanReadable  string
}

// Staff is GET /staff/{id}.
type Staff struct {
	ID          int64
	DisplayName string
	OfficeID    int64
	Active      bool
}

// Group is GET /groups/{id}?associations=clientMembers,collectionMeetingCalendar.
type Group struct {
	ID        int64
	Name      string
	StaffID   int64
	OfficeID  int64
	ClientIDs []int64
	Meeting   *Calendar // nil when the group has no meeting calendar
}

// SheetLoan is one loan due in a collection sheet.
type SheetLoan struct {
	LoanID    int64
	AccountNo string // accountId
	Product   string // productShortName
	TotalDue  Amount
	Currency  Currency
}

// SheetSavings is one savings due in a collection sheet.
type SheetSavings struct {
	SavingsID          int64
	AccountNo          string
	DueAmount          Amount
	DepositAccountType string
	Currency           Currency
}

// SheetClient is one client of a collection sheet.
type SheetClient struct {
	ClientID   int64
	ClientName string
	Loans      []SheetLoan
	Savings    []SheetSavings
}

// CollectionSheet is the generated JLG collection sheet for one group meeting.
type CollectionSheet struct {
	DueDate    Date
	CalendarID int64
	GroupID    int64
	Clients    []SheetClient
}

// SheetRepayment and SheetDeposit are the items of a saveCollectionSheet body.
type SheetRepayment struct {
	LoanID     int64
	Amount     Amount
	ExternalID string
}

// SheetDeposit is one bulkSavingsDueTransactions item.
type SheetDeposit struct {
	SavingsID          int64
	Amount             Amount
	DepositAccountType string
}

// SaveSheet is the body of POST /groups/{id}?command=saveCollectionSheet.
type SaveSheet struct {
	Date          Date
	CalendarID    int64
	PaymentTypeID int64
	// ReceiptNumber (<= 50 chars) goes into the sheet's payment details,
	// which Fineract gives every item when PaymentTypeID is set: the token
	// to find the sheet's deposits again.
	ReceiptNumber string `json:",omitempty"`
	Repayments    []SheetRepayment
	Deposits      []SheetDeposit
	Note          string
}

// SheetResult is the saveCollectionSheet response: the new transaction ids.
type SheetResult struct {
	LoanTransactionIDs    []int64
	SavingsTransactionIDs []int64
	// CommandID is the command's audit id: with PendingApproval, what
	// GET /audits/{id} tells the checker's decision by.
	CommandID       int64
	PendingApproval bool
	ServedFromCache bool
}

// Config configures a Client.
type Config struct {
	BaseURL  string // e.g. https://host:8443/fineract-provider/api/v1
	Tenant   string
	Username string
	Password string
	// CAFile trusts an extra CA (PEM) for a self-signed server certificate.
	CAFile string
	// PinSHA256 pins the server certificate (hex SHA-256 of its DER); "" =
	// no pin. Alone it trusts exactly that certificate (for a self-signed
	// server) if it is valid for the base URL's host and in force; with
	// CAFile it is checked on top of the chain.
	PinSHA256 string
	// InsecureHTTP allows an http:// BaseURL to another machine; without it
	// plain http is accepted only to this machine (localhost, 127.0.0.0/8, ::1).
	InsecureHTTP bool
	Timeout      time.Duration // per request; default 20s
	Locale       string        // default "en"
	// Observe, when set, hears how every request made with the box's own
	// credentials ended (nil: answered 2xx): the one place /metrics and
	// /healthz learn of the link. Requests made as another user (AsUser)
	// are not heard: a person's wrong password says nothing of the link.
	Observe func(ctx context.Context, err error)
}
