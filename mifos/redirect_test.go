package mifos

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// recorder is a plain-http listener that notes every request it gets: the
// place a redirect points to, which must never be reached.
type recorder struct {
	mu   sync.Mutex
	hits []string // "METHOD path Authorization=... body=..."
	srv  *httptest.Server
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.hits = append(r.hits, req.Method+" "+req.URL.Path+" Authorization="+req.Header.Get("Authorization")+" body="+string(body))
		r.mu.Unlock()
		// What an impostor answers: a believable success.
		reply(w, 200, `{"officeId":1,"clientId":1,"savingsId":77,"resourceId":7,"date":[2024,9,26]}`)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.hits...)
}

// An https Fineract (or the proxy in front of it) that redirects to plain
// http on the same host: Go would keep the Authorization header because the
// host name matches, so the password would cross the network in clear.
func TestRedirectToPlainHTTPIsNotFollowed(t *testing.T) {
	plain := newRecorder(t)
	// userinfo and query in the Location must not show in the error either.
	target := strings.Replace(plain.srv.URL, "http://", "http://admin:hunter2@", 1)
	redirector := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", target+r.URL.Path+"?tenantIdentifier=kisumu#top")
		w.WriteHeader(http.StatusFound)
	}))
	t.Cleanup(redirector.Close)
	caFile := writeCert(t, redirector.Certificate().Raw)
	c := tlsClient(t, redirector.URL, caFile, "")

	d, err := c.BusinessDate(ctx)
	if hits := plain.requests(); len(hits) != 0 {
		t.Fatalf("the redirect was followed; the plain http listener got %q", hits)
	}
	if err == nil {
		t.Fatalf("a redirect gave a result (%v) instead of an error", d)
	}
	noSecret(t, err)
	msg := err.Error()
	want := plain.srv.URL + "/fineract-provider/api/v1/businessdate/BUSINESS_DATE"
	if !strings.Contains(msg, "redirect to "+want) || !strings.Contains(msg, "does not follow redirects") || !strings.Contains(msg, "base_url") {
		t.Errorf("error %q does not say plainly that Fineract redirected to %s and that base_url must be fixed", msg, want)
	}
	wantRedirect(t, err, http.StatusFound)
	if strings.Contains(msg, "hunter2") || strings.Contains(msg, "admin") || strings.Contains(msg, "tenantIdentifier") || strings.Contains(msg, "#top") {
		t.Errorf("error %q repeats the Location's credentials, query or fragment", msg)
	}
}

// A 307 keeps method and body: following it would post a deposit to
// whoever answers and take their answer as the posting result.
func TestRedirectedDepositIsNotResent(t *testing.T) {
	impostor := newRecorder(t)
	c, f := newFake(t, func(w http.ResponseWriter, s seen) {
		w.Header().Set("Location", impostor.srv.URL+"/fineract-provider"+s.Path+"?command=deposit")
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	res, err := c.Deposit(ctx, 77, Deposit{Date: Date{2024, 9, 26}, Amount: 500_000_000, PaymentTypeID: 3}, "key-1")
	if hits := impostor.requests(); len(hits) != 0 {
		t.Fatalf("the deposit was re-sent to the redirect target: %q", hits)
	}
	if err == nil || res != (Result{}) {
		t.Fatalf("a redirected deposit gave %+v, %v; want an error and no result", res, err)
	}
	if n := len(f.all()); n != 1 {
		t.Errorf("Fineract got %d requests, want exactly the one that was redirected", n)
	}
	if !strings.Contains(err.Error(), "redirect to "+impostor.srv.URL+"/fineract-provider/api/v1/savingsaccounts/77/transactions") {
		t.Errorf("error %q does not name where the redirect pointed", err)
	}
	noSecret(t, err)
	wantRedirect(t, err, http.StatusTemporaryRedirect)
}

// wantRedirect checks how a redirect is classified: a Fineract answer (so
// the link counts as up) that says nothing was processed and that a person
// must fix base_url; never a lost answer to retry, nor a bad credential.
func wantRedirect(t *testing.T, err error, status int) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Status != status {
		t.Fatalf("err = %T %v, want *Error with status %d", err, err, status)
	}
	if !IsRedirect(err) || IsRetryable(err) || IsAuthProblem(err) || errors.Is(err, ErrNotFound) {
		t.Errorf("%v: redirect %v, retryable %v, auth %v", err, IsRedirect(err), IsRetryable(err), IsAuthProblem(err))
	}
	if !strings.Contains(e.Message, "redirect") || !strings.Contains(e.Message, "base_url") {
		t.Errorf("Message %q (what an officer is told) does not say what happened", e.Message)
	}
}

// Every redirect status, with a relative or missing Location.
func TestRedirectStatuses(t *testing.T) {
	for _, tc := range []struct {
		status        int
		location, say string
	}{
		{http.StatusMovedPermanently, "https://fineract.example.org/fineract-provider/api/v1/loans/1?x=1", "redirect to https://fineract.example.org/fineract-provider/api/v1/loans/1;"},
		{http.StatusSeeOther, "/other/place", "/other/place;"},
		{http.StatusPermanentRedirect, "", "redirect to an address it did not give"},
		{http.StatusMultipleChoices, "", "redirect"},
	} {
		c, f := newFake(t, func(w http.ResponseWriter, s seen) {
			if tc.location != "" {
				w.Header().Set("Location", tc.location)
			}
			w.WriteHeader(tc.status)
		})
		_, err := c.Loan(ctx, 1)
		if n := len(f.all()); n != 1 {
			t.Errorf("%d: %d requests, want 1", tc.status, n)
		}
		if err == nil || !strings.Contains(err.Error(), tc.say) {
			t.Errorf("%d: error %v does not contain %q", tc.status, err, tc.say)
		}
		wantRedirect(t, err, tc.status)
	}
}
