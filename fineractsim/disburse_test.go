package fineractsim

import (
	"strings"
	"testing"
	"time"
)

func disburseBody(on, amount, ext, extra string) string {
	b := `{"actualDisbursementDate":"` + on + `","dateFormat":"yyyy-MM-dd","locale":"en"`
	if amount != "" {
		b += `,"transactionAmount":` + amount
	}
	if ext != "" {
		b += `,"externalId":"` + ext + `"`
	}
	return b + extra + "}"
}

func disbursePath(loanID int64) string { return "/loans/" + itoa(int(loanID)) + "?command=disburse" }

const mpesaReceipt = `,"paymentTypeId":3,"receiptNumber":"SIQ7K2L9XB","note":"paid by M-PESA B2C"`

// A seeded approved loan, disbursed with the operator's receipt, reads back
// as a disbursed loan: active, with a summary, a schedule whose first row
// is the disbursement (no period key) and whose first installment is a
// month after the disbursement, a disbursement transaction carrying the
// payment type and receipt, found by its externalId; the command's result
// names that transaction as its sub-resource.
func TestDisburseReadsBackAsDisbursed(t *testing.T) {
	s := startSeeded(t)
	r := call(t, s, "POST", disbursePath(SeedLoanRose), disburseBody("2024-09-26", "20000", "md-box-l1", mpesaReceipt), manager...)
	if r.status != 200 {
		t.Fatalf("disburse: %d %s", r.status, r.body)
	}
	res := obj(t, r.body)
	disb := s.Disbursals(SeedLoanRose)
	if len(disb) != 1 {
		t.Fatalf("disbursals %+v", disb)
	}
	d := disb[0]
	if d.Amount != MustAmount("20000") || d.ReceiptNumber != "SIQ7K2L9XB" || d.PaymentTypeID != SeedPaymentMpesa ||
		d.ExternalID != "md-box-l1" || !d.Date.Equal(testBizDate) || d.Note != "paid by M-PESA B2C" {
		t.Fatalf("disbursal %+v", d)
	}
	if str(res["resourceId"]) != itoa(SeedLoanRose) || str(res["subResourceId"]) != itoa(int(d.ID)) ||
		res["subResourceExternalId"] != "md-box-l1" || str(res["groupId"]) != itoa(SeedGroupTujenge) ||
		str(path(res, "changes", "status", "id")) != "300" || path(res, "changes", "receiptNumber") != "SIQ7K2L9XB" {
		t.Fatalf("result %s", r.body)
	}
	g := obj(t, call(t, s, "GET", "/loans/1001?associations=repaymentSchedule,transactions", "").body)
	if str(path(g, "status", "id")) != "300" || str(path(g, "summary", "principalDisbursed")) != "20000.000000" ||
		str(path(g, "summary", "totalOutstanding")) != "22500.020000" || str(path(g, "timeline", "actualDisbursementDate")) != "[2024,9,26]" ||
		path(g, "timeline", "disbursedByUsername") != SeedManager {
		t.Fatalf("loan %v", g)
	}
	periods := path(g, "repaymentSchedule", "periods").([]any)
	if len(periods) != 7 || path(periods[0], "period") != nil || str(path(periods[0], "principalDisbursed")) != "20000.000000" ||
		str(path(periods[1], "period")) != "1" || str(path(periods[1], "dueDate")) != "[2024,10,26]" ||
		str(path(periods[1], "totalDueForPeriod")) != "3750.000000" || str(path(periods[6], "dueDate")) != "[2025,3,26]" ||
		str(path(periods[6], "principalDue")) != "3333.350000" {
		t.Fatalf("schedule %v", periods)
	}
	txn := path(g, "transactions", 0)
	if path(txn, "type", "disbursement") != true || str(path(txn, "amount")) != "20000.000000" ||
		path(txn, "paymentDetailData", "receiptNumber") != "SIQ7K2L9XB" || path(txn, "paymentDetailData", "paymentType", "name") != "M-PESA" ||
		path(txn, "externalId") != "md-box-l1" || str(path(txn, "date")) != "[2024,9,26]" {
		t.Fatalf("transaction %v", txn)
	}
	byExt := obj(t, call(t, s, "GET", "/loans/1001/transactions/external-id/md-box-l1", "").body)
	if str(byExt["id"]) != itoa(int(d.ID)) || path(byExt, "type", "disbursement") != true {
		t.Fatalf("by external id %v", byExt)
	}
}

// Disbursed on another day than the application expected, or for less than
// approved, the schedule is generated again from the actual date; on the
// expected day it stands as it was. Each loan's period unit is kept.
func TestDisbursalDatesTheSchedule(t *testing.T) {
	s := startSeeded(t)
	firstDue := func(id int64) string {
		g := obj(t, call(t, s, "GET", "/loans/"+itoa(int(id))+"?associations=repaymentSchedule", "").body)
		return str(path(g, "repaymentSchedule", "periods", 1, "dueDate"))
	}
	cases := []struct {
		loan          int64
		amount        string
		before, after string
	}{
		{SeedLoanRose, "", "[2024,10,26]", "[2024,10,26]"},         // expected today
		{SeedLoanLucy, "", "[2024,10,23]", "[2024,10,26]"},         // expected 3 days ago
		{SeedLoanJoyce, "", "[2024,10,28]", "[2024,10,26]"},        // expected in 2 days
		{SeedLoanMercy, "", "[2024,10,3]", "[2024,10,3]"},          // weekly, expected today
		{SeedLoanBeatrice, "9000", "[2024,10,26]", "[2024,10,26]"}, // less than approved, regenerated from today
	}
	for _, c := range cases {
		if got := firstDue(c.loan); got != c.before {
			t.Errorf("loan %d before: first due %s, want %s", c.loan, got, c.before)
		}
		if r := call(t, s, "POST", disbursePath(c.loan), disburseBody("2024-09-26", c.amount, "", ""), manager...); r.status != 200 {
			t.Fatalf("loan %d: %d %s", c.loan, r.status, r.body)
		}
		if got := firstDue(c.loan); got != c.after {
			t.Errorf("loan %d after: first due %s, want %s", c.loan, got, c.after)
		}
	}
	g := obj(t, call(t, s, "GET", "/loans/1005", "").body)
	if str(g["principal"]) != "9000.000000" || str(g["approvedPrincipal"]) != "12000.000000" {
		t.Fatalf("disbursed for less: %v %v", g["principal"], g["approvedPrincipal"])
	}
}

// Fineract's refusals of a disbursal, each leaving the loan as it was.
func TestDisbursalRefusals(t *testing.T) {
	ok := disburseBody("2024-09-26", "", "", mpesaReceipt)
	cases := []struct {
		name   string
		opts   Options
		setup  func(s *Server)
		loan   int64
		body   string
		status int
		code   string
	}{
		{"amount above the approved one", Options{}, nil, SeedLoanJoyce, disburseBody("2024-09-26", "25000.01", "", mpesaReceipt),
			403, "error.msg.loan.disburse.amount.must.be.less.than.approved.amount"},
		{"in the future", Options{}, nil, SeedLoanRose, disburseBody("2024-09-27", "", "", mpesaReceipt),
			403, "error.msg.loan.disbursal.cannot.be.a.future.date"},
		{"before the approval", Options{}, nil, SeedLoanRose, disburseBody("2024-09-23", "", "", mpesaReceipt),
			403, "error.msg.loan.disbursal.cannot.be.before.approval.date"},
		{"already disbursed", Options{}, func(s *Server) { disburseOK(t, s, SeedLoanRose, "") }, SeedLoanRose, ok,
			400, "error.msg.loan.disbursal.account.is.not.approve.not.disbursed.state"},
		{"pending approval", Options{}, nil, SeedLoanBrian, ok, 400, "error.msg.loan.disbursal.account.is.not.approve.not.disbursed.state"},
		{"externalId of another loan's disbursement", Options{}, func(s *Server) { disburseOK(t, s, SeedLoanRose, "md-1") },
			SeedLoanLucy, disburseBody("2024-09-26", "", "md-1", mpesaReceipt), 400, "validation.msg.loan.transaction.externalId.value.must.be.unique"},
		{"same, where Fineract does not know the index", Options{UnnamedExternalIDIndex: true}, func(s *Server) { disburseOK(t, s, SeedLoanRose, "md-1") },
			SeedLoanLucy, disburseBody("2024-09-26", "", "md-1", mpesaReceipt), 403, "error.msg.data.integrity.issue"},
		{"unknown payment type", Options{}, nil, SeedLoanRose, disburseBody("2024-09-26", "", "", `,"paymentTypeId":9`),
			404, "error.msg.payment.type.invalid"},
		{"client not active", Options{}, func(s *Server) {
			s.AddClient(Client{ID: SeedClientRose, Firstname: "Rose", Lastname: "Nyambura", StatusID: 600})
		}, SeedLoanRose, ok, 403, "error.msg.client.not.active.exception"},
		{"expected on a holiday", Options{}, func(s *Server) {
			s.AddHoliday(Holiday{Name: "Mashujaa", From: testBizDate.AddDate(0, 0, -3), To: testBizDate.AddDate(0, 0, -3)})
		}, SeedLoanLucy, ok, 403, "error.msg.loan.application.disbursement.date.on.holiday"},
		{"expected on a non-working day", Options{}, func(s *Server) { s.SetWorkingDays(time.Monday, time.Tuesday) },
			SeedLoanRose, ok, 403, "error.msg.loan.application.disbursement.date.on.non.working.day"},
		{"after the fixed first repayment date", Options{}, func(s *Server) {
			s.AddLoan(Loan{ID: 1101, ClientID: SeedClientRose, StatusID: 200, Principal: MustAmount("5000"), SubmittedOn: testBizDate.AddDate(0, -1, 0),
				ExpectedDisbursement: testBizDate.AddDate(0, 0, -20), FirstRepaymentOn: testBizDate.AddDate(0, 0, -1),
				NumberOfRepayments: 4, AnnualInterestRate: MustAmount("20")})
		}, 1101, ok, 403, "error.msg.loan.disbursal.cannot.be.after.expected.first.repayment.date"},
		{"unknown key", Options{}, nil, SeedLoanRose, disburseBody("2024-09-26", "", "", `,"transactionDate":"2024-09-26"`),
			400, "error.msg.parameter.unsupported"},
		{"no date", Options{}, nil, SeedLoanRose, `{"dateFormat":"yyyy-MM-dd","locale":"en"}`,
			400, "validation.msg.loan.disbursement.actualDisbursementDate.cannot.be.blank"},
		{"receipt too long", Options{}, nil, SeedLoanRose, disburseBody("2024-09-26", "", "", `,"paymentTypeId":3,"receiptNumber":"`+strings.Repeat("R", 51)+`"`),
			400, "validation.msg.loan.disbursement.receiptNumber.exceeds.max.length"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.BusinessDate = testBizDate
			s, err := Start(c.opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			s.Seed()
			if c.setup != nil {
				c.setup(s)
			}
			before, status := len(s.Disbursals(c.loan)), s.LoanStatus(c.loan)
			wantError(t, call(t, s, "POST", disbursePath(c.loan), c.body, manager...), c.status, c.code)
			if len(s.Disbursals(c.loan)) != before || s.LoanStatus(c.loan) != status {
				t.Fatalf("a refused disbursal changed loan %d: %d disbursals, status %d", c.loan, len(s.Disbursals(c.loan)), s.LoanStatus(c.loan))
			}
		})
	}
}

func disburseOK(t *testing.T, s *Server, loan int64, ext string) {
	t.Helper()
	if r := call(t, s, "POST", disbursePath(loan), disburseBody("2024-09-26", "", ext, mpesaReceipt), manager...); r.status != 200 {
		t.Fatalf("disburse %d: %d %s", loan, r.status, r.body)
	}
}

// Without a payment type Fineract keeps no payment details: the receipt
// number sent is dropped without a word. Before 1.9 the result names no
// sub-resource.
func TestDisbursalQuirks(t *testing.T) {
	s := startSeeded(t)
	r := call(t, s, "POST", disbursePath(SeedLoanRose), disburseBody("2024-09-26", "", "md-2", `,"receiptNumber":"SIQ7K2L9XB"`), manager...)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if d := s.Disbursals(SeedLoanRose); len(d) != 1 || d[0].ReceiptNumber != "" || d[0].PaymentTypeID != 0 {
		t.Fatalf("disbursal without a payment type %+v", d)
	}
	if path(obj(t, r.body), "changes", "receiptNumber") != nil {
		t.Fatalf("changes echo a receipt Fineract did not keep: %s", r.body)
	}

	old, err := Start(Options{BusinessDate: testBizDate, Before19: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = old.Close() })
	old.Seed()
	r = call(t, old, "POST", disbursePath(SeedLoanRose), disburseBody("2024-09-26", "", "md-3", mpesaReceipt), manager...)
	if m := obj(t, r.body); r.status != 200 || m["subResourceId"] != nil || m["subResourceExternalId"] != nil || str(m["resourceId"]) != itoa(SeedLoanRose) {
		t.Fatalf("1.8 result: %d %s", r.status, r.body)
	}
}

// A disbursal goes through the command pipeline like any write: a failure
// after the commit answers the servlet's 500 page while the loan is
// disbursed, and the key then answers 425 for ever.
func TestDisbursalFailsAfterCommit(t *testing.T) {
	s := startSeeded(t)
	s.FailAfterCommit(1)
	body := disburseBody("2024-09-26", "", "md-4", mpesaReceipt)
	r := call(t, s, "POST", disbursePath(SeedLoanRose), body, append([]string{"Idempotency-Key", "k-1"}, manager...)...)
	if r.status != 500 || strings.HasPrefix(string(r.body), "{") {
		t.Fatalf("first answer %d %s", r.status, r.body)
	}
	if len(s.Disbursals(SeedLoanRose)) != 1 || s.LoanStatus(SeedLoanRose) != 300 {
		t.Fatalf("the disbursal was not committed: %+v", s.Disbursals(SeedLoanRose))
	}
	r = call(t, s, "POST", disbursePath(SeedLoanRose), body, append([]string{"Idempotency-Key", "k-1"}, manager...)...)
	if r.status != 425 || r.header.Get("x-served-from-cache") != "true" {
		t.Fatalf("replay %d %s", r.status, r.body)
	}
	if len(s.Disbursals(SeedLoanRose)) != 1 {
		t.Fatal("the replay disbursed again")
	}
}

// The seeded applications' generated schedules: equal principal rounded
// to the currency with the rest in the last installment, flat interest
// per period of the loan's unit.
func TestGeneratedSchedules(t *testing.T) {
	s := startSeeded(t)
	cases := []struct {
		loan              int64
		n                 int
		first, last       string // principal
		interest          string
		firstDue, lastDue string
	}{
		{SeedLoanRose, 6, "3333.33", "3333.35", "416.67", "2024-10-26", "2025-03-26"},
		{SeedLoanJoyce, 6, "4166.67", "4166.65", "520.83", "2024-10-28", "2025-03-28"},
		{SeedLoanMercy, 16, "625", "625", "48.08", "2024-10-03", "2025-01-16"},
		{SeedLoanDaniel, 12, "1500", "1500", "270", "2024-10-26", "2025-09-26"},
	}
	for _, c := range cases {
		s.mu.Lock()
		in := s.loans[c.loan].inst
		s.mu.Unlock()
		if len(in) != c.n || in[0].Principal != MustAmount(c.first) || in[c.n-1].Principal != MustAmount(c.last) ||
			in[0].Interest != MustAmount(c.interest) || isoDate(in[0].DueDate) != c.firstDue || isoDate(in[c.n-1].DueDate) != c.lastDue {
			t.Errorf("loan %d: %d installments, first %+v, last %+v", c.loan, len(in), in[0].Installment, in[len(in)-1].Installment)
		}
		var total Amount
		for _, i := range in {
			total += i.Principal
		}
		if total != s.loans[c.loan].Principal {
			t.Errorf("loan %d: installments sum to %s", c.loan, total)
		}
	}
}

// Java's plusMonths keeps the day, or takes the month's last.
func TestPlusMonths(t *testing.T) {
	d := func(y int, m time.Month, dd int) time.Time { return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		from time.Time
		n    int
		want time.Time
	}{
		{d(2024, 1, 31), 1, d(2024, 2, 29)},
		{d(2023, 1, 31), 1, d(2023, 2, 28)},
		{d(2024, 1, 31), 2, d(2024, 3, 31)},
		{d(2024, 8, 31), 1, d(2024, 9, 30)},
		{d(2024, 11, 15), 3, d(2025, 2, 15)},
		{d(2024, 9, 26), 0, d(2024, 9, 26)},
	}
	for _, c := range cases {
		if got := plusMonths(c.from, c.n); !got.Equal(c.want) {
			t.Errorf("plusMonths(%s, %d) = %s, want %s", isoDate(c.from), c.n, isoDate(got), isoDate(c.want))
		}
	}
}
