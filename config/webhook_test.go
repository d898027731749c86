package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWebhookTables(t *testing.T) {
	doc := minimal + `
[[webhook]]
url = "https://crm.example.org/hook"
events = ["sms.received", "posting.settled"]
secret = "0123456789abcdef0123"

[[webhook]]
url = "http://127.0.0.1:9000/in"
events = ["modem.state"]
secret_file = "/etc/mifos-edge/hook.secret"
give_up_after = "2h"
`
	c, err := Parse([]byte(doc), "f.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.Webhooks) != 2 || c.Webhooks[0].GiveUpAfter.Duration != DefaultWebhookGiveUp || c.Webhooks[1].GiveUpAfter.Duration != 2*time.Hour ||
		c.Webhooks[1].SecretFile != "/etc/mifos-edge/hook.secret" || len(c.Webhooks[0].Events) != 2 {
		t.Errorf("parsed %+v", c.Webhooks)
	}
	if r := c.Redacted(); r.Webhooks[0].Secret != "***" || c.Webhooks[0].Secret == "***" {
		t.Errorf("Redacted: %q (original now %q)", r.Webhooks[0].Secret, c.Webhooks[0].Secret)
	}
}

func TestWebhookProblemsAreNamed(t *testing.T) {
	for _, tc := range []struct{ table, want string }{
		{"[webhook]\nurl = \"https://x.example\"\n", "write [[webhook]] with double brackets"},
		{"[[webhook]]\nurl = \"https://x.example\"\nevents = [\"sms.received\"]\nsecret = \"0123456789abcdef\"\nsecrte = 1\n", `unknown key "webhook.secrte"`},
		{"[[webhook]]\nurl = \"http://crm.example.org/h\"\nevents = [\"sms.received\"]\nsecret = \"0123456789abcdef\"\n", "plain http:// to crm.example.org"},
		{"[[webhook]]\nurl = \"https://u:p@crm.example.org/h\"\nevents = [\"sms.received\"]\nsecret = \"0123456789abcdef\"\n", "must not hold a user name"},
		{"[[webhook]]\nurl = \"ftp://crm.example.org/h\"\nevents = [\"sms.received\"]\nsecret = \"0123456789abcdef\"\n", "must start with https://"},
		{"[[webhook]]\nurl = \"https://crm.example.org/h\"\nsecret = \"0123456789abcdef\"\n", "webhook[1].events is required"},
		{"[[webhook]]\nurl = \"https://crm.example.org/h\"\nevents = [\"payment.received\"]\nsecret = \"0123456789abcdef\"\n", "payment.posted and payment.suspense"},
		{"[[webhook]]\nurl = \"https://crm.example.org/h\"\nevents = [\"sms.recieved\"]\nsecret = \"0123456789abcdef\"\n", `"sms.recieved" is not an event`},
		{"[[webhook]]\nurl = \"https://crm.example.org/h\"\nevents = [\"sms.received\"]\n", "secret_file (or secret) is required"},
		{"[[webhook]]\nurl = \"https://crm.example.org/h\"\nevents = [\"sms.received\"]\nsecret = \"short\"\n", "too short"},
		{"[[webhook]]\nurl = \"https://crm.example.org/h\"\nevents = [\"sms.received\"]\nsecret = \"0123456789abcdef\"\nsecret_file = \"/x\"\n", "only one of secret and secret_file"},
		{"[[webhook]]\nurl = \"https://crm.example.org/h\"\nevents = [\"sms.received\"]\nsecret = \"0123456789abcdef\"\ngive_up_after = \"10s\"\n", "give_up_after: 10s is outside"},
		{"[[webhook]]\nurl = \"https://a.example/h\"\nevents = [\"sms.received\"]\nsecret = \"0123456789abcdef\"\n[[webhook]]\nurl = \"https://a.example/h\"\nevents = [\"modem.state\"]\nsecret = \"0123456789abcdef\"\n", "webhook[2].url is the same as webhook[1].url"},
	} {
		c, err := Parse([]byte(minimal+tc.table), "f.toml")
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v; want %q", tc.table, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("the secret is echoed: %v", err)
		}
	}
	// Plain http to another machine with the opt-in passes.
	c, err := Parse([]byte(minimal+"[[webhook]]\nurl = \"http://crm.lan/h\"\nevents = [\"sms.received\"]\nsecret = \"0123456789abcdef\"\ninsecure_http = true\n"), "f.toml")
	if err != nil || c.Validate() != nil {
		t.Errorf("insecure_http opt-in: %v %v", err, c.Validate())
	}
}

func TestWebhookSecretFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hook.secret")
	w := Webhook{URL: "https://x.example", SecretFile: path}
	if _, err := w.ResolveSecret(); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ResolveSecret(); err == nil || strings.Contains(err.Error(), "short") {
		t.Errorf("short secret: %v", err)
	}
	if err := os.WriteFile(path, []byte("0123456789abcdef-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := w.ResolveSecret(); err != nil || string(s) != "0123456789abcdef-secret" {
		t.Errorf("secret %q, %v", s, err)
	}
	c := &Config{Webhooks: []Webhook{w}}
	found := false
	for _, p := range c.CheckFilePermissions() {
		found = found || p.Key == "webhook[1].secret_file"
	}
	if !found {
		t.Error("a world-readable webhook secret_file is not reported")
	}
}
