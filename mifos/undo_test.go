package mifos_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
)

// Undoing a loan repayment and a savings deposit against the stand-in:
// each is reversed, the balances are as before, a second undo answers
// ErrAlreadyReversed and an unknown transaction ErrNotFound.
func TestUndoFromStandIn(t *testing.T) {
	fin, c := standIn(t)
	ctx := context.Background()
	day := mifos.DateOf(fin.BusinessDate())
	before := fin.LoanOutstanding(fineractsim.SeedLoanAmina)
	rep, err := c.Repay(ctx, fineractsim.SeedLoanAmina, mifos.Repayment{Date: day, Amount: 500_000_000, PaymentTypeID: 3, ExternalID: "mm-undo-1"}, "k-undo-1")
	if err != nil {
		t.Fatal(err)
	}
	if fin.LoanOutstanding(fineractsim.SeedLoanAmina) == before {
		t.Fatal("the repayment changed nothing")
	}
	res, err := c.UndoLoanTxn(ctx, fineractsim.SeedLoanAmina, rep.ResourceID, day, "u-undo-1")
	if err != nil || res.ResourceID != rep.ResourceID {
		t.Fatalf("undo: %+v, %v", res, err)
	}
	if got := fin.LoanOutstanding(fineractsim.SeedLoanAmina); got != before {
		t.Fatalf("outstanding after the undo %s, want %s", got, before)
	}
	if txn, err := c.LoanTxn(ctx, fineractsim.SeedLoanAmina, rep.ResourceID); err != nil || !txn.ManuallyReversed {
		t.Fatalf("the undone repayment: %+v, %v", txn, err)
	}
	if _, err := c.UndoLoanTxn(ctx, fineractsim.SeedLoanAmina, rep.ResourceID, day, "u-undo-1b"); !errors.Is(err, mifos.ErrAlreadyReversed) {
		t.Fatalf("second undo: %v, want ErrAlreadyReversed", err)
	}
	if _, err := c.UndoLoanTxn(ctx, fineractsim.SeedLoanAmina, 99999, day, ""); !errors.Is(err, mifos.ErrNotFound) || errors.Is(err, mifos.ErrAlreadyReversed) {
		t.Fatalf("unknown loan transaction: %v", err)
	}
	if _, err := c.UndoLoanTxn(ctx, fineractsim.SeedLoanAmina, rep.ResourceID, mifos.Date{}, ""); !errors.Is(err, mifos.ErrInvalidRequest) {
		t.Fatalf("no date: %v", err)
	}

	bal := fin.SavingsBalance(fineractsim.SeedSavingsAmina)
	dep, err := c.Deposit(ctx, fineractsim.SeedSavingsAmina, mifos.Deposit{Date: day, Amount: 250_000_000, PaymentTypeID: 3, ReceiptNumber: "UNDO2"}, "k-undo-2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UndoSavingsTxn(ctx, fineractsim.SeedSavingsAmina, dep.ResourceID, "u-undo-2"); err != nil {
		t.Fatal(err)
	}
	if got := fin.SavingsBalance(fineractsim.SeedSavingsAmina); got != bal {
		t.Fatalf("balance after the undo %s, want %s", got, bal)
	}
	if txn, err := c.SavingsTxn(ctx, fineractsim.SeedSavingsAmina, dep.ResourceID); err != nil || !txn.Reversed {
		t.Fatalf("the undone deposit: %+v, %v", txn, err)
	}
	if _, err := c.UndoSavingsTxn(ctx, fineractsim.SeedSavingsAmina, dep.ResourceID, "u-undo-2b"); !errors.Is(err, mifos.ErrAlreadyReversed) {
		t.Fatalf("second undo: %v, want ErrAlreadyReversed", err)
	}
	if _, err := c.UndoSavingsTxn(ctx, fineractsim.SeedSavingsAmina, 99999, ""); !errors.Is(err, mifos.ErrNotFound) {
		t.Fatalf("unknown savings transaction: %v", err)
	}
}
