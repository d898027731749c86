package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/modemsim"
)

// TestReversalUndoneByAPerson drives a reversal end to end: two M-PESA
// paybill payments (one to a loan, one to savings) arrive by SMS from the
// operator and post; M-PESA's reversal notices for them arrive: each
// payment becomes reversal-pending and nothing is undone by itself. A
// person runs "payments undo": with the daemon running the repayment is
// reversed in Fineract and the payment is reversed; with the daemon
// stopped the deposit is. Undoing again changes nothing and is no error.
func TestReversalUndoneByAPerson(t *testing.T) {
	b := newPaymentsBox(t)
	e := b.e
	when := time.Now().In(time.FixedZone("EAT", 3*3600)).Add(-time.Hour)
	paid := func(txn, amount, account string) string {
		return fmt.Sprintf("%s Confirmed. on %d/%d/%02d at 9:05 AM Ksh%s received from MARY WANJIKU 0712***678. "+
			"Account Number %s New Utility balance is Ksh51,200.00", txn, when.Day(), int(when.Month()), when.Year()%100, amount, account)
	}
	reversed := func(notice, txn string) string {
		return notice + " Confirmed. Transaction " + txn + " has been reversed.  Your account balance is now Ksh50,000.00."
	}
	deliver := func(text string) {
		t.Helper()
		if err := e.sim.Deliver(modemsim.Incoming{From: "MPESA", SenderType: "alphanumeric", Text: text, Class: -1}); err != nil {
			t.Fatal(err)
		}
	}
	undo := func(txn string) string {
		t.Helper()
		out, err := exec.Command(binary, "payments", "undo", "--config", e.cfgPath, txn).CombinedOutput()
		if err != nil {
			t.Fatalf("payments undo %s: %v\n%s", txn, err, out)
		}
		return string(out)
	}
	loanBefore := e.fin.LoanOutstanding(fineractsim.SeedLoanAmina)
	savBefore := e.fin.SavingsBalance(fineractsim.SeedSavingsAmina)

	deliver(paid("SKU7H2ZP4A", "1,200.00", "981"))
	deliver(paid("SKU7H2ZP4B", "300.00", "77"))
	b.waitState("mpesa-ke", "SKU7H2ZP4A", "posted", 30*time.Second)
	b.waitState("mpesa-ke", "SKU7H2ZP4B", "posted", 30*time.Second)
	loanPaid, savPaid := e.fin.LoanOutstanding(fineractsim.SeedLoanAmina), e.fin.SavingsBalance(fineractsim.SeedSavingsAmina)
	if loanPaid == loanBefore || savPaid == savBefore {
		t.Fatalf("the payments did not post: loan %s, savings %s", loanPaid, savPaid)
	}
	repayment := func() fineractsim.LoanTxn {
		for _, tx := range e.fin.LoanTransactions(fineractsim.SeedLoanAmina) {
			if tx.ReceiptNumber == "SKU7H2ZP4A" {
				return tx
			}
		}
		t.Fatal("no repayment with receipt SKU7H2ZP4A")
		return fineractsim.LoanTxn{}
	}
	deposit := func() fineractsim.SavingsTxn {
		for _, tx := range e.fin.SavingsTransactions(fineractsim.SeedSavingsAmina) {
			if tx.ReceiptNumber == "SKU7H2ZP4B" {
				return tx
			}
		}
		t.Fatal("no deposit with receipt SKU7H2ZP4B")
		return fineractsim.SavingsTxn{}
	}

	// A posted payment without the operator's reversal is not undone.
	if out, err := exec.Command(binary, "payments", "undo", "--config", e.cfgPath, "SKU7H2ZP4A").CombinedOutput(); err == nil || !strings.Contains(string(out), "reversal-pending") {
		t.Fatalf("undo of a payment the operator did not reverse: %v\n%s", err, out)
	}

	deliver(reversed("SKR7H2ZP4A", "SKU7H2ZP4A"))
	deliver(reversed("SKR7H2ZP4B", "SKU7H2ZP4B"))
	v := b.waitState("mpesa-ke", "SKU7H2ZP4A", "reversal-pending", 30*time.Second)
	if !strings.Contains(fmt.Sprint(v["reason"]), "SKR7H2ZP4A") {
		t.Errorf("the reason does not name the reversal: %v", v)
	}
	b.waitState("mpesa-ke", "SKU7H2ZP4B", "reversal-pending", 30*time.Second)
	time.Sleep(time.Second) // an undo by itself would show by now
	if got := e.fin.LoanOutstanding(fineractsim.SeedLoanAmina); got != loanPaid || repayment().Reversed {
		t.Fatalf("the reversal notice undid the repayment by itself: outstanding %s", got)
	}
	if got := e.fin.SavingsBalance(fineractsim.SeedSavingsAmina); got != savPaid || deposit().Reversed {
		t.Fatalf("the reversal notice undid the deposit by itself: balance %s", got)
	}

	// With the daemon running: through its control socket.
	if out := undo("SKU7H2ZP4A"); !strings.Contains(out, "reversed") {
		t.Errorf("undo said: %s", out)
	}
	b.waitState("mpesa-ke", "SKU7H2ZP4A", "reversed", 5*time.Second)
	if tx := repayment(); !tx.Reversed || !tx.ManuallyReversed {
		t.Fatalf("the repayment after the undo: %+v", tx)
	}
	if got := e.fin.LoanOutstanding(fineractsim.SeedLoanAmina); got != loanBefore {
		t.Fatalf("outstanding after the undo %s, want %s", got, loanBefore)
	}
	if deposit().Reversed {
		t.Fatal("undoing one payment undid the other")
	}
	undo("SKU7H2ZP4A")
	if got := e.fin.LoanOutstanding(fineractsim.SeedLoanAmina); got != loanBefore {
		t.Fatalf("outstanding after a second undo %s", got)
	}

	// With the daemon stopped: on the store.
	e.stop()
	undo("SKU7H2ZP4B")
	if tx := deposit(); !tx.Reversed {
		t.Fatalf("the deposit after the undo: %+v", tx)
	}
	if got := e.fin.SavingsBalance(fineractsim.SeedSavingsAmina); got != savBefore {
		t.Fatalf("savings after the undo %s, want %s", got, savBefore)
	}
	undo("SKU7H2ZP4B")
	undo("SKU7H2ZP4A")
	if got := e.fin.SavingsBalance(fineractsim.SeedSavingsAmina); got != savBefore {
		t.Fatalf("savings after a second undo %s", got)
	}
	if got := e.fin.LoanOutstanding(fineractsim.SeedLoanAmina); got != loanBefore {
		t.Fatalf("outstanding after a third undo %s", got)
	}
	out, err := exec.Command(binary, "payments", "--config", e.cfgPath, "--state", "reversed", "--json").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SKU7H2ZP4A") || !strings.Contains(string(out), "SKU7H2ZP4B") {
		t.Fatalf("the reversed payments are not listed: %v\n%s", err, out)
	}
}
