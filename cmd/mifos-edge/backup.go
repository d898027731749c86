package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/store"
)

const backupUsage = `usage: mifos-edge backup --config FILE TARGET

Writes a consistent copy of the store (store.path) to TARGET, a file or an
existing directory (the copy is then named like the nightly ones:
state-<date>T<time>Z.db, in UTC).

It works while the daemon runs: this command opens the file with its own
rights (so TARGET may be anywhere you may write, a USB stick included) and
hands it to the daemon over the control socket; the daemon writes a copy of
one moment into it while it goes on receiving and posting. When the daemon
is stopped, the copy is made from the store here. The copy goes to a
temporary file beside TARGET (mode 0600), is checked like restore checks a
backup, and only then takes TARGET's name.

The copy is secret: it holds officers' PIN hashes, clients' phone numbers
and balances. Keep it where only root can read it. Without the box key
(security.key_file) no PIN in it can be checked: keep a copy of the key as
well, but apart from the backups.`

// backupWait bounds a backup through the daemon: a large store on slow
// flash takes a while.
const backupWait = 10 * time.Minute

func init() { register("backup", &BackupCommand{Stdout: os.Stdout}) }

// BackupCommand writes a copy of the store, through the running daemon
// when there is one.
type BackupCommand struct {
	Stdout io.Writer
}

// Summary implements command.
func (*BackupCommand) Summary() string {
	return "write a consistent copy of the store, also while running"
}

// Run implements command.
func (c *BackupCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), backupUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("backup needs one TARGET file or directory")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	// Without a store there is nothing to copy, and opening one here would
	// create it (as root, where the daemon could not open it).
	if _, err := os.Stat(cfg.Store.Path); err != nil {
		return fmt.Errorf("there is no store to back up at %s (store.path): %w", cfg.Store.Path, err)
	}
	target, err := backupTarget(fs.Arg(0), cfg.Store.Path)
	if err != nil {
		return err
	}
	var viaDaemon bool
	sum, err := store.WriteFileAtomically(target, func(f *os.File) (sum store.Summary, err error) {
		viaDaemon, err = withDaemonOrStoreFile(ctx, cfg, backupWait, daemon.OpBackup, nil, &sum, f, func(db *store.DB) (err error) {
			sum, err = db.BackupToFile(f)
			return err
		})
		if err != nil {
			return store.Summary{}, err
		}
		// The copy is checked before it takes TARGET's name.
		checked, err := store.CheckFile(f.Name())
		if err != nil {
			return store.Summary{}, fmt.Errorf("the copy does not pass the check, so %s was not written: %w", target, err)
		}
		if checked != sum {
			return store.Summary{}, fmt.Errorf("the copy holds %+v but %+v was written, so %s was not written", checked, sum, target)
		}
		return sum, nil
	})
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	how := "by the running daemon"
	if !viaDaemon {
		how = "from the store (the daemon is not running)"
	}
	fmt.Fprintf(c.Stdout, "backup written %s to %s: %s, %d messages, %d outgoing SMS, %d postings, %d officers (schema %d)\n",
		how, target, sizeText(sum.Bytes), sum.Messages, sum.Outbound, sum.Postings, sum.Officers, sum.SchemaVersion)
	fmt.Fprintf(c.Stdout, "It is secret (PIN hashes, phone numbers, balances): keep it where only root can read it.\n"+
		"Keep the box key %s too, apart from the backups: without it every PIN must be set again.\n", cfg.Security.KeyFile)
	return nil
}

// backupTarget is the file a backup goes to: arg, or a dated name inside
// arg when it is a directory. It is never the store itself.
func backupTarget(arg, storePath string) (string, error) {
	fi, err := os.Stat(arg)
	switch {
	case err == nil && fi.IsDir():
		arg = filepath.Join(arg, daemon.BackupName(storePath, time.Now()))
	case err == nil && !fi.Mode().IsRegular():
		return "", fmt.Errorf("backup target %s is not a regular file or a directory", arg)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("backup target %s: %w", arg, err)
	}
	if target, err := os.Stat(arg); err == nil {
		if live, err := os.Stat(storePath); err == nil && os.SameFile(target, live) {
			return "", fmt.Errorf("backup target %s is the store itself; give another file", arg)
		}
	}
	if abs, err := filepath.Abs(arg); err == nil {
		return abs, nil
	}
	return arg, nil
}

// sizeText writes a byte count for people: "812 KiB", "3.4 MiB".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
