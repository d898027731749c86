package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/modem"
)

const doctorUsage = `usage: mifos-edge doctor --config FILE

Checks the modem device, SIM, network, SMS centre and storage, who can
read the files holding secrets, and, with [mifos] set, the Fineract setup
(the tenant answers, the user's permissions, the payment type, the date
Fineract takes for today), and prints each as OK, WARN or PROBLEM with what
to do. If the daemon is running it is asked for its view of the modem
instead, since it holds it.`

func init() { register("doctor", &DoctorCommand{}) }

// DoctorCommand checks the modem and explains each problem in plain words.
type DoctorCommand struct {
	Stdout io.Writer // nil: os.Stdout
}

// Summary implements command.
func (*DoctorCommand) Summary() string { return "check the modem, SIM and network, with fixes" }

// Run implements command.
func (dc *DoctorCommand) Run(ctx context.Context, args []string) error {
	stdout := dc.Stdout
	if stdout == nil {
		stdout = os.Stdout
	}
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), doctorUsage)
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
	switch err := control.Call(cctx, cfg.Control.Socket, daemon.OpStatus, nil, &st); {
	case err == nil:
		fmt.Fprintln(stdout, "The daemon is running and holds the modem; this is its view.")
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
			fmt.Fprintf(stdout, "%s  %-14s %s\n", "SKIPPED", c.Name, c.Detail)
			continue
		}
		if !c.OK {
			mark = "PROBLEM"
			problems++
		}
		fmt.Fprintf(stdout, "%s  %-14s %s\n", mark, c.Name, c.Detail)
		if !c.OK && c.Fix != "" {
			fmt.Fprintf(stdout, "         %-14s fix: %s\n", "", c.Fix)
		}
	}
	files := cfg.CheckFilePermissions()
	for _, p := range files {
		fmt.Fprintf(stdout, "%s  %-14s %s\n", "PROBLEM", "secret files", p.Description())
		fmt.Fprintf(stdout, "         %-14s fix: %s\n", "", p.Fix)
		problems++
	}
	if len(files) == 0 {
		fmt.Fprintf(stdout, "%s  %-14s %s\n", "OK     ", "secret files", "the box key, the Fineract password and the store are closed to other users")
	}
	if cfg.Mifos.BaseURL != "" {
		setup, err := daemon.CheckFineractConfig(cctx, cfg, time.Now())
		if err != nil {
			return err
		}
		for _, c := range setup {
			mark := "OK     "
			switch {
			case !c.OK:
				mark = "PROBLEM"
				problems++
			case c.Warn:
				mark = "WARN   "
			}
			fmt.Fprintf(stdout, "%s  %-14s %s\n", mark, c.Name, c.Detail)
			if c.Fix != "" && (!c.OK || c.Warn) {
				fmt.Fprintf(stdout, "         %-14s fix: %s\n", "", c.Fix)
			}
		}
	}
	if problems > 0 {
		return fmt.Errorf("%d problem(s) found", problems)
	}
	fmt.Fprintln(stdout, "All checks passed.")
	return nil
}
