package mifos_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
)

// Staff reads the officer's office from GET /staff/{id} as the stand-in
// (modelled on Fineract's StaffData) serves it.
func TestStaffFromStandIn(t *testing.T) {
	fin, err := fineractsim.Start(fineractsim.Options{NoRequestLog: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fin.Close()
	fin.Seed()
	c, err := mifos.New(mifos.Config{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Staff(context.Background(), fineractsim.SeedStaffPeter)
	if err != nil {
		t.Fatal(err)
	}
	if st.ID != fineractsim.SeedStaffPeter || st.OfficeID == 0 || !st.Active || st.DisplayName != "Peter Otieno" {
		t.Fatalf("staff %+v", st)
	}
	if _, err := c.Staff(context.Background(), 999); !errors.Is(err, mifos.ErrNotFound) {
		t.Fatalf("unknown staff: %v, want ErrNotFound", err)
	}
}

// standIn starts a seeded stand-in and a client for it.
func standIn(t *testing.T) (*fineractsim.Server, *mifos.HTTPClient) {
	t.Helper()
	fin, err := fineractsim.Start(fineractsim.Options{NoRequestLog: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fin.Close() })
	fin.Seed()
	c, err := mifos.New(mifos.Config{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	return fin, c
}

// Every currency object carries inMultiplesOf; a posted transaction read
// back by its id gives the amount Fineract rounded it to.
func TestInMultiplesOfAndPostedAmountFromStandIn(t *testing.T) {
	fin, c := standIn(t)
	ctx := context.Background()
	ugx := fineractsim.UGX
	ugx.InMultiplesOf = 100
	b := fin.BusinessDate()
	client := fin.AddClient(fineractsim.Client{Firstname: "Okello", ActivationDate: b.AddDate(-1, 0, 0)})
	loan := fin.AddLoan(fineractsim.Loan{ClientID: client, Currency: ugx, Principal: fineractsim.MustAmount("500000"),
		DisbursedOn: b.AddDate(0, -1, 0), Installments: []fineractsim.Installment{{DueDate: b.AddDate(0, 1, 0), Principal: fineractsim.MustAmount("500000")}}})
	savings := fin.AddSavings(fineractsim.Savings{ClientID: client, Currency: ugx, ActivatedOn: b.AddDate(0, -1, 0)})
	acc, err := c.ClientAccounts(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	if got := acc.Loans[0].Currency; got.Code != "UGX" || got.DecimalPlaces != 0 || got.InMultiplesOf != 100 {
		t.Fatalf("loan currency %+v", got)
	}
	if got := acc.Savings[0].Currency; got.InMultiplesOf != 100 {
		t.Fatalf("savings currency %+v", got)
	}
	if l, err := c.Loan(ctx, loan); err != nil || l.Currency.InMultiplesOf != 100 {
		t.Fatalf("loan: %+v, %v", l.Currency, err)
	}
	day := mifos.DateOf(b)
	res, err := c.Repay(ctx, loan, mifos.Repayment{Date: day, Amount: 1_050_000_000, PaymentTypeID: 1, ExternalID: "ugx-1"}, "k-ugx-1")
	if err != nil {
		t.Fatal(err)
	}
	txn, err := c.LoanTxn(ctx, loan, res.ResourceID)
	if err != nil || txn.Amount != 1_100_000_000 || txn.ExternalID != "ugx-1" || txn.Date != day {
		t.Fatalf("posted repayment %+v, %v", txn, err)
	}
	dep, err := c.Deposit(ctx, savings, mifos.Deposit{Date: day, Amount: 1_020_000_000, PaymentTypeID: 1, ReceiptNumber: "R1"}, "k-ugx-2")
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.SavingsTxn(ctx, savings, dep.ResourceID)
	if err != nil || st.Amount != 1_000_000_000 || st.ReceiptNumber != "R1" {
		t.Fatalf("posted deposit %+v, %v", st, err)
	}
	if _, err := c.LoanTxn(ctx, fineractsim.SeedLoanAmina, res.ResourceID); !errors.Is(err, mifos.ErrNotFound) {
		t.Fatalf("a transaction of another loan: %v, want not found", err)
	}
}

// A reversed deposit comes with its reversal copy, listed first and marked
// isReversal; a repayment Fineract reversed itself leaves the loan's
// transactions but not the external-id read.
func TestReversalsFromStandIn(t *testing.T) {
	fin, c := standIn(t)
	ctx := context.Background()
	day := mifos.DateOf(fin.BusinessDate())
	dep, err := c.Deposit(ctx, fineractsim.SeedSavingsAmina, mifos.Deposit{Date: day, Amount: 5_000_000, PaymentTypeID: 1, ReceiptNumber: "R-REV"}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if err := fin.ReverseSavingsTransaction(fineractsim.SeedSavingsAmina, dep.ResourceID); err != nil {
		t.Fatal(err)
	}
	txns, err := c.SavingsTransactions(ctx, fineractsim.SeedSavingsAmina)
	if err != nil {
		t.Fatal(err)
	}
	if len(txns) < 2 || !txns[0].IsReversal || txns[0].Reversed || txns[0].ReceiptNumber != "R-REV" ||
		txns[1].ID != dep.ResourceID || !txns[1].Reversed || txns[1].IsReversal {
		t.Fatalf("transactions %+v", txns[:2])
	}
	res, err := c.Repay(ctx, fineractsim.SeedLoanAmina, mifos.Repayment{Date: day, Amount: 5_000_000, ExternalID: "rev-1"}, "k2")
	if err != nil {
		t.Fatal(err)
	}
	if err := fin.ReverseLoanTransaction(res.ResourceID, false); err != nil {
		t.Fatal(err)
	}
	if got, err := c.LoanTxnByExternalID(ctx, fineractsim.SeedLoanAmina, "rev-1"); err != nil || got.ID != res.ResourceID || got.ManuallyReversed {
		t.Fatalf("external-id read of the reversed repayment: %+v, %v", got, err)
	}
	loanTxns, err := c.LoanTransactions(ctx, fineractsim.SeedLoanAmina)
	if err != nil || len(loanTxns) == 0 {
		t.Fatalf("loan transactions: %v, %v", loanTxns, err)
	}
	for _, lt := range loanTxns {
		if lt.ID == res.ResourceID {
			t.Fatalf("the loan's transactions list the reversed repayment: %+v", lt)
		}
	}
}
