package fineractsim

import (
	"strings"
	"testing"
)

func TestRepaymentReducesScheduleInDueDateOrder(t *testing.T) {
	s := startSeeded(t)
	// Before: installment 3 (due 2024-09-16) owes 2725.08 of principal; 4 is untouched.
	if got := s.LoanOutstanding(SeedLoanAmina); got != "13975.340000" {
		t.Fatalf("seed outstanding %s", got)
	}
	r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "3000.00", "pay-1"))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	res := obj(t, r.body)
	if str(res["loanId"]) != "981" || str(res["clientId"]) != "42" || res["resourceExternalId"] != "pay-1" ||
		str(path(res, "changes", "transactionAmount")) != "3000.00" {
		t.Fatalf("result: %s", r.body)
	}
	txns := s.LoanTransactions(SeedLoanAmina)
	last := txns[len(txns)-1]
	if str(res["resourceId"]) != itoa(int(last.ID)) {
		t.Fatalf("resourceId %v is not the new transaction %d", res["resourceId"], last.ID)
	}
	// 2725.08 closes installment 3; the remaining 274.92 goes to installment 4's interest first.
	if last.Principal.String() != "2725.080000" || last.Interest.String() != "274.920000" {
		t.Fatalf("allocation principal %s interest %s", last.Principal, last.Interest)
	}
	g := call(t, s, "GET", "/loans/981?associations=repaymentSchedule,transactions", "")
	if !strings.Contains(string(g.body), `"totalOutstanding":10975.340000`) {
		t.Fatalf("amount text: want 10975.340000 with 6 decimals: %.400s", g.body)
	}
	m := obj(t, g.body)
	if str(path(m, "summary", "totalOutstanding")) != "10975.340000" || str(path(m, "summary", "totalOverdue")) != "0.000000" ||
		m["inArrears"] != false || path(m, "summary", "overdueSinceDate") != nil {
		t.Fatalf("summary: %v", m["summary"])
	}
	periods := path(m, "repaymentSchedule", "periods").([]any)
	if _, has := periods[0].(map[string]any)["period"]; has {
		t.Fatal("the disbursement row must have no period key")
	}
	p3, p4 := periods[3].(map[string]any), periods[4].(map[string]any)
	if p3["complete"] != true || str(p3["totalOutstandingForPeriod"]) != "0.000000" || str(p3["obligationsMetOnDate"]) != "[2024,9,26]" ||
		str(p3["totalPaidLateForPeriod"]) != "2725.080000" {
		t.Fatalf("period 3: %v", p3)
	}
	if p4["complete"] != false || str(p4["totalOutstandingForPeriod"]) != "3475.160000" || p4["obligationsMetOnDate"] != nil ||
		str(p4["interestOutstanding"]) != "141.830000" || str(p4["totalPaidInAdvanceForPeriod"]) != "274.920000" {
		t.Fatalf("period 4: %v", p4)
	}
	tx := path(m, "transactions").([]any)
	lastTx := tx[len(tx)-1].(map[string]any)
	if lastTx["externalId"] != "pay-1" || str(path(lastTx, "paymentDetailData", "paymentType", "name")) != "M-PESA" ||
		str(lastTx["outstandingLoanBalance"]) != "10000.010000" {
		t.Fatalf("transaction: %v", lastTx)
	}
}

func TestAmountStringWithGroupingAndRounding(t *testing.T) {
	s := startSeeded(t)
	body := `{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":"1,000.005","paymentTypeId":1}`
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), body); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	txns := s.LoanTransactions(SeedLoanAmina)
	// HALF_EVEN to the currency's 2 decimals: 1000.005 -> 1000.00.
	if got := txns[len(txns)-1].Amount.String(); got != "1000.000000" {
		t.Fatalf("amount %s", got)
	}
	noLocale := `{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","transactionAmount":"100"}`
	wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), noLocale), 400, "validation.msg.missing.locale.parameter")
}

func TestOverpaymentMakesLoanOverpaid(t *testing.T) {
	s := startSeeded(t)
	if got := s.LoanOutstanding(SeedLoanGrace); got != "9374.590000" {
		t.Fatalf("seed outstanding %s", got)
	}
	if r := call(t, s, "POST", repayPath(SeedLoanGrace), repayBody("2024-09-26", "10000", "")); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := obj(t, call(t, s, "GET", "/loans/983", "").body)
	if str(path(m, "status", "id")) != "700" || path(m, "status", "overpaid") != true || str(m["totalOverpaid"]) != "625.410000" ||
		str(path(m, "summary", "totalOutstanding")) != "0.000000" {
		t.Fatalf("overpaid loan: %v %v %v", m["status"], m["totalOverpaid"], m["summary"])
	}
	// An overpaid loan is no longer active.
	wantError(t, call(t, s, "POST", repayPath(SeedLoanGrace), repayBody("2024-09-26", "1", "")), 400,
		"error.msg.loan.repayment.or.waiver.account.is.not.active")
}

func TestExactPayoffClosesLoan(t *testing.T) {
	s := startSeeded(t)
	if r := call(t, s, "POST", repayPath(SeedLoanGrace), repayBody("2024-09-26", "9374.59", "")); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if s.LoanStatus(SeedLoanGrace) != 600 || s.LoanOutstanding(SeedLoanGrace) != "0.000000" {
		t.Fatalf("status %d outstanding %s", s.LoanStatus(SeedLoanGrace), s.LoanOutstanding(SeedLoanGrace))
	}
}

func TestDepositUpdatesBalances(t *testing.T) {
	s := startSeeded(t)
	body := `{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":500.25,"paymentTypeId":3,"receiptNumber":"MPX8QK3ABC","note":"SMS deposit"}`
	r := call(t, s, "POST", depositPath(SeedSavingsAmina), body, "Idempotency-Key", "d1")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	res := obj(t, r.body)
	if str(res["savingsId"]) != "77" || str(path(res, "changes", "receiptNumber")) != "MPX8QK3ABC" {
		t.Fatalf("result %s", r.body)
	}
	m := obj(t, call(t, s, "GET", "/savingsaccounts/77?associations=transactions", "").body)
	if str(path(m, "summary", "accountBalance")) != "3650.250000" || str(path(m, "summary", "availableBalance")) != "3650.250000" {
		t.Fatalf("summary %v", m["summary"])
	}
	newest := path(m, "transactions", 0).(map[string]any)
	if str(path(newest, "paymentDetailData", "receiptNumber")) != "MPX8QK3ABC" || str(newest["runningBalance"]) != "3650.250000" ||
		str(newest["id"]) != str(res["resourceId"]) || path(newest, "transactionType", "deposit") != true {
		t.Fatalf("newest transaction %v", newest)
	}
	if got := s.SavingsBalance(SeedSavingsAmina); got != "3650.250000" {
		t.Fatalf("SavingsBalance %s", got)
	}
}

func TestClientAccountsOmitZeroAmounts(t *testing.T) {
	s := startSeeded(t)
	m := obj(t, call(t, s, "GET", "/clients/42/accounts", "").body)
	loans := m["loanAccounts"].([]any)
	if len(loans) != 2 || str(path(loans[0], "loanBalance")) != "13975.340000" || path(loans[0], "inArrears") != true ||
		str(path(loans[1], "timeline", "actualDisbursementDate")) != "[2024,9,6]" {
		t.Fatalf("loans %v", loans)
	}
	if str(path(m, "savingsAccounts", 0, "accountBalance")) != "3150.000000" {
		t.Fatalf("savings %v", m["savingsAccounts"])
	}
	grace := obj(t, call(t, s, "GET", "/clients/43/accounts", "").body)
	for _, l := range grace["loanAccounts"].([]any) {
		lm := l.(map[string]any)
		if str(lm["id"]) == itoa(SeedLoanGracePending) {
			if _, has := lm["loanBalance"]; has || str(path(lm, "status", "id")) != "100" {
				t.Fatalf("pending loan %v", lm)
			}
		} else if lm["inArrears"] != false {
			t.Fatalf("Grace's active loan must not be in arrears: %v", lm)
		}
	}
	// Paying a loan off drops loanBalance from the summary (zero is null).
	call(t, s, "POST", repayPath(SeedLoanGrace), repayBody("2024-09-26", "9374.59", ""))
	grace = obj(t, call(t, s, "GET", "/clients/43/accounts", "").body)
	for _, l := range grace["loanAccounts"].([]any) {
		if lm := l.(map[string]any); str(lm["id"]) == itoa(SeedLoanGrace) {
			if _, has := lm["loanBalance"]; has {
				t.Fatalf("zero loanBalance present: %v", lm)
			}
		}
	}
	mary := obj(t, call(t, s, "GET", "/clients/45/accounts", "").body)
	if len(mary["loanAccounts"].([]any)) != 0 || len(mary["savingsAccounts"].([]any)) != 0 {
		t.Fatalf("Mary %v", mary)
	}
}

func TestSearchByPhone(t *testing.T) {
	s := startSeeded(t)
	for phone, id := range map[string]string{SeedAminaPhone: "42", SeedGracePhone: "43"} {
		r := call(t, s, "GET", "/search?query="+strings.ReplaceAll(phone, "+", "%2B")+"&resource=clients&exactMatch=true", "")
		hits := arr(t, r.body)
		if len(hits) != 1 || str(path(hits[0], "entityId")) != id || path(hits[0], "entityMobileNo") != phone ||
			path(hits[0], "entityType") != "CLIENT" || str(path(hits[0], "entityStatus", "id")) != "300" ||
			path(hits[0], "parentName") != "Kisumu Branch" {
			t.Fatalf("%s: %s", phone, r.body)
		}
	}
	// Stored as typed: the other format does not match exactly.
	if hits := arr(t, call(t, s, "GET", "/search?query=0712345678&resource=clients&exactMatch=true", "").body); len(hits) != 0 {
		t.Fatalf("national format of an E.164-stored phone matched: %v", hits)
	}
	// Not exact: LIKE %q%.
	if hits := arr(t, call(t, s, "GET", "/search?query=722&resource=clients", "").body); len(hits) != 1 {
		t.Fatalf("substring search: %v", hits)
	}
	v2 := call(t, s, "POST", "/v2/clients/search", `{"request":{"text":"0722111222"},"page":0,"size":50}`)
	m := obj(t, v2.body)
	if v2.status != 200 || str(m["totalElements"]) != "1" || str(path(m, "content", 0, "id")) != "43" ||
		path(m, "content", 0, "mobileNo") != SeedGracePhone {
		t.Fatalf("v2: %d %s", v2.status, v2.body)
	}
}

func TestReads(t *testing.T) {
	s := startSeeded(t)
	c := obj(t, call(t, s, "GET", "/clients/42", "").body)
	if c["displayName"] != "Amina Odhiambo" || c["accountNo"] != "000000042" || c["mobileNo"] != SeedAminaPhone ||
		str(path(c, "groups", 0, "id")) != "7" {
		t.Fatalf("client %v", c)
	}
	if _, has := obj(t, call(t, s, "GET", "/clients/45", "").body)["mobileNo"]; has {
		t.Fatal("Mary has no phone: mobileNo must be omitted")
	}
	st := obj(t, call(t, s, "GET", "/staff/12", "").body)
	if st["mobileNo"] != SeedPeterPhone || st["isLoanOfficer"] != true || st["displayName"] != "Peter Otieno" {
		t.Fatalf("staff %v", st)
	}
	pts := arr(t, call(t, s, "GET", "/paymenttypes", "").body)
	if len(pts) != 2 || path(pts[1], "name") != "M-PESA" || str(path(pts[1], "id")) != "3" {
		t.Fatalf("payment types %v", pts)
	}
	groups := arr(t, call(t, s, "GET", "/groups?staffId=12", "").body)
	if len(groups) != 2 || path(groups[0], "name") != "Umoja Women Group" || path(groups[1], "name") != "Tujenge Women Group" {
		t.Fatalf("groups of staff 12: %v", groups)
	}
	if len(arr(t, call(t, s, "GET", "/groups?staffId=13", "").body)) != 0 {
		t.Fatal("groups of an unknown staff member")
	}
	if r := call(t, s, "GET", "/loans/984?associations=repaymentSchedule", ""); r.status != 200 || obj(t, r.body)["summary"] != nil {
		t.Fatalf("pending loan must have no summary: %s", r.body)
	}
}

// A client's savingsAccounts list fixed and recurring deposit accounts
// too, each with its depositType; an account's transactions association
// lists plain savings only, so a deposit account shows none.
func TestSavingsAccountsCarryTheirDepositType(t *testing.T) {
	s := startSeeded(t)
	fixed := s.AddSavings(Savings{ClientID: SeedClientAmina, ProductName: "Fixed 12M", DepositType: 200, Balance: MustAmount("500"),
		ActivatedOn: testBizDate.AddDate(0, -1, 0)})
	m := obj(t, call(t, s, "GET", "/clients/42/accounts", "").body)
	types := map[string]string{}
	for _, a := range m["savingsAccounts"].([]any) {
		types[str(path(a, "id"))] = str(path(a, "depositType", "id"))
	}
	if types["77"] != "100" || types[itoa(int(fixed))] != "200" {
		t.Fatalf("deposit types %v", types)
	}
	acct := obj(t, call(t, s, "GET", "/savingsaccounts/"+itoa(int(fixed))+"?associations=transactions", "").body)
	if str(path(acct, "depositType", "id")) != "200" || len(acct["transactions"].([]any)) != 0 {
		t.Fatalf("fixed deposit account %v", acct)
	}
}
