package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/store"
)

const sendUsage = `usage: mifos-edge send --config FILE NUMBER TEXT...

Queues an SMS. While the daemon runs it is handed over its control socket;
otherwise it is written to the store and sent when the daemon starts.`

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
		fmt.Fprintln(fs.Output(), sendUsage)
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
	viaDaemon, err := withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpSend, a, &res, func(db *store.DB) (err error) {
		res, err = daemon.QueueSMS(db, a, "cli")
		return err
	})
	if err != nil {
		return err
	}
	if !viaDaemon {
		fmt.Printf("queued SMS %d (%d part(s)) to %s; the daemon is not running, it will be sent when it starts\n", res.ID, res.Parts, a.To)
		return nil
	}
	fmt.Printf("queued SMS %d (%d part(s)) to %s\n", res.ID, res.Parts, a.To)
	return nil
}
