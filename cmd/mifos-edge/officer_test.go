package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/boxkey"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/store"
)

// officerEnv is a config whose store lives in a temp dir and whose control
// socket does not exist, so every command takes the no-daemon path.
func officerEnv(t *testing.T) (cfgPath, storePath string) {
	t.Helper()
	dir := t.TempDir()
	storePath = filepath.Join(dir, "state.db")
	cfgPath = filepath.Join(dir, "edge.toml")
	doc := "[modem]\ndevice = \"/dev/null\"\n[store]\npath = \"" + storePath + "\"\n[sms]\ncountry = \"KE\"\n"
	if err := os.WriteFile(cfgPath, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, storePath
}

// runOfficer runs "officer args..." in-process with stdin as input and
// checks that no PIN typed in this test ever shows up in its output.
func runOfficer(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &OfficerCommand{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut}
	err := c.Run(context.Background(), args)
	all := out.String() + errOut.String()
	if err != nil {
		all += err.Error()
	}
	for _, pin := range []string{"258013", "369147", "456789", "555555"} {
		if strings.Contains(all, pin) {
			t.Errorf("officer %v printed a PIN %s: %q", args, pin, all)
		}
	}
	return out.String(), err
}

func TestOfficerCommandLifecycle(t *testing.T) {
	cfg, storePath := officerEnv(t)

	out, err := runOfficer(t, "258013\n", "add", "--config", cfg, "--phone", "0712 345 678", "--staff-id", "7", "--name", "Amina Otieno")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "+254712345678") || !strings.Contains(out, "Amina Otieno") {
		t.Errorf("add printed %q", out)
	}
	// A pipe without a trailing newline works too.
	if _, err := runOfficer(t, "369147", "add", "--config", cfg, "--phone", "+256700000001", "--staff-id", "9", "--name", "Brian"); err != nil {
		t.Fatal(err)
	}

	_, err = runOfficer(t, "369147\n", "add", "--config", cfg, "--phone", "+254712345678", "--staff-id", "8", "--name", "Other")
	if err == nil || !strings.Contains(err.Error(), "already enrolled") {
		t.Errorf("duplicate add: %v", err)
	}

	out, err = runOfficer(t, "", "list", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "+254712345678") || !strings.Contains(lines[1], "7") ||
		!strings.Contains(lines[1], "Amina Otieno") || !strings.Contains(lines[2], "+256700000001") {
		t.Errorf("list printed:\n%s", out)
	}
	if strings.Contains(out, "argon2") {
		t.Errorf("list printed a PIN hash:\n%s", out)
	}

	// The stored PIN is the piped one, hashed.
	withStore(t, storePath, func(db *store.DB) {
		o, err := db.Officer("+254712345678")
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := officer.VerifyPIN(o.PINHash, "258013", pepperOf(t, cfg)); !ok || err != nil || strings.Contains(o.PINHash, "258013") {
			t.Errorf("stored hash %q does not verify the PIN (%v)", o.PINHash, err)
		}
		if ok, _ := officer.VerifyPIN(strings.Replace(o.PINHash, ",k=", ",x=", 1), "258013", officer.Pepper{}); ok {
			t.Errorf("stored hash %q verifies without the box key's pepper", o.PINHash)
		}
		// Lock the officer to check that list shows it and reset-pin lifts it.
		if err := db.Update(func(tx *store.Tx) error {
			return tx.PutPINGuard(store.PINGuard{Subject: store.OfficerSubject(o.Phone), Locks: 1, LockedUntil: time.Now().Add(time.Hour)})
		}); err != nil {
			t.Fatal(err)
		}
	})
	out, _ = runOfficer(t, "", "list", "--config", cfg)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.Contains(lines[1], time.Now().Add(time.Hour).Local().Format("2006-01-02")) {
		t.Errorf("list does not show the lock:\n%s", out)
	}

	if _, err := runOfficer(t, "369147\n", "reset-pin", "--config", cfg, "--phone", "0712345678"); err != nil {
		t.Fatal(err)
	}
	withStore(t, storePath, func(db *store.DB) {
		o, _ := db.Officer("+254712345678")
		newOK, _ := officer.VerifyPIN(o.PINHash, "369147", pepperOf(t, cfg))
		oldOK, _ := officer.VerifyPIN(o.PINHash, "258013", pepperOf(t, cfg))
		g, _ := db.PINGuard(store.OfficerSubject(o.Phone))
		if !newOK || oldOK || g.Locked(time.Now()) {
			t.Errorf("after reset-pin: %+v, guard %+v", o, g)
		}
	})

	if _, err := runOfficer(t, "", "remove", "--config", cfg, "--phone", "+254712345678"); err != nil {
		t.Fatal(err)
	}
	if _, err := runOfficer(t, "", "remove", "--config", cfg, "--phone", "+254712345678"); err == nil || !strings.Contains(err.Error(), "no officer") {
		t.Errorf("second remove: %v", err)
	}
	out, _ = runOfficer(t, "", "list", "--config", cfg)
	if strings.Contains(out, "+254712345678") || !strings.Contains(out, "+256700000001") {
		t.Errorf("list after remove:\n%s", out)
	}
}

func TestOfficerCommandRefuses(t *testing.T) {
	cfg, storePath := officerEnv(t)
	add := func(pin string, extra ...string) error {
		args := append([]string{"add", "--config", cfg, "--phone", "0712345678", "--staff-id", "7", "--name", "Amina"}, extra...)
		_, err := runOfficer(t, pin, args...)
		return err
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"run PIN", add("456789\n"), "run of digits"},
		{"repeated PIN", add("555555\n"), "one digit repeated"},
		{"short PIN", add("12\n"), "6 to 8 digits"},
		{"four digits", add("2580\n"), "6 to 8 digits"},
		{"no PIN", add(""), "no PIN on standard input"},
		{"PIN on argv", add("258013\n", "258013"), "never from the command line"},
		{"bad phone", func() error {
			_, err := runOfficer(t, "258013\n", "add", "--config", cfg, "--phone", "12", "--staff-id", "7", "--name", "A")
			return err
		}(), "--phone"},
		{"missing flags", func() error { _, err := runOfficer(t, "258013\n", "add", "--config", cfg); return err }(), "--phone and --staff-id and --name"},
		{"negative staff id", func() error {
			_, err := runOfficer(t, "258013\n", "add", "--config", cfg, "--phone", "0712345678", "--staff-id", "-3", "--name", "A")
			return err
		}(), "staff id"},
		{"unknown action", func() error { _, err := runOfficer(t, "", "promote", "--config", cfg); return err }(), `unknown officer action "promote"`},
		{"no action", func() error { _, err := runOfficer(t, ""); return err }(), "needs an action"},
		{"reset unknown", func() error {
			_, err := runOfficer(t, "258013\n", "reset-pin", "--config", cfg, "--phone", "0712345678")
			return err
		}(), "no officer"},
	}
	for _, tc := range tests {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, tc.err, tc.want)
		}
	}
	// Nothing was enrolled by the refused commands.
	withStore(t, storePath, func(db *store.DB) {
		if list, err := db.ListOfficers(); err != nil || len(list) != 0 {
			t.Errorf("officers after refused adds: %+v, %v", list, err)
		}
	})
}

// pepperOf is the pepper of the box key the commands made beside cfg.
func pepperOf(t *testing.T, cfg string) officer.Pepper {
	t.Helper()
	key, err := boxkey.Load(filepath.Join(filepath.Dir(cfg), "mifos-edge.key"))
	if err != nil {
		t.Fatal(err)
	}
	return officer.Pepper{ID: key.ID(), Key: key.Pepper()}
}

func withStore(t *testing.T, path string, fn func(*store.DB)) {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fn(db)
}
