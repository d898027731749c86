package mifos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// flexString reads a JSON string, number, {"value": ...} object (how some
// versions serialise ExternalId) or null as a plain string.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case b[0] == '{':
		var o struct {
			Value flexString `json:"value"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		*f = o.Value
	default:
		*f = flexString(b)
	}
	return nil
}

type idOnly struct {
	ID int64 `json:"id"`
}

type statusID struct {
	ID int `json:"id"`
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// BusinessDate is GET /businessdate/BUSINESS_DATE.
func (c *HTTPClient) BusinessDate(ctx context.Context) (Date, error) {
	var w struct {
		Date Date `json:"date"`
	}
	if _, err := c.do(ctx, request{method: "GET", path: "/businessdate/BUSINESS_DATE"}, &w); err != nil {
		return Date{}, err
	}
	if w.Date.IsZero() {
		return Date{}, errors.New("the Fineract server sent a business date without a date")
	}
	return w.Date, nil
}

// searchHit is one GET /search result.
type searchHit struct {
	EntityID         int64      `json:"entityId"`
	EntityAccountNo  flexString `json:"entityAccountNo"`
	EntityExternalID flexString `json:"entityExternalId"`
	EntityName       string     `json:"entityName"`
	EntityType       string     `json:"entityType"`
	EntityMobileNo   string     `json:"entityMobileNo"`
	EntityStatus     statusID   `json:"entityStatus"`
	ParentID         int64      `json:"parentId"`
}

func (h searchHit) hit() ClientHit {
	return ClientHit{
		ID: h.EntityID, AccountNo: string(h.EntityAccountNo), ExternalID: string(h.EntityExternalID),
		DisplayName: h.EntityName, MobileNo: h.EntityMobileNo, StatusID: h.EntityStatus.ID, OfficeID: h.ParentID,
	}
}

func (c *HTTPClient) searchClients(ctx context.Context, query string) ([]searchHit, error) {
	var hits []searchHit
	q := url.Values{"query": {query}, "resource": {"clients"}, "exactMatch": {"true"}}
	_, err := c.do(ctx, request{method: "GET", path: "/search", query: q}, &hits)
	return hits, err
}

// sanitizePhone keeps only '+' and digits: '%' and '_' would be LIKE
// wildcards in the v2 search, and Fineract compares stored text exactly.
func sanitizePhone(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '+' || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, s)
}

// ClientsByPhone finds the clients whose stored mobileNo is exactly phone
// (after keeping only '+' and digits), by /search first and the v2 search
// when that finds nothing. No match is an empty list, not an error.
func (c *HTTPClient) ClientsByPhone(ctx context.Context, phone string) ([]ClientHit, error) {
	phone = sanitizePhone(phone)
	if strings.Trim(phone, "+") == "" {
		return nil, errors.New("the phone number has no digits")
	}
	hits, err := c.searchClients(ctx, phone)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	var out []ClientHit
	for _, h := range hits {
		if h.EntityType == "CLIENT" && h.EntityMobileNo == phone {
			out = append(out, h.hit())
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	return c.clientsByPhoneV2(ctx, phone)
}

// clientsByPhoneV2 is POST /v2/clients/search (Fineract 1.9+); a server
// without it (404/405) just has no more matches.
func (c *HTTPClient) clientsByPhoneV2(ctx context.Context, phone string) ([]ClientHit, error) {
	body := map[string]any{
		"request": map[string]any{"text": phone},
		"page":    0,
		"size":    50,
		"sorts":   []map[string]string{{"direction": "ASC", "property": "id"}},
	}
	var w struct {
		Content []struct {
			ID            int64      `json:"id"`
			DisplayName   string     `json:"displayName"`
			ExternalID    flexString `json:"externalId"`
			AccountNumber flexString `json:"accountNumber"`
			OfficeID      int64      `json:"officeId"`
			MobileNo      string     `json:"mobileNo"`
			Status        statusID   `json:"status"`
		} `json:"content"`
	}
	_, err := c.do(ctx, request{method: "POST", path: "/clients/search", body: body, v2: true}, &w)
	var e *Error
	if errors.As(err, &e) && (e.Status == 404 || e.Status == 405) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []ClientHit
	for _, it := range w.Content {
		if it.MobileNo == phone {
			out = append(out, ClientHit{
				ID: it.ID, AccountNo: string(it.AccountNumber), ExternalID: string(it.ExternalID),
				DisplayName: it.DisplayName, MobileNo: it.MobileNo, StatusID: it.Status.ID, OfficeID: it.OfficeID,
			})
		}
	}
	return out, nil
}

// accountNoLen is Fineract's default account number width (zero padded).
const accountNoLen = 9

// ClientByRef finds a client by account number (leading zeros optional) or
// external id. Absent is an *Error with status 404 (errors.Is ErrNotFound).
func (c *HTTPClient) ClientByRef(ctx context.Context, ref string) (ClientHit, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ClientHit{}, errors.New("the client reference is empty")
	}
	// The search is an exact SQL match, so "42" finds account "000000042"
	// only when asked with the padding too.
	queries := []string{ref}
	if allDigits(ref) {
		bare := strings.TrimLeft(ref, "0")
		if len(bare) < accountNoLen && bare != "" {
			padded := strings.Repeat("0", accountNoLen-len(bare)) + bare
			if padded != ref {
				queries = append(queries, padded)
			}
		}
		if bare != ref && bare != "" {
			queries = append(queries, bare)
		}
	}
	for _, q := range queries {
		hits, err := c.searchClients(ctx, q)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return ClientHit{}, err
		}
		if h, ok := matchRef(hits, ref); ok {
			return h, nil
		}
	}
	return ClientHit{}, &Error{Status: 404, Code: "error.msg.resource.not.found",
		Message: fmt.Sprintf("no client has account number or external id %q", ref)}
}

// matchRef prefers an account number match over an external id match.
func matchRef(hits []searchHit, ref string) (ClientHit, bool) {
	for _, h := range hits {
		if h.EntityType == "CLIENT" && SameAccountNo(string(h.EntityAccountNo), ref) {
			return h.hit(), true
		}
	}
	for _, h := range hits {
		if h.EntityType == "CLIENT" && string(h.EntityExternalID) == ref {
			return h.hit(), true
		}
	}
	return ClientHit{}, false
}

// Client is GET /clients/{id}.
func (c *HTTPClient) Client(ctx context.Context, clientID int64) (Client, error) {
	var w struct {
		ID          int64      `json:"id"`
		AccountNo   flexString `json:"accountNo"`
		ExternalID  flexString `json:"externalId"`
		DisplayName string     `json:"displayName"`
		MobileNo    string     `json:"mobileNo"`
		Status      statusID   `json:"status"`
		OfficeID    int64      `json:"officeId"`
		StaffID     int64      `json:"staffId"`
		Groups      []idOnly   `json:"groups"`
	}
	if _, err := c.do(ctx, request{method: "GET", path: "/clients/" + id(clientID)}, &w); err != nil {
		return Client{}, err
	}
	cl := Client{
		ID: w.ID, AccountNo: string(w.AccountNo), ExternalID: string(w.ExternalID), DisplayName: w.DisplayName,
		MobileNo: w.MobileNo, StatusID: w.Status.ID, OfficeID: w.OfficeID, StaffID: w.StaffID,
	}
	for _, g := range w.Groups {
		cl.GroupIDs = append(cl.GroupIDs, g.ID)
	}
	return cl, nil
}

// ClientAccounts is GET /clients/{id}/accounts.
func (c *HTTPClient) ClientAccounts(ctx context.Context, clientID int64) (Accounts, error) {
	var w struct {
		LoanAccounts []struct {
			ID          int64      `json:"id"`
			AccountNo   flexString `json:"accountNo"`
			ProductName string     `json:"productName"`
			Status      statusID   `json:"status"`
			Currency    Currency   `json:"currency"`
			LoanBalance Amount     `json:"loanBalance"`
			InArrears   bool       `json:"inArrears"`
			Timeline    struct {
				ActualDisbursementDate Date `json:"actualDisbursementDate"`
			} `json:"timeline"`
		} `json:"loanAccounts"`
		SavingsAccounts []struct {
			ID             int64      `json:"id"`
			AccountNo      flexString `json:"accountNo"`
			ProductName    string     `json:"productName"`
			Status         statusID   `json:"status"`
			Currency       Currency   `json:"currency"`
			AccountBalance Amount     `json:"accountBalance"`
			DepositType    statusID   `json:"depositType"`
		} `json:"savingsAccounts"`
	}
	if _, err := c.do(ctx, request{method: "GET", path: "/clients/" + id(clientID) + "/accounts"}, &w); err != nil {
		return Accounts{}, err
	}
	var a Accounts
	for _, l := range w.LoanAccounts {
		a.Loans = append(a.Loans, LoanSummary{
			ID: l.ID, AccountNo: string(l.AccountNo), ProductName: l.ProductName, StatusID: l.Status.ID,
			Currency: l.Currency, LoanBalance: l.LoanBalance, InArrears: l.InArrears,
			ActualDisbursementDate: l.Timeline.ActualDisbursementDate,
		})
	}
	for _, s := range w.SavingsAccounts {
		a.Savings = append(a.Savings, SavingsSummary{
			ID: s.ID, AccountNo: string(s.AccountNo), ProductName: s.ProductName, StatusID: s.Status.ID,
			Currency: s.Currency, AccountBalance: s.AccountBalance, DepositType: s.DepositType.ID,
		})
	}
	return a, nil
}

// Loan is GET /loans/{id}?associations=repaymentSchedule&exclude=guarantors.
func (c *HTTPClient) Loan(ctx context.Context, loanID int64) (Loan, error) {
	var w struct {
		ID              int64      `json:"id"`
		AccountNo       flexString `json:"accountNo"`
		ExternalID      flexString `json:"externalId"`
		Status          statusID   `json:"status"`
		ClientID        int64      `json:"clientId"`
		ClientName      string     `json:"clientName"`
		LoanProductName string     `json:"loanProductName"`
		LoanOfficerID   int64      `json:"loanOfficerId"`
		Currency        Currency   `json:"currency"`
		Summary         struct {
			TotalOutstanding   Amount `json:"totalOutstanding"`
			PrincipalDisbursed Amount `json:"principalDisbursed"`
		} `json:"summary"`
		RepaymentSchedule struct {
			Periods []struct {
				Period           *int   `json:"period"`
				DueDate          Date   `json:"dueDate"`
				Complete         bool   `json:"complete"`
				TotalDue         Amount `json:"totalDueForPeriod"`
				TotalOutstanding Amount `json:"totalOutstandingForPeriod"`
			} `json:"periods"`
		} `json:"repaymentSchedule"`
	}
	q := url.Values{"associations": {"repaymentSchedule"}, "exclude": {"guarantors"}}
	if _, err := c.do(ctx, request{method: "GET", path: "/loans/" + id(loanID), query: q}, &w); err != nil {
		return Loan{}, err
	}
	l := Loan{
		ID: w.ID, AccountNo: string(w.AccountNo), ExternalID: string(w.ExternalID), StatusID: w.Status.ID,
		ClientID: w.ClientID, ClientName: w.ClientName, ProductName: w.LoanProductName,
		LoanOfficerID: w.LoanOfficerID, Currency: w.Currency, TotalOutstanding: w.Summary.TotalOutstanding,
		PrincipalDisbursed: w.Summary.PrincipalDisbursed,
	}
	for _, p := range w.RepaymentSchedule.Periods {
		// Disbursement rows have no "period" key.
		if p.Period == nil {
			continue
		}
		l.Periods = append(l.Periods, Period{
			Number: *p.Period, DueDate: p.DueDate, Complete: p.Complete,
			TotalDue: p.TotalDue, TotalOutstanding: p.TotalOutstanding,
		})
	}
	return l, nil
}

// savingsWire is GET /savingsaccounts/{id}, with transactions when asked.
type savingsWire struct {
	ID                 int64      `json:"id"`
	AccountNo          flexString `json:"accountNo"`
	Status             statusID   `json:"status"`
	ClientID           int64      `json:"clientId"`
	SavingsProductName string     `json:"savingsProductName"`
	Currency           Currency   `json:"currency"`
	Summary            struct {
		AccountBalance   Amount `json:"accountBalance"`
		AvailableBalance Amount `json:"availableBalance"`
	} `json:"summary"`
	Transactions []savingsTxnWire `json:"transactions"`
}

// savingsTxnWire is SavingsAccountTransactionData.
type savingsTxnWire struct {
	ID                int64  `json:"id"`
	Date              Date   `json:"date"`
	Amount            Amount `json:"amount"`
	Reversed          bool   `json:"reversed"`
	IsReversal        bool   `json:"isReversal"`
	PaymentDetailData struct {
		ReceiptNumber string `json:"receiptNumber"`
	} `json:"paymentDetailData"`
	TransactionType struct {
		Value string `json:"value"`
	} `json:"transactionType"`
}

func (t savingsTxnWire) txn() SavingsTxn {
	return SavingsTxn{
		ID: t.ID, Date: t.Date, Amount: t.Amount, Reversed: t.Reversed, IsReversal: t.IsReversal,
		ReceiptNumber: t.PaymentDetailData.ReceiptNumber, TypeValue: t.TransactionType.Value,
	}
}

// Savings is GET /savingsaccounts/{id}.
func (c *HTTPClient) Savings(ctx context.Context, savingsID int64) (Savings, error) {
	var w savingsWire
	if _, err := c.do(ctx, request{method: "GET", path: "/savingsaccounts/" + id(savingsID)}, &w); err != nil {
		return Savings{}, err
	}
	return Savings{
		ID: w.ID, AccountNo: string(w.AccountNo), StatusID: w.Status.ID, ClientID: w.ClientID,
		ProductName: w.SavingsProductName, Currency: w.Currency,
		AccountBalance: w.Summary.AccountBalance, AvailableBalance: w.Summary.AvailableBalance,
	}, nil
}

// SavingsTransactions is GET /savingsaccounts/{id}?associations=transactions.
func (c *HTTPClient) SavingsTransactions(ctx context.Context, savingsID int64) ([]SavingsTxn, error) {
	var w savingsWire
	q := url.Values{"associations": {"transactions"}}
	if _, err := c.do(ctx, request{method: "GET", path: "/savingsaccounts/" + id(savingsID), query: q}, &w); err != nil {
		return nil, err
	}
	out := make([]SavingsTxn, 0, len(w.Transactions))
	for _, t := range w.Transactions {
		out = append(out, t.txn())
	}
	return out, nil
}

// SavingsDepositsOn is GET /savingsaccounts/{id}/transactions/search
// (Fineract 1.9+): the deposits (type 1) dated on, newest first, limit from
// offset. Reversal copies are not listed; a reversed deposit is. The answer
// is a Spring Page serialised by Gson: the items in "content" and the
// number matched in "total" (other page shapes are read too).
func (c *HTTPClient) SavingsDepositsOn(ctx context.Context, savingsID int64, on Date, offset, limit int) (SavingsTxnPage, error) {
	if !on.valid() {
		return SavingsTxnPage{}, invalidf("the date %s is not a calendar day", on)
	}
	day := on.String()
	q := url.Values{"fromDate": {day}, "toDate": {day}, "dateFormat": {dateFormat}, "locale": {c.locale},
		"types": {"1"}, "offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)}}
	var w struct {
		Content       []savingsTxnWire `json:"content"`
		PageItems     []savingsTxnWire `json:"pageItems"`
		Total         *int             `json:"total"`
		TotalElements *int             `json:"totalElements"`
		TotalFiltered *int             `json:"totalFilteredRecords"`
	}
	path := "/savingsaccounts/" + id(savingsID) + "/transactions/search"
	if _, err := c.do(ctx, request{method: "GET", path: path, query: q}, &w); err != nil {
		return SavingsTxnPage{}, err
	}
	items := w.Content
	if items == nil {
		items = w.PageItems
	}
	var p SavingsTxnPage
	for _, t := range items {
		p.Txns = append(p.Txns, t.txn())
	}
	switch {
	case w.Total != nil:
		p.Total = *w.Total
	case w.TotalElements != nil:
		p.Total = *w.TotalElements
	case w.TotalFiltered != nil:
		p.Total = *w.TotalFiltered
	default:
		return SavingsTxnPage{}, fmt.Errorf("the Fineract server at %s answered GET %s without a total", c.host, path)
	}
	return p, nil
}

// SavingsTxn is GET /savingsaccounts/{id}/transactions/{transactionId}:
// what Fineract holds for a transaction it posted.
func (c *HTTPClient) SavingsTxn(ctx context.Context, savingsID, txnID int64) (SavingsTxn, error) {
	var w savingsTxnWire
	if _, err := c.do(ctx, request{method: "GET", path: "/savingsaccounts/" + id(savingsID) + "/transactions/" + id(txnID)}, &w); err != nil {
		return SavingsTxn{}, err
	}
	return w.txn(), nil
}

// resultWire is a CommandProcessingResult.
type resultWire struct {
	ResourceID          int64      `json:"resourceId"`
	SubResourceID       int64      `json:"subResourceId"`
	CommandID           int64      `json:"commandId"`
	RollbackTransaction bool       `json:"rollbackTransaction"`
	ResourceExternalID  flexString `json:"resourceExternalId"`
}

// checkTxn validates what every money command shares.
func checkTxn(what string, d Date, a Amount, idemKey, receipt, note string) error {
	switch {
	case !d.valid():
		return invalidf("%s: the transaction date %s is not a calendar day", what, d)
	case a <= 0:
		return invalidf("%s: the amount must be more than zero", what)
	case idemKey == "":
		return invalidf("%s: an Idempotency-Key is required so a retry cannot post twice", what)
	case len(idemKey) > 50:
		return invalidf("%s: the Idempotency-Key is longer than 50 characters", what)
	case len(receipt) > 50:
		return invalidf("%s: the receipt number is longer than 50 characters", what)
	case len(note) > 1000:
		return invalidf("%s: the note is longer than 1000 characters", what)
	}
	return nil
}

// txnBody is the keys loan repayment and savings deposit share; optional
// keys are left out when empty because Fineract checks key sets strictly.
func (c *HTTPClient) txnBody(d Date, a Amount, paymentTypeID int64, receipt, note string) map[string]any {
	b := map[string]any{
		"transactionDate":   d,
		"transactionAmount": a,
		"dateFormat":        dateFormat,
		"locale":            c.locale,
	}
	if paymentTypeID > 0 {
		b["paymentTypeId"] = paymentTypeID
	}
	if receipt != "" {
		b["receiptNumber"] = receipt
	}
	if note != "" {
		b["note"] = note
	}
	return b
}

func (c *HTTPClient) command(ctx context.Context, path, cmd string, body any, idemKey string) (Result, error) {
	var w resultWire
	q := url.Values{"command": {cmd}}
	h, err := c.do(ctx, request{method: "POST", path: path, query: q, body: body, idemKey: idemKey}, &w)
	if err != nil {
		return Result{}, err
	}
	return Result{
		ResourceID: w.ResourceID, SubResourceID: w.SubResourceID, CommandID: w.CommandID, PendingApproval: w.RollbackTransaction,
		ServedFromCache: servedFromCache(h), ResourceExternalID: string(w.ResourceExternalID),
	}, nil
}

// Repay is POST /loans/{id}/transactions?command=repayment.
func (c *HTTPClient) Repay(ctx context.Context, loanID int64, r Repayment, idempotencyKey string) (Result, error) {
	if err := checkTxn("repayment", r.Date, r.Amount, idempotencyKey, r.ReceiptNumber, r.Note); err != nil {
		return Result{}, err
	}
	if len(r.ExternalID) > 100 {
		return Result{}, invalidf("repayment: the external id is longer than 100 characters")
	}
	body := c.txnBody(r.Date, r.Amount, r.PaymentTypeID, r.ReceiptNumber, r.Note)
	if r.ExternalID != "" {
		body["externalId"] = r.ExternalID
	}
	return c.command(ctx, "/loans/"+id(loanID)+"/transactions", "repayment", body, idempotencyKey)
}

// loanTxnWire is LoanTransactionData.
type loanTxnWire struct {
	ID                     int64      `json:"id"`
	ExternalID             flexString `json:"externalId"`
	Date                   Date       `json:"date"`
	Amount                 Amount     `json:"amount"`
	ManuallyReversed       bool       `json:"manuallyReversed"`
	OutstandingLoanBalance Amount     `json:"outstandingLoanBalance"`
	Type                   struct {
		Disbursement bool `json:"disbursement"`
	} `json:"type"`
	PaymentDetailData struct {
		PaymentType   idOnly `json:"paymentType"`
		ReceiptNumber string `json:"receiptNumber"`
	} `json:"paymentDetailData"`
}

func (w loanTxnWire) txn() LoanTxn {
	return LoanTxn{
		ID: w.ID, ExternalID: string(w.ExternalID), Date: w.Date, Amount: w.Amount,
		ManuallyReversed: w.ManuallyReversed, OutstandingBalance: w.OutstandingLoanBalance,
		Disbursement: w.Type.Disbursement, PaymentTypeID: w.PaymentDetailData.PaymentType.ID,
		ReceiptNumber: w.PaymentDetailData.ReceiptNumber,
	}
}

// LoanTxnByExternalID is GET /loans/{loanId}/transactions/external-id/{externalId}.
func (c *HTTPClient) LoanTxnByExternalID(ctx context.Context, loanID int64, externalID string) (LoanTxn, error) {
	if externalID == "" {
		return LoanTxn{}, invalidf("the external id is empty")
	}
	var w loanTxnWire
	path := "/loans/" + id(loanID) + "/transactions/external-id/" + url.PathEscape(externalID)
	if _, err := c.do(ctx, request{method: "GET", path: path}, &w); err != nil {
		return LoanTxn{}, err
	}
	return w.txn(), nil
}

// LoanTransactions is GET /loans/{id}?associations=transactions: every
// transaction of the loan that is not reversed, or was reversed by hand
// (manuallyReversed), with its externalId. All versions have it; it is
// how a repayment is found by externalId on a server before 1.9.
func (c *HTTPClient) LoanTransactions(ctx context.Context, loanID int64) ([]LoanTxn, error) {
	var w struct {
		Transactions []loanTxnWire `json:"transactions"`
	}
	q := url.Values{"associations": {"transactions"}, "exclude": {"guarantors"}}
	if _, err := c.do(ctx, request{method: "GET", path: "/loans/" + id(loanID), query: q}, &w); err != nil {
		return nil, err
	}
	out := make([]LoanTxn, 0, len(w.Transactions))
	for _, t := range w.Transactions {
		out = append(out, t.txn())
	}
	return out, nil
}

// LoanTxn is GET /loans/{loanId}/transactions/{transactionId}: what
// Fineract holds for a transaction it posted (its amount may be rounded).
func (c *HTTPClient) LoanTxn(ctx context.Context, loanID, txnID int64) (LoanTxn, error) {
	var w loanTxnWire
	if _, err := c.do(ctx, request{method: "GET", path: "/loans/" + id(loanID) + "/transactions/" + id(txnID)}, &w); err != nil {
		return LoanTxn{}, err
	}
	return w.txn(), nil
}

// Deposit is POST /savingsaccounts/{id}/transactions?command=deposit.
// Savings transactions take no externalId: the receipt number is the token
// to find the deposit again.
func (c *HTTPClient) Deposit(ctx context.Context, savingsID int64, d Deposit, idempotencyKey string) (Result, error) {
	if err := checkTxn("deposit", d.Date, d.Amount, idempotencyKey, d.ReceiptNumber, d.Note); err != nil {
		return Result{}, err
	}
	if d.PaymentTypeID <= 0 {
		return Result{}, invalidf("deposit: a payment type id is required (Fineract 1.8+ refuses deposits without one)")
	}
	body := c.txnBody(d.Date, d.Amount, d.PaymentTypeID, d.ReceiptNumber, d.Note)
	return c.command(ctx, "/savingsaccounts/"+id(savingsID)+"/transactions", "deposit", body, idempotencyKey)
}

type calendarWire struct {
	ID                    int64  `json:"id"`
	Title                 string `json:"title"`
	NextTenRecurringDates []Date `json:"nextTenRecurringDates"`
	RecurringDates        []Date `json:"recurringDates"`
	HumanReadable         string `json:"humanReadable"`
}

type groupWire struct {
	ID                        int64         `json:"id"`
	Name                      string        `json:"name"`
	StaffID                   int64         `json:"staffId"`
	OfficeID                  int64         `json:"officeId"`
	ClientMembers             []idOnly      `json:"clientMembers"`
	CollectionMeetingCalendar *calendarWire `json:"collectionMeetingCalendar"`
}

func (w groupWire) group() Group {
	g := Group{ID: w.ID, Name: w.Name, StaffID: w.StaffID, OfficeID: w.OfficeID}
	for _, m := range w.ClientMembers {
		g.ClientIDs = append(g.ClientIDs, m.ID)
	}
	if cal := w.CollectionMeetingCalendar; cal != nil && cal.ID != 0 {
		g.Meeting = &Calendar{ID: cal.ID, Title: cal.Title, NextRecurringDates: cal.NextTenRecurringDates,
			RecurringDates: cal.RecurringDates, HumanReadable: cal.HumanReadable}
	}
	return g
}

// Staff is GET /staff/{id}: the loan officer's office says which clients an
// officer may credit by SMS.
func (c *HTTPClient) Staff(ctx context.Context, staffID int64) (Staff, error) {
	var w struct {
		ID          int64  `json:"id"`
		DisplayName string `json:"displayName"`
		OfficeID    int64  `json:"officeId"`
		IsActive    *bool  `json:"isActive"`
	}
	if _, err := c.do(ctx, request{method: "GET", path: "/staff/" + id(staffID)}, &w); err != nil {
		return Staff{}, err
	}
	// An older server leaves isActive out; only an explicit false is inactive.
	return Staff{ID: w.ID, DisplayName: w.DisplayName, OfficeID: w.OfficeID, Active: w.IsActive == nil || *w.IsActive}, nil
}

// Group is GET /groups/{id}?associations=clientMembers,collectionMeetingCalendar.
func (c *HTTPClient) Group(ctx context.Context, groupID int64) (Group, error) {
	var w groupWire
	q := url.Values{"associations": {"clientMembers,collectionMeetingCalendar"}}
	if _, err := c.do(ctx, request{method: "GET", path: "/groups/" + id(groupID), query: q}, &w); err != nil {
		return Group{}, err
	}
	return w.group(), nil
}

// GroupsByStaff is GET /groups?staffId=; the answer is a plain array or a
// page {pageItems: [...]}. Groups of another officer are dropped in case a
// server ignores the filter.
func (c *HTTPClient) GroupsByStaff(ctx context.Context, staffID int64) ([]Group, error) {
	var raw json.RawMessage
	// Staff 0 means every group the user can see (office hierarchy).
	q := url.Values{}
	if staffID != 0 {
		q.Set("staffId", id(staffID))
	}
	if _, err := c.do(ctx, request{method: "GET", path: "/groups", query: q}, &raw); err != nil {
		return nil, err
	}
	var items []groupWire
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		var page struct {
			PageItems []groupWire `json:"pageItems"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, fmt.Errorf("the Fineract server at %s answered GET /groups with data we cannot read: %v", c.host, err)
		}
		items = page.PageItems
	} else if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("the Fineract server at %s answered GET /groups with data we cannot read: %v", c.host, err)
	}
	out := []Group{}
	for _, w := range items {
		if staffID == 0 || w.StaffID == staffID {
			out = append(out, w.group())
		}
	}
	return out, nil
}

// GenerateCollectionSheet is POST /groups/{id}?command=generateCollectionSheet.
func (c *HTTPClient) GenerateCollectionSheet(ctx context.Context, groupID, calendarID int64, date Date) (CollectionSheet, error) {
	if !date.valid() {
		return CollectionSheet{}, invalidf("collection sheet: the date %s is not a calendar day", date)
	}
	if calendarID <= 0 {
		return CollectionSheet{}, invalidf("collection sheet: the group's meeting calendar id is required")
	}
	body := map[string]any{
		"transactionDate": date,
		"calendarId":      calendarID,
		"dateFormat":      dateFormat,
		"locale":          c.locale,
	}
	var w struct {
		DueDate Date `json:"dueDate"`
		Groups  []struct {
			GroupID int64 `json:"groupId"`
			Clients []struct {
				ClientID   int64  `json:"clientId"`
				ClientName string `json:"clientName"`
				Loans      []struct {
					LoanID           int64      `json:"loanId"`
					AccountID        flexString `json:"accountId"`
					ProductShortName string     `json:"productShortName"`
					TotalDue         Amount     `json:"totalDue"`
					Currency         Currency   `json:"currency"`
				} `json:"loans"`
				Savings []struct {
					SavingsID          int64      `json:"savingsId"`
					AccountID          flexString `json:"accountId"`
					DueAmount          Amount     `json:"dueAmount"`
					DepositAccountType flexString `json:"depositAccountType"`
					Currency           Currency   `json:"currency"`
				} `json:"savings"`
			} `json:"clients"`
		} `json:"groups"`
	}
	q := url.Values{"command": {"generateCollectionSheet"}}
	if _, err := c.do(ctx, request{method: "POST", path: "/groups/" + id(groupID), query: q, body: body}, &w); err != nil {
		return CollectionSheet{}, err
	}
	sheet := CollectionSheet{DueDate: w.DueDate, CalendarID: calendarID, GroupID: groupID}
	for _, g := range w.Groups {
		for _, cl := range g.Clients {
			sc := SheetClient{ClientID: cl.ClientID, ClientName: cl.ClientName}
			for _, l := range cl.Loans {
				sc.Loans = append(sc.Loans, SheetLoan{LoanID: l.LoanID, AccountNo: string(l.AccountID), Product: l.ProductShortName, TotalDue: l.TotalDue, Currency: l.Currency})
			}
			for _, s := range cl.Savings {
				sc.Savings = append(sc.Savings, SheetSavings{SavingsID: s.SavingsID, AccountNo: string(s.AccountID), DueAmount: s.DueAmount, DepositAccountType: string(s.DepositAccountType), Currency: s.Currency})
			}
			sheet.Clients = append(sheet.Clients, sc)
		}
	}
	return sheet, nil
}

// idList reads changes.loanTransactions / SavingsTransactions items that
// are either ids or objects with an id.
type idList []int64

func (l *idList) UnmarshalJSON(b []byte) error {
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	for _, it := range items {
		var n int64
		if err := json.Unmarshal(it, &n); err == nil {
			*l = append(*l, n)
			continue
		}
		var o idOnly
		if err := json.Unmarshal(it, &o); err != nil {
			return fmt.Errorf("transaction id %s is neither a number nor {id}", it)
		}
		*l = append(*l, o.ID)
	}
	return nil
}

// SaveCollectionSheet is POST /groups/{id}?command=saveCollectionSheet.
func (c *HTTPClient) SaveCollectionSheet(ctx context.Context, groupID int64, s SaveSheet, idempotencyKey string) (SheetResult, error) {
	const what = "collection sheet"
	switch {
	case !s.Date.valid():
		return SheetResult{}, invalidf("%s: the date %s is not a calendar day", what, s.Date)
	case s.CalendarID <= 0:
		return SheetResult{}, invalidf("%s: the group's meeting calendar id is required", what)
	case idempotencyKey == "":
		return SheetResult{}, invalidf("%s: an Idempotency-Key is required so a retry cannot post twice", what)
	case len(idempotencyKey) > 50:
		return SheetResult{}, invalidf("%s: the Idempotency-Key is longer than 50 characters", what)
	case len(s.Note) > 1000:
		return SheetResult{}, invalidf("%s: the note is longer than 1000 characters", what)
	case len(s.ReceiptNumber) > 50:
		return SheetResult{}, invalidf("%s: the receipt number is longer than 50 characters", what)
	}
	repayments := []map[string]any{}
	for _, r := range s.Repayments {
		// Fineract silently skips items whose whole part is 0, so a 0.50
		// repayment would vanish; refuse it rather than lose it.
		if r.Amount < 1_000_000 {
			return SheetResult{}, invalidf("%s: loan %d: amounts under 1 are skipped by Fineract's collection sheet; post them as a single repayment", what, r.LoanID)
		}
		if len(r.ExternalID) > 100 {
			return SheetResult{}, invalidf("%s: loan %d: the external id is longer than 100 characters", what, r.LoanID)
		}
		it := map[string]any{"loanId": r.LoanID, "transactionAmount": r.Amount}
		if r.ExternalID != "" {
			it["externalId"] = r.ExternalID
		}
		repayments = append(repayments, it)
	}
	deposits := []map[string]any{}
	for _, d := range s.Deposits {
		if d.Amount <= 0 {
			return SheetResult{}, invalidf("%s: savings %d: the amount must be more than zero", what, d.SavingsID)
		}
		it := map[string]any{"savingsId": d.SavingsID, "transactionAmount": d.Amount}
		if d.DepositAccountType != "" {
			it["depositAccountType"] = depositAccountTypeID(d.DepositAccountType)
		}
		deposits = append(deposits, it)
	}
	body := map[string]any{
		"transactionDate":            s.Date,
		"calendarId":                 s.CalendarID,
		"dateFormat":                 dateFormat,
		"locale":                     c.locale,
		"bulkRepaymentTransactions":  repayments,
		"bulkSavingsDueTransactions": deposits,
	}
	if s.PaymentTypeID > 0 {
		body["paymentTypeId"] = s.PaymentTypeID
	}
	if s.Note != "" {
		body["note"] = s.Note
	}
	if s.ReceiptNumber != "" {
		body["receiptNumber"] = s.ReceiptNumber
	}
	var w struct {
		CommandID           int64 `json:"commandId"`
		RollbackTransaction bool  `json:"rollbackTransaction"`
		Changes             struct {
			LoanTransactions    idList `json:"loanTransactions"`
			SavingsTransactions idList `json:"SavingsTransactions"`
		} `json:"changes"`
	}
	q := url.Values{"command": {"saveCollectionSheet"}}
	h, err := c.do(ctx, request{method: "POST", path: "/groups/" + id(groupID), query: q, body: body, idemKey: idempotencyKey}, &w)
	if err != nil {
		return SheetResult{}, err
	}
	return SheetResult{
		LoanTransactionIDs:    w.Changes.LoanTransactions,
		SavingsTransactionIDs: w.Changes.SavingsTransactions,
		CommandID:             w.CommandID,
		PendingApproval:       w.RollbackTransaction,
		ServedFromCache:       servedFromCache(h),
	}, nil
}

// depositAccountTypeID maps the collection sheet's read form of a deposit
// account type ("Saving Deposit", as Fineract's sheet SQL writes it) to the
// enum id its save command takes (100 savings, 200 fixed, 300 recurring).
// A value that is already a number is passed through.
func depositAccountTypeID(v string) any {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		return n
	}
	switch l := strings.ToLower(v); {
	case strings.Contains(l, "recurring"):
		return 300
	case strings.Contains(l, "fixed"):
		return 200
	case strings.Contains(l, "sav"):
		return 100
	}
	return v
}
