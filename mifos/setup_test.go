package mifos

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The credential check is the one call that puts the password in a body.
// A server (or proxy) that echoes the request in its error answer must not
// get the password into the error, which ends up in logs.
func TestAuthenticateKeepsAnEchoedPasswordOutOfItsError(t *testing.T) {
	const password = "Echoed-Pw-123"
	for _, status := range []int{400, 401, 403, 500} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"httpStatusCode":"` + http.StatusText(status) + `","defaultUserMessage":"you sent ` +
				strings.ReplaceAll(string(body), `"`, `'`) + `","userMessageGlobalisationCode":"error.msg.echo",` +
				`"errors":[{"userMessageGlobalisationCode":"error.msg.echo","defaultUserMessage":"` + strings.ReplaceAll(string(body), `"`, `'`) + `"}]}`))
		}))
		c, err := New(Config{BaseURL: srv.URL, Tenant: "default", Username: "branch-sms", Password: password})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Authenticate(context.Background())
		srv.Close()
		e, ok := err.(*Error)
		if !ok || e.Status != status || !e.HasCode("error.msg.echo") {
			t.Fatalf("%d: err %#v, want Fineract's status and code", status, err)
		}
		if strings.Contains(err.Error(), password) || strings.Contains(e.Body, password) || strings.Contains(e.Message, password) ||
			strings.Contains(e.Errors[0].Message, password) {
			t.Fatalf("%d: the password is in the error: %#v", status, e)
		}
	}
}

// Permissions as Fineract's AppUser grants them.
func TestUserPermitted(t *testing.T) {
	for _, tc := range []struct {
		perms []string
		code  string
		want  bool
	}{
		{[]string{"REPAYMENT_LOAN"}, "REPAYMENT_LOAN", true},
		{[]string{"REPAYMENT_LOAN"}, "DEPOSIT_SAVINGSACCOUNT", false},
		{[]string{"ALL_FUNCTIONS"}, "SAVECOLLECTIONSHEET_GROUP", true},
		{[]string{"ALL_FUNCTIONS_READ"}, "READ_BUSINESS_DATE", true},
		{[]string{"ALL_FUNCTIONS_READ"}, "REPAYMENT_LOAN", false},
		{[]string{"SAVE_COLLECTIONSHEET"}, "SAVECOLLECTIONSHEET_GROUP", false},
		{nil, "READ_CLIENT", false},
	} {
		if got := (User{Permissions: tc.perms}).Permitted(tc.code); got != tc.want {
			t.Errorf("%v may %s: %v, want %v", tc.perms, tc.code, got, tc.want)
		}
	}
}
