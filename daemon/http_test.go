package daemon

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
)

// writeSelfSigned writes a certificate for 127.0.0.1 and its key.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "box"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "box.crt"), filepath.Join(dir, "box.key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// With a certificate configured the console is served over HTTPS only,
// and its session cookie is marked Secure.
func TestHTTPSWithTheConfiguredCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := writeSelfSigned(t, dir)
	cfg := &config.Config{}
	cfg.Modem.Device = filepath.Join(dir, "no-modem")
	cfg.Store.Path = filepath.Join(dir, "state.db")
	cfg.Security.KeyFile = filepath.Join(dir, "box.key")
	cfg.SMS.Country = "KE"
	cfg.HTTP = config.HTTP{Listen: "127.0.0.1:8443", TLSCertFile: certFile, TLSKeyFile: keyFile}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.HTTP.Listen = "127.0.0.1:0" // any free port; Validate wants a real one
	d, err := Open(cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.db.Close() })
	ln, err := d.listenHTTP()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.serveHTTPOn(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	addr := ln.Addr().String()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get("https://" + addr + "/console/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("HTTPS sign-in page: %d", resp.StatusCode)
	}
	if plain, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/console/signin"); err == nil {
		plain.Body.Close()
		if plain.StatusCode == 200 {
			t.Error("the sign-in page was served over plain HTTP too")
		}
	}
	// Signing out clears the session cookie: that Set-Cookie is Secure too.
	resp, err = client.PostForm("https://"+addr+"/console/signout", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Cookies()) == 0 {
		t.Fatal("sign-out set no cookie")
	}
	for _, c := range resp.Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s over HTTPS is not Secure", c.Name)
		}
	}

	// A key that does not match is said with both file names.
	cfg.HTTP.TLSKeyFile = certFile
	if _, err := d.listenHTTP(); err == nil || !strings.Contains(err.Error(), "http.tls_key_file") {
		t.Errorf("a certificate given as its own key: %v", err)
	}
}

func TestTLSFilesGoTogether(t *testing.T) {
	cfg := &config.Config{}
	cfg.Modem.Device, cfg.Store.Path, cfg.Security.KeyFile = "/dev/ttyUSB0", "/tmp/x.db", "/tmp/x.key"
	cfg.HTTP = config.HTTP{Listen: "0.0.0.0:8443", TLSCertFile: "/etc/mifos-edge/box.crt"}
	cfg.SetDefaults()
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "http.tls_cert_file and http.tls_key_file go together") {
		t.Errorf("certificate without key: %v", err)
	}
}
