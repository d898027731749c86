package fineractsim

import (
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Client is a client to add with AddClient. Zero StatusID means 300 (active),
// zero OfficeID means office 1; empty AccountNo becomes the id padded to 9 digits.
type Client struct {
	ID             int64 // 0 = next free id
	AccountNo      string
	ExternalID     string
	Firstname      string
	Lastname       string
	DisplayName    string // default "Firstname Lastname"
	MobileNo       string // stored exactly as typed, like Fineract
	StatusID       int
	OfficeID       int64
	StaffID        int64
	ActivationDate time.Time
}

// Installment is one scheduled repayment. Paid (allocated penalties, fees,
// interest, principal) was repaid before the server started; it is recorded
// as a repayment transaction on the due date (or the business date if earlier).
type Installment struct {
	DueDate   time.Time
	Principal Amount
	Interest  Amount
	Fees      Amount
	Penalties Amount
	Paid      Amount
}

// Loan is a loan to add with AddLoan. Zero StatusID means 300 (active); an
// active loan needs DisbursedOn. GroupID makes it a JLG loan of that group
// (it then appears on the group's collection sheet).
type Loan struct {
	ID               int64
	AccountNo        string
	ExternalID       string
	ClientID         int64
	GroupID          int64
	ProductID        int64
	ProductName      string
	ShortProductName string
	StatusID         int
	LoanOfficerID    int64
	Currency         Currency // zero = KES
	Principal        Amount
	SubmittedOn      time.Time
	// ExpectedDisbursement is the date the application asks for (zero:
	// the submission date).
	ExpectedDisbursement time.Time
	// ApprovedOn records an approval for a loan added as approved (status
	// 200); zero there means the submission date. Ignored otherwise.
	ApprovedOn  time.Time
	DisbursedOn time.Time
	// RepaymentEvery and RepaymentFrequency are the loan's repayment
	// period (Fineract's repaymentEvery, repaymentFrequencyType): zero
	// values mean every 1 month.
	RepaymentEvery     int
	RepaymentFrequency Frequency
	// FirstRepaymentOn is the application's fixed first repayment date
	// (repaymentsStartingFromDate); zero: one period after disbursement.
	FirstRepaymentOn time.Time
	// Installments is the schedule. An application (status 100 or 200)
	// may leave it empty and give NumberOfRepayments and
	// AnnualInterestRate instead: the schedule is then generated from the
	// expected disbursement date, as Fineract does at submission.
	Installments []Installment
	// NumberOfRepayments is how many installments a generated schedule has.
	NumberOfRepayments int
	// AnnualInterestRate is a generated schedule's flat interest, in
	// percent a year (MustAmount("25") is 25 %).
	AnnualInterestRate Amount
}

// Frequency is a loan's repayment period unit (Fineract's
// repaymentFrequencyType); the zero value is months.
type Frequency int

const (
	Monthly Frequency = iota
	Weekly
	Daily
)

// enum is Fineract's PeriodFrequencyType object for f.
func (f Frequency) enum() enum {
	switch f {
	case Weekly:
		return enum{1, "repaymentFrequency.periodFrequencyType.weeks", "Weeks"}
	case Daily:
		return enum{0, "repaymentFrequency.periodFrequencyType.days", "Days"}
	}
	return enum{2, "repaymentFrequency.periodFrequencyType.months", "Months"}
}

// Savings is a savings account to add with AddSavings. Balance is posted as an
// opening deposit on ActivatedOn.
type Savings struct {
	ID               int64
	AccountNo        string
	ExternalID       string
	ClientID         int64
	ProductID        int64
	ProductName      string
	ShortProductName string
	StatusID         int // 0 = 300 active
	// DepositType is Fineract's deposit_type_enum: 100 savings (also 0),
	// 200 fixed deposit, 300 recurring deposit. All three are listed in a
	// client's savingsAccounts; only savings have transactions listed.
	DepositType        int
	Currency           Currency // zero = KES
	Balance            Amount
	OnHold             Amount
	MinRequiredBalance Amount
	ActivatedOn        time.Time
}

// Calendar is a group's weekly collection meeting.
type Calendar struct {
	ID        int64
	Title     string
	StartDate time.Time
	Weekday   time.Weekday
	Interval  int // weeks; 0 = 1
}

// Group is a group to add with AddGroup.
type Group struct {
	ID         int64
	AccountNo  string
	ExternalID string
	Name       string
	OfficeID   int64
	StaffID    int64
	ClientIDs  []int64
	Meeting    *Calendar
}

// Staff is a staff member (loan officer) to add with AddStaff.
type Staff struct {
	ID            int64
	Firstname     string
	Lastname      string
	DisplayName   string
	MobileNo      string
	OfficeID      int64
	IsLoanOfficer bool
	Inactive      bool
}

// LoanTxn is a loan transaction as stored (for test inspection).
type LoanTxn struct {
	ID            int64
	LoanID        int64
	Type          string // "Disbursement" or "Repayment"
	Date          time.Time
	Amount        Amount
	Principal     Amount
	Interest      Amount
	Fees          Amount
	Penalties     Amount
	Overpayment   Amount
	Outstanding   Amount // principal outstanding after the transaction (outstandingLoanBalance)
	ExternalID    string
	PaymentTypeID int64
	ReceiptNumber string
	Note          string
	SubmittedOn   time.Time
	// Reversed: undone. ManuallyReversed: by a person's adjustment (it then
	// stays in the loan's transactions); a reversal Fineract makes itself
	// (undoing a disbursal) leaves it false and the externalId in place.
	Reversed, ManuallyReversed bool
}

// SavingsTxn is a savings transaction as stored.
type SavingsTxn struct {
	ID             int64
	SavingsID      int64
	Type           string // "Deposit"
	Date           time.Time
	Amount         Amount
	RunningBalance Amount
	PaymentTypeID  int64
	ReceiptNumber  string
	Note           string
	SubmittedOn    time.Time
	// Reversed: undone (command=undo or reverse). IsReversal: the copy that
	// command=reverse adds, same type, date and payment details (receipt
	// included), not itself reversed.
	Reversed, IsReversal bool
}

// RequestLog is one request the server received (any outcome).
type RequestLog struct {
	Method string
	Path   string
	Query  string
	Body   []byte
	Header http.Header
}

// loanState is a Loan plus what repayments did to it.
type loanState struct {
	Loan
	// proposedPrincipal is what the client applied for, when approval
	// or disbursal changed the principal (zero: Principal).
	proposedPrincipal Amount
	// approvedPrincipal is what the approval set (zero: Principal): a
	// smaller disbursement changes Principal and leaves it.
	approvedPrincipal Amount
	inst              []instState
	overpaid          Amount
	closedOn          time.Time
}

type instState struct {
	Installment
	principalPaid, interestPaid, feesPaid, penaltiesPaid Amount
	paidInAdvance, paidLate                              Amount
	metOn                                                time.Time
}

func (i *instState) due() Amount { return i.Principal + i.Interest + i.Fees + i.Penalties }
func (i *instState) paid() Amount {
	return i.principalPaid + i.interestPaid + i.feesPaid + i.penaltiesPaid
}
func (i *instState) outstanding() Amount { return i.due() - i.paid() }

type savingsState struct {
	Savings
	balance  Amount
	deposits Amount
	txns     []*SavingsTxn
}

// disbursed: the loan was paid out (active, closed or overpaid); an
// application, approved or not, withdrawn or rejected, was not.
func (l *loanState) disbursed() bool {
	return l.StatusID >= 300 && l.StatusID != 400 && l.StatusID != 500
}

func (l *loanState) totalOutstanding() Amount {
	var t Amount
	for i := range l.inst {
		t += l.inst[i].outstanding()
	}
	return t
}

func (l *loanState) principalOutstanding() Amount {
	var t Amount
	for i := range l.inst {
		t += l.inst[i].Principal - l.inst[i].principalPaid
	}
	return t
}

// allocation is how one repayment splits across components.
type allocation struct {
	principal, interest, fees, penalties, overpayment Amount
}

// applyRepayment allocates amt to installments in due-date order, and within
// an installment penalties, fees, interest, then principal (Fineract's default
// "mifos-standard-strategy"); what is left over makes the loan overpaid.
func (l *loanState) applyRepayment(amt Amount, on time.Time) allocation {
	var a allocation
	left := amt
	take := func(due, paid *Amount) Amount {
		n := min(left, *due-*paid)
		*paid += n
		left -= n
		return n
	}
	for i := range l.inst {
		in := &l.inst[i]
		if left == 0 {
			break
		}
		if in.outstanding() == 0 {
			continue
		}
		before := in.paid()
		a.penalties += take(&in.Penalties, &in.penaltiesPaid)
		a.fees += take(&in.Fees, &in.feesPaid)
		a.interest += take(&in.Interest, &in.interestPaid)
		a.principal += take(&in.Principal, &in.principalPaid)
		got := in.paid() - before
		switch {
		case on.Before(in.DueDate):
			in.paidInAdvance += got
		case on.After(in.DueDate):
			in.paidLate += got
		}
		if in.outstanding() == 0 {
			in.metOn = on
		}
	}
	a.overpayment = left
	l.overpaid += left
	switch {
	case l.overpaid > 0:
		l.StatusID = 700
	case l.totalOutstanding() == 0:
		l.StatusID = 600
		l.closedOn = on
	}
	return a
}

// reallocate rebuilds what the loan's repayments paid from its transactions
// that stand, in order, as Fineract reprocesses a loan after a reversal.
func (s *Server) reallocate(l *loanState) {
	for i := range l.inst {
		in := &l.inst[i]
		in.principalPaid, in.interestPaid, in.feesPaid, in.penaltiesPaid = 0, 0, 0, 0
		in.paidInAdvance, in.paidLate, in.metOn = 0, 0, time.Time{}
	}
	l.overpaid, l.closedOn = 0, time.Time{}
	if l.StatusID == 600 || l.StatusID == 700 {
		l.StatusID = 300
	}
	for _, t := range s.loanTxns {
		if t.LoanID != l.ID || t.Type != "Repayment" || t.Reversed {
			continue
		}
		a := l.applyRepayment(t.Amount, t.Date)
		t.Principal, t.Interest, t.Fees, t.Penalties, t.Overpayment = a.principal, a.interest, a.fees, a.penalties, a.overpayment
		t.Outstanding = l.principalOutstanding()
	}
}

func accountNo(id int64) string { return fmt.Sprintf("%09d", id) }

func sortedKeys[V any](m map[int64]V) []int64 {
	ks := make([]int64, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
