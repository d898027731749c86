package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/store"
)

// RegisterBackupOp adds the "store.backup" operation: a consistent copy of
// the store (one read transaction, so postings and SMS go on meanwhile)
// written into the file the caller passed with its request. The caller
// opens the target with its own rights, so the backup may go anywhere root
// can write, though the service's sandbox lets the daemon write only its
// state directory; and the store's content never crosses the socket, whose
// answers are one JSON line. It is audited: a copy of the store is secret.
// While the copy is written, a commit that must grow the store file waits
// for it (bbolt remaps the file only without readers); a copy to a local
// disk takes seconds at most.
func RegisterBackupOp(s *control.Server, db *store.DB) {
	s.Handle(OpBackup, func(ctx context.Context, _ json.RawMessage) (any, error) {
		f := control.PassedFile(ctx)
		if f == nil {
			return nil, errors.New("store.backup writes into a file passed with the request; use mifos-edge backup")
		}
		sum, err := db.BackupToFile(f)
		if err == nil {
			control.Audit(ctx, "bytes", sum.Bytes, "messages", sum.Messages, "postings", sum.Postings)
		}
		return sum, err
	})
}

// backupTimeLayout dates the copies in store.backup_dir, in UTC so that
// names sort in time order whatever the clock's zone or summer time.
const backupTimeLayout = "20060102T150405Z"

// BackupName is the file name of a copy of the store at storePath made at
// t: the store's name, then the time ("state-20260105T021500Z.db").
func BackupName(storePath string, t time.Time) string {
	return backupPrefix(storePath) + t.UTC().Format(backupTimeLayout) + ".db"
}

func backupPrefix(storePath string) string {
	base := filepath.Base(storePath)
	return strings.TrimSuffix(base, filepath.Ext(base)) + "-"
}

// datedBackup is one copy found in the backup directory.
type datedBackup struct {
	name string
	at   time.Time
}

// listBackups returns the copies of the store in dir, oldest first. Only
// names BackupName writes count: nothing else in the directory is ever
// touched.
func listBackups(dir, storePath string) ([]datedBackup, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	prefix := backupPrefix(storePath)
	var out []datedBackup
	for _, e := range entries {
		stamp, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		stamp, ok = strings.CutSuffix(stamp, ".db")
		if !ok {
			continue
		}
		at, err := time.Parse(backupTimeLayout, stamp)
		if err != nil {
			continue
		}
		out = append(out, datedBackup{name: e.Name(), at: at})
	}
	slices.SortFunc(out, func(a, b datedBackup) int { return a.at.Compare(b.at) })
	return out, nil
}

// checkBackupDir makes sure store.backup_dir (when set) is a directory this
// process may write, at start rather than at the first nightly copy.
func checkBackupDir(cfg *config.Config) error {
	dir := cfg.Store.BackupDir
	if dir == "" {
		return nil
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("store.backup_dir %s does not exist; create it for the service's user (sudo install -d -o mifos-edge -g mifos-edge -m 0700 %s) or unset store.backup_dir", dir, dir)
	case err != nil:
		return fmt.Errorf("store.backup_dir %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("store.backup_dir %s is not a directory", dir)
	}
	probe, err := os.CreateTemp(dir, ".mifos-edge-write-test-*")
	if err != nil {
		return fmt.Errorf("store.backup_dir %s cannot be written by this user (%w); the service may write only below /var/lib/mifos-edge, "+
			"so use a directory there, owned by the service's user", dir, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// backupSchedule makes the copies in store.backup_dir: one every
// store.backup_interval, keeping the newest store.backup_keep. It belongs
// to the housekeeping loop.
type backupSchedule struct {
	d *Daemon
	// next is when the next copy is due; zero: now.
	next time.Time
}

// backupRetry is how soon a copy that failed (a full disk) is tried again.
const backupRetry = time.Hour

// newBackupSchedule starts counting from the newest copy already in the
// directory, so a restart does not make a copy each time.
func (d *Daemon) newBackupSchedule() *backupSchedule {
	s := &backupSchedule{d: d}
	if d.cfg.Store.BackupDir == "" {
		return s
	}
	if copies, err := listBackups(d.cfg.Store.BackupDir, d.cfg.Store.Path); err == nil && len(copies) > 0 {
		s.next = copies[len(copies)-1].at.Add(d.cfg.Store.BackupInterval.Duration)
	}
	return s
}

// runIfDue makes a copy if one is due at now and removes the copies beyond
// store.backup_keep.
func (s *backupSchedule) runIfDue(now time.Time) {
	cfg, log := s.d.cfg.Store, s.d.log
	if cfg.BackupDir == "" || now.Before(s.next) {
		return
	}
	path := filepath.Join(cfg.BackupDir, BackupName(cfg.Path, now))
	sum, err := s.d.db.BackupTo(path)
	if err != nil {
		s.next = now.Add(min(cfg.BackupInterval.Duration, backupRetry))
		log.Error("nightly backup of the store failed; trying again later", "dir", cfg.BackupDir, "at", s.next.Format(time.RFC3339), "err", err)
		return
	}
	s.next = now.Add(cfg.BackupInterval.Duration)
	log.Info("store backed up", "file", path, "bytes", sum.Bytes, "messages", sum.Messages, "postings", sum.Postings)
	copies, err := listBackups(cfg.BackupDir, cfg.Path)
	if err != nil {
		log.Error("listing old backups failed; none removed", "dir", cfg.BackupDir, "err", err)
		return
	}
	for len(copies) > cfg.BackupKeep {
		old := filepath.Join(cfg.BackupDir, copies[0].name)
		if err := os.Remove(old); err != nil {
			log.Error("removing an old backup failed", "file", old, "err", err)
		} else {
			log.Info("removed an old backup", "file", old, "keep", cfg.BackupKeep)
		}
		copies = copies[1:]
	}
	removeStaleTemps(cfg.BackupDir, cfg.Path, now, log)
}

// removeStaleTemps removes what a copy cut short by a crash or a power cut
// left in dir (BackupTo's temporary files), once they are an hour old: a
// younger one may belong to a backup still being written.
func removeStaleTemps(dir, storePath string, now time.Time, log *slog.Logger) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := "." + backupPrefix(storePath)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || !strings.Contains(e.Name(), ".db.tmp-") || !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err != nil || now.Sub(fi.ModTime()) < backupRetry {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if err := os.Remove(path); err == nil {
			log.Info("removed a backup left unfinished", "file", path)
		}
	}
}
