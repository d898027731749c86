package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/store"
)

// `mifos-edge backup` while the daemon runs: the CLI passes the file it
// opened, the daemon writes a copy into it while SMS keep being queued,
// and the copy is consistent (it passes the check and holds exactly what
// the daemon counted). The operation is audited.
func TestBackupOverTheControlSocketUnderWriteLoad(t *testing.T) {
	var logs lockedBuffer
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sock := filepath.Join(dir, "ctl.sock")
	srv := control.NewServer(sock, slog.New(slog.NewTextHandler(&logs, nil)))
	RegisterBackupOp(srv, db)
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-served })

	var stop atomic.Bool
	var queued atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			if _, err := QueueSMS(db, SendArgs{To: "+254700000001", Text: fmt.Sprintf("meeting %d is on Friday", i)}, "cli"); err != nil {
				t.Error(err)
				return
			}
			queued.Add(1)
		}
	}()
	defer func() { stop.Store(true); wg.Wait() }()

	call := func(f *os.File, out any) error {
		cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
		defer ccancel()
		return control.CallWithFile(cctx, sock, OpBackup, nil, out, f)
	}
	targets := t.TempDir()
	for i := range 3 {
		for n := queued.Load(); queued.Load() < n+10; {
			time.Sleep(time.Millisecond)
		}
		f, err := os.CreateTemp(targets, "backup-*.db")
		if err != nil {
			t.Fatal(err)
		}
		var sum store.Summary
		err = call(f, &sum)
		f.Close()
		if err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		got, err := store.CheckFile(f.Name())
		if err != nil {
			t.Fatalf("backup %d does not pass the check: %v", i, err)
		}
		if got != sum || sum.Outbound == 0 {
			t.Fatalf("backup %d: the daemon counted %+v, the file holds %+v", i, sum, got)
		}
	}
	if err := call(nil, nil); err == nil || !strings.Contains(err.Error(), "use mifos-edge backup") {
		t.Fatalf("backup without a file: %v", err)
	}
	if !strings.Contains(logs.String(), "op=store.backup") || !strings.Contains(logs.String(), "outcome=ok") {
		t.Fatalf("the backups were not audited:\n%s", logs.String())
	}
}

// backupDaemon is enough of a daemon for the nightly copies: a store with
// store.backup_dir set.
func backupDaemon(t *testing.T, keep int, interval time.Duration) (*Daemon, *lockedBuffer) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := &config.Config{}
	cfg.Modem.Device, cfg.Store.Path = "/dev/null", db.Path()
	cfg.Store.BackupDir = filepath.Join(dir, "backups")
	cfg.Store.BackupKeep, cfg.Store.BackupInterval.Duration = keep, interval
	cfg.SMS.ReassemblyTimeout.Duration = 200 * time.Millisecond
	cfg.SetDefaults()
	if err := os.Mkdir(cfg.Store.BackupDir, 0o700); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	return &Daemon{cfg: cfg, db: db, log: slog.New(slog.NewTextHandler(logs, nil)), inboxReady: make(chan struct{}, 1)}, logs
}

func backupNames(t *testing.T, d *Daemon) []string {
	t.Helper()
	copies, err := listBackups(d.cfg.Store.BackupDir, d.cfg.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range copies {
		names = append(names, c.name)
	}
	return names
}

// One copy per backup_interval, dated, the newest backup_keep kept; other
// files in the directory are never touched, and a restart does not make a
// copy before the interval since the newest one has passed.
func TestNightlyBackupsRotate(t *testing.T) {
	d, _ := backupDaemon(t, 3, time.Hour)
	dir := d.cfg.Store.BackupDir
	others := []string{"notes.txt", "state-not-a-date.db", "other-20260101T000000Z.db", "state-20200101T000000Z.db.gz"}
	for _, name := range others {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("keep me"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 1, 5, 1, 30, 0, 0, time.UTC)
	s := d.newBackupSchedule()
	var want []string
	for i := range 5 {
		if _, err := d.db.Enqueue(store.Outbound{To: "+254700000001", Text: "x", Origin: "test"}); err != nil {
			t.Fatal(err)
		}
		at := t0.Add(time.Duration(i) * time.Hour)
		s.runIfDue(at)
		s.runIfDue(at.Add(59 * time.Minute)) // not due yet: no second copy
		want = append(want, BackupName(d.cfg.Store.Path, at))
	}
	want = want[len(want)-3:]
	if got := backupNames(t, d); !slices.Equal(got, want) {
		t.Fatalf("copies kept: %v, want the newest three %v", got, want)
	}
	if want[0] != "state-20260105T033000Z.db" {
		t.Fatalf("copy named %s", want[0])
	}
	for i, name := range want {
		sum, err := store.CheckFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sum.Outbound != 3+i {
			t.Fatalf("%s holds %d queued SMS, want %d", name, sum.Outbound, 3+i)
		}
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v, %v; want 0600", name, fi.Mode(), err)
		}
	}
	for _, name := range others {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != "keep me" {
			t.Fatalf("%s was touched: %q, %v", name, b, err)
		}
	}

	last := t0.Add(4 * time.Hour)
	restarted := d.newBackupSchedule()
	restarted.runIfDue(last.Add(10 * time.Minute))
	if got := backupNames(t, d); !slices.Equal(got, want) {
		t.Fatalf("a restart made a copy before the interval passed: %v", got)
	}
	restarted.runIfDue(last.Add(time.Hour))
	if got := backupNames(t, d); len(got) != 3 || got[2] != BackupName(d.cfg.Store.Path, last.Add(time.Hour)) {
		t.Fatalf("after the interval: %v", got)
	}
}

// A copy that cannot be written (the directory is gone) is logged and tried
// again later, and nothing else stops.
func TestNightlyBackupFailureIsLoggedAndRetried(t *testing.T) {
	d, logs := backupDaemon(t, 3, 24*time.Hour)
	if err := os.Remove(d.cfg.Store.BackupDir); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 5, 1, 30, 0, 0, time.UTC)
	s := d.newBackupSchedule()
	s.runIfDue(t0)
	if !strings.Contains(logs.String(), "nightly backup of the store failed") {
		t.Fatalf("no error logged:\n%s", logs.String())
	}
	if err := os.Mkdir(d.cfg.Store.BackupDir, 0o700); err != nil {
		t.Fatal(err)
	}
	s.runIfDue(t0.Add(30 * time.Minute))
	if got := backupNames(t, d); len(got) != 0 {
		t.Fatalf("retried sooner than an hour: %v", got)
	}
	s.runIfDue(t0.Add(backupRetry))
	if got := backupNames(t, d); len(got) != 1 {
		t.Fatalf("not retried after an hour: %v", got)
	}
}

// The running housekeeping stage makes the first copy at once when the
// directory has none.
func TestHousekeepingMakesTheNightlyBackup(t *testing.T) {
	d, logs := backupDaemon(t, 2, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.housekeepingLoop(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	for len(backupNames(t, d)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no backup made by the housekeeping stage; log:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// store.backup_dir is checked when the daemon opens, naming the key.
func TestOpenChecksTheBackupDir(t *testing.T) {
	dir := t.TempDir()
	aFile := filepath.Join(dir, "a-file")
	if err := os.WriteFile(aFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, want string }{
		{filepath.Join(dir, "missing"), "does not exist"},
		{aFile, "is not a directory"},
	} {
		cfg := &config.Config{}
		cfg.Modem.Device = filepath.Join(dir, "no-modem")
		cfg.Store.Path = filepath.Join(dir, "state.db")
		cfg.Store.BackupDir = tc.dir
		cfg.SetDefaults()
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		d, err := Open(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
		if err == nil {
			d.db.Close()
			t.Fatalf("opened with store.backup_dir = %s", tc.dir)
		}
		if !strings.Contains(err.Error(), "store.backup_dir "+tc.dir+" "+tc.want) {
			t.Fatalf("store.backup_dir = %s: %v", tc.dir, err)
		}
	}
}
