package fineractsim

import "testing"

// command=reverse marks a deposit reversed and adds a copy with the same
// receipt flagged isReversal, listed first; command=undo only marks it.
func TestSavingsReversalCopy(t *testing.T) {
	s := startSeeded(t)
	dep := func(receipt string) string {
		r := call(t, s, "POST", depositPath(SeedSavingsAmina),
			`{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":100,"paymentTypeId":1,"receiptNumber":"`+receipt+`"}`)
		if r.status != 200 {
			t.Fatalf("deposit: %d %s", r.status, r.body)
		}
		return str(obj(t, r.body)["resourceId"])
	}
	rev, undo := dep("R-REV"), dep("R-UNDO")
	if r := call(t, s, "POST", "/savingsaccounts/77/transactions/"+rev+"?command=reverse", "{}"); r.status != 200 {
		t.Fatalf("reverse: %d %s", r.status, r.body)
	}
	if r := call(t, s, "POST", "/savingsaccounts/77/transactions/"+undo+"?command=undo", "{}"); r.status != 200 {
		t.Fatalf("undo: %d %s", r.status, r.body)
	}
	wantError(t, call(t, s, "POST", "/savingsaccounts/77/transactions/"+undo+"?command=undo", "{}"), 403,
		"error.msg.saving.account.transaction.already.reversed")
	if got := s.SavingsBalance(SeedSavingsAmina); got != "3150.000000" {
		t.Fatalf("balance after both reversals %s", got)
	}
	txns := path(obj(t, call(t, s, "GET", "/savingsaccounts/77?associations=transactions", "").body), "transactions").([]any)
	var withRev []map[string]any
	for _, x := range txns {
		if m := x.(map[string]any); str(path(m, "paymentDetailData", "receiptNumber")) == "R-REV" {
			withRev = append(withRev, m)
		}
	}
	if len(withRev) != 2 {
		t.Fatalf("transactions with the receipt: %v", withRev)
	}
	cp, orig := withRev[0], withRev[1]
	if cp["isReversal"] != true || cp["reversed"] != false || path(cp, "transactionType", "deposit") != true || str(cp["id"]) == rev {
		t.Fatalf("the reversal copy (listed first): %v", cp)
	}
	if orig["isReversal"] != false || orig["reversed"] != true || str(orig["id"]) != rev {
		t.Fatalf("the reversed deposit: %v", orig)
	}
	for _, x := range txns {
		if m := x.(map[string]any); str(path(m, "paymentDetailData", "receiptNumber")) == "R-UNDO" && (m["reversed"] != true || m["isReversal"] != false) {
			t.Fatalf("the undone deposit: %v", m)
		}
	}
}

// A reversal Fineract makes itself keeps the externalId and leaves
// manuallyReversed false: the external-id lookup still answers, the loan's
// transactions no longer list it. A person's reversal stays listed.
func TestLoanReversalKeepsExternalID(t *testing.T) {
	s := startSeeded(t)
	r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "rev-1"))
	id := str(obj(t, r.body)["resourceId"])
	before := s.LoanOutstanding(SeedLoanAmina)
	var txnID int64
	for _, t := range s.LoanTransactions(SeedLoanAmina) {
		if t.ExternalID == "rev-1" {
			txnID = t.ID
		}
	}
	if err := s.ReverseLoanTransaction(txnID, false); err != nil {
		t.Fatal(err)
	}
	if got := s.LoanOutstanding(SeedLoanAmina); got != "13975.340000" || got == before {
		t.Fatalf("outstanding after the reversal %s (before %s)", got, before)
	}
	got := call(t, s, "GET", "/loans/981/transactions/external-id/rev-1", "")
	if got.status != 200 || obj(t, got.body)["manuallyReversed"] != false || str(obj(t, got.body)["id"]) != id {
		t.Fatalf("external-id lookup of a reversed repayment: %d %s", got.status, got.body)
	}
	listed := func(ext string) map[string]any {
		for _, x := range path(obj(t, call(t, s, "GET", "/loans/981?associations=transactions", "").body), "transactions").([]any) {
			if m := x.(map[string]any); m["externalId"] == ext {
				return m
			}
		}
		return nil
	}
	if m := listed("rev-1"); m != nil {
		t.Fatalf("the loan's transactions list a reversed repayment: %v", m)
	}
	wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "rev-1")), 400,
		"validation.msg.loan.transaction.externalId.value.must.be.unique")
	r = call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "300", "rev-2"))
	var second int64
	for _, t := range s.LoanTransactions(SeedLoanAmina) {
		if t.ExternalID == "rev-2" {
			second = t.ID
		}
	}
	if err := s.ReverseLoanTransaction(second, true); err != nil {
		t.Fatal(err)
	}
	if m := listed("rev-2"); m == nil || m["manuallyReversed"] != true {
		t.Fatalf("a person's reversal: %v", m)
	}
}

// The savings transaction search (1.9+) pages a long account by date:
// only that day's deposits, newest first, reversal copies left out.
func TestSavingsTransactionSearch(t *testing.T) {
	s := startSeeded(t)
	s.AddDeposits(SeedSavingsAmina, 30, MustAmount("5"), testBizDate.AddDate(0, 0, -1), "OLD")
	s.AddDeposits(SeedSavingsAmina, 5, MustAmount("5"), testBizDate, "NEW")
	var reversed int64
	for _, tx := range s.SavingsTransactions(SeedSavingsAmina) {
		if tx.ReceiptNumber == "NEW2" {
			reversed = tx.ID
		}
	}
	if err := s.ReverseSavingsTransaction(SeedSavingsAmina, reversed); err != nil {
		t.Fatal(err)
	}
	q := "/savingsaccounts/77/transactions/search?fromDate=2024-09-26&toDate=2024-09-26&dateFormat=yyyy-MM-dd&locale=en&types=1"
	m := obj(t, call(t, s, "GET", q+"&offset=0&limit=3", "").body)
	content := m["content"].([]any)
	if str(m["total"]) != "5" || len(content) != 3 || str(path(content[0], "paymentDetailData", "receiptNumber")) != "NEW5" {
		t.Fatalf("first page: total %v, %v", m["total"], content)
	}
	m = obj(t, call(t, s, "GET", q+"&offset=3&limit=3", "").body)
	content = m["content"].([]any)
	if len(content) != 2 || str(path(content[1], "paymentDetailData", "receiptNumber")) != "NEW1" {
		t.Fatalf("second page %v", content)
	}
	for _, p := range []string{"0", "3"} {
		for _, x := range obj(t, call(t, s, "GET", q+"&offset="+p+"&limit=3", "").body)["content"].([]any) {
			if x.(map[string]any)["isReversal"] == true {
				t.Fatalf("a reversal copy listed: %v", x)
			}
		}
	}
	if m := obj(t, call(t, s, "GET", "/savingsaccounts/77/transactions/search?types=2", "").body); str(m["total"]) != "0" {
		t.Fatalf("withdrawals: %v", m)
	}
	old, err := Start(Options{BusinessDate: testBizDate, Before19: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = old.Close() })
	old.Seed()
	if r := call(t, old, "GET", q, ""); r.status != 404 {
		t.Fatalf("search on a server before 1.9: %d", r.status)
	}
}
