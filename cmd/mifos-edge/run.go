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

const runUsage = `usage: mifos-edge run --config FILE [--debug]

Runs the daemon in the foreground, logging to stderr; stops cleanly on SIGTERM or Ctrl-C.`

func init() { register("run", &RunCommand{}) }

// RunCommand runs the daemon in the foreground.
type RunCommand struct{}

// Summary implements command.
func (*RunCommand) Summary() string { return "run the daemon in the foreground" }

// Run implements command.
func (*RunCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	verbose := fs.Bool("debug", false, "log every AT command and reply")
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
	log := newLogger(*verbose)
	d, err := daemon.Open(cfg, daemon.Options{Logger: log})
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

func newLogger(debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}
