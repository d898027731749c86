package daraja

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	// openssl base64 wraps at 64 characters.
	cred := strings.Repeat("QUJD", 40)
	c := config.Daraja{
		BaseURL:                "https://api.safaricom.co.ke/",
		ConsumerKeyFile:        writeFile(t, dir, "key", testKey+"\n"),
		ConsumerSecretFile:     writeFile(t, dir, "secret", testSecret+"\r\n"),
		SecurityCredentialFile: writeFile(t, dir, "cred", cred[:64]+"\n"+cred[64:128]+"\n"+cred[128:]+"\n"),
		InitiatorName:          testInitiator,
		ShortCode:              testShortCode,
		CallbackURL:            "https://relay.example.org/branch-7/",
		Timeout:                config.Duration{Duration: 20 * time.Second},
	}
	got, err := Load(c, testCBToken+"\n")
	if err != nil {
		t.Fatal(err)
	}
	base := "https://relay.example.org/branch-7/hooks/daraja/" + testCBToken
	want := Config{
		BaseURL: "https://api.safaricom.co.ke", ConsumerKey: testKey, ConsumerSecret: testSecret,
		InitiatorName: testInitiator, SecurityCredential: cred, ShortCode: testShortCode, CommandID: "BusinessPayment",
		ResultURL: base + "/result", QueueTimeOutURL: base + "/timeout",
		StatusResultURL: base + "/status-result", StatusTimeOutURL: base + "/status-timeout",
		CallbackToken: testCBToken, Timeout: 20 * time.Second,
	}
	if got.Now != nil || got.HTTP != nil {
		t.Fatal("Load set a clock or client")
	}
	if got.ConsumerKey != want.ConsumerKey || got.ConsumerSecret != want.ConsumerSecret || got.SecurityCredential != want.SecurityCredential ||
		got.String() != want.String() || got.ResultURL != want.ResultURL || got.QueueTimeOutURL != want.QueueTimeOutURL ||
		got.StatusResultURL != want.StatusResultURL || got.StatusTimeOutURL != want.StatusTimeOutURL || got.CallbackToken != want.CallbackToken {
		t.Fatalf("got %+v\nwant %+v\n(secrets and URLs compared apart)", got, want)
	}
	if _, err := New(got, newReporter(), nil); err != nil {
		t.Fatalf("a loaded config does not make a provider: %v", err)
	}
	c.CommandID, c.Timeout = "SalaryPayment", config.Duration{}
	if got, _ := Load(c, testCBToken); got.CommandID != "SalaryPayment" || got.Timeout != config.DefaultDarajaTimeout {
		t.Fatalf("%s", got)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	good := config.Daraja{
		BaseURL:                "https://api.safaricom.co.ke",
		ConsumerKeyFile:        writeFile(t, dir, "key", testKey),
		ConsumerSecretFile:     writeFile(t, dir, "secret", testSecret),
		SecurityCredentialFile: writeFile(t, dir, "cred", testCredential),
		InitiatorName:          testInitiator, ShortCode: testShortCode, CallbackURL: "https://relay.example.org",
	}
	cases := []struct {
		name   string
		change func(c *config.Daraja)
		token  string
		want   []string
	}{
		{"missing file", func(c *config.Daraja) { c.ConsumerSecretFile = filepath.Join(dir, "nope") }, testCBToken,
			[]string{"consumer_secret_file", filepath.Join(dir, "nope"), "does not exist"}},
		{"empty file", func(c *config.Daraja) { c.ConsumerKeyFile = writeFile(t, dir, "empty", "\n") }, testCBToken,
			[]string{"consumer_key_file", "is empty"}},
		{"a directory", func(c *config.Daraja) { c.SecurityCredentialFile = dir }, testCBToken,
			[]string{"security_credential_file", "cannot be read"}},
		{"not set", func(c *config.Daraja) { c.SecurityCredentialFile = "" }, testCBToken, []string{"security_credential_file is not set"}},
		{"no token", func(*config.Daraja) {}, " \n", []string{"callback token is empty"}},
		{"a token that breaks the address", func(*config.Daraja) {}, "ab/cd?" + testSecret, []string{"only letters, digits"}},
		{"two at once", func(c *config.Daraja) { c.ConsumerKeyFile = ""; c.ConsumerSecretFile = "" }, testCBToken,
			[]string{"consumer_key_file", "consumer_secret_file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := good
			c.change(&d)
			_, err := Load(d, c.token)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
			for _, secret := range []string{testKey, testSecret, testCredential} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("%q holds a secret", err)
				}
			}
		})
	}
}
