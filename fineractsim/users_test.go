package fineractsim

import (
	"slices"
	"testing"
)

// POST /authentication checks the credentials in its body and lists the
// user's permissions; a user Fineract wants to change its password first
// gets no permissions.
func TestAuthenticationListsPermissions(t *testing.T) {
	s := startSeeded(t)
	r := call(t, s, "POST", "/authentication", `{"username":"mifos","password":"password"}`, "Authorization", "")
	m := obj(t, r.body)
	if r.status != 200 || m["authenticated"] != true || str(path(m, "permissions", 0)) != "ALL_FUNCTIONS" || str(m["userId"]) != "1" {
		t.Fatalf("authentication: %d %s", r.status, r.body)
	}
	s.SetPermissions("READ_CLIENT", "REPAYMENT_LOAN")
	m = obj(t, call(t, s, "POST", "/authentication", `{"username":"mifos","password":"password"}`).body)
	var got []string
	for _, p := range m["permissions"].([]any) {
		got = append(got, p.(string))
	}
	if !slices.Equal(got, []string{"READ_CLIENT", "REPAYMENT_LOAN"}) {
		t.Fatalf("permissions %v", got)
	}
	if r := call(t, s, "POST", "/authentication", `{"username":"mifos","password":"wrong"}`, "Authorization", ""); r.status != 401 {
		t.Fatalf("wrong password: %d %s", r.status, r.body)
	}
	s.SetMustRenewPassword(true)
	m = obj(t, call(t, s, "POST", "/authentication", `{"username":"mifos","password":"password"}`).body)
	if m["shouldRenewPassword"] != true || m["permissions"] != nil {
		t.Fatalf("renewal: %v", m)
	}
}

// Every read checks READ_<resource> (ALL_FUNCTIONS_READ covers them all),
// every command <ACTION>_<ENTITY>; a user without it gets 403
// error.msg.not.authorized and nothing is posted.
func TestPermissionsAreChecked(t *testing.T) {
	s := startSeeded(t)
	s.SetPermissions("READ_CLIENT", "REPAYMENT_LOAN")
	if r := call(t, s, "GET", "/clients/42", ""); r.status != 200 {
		t.Fatalf("READ_CLIENT: %d", r.status)
	}
	for _, p := range []string{"/loans/981", "/savingsaccounts/77", "/groups/7", "/staff/12", "/paymenttypes/1", "/businessdate/BUSINESS_DATE"} {
		m := wantError(t, call(t, s, "GET", p, ""), 403, "error.msg.not.authorized")
		if m["userMessageGlobalisationCode"] != "error.msg.not.authorized" {
			t.Fatalf("%s: %v", p, m)
		}
	}
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "100", "perm-1")); r.status != 200 {
		t.Fatalf("REPAYMENT_LOAN: %d %s", r.status, r.body)
	}
	wantError(t, call(t, s, "POST", depositPath(SeedSavingsAmina), depositBody("2024-09-26", "100", "R1")), 403, "error.msg.not.authorized")
	save := `{"transactionDate":"2024-09-28","calendarId":31,"dateFormat":"yyyy-MM-dd","locale":"en"}`
	wantError(t, call(t, s, "POST", "/groups/7?command=saveCollectionSheet", save), 403, "error.msg.not.authorized")
	s.SetPermissions("ALL_FUNCTIONS_READ", "SAVECOLLECTIONSHEET_GROUP")
	for _, p := range []string{"/loans/981", "/groups/7", "/paymenttypes/1"} {
		if r := call(t, s, "GET", p, ""); r.status != 200 {
			t.Fatalf("%s with ALL_FUNCTIONS_READ: %d", p, r.status)
		}
	}
	wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "100", "perm-2")), 403, "error.msg.not.authorized")
	if r := call(t, s, "POST", "/groups/7?command=saveCollectionSheet", save); r.status == 403 {
		t.Fatalf("SAVECOLLECTIONSHEET_GROUP refused: %s", r.body)
	}
}

// GET /paymenttypes/{id}: the payment type, or 404 error.msg.payment.type.invalid.
func TestPaymentTypeByID(t *testing.T) {
	s := startSeeded(t)
	r := call(t, s, "GET", "/paymenttypes/3", "")
	if m := obj(t, r.body); r.status != 200 || m["name"] != "M-PESA" || str(m["id"]) != "3" {
		t.Fatalf("payment type 3: %d %s", r.status, r.body)
	}
	wantError(t, call(t, s, "GET", "/paymenttypes/9", ""), 404, "error.msg.payment.type.invalid")
}
