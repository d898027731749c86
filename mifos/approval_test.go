package mifos_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
)

// A console user signs in with its own password; a wrong one is a 401
// the caller can tell from any other failure, and its text carries
// neither the password nor Fineract's answer.
func TestAuthenticateUserFromStandIn(t *testing.T) {
	_, c := standIn(t)
	ctx := context.Background()
	u, err := c.AuthenticateUser(ctx, fineractsim.SeedManager, fineractsim.SeedManagerPassword)
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != fineractsim.SeedManager || u.OfficeID != fineractsim.SeedOffice || u.StaffID != fineractsim.SeedStaffJane ||
		!u.Permitted("APPROVE_LOAN") || !u.Permitted("UNDOTRANSACTION_LOAN") || u.Permitted("DELETE_CLIENT") {
		t.Fatalf("user %+v", u)
	}
	teller, err := c.AuthenticateUser(ctx, fineractsim.SeedTeller, fineractsim.SeedTellerPassword)
	if err != nil || teller.Permitted("APPROVE_LOAN") || !teller.Permitted("REPAYMENT_LOAN") || teller.Permitted("UNDOTRANSACTION_LOAN") {
		t.Fatalf("teller %+v %v", teller, err)
	}
	for _, pw := range []string{"wrong-password", fineractsim.SeedTellerPassword} {
		_, err = c.AuthenticateUser(ctx, fineractsim.SeedManager, pw)
		if !mifos.IsWrongCredentials(err) || mifos.Classify(err) != mifos.NotAllowed || mifos.IsNotPermitted(err) {
			t.Fatalf("wrong password: %v", err)
		}
		if strings.Contains(err.Error(), pw) {
			t.Fatalf("the password is in the error: %v", err)
		}
	}
	if _, err := c.AuthenticateUser(ctx, "a:b", "x"); mifos.Classify(err) != mifos.NotSent {
		t.Fatalf("colon in user name: %v", err)
	}
	if _, err := c.AuthenticateUser(ctx, fineractsim.SeedManager, ""); mifos.Classify(err) != mifos.NotSent {
		t.Fatalf("empty password: %v", err)
	}
	// The box's own client still works as the box's user.
	if b, err := c.Authenticate(ctx); err != nil || b.Username != "mifos" {
		t.Fatalf("box user %+v %v", b, err)
	}
}

// The pending list is what the user's offices hold, every page; an
// approval is made as that user and recorded in Fineract.
func TestPendingApproveRejectFromStandIn(t *testing.T) {
	fin, c := standIn(t)
	ctx := context.Background()
	mgr := c.AsUser(fineractsim.SeedManager, fineractsim.SeedManagerPassword)
	// More applications than one page holds.
	b := fin.BusinessDate()
	for i := range 205 {
		fin.AddLoan(fineractsim.Loan{ClientID: fineractsim.SeedClientMary, StatusID: 100, Principal: fineractsim.MustAmount("1000"),
			SubmittedOn: b.AddDate(0, 0, -1), ProductName: "Bulk", LoanOfficerID: fineractsim.SeedStaffPeter,
			Installments: []fineractsim.Installment{{DueDate: b.AddDate(0, 1, i%20), Principal: fineractsim.MustAmount("1000")}}})
	}
	list, err := mgr.PendingLoans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3+205 {
		t.Fatalf("%d pending loans", len(list))
	}
	var brian mifos.PendingLoan
	for _, p := range list {
		if p.ID == fineractsim.SeedLoanBrian {
			brian = p
		}
	}
	day := mifos.DateOf(b)
	if brian.ClientName != "Brian Otieno" || brian.Principal != mifos.Amount(30_000_000_000) || brian.ProductName != "Biashara 6M" ||
		brian.OfficerName != "Peter Otieno" || brian.OfficeID != fineractsim.SeedOffice || brian.Currency.Code != "KES" ||
		brian.SubmittedOn.IsZero() || brian.ExpectedDisbursement.IsZero() {
		t.Fatalf("brian %+v", brian)
	}
	ahero := c.AsUser(fineractsim.SeedAheroManager, fineractsim.SeedAheroPassword)
	if l, err := ahero.PendingLoans(ctx); err != nil || len(l) != 1 || l[0].ID != fineractsim.SeedLoanFaith || l[0].GroupID != 0 {
		t.Fatalf("ahero: %+v %v", l, err)
	}

	// The teller may read but not approve.
	teller := c.AsUser(fineractsim.SeedTeller, fineractsim.SeedTellerPassword)
	_, err = teller.ApproveLoan(ctx, fineractsim.SeedLoanBrian, mifos.Approval{On: day})
	if !mifos.IsNotPermitted(err) || mifos.Classify(err) != mifos.NotAllowed {
		t.Fatalf("teller approval: %v", err)
	}
	if r, ok := mifos.RefusalOf(err); !ok || r.Status != 403 || r.Code != "error.msg.not.authorized" {
		t.Fatalf("refusal %+v", r)
	}
	// A future date is Fineract's refusal, not a permission problem.
	_, err = mgr.ApproveLoan(ctx, fineractsim.SeedLoanBrian, mifos.Approval{On: mifos.DateOf(b.AddDate(0, 0, 1))})
	if r, _ := mifos.RefusalOf(err); mifos.Classify(err) != mifos.Refused || r.Code != "error.msg.loan.approval.cannot.be.a.future.date" {
		t.Fatalf("future approval: %v", err)
	}
	res, err := mgr.ApproveLoan(ctx, fineractsim.SeedLoanBrian, mifos.Approval{On: day, Amount: mifos.Amount(25_000_000_000),
		ExpectedDisbursement: mifos.DateOf(b.AddDate(0, 0, 3)), Note: "approved from the console"})
	if err != nil || res.ResourceID != fineractsim.SeedLoanBrian {
		t.Fatalf("approve: %+v %v", res, err)
	}
	app, err := c.LoanApplication(ctx, fineractsim.SeedLoanBrian)
	if err != nil || app.StatusID != 200 || app.ApprovedBy != fineractsim.SeedManager || app.ApprovedOn != day ||
		app.Principal != mifos.Amount(25_000_000_000) || app.ProposedPrincipal != mifos.Amount(30_000_000_000) ||
		app.ApprovedPrincipal != mifos.Amount(25_000_000_000) {
		t.Fatalf("after approval %+v %v", app, err)
	}
	_, err = mgr.ApproveLoan(ctx, fineractsim.SeedLoanBrian, mifos.Approval{On: day})
	if !mifos.IsNotPending(err) {
		t.Fatalf("second approval: %v", err)
	}
	if _, err := ahero.RejectLoan(ctx, fineractsim.SeedLoanFaith, mifos.Rejection{On: day, Note: "no collateral"}); err != nil {
		t.Fatal(err)
	}
	if app, _ := c.LoanApplication(ctx, fineractsim.SeedLoanFaith); app.StatusID != 500 || app.RejectedBy != fineractsim.SeedAheroManager {
		t.Fatalf("after rejection %+v", app)
	}
	if _, err := mgr.RejectLoan(ctx, fineractsim.SeedLoanFaith, mifos.Rejection{On: day}); !mifos.IsNotPending(err) {
		t.Fatalf("reject twice: %v", err)
	}
	if _, err := mgr.ApproveLoan(ctx, 1, mifos.Approval{On: mifos.Date{Year: 2024, Month: 2, Day: 30}}); mifos.Classify(err) != mifos.NotSent {
		t.Fatalf("bad date: %v", err)
	}
	// A wrong password on a call: the user's credential is not in the error.
	bad := c.AsUser(fineractsim.SeedManager, "Kisumu-2024?")
	_, err = bad.PendingLoans(ctx)
	if !mifos.IsWrongCredentials(err) || strings.Contains(err.Error(), "Kisumu-2024?") {
		t.Fatalf("wrong password on a read: %v", err)
	}
	var e *mifos.Error
	if !errors.As(err, &e) || strings.Contains(e.Body, "Kisumu") {
		t.Fatalf("body %q", e.Body)
	}
}

// On a server before 1.9 the list comes from sqlSearch.
func TestPendingLoansBefore19(t *testing.T) {
	fin, err := fineractsim.Start(fineractsim.Options{NoRequestLog: true, Before19: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fin.Close() })
	fin.Seed()
	c, err := mifos.New(mifos.Config{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.AsUser(fineractsim.SeedManager, fineractsim.SeedManagerPassword).PendingLoans(context.Background())
	if err != nil || len(list) != 3 {
		t.Fatalf("%+v %v", list, err)
	}
}
