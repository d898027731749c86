package mifos

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The disburse command carries the date, the amount as an exact number,
// the externalId, the payment type and receipt, under the attempt's
// Idempotency-Key; the result names the loan and, as its sub-resource,
// the disbursement transaction.
func TestDisburse(t *testing.T) {
	c, f := newFake(t, func(w http.ResponseWriter, s seen) {
		reply(w, 200, `{"officeId":1,"clientId":48,"loanId":1001,"resourceId":1001,"subResourceId":15801,
			"subResourceExternalId":"md-KSM01-l7","changes":{"status":{"id":300}}}`)
	})
	d := Disbursement{Date: Date{2024, 9, 26}, Amount: 20_000_000_000, PaymentTypeID: 4, ExternalID: "md-KSM01-l7",
		ReceiptNumber: "SIQ7K2L9XB", Note: "paid to 0711000048 by M-PESA"}
	res, err := c.Disburse(ctx, 1001, d, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	if res != (Result{ResourceID: 1001, SubResourceID: 15801}) {
		t.Errorf("result %+v", res)
	}
	s := f.last(t)
	if s.Method != "POST" || s.Path != "/api/v1/loans/1001" || s.Header.Get("Idempotency-Key") != "key-1" {
		t.Errorf("asked %s %s with key %q", s.Method, s.Path, s.Header.Get("Idempotency-Key"))
	}
	wantQuery(t, s, url.Values{"command": {"disburse"}})
	wantKeys(t, "disbursement", s.Body, "actualDisbursementDate", "transactionAmount", "externalId", "dateFormat", "locale",
		"paymentTypeId", "receiptNumber", "note")
	if s.Body["actualDisbursementDate"] != "2024-09-26" || s.Body["dateFormat"] != "yyyy-MM-dd" || s.Body["locale"] != "en" ||
		s.Body["paymentTypeId"] != json.Number("4") || s.Body["externalId"] != d.ExternalID || s.Body["receiptNumber"] != d.ReceiptNumber {
		t.Errorf("body %s", s.Raw)
	}
	if !bytes.Contains(s.Raw, []byte(`"transactionAmount":20000,`)) && !bytes.Contains(s.Raw, []byte(`"transactionAmount":20000}`)) {
		t.Errorf("amount not written exactly: %s", s.Raw)
	}
	// The optional keys stay out when empty.
	if _, err := c.Disburse(ctx, 1001, Disbursement{Date: Date{2024, 9, 26}, Amount: 1_000_000, ExternalID: "md-x"}, "key-2"); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, "minimal disbursement", f.last(t).Body, "actualDisbursementDate", "transactionAmount", "externalId", "dateFormat", "locale")
}

// What cannot be a disbursement never reaches Fineract.
func TestDisburseRefusesBadInput(t *testing.T) {
	c, f := newFake(t, func(w http.ResponseWriter, s seen) { reply(w, 200, `{"resourceId":1}`) })
	good := Disbursement{Date: Date{2024, 9, 26}, Amount: 1_000_000, PaymentTypeID: 4, ExternalID: "md-1", ReceiptNumber: "R1"}
	cases := []struct {
		name  string
		edit  func(d *Disbursement)
		key   string
		words string
	}{
		{"no date", func(d *Disbursement) { d.Date = Date{} }, "k", "calendar day"},
		{"30 February", func(d *Disbursement) { d.Date = Date{2024, 2, 30} }, "k", "calendar day"},
		{"no amount", func(d *Disbursement) { d.Amount = 0 }, "k", "more than zero"},
		{"negative amount", func(d *Disbursement) { d.Amount = -5 }, "k", "more than zero"},
		{"no key", func(*Disbursement) {}, "", "Idempotency-Key"},
		{"key too long", func(*Disbursement) {}, strings.Repeat("k", 51), "Idempotency-Key"},
		{"no external id", func(d *Disbursement) { d.ExternalID = "" }, "k", "external id is required"},
		{"external id too long", func(d *Disbursement) { d.ExternalID = strings.Repeat("x", 101) }, "k", "longer than 100"},
		{"receipt too long", func(d *Disbursement) { d.ReceiptNumber = strings.Repeat("R", 51) }, "k", "receipt number"},
		{"receipt without a payment type", func(d *Disbursement) { d.PaymentTypeID = 0 }, "k", "needs a payment type"},
		{"negative payment type", func(d *Disbursement) { d.PaymentTypeID = -1 }, "k", "negative"},
		{"note too long", func(d *Disbursement) { d.Note = strings.Repeat("n", 1001) }, "k", "note"},
	}
	for _, tc := range cases {
		d := good
		tc.edit(&d)
		_, err := c.Disburse(ctx, 1001, d, tc.key)
		if Classify(err) != NotSent || !strings.Contains(err.Error(), tc.words) {
			t.Errorf("%s: %v, want not sent saying %q", tc.name, err, tc.words)
		}
	}
	if len(f.all()) != 0 {
		t.Errorf("%d invalid disbursements were sent", len(f.all()))
	}
	if _, err := c.Disburse(ctx, 1001, good, "k"); err != nil {
		t.Fatalf("the good one: %v", err)
	}
}

// Fineract's "not approved and waiting for disbursal" is told apart from
// its other refusals.
func TestIsNotApprovedForDisbursal(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{&Error{Status: 400, Code: "validation.msg.validation.errors.exist", Errors: []FieldError{{Code: CodeDisbursalNotApproved}}}, true},
		{&Error{Status: 403, Code: "validation.msg.domain.rule.violation", Errors: []FieldError{{Code: CodeDisbursalAboveApproved}}}, false},
		{&Error{Status: 400, Errors: []FieldError{{Code: CodeApproveNotPending}}}, false},
		{&Error{Status: 500}, false},
		{invalidf("x"), false},
	}
	for _, c := range cases {
		if got := IsNotApprovedForDisbursal(c.err); got != c.want {
			t.Errorf("%v: %v, want %v", c.err, got, c.want)
		}
	}
}

// Every page of approved loans, with both forms of the filter, keeping
// only status 200 whatever the server did with them.
func TestApprovedLoans(t *testing.T) {
	itoa := strconv.Itoa
	item := func(id, status int) string {
		return `{"id":` + itoa(id) + `,"accountNo":"00000` + itoa(id) + `","status":{"id":` + itoa(status) + `},
			"clientId":48,"clientName":"Rose Nyambura","clientOfficeId":1,"group":{"id":10,"name":"Tujenge"},
			"loanProductName":"Biashara 6M","principal":20000.000000,"approvedPrincipal":20000.000000,
			"currency":{"code":"UGX","decimalPlaces":0,"inMultiplesOf":100},"loanOfficerId":12,"loanOfficerName":"Peter Otieno",
			"timeline":{"submittedOnDate":[2024,9,17],"approvedOnDate":[2024,9,24],"expectedDisbursementDate":[2024,9,26]}}`
	}
	c, f := newFake(t, func(w http.ResponseWriter, s seen) {
		switch s.Query.Get("offset") {
		case "0":
			items := []string{item(1001, 200), item(981, 300)} // a server that ignored the filter
			for i := range 198 {
				items = append(items, item(2000+i, 200))
			}
			reply(w, 200, `{"totalFilteredRecords":201,"pageItems":[`+strings.Join(items, ",")+`]}`)
		default:
			reply(w, 200, `{"totalFilteredRecords":201,"pageItems":[`+item(1002, 200)+`]}`)
		}
	})
	list, err := c.ApprovedLoans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 200 || list[0].ID != 1001 || list[len(list)-1].ID != 1002 {
		t.Fatalf("%d loans, first %d", len(list), list[0].ID)
	}
	l := list[0]
	want := Currency{Code: "UGX", DecimalPlaces: 0, InMultiplesOf: 100}
	if l.StatusID != 200 || l.ClientID != 48 || l.ClientName != "Rose Nyambura" || l.GroupID != 10 || l.GroupName != "Tujenge" ||
		l.OfficerID != 12 || l.OfficerName != "Peter Otieno" || l.ApprovedPrincipal != 20_000_000_000 || l.Currency != want ||
		l.ApprovedOn != (Date{2024, 9, 24}) || l.ExpectedDisbursement != (Date{2024, 9, 26}) || l.AccountNo != "000001001" || l.OfficeID != 1 {
		t.Fatalf("loan %+v", l)
	}
	reqs := f.all()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	wantQuery(t, reqs[1], url.Values{"status": {"200"}, "sqlSearch": {"l.loan_status_id=200"}, "offset": {"200"}, "limit": {"200"}})
}

// The first installment is the lowest numbered, whatever the order and
// whether it is paid.
func TestFirstInstallment(t *testing.T) {
	p := func(n int, due Date, complete bool) Period {
		return Period{Number: n, DueDate: due, Complete: complete, TotalDue: Amount(n)}
	}
	cases := []struct {
		name    string
		periods []Period
		want    int
		ok      bool
	}{
		{"none", nil, 0, false},
		{"in order", []Period{p(1, Date{2024, 10, 26}, false), p(2, Date{2024, 11, 26}, false)}, 1, true},
		{"out of order", []Period{p(3, Date{2024, 12, 26}, false), p(1, Date{2024, 10, 26}, false), p(2, Date{2024, 11, 26}, false)}, 1, true},
		{"first paid", []Period{p(1, Date{2024, 10, 26}, true), p(2, Date{2024, 11, 26}, false)}, 1, true},
	}
	for _, c := range cases {
		got, ok := FirstInstallment(c.periods)
		if ok != c.ok || got.Number != c.want || (ok && got.TotalDue != Amount(c.want)) {
			t.Errorf("%s: %+v %v", c.name, got, ok)
		}
	}
}

// A loan transaction read carries its type and payment details.
func TestLoanTxnTypeAndPaymentDetails(t *testing.T) {
	c, _ := newFake(t, routes(map[string]string{
		"GET /api/v1/loans/1001/transactions/external-id/md-1": `{"id":15801,"externalId":"md-1","date":[2024,9,26],
			"amount":20000.000000,"manuallyReversed":false,"outstandingLoanBalance":20000.000000,
			"type":{"id":1,"code":"loanTransactionType.disbursement","value":"Disbursement","disbursement":true,"repayment":false},
			"paymentDetailData":{"id":9,"paymentType":{"id":4,"name":"M-PESA B2C"},"receiptNumber":"SIQ7K2L9XB"}}`,
	}))
	got, err := c.LoanTxnByExternalID(ctx, 1001, "md-1")
	want := LoanTxn{ID: 15801, ExternalID: "md-1", Date: Date{2024, 9, 26}, Amount: 20_000_000_000, OutstandingBalance: 20_000_000_000,
		Disbursement: true, PaymentTypeID: 4, ReceiptNumber: "SIQ7K2L9XB"}
	if err != nil || got != want {
		t.Fatalf("%+v, %v", got, err)
	}
}
