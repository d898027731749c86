//go:build !nodemo

package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/mifos-edge/mifos-edge/modemsim"
)

const simulateUsage = `usage: mifos-edge simulate [--link PATH] [--profile NAME] [--gcash-pin PIN]

Runs a simulated GSM modem until Ctrl-C; point [modem] device at the link.
Type '<number> <text>' to deliver an SMS to it; sent SMS are printed.
With --gcash-pin, a GCash-style operator at 2882 pays the SMS commands
"SEND <amount> <number> <PIN>" sent to it and replies from GCash.`

func init() { register("simulate", &SimulateCommand{}) }

// SimulateCommand runs only the modem simulator, so a daemon started
// separately (or any serial tool) can be pointed at it.
type SimulateCommand struct{}

// Summary implements command.
func (*SimulateCommand) Summary() string { return "run only the simulated modem on a pseudo-terminal" }

// Run implements command.
func (*SimulateCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	link := fs.String("link", "/tmp/mifos-modem", "symlink to create for the simulated device")
	profile := fs.String("profile", "generic", "simulated modem model")
	debug := fs.Bool("debug", false, "log every line in and out")
	gcashPIN := fs.String("gcash-pin", "", "attach a GCash-style money operator at 2882 that takes this MPIN (mobile disbursement by sms-command)")
	gcashFloat := fs.Int64("gcash-float", 50000, "the money operator's float, in whole pesos")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), simulateUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	prof, ok := modemsim.Profiles()[*profile]
	if !ok {
		return fmt.Errorf("unknown --profile %q", *profile)
	}
	level := slog.LevelWarn
	if *debug {
		level = slog.LevelDebug
	}
	sim, err := modemsim.Start(modemsim.Options{Profile: prof, Link: *link,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))})
	if err != nil {
		return err
	}
	defer sim.Close()
	fmt.Printf("simulated %s modem at %s\n", prof.Name, sim.Path())
	if *gcashPIN != "" {
		op, err := modemsim.NewMoneyOperator(modemsim.MoneyOperatorOptions{PIN: *gcashPIN, Float: *gcashFloat * 1_000_000})
		if err != nil {
			return err
		}
		sim.AddMoneyOperator(op)
		fmt.Printf("money operator %s at %s with a float of PHP %d\n", op.Sender(), op.Number(), *gcashFloat)
	}
	go printSent(ctx, sim)
	go readClientLines(ctx, os.Stdin, sim, func(context.Context, string) bool { return false })
	<-ctx.Done()
	return nil
}
