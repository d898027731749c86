package darajasim

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type nowhere struct{}

func (nowhere) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in a fuzz test")
}

// FuzzRequests feeds any body to the payment and status calls: the
// stand-in must not panic, must pay only what it accepted, and never pay
// one OriginatorConversationID twice.
func FuzzRequests(f *testing.F) {
	f.Add(payPath, `{"OriginatorConversationID":"a","InitiatorName":"apiop","SecurityCredential":"credential","CommandID":"BusinessPayment","Amount":"10","PartyA":"600997","PartyB":"254712345678","Remarks":"ok","QueueTimeOutURL":"https://x/t","ResultURL":"https://x/r","Occassion":""}`)
	f.Add(payPath, `{"OriginatorConversationID":"a","InitiatorName":"apiop","SecurityCredential":"credential","CommandID":"SalaryPayment","Amount":10.00,"PartyA":600997,"PartyB":254112345678,"Remarks":"ok","QueueTimeOutURL":"http://x/t","ResultURL":"http://x/r"}`)
	f.Add("/mpesa/b2c/v1/paymentrequest", `{"InitiatorName":"x","SecurityCredential":"y","CommandID":"PromotionPayment","Amount":"1e3","PartyA":"1","PartyB":"2","Remarks":"","ResultURL":null}`)
	f.Add(statusPath, `{"Initiator":"apiop","SecurityCredential":"credential","CommandID":"TransactionStatusQuery","OriginalConversationID":"a","PartyA":"600997","IdentifierType":"4","ResultURL":"https://x/r","QueueTimeOutURL":"https://x/t","Remarks":"r"}`)
	f.Add(statusPath, `{"Command ID":"TransactionStatusQuery","Transaction ID":"SG632NMUAB"}`)
	f.Add(payPath, `[`)
	f.Fuzz(func(t *testing.T, path, body string) {
		if path != payPath && path != statusPath && path != "/mpesa/b2c/v1/paymentrequest" {
			path = payPath
		}
		s := New(Options{Seed: 1, HTTPClient: &http.Client{Transport: nowhere{}}, CallbackRetries: -1})
		defer s.Close()
		tok := issue(t, s)
		for range 2 {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != 200 && w.Code != 400 && w.Code != 500 && w.Code != 413 {
				t.Fatalf("status %d", w.Code)
			}
		}
		seen := map[string]bool{}
		for _, p := range s.Payments() {
			if seen[p.OriginatorConversationID] {
				t.Fatalf("%q paid twice", p.OriginatorConversationID)
			}
			seen[p.OriginatorConversationID] = true
			if p.Amount < s.opts.MinAmount || p.Amount > s.opts.MaxAmount || len(p.Phone) != 12 || len(p.Receipt) != 10 {
				t.Fatalf("a payment that should have been refused: %+v", p)
			}
		}
		if path == statusPath && len(seen) != 0 {
			t.Fatal("a status query paid")
		}
		if s.Float() != s.opts.Float-sum(s.Payments()) {
			t.Fatalf("float %d after payments %+v", s.Float(), s.Payments())
		}
	})
}

func sum(ps []Payment) int64 {
	var n int64
	for _, p := range ps {
		n += p.Amount
	}
	return n
}

// issue gets a token straight from ServeHTTP.
func issue(t *testing.T, s *Server) string {
	req := httptest.NewRequest(http.MethodGet, "/oauth/v1/generate?grant_type=client_credentials", nil)
	req.SetBasicAuth(s.opts.ConsumerKey, s.opts.ConsumerSecret)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("token: %d", w.Code)
	}
	return s.Tokens()[0]
}
