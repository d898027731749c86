package mifos

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Observe hears every request made with the box's credentials, answered
// or not, and none made as another user.
func TestObserveHearsTheBoxsRequestsOnly(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(`{"id":1,"displayName":"A","active":true,"status":{"id":300,"code":"clientStatusType.active"}}`))
	}))
	defer srv.Close()
	var heard []error
	c, err := New(Config{BaseURL: srv.URL + "/fineract-provider/api/v1", Tenant: "default", Username: "mifos", Password: "password",
		Observe: func(_ context.Context, err error) { heard = append(heard, err) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Client(ctx, 1); err != nil {
		t.Fatal(err)
	}
	status = http.StatusInternalServerError
	if _, err := c.Client(ctx, 1); err == nil {
		t.Fatal("a 500 was not an error")
	}
	if _, err := c.AsUser("jane", "secret").Client(ctx, 1); err == nil {
		t.Fatal("a 500 as a user was not an error")
	}
	if len(heard) != 2 || heard[0] != nil || heard[1] == nil || Classify(heard[1]) != ServerError {
		t.Errorf("observed %v; want nil then the 500, and nothing of the request made as jane", heard)
	}
}

func TestPostedByBox(t *testing.T) {
	for ext, want := range map[string]bool{
		"me-KISUMU-1-m17-0":      true,
		"mm-mpesa-ke-SKQ7H2ZP4M": true,
		"mm-gcash-9012-2":        true,
		"":                       false,
		"teller-1":               false,
		"ME-KISUMU-1-m17-0":      false,
		"mpesa-SKQ7H2ZP4M":       false,
	} {
		if got := PostedByBox(ext); got != want {
			t.Errorf("PostedByBox(%q) = %v, want %v", ext, got, want)
		}
	}
}
