package fineractsim

import (
	"encoding/json"
	"testing"
)

// A server before 1.9 has no external-id routes: Jersey answers its plain
// 404, which is not Fineract's JSON not-found; the loan's transactions
// still carry each repayment's externalId. An Idempotency-Key is ignored.
func TestBefore19HasNoExternalIDRoute(t *testing.T) {
	s, err := Start(Options{BusinessDate: testBizDate, Before19: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.Seed()
	r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "old-1"), "Idempotency-Key", "k1")
	if r.status != 200 || obj(t, r.body)["resourceExternalId"] != nil {
		t.Fatalf("repayment: %d %s", r.status, r.body)
	}
	got := call(t, s, "GET", "/loans/981/transactions/external-id/old-1", "")
	if got.status != 404 || json.Valid(got.body) {
		t.Fatalf("external-id route on 1.8: %d %s, want Jersey's plain 404", got.status, got.body)
	}
	if v2 := call(t, s, "POST", "/v2/clients/search", `{"request":{"text":"0722"}}`); v2.status != 404 {
		t.Fatalf("v2 search on 1.8: %d", v2.status)
	}
	m := obj(t, call(t, s, "GET", "/loans/981?associations=transactions", "").body)
	tx := m["transactions"].([]any)
	if last := tx[len(tx)-1].(map[string]any); last["externalId"] != "old-1" || last["manuallyReversed"] != false {
		t.Fatalf("transactions association: %v", last)
	}
	// The same key again: no idempotency store, so it runs again and the
	// externalId is what refuses it.
	wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "old-1"), "Idempotency-Key", "k1"),
		400, "validation.msg.loan.transaction.externalId.value.must.be.unique")
	dep := `{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":10,"paymentTypeId":1}`
	for range 2 {
		if r := call(t, s, "POST", depositPath(SeedSavingsAmina), dep, "Idempotency-Key", "k2"); r.status != 200 || r.header.Get("x-served-from-cache") != "" {
			t.Fatalf("deposit: %d %v", r.status, r.header)
		}
	}
	if got := s.SavingsBalance(SeedSavingsAmina); got != "3170.000000" {
		t.Fatalf("a resent key posted once only on 1.8: balance %s", got)
	}
}

// With a unique index Fineract does not recognise by name, a duplicate
// externalId is the generic data-integrity 403, not its own 400.
func TestDuplicateExternalIDAsDataIntegrity(t *testing.T) {
	s, err := Start(Options{BusinessDate: testBizDate, UnnamedExternalIDIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.Seed()
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "dup-1")); r.status != 200 {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	m := wantError(t, call(t, s, "POST", repayPath(SeedLoanGrace), repayBody("2024-09-26", "500", "dup-1")), 403, "error.msg.data.integrity.issue")
	if m["userMessageGlobalisationCode"] != "error.msg.data.integrity.issue" {
		t.Fatalf("top-level code %v", m["userMessageGlobalisationCode"])
	}
}
