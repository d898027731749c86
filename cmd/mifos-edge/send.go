package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/store"
)

func init() { register("send", &SendCommand{}) }

// SendCommand queues an SMS, through the running daemon when there is one.
type SendCommand struct{}

// Summary implements command.
func (*SendCommand) Summary() string { return "queue an SMS to a number" }

// Run implements command.
func (*SendCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: mifos-edge send --config FILE NUMBER TEXT...\n\nQueues an SMS. While the daemon runs it is handed over its control socket;\notherwise it is written to the store and sent when the daemon starts.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		fs.Usage()
		return errors.New("send needs a NUMBER and a TEXT")
	}
	a := daemon.SendArgs{To: fs.Arg(0), Text: strings.Join(fs.Args()[1:], " ")}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	var res daemon.SendResult
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = control.Call(cctx, cfg.Control.Socket, "send", a, &res)
	if errors.Is(err, control.ErrNoDaemon) {
		db, oerr := store.Open(cfg.Store.Path, store.Options{LockTimeout: time.Second})
		if oerr != nil {
			if errors.Is(oerr, store.ErrLocked) {
				return fmt.Errorf("the daemon holds the store but its control socket %s does not answer: %w", cfg.Control.Socket, oerr)
			}
			return oerr
		}
		defer db.Close()
		res, err = daemon.QueueSMS(db, a, "cli")
		if err == nil {
			fmt.Printf("queued SMS %d (%d part(s)) to %s; the daemon is not running, it will be sent when it starts\n", res.ID, res.Parts, a.To)
		}
		return err
	}
	if err != nil {
		return err
	}
	fmt.Printf("queued SMS %d (%d part(s)) to %s\n", res.ID, res.Parts, a.To)
	return nil
}
