package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/store"
)

// defaultWait bounds a control operation's answer; reminders take longer.
const defaultWait = 30 * time.Second

// withDaemonOrStore is the one way a CLI command reaches the box's state:
// op goes to the running daemon over its control socket; when no daemon
// runs, local runs on the store opened here (bbolt admits one process at a
// time). viaDaemon says which happened. A store locked by a daemon whose
// socket does not answer is said in those words.
func withDaemonOrStore(ctx context.Context, cfg *config.Config, wait time.Duration, op string, args, out any, local func(*store.DB) error) (viaDaemon bool, err error) {
	return withDaemonOrStoreFile(ctx, cfg, wait, op, args, out, nil, local)
}

// withDaemonOrStoreFile is withDaemonOrStore that passes the open file f to
// the daemon with the request (control.CallWithFile); local gets the store
// and uses f itself.
func withDaemonOrStoreFile(ctx context.Context, cfg *config.Config, wait time.Duration, op string, args, out any, f *os.File, local func(*store.DB) error) (viaDaemon bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	err = control.CallWithFile(cctx, cfg.Control.Socket, op, args, out, f)
	if !errors.Is(err, control.ErrNoDaemon) {
		return true, err
	}
	db, err := store.Open(cfg.Store.Path, store.Options{LockTimeout: time.Second})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return false, fmt.Errorf("the daemon holds the store but its control socket %s does not answer: %w", cfg.Control.Socket, err)
		}
		return false, err
	}
	defer db.Close()
	return false, local(db)
}
