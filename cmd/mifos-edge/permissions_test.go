package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/store"
)

const testPassword = "S3cret-pw-for-tests"

// permConfig writes a configuration whose files live in dir: inline
// writes the Fineract password into the configuration itself, otherwise
// into a password_file; both end up with mode perm. extra is appended.
func permConfig(t *testing.T, dir string, inline bool, perm os.FileMode, extra string) (cfgPath, secretPath string) {
	t.Helper()
	cfgPath = filepath.Join(dir, "mifos-edge.toml")
	doc := "[modem]\ndevice = \"" + filepath.Join(dir, "no-modem") + "\"\n[store]\npath = \"" + filepath.Join(dir, "state.db") + "\"\n" +
		"[mifos]\nbase_url = \"https://fineract.example.org/fineract-provider/api/v1\"\ntenant = \"default\"\nusername = \"branch-sms\"\n"
	secretPath = cfgPath
	if inline {
		doc += "password = \"" + testPassword + "\"\n"
	} else {
		secretPath = filepath.Join(dir, "fineract.pw")
		doc += "password_file = \"" + secretPath + "\"\n"
		writeMode(t, secretPath, testPassword+"\n", perm)
	}
	writeMode(t, cfgPath, doc+extra, perm)
	return cfgPath, secretPath
}

func writeMode(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	// Exactly perm, whatever the umask.
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

// A 0644 configuration with the password written in it, and a 0644
// password_file, used to pass `config check` with a plain OK: anyone on
// the box could read the Fineract password. Now each is reported with its
// fix, and with security.strict_permissions the check fails.
func TestConfigCheckReportsSecretsOpenToOthers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inline bool
	}{
		{"inline password in a 0644 config", true},
		{"0644 password_file", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgPath, secret := permConfig(t, t.TempDir(), tc.inline, 0o644, "")
			var out bytes.Buffer
			err := (&ConfigCommand{Stdout: &out}).Run(context.Background(), []string{"check", "--config", cfgPath})
			if err != nil {
				t.Fatalf("config check without strict_permissions: %v", err)
			}
			got := out.String()
			for _, w := range []string{"WARNING", secret, "mode 0644", "every user of this machine can read it",
				"fix: sudo chmod 640 " + secret, "open to other users"} {
				if !strings.Contains(got, w) {
					t.Errorf("config check output lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, cfgPath+": OK\n") {
				t.Errorf("config check still says plain OK:\n%s", got)
			}
			if strings.Contains(got, testPassword) {
				t.Errorf("config check prints the password:\n%s", got)
			}

			strictPath, strictSecret := permConfig(t, t.TempDir(), tc.inline, 0o644, "[security]\nstrict_permissions = true\n")
			out.Reset()
			err = (&ConfigCommand{Stdout: &out}).Run(context.Background(), []string{"check", "--config", strictPath})
			if err == nil {
				t.Fatalf("config check with strict_permissions passed:\n%s", out.String())
			}
			for _, w := range []string{"security.strict_permissions", strictSecret, "mode 0644", "sudo chmod 640 " + strictSecret} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("strict error lacks %q: %v", w, err)
				}
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}

	// Files as install.sh leaves them pass, strict or not.
	cfgPath, _ := permConfig(t, t.TempDir(), false, 0o640, "[security]\nstrict_permissions = true\n")
	var out bytes.Buffer
	if err := (&ConfigCommand{Stdout: &out}).Run(context.Background(), []string{"check", "--config", cfgPath}); err != nil {
		t.Errorf("config check of 0640 files in strict mode: %v", err)
	}
	if !strings.Contains(out.String(), cfgPath+": OK") {
		t.Errorf("config check of 0640 files: %s", out.String())
	}
}

// doctor lists an open secret file as a PROBLEM with its fix.
func TestDoctorReportsSecretsOpenToOthers(t *testing.T) {
	cfgPath, secret := permConfig(t, t.TempDir(), false, 0o644, "")
	var out bytes.Buffer
	err := (&DoctorCommand{Stdout: &out}).Run(context.Background(), []string{"--config", cfgPath})
	if err == nil {
		t.Fatalf("doctor found no problem:\n%s", out.String())
	}
	got := out.String()
	for _, w := range []string{"PROBLEM  secret files", secret, "mode 0644", "fix: sudo chmod 640 " + secret} {
		if !strings.Contains(got, w) {
			t.Errorf("doctor output lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, testPassword) {
		t.Errorf("doctor prints the password:\n%s", got)
	}
}

// `send` with the daemon stopped opens the store itself, and so narrows a
// 0644 store to 0600 as the daemon does.
func TestSendWithoutDaemonNarrowsTheStore(t *testing.T) {
	dir := t.TempDir()
	cfgPath, _ := permConfig(t, dir, false, 0o640, "")
	dbPath := filepath.Join(dir, "state.db")
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.Chmod(dbPath, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := (&SendCommand{}).Run(context.Background(), []string{"--config", cfgPath, "+254712345678", "hello"}); err != nil {
		t.Fatalf("send: %v", err)
	}
	info, err := os.Stat(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("store mode after send is %04o, want 0600", perm)
	}
}

// A box without its key cannot start under the unit (which may not write
// /etc): config check says so before the service is restarted, and keygen
// makes the key once.
func TestConfigCheckNamesAMissingBoxKey(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "edge.toml")
	doc := "[modem]\ndevice = \"/dev/null\"\n[store]\npath = \"" + filepath.Join(dir, "state.db") + "\"\n"
	if err := os.WriteFile(cfgPath, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := (&ConfigCommand{Stdout: &out}).Run(context.Background(), []string{"check", "--config", cfgPath}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "does not exist yet") || !strings.Contains(out.String(), "mifos-edge keygen") {
		t.Fatalf("config check without a box key said:\n%s", out.String())
	}
	if err := (&KeygenCommand{}).Run(context.Background(), []string{"--config", cfgPath}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(dir, "mifos-edge.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := (&KeygenCommand{}).Run(context.Background(), []string{"--config", cfgPath}); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "mifos-edge.key")); !bytes.Equal(before, after) {
		t.Fatal("a second keygen replaced the key")
	}
	out.Reset()
	if err := (&ConfigCommand{Stdout: &out}).Run(context.Background(), []string{"check", "--config", cfgPath}); err != nil || strings.Contains(out.String(), "does not exist") {
		t.Fatalf("config check with a key: %v\n%s", err, out.String())
	}
}
