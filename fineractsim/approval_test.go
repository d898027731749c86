package fineractsim

import (
	"encoding/base64"
	"strings"
	"testing"
)

// as is the Authorization header of user:password.
func as(user, password string) []string {
	return []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))}
}

var manager = as(SeedManager, SeedManagerPassword)

func approveBody(on string, extra string) string {
	return `{"approvedOnDate":"` + on + `","dateFormat":"yyyy-MM-dd","locale":"en"` + extra + `}`
}

// Every app user signs in with its own password and is told its office,
// staff link, roles and permissions; a wrong password is 401 with
// Fineract's JSON from the login call, Spring's page from any other.
func TestUsersAuthenticate(t *testing.T) {
	s := startSeeded(t)
	cases := []struct {
		user, password string
		status         int
		office, staff  string
		perm           string
	}{
		{SeedManager, SeedManagerPassword, 200, "1", "14", "APPROVE_LOAN"},
		{SeedAheroManager, SeedAheroPassword, 200, "2", "<absent>", "REJECT_LOAN"},
		{SeedTeller, SeedTellerPassword, 200, "1", "<absent>", "REPAYMENT_LOAN"},
		{SeedAdmin, SeedAdminPassword, 200, "1", "<absent>", "ALL_FUNCTIONS"},
		{"mifos", "password", 200, "1", "<absent>", "ALL_FUNCTIONS"},
		{SeedManager, "wrong", 401, "", "", ""},
		{SeedManager, SeedAdminPassword, 401, "", "", ""},
		{"nobody", "x", 401, "", "", ""},
	}
	for _, c := range cases {
		body := `{"username":"` + c.user + `","password":"` + c.password + `"}`
		r := call(t, s, "POST", "/authentication", body, "Authorization", "")
		if r.status != c.status {
			t.Fatalf("%s/%s: %d %s", c.user, c.password, r.status, r.body)
		}
		m := obj(t, r.body)
		if c.status == 401 {
			if m["userMessageGlobalisationCode"] != "error.msg.not.authenticated" || strings.Contains(string(r.body), c.password) {
				t.Fatalf("%s: 401 body %s", c.user, r.body)
			}
			continue
		}
		perms := str(m["permissions"])
		if str(m["officeId"]) != c.office || str(m["staffId"]) != c.staff || !strings.Contains(perms, c.perm) ||
			m["shouldRenewPassword"] != false || m["username"] != c.user {
			t.Fatalf("%s: %s", c.user, r.body)
		}
		if c.user == SeedTeller && strings.Contains(perms, "APPROVE_LOAN") {
			t.Fatalf("the teller may approve: %s", perms)
		}
	}
	// Basic auth names the user of every other request.
	if r := call(t, s, "GET", "/loans/984", "", manager...); r.status != 200 {
		t.Fatalf("manager reads a loan: %d %s", r.status, r.body)
	}
	r := call(t, s, "GET", "/loans/984", "", as(SeedManager, "wrong")...)
	if r.status != 401 || r.header.Get("WWW-Authenticate") == "" || strings.HasPrefix(string(r.body), "{") {
		t.Fatalf("wrong password on a read: %d %s", r.status, r.body)
	}
	// The teller has no READ_SAVINGSACCOUNT.
	wantError(t, call(t, s, "GET", "/savingsaccounts/77", "", as(SeedTeller, SeedTellerPassword)...), 403, "error.msg.not.authorized")
}

// GET /loans?status=100 lists the applications the user's office
// hierarchy covers, paged, in Fineract's {totalFilteredRecords, pageItems}.
func TestPendingLoanList(t *testing.T) {
	s := startSeeded(t)
	ids := func(r resp) (string, []string) {
		t.Helper()
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		m := obj(t, r.body)
		var out []string
		for _, it := range m["pageItems"].([]any) {
			out = append(out, str(path(it, "id")))
		}
		return str(m["totalFilteredRecords"]), out
	}
	cases := []struct {
		name  string
		query string
		user  []string
		total string
		page  string
	}{
		{"manager sees own office and below", "?status=100", manager, "3", "[984 986 987]"},
		{"sub-branch sees its own only", "?status=100", as(SeedAheroManager, SeedAheroPassword), "1", "[986]"},
		{"paged", "?status=100&offset=1&limit=1", manager, "3", "[986]"},
		{"past the end", "?status=100&offset=5", manager, "3", "[]"},
		{"approved ones", "?status=200", manager, "7", "[988 1001 1002 1003 1004 1005 1006]"},
		{"approved ones at the sub-branch", "?status=200", as(SeedAheroManager, SeedAheroPassword), "1", "[1006]"},
		{"descending", "?status=100&sortOrder=DESC&limit=2", manager, "3", "[987 986]"},
		{"sqlSearch is gone from 1.9: ignored", "?sqlSearch=l.loan_status_id%3D100&limit=0", manager, "14",
			"[981 982 983 984 985 986 987 988 1001 1002 1003 1004 1005 1006]"},
	}
	for _, c := range cases {
		total, page := ids(call(t, s, "GET", "/loans"+c.query, "", c.user...))
		if total != c.total || "["+strings.Join(page, " ")+"]" != c.page {
			t.Errorf("%s: total %s page %v", c.name, total, page)
		}
	}
	r := call(t, s, "GET", "/loans?status=100&limit=1", "", manager...)
	item := path(obj(t, r.body), "pageItems", 0)
	if str(path(item, "status", "id")) != "100" || path(item, "status", "pendingApproval") != true ||
		str(path(item, "principal")) != "5000.000000" || path(item, "clientName") != "Grace Wanjiru" ||
		path(item, "loanProductName") != "Dharura 4M" || path(item, "loanOfficerName") != "Peter Otieno" ||
		path(item, "timeline", "submittedOnDate") == nil || path(item, "timeline", "expectedDisbursementDate") == nil ||
		path(item, "summary") != nil {
		t.Fatalf("pending item: %s", r.body)
	}
	// The sub-branch manager cannot read a Kisumu loan: not found.
	wantError(t, call(t, s, "GET", "/loans/987", "", as(SeedAheroManager, SeedAheroPassword)...), 404, "error.msg.loan.id.invalid")
}

// Before 1.9 the list takes sqlSearch and ignores status.
func TestPendingLoanListBefore19(t *testing.T) {
	s, err := Start(Options{BusinessDate: testBizDate, Before19: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.Seed()
	r := call(t, s, "GET", "/loans?sqlSearch=l.loan_status_id%3D100", "", manager...)
	if m := obj(t, r.body); r.status != 200 || str(m["totalFilteredRecords"]) != "3" {
		t.Fatalf("sqlSearch: %d %s", r.status, r.body)
	}
	r = call(t, s, "GET", "/loans?status=100", "", manager...)
	if m := obj(t, r.body); r.status != 200 || str(m["totalFilteredRecords"]) != "14" {
		t.Fatalf("status on 1.8 must be ignored: %d %s", r.status, r.body)
	}
}

// Approval and rejection: each rule, with the status and code Fineract
// answers.
func TestApproveRejectRules(t *testing.T) {
	today := "2024-09-26" // testBizDate; loan 987 was submitted the day before
	cases := []struct {
		name   string
		user   []string
		loan   int64
		cmd    string
		body   string
		status int
		code   string
	}{
		{"unknown key", manager, 987, "approve", approveBody(today, `,"approvedBy":"x"`), 400, "error.msg.parameter.unsupported"},
		{"no date", manager, 987, "approve", `{"dateFormat":"yyyy-MM-dd","locale":"en"}`, 400, "validation.msg.loanapplication.approvedOnDate.cannot.be.blank"},
		{"no locale", manager, 987, "approve", `{"approvedOnDate":"2024-09-26","dateFormat":"yyyy-MM-dd"}`, 400, "validation.msg.missing.locale.parameter"},
		{"no dateFormat", manager, 987, "approve", `{"approvedOnDate":"2024-09-26","locale":"en"}`, 400, "validation.msg.missing.dateFormat.parameter"},
		{"bad date", manager, 987, "approve", approveBody("26/09/2024", ""), 400, "validation.msg.invalid.dateFormat.format"},
		{"zero amount", manager, 987, "approve", approveBody(today, `,"approvedLoanAmount":0`), 400, "validation.msg.loanapplication.approvedLoanAmount.not.greater.than.zero"},
		{"long note", manager, 987, "approve", approveBody(today, `,"note":"`+strings.Repeat("n", 1001)+`"`), 400, "validation.msg.loanapplication.note.exceeds.max.length"},
		{"not JSON", manager, 987, "approve", `approve`, 400, "error.msg.invalid.json"},
		{"more than applied", manager, 987, "approve", approveBody(today, `,"approvedLoanAmount":30000.01`), 403, "error.msg.loan.approval.amount.can't.be.greater.than.loan.amount.demanded"},
		{"before submittal", manager, 987, "approve", approveBody("2024-09-24", ""), 403, "error.msg.loan.approval.cannot.be.before.submittal.date"},
		{"future", manager, 987, "approve", approveBody("2024-09-27", ""), 403, "error.msg.loan.approval.cannot.be.a.future.date"},
		{"disbursal before approval", manager, 987, "approve", approveBody(today, `,"expectedDisbursementDate":"2024-09-25"`), 403, "error.msg.loan.expecteddisbursal.should.be.on.or.after.approval.date"},
		{"not pending", manager, 981, "approve", approveBody(today, ""), 400, "error.msg.loan.approve.account.is.not.submitted.and.pending.state"},
		{"approved already", manager, 988, "approve", approveBody(today, ""), 400, "error.msg.loan.approve.account.is.not.submitted.and.pending.state"},
		{"no such loan", manager, 999, "approve", approveBody(today, ""), 404, "error.msg.loan.id.invalid"},
		{"teller may not approve", as(SeedTeller, SeedTellerPassword), 987, "approve", approveBody(today, ""), 403, "error.msg.not.authorized"},
		{"teller may not reject", as(SeedTeller, SeedTellerPassword), 987, "reject", `{"rejectedOnDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en"}`, 403, "error.msg.not.authorized"},
		{"outside the office", as(SeedAheroManager, SeedAheroPassword), 987, "approve", approveBody(today, ""), 403, "error.msg.not.authorized"},
		{"reject: unknown key", manager, 987, "reject", `{"rejectedOnDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","reason":"x"}`, 400, "error.msg.parameter.unsupported"},
		{"reject: no date", manager, 987, "reject", `{"dateFormat":"yyyy-MM-dd","locale":"en"}`, 400, "validation.msg.loanapplication.rejectedOnDate.cannot.be.blank"},
		{"reject: before submittal", manager, 987, "reject", `{"rejectedOnDate":"2024-09-20","dateFormat":"yyyy-MM-dd","locale":"en"}`, 403, "error.msg.loan.reject.cannot.be.before.submittal.date"},
		{"reject: future", manager, 987, "reject", `{"rejectedOnDate":"2024-10-01","dateFormat":"yyyy-MM-dd","locale":"en"}`, 403, "error.msg.loan.reject.cannot.be.a.future.date"},
		{"reject: not pending", manager, 981, "reject", `{"rejectedOnDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en"}`, 400, "error.msg.loan.reject.account.is.not.submitted.pending.approval.state"},
		{"unknown command", manager, 987, "undoapproval", approveBody(today, ""), 400, "error.msg.unknown.query.param.command"},
	}
	s := startSeeded(t)
	for _, c := range cases {
		r := call(t, s, "POST", "/loans/"+itoa(int(c.loan))+"?command="+c.cmd, c.body, c.user...)
		if r.status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, r.status, c.status, r.body)
			continue
		}
		m := obj(t, r.body)
		got := str(path(m, "errors", 0, "userMessageGlobalisationCode"))
		if got == "<absent>" {
			got = str(m["userMessageGlobalisationCode"])
		}
		if got != c.code {
			t.Errorf("%s: code %s, want %s", c.name, got, c.code)
		}
	}
	if s.LoanStatus(987) != 100 {
		t.Fatalf("a refused command changed the loan: %d", s.LoanStatus(987))
	}
}

// An approval moves the loan to 200 with who approved it; a second one is
// refused; a rejection moves another to 500; a disbursal makes the
// approved loan active.
func TestApproveRejectDisburse(t *testing.T) {
	s := startSeeded(t)
	r := call(t, s, "POST", "/loans/987?command=approve",
		approveBody("2024-09-26", `,"approvedLoanAmount":24000,"expectedDisbursementDate":"2024-09-30","note":"ok by BM"`), manager...)
	m := obj(t, r.body)
	if r.status != 200 || str(m["resourceId"]) != "987" || str(m["clientId"]) != "47" || str(path(m, "changes", "status", "id")) != "200" ||
		path(m, "changes", "approvedOnDate") != "2024-09-26" {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	if s.LoanApprovedBy(987) != SeedManager {
		t.Fatalf("approved by %q", s.LoanApprovedBy(987))
	}
	g := obj(t, call(t, s, "GET", "/loans/987", "").body)
	if str(path(g, "status", "id")) != "200" || path(g, "status", "waitingForDisbursal") != true ||
		path(g, "timeline", "approvedByUsername") != SeedManager || path(g, "timeline", "approvedByFirstname") != "Jane" ||
		str(path(g, "timeline", "approvedOnDate")) != "[2024,9,26]" || str(path(g, "timeline", "expectedDisbursementDate")) != "[2024,9,30]" ||
		str(g["principal"]) != "24000.000000" || str(g["proposedPrincipal"]) != "30000.000000" ||
		str(g["approvedPrincipal"]) != "24000.000000" {
		t.Fatalf("approved loan: %v", g)
	}
	wantError(t, call(t, s, "POST", "/loans/987?command=approve", approveBody("2024-09-26", ""), manager...),
		400, "error.msg.loan.approve.account.is.not.submitted.and.pending.state")

	r = call(t, s, "POST", "/loans/986?command=reject", `{"rejectedOnDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","note":"no collateral"}`,
		as(SeedAheroManager, SeedAheroPassword)...)
	if r.status != 200 || s.LoanStatus(986) != 500 {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	g = obj(t, call(t, s, "GET", "/loans/986", "").body)
	if path(g, "timeline", "rejectedByUsername") != SeedAheroManager || path(g, "status", "value") != "Rejected" || g["summary"] != nil {
		t.Fatalf("rejected loan: %v", g)
	}

	disb := `{"actualDisbursementDate":"2024-09-26","transactionAmount":8000,"paymentTypeId":1,"externalId":"disb-988","dateFormat":"yyyy-MM-dd","locale":"en"}`
	wantError(t, call(t, s, "POST", "/loans/988?command=disburse", strings.Replace(disb, "2024-09-26", "2024-09-27", 1), manager...),
		403, "error.msg.loan.disbursal.cannot.be.a.future.date")
	wantError(t, call(t, s, "POST", "/loans/988?command=disburse", strings.Replace(disb, "2024-09-26", "2024-09-17", 1), manager...),
		403, "error.msg.loan.disbursal.cannot.be.before.approval.date")
	wantError(t, call(t, s, "POST", "/loans/984?command=disburse", disb, manager...),
		400, "error.msg.loan.disbursal.account.is.not.approve.not.disbursed.state")
	wantError(t, call(t, s, "POST", "/loans/988?command=disburse", disb, as(SeedAheroManager, SeedAheroPassword)...), 403, "error.msg.not.authorized")
	if r := call(t, s, "POST", "/loans/988?command=disburse", disb, manager...); r.status != 200 || s.LoanStatus(988) != 300 {
		t.Fatalf("disburse: %d %s", r.status, r.body)
	}
	// Now active: a repayment goes through, as for any seeded loan.
	if r := call(t, s, "POST", repayPath(988), repayBody("2024-09-26", "100", "after-disb")); r.status != 200 {
		t.Fatalf("repay the disbursed loan: %d %s", r.status, r.body)
	}
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "100", "old-loan")); r.status != 200 {
		t.Fatalf("repay a seeded loan: %d %s", r.status, r.body)
	}
	// Disbursed for less than approved: the principal and the summary
	// follow the disbursement, approvedPrincipal keeps the approval's.
	less := strings.NewReplacer("8000", "20000", "disb-988", "disb-987").Replace(disb)
	if r := call(t, s, "POST", "/loans/987?command=disburse", less, manager...); r.status != 200 {
		t.Fatalf("disburse less: %d %s", r.status, r.body)
	}
	g = obj(t, call(t, s, "GET", "/loans/987", "").body)
	if str(g["principal"]) != "20000.000000" || str(g["approvedPrincipal"]) != "24000.000000" ||
		str(path(g, "summary", "principalDisbursed")) != "20000.000000" {
		t.Fatalf("loan disbursed for less: principal %v approved %v summary %v", g["principal"], g["approvedPrincipal"], g["summary"])
	}
}
