package mifos

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tlsServer is a self-signed HTTPS Fineract answering the business date,
// with its certificate as a PEM file and the certificate's SHA-256.
func tlsServer(t *testing.T) (srv *httptest.Server, caFile, pin string) {
	t.Helper()
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, `{"date":[2024,9,26]}`)
	}))
	t.Cleanup(srv.Close)
	cert := srv.Certificate()
	caFile = filepath.Join(t.TempDir(), "fineract.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.Raw)
	return srv, caFile, hex.EncodeToString(sum[:])
}

func tlsClient(t *testing.T, base, caFile, pin string) *HTTPClient {
	t.Helper()
	c, err := New(Config{BaseURL: base + "/fineract-provider/api/v1", Tenant: testTenant, Username: testUser, Password: testPass, CAFile: caFile, PinSHA256: pin})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noSecret fails when err's text shows the password or the Basic credential.
func noSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	var e *Error
	if errors.As(err, &e) {
		msg += e.Body + e.Message
		for _, fe := range e.Errors {
			msg += fe.Message
		}
	}
	if strings.Contains(msg, testPass) || strings.Contains(msg, testCreds) {
		t.Errorf("error text shows a credential: %q", msg)
	}
}

func TestTLSTrust(t *testing.T) {
	srv, caFile, pin := tlsServer(t)
	wrongPin := strings.Repeat("ab", 32)
	colonPin := strings.ToUpper(pin[:2]) + ":" + pin[2:]

	for _, tc := range []struct {
		name, ca, pin string
		ok            bool
		say           string
	}{
		{"trusted CA file", caFile, "", true, ""},
		{"CA file and matching pin", caFile, pin, true, ""},
		{"pin with colons, upper case", caFile, colonPin, true, ""},
		{"untrusted self-signed", "", "", false, "certificate"},
		{"pin alone does not skip the chain check", "", pin, false, "certificate"},
		{"pin mismatch", caFile, wrongPin, false, "not the pinned one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tlsClient(t, srv.URL, tc.ca, tc.pin)
			d, err := c.BusinessDate(context.Background())
			noSecret(t, err)
			if tc.ok {
				if err != nil || d != (Date{2024, 9, 26}) {
					t.Fatalf("BusinessDate = %v, %v", d, err)
				}
				return
			}
			if err == nil {
				t.Fatal("connected to a server it must not trust")
			}
			host := strings.TrimPrefix(srv.URL, "https://")
			if !strings.Contains(err.Error(), "cannot reach Fineract at "+host) || !strings.Contains(err.Error(), tc.say) {
				t.Errorf("error %q lacks the host or %q", err, tc.say)
			}
			var e *Error
			if errors.As(err, &e) || !IsRetryable(err) {
				t.Errorf("a TLS failure should be a retryable transport error: %v", err)
			}
		})
	}

	notPEM := filepath.Join(t.TempDir(), "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	if _, err := New(Config{BaseURL: srv.URL, Tenant: "t", Username: "u", CAFile: notPEM}); err == nil {
		t.Error("a CA file without PEM was accepted")
	}
}

func TestNoPasswordInErrors(t *testing.T) {
	// A server (or proxy) that echoes the request credentials back.
	c, _ := newFake(t, func(w http.ResponseWriter, s seen) {
		echo := s.Header.Get("Authorization") + " " + testPass
		switch s.Path {
		case "/api/v1/loans/1":
			reply(w, 500, `{"Exception":"`+echo+`"}`)
		case "/api/v1/loans/2":
			reply(w, 403, `{"httpStatusCode":"403","defaultUserMessage":"`+echo+`","errors":[{"defaultUserMessage":"`+echo+`"}]}`)
		case "/api/v1/loans/3":
			reply(w, 502, "<html><body>"+echo+"</body></html>")
		default:
			reply(w, 200, `{"id":"`+echo+`"}`) // undecodable: id is a string
		}
	})
	for id := int64(1); id <= 4; id++ {
		_, err := c.Loan(context.Background(), id)
		if err == nil {
			t.Fatalf("loan %d: no error", id)
		}
		noSecret(t, err)
	}

	// Network failures: a closed port and a cancelled context.
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c2 := tlsClient(t, base, "", "")
	_, err := c2.Repay(context.Background(), 981, Repayment{Date: Date{2024, 9, 26}, Amount: 1_000_000}, "k")
	if err == nil || !strings.Contains(err.Error(), "cannot reach Fineract at "+strings.TrimPrefix(base, "http://")) || !IsRetryable(err) {
		t.Errorf("closed port: %v", err)
	}
	noSecret(t, err)

	live, _ := newFake(t, func(w http.ResponseWriter, s seen) { reply(w, 200, `{}`) })
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = live.Client(cctx, 42)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled in the chain", err)
	}
	noSecret(t, err)
}
