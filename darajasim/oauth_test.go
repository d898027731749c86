package darajasim

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestOAuth(t *testing.T) {
	cases := []struct {
		name         string
		method, path string
		key, secret  string
		basic        bool
		number       bool
		status       int
		errorCode    string
		expiresIn    any
	}{
		{name: "token, expires_in a string", method: "GET", path: "?grant_type=client_credentials", key: "key", secret: "secret", basic: true,
			status: 200, expiresIn: "3599"},
		{name: "token, expires_in a number", method: "GET", path: "?grant_type=client_credentials", key: "key", secret: "secret", basic: true, number: true,
			status: 200, expiresIn: float64(3599)},
		{name: "no Basic auth", method: "GET", path: "?grant_type=client_credentials", status: 400, errorCode: "400.008.01"},
		{name: "wrong secret", method: "GET", path: "?grant_type=client_credentials", key: "key", secret: "nope", basic: true,
			status: 400, errorCode: "400.008.01"},
		{name: "wrong key", method: "GET", path: "?grant_type=client_credentials", key: "kee", secret: "secret", basic: true,
			status: 400, errorCode: "400.008.01"},
		{name: "grant type missing", method: "GET", path: "", key: "key", secret: "secret", basic: true, status: 400, errorCode: "400.008.02"},
		{name: "grant type wrong", method: "GET", path: "?grant_type=password", key: "key", secret: "secret", basic: true,
			status: 400, errorCode: "400.008.02"},
		{name: "POST", method: "POST", path: "?grant_type=client_credentials", key: "key", secret: "secret", basic: true,
			status: 400, errorCode: "404.001.04"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := start(t, Options{ExpiresInNumber: c.number})
			req, _ := http.NewRequest(c.method, f.srv.URL+"/oauth/v1/generate"+c.path, nil)
			if c.basic {
				req.SetBasicAuth(c.key, c.secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, c.status, m)
			}
			if c.errorCode != "" {
				if m["errorCode"] != c.errorCode || m["requestId"] == "" || m["errorMessage"] == "" {
					t.Fatalf("error %v, want errorCode %s with requestId and errorMessage", m, c.errorCode)
				}
				if len(f.sim.Tokens()) != 0 {
					t.Fatal("a token was issued on an error")
				}
				return
			}
			if tok, _ := m["access_token"].(string); len(tok) != 28 {
				t.Fatalf("access_token %v", m["access_token"])
			}
			if m["expires_in"] != c.expiresIn {
				t.Fatalf("expires_in %#v, want %#v", m["expires_in"], c.expiresIn)
			}
		})
	}
}

func TestNewTokenInvalidatesThePrevious(t *testing.T) {
	f := start(t, Options{})
	first := f.token()
	second := f.token()
	if first == second {
		t.Fatal("the same token twice")
	}
	r := f.do("POST", payPath, first, f.payBody("ref-1", "254712345678", 100))
	if r.status != 401 || r.json(t)["errorCode"] != "404.001.03" {
		t.Fatalf("old token: %d %s, want 401 404.001.03", r.status, r.body)
	}
	if r := f.do("POST", payPath, second, f.payBody("ref-1", "254712345678", 100)); r.status != 200 {
		t.Fatalf("new token: %d %s", r.status, r.body)
	}
	if n := len(f.sim.Payments()); n != 1 {
		t.Fatalf("%d payments, want 1 (the refused request must not pay)", n)
	}
}

func TestTokenExpiresAfterItsLifetime(t *testing.T) {
	f := start(t, Options{})
	tok := f.token()
	f.clk.advance(time.Hour - time.Second)
	if r := f.do("POST", statusPath, tok, f.statusBody("x")); r.status != 200 {
		t.Fatalf("before expiry: %d %s", r.status, r.body)
	}
	f.clk.advance(time.Second)
	if r := f.do("POST", statusPath, tok, f.statusBody("x")); r.status != 401 {
		t.Fatalf("after expiry: %d %s, want 401", r.status, r.body)
	}
}

func TestRevokeToken(t *testing.T) {
	f := start(t, Options{})
	tok := f.token()
	f.sim.RevokeToken()
	if r := f.do("POST", statusPath, tok, f.statusBody("x")); r.status != 401 || r.json(t)["errorCode"] != "404.001.03" {
		t.Fatalf("revoked token: %d %s", r.status, r.body)
	}
}

func TestBearerMissing(t *testing.T) {
	f := start(t, Options{})
	for _, auth := range []string{"", "Basic a2V5OnNlY3JldA==", "Bearer "} {
		r := f.do("POST", payPath, auth, f.payBody("r", "254712345678", 100))
		if r.status != 400 || r.json(t)["errorCode"] != "404.001.04" {
			t.Errorf("Authorization %q: %d %s, want 400 404.001.04", auth, r.status, r.body)
		}
	}
	if r := f.do("GET", payPath, f.token(), nil); r.status != 400 {
		t.Errorf("GET on a POST API: %d", r.status)
	}
	if r := f.do("POST", "/mpesa/b2c/v9/paymentrequest", f.token(), "{}"); r.status != 404 || r.json(t)["errorCode"] != "404.003.01" {
		t.Errorf("unknown path: %d %s", r.status, r.body)
	}
	if c := f.sim.Requests(); c.B2C != 4 || c.OAuth != 2 {
		t.Errorf("counts %+v", c)
	}
}
