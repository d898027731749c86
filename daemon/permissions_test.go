package daemon

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/store"
)

const permTestPassword = "Fineract-S3cret-pw"

// permTestConfig is a daemon configuration in dir with a 0644 store (an
// existing file, as an older install or a restore leaves it) and a
// password_file of mode pwPerm.
func permTestConfig(t *testing.T, dir string, pwPerm os.FileMode, strict bool) *config.Config {
	t.Helper()
	dbPath := filepath.Join(dir, "state.db")
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.Chmod(dbPath, 0o644); err != nil {
		t.Fatal(err)
	}
	pwPath := filepath.Join(dir, "fineract.pw")
	if err := os.WriteFile(pwPath, []byte(permTestPassword+"\n"), pwPerm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(pwPath, pwPerm); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{}
	cfg.Modem.Device = "/dev/null"
	cfg.Store.Path = dbPath
	cfg.Mifos = config.Mifos{BaseURL: "https://fineract.example.org/fineract-provider/api/v1", Tenant: "default",
		Username: "branch-sms", PasswordFile: pwPath}
	cfg.Security.StrictPermissions = strict
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func storeMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

// The daemon narrows an existing 0644 store to 0600, says so, and warns
// about a password file every user can read.
func TestOpenTightensStoreAndWarnsAboutOpenSecrets(t *testing.T) {
	cfg := permTestConfig(t, t.TempDir(), 0o644, false)
	var logged bytes.Buffer
	d, err := Open(cfg, Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatalf("Open without strict_permissions: %v", err)
	}
	defer d.db.Close()
	if perm := storeMode(t, cfg.Store.Path); perm != 0o600 {
		t.Errorf("store mode after Open is %04o, want 0600", perm)
	}
	out := logged.String()
	for _, w := range []string{"level=WARN", "tightened store file mode from 0644 to 0600", cfg.Store.Path,
		"a file holding secrets is open to other users", "setting=mifos.password_file", cfg.Mifos.PasswordFile,
		"mode=0644", "every user of this machine can read it", "sudo chmod 640 " + cfg.Mifos.PasswordFile} {
		if !strings.Contains(out, w) {
			t.Errorf("log lacks %q:\n%s", w, out)
		}
	}
	// The store was fixed before the check, so it is not reported as open.
	if strings.Contains(out, "setting=store.path") {
		t.Errorf("the narrowed store is still reported:\n%s", out)
	}
	if strings.Contains(out, permTestPassword) {
		t.Errorf("the log shows the password:\n%s", out)
	}
}

// With security.strict_permissions an open secret stops the daemon, with
// an error naming the file and its fix.
func TestOpenRefusesOpenSecretsInStrictMode(t *testing.T) {
	cfg := permTestConfig(t, t.TempDir(), 0o644, true)
	d, err := Open(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		d.db.Close()
		t.Fatal("Open with strict_permissions started with a 0644 password file")
	}
	for _, w := range []string{"security.strict_permissions", cfg.Mifos.PasswordFile, "mode 0644", "sudo chmod 640 " + cfg.Mifos.PasswordFile} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	if strings.Contains(err.Error(), permTestPassword) {
		t.Errorf("the error shows the password: %v", err)
	}
	// The refusal released the store.
	db, err := store.Open(cfg.Store.Path, store.Options{})
	if err != nil {
		t.Fatalf("store still held after the refusal: %v", err)
	}
	db.Close()

	// Private files start in strict mode.
	cfg = permTestConfig(t, t.TempDir(), 0o640, true)
	d, err = Open(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("Open with strict_permissions and private files: %v", err)
	}
	d.db.Close()
	if perm := storeMode(t, cfg.Store.Path); perm != 0o600 {
		t.Errorf("store mode after Open is %04o, want 0600", perm)
	}
}
