package payments

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/store"
)

func reversal(txn, of string) mobilemoney.Payment {
	return mobilemoney.Payment{Operator: "mpesa-ke", Kind: mobilemoney.KindReversal, TxnID: txn, ReversedTxnID: of, Source: "sms"}
}

// A person undoes a payment the operator reversed: a posted payment is not
// undone until its reversal notice arrives; then its repayment and its
// deposit (a payment split over a loan and savings) are reversed in
// Fineract, the balances are as before, and the payment is reversed. A
// second undo changes nothing and is no error.
func TestUndoReversedPayment(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	loanBefore := r.fin.LoanOutstanding(fineractsim.SeedLoanAmina)
	savBefore := r.fin.SavingsBalance(fineractsim.SeedSavingsAmina)
	if _, _, err := r.core.Record(ctx, payment("QUNDO1", "981", "700", "sms")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.core.Record(ctx, payment("QUNDO2", "77", "300", "sms")); err != nil {
		t.Fatal(err)
	}
	r.waitState(t, "mpesa-ke", "QUNDO1", store.PaymentPosted)
	r.waitState(t, "mpesa-ke", "QUNDO2", store.PaymentPosted)
	loanPaid := r.fin.LoanOutstanding(fineractsim.SeedLoanAmina)
	if loanPaid == loanBefore || r.fin.SavingsBalance(fineractsim.SeedSavingsAmina) == savBefore {
		t.Fatal("the payments did not post")
	}

	if _, err := r.core.Undo(ctx, "", "QUNDO1"); !errors.Is(err, store.ErrPaymentState) {
		t.Fatalf("undo of a posted payment without a reversal: %v", err)
	}
	if _, err := r.core.Undo(ctx, "", "QNONE"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("undo of an unknown payment: %v", err)
	}
	if got := r.fin.LoanOutstanding(fineractsim.SeedLoanAmina); got != loanPaid {
		t.Fatalf("a refused undo changed the loan: %s", got)
	}

	for _, rv := range []mobilemoney.Payment{reversal("QREV1", "QUNDO1"), reversal("QREV2", "QUNDO2")} {
		if _, _, err := r.core.Record(ctx, rv); err != nil {
			t.Fatal(err)
		}
	}
	p := r.waitState(t, "mpesa-ke", "QUNDO1", store.PaymentReversalPending)
	if got := r.fin.LoanOutstanding(fineractsim.SeedLoanAmina); got != loanPaid {
		t.Fatalf("the reversal notice undid something by itself: %s", got)
	}
	repay := r.loanTxns(fineractsim.SeedLoanAmina, "mm-mpesa-ke-QUNDO1")
	if len(repay) != 1 || len(p.Journal) != 1 {
		t.Fatalf("repayments %+v, journal %v", repay, p.Journal)
	}

	for _, txn := range []string{"QUNDO1", "QUNDO2"} {
		p, err := r.core.Undo(ctx, "mpesa-ke", strings.ToLower(txn))
		if err != nil || p.State != store.PaymentReversed || !strings.Contains(p.Reason, "undone in Mifos") {
			t.Fatalf("undo %s: %v %+v", txn, err, p)
		}
	}
	if got := r.fin.LoanOutstanding(fineractsim.SeedLoanAmina); got != loanBefore {
		t.Fatalf("outstanding after the undo %s, want %s", got, loanBefore)
	}
	if got := r.fin.SavingsBalance(fineractsim.SeedSavingsAmina); got != savBefore {
		t.Fatalf("savings after the undo %s, want %s", got, savBefore)
	}
	repay = r.loanTxns(fineractsim.SeedLoanAmina, "mm-mpesa-ke-QUNDO1")
	if len(repay) != 1 || !repay[0].Reversed || !repay[0].ManuallyReversed {
		t.Fatalf("the repayment after the undo: %+v", repay)
	}
	var deposits []fineractsim.SavingsTxn
	for _, tx := range r.fin.SavingsTransactions(fineractsim.SeedSavingsAmina) {
		if tx.ReceiptNumber == "QUNDO2" {
			deposits = append(deposits, tx)
		}
	}
	if len(deposits) != 1 || !deposits[0].Reversed {
		t.Fatalf("the deposit after the undo: %+v", deposits)
	}

	again, err := r.core.Undo(ctx, "", "QUNDO1")
	if err != nil || again.State != store.PaymentReversed || again.UpdatedAt != must(r.db.Payment("mpesa-ke", "QUNDO1"))(t).UpdatedAt {
		t.Fatalf("second undo: %v %+v", err, again)
	}
	if got := r.fin.LoanOutstanding(fineractsim.SeedLoanAmina); got != loanBefore {
		t.Fatalf("outstanding after a second undo %s", got)
	}
}

// A run cut short after Fineract reversed a transaction (here: a person
// reversed it in Mifos already) finishes: the reversed transaction counts
// as undone.
func TestUndoAfterTransactionReversedInMifos(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, _, err := r.core.Record(ctx, payment("QHALF1", "981", "400", "sms")); err != nil {
		t.Fatal(err)
	}
	p := r.waitState(t, "mpesa-ke", "QHALF1", store.PaymentPosted)
	before := r.fin.LoanOutstanding(fineractsim.SeedLoanAmina)
	if err := r.fin.ReverseLoanTransaction(p.FineractTxnIDs[0], true); err != nil {
		t.Fatal(err)
	}
	reversedByHand := r.fin.LoanOutstanding(fineractsim.SeedLoanAmina)
	if reversedByHand == before {
		t.Fatal("the reversal by hand changed nothing")
	}
	if _, _, err := r.core.Record(ctx, reversal("QREVH", "QHALF1")); err != nil {
		t.Fatal(err)
	}
	r.waitState(t, "mpesa-ke", "QHALF1", store.PaymentReversalPending)
	p, err := r.core.Undo(ctx, "", "QHALF1")
	if err != nil || p.State != store.PaymentReversed {
		t.Fatalf("undo: %v %+v", err, p)
	}
	if got := r.fin.LoanOutstanding(fineractsim.SeedLoanAmina); got != reversedByHand {
		t.Fatalf("outstanding %s, want %s", got, reversedByHand)
	}
}
