package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mifos-edge/mifos-edge/boxkey"
	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/store"
)

const restoreUsage = `usage: mifos-edge restore --config FILE BACKUP

Replaces the store (store.path) with BACKUP, a copy made by 'mifos-edge
backup' or by the nightly backups (store.backup_dir).

Stop the daemon first (sudo systemctl stop mifos-edge): restore refuses
while the daemon holds the store. BACKUP is checked before anything
changes: it must be a mifos-edge store of this version or an older one and
pass bbolt's consistency check; its records are counted. The store it
replaces is kept as <store.path>.before-restore (restore that file to undo).
Start the daemon again afterwards.

PIN hashes in a backup only work with the box key (security.key_file) they
were made with: restored onto a box with another key, officers' PINs must
be set again (officer reset-pin); restore says how many.`

func init() { register("restore", &RestoreCommand{Stdout: os.Stdout}) }

// RestoreCommand puts a backup in place of the store while the daemon is
// stopped.
type RestoreCommand struct {
	Stdout io.Writer
}

// Summary implements command.
func (*RestoreCommand) Summary() string {
	return "replace the stopped daemon's store with a checked backup"
}

// Run implements command.
func (c *RestoreCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), restoreUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("restore needs the BACKUP file")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	backup := fs.Arg(0)
	// The store's lock is what keeps a running daemon safe; the socket
	// only lets the refusal say plainly why.
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = control.Call(cctx, cfg.Control.Socket, daemon.OpStatus, nil, nil)
	cancel()
	if err == nil {
		return fmt.Errorf("the daemon is running (it answers on %s) and holds the store; stop it first (sudo systemctl stop mifos-edge), then restore; nothing was changed",
			cfg.Control.Socket)
	}
	res, err := store.Restore(backup, cfg.Store.Path)
	if err != nil {
		return fmt.Errorf("restore %s: %w", backup, err)
	}
	fmt.Fprintf(c.Stdout, "restored %s to %s: %d messages, %d outgoing SMS, %d postings, %d officers (schema %d)\n",
		backup, cfg.Store.Path, res.Messages, res.Outbound, res.Postings, res.Officers, res.SchemaVersion)
	if res.KeptAs != "" {
		fmt.Fprintf(c.Stdout, "The store it replaced is kept as %s.\n", res.KeptAs)
	}
	if note := pinKeyNote(cfg); note != "" {
		fmt.Fprintln(c.Stdout, note)
	}
	fmt.Fprintln(c.Stdout, "Start the daemon again: sudo systemctl start mifos-edge")
	return nil
}

// pinKeyNote says how many enrolled officers' PIN hashes were made with
// another box key than this box's, whose PINs must therefore be set again;
// "" when all match.
func pinKeyNote(cfg *config.Config) string {
	key, err := boxkey.Load(cfg.Security.KeyFile)
	if err != nil {
		return fmt.Sprintf("Could not read the box key to check the officers' PINs against it: %v", err)
	}
	db, err := store.Open(cfg.Store.Path, store.Options{LockTimeout: time.Second})
	if err != nil {
		return fmt.Sprintf("Could not open the restored store to check the officers' PINs: %v", err)
	}
	defer db.Close()
	officers, err := db.ListOfficers()
	if err != nil {
		return fmt.Sprintf("Could not list the officers to check their PINs: %v", err)
	}
	other := 0
	for _, o := range officers {
		if officer.MadeWithOtherKey(o.PINHash, daemon.PepperOf(key)) {
			other++
		}
	}
	if other == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d officers' PINs were set with another box key than %s: they cannot use officer commands until "+
		"their PINs are set again (mifos-edge officer reset-pin), unless you put back the key the backup was made with.",
		other, len(officers), cfg.Security.KeyFile)
}
