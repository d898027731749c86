package fineractsim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAuthRequiredOnEveryEndpoint(t *testing.T) {
	s := startSeeded(t)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/businessdate/BUSINESS_DATE", ""},
		{"GET", "/clients/42", ""},
		{"GET", "/paymenttypes", ""},
		{"POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "100", "")},
	} {
		for _, auth := range []string{"", "Basic bWlmb3M6d3Jvbmc="} { // mifos:wrong
			r := call(t, s, c.method, c.path, c.body, "Authorization", auth)
			if r.status != 401 {
				t.Fatalf("%s %s with auth %q: status %d", c.method, c.path, auth, r.status)
			}
			// Spring's entry point answers, not Fineract: no JSON.
			if strings.Contains(r.header.Get("Content-Type"), "json") || r.header.Get("WWW-Authenticate") == "" {
				t.Fatalf("401 answer: %v %s", r.header, r.body)
			}
		}
	}
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 4 { // disbursement + 3 seeded repayments
		t.Fatalf("unauthenticated repayment was posted: %d transactions", n)
	}
}

func TestTenantRequired(t *testing.T) {
	s := startSeeded(t)
	for _, tenant := range []string{"", "other"} {
		r := call(t, s, "GET", "/clients/42", "", "Fineract-Platform-TenantId", tenant)
		if r.status != 400 {
			t.Fatalf("tenant %q: status %d", tenant, r.status)
		}
		if strings.Contains(r.header.Get("Content-Type"), "json") {
			t.Fatalf("tenant error must be a plain page, got %s", r.header.Get("Content-Type"))
		}
	}
	r := call(t, s, "GET", "/clients/42?tenantIdentifier=default", "", "Fineract-Platform-TenantId", "")
	if r.status != 200 {
		t.Fatalf("tenantIdentifier query: status %d %s", r.status, r.body)
	}
}

func TestUnknownBodyKeyRejected(t *testing.T) {
	s := startSeeded(t)
	body := strings.Replace(repayBody("2024-09-26", "100", ""), "{", `{"msisdn":"0712345678",`, 1)
	m := wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), body), 400, "error.msg.parameter.unsupported")
	if path(m, "errors", 0, "parameterName") != "msisdn" {
		t.Fatalf("parameter not named: %v", m)
	}
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 4 {
		t.Fatalf("rejected repayment posted: %d transactions", n)
	}
}

func TestDatedBodyNeedsDateFormatAndLocale(t *testing.T) {
	s := startSeeded(t)
	noLocale := `{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","transactionAmount":100}`
	wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), noLocale), 400, "validation.msg.missing.locale.parameter")
	noFormat := `{"transactionDate":"2024-09-26","locale":"en","transactionAmount":100}`
	m := wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), noFormat), 400, "validation.msg.missing.dateFormat.parameter")
	if path(m, "errors", 0, "parameterName") != "transactionDate" {
		t.Fatalf("parameterName: %v", m)
	}
	// The classic long format parses too.
	long := `{"transactionDate":"26 September 2024","dateFormat":"dd MMMM yyyy","locale":"en","transactionAmount":100}`
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), long); r.status != 200 {
		t.Fatalf("dd MMMM yyyy: %d %s", r.status, r.body)
	}
	bad := `{"transactionDate":"26/09/2024","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":100}`
	wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), bad), 400, "validation.msg.invalid.dateFormat.format")
}

func TestFutureDateRejected(t *testing.T) {
	s := startSeeded(t)
	m := wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-27", "100", "")),
		403, "error.msg.loan.transaction.cannot.be.a.future.date")
	if m["userMessageGlobalisationCode"] != "validation.msg.domain.rule.violation" || str(path(m, "errors", 0, "args", 0, "value")) != "2024-09-27" {
		t.Fatalf("domain rule body: %v", m)
	}
	dep := `{"transactionDate":"2024-09-27","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":100,"paymentTypeId":3}`
	wantError(t, call(t, s, "POST", depositPath(SeedSavingsAmina), dep), 400, "error.msg.savingsaccount.transaction.in.the.future")
	// Moving the business date makes the same date acceptable.
	s.SetBusinessDate(testBizDate.AddDate(0, 0, 1))
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-27", "100", "")); r.status != 200 {
		t.Fatalf("after SetBusinessDate: %d %s", r.status, r.body)
	}
}

func TestAmountMustBePositive(t *testing.T) {
	s := startSeeded(t)
	for _, amt := range []string{"0", "-5", `"0.00"`} {
		wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", amt, "")),
			400, "validation.msg.loan.transaction.transactionAmount.not.greater.than.zero")
	}
	dep := `{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":0,"paymentTypeId":3}`
	wantError(t, call(t, s, "POST", depositPath(SeedSavingsAmina), dep), 400,
		"validation.msg.savingsaccount.transaction.transactionAmount.not.greater.than.zero")
}

func TestBlankMandatoryFields(t *testing.T) {
	s := startSeeded(t)
	for _, c := range []struct{ body, code string }{
		{`{"transactionDate":"","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":5}`, "validation.msg.loan.transaction.transactionDate.cannot.be.blank"},
		{`{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":""}`, "validation.msg.loan.transaction.transactionAmount.cannot.be.blank"},
		{`{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en"}`, "validation.msg.loan.transaction.transactionAmount.cannot.be.blank"},
	} {
		wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), c.body), 400, c.code)
	}
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), "{"); r.status != 400 || obj(t, r.body)["userMessageGlobalisationCode"] != "error.msg.invalid.json" {
		t.Fatalf("bad JSON: %d %s", r.status, r.body)
	}
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 4 {
		t.Fatalf("blank repayment posted: %d", n)
	}
}

func TestLoanNotActive(t *testing.T) {
	s := startSeeded(t)
	wantError(t, call(t, s, "POST", repayPath(SeedLoanGracePending), repayBody("2024-09-26", "100", "")),
		400, "error.msg.loan.repayment.or.waiver.account.is.not.active")
}

func TestUnknownIDs(t *testing.T) {
	s := startSeeded(t)
	for _, c := range []struct{ method, path, body, code string }{
		{"GET", "/loans/9999", "", "error.msg.loan.id.invalid"},
		{"POST", repayPath(9999), repayBody("2024-09-26", "100", ""), "error.msg.loan.id.invalid"},
		{"GET", "/savingsaccounts/9999", "", "error.msg.saving.account.id.invalid"},
		{"POST", depositPath(9999), `{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":1,"paymentTypeId":3}`, "error.msg.saving.account.id.invalid"},
		{"GET", "/loans/981/transactions/external-id/nope", "", "error.msg.loan.transaction.external.id.invalid"},
		{"GET", "/clients/9999", "", "error.msg.client.id.invalid"},
		{"GET", "/clients/9999/accounts", "", "error.msg.client.id.invalid"},
		{"GET", "/groups/9999", "", "error.msg.group.id.invalid"},
		{"GET", "/staff/9999", "", "error.msg.staff.id.invalid"},
	} {
		m := wantError(t, call(t, s, c.method, c.path, c.body), 404, c.code)
		if m["userMessageGlobalisationCode"] != "error.msg.resource.not.found" {
			t.Fatalf("%s: top-level code %v", c.path, m["userMessageGlobalisationCode"])
		}
	}
}

func TestDuplicateExternalIDAcrossLoans(t *testing.T) {
	s := startSeeded(t)
	r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "100", "sms-1"))
	if r.status != 200 {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	txnID := str(obj(t, r.body)["resourceId"])
	m := wantError(t, call(t, s, "POST", repayPath(SeedLoanGrace), repayBody("2024-09-26", "100", "sms-1")),
		400, "validation.msg.loan.transaction.externalId.value.must.be.unique")
	if path(m, "errors", 0, "parameterName") != "externalId" {
		t.Fatalf("parameterName: %v", m)
	}
	if n := len(s.LoanTransactions(SeedLoanGrace)); n != 2 {
		t.Fatalf("duplicate posted on the other loan: %d transactions", n)
	}
	got := call(t, s, "GET", "/loans/981/transactions/external-id/sms-1", "")
	if got.status != 200 || str(obj(t, got.body)["id"]) != txnID || obj(t, got.body)["manuallyReversed"] != false {
		t.Fatalf("lookup by external id: %d %s", got.status, got.body)
	}
}

func TestSavingsDepositRules(t *testing.T) {
	s := startSeeded(t)
	withExt := `{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":100,"paymentTypeId":3,"externalId":"x1"}`
	m := wantError(t, call(t, s, "POST", depositPath(SeedSavingsAmina), withExt), 400, "error.msg.parameter.unsupported")
	if path(m, "errors", 0, "parameterName") != "externalId" {
		t.Fatalf("parameterName: %v", m)
	}
	noType := `{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":100}`
	wantError(t, call(t, s, "POST", depositPath(SeedSavingsAmina), noType), 400,
		"validation.msg.savingsaccount.transaction.paymentTypeId.cannot.be.blank")
	unknownType := `{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":100,"paymentTypeId":2}`
	wantError(t, call(t, s, "POST", depositPath(SeedSavingsAmina), unknownType), 404, "error.msg.payment.type.invalid")
	if got := s.SavingsBalance(SeedSavingsAmina); got != "3150.000000" {
		t.Fatalf("rejected deposits changed the balance: %s", got)
	}
}

func TestContentTypeRequired(t *testing.T) {
	s := startSeeded(t)
	r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "100", ""), "Content-Type", "text/plain")
	if r.status != http.StatusUnsupportedMediaType {
		t.Fatalf("status %d", r.status)
	}
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 4 {
		t.Fatalf("posted: %d", n)
	}
}

func TestUnknownCommand(t *testing.T) {
	s := startSeeded(t)
	r := call(t, s, "POST", "/loans/981/transactions?command=repay", repayBody("2024-09-26", "100", ""))
	if r.status != 400 {
		t.Fatalf("status %d %s", r.status, r.body)
	}
}

// A payment type Fineract does not have is 404 error.msg.payment.type.invalid
// for a repayment, a deposit and a sheet alike; nothing is posted.
func TestUnknownPaymentType(t *testing.T) {
	s := startSeeded(t)
	wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina),
		`{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":100,"paymentTypeId":9}`),
		404, "error.msg.payment.type.invalid")
	s.SetBusinessDate(time.Date(2024, 9, 28, 0, 0, 0, 0, time.UTC))
	sheet := `{"transactionDate":"2024-09-28","calendarId":31,"dateFormat":"yyyy-MM-dd","locale":"en","paymentTypeId":9,
	  "bulkSavingsDueTransactions":[{"savingsId":78,"transactionAmount":100,"depositAccountType":100}]}`
	m := wantError(t, call(t, s, "POST", "/groups/7?command=saveCollectionSheet", sheet), 404, "error.msg.payment.type.invalid")
	if m["userMessageGlobalisationCode"] != "error.msg.resource.not.found" {
		t.Fatalf("top-level code %v", m["userMessageGlobalisationCode"])
	}
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 4 || s.SavingsBalance(SeedSavingsGrace) != "1200.500000" {
		t.Fatalf("posted despite the payment type: %d loan transactions, Grace's savings %s", n, s.SavingsBalance(SeedSavingsGrace))
	}
}

// A repayment dated on a holiday of the client's office, or on a day the
// tenant does not work, is refused (403) unless the matching global
// setting allows it; a deposit is not checked, and neither is another
// office's holiday.
func TestRepaymentOnHolidayOrNonWorkingDay(t *testing.T) {
	s := startSeeded(t)
	s.AddHoliday(Holiday{Name: "Mashujaa Day", From: testBizDate, To: testBizDate})
	m := wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "100", "hol-1")),
		403, "error.msg.loan.application.repayment.date.on.holiday")
	if m["userMessageGlobalisationCode"] != "validation.msg.domain.rule.violation" {
		t.Fatalf("top-level code: %v", m)
	}
	if r := call(t, s, "POST", depositPath(SeedSavingsAmina), depositBody("2024-09-26", "100", "R-hol")); r.status != 200 {
		t.Fatalf("deposit on a holiday: %d %s", r.status, r.body)
	}
	s.SetAllowTransactionsOnHoliday(true)
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "100", "hol-2")); r.status != 200 {
		t.Fatalf("repayment on a holiday that is allowed: %d %s", r.status, r.body)
	}

	s = startSeeded(t)
	s.AddHoliday(Holiday{Name: "Elsewhere", From: testBizDate, To: testBizDate, OfficeIDs: []int64{2}})
	s.SetWorkingDays(time.Monday, time.Tuesday, time.Wednesday, time.Friday) // 2024-09-26 is a Thursday
	wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "100", "nwd-1")),
		403, "error.msg.loan.application.repayment.date.on.non.working.day")
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-25", "100", "nwd-2")); r.status != 200 {
		t.Fatalf("repayment on a working day: %d %s", r.status, r.body)
	}
	s.SetAllowTransactionsOnNonWorkingDay(true)
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "100", "nwd-3")); r.status != 200 {
		t.Fatalf("repayment on a non-working day that is allowed: %d %s", r.status, r.body)
	}
}

// A deposit to a savings account that is not active is a validation error
// (400), not a domain rule (SavingsAccount.deposit).
func TestDepositToInactiveSavingsIs400(t *testing.T) {
	s := startSeeded(t)
	closed := s.AddSavings(Savings{ClientID: SeedClientAmina, StatusID: 600, ActivatedOn: testBizDate.AddDate(-1, 0, 0)})
	m := wantError(t, call(t, s, "POST", depositPath(closed), depositBody("2024-09-26", "100", "R-closed")),
		400, "error.msg.savingsaccount.transaction.account.is.not.active")
	if m["userMessageGlobalisationCode"] != "validation.msg.validation.errors.exist" || path(m, "errors", 0, "parameterName") != "transactionDate" {
		t.Fatalf("refusal %v", m)
	}
}
