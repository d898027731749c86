package mifos

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

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

// The codes Fineract answers when a loan is not (or no longer) an
// application waiting for a decision: someone decided it already, or the
// answer to this very decision was lost. Re-read the loan (LoanApplication).
const (
	CodeApproveNotPending = "error.msg.loan.approve.account.is.not.submitted.and.pending.state"
	CodeRejectNotPending  = "error.msg.loan.reject.account.is.not.submitted.pending.approval.state"
	CodeNotAuthorized     = "error.msg.not.authorized"
)

// LoanApplication is a loan as its application shows it, whatever its
// status: what an approval page or a hook's SMS needs.
type LoanApplication struct {
	PendingLoan
	StatusID          int
	ProposedPrincipal Amount // what the client applied for
	// ApprovedPrincipal is what was approved (approvedPrincipal), which a
	// smaller disbursement later leaves as it is while Principal follows
	// the disbursement. Meaningful once ApprovedOn is set.
	ApprovedPrincipal Amount
	ApprovedOn        Date
	ApprovedBy        string // username
	RejectedOn        Date
	RejectedBy        string
	DisbursedOn       Date
}

// AsUser is a client for the same Fineract (address, TLS trust, tenant,
// timeout, locale, connection pool) that signs every request as username:
// a branch manager acting from the console, so that Fineract checks that
// user's permissions and office and records who approved. The user's
// credential is scrubbed from error texts as the box's is.
func (c *HTTPClient) AsUser(username, password string) *HTTPClient {
	userPass := username + ":" + password
	token := base64.StdEncoding.EncodeToString([]byte(userPass))
	u := *c
	u.auth = "Basic " + token
	u.username, u.password = username, password
	u.credentials = []credential{{token, isBase64Char}, {userPass, isWordChar}}
	u.observe = nil
	return &u
}

// AuthenticateUser is POST /authentication for another user than the
// box's (the console's sign-in). As with Authenticate, an error keeps only
// the status and Fineract's codes, never the answer's text; wrong
// credentials are a 401 (IsWrongCredentials).
func (c *HTTPClient) AuthenticateUser(ctx context.Context, username, password string) (User, error) {
	switch {
	case username == "" || password == "":
		return User{}, invalidf("sign-in: the user name and the password are required")
	case strings.ContainsAny(username, ":\r\n"):
		// Basic authentication cannot carry a colon in the user name.
		return User{}, invalidf("sign-in: the user name contains a character Fineract user names cannot have")
	case len(username) > 100 || len(password) > 200:
		return User{}, invalidf("sign-in: the user name or password is too long")
	}
	return c.AsUser(username, password).Authenticate(ctx)
}

// IsWrongCredentials reports Fineract refusing the user name or password
// (401).
func IsWrongCredentials(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == 401
}

// IsNotPermitted reports Fineract refusing the signed-in user the
// permission (or the office) for what was asked: 403 error.msg.not.authorized.
func IsNotPermitted(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == 403 && e.HasCode(CodeNotAuthorized)
}

// IsNotPending reports an approval or rejection of a loan that no longer
// waits for one (400).
func IsNotPending(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == 400 && (e.HasCode(CodeApproveNotPending) || e.HasCode(CodeRejectNotPending))
}

// loanAppWire is the part of LoanAccountData an application needs.
type loanAppWire struct {
	ID                int64      `json:"id"`
	AccountNo         flexString `json:"accountNo"`
	Status            statusID   `json:"status"`
	ClientID          int64      `json:"clientId"`
	ClientName        string     `json:"clientName"`
	ClientOfficeID    int64      `json:"clientOfficeId"`
	Group             *idName    `json:"group"`
	LoanProductName   string     `json:"loanProductName"`
	Principal         Amount     `json:"principal"`
	ProposedPrincipal Amount     `json:"proposedPrincipal"`
	ApprovedPrincipal Amount     `json:"approvedPrincipal"`
	Currency          Currency   `json:"currency"`
	LoanOfficerID     int64      `json:"loanOfficerId"`
	LoanOfficerName   string     `json:"loanOfficerName"`
	Timeline          struct {
		SubmittedOnDate          Date   `json:"submittedOnDate"`
		ExpectedDisbursementDate Date   `json:"expectedDisbursementDate"`
		ApprovedOnDate           Date   `json:"approvedOnDate"`
		ApprovedByUsername       string `json:"approvedByUsername"`
		RejectedOnDate           Date   `json:"rejectedOnDate"`
		RejectedByUsername       string `json:"rejectedByUsername"`
		ActualDisbursementDate   Date   `json:"actualDisbursementDate"`
	} `json:"timeline"`
}

type idName struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func (w loanAppWire) app() LoanApplication {
	p := PendingLoan{
		ID: w.ID, AccountNo: string(w.AccountNo), ClientID: w.ClientID, ClientName: w.ClientName,
		ProductName: w.LoanProductName, Principal: w.Principal, Currency: w.Currency, OfficerID: w.LoanOfficerID,
		OfficerName: w.LoanOfficerName, OfficeID: w.ClientOfficeID, SubmittedOn: w.Timeline.SubmittedOnDate,
		ExpectedDisbursement: w.Timeline.ExpectedDisbursementDate,
	}
	if w.Group != nil {
		p.GroupID, p.GroupName = w.Group.ID, w.Group.Name
	}
	proposed := w.ProposedPrincipal
	if proposed == 0 {
		proposed = w.Principal
	}
	approved := w.ApprovedPrincipal
	if approved == 0 {
		approved = w.Principal // a server that leaves the field out
	}
	return LoanApplication{PendingLoan: p, StatusID: w.Status.ID, ProposedPrincipal: proposed, ApprovedPrincipal: approved,
		ApprovedOn: w.Timeline.ApprovedOnDate, ApprovedBy: w.Timeline.ApprovedByUsername,
		RejectedOn: w.Timeline.RejectedOnDate, RejectedBy: w.Timeline.RejectedByUsername,
		DisbursedOn: w.Timeline.ActualDisbursementDate}
}

// LoanApplication is GET /loans/{id} read as an application (no
// associations): its status, amounts and who decided it.
func (c *HTTPClient) LoanApplication(ctx context.Context, loanID int64) (LoanApplication, error) {
	var w loanAppWire
	if _, err := c.do(ctx, request{method: "GET", path: "/loans/" + id(loanID)}, &w); err != nil {
		return LoanApplication{}, err
	}
	return w.app(), nil
}

// pendingPage is the page size asked for, and maxPendingPages bounds the
// walk should a server keep answering full pages.
const (
	pendingPage     = 200
	maxPendingPages = 50
)

// PendingLoans lists the loans submitted and pending approval (status
// 100) that the calling user's office hierarchy covers.
func (c *HTTPClient) PendingLoans(ctx context.Context) ([]PendingLoan, error) {
	apps, err := c.loansWithStatus(ctx, StatusPending)
	if err != nil {
		return nil, err
	}
	out := make([]PendingLoan, 0, len(apps))
	for _, a := range apps {
		out = append(out, a.PendingLoan)
	}
	return out, nil
}

// ApprovedLoans lists the loans approved and not yet disbursed (status
// 200) that the calling user's office hierarchy covers: the client, the
// group of a group loan, the loan officer, the approved principal
// (ApprovedPrincipal; Principal is the same until a disbursement), the
// currency with its decimals and inMultiplesOf, the approval date, the
// expected disbursement date and the account number. The client's mobile
// number is not part of a loan: read the client (Client).
func (c *HTTPClient) ApprovedLoans(ctx context.Context) ([]LoanApplication, error) {
	return c.loansWithStatus(ctx, StatusApproved)
}

// loansWithStatus is every page of GET /loans with the status filter in
// both forms: status=N (1.9 and later, which ignore sqlSearch) and
// sqlSearch=l.loan_status_id=N (1.8, which ignores status). Only loans of
// that status are kept, whatever the server did with the filters.
func (c *HTTPClient) loansWithStatus(ctx context.Context, status int) ([]LoanApplication, error) {
	var out []LoanApplication
	offset := 0
	for range maxPendingPages {
		var w struct {
			TotalFilteredRecords int           `json:"totalFilteredRecords"`
			PageItems            []loanAppWire `json:"pageItems"`
		}
		q := url.Values{"status": {strconv.Itoa(status)}, "sqlSearch": {"l.loan_status_id=" + strconv.Itoa(status)},
			"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(pendingPage)}}
		if _, err := c.do(ctx, request{method: "GET", path: "/loans", query: q}, &w); err != nil {
			return nil, err
		}
		for _, it := range w.PageItems {
			if it.Status.ID == status {
				out = append(out, it.app())
			}
		}
		offset += len(w.PageItems)
		if len(w.PageItems) == 0 || offset >= w.TotalFilteredRecords {
			return out, nil
		}
	}
	return out, fmt.Errorf("the Fineract server at %s listed more than %d loans; only the first %d were read",
		c.host, maxPendingPages*pendingPage, offset)
}

// ApproveLoan is POST /loans/{id}?command=approve, as the client's user.
// A zero Amount or ExpectedDisbursement leaves the application's.
func (c *HTTPClient) ApproveLoan(ctx context.Context, loanID int64, a Approval) (Result, error) {
	switch {
	case !a.On.valid():
		return Result{}, invalidf("approval: the date %s is not a calendar day", a.On)
	case a.Amount < 0:
		return Result{}, invalidf("approval: the approved amount cannot be negative")
	case !a.ExpectedDisbursement.IsZero() && !a.ExpectedDisbursement.valid():
		return Result{}, invalidf("approval: the expected disbursement date %s is not a calendar day", a.ExpectedDisbursement)
	case len([]rune(a.Note)) > 1000:
		return Result{}, invalidf("approval: the note is longer than 1000 characters")
	}
	body := map[string]any{"approvedOnDate": a.On, "dateFormat": dateFormat, "locale": c.locale}
	if a.Amount > 0 {
		body["approvedLoanAmount"] = a.Amount
	}
	if !a.ExpectedDisbursement.IsZero() {
		body["expectedDisbursementDate"] = a.ExpectedDisbursement
	}
	if a.Note != "" {
		body["note"] = a.Note
	}
	return c.command(ctx, "/loans/"+id(loanID), "approve", body, "")
}

// RejectLoan is POST /loans/{id}?command=reject, as the client's user.
func (c *HTTPClient) RejectLoan(ctx context.Context, loanID int64, r Rejection) (Result, error) {
	switch {
	case !r.On.valid():
		return Result{}, invalidf("rejection: the date %s is not a calendar day", r.On)
	case len([]rune(r.Note)) > 1000:
		return Result{}, invalidf("rejection: the note is longer than 1000 characters")
	}
	body := map[string]any{"rejectedOnDate": r.On, "dateFormat": dateFormat, "locale": c.locale}
	if r.Note != "" {
		body["note"] = r.Note
	}
	return c.command(ctx, "/loans/"+id(loanID), "reject", body, "")
}
