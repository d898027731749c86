package mifos

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	return srv, writeCert(t, cert.Raw), pinOf(cert.Raw)
}

// writeCert writes a DER certificate as a PEM file (a ca_file).
func writeCert(t *testing.T, der []byte) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "fineract.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// pinOf is the pin_sha256 of a DER certificate.
func pinOf(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// selfSignedServer is an HTTPS Fineract whose self-signed certificate names
// only dnsName (no IP address) and is valid from notBefore to notAfter.
func selfSignedServer(t *testing.T, dnsName string, notBefore, notAfter time.Time) (srv *httptest.Server, pin string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: dnsName},
		DNSNames:     []string{dnsName},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, `{"date":[2024,9,26]}`)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, pinOf(der)
}

// dialOnly makes c reach addr whatever host name its base URL names, as a
// DNS entry for that name would.
func dialOnly(c *HTTPClient, addr string) {
	c.hc.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
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
		{"pin alone trusts the self-signed server", "", pin, true, ""},
		{"pin alone, not the pinned certificate", "", wrongPin, false, "not the pinned one"},
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

	// The pin stands for the certificate; the certificate must still be
	// for the host in base_url and in force today, as a CA would require.
	now := time.Now()
	named, namedPin := selfSignedServer(t, "fineract.example.test", now.Add(-time.Hour), now.Add(24*time.Hour))
	expired, expiredPin := selfSignedServer(t, "fineract.example.test", now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	future, futurePin := selfSignedServer(t, "fineract.example.test", now.Add(24*time.Hour), now.Add(48*time.Hour))
	namedAddr := strings.TrimPrefix(named.URL, "https://")
	_, namedPort, _ := net.SplitHostPort(namedAddr)
	byName := "https://fineract.example.test:" + namedPort
	for _, tc := range []struct {
		name, base, addr, pin string
		say                   string // "" = trusted
	}{
		{"pin alone, certificate for the host name", byName, namedAddr, namedPin, ""},
		{"pin alone, certificate for another host name", named.URL, namedAddr, namedPin, "not valid for 127.0.0.1"},
		{"pin alone, expired certificate", byName, strings.TrimPrefix(expired.URL, "https://"), expiredPin, "expired"},
		{"pin alone, certificate not yet valid", byName, strings.TrimPrefix(future.URL, "https://"), futurePin, "not valid before"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tlsClient(t, tc.base, "", tc.pin)
			dialOnly(c, tc.addr)
			d, err := c.BusinessDate(context.Background())
			noSecret(t, err)
			if tc.say == "" {
				if err != nil || d != (Date{2024, 9, 26}) {
					t.Fatalf("BusinessDate = %v, %v", d, err)
				}
				return
			}
			if err == nil {
				t.Fatal("connected to a server it must not trust")
			}
			if !strings.Contains(err.Error(), tc.say) {
				t.Errorf("error %q does not say %q", err, tc.say)
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
		// The header value, and the credential as a proxy decodes it.
		echo := s.Header.Get("Authorization") + " " + testUser + ":" + testPass
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

// Scrubbing replaces the credential, never a password-shaped piece of
// ordinary text: with the password "p", "[redacted]inned" would tell a log
// reader what the password is.
func TestScrubRedactsOnlyTheCredential(t *testing.T) {
	srv, caFile, _ := tlsServer(t)
	c, err := New(Config{BaseURL: srv.URL, Tenant: "t", Username: "u", Password: "p", CAFile: caFile, PinSHA256: strings.Repeat("ab", 32)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.BusinessDate(ctx)
	if err == nil || !strings.Contains(err.Error(), "is not the pinned one") || strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("pin mismatch with password \"p\": %v", err)
	}

	token := "dTpw" // base64 of "u:p"
	for _, tc := range []struct{ in, want string }{
		{"the server certificate is not the pinned one", "the server certificate is not the pinned one"},
		{"p", "p"},
		{"password p is wrong", "password p is wrong"},
		{"menu:pay", "menu:pay"},
		{"Authorization: Basic " + token, "Authorization: Basic [redacted]"},
		{`{"auth":"Basic ` + token + `"}`, `{"auth":"Basic [redacted]"}`},
		{"xdTpw dTpwx " + token, "xdTpw dTpwx [redacted]"},
		{"login u:p refused", "login [redacted] refused"},
		{"(u:p)", "([redacted])"},
	} {
		if got := c.scrub(tc.in); got != tc.want {
			t.Errorf("scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
