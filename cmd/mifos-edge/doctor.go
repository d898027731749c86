package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/modem"
)

func init() { register("doctor", &DoctorCommand{}) }

// DoctorCommand checks the modem and explains each problem in plain words.
type DoctorCommand struct{}

// Summary implements command.
func (*DoctorCommand) Summary() string { return "check the modem, SIM and network, with fixes" }

// Run implements command.
func (*DoctorCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: mifos-edge doctor --config FILE\n\nChecks the modem device, SIM, network, SMS centre and storage and prints\neach as OK or PROBLEM with what to do. If the daemon is running it is asked\nfor its view instead, since it holds the modem.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var checks []modem.Check
	var st daemon.StatusResult
	switch err := control.Call(cctx, cfg.Control.Socket, "status", nil, &st); {
	case err == nil:
		fmt.Println("The daemon is running and holds the modem; this is its view.")
		checks = modem.StatusChecks(st.Modem)
	case errors.Is(err, control.ErrNoDaemon):
		checks = modem.Doctor(cctx, modem.Config{
			Device:         cfg.Modem.Device,
			Baud:           cfg.Modem.Baud,
			PIN:            cfg.Modem.PIN,
			CommandTimeout: cfg.Modem.CommandTimeout.Duration,
		})
	default:
		return err
	}
	problems := 0
	for _, c := range checks {
		mark := "OK     "
		if c.Skipped {
			fmt.Printf("%s  %-14s %s\n", "SKIPPED", c.Name, c.Detail)
			continue
		}
		if !c.OK {
			mark = "PROBLEM"
			problems++
		}
		fmt.Printf("%s  %-14s %s\n", mark, c.Name, c.Detail)
		if !c.OK && c.Fix != "" {
			fmt.Printf("         %-14s fix: %s\n", "", c.Fix)
		}
	}
	if problems > 0 {
		return fmt.Errorf("%d problem(s) found", problems)
	}
	fmt.Println("All checks passed.")
	return nil
}
