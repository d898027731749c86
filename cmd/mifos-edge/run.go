package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/daemon"
)

const runUsage = `usage: mifos-edge run --config FILE [--debug] [--trace-sms-text]

Runs the daemon in the foreground, logging to stderr; stops cleanly on SIGTERM or Ctrl-C.
` + traceHelp

// traceHelp explains the AT trace; run and demo share it.
const traceHelp = `
--debug adds the AT trace: every line sent to the modem and read from it, with
its time, marked "AT sent", "AT received", "AT URC" (unsolicited), "AT stale"
(a late answer to a command that timed out) or "AT unknown" (a line nobody
asked for, often an unsolicited code the daemon does not know). The SIM PIN
never shows. Of an SMS PDU only the part before the text shows, with the
sender or recipient and the length of the text.

--trace-sms-text (implies --debug) shows SMS PDUs whole: the trace then CONTAINS
THE TEXT OF EVERY MESSAGE, officers' PINs in PAY messages included. Use it only
to debug message decoding, keep that log private and delete it afterwards.`

func init() { register("run", &RunCommand{}) }

// RunCommand runs the daemon in the foreground.
type RunCommand struct{}

// Summary implements command.
func (*RunCommand) Summary() string { return "run the daemon in the foreground" }

// Run implements command.
func (*RunCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	trace := traceFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), runUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	log := newLogger(trace.debug())
	d, err := daemon.Open(cfg, daemon.Options{Logger: log, TraceSMSText: *trace.smsText})
	if err != nil {
		return err
	}
	smallBoxMemory()
	return d.Run(ctx)
}

// configFlag adds the --config flag every state-touching command takes.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", defaultConfigPath, "configuration file")
}

// loadConfig reads, defaults and validates the configuration file.
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// traceOptions are the --debug and --trace-sms-text flags.
type traceOptions struct{ verbose, smsText *bool }

func traceFlags(fs *flag.FlagSet) traceOptions {
	return traceOptions{
		verbose: fs.Bool("debug", false, "log at DEBUG, with the AT trace: every line to and from the modem (no PIN, no message text)"),
		smsText: fs.Bool("trace-sms-text", false, "show SMS PDUs whole in the AT trace (implies --debug): the log then contains message text and officers' PINs"),
	}
}

// debug reports whether to log at DEBUG, which turns the AT trace on.
func (o traceOptions) debug() bool { return *o.verbose || *o.smsText }

func newLogger(debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}
