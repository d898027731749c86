package fineractsim

import (
	"strings"
	"testing"
	"time"
)

func TestGroupMeetingCalendar(t *testing.T) {
	s := startSeeded(t)
	m := obj(t, call(t, s, "GET", "/groups/7?associations=clientMembers,collectionMeetingCalendar", "").body)
	if len(m["clientMembers"].([]any)) != 3 || str(m["staffId"]) != "12" {
		t.Fatalf("group %v", m)
	}
	cal := m["collectionMeetingCalendar"].(map[string]any)
	next := cal["nextTenRecurringDates"].([]any)
	// Business date 2024-09-26 is a Thursday; the group meets on Saturdays.
	if str(cal["id"]) != itoa(SeedCalendarUmoja) || len(next) != 10 || str(next[0]) != "[2024,9,28]" || str(next[1]) != "[2024,10,5]" ||
		str(cal["recentEligibleMeetingDate"]) != "[2024,9,21]" {
		t.Fatalf("calendar %v", cal)
	}
	// recurringDates runs from the calendar's start (six months back in
	// the seed) to a year ahead, past meetings included.
	all := cal["recurringDates"].([]any)
	if str(all[0]) != "[2024,3,30]" || !containsDate(all, "[2024,9,21]") || !containsDate(all, "[2024,9,28]") ||
		str(all[len(all)-1]) != "[2025,9,20]" {
		t.Fatalf("recurringDates %v", all)
	}
	if _, has := obj(t, call(t, s, "GET", "/groups/7", "").body)["collectionMeetingCalendar"]; has {
		t.Fatal("calendar without the association")
	}
}

func TestCollectionSheetGenerateAndSave(t *testing.T) {
	s := startSeeded(t)
	meeting := time.Date(2024, 9, 28, 0, 0, 0, 0, time.UTC)
	gen := `{"transactionDate":"2024-09-28","calendarId":31,"dateFormat":"yyyy-MM-dd","locale":"en"}`
	// A meeting after the business date can be generated...
	r := call(t, s, "POST", "/groups/7?command=generateCollectionSheet", gen)
	if r.status != 200 {
		t.Fatalf("generate: %d %s", r.status, r.body)
	}
	m := obj(t, r.body)
	clients := path(m, "groups", 0, "clients").([]any)
	if str(m["dueDate"]) != "[2024,9,28]" || len(clients) != 3 {
		t.Fatalf("sheet %s", r.body)
	}
	amina := clients[0].(map[string]any)
	loans := amina["loans"].([]any)
	// Only the JLG loan of this group, not Amina's individual loan 982.
	if len(loans) != 1 || str(path(loans[0], "loanId")) != "981" || str(path(loans[0], "totalDue")) != "2725.080000" ||
		path(loans[0], "accountId") != "000000981" {
		t.Fatalf("Amina's loans %v", loans)
	}
	if str(path(amina, "savings", 0, "savingsId")) != "77" || path(amina, "savings", 0, "depositAccountType") != "Saving Deposit" {
		t.Fatalf("Amina's savings %v", amina["savings"])
	}
	john := clients[2].(map[string]any)
	if str(path(john, "loans", 0, "totalDue")) != "4480.800000" {
		t.Fatalf("John's due: %v", john["loans"])
	}
	// ... but saving it is a repayment dated in the future.
	save := `{"transactionDate":"2024-09-28","calendarId":31,"dateFormat":"yyyy-MM-dd","locale":"en","paymentTypeId":1,
	  "bulkRepaymentTransactions":[{"loanId":981,"transactionAmount":2725.08,"externalId":"cs-981"},
	                               {"loanId":985,"transactionAmount":0.50,"externalId":"cs-985"}],
	  "bulkSavingsDueTransactions":[{"savingsId":78,"transactionAmount":100,"depositAccountType":100}]}`
	wantError(t, call(t, s, "POST", "/groups/7?command=saveCollectionSheet", save), 403,
		"error.msg.loan.transaction.cannot.be.a.future.date")
	s.SetBusinessDate(meeting)
	r = call(t, s, "POST", "/groups/7?command=saveCollectionSheet", save, "Idempotency-Key", "cs1")
	if r.status != 200 {
		t.Fatalf("save: %d %s", r.status, r.body)
	}
	res := obj(t, r.body)
	lt := path(res, "changes", "loanTransactions").([]any)
	st := path(res, "changes", "SavingsTransactions").([]any)
	// John's 0.50 has integer part 0: silently skipped.
	if len(lt) != 1 || len(st) != 1 {
		t.Fatalf("changes %s", r.body)
	}
	if s.LoanOutstanding(SeedLoanAmina) != "11250.260000" || len(s.LoanTransactions(SeedLoanJohn)) != 2 ||
		s.SavingsBalance(SeedSavingsGrace) != "1300.500000" {
		t.Fatalf("after save: amina %s john txns %d grace %s", s.LoanOutstanding(SeedLoanAmina),
			len(s.LoanTransactions(SeedLoanJohn)), s.SavingsBalance(SeedSavingsGrace))
	}
	txns := s.LoanTransactions(SeedLoanAmina)
	if last := txns[len(txns)-1]; str(lt[0]) != itoa(int(last.ID)) || last.ExternalID != "cs-981" || last.PaymentTypeID != 1 {
		t.Fatalf("loan transaction %+v", last)
	}
	// The externalId is now taken, also for a single repayment.
	wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-28", "1", "cs-981")), 400,
		"validation.msg.loan.transaction.externalId.value.must.be.unique")
	// Replaying the sheet's key returns the stored answer and posts nothing.
	again := call(t, s, "POST", "/groups/7?command=saveCollectionSheet", save, "Idempotency-Key", "cs1")
	if again.header.Get("x-served-from-cache") != "true" || string(again.body) != string(r.body) ||
		s.SavingsBalance(SeedSavingsGrace) != "1300.500000" {
		t.Fatalf("replay: %v %s", again.header, again.body)
	}
}

func TestCollectionSheetValidation(t *testing.T) {
	s := startSeeded(t)
	s.SetBusinessDate(time.Date(2024, 9, 28, 0, 0, 0, 0, time.UTC))
	noCal := `{"transactionDate":"2024-09-28","dateFormat":"yyyy-MM-dd","locale":"en","bulkRepaymentTransactions":[]}`
	wantError(t, call(t, s, "POST", "/groups/7?command=saveCollectionSheet", noCal), 400,
		"validation.msg.collectionsheet.calendarId.cannot.be.blank")
	wantError(t, call(t, s, "POST", "/groups/7?command=generateCollectionSheet",
		`{"transactionDate":"2024-09-28","dateFormat":"yyyy-MM-dd","locale":"en"}`), 400,
		"validation.msg.collectionsheet.calendarId.cannot.be.blank")
	wantError(t, call(t, s, "POST", "/groups/7?command=saveCollectionSheet",
		`{"transactionDate":"2024-09-28","calendarId":99,"dateFormat":"yyyy-MM-dd","locale":"en"}`), 404, "error.msg.calendar.id.invalid")
	wantError(t, call(t, s, "POST", "/groups/8?command=saveCollectionSheet",
		`{"transactionDate":"2024-09-28","calendarId":31,"dateFormat":"yyyy-MM-dd","locale":"en"}`), 404, "error.msg.group.id.invalid")
	// Not a meeting day: the save's check is the meeting's, the generate's
	// the collection sheet's.
	wantError(t, call(t, s, "POST", "/groups/7?command=saveCollectionSheet",
		`{"transactionDate":"2024-09-27","calendarId":31,"dateFormat":"yyyy-MM-dd","locale":"en"}`), 403,
		"error.msg.calendar.meeting.not.valid.recurring.date")
	m := wantError(t, call(t, s, "POST", "/groups/7?command=generateCollectionSheet",
		`{"transactionDate":"2024-09-27","calendarId":31,"dateFormat":"yyyy-MM-dd","locale":"en"}`), 403,
		"error.msg.calendar.collectionsheet.not.valid.recurring.date")
	if m["userMessageGlobalisationCode"] != "validation.msg.domain.rule.violation" ||
		str(path(m, "errors", 0, "defaultUserMessage")) != "The date '2024-09-27' is not a valid meeting date." {
		t.Fatalf("refusal %v", m)
	}
	// A sheet can be saved for a past meeting.
	if r := call(t, s, "POST", "/groups/7?command=generateCollectionSheet",
		`{"transactionDate":"2024-09-21","calendarId":31,"dateFormat":"yyyy-MM-dd","locale":"en"}`); r.status != 200 {
		t.Fatalf("generate for the last meeting: %d %s", r.status, r.body)
	}
	unknownTop := `{"transactionDate":"2024-09-28","calendarId":31,"dateFormat":"yyyy-MM-dd","locale":"en","officeId":1}`
	wantError(t, call(t, s, "POST", "/groups/7?command=saveCollectionSheet", unknownTop), 400, "error.msg.parameter.unsupported")
	badItem := `{"transactionDate":"2024-09-28","calendarId":31,"dateFormat":"yyyy-MM-dd","locale":"en",
	  "bulkSavingsDueTransactions":[{"savingsId":78,"transactionAmount":100,"depositAccountType":"Saving Deposit"}]}`
	wantError(t, call(t, s, "POST", "/groups/7?command=saveCollectionSheet", badItem), 400, "validation.msg.invalid.integer.format")
	// One bad item fails the whole sheet: nothing is posted.
	mixed := `{"transactionDate":"2024-09-28","calendarId":31,"dateFormat":"yyyy-MM-dd","locale":"en",
	  "bulkRepaymentTransactions":[{"loanId":981,"transactionAmount":100},{"loanId":984,"transactionAmount":100}]}`
	wantError(t, call(t, s, "POST", "/groups/7?command=saveCollectionSheet", mixed), 400,
		"error.msg.loan.repayment.or.waiver.account.is.not.active")
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 4 || !strings.HasPrefix(s.LoanOutstanding(SeedLoanAmina), "13975.34") {
		t.Fatalf("partial sheet posted: %d transactions", n)
	}
}

// A sheet deposit that fails inside the save (an account that is not
// active) is dropped without a word: the rest of the sheet stands, and
// changes.SavingsTransactions lists one id fewer than was sent.
func TestSheetDepositFailureIsSwallowed(t *testing.T) {
	s := startSeeded(t)
	s.SetBusinessDate(time.Date(2024, 9, 28, 0, 0, 0, 0, time.UTC))
	closed := s.AddSavings(Savings{ClientID: SeedClientJohn, StatusID: 600, ActivatedOn: testBizDate.AddDate(-1, 0, 0)})
	save := `{"transactionDate":"2024-09-28","calendarId":31,"dateFormat":"yyyy-MM-dd","locale":"en","paymentTypeId":1,
	  "bulkRepaymentTransactions":[{"loanId":981,"transactionAmount":100,"externalId":"cs-sw-1"}],
	  "bulkSavingsDueTransactions":[{"savingsId":78,"transactionAmount":100,"depositAccountType":100},
	                                {"savingsId":` + itoa(int(closed)) + `,"transactionAmount":50,"depositAccountType":100}]}`
	r := call(t, s, "POST", "/groups/7?command=saveCollectionSheet", save)
	if r.status != 200 {
		t.Fatalf("save: %d %s", r.status, r.body)
	}
	res := obj(t, r.body)
	if lt, st := path(res, "changes", "loanTransactions").([]any), path(res, "changes", "SavingsTransactions").([]any); len(lt) != 1 || len(st) != 1 {
		t.Fatalf("changes %s", r.body)
	}
	if s.SavingsBalance(SeedSavingsGrace) != "1300.500000" || s.SavingsBalance(closed) != "0.000000" {
		t.Fatalf("balances: Grace %s, closed %s", s.SavingsBalance(SeedSavingsGrace), s.SavingsBalance(closed))
	}
}

func containsDate(dates []any, want string) bool {
	for _, d := range dates {
		if str(d) == want {
			return true
		}
	}
	return false
}

// A sheet's totalDue is principal, interest and fees still owed on the
// installments due by the meeting (LoanDueData): penalties are only in
// chargesDue. Only the group's own loans are on it, and no fixed deposit.
func TestSheetDueLeavesOutPenalties(t *testing.T) {
	s := startSeeded(t)
	s.AddLoan(Loan{ID: 990, ClientID: SeedClientGrace, GroupID: SeedGroupUmoja, ProductName: "Dharura", Principal: MustAmount("100"),
		DisbursedOn: testBizDate.AddDate(0, -2, 0), Installments: []Installment{{DueDate: testBizDate.AddDate(0, 0, -1),
			Principal: MustAmount("100"), Interest: MustAmount("10"), Fees: MustAmount("5"), Penalties: MustAmount("20")}}})
	s.AddLoan(Loan{ID: 991, ClientID: SeedClientGrace, ProductName: "Individual", Principal: MustAmount("300"),
		DisbursedOn: testBizDate.AddDate(0, -2, 0), Installments: []Installment{{DueDate: testBizDate.AddDate(0, 0, -1), Principal: MustAmount("300")}}})
	s.AddSavings(Savings{ID: 992, ClientID: SeedClientGrace, ProductName: "Fixed", DepositType: 200, ActivatedOn: testBizDate.AddDate(0, -1, 0)})
	gen := `{"transactionDate":"2024-09-28","calendarId":31,"dateFormat":"yyyy-MM-dd","locale":"en"}`
	m := obj(t, call(t, s, "POST", "/groups/7?command=generateCollectionSheet", gen).body)
	for _, c := range path(m, "groups", 0, "clients").([]any) {
		if str(path(c, "clientId")) != itoa(SeedClientGrace) {
			continue
		}
		var loans []string
		for _, l := range path(c, "loans").([]any) {
			loans = append(loans, str(path(l, "loanId")))
			if str(path(l, "loanId")) == "990" && (str(path(l, "totalDue")) != "115.000000" || str(path(l, "chargesDue")) != "25.000000") {
				t.Fatalf("loan 990 on the sheet: %v", l)
			}
		}
		if strings.Join(loans, ",") != "983,990" {
			t.Fatalf("Grace's loans on the sheet: %v", loans)
		}
		for _, sv := range path(c, "savings").([]any) {
			if str(path(sv, "savingsId")) == "992" {
				t.Fatalf("a fixed deposit on the sheet: %v", sv)
			}
		}
		return
	}
	t.Fatalf("Grace is not on the sheet: %v", m)
}
