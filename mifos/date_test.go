package mifos

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDateUnmarshal(t *testing.T) {
	cases := []struct {
		in   string
		want Date
	}{
		{`[2024,9,5]`, Date{2024, 9, 5}},
		{`[2024, 12, 31]`, Date{2024, 12, 31}},
		{`"2024-09-26"`, Date{2024, 9, 26}},
		{`"2024-09-26T10:15:02"`, Date{2024, 9, 26}},
		{`[2024,2,29]`, Date{2024, 2, 29}},
		{`null`, Date{}},
		{`""`, Date{}},
	}
	for _, c := range cases {
		var d Date
		if err := json.Unmarshal([]byte(c.in), &d); err != nil || d != c.want {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", c.in, d, err, c.want)
		}
	}
	for _, in := range []string{`[2024,9]`, `[2023,2,29]`, `[2024,13,1]`, `"26/09/2024"`, `"2024-9-5"`, `5`, `[2024,"9",5]`, `[0,1,1]`} {
		var d Date
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", in, d)
		}
	}
}

func TestDateMethods(t *testing.T) {
	d := Date{2024, 9, 5}
	if d.String() != "2024-09-05" {
		t.Errorf("String = %q", d.String())
	}
	b, err := json.Marshal(d)
	if err != nil || string(b) != `"2024-09-05"` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	if _, err := json.Marshal(Date{2024, 2, 30}); err == nil {
		t.Error("Marshal accepted 2024-02-30")
	}
	if !(Date{}).IsZero() || d.IsZero() {
		t.Error("IsZero wrong")
	}
	before := [][2]Date{{{2023, 12, 31}, {2024, 1, 1}}, {{2024, 1, 31}, {2024, 2, 1}}, {{2024, 2, 1}, {2024, 2, 2}}}
	for _, p := range before {
		if !p[0].Before(p[1]) || p[1].Before(p[0]) {
			t.Errorf("Before(%v, %v) wrong", p[0], p[1])
		}
	}
	if d.Before(d) {
		t.Error("a date is before itself")
	}
	nairobi := time.FixedZone("EAT", 3*3600)
	// 22:30 UTC on the 25th is already the 26th in Nairobi.
	utc := time.Date(2024, 9, 25, 22, 30, 0, 0, time.UTC)
	if got := DateOf(utc.In(nairobi)); got != (Date{2024, 9, 26}) {
		t.Errorf("DateOf = %v", got)
	}
	tm := Date{2024, 9, 26}.Time(nairobi)
	if tm.Location() != nairobi || tm.Hour() != 0 || DateOf(tm) != (Date{2024, 9, 26}) {
		t.Errorf("Time = %v", tm)
	}
}

// section4Loan is the repayment schedule of docs/fineract.md §4's example (plus a
// disbursement row the client drops, and a future installment).
const section4Loan = `{"id":981,"accountNo":"000000981","status":{"id":300,"value":"Active","active":true},
 "clientId":42,"clientName":"Amina Odhiambo","loanProductName":"Biashara 6M","loanOfficerId":12,
 "currency":{"code":"KES","decimalPlaces":2,"displaySymbol":"KSh"},
 "summary":{"principalOutstanding":12500.000000,"interestOutstanding":1750.500000,
            "totalOutstanding":14250.500000,"totalOverdue":2375.000000,"overdueSinceDate":[2024,9,5],
            "principalDisbursed":20000.000000},
 "repaymentSchedule":{"totalOutstanding":14250.500000,"periods":[
   {"dueDate":[2024,6,5],"principalDisbursed":20000.000000,"principalLoanBalanceOutstanding":20000.000000},
   {"period":1,"fromDate":[2024,6,5],"dueDate":[2024,7,5],"complete":true,
    "totalDueForPeriod":3400.000000,"totalPaidForPeriod":3400.000000,"totalOutstandingForPeriod":0},
   {"period":2,"fromDate":[2024,7,5],"dueDate":[2024,8,5],"complete":true,
    "totalDueForPeriod":3400.000000,"totalPaidForPeriod":3400.000000},
   {"period":3,"fromDate":[2024,8,5],"dueDate":[2024,9,5],"complete":false,
    "totalDueForPeriod":3400.000000,"totalPaidForPeriod":1025.000000,
    "totalOutstandingForPeriod":2375.000000,"totalOverdue":2375.000000},
   {"period":4,"fromDate":[2024,9,5],"dueDate":[2024,10,5],"complete":false,
    "totalDueForPeriod":3400.500000,"totalOutstandingForPeriod":3400.500000}]}}`

func TestNextDueOverdueSection4(t *testing.T) {
	periods := []Period{
		{Number: 4, DueDate: Date{2024, 10, 5}, TotalDue: 3_400_500_000, TotalOutstanding: 3_400_500_000},
		{Number: 1, DueDate: Date{2024, 7, 5}, Complete: true, TotalDue: 3_400_000_000},
		{Number: 3, DueDate: Date{2024, 9, 5}, TotalDue: 3_400_000_000, TotalOutstanding: 2_375_000_000},
		{Number: 2, DueDate: Date{2024, 8, 5}, Complete: true, TotalDue: 3_400_000_000},
	}
	cases := []struct {
		today    Date
		next     int
		overdue  Amount
		nextLeft Amount
	}{
		{Date{2024, 9, 26}, 3, 2_375_000_000, 2_375_000_000}, // docs/fineract.md §4's example: 21 days late
		{Date{2024, 9, 5}, 3, 0, 2_375_000_000},              // due today is not yet overdue
		{Date{2024, 9, 1}, 3, 0, 2_375_000_000},
		{Date{2024, 10, 6}, 3, 5_775_500_000, 2_375_000_000}, // two installments late
	}
	for _, c := range cases {
		p, ok := NextDue(periods)
		if !ok || p.Number != c.next || p.TotalOutstanding != c.nextLeft {
			t.Errorf("NextDue(%v) = %+v, %v; want installment %d owing %s", c.today, p, ok, c.next, c.nextLeft)
		}
		if got := Overdue(periods, c.today); got != c.overdue {
			t.Errorf("Overdue(%v) = %s, want %s", c.today, got, c.overdue)
		}
	}
	if periods[0].Number != 4 {
		t.Error("NextDue reordered its input")
	}
	done := []Period{{Number: 1, DueDate: Date{2024, 7, 5}, Complete: true}}
	if p, ok := NextDue(done); ok {
		t.Errorf("NextDue on a paid-up loan = %+v", p)
	}
	if _, ok := NextDue(nil); ok {
		t.Error("NextDue(nil) found an installment")
	}
}
