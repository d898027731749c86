package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/boxkey"
	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/store"
)

// backupEnv is a config whose store holds n queued SMS; the store is
// closed and no daemon runs.
func backupEnv(t *testing.T, n int) (cfgPath string, cfg *config.Config) {
	t.Helper()
	cfgPath, storePath := officerEnv(t)
	db, err := store.Open(storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		if _, err := db.Enqueue(store.Outbound{To: "+254700000001", Text: "x", Origin: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	cfg, err = loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	return cfgPath, cfg
}

func runBackup(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := (&BackupCommand{Stdout: &out}).Run(context.Background(), args)
	return out.String(), err
}

func runRestore(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := (&RestoreCommand{Stdout: &out}).Run(context.Background(), args)
	return out.String(), err
}

// serveDaemonOps answers the control socket of cfg as the daemon would for
// backup and status, on the store it holds open (so only the daemon can
// read it).
func serveDaemonOps(t *testing.T, cfg *config.Config) *store.DB {
	t.Helper()
	db, err := store.Open(cfg.Store.Path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := control.NewServer(cfg.Control.Socket, slog.New(slog.DiscardHandler))
	daemon.RegisterBackupOp(srv, db)
	srv.HandleReadOnly(daemon.OpStatus, func(context.Context, json.RawMessage) (any, error) { return nil, nil })
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done; db.Close() })
	return db
}

func TestBackupCommandWithoutTheDaemon(t *testing.T) {
	cfgPath, cfg := backupEnv(t, 3)
	target := filepath.Join(t.TempDir(), "copy.db")
	out, err := runBackup(t, "--config", cfgPath, target)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := store.CheckFile(target)
	if err != nil || sum.Outbound != 3 {
		t.Fatalf("copy: %+v, %v", sum, err)
	}
	for _, want := range []string{"the daemon is not running", target, "3 outgoing SMS", "secret", cfg.Security.KeyFile} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A directory gets a dated copy inside it.
	dir := t.TempDir()
	if _, err := runBackup(t, "--config", cfgPath, dir); err != nil {
		t.Fatal(err)
	}
	copies, _ := filepath.Glob(filepath.Join(dir, "state-*Z.db"))
	if len(copies) != 1 {
		t.Fatalf("copies in the directory: %v", copies)
	}
	// The store itself is never a target.
	if _, err := runBackup(t, "--config", cfgPath, cfg.Store.Path); err == nil || !strings.Contains(err.Error(), "is the store itself") {
		t.Fatalf("backup onto the store: %v", err)
	}
}

// With the daemon running, the copy comes through it: the store is held,
// so this command could not have read it itself.
func TestBackupCommandThroughTheDaemon(t *testing.T) {
	cfgPath, cfg := backupEnv(t, 2)
	db := serveDaemonOps(t, cfg)
	if _, err := db.Enqueue(store.Outbound{To: "+254700000002", Text: "while running", Origin: "test"}); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "copy.db")
	out, err := runBackup(t, "--config", cfgPath, target)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "by the running daemon") {
		t.Fatalf("output: %s", out)
	}
	if sum, err := store.CheckFile(target); err != nil || sum.Outbound != 3 {
		t.Fatalf("copy: %+v, %v", sum, err)
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("copy mode: %v, %v", fi, err)
	}
}

func TestRestoreCommand(t *testing.T) {
	cfgPath, cfg := backupEnv(t, 2)
	backup := filepath.Join(t.TempDir(), "copy.db")
	if _, err := runBackup(t, "--config", cfgPath, backup); err != nil {
		t.Fatal(err)
	}
	// The store changes after the backup: one more SMS, and an officer
	// whose PIN was set with another box's key.
	db, err := store.Open(cfg.Store.Path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Enqueue(store.Outbound{To: "+254700000003", Text: "after the backup", Origin: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("refused while the daemon runs", func(t *testing.T) {
		serveDaemonOps(t, cfg)
		_, err := runRestore(t, "--config", cfgPath, backup)
		if err == nil || !strings.Contains(err.Error(), "the daemon is running") || !strings.Contains(err.Error(), "stop it first") {
			t.Fatalf("restore while running: %v", err)
		}
	})
	t.Run("refused while the store is held", func(t *testing.T) {
		held, err := store.Open(cfg.Store.Path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer held.Close()
		_, err = runRestore(t, "--config", cfgPath, backup)
		if err == nil || !strings.Contains(err.Error(), "holds the store") {
			t.Fatalf("restore while the store is held: %v", err)
		}
	})
	t.Run("a file that is not a backup", func(t *testing.T) {
		junk := filepath.Join(t.TempDir(), "junk.db")
		if err := os.WriteFile(junk, bytes.Repeat([]byte("junk"), 4096), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := runRestore(t, "--config", cfgPath, junk); err == nil || !strings.Contains(err.Error(), "not a bbolt database") {
			t.Fatalf("restore of junk: %v", err)
		}
		if _, err := os.Stat(cfg.Store.Path + store.BeforeRestoreSuffix); !os.IsNotExist(err) {
			t.Fatalf("a refused restore moved the store: %v", err)
		}
	})

	key, err := boxkey.Create(cfg.Security.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	other := officer.Pepper{ID: "0ddba11a", Key: bytes.Repeat([]byte{7}, 32)}
	otherHash, err := officer.HashPIN("258013", other)
	if err != nil {
		t.Fatal(err)
	}
	ownHash, err := officer.HashPIN("369147", daemon.PepperOf(key))
	if err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(backup, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []store.Officer{
		{Phone: "+254712345678", StaffID: 7, Name: "Amina", PINHash: otherHash},
		{Phone: "+254712345679", StaffID: 8, Name: "Brian", PINHash: ownHash},
	} {
		if err := db.AddOfficer(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	out, err := runRestore(t, "--config", cfgPath, backup)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 outgoing SMS", "2 officers", "kept as " + cfg.Store.Path + ".before-restore",
		"1 of 2 officers' PINs were set with another box key", "systemctl start"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if sum, err := store.CheckFile(cfg.Store.Path); err != nil || sum.Outbound != 2 {
		t.Fatalf("restored store: %+v, %v", sum, err)
	}
	if sum, err := store.CheckFile(cfg.Store.Path + ".before-restore"); err != nil || sum.Outbound != 3 {
		t.Fatalf("kept store: %+v, %v", sum, err)
	}
}
