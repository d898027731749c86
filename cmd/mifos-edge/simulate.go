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

const simulateUsage = `usage: mifos-edge simulate [--link PATH] [--profile NAME]

Runs a simulated GSM modem until Ctrl-C; point [modem] device at the link.
Type '<number> <text>' to deliver an SMS to it; sent SMS are printed.`

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
	go printSent(ctx, sim)
	go readClientLines(ctx, os.Stdin, sim, func(context.Context, string) bool { return false })
	<-ctx.Done()
	return nil
}
