package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/daemon"
)

func init() { register("status", &StatusCommand{}) }

// StatusCommand shows the running daemon's modem and queue state.
type StatusCommand struct{}

// Summary implements command.
func (*StatusCommand) Summary() string { return "show the running daemon's modem and queues" }

// Run implements command.
func (*StatusCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var st daemon.StatusResult
	if err := control.Call(cctx, cfg.Control.Socket, daemon.OpStatus, nil, &st); err != nil {
		if errors.Is(err, control.ErrNoDaemon) {
			return fmt.Errorf("%w; start it with 'systemctl start mifos-edge' or 'mifos-edge run --config %s'", err, *cfgPath)
		}
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	m := st.Modem
	fmt.Printf("daemon:   up since %s\n", st.Started.Format(time.DateTime))
	fmt.Printf("modem:    %s (%s)", m.State, m.Device)
	if m.LastError != "" {
		fmt.Printf(" — %s", m.LastError)
	}
	fmt.Println()
	fmt.Printf("          IMEI %s, IMSI %s, signal %s, network %s %s, SMSC %s, storage %d/%d, reconnects %d\n",
		m.IMEI, m.IMSI, m.SignalText, m.RegistrationText, m.Operator, m.SMSC, m.StorageUsed, m.StorageTotal, m.Reconnects)
	s := st.Store
	fmt.Printf("inbox:    %d waiting, %d handled, %d parked for review, %d long SMS incomplete\n", s.Pending, s.Handled, s.Parked, s.IncompleteSets)
	fmt.Printf("outbox:   %d queued, %d submitting, %d sent, %d unknown outcome, %d failed\n", s.Queued, s.Submitting, s.Submitted, s.Unknown, s.Failed)
	j := s.Journal
	fmt.Printf("postings: %d waiting, %d in flight, %d posted, %d awaiting approval, %d failed (for a person)\n", j.Pending, j.Posting, j.Done, j.AwaitingApproval, j.Failed)
	printFineractStatus(os.Stdout, st.Fineract)
	return nil
}

// printFineractStatus shows the daemon's last Fineract setup check: its
// problems, each with its fix, and that postings wait on them.
func printFineractStatus(w io.Writer, f *daemon.FineractStatus) {
	if f == nil {
		return
	}
	problems := f.Problems()
	if len(problems) == 0 {
		fmt.Fprintf(w, "fineract: setup OK (checked %s)\n", f.CheckedAt.Format(time.DateTime))
	} else {
		fmt.Fprintf(w, "fineract: %d setup problem(s) (checked %s); postings that need it wait until it is fixed:\n", len(problems), f.CheckedAt.Format(time.DateTime))
	}
	for _, c := range f.Checks {
		if c.OK && !c.Warn {
			continue
		}
		mark := "WARN   "
		if !c.OK {
			mark = "PROBLEM"
		}
		fmt.Fprintf(w, "          %s %s: %s\n", mark, c.Name, c.Detail)
		if c.Fix != "" {
			fmt.Fprintf(w, "                  fix: %s\n", c.Fix)
		}
	}
}
