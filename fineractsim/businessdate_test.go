package fineractsim

import (
	"testing"
	"time"
)

// startAt starts a seeded stand-in whose business-date feature is off, as
// on a new tenant, in the tenant zone tz, its clock at now.
func startAt(t *testing.T, tz *time.Location, now *time.Time) *Server {
	t.Helper()
	s, err := Start(Options{TimeZone: tz, Clock: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.Seed()
	return s
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	z, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// A tenant that never used the business-date feature has no BUSINESS_DATE
// row: GET answers 404 error.msg.businessdate.not.found, and "today" is
// the date in the tenant's time zone.
func TestBusinessDateIs404WhileTheFeatureWasNeverUsed(t *testing.T) {
	// 22:30 UTC on 1 March is 04:00 on 2 March in Kolkata (UTC+5:30).
	now := time.Date(2026, 3, 1, 22, 30, 0, 0, time.UTC)
	s := startAt(t, mustZone(t, "Asia/Kolkata"), &now)
	m := wantError(t, call(t, s, "GET", "/businessdate/BUSINESS_DATE", ""), 404, "error.msg.businessdate.not.found")
	if m["userMessageGlobalisationCode"] != "error.msg.resource.not.found" {
		t.Fatalf("top-level code: %s", m["userMessageGlobalisationCode"])
	}
	if got := s.BusinessDate(); !got.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("today %s, want 2026-03-02 (the date in Kolkata)", got)
	}
}

// Near midnight the tenant's date is not the box's: with the feature off,
// Fineract refuses a repayment dated after the date in its own zone (403)
// and a deposit so dated (400), and takes both dated on its own date.
func TestFutureDateIsTheTenantZonesTomorrow(t *testing.T) {
	// 21:30 UTC on 2 March: already 3 March in Nairobi (UTC+3), still 2
	// March for a tenant in UTC.
	now := time.Date(2026, 3, 2, 21, 30, 0, 0, time.UTC)
	s := startAt(t, time.UTC, &now)
	wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2026-03-03", "100", "tz-1")),
		403, "error.msg.loan.transaction.cannot.be.a.future.date")
	wantError(t, call(t, s, "POST", depositPath(SeedSavingsAmina), depositBody("2026-03-03", "100", "R1")),
		400, "error.msg.savingsaccount.transaction.in.the.future")
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2026-03-02", "100", "tz-2")); r.status != 200 {
		t.Fatalf("repayment on the tenant's date: %d %s", r.status, r.body)
	}
	if r := call(t, s, "POST", depositPath(SeedSavingsAmina), depositBody("2026-03-02", "100", "R2")); r.status != 200 {
		t.Fatalf("deposit on the tenant's date: %d %s", r.status, r.body)
	}
	// After midnight in the tenant's zone, the next day is today.
	now = time.Date(2026, 3, 3, 0, 5, 0, 0, time.UTC)
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2026-03-03", "100", "tz-1")); r.status != 200 {
		t.Fatalf("repayment after the tenant's midnight: %d %s", r.status, r.body)
	}
}

// With the feature on, the row is "today" and GET answers it. Switched off
// again, GET still answers the row, a stale date, while Fineract validates
// against the date in the tenant's zone.
func TestBusinessDateSwitchedOffLeavesAStaleRow(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := startAt(t, time.UTC, &now)
	s.SetBusinessDate(time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC))
	r := call(t, s, "GET", "/businessdate/BUSINESS_DATE", "")
	if r.status != 200 || str(path(obj(t, r.body), "date")) != "[2026,1,10]" {
		t.Fatalf("GET with the feature on: %d %s", r.status, r.body)
	}
	wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2026-01-11", "100", "bd-1")),
		403, "error.msg.loan.transaction.cannot.be.a.future.date")
	s.SetBusinessDateEnabled(false)
	r = call(t, s, "GET", "/businessdate/BUSINESS_DATE", "")
	if r.status != 200 || str(path(obj(t, r.body), "date")) != "[2026,1,10]" {
		t.Fatalf("GET with the feature off: %d %s, want the stale row", r.status, r.body)
	}
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2026-03-02", "100", "bd-2")); r.status != 200 {
		t.Fatalf("repayment on the tenant's date with the feature off: %d %s", r.status, r.body)
	}
	if got := s.BusinessDate(); !got.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("today %s, want the tenant's 2026-03-02", got)
	}
}

func depositBody(date, amount, receipt string) string {
	return `{"transactionDate":"` + date + `","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":` + amount +
		`,"paymentTypeId":1,"receiptNumber":"` + receipt + `"}`
}
