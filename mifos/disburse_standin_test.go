package mifos_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
)

// The approved loans are what the user's offices hold, read with what a
// disbursement page needs; a server before 1.9 gives the same list
// through sqlSearch.
func TestApprovedLoansFromStandIn(t *testing.T) {
	fin, c := standIn(t)
	ctx := context.Background()
	b := fin.BusinessDate()
	mgr := c.AsUser(fineractsim.SeedManager, fineractsim.SeedManagerPassword)
	list, err := mgr.ApprovedLoans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	var rose mifos.LoanApplication
	for _, l := range list {
		ids = append(ids, l.ID)
		if l.ID == fineractsim.SeedLoanRose {
			rose = l
		}
	}
	want := []int64{fineractsim.SeedLoanBrianOld, fineractsim.SeedLoanRose, fineractsim.SeedLoanLucy, fineractsim.SeedLoanJoyce,
		fineractsim.SeedLoanMercy, fineractsim.SeedLoanBeatrice, fineractsim.SeedLoanDaniel}
	if !slices.Equal(ids, want) {
		t.Fatalf("approved loans %v, want %v", ids, want)
	}
	if rose.StatusID != mifos.StatusApproved || rose.AccountNo != "000001001" || rose.ClientID != fineractsim.SeedClientRose ||
		rose.ClientName != "Rose Nyambura" || rose.GroupID != fineractsim.SeedGroupTujenge || rose.GroupName != "Tujenge Women Group" ||
		rose.OfficerID != fineractsim.SeedStaffPeter || rose.OfficerName != "Peter Otieno" || rose.OfficeID != fineractsim.SeedOffice ||
		rose.ApprovedPrincipal != mifos.Amount(20_000_000_000) || rose.Currency.Code != "KES" || rose.Currency.DecimalPlaces != 2 ||
		rose.Currency.InMultiplesOf != 1 || rose.ApprovedOn != mifos.DateOf(b.AddDate(0, 0, -2)) ||
		rose.ExpectedDisbursement != mifos.DateOf(b) || rose.ApprovedBy != fineractsim.SeedManager {
		t.Fatalf("Rose's loan %+v", rose)
	}
	ahero, err := c.AsUser(fineractsim.SeedAheroManager, fineractsim.SeedAheroPassword).ApprovedLoans(ctx)
	if err != nil || len(ahero) != 1 || ahero[0].ID != fineractsim.SeedLoanDaniel || ahero[0].OfficeID != fineractsim.SeedOfficeAhero {
		t.Fatalf("Ahero: %+v %v", ahero, err)
	}

	old, err := fineractsim.Start(fineractsim.Options{NoRequestLog: true, Before19: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { old.Close() })
	old.Seed()
	oc, err := mifos.New(mifos.Config{BaseURL: old.URL(), Tenant: "default", Username: "mifos", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := oc.ApprovedLoans(ctx); err != nil || len(l) != len(want) {
		t.Fatalf("before 1.9: %d loans, %v", len(l), err)
	}
}

// A disbursement is recorded once: it reads back as a disbursement
// transaction with its payment type and receipt, found by its externalId,
// the loan active with its first installment a month on; a second one is
// "not approved", and Fineract's other refusals come as they are.
func TestDisburseFromStandIn(t *testing.T) {
	// A fixed day: a month after the 31st is not Go's AddDate.
	b := time.Date(2024, 9, 26, 0, 0, 0, 0, time.UTC)
	fin, err := fineractsim.Start(fineractsim.Options{NoRequestLog: true, BusinessDate: b})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fin.Close() })
	fin.Seed()
	c, err := mifos.New(mifos.Config{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	today := mifos.DateOf(b)
	d := mifos.Disbursement{Date: today, Amount: 20_000_000_000, PaymentTypeID: fineractsim.SeedPaymentMpesa,
		ExternalID: "md-KSM01-l1", ReceiptNumber: "SIQ7K2L9XB", Note: "paid by M-PESA"}

	teller := c.AsUser(fineractsim.SeedTeller, fineractsim.SeedTellerPassword)
	if _, err := teller.Disburse(ctx, fineractsim.SeedLoanRose, d, "k-0"); !mifos.IsNotPermitted(err) {
		t.Fatalf("the teller disbursed: %v", err)
	}
	res, err := c.Disburse(ctx, fineractsim.SeedLoanRose, d, "k-1")
	if err != nil {
		t.Fatal(err)
	}
	txn, err := c.LoanTxnByExternalID(ctx, fineractsim.SeedLoanRose, d.ExternalID)
	if err != nil || txn.ID != res.SubResourceID || res.ResourceID != fineractsim.SeedLoanRose || !txn.Disbursement ||
		txn.Amount != d.Amount || txn.Date != today || txn.ReceiptNumber != d.ReceiptNumber || txn.PaymentTypeID != d.PaymentTypeID {
		t.Fatalf("result %+v, transaction %+v, %v", res, txn, err)
	}
	loan, err := c.Loan(ctx, fineractsim.SeedLoanRose)
	if err != nil {
		t.Fatal(err)
	}
	first, ok := mifos.FirstInstallment(loan.Periods)
	if !ok || first.DueDate != (mifos.Date{Year: 2024, Month: 10, Day: 26}) || first.TotalDue != mifos.Amount(3_750_000_000) ||
		loan.PrincipalDisbursed != d.Amount || !mifos.Active(loan.StatusID) {
		t.Fatalf("loan %+v, first installment %+v", loan, first)
	}
	if app, err := c.LoanApplication(ctx, fineractsim.SeedLoanRose); err != nil || app.DisbursedOn != today {
		t.Fatalf("application %+v %v", app, err)
	}

	d.ExternalID = "md-KSM01-l2"
	_, err = c.Disburse(ctx, fineractsim.SeedLoanRose, d, "k-2")
	if !mifos.IsNotApprovedForDisbursal(err) || mifos.Classify(err) != mifos.Refused {
		t.Fatalf("second disbursement: %v", err)
	}
	if n := len(fin.Disbursals(fineractsim.SeedLoanRose)); n != 1 {
		t.Fatalf("%d disbursals", n)
	}
	_, err = c.Disburse(ctx, fineractsim.SeedLoanJoyce, mifos.Disbursement{Date: today, Amount: 25_000_010_000,
		PaymentTypeID: fineractsim.SeedPaymentMpesa, ExternalID: "md-KSM01-l3"}, "k-3")
	if r, _ := mifos.RefusalOf(err); r.Status != 403 || r.Code != mifos.CodeDisbursalAboveApproved {
		t.Fatalf("above the approved amount: %v", err)
	}
	_, err = c.Disburse(ctx, fineractsim.SeedLoanJoyce, mifos.Disbursement{Date: mifos.DateOf(b.AddDate(0, 0, 1)), Amount: 1_000_000,
		PaymentTypeID: fineractsim.SeedPaymentMpesa, ExternalID: "md-KSM01-l4"}, "k-4")
	if mifos.Classify(err) != mifos.Early {
		t.Fatalf("dated tomorrow: %v, want it taken for too early", err)
	}
}
