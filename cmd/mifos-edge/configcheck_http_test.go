package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `config check` must not print OK for a Fineract link that sends the
// password over the network in clear; this machine's own address is fine.
func TestConfigCheckRefusesPlainHTTPToAnotherMachine(t *testing.T) {
	check := func(baseURL string) error {
		path := filepath.Join(t.TempDir(), "mifos-edge.toml")
		doc := "[modem]\ndevice = \"/dev/mifos-modem\"\n[store]\npath = \"/var/lib/mifos-edge/state.db\"\n" +
			"[mifos]\nbase_url = \"" + baseURL + "\"\ntenant = \"default\"\nusername = \"branch-sms\"\npassword = \"S3cret-pw\"\n"
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return (&ConfigCommand{}).Run(context.Background(), []string{"check", "--config", path})
	}
	err := check("http://10.9.9.9:8080/fineract-provider/api/v1")
	if err == nil || !strings.Contains(err.Error(), "mifos.base_url") || !strings.Contains(err.Error(), "mifos.insecure_http") {
		t.Errorf("config check of http://10.9.9.9:8080: %v; want an error naming mifos.base_url and mifos.insecure_http", err)
	}
	if err := check("http://127.0.0.1:8080/fineract-provider/api/v1"); err != nil {
		t.Errorf("config check of http://127.0.0.1:8080: %v", err)
	}
}

// A reply template the service would refuse at start is refused by
// `config check` too, naming the key.
func TestConfigCheckRefusesABadDateTemplate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mifos-edge.toml")
	doc := "[modem]\ndevice = \"/dev/mifos-modem\"\n[store]\npath = \"/var/lib/mifos-edge/state.db\"\n" +
		"[security]\nkey_file = \"" + filepath.Join(t.TempDir(), "none.key") + "\"\n" +
		"[templates]\n\"date.months\" = \"Jan Feb Mar\"\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	err := (&ConfigCommand{Stdout: io.Discard}).Run(context.Background(), []string{"check", "--config", path})
	if err == nil || !strings.Contains(err.Error(), "templates.date.months") {
		t.Errorf("config check with three month names: %v; want an error naming templates.date.months", err)
	}
}
