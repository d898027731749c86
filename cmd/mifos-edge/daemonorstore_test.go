package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/store"
)

// Every command that needs the box's state takes one path: the daemon's
// socket, else the store; a store held by a daemon whose socket does not
// answer is said in those words, whichever command ran into it.
func TestWithDaemonOrStore(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{}
	cfg.Store.Path = filepath.Join(dir, "state.db")
	cfg.Control.Socket = filepath.Join(dir, "nobody-listens.sock")

	ran, syncs := false, false
	via, err := withDaemonOrStore(context.Background(), cfg, defaultWait, daemon.OpStatus, nil, nil, func(db *store.DB) error {
		ran, syncs = true, db.Syncs()
		return nil
	})
	if err != nil || via || !ran {
		t.Fatalf("no daemon: via daemon %v, ran locally %v, %v", via, ran, err)
	}
	// A command run on the store (send, officer add...) commits for good.
	if !syncs {
		t.Error("the CLI opened the store without fsync")
	}

	held, err := store.Open(cfg.Store.Path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	_, err = withDaemonOrStore(context.Background(), cfg, defaultWait, daemon.OpStatus, nil, nil, func(*store.DB) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "the daemon holds the store but its control socket") {
		t.Fatalf("store held, socket silent: %v", err)
	}
}
