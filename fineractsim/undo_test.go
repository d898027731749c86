package fineractsim

import "testing"

// A person's undo of a loan repayment (POST /loans/{id}/transactions/{txnId},
// transactionAmount 0): the repayment is reversed and manuallyReversed, the
// loan owes what it owed before it, and every bad request changes nothing.
func TestUndoLoanTxn(t *testing.T) {
	s := startSeeded(t)
	before := s.LoanOutstanding(SeedLoanAmina)
	r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "undo-1"))
	if r.status != 200 {
		t.Fatalf("repay: %d %s", r.status, r.body)
	}
	txn := str(obj(t, r.body)["resourceId"])
	paid := s.LoanOutstanding(SeedLoanAmina)
	if paid == before {
		t.Fatalf("the repayment changed nothing: %s", paid)
	}
	undo := func(a string) string {
		return `{"transactionDate":"2024-09-26","transactionAmount":` + a + `,"locale":"en","dateFormat":"yyyy-MM-dd"}`
	}
	at := "/loans/981/transactions/" + txn
	for _, c := range []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"a command the stand-in does not model", at + "?command=chargeback", undo("0"), 400, "error.msg.unknown.query.param.command"},
		{"no date", at, `{"transactionAmount":0,"locale":"en","dateFormat":"yyyy-MM-dd"}`, 400, "validation.msg.loan.transaction.transactionDate.cannot.be.blank"},
		{"no amount", at, `{"transactionDate":"2024-09-26","locale":"en","dateFormat":"yyyy-MM-dd"}`, 400, "validation.msg.loan.transaction.transactionAmount.cannot.be.blank"},
		{"a negative amount", at, undo("-1"), 400, "validation.msg.loan.transaction.transactionAmount.not.zero.or.greater"},
		{"an unknown key", at, `{"transactionDate":"2024-09-26","transactionAmount":0,"locale":"en","dateFormat":"yyyy-MM-dd","bogus":1}`, 400, "error.msg.parameter.unsupported"},
		{"an unknown loan", "/loans/999/transactions/" + txn, undo("0"), 404, "error.msg.loan.id.invalid"},
		{"a transaction of another loan", "/loans/982/transactions/" + txn, undo("0"), 404, "error.msg.loan.transaction.id.invalid"},
		{"an unknown transaction", "/loans/981/transactions/99999", undo("0"), 404, "error.msg.loan.transaction.id.invalid"},
		{"adjusting to a new amount", at, undo("100"), 400, "fineractsim.adjust.to.amount.not.modelled"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := call(t, s, "POST", c.path, c.body)
			if c.status == 400 && c.code == "fineractsim.adjust.to.amount.not.modelled" {
				if got.status != 400 || str(obj(t, got.body)["userMessageGlobalisationCode"]) != c.code {
					t.Fatalf("%d %s", got.status, got.body)
				}
			} else {
				wantError(t, got, c.status, c.code)
			}
			if o := s.LoanOutstanding(SeedLoanAmina); o != paid {
				t.Fatalf("outstanding %s after a refused undo, want %s", o, paid)
			}
		})
	}
	r = call(t, s, "POST", at, undo("0"))
	if r.status != 200 || str(obj(t, r.body)["resourceId"]) != txn {
		t.Fatalf("undo: %d %s", r.status, r.body)
	}
	if o := s.LoanOutstanding(SeedLoanAmina); o != before {
		t.Fatalf("outstanding after the undo %s, want %s as before the repayment", o, before)
	}
	got := obj(t, call(t, s, "GET", at, "").body)
	if got["manuallyReversed"] != true {
		t.Fatalf("the undone repayment: %v", got)
	}
	wantError(t, call(t, s, "POST", at, undo("0")), 403, "error.msg.loan.transaction.update.not.allowed")
	if o := s.LoanOutstanding(SeedLoanAmina); o != before {
		t.Fatalf("outstanding after a second undo %s", o)
	}
}

// The savings undo (command=undo) is modelled in adjustSavingsTxn; here
// its table of refusals.
func TestUndoSavingsTxnRefusals(t *testing.T) {
	s := startSeeded(t)
	r := call(t, s, "POST", depositPath(SeedSavingsAmina),
		`{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":100,"paymentTypeId":1,"receiptNumber":"U1"}`)
	txn := str(obj(t, r.body)["resourceId"])
	for _, c := range []struct {
		name, path string
		status     int
		code       string
	}{
		{"an unknown command", "/savingsaccounts/77/transactions/" + txn + "?command=modify", 400, "error.msg.unknown.query.param.command"},
		{"an unknown account", "/savingsaccounts/999/transactions/" + txn + "?command=undo", 404, "error.msg.saving.account.id.invalid"},
		{"a transaction of another account", "/savingsaccounts/78/transactions/" + txn + "?command=undo", 404, "error.msg.saving.account.transaction.id.invalid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, call(t, s, "POST", c.path, "{}"), c.status, c.code)
			if got := s.SavingsBalance(SeedSavingsAmina); got != "3250.000000" {
				t.Fatalf("balance %s after a refused undo", got)
			}
		})
	}
	if r := call(t, s, "POST", "/savingsaccounts/77/transactions/"+txn+"?command=undo", "{}"); r.status != 200 {
		t.Fatalf("undo: %d %s", r.status, r.body)
	}
	if got := s.SavingsBalance(SeedSavingsAmina); got != "3150.000000" {
		t.Fatalf("balance after the undo %s", got)
	}
}
