package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/store"
)

const outboxUsage = `usage: mifos-edge outbox --config FILE [--state STATE] [--limit N]

Lists outgoing SMS, newest first: their state in the send queue (queued,
submitting, submitted, unknown, failed) and what the network's delivery
reports say of a submitted one (DELIVERY: pending, delivered or failed;
empty when no report was asked for or none came yet).`

func init() { register("outbox", &OutboxCommand{}) }

// OutboxCommand lists outgoing SMS with their send and delivery state.
type OutboxCommand struct{}

// Summary implements command.
func (*OutboxCommand) Summary() string { return "list outgoing SMS and whether they were delivered" }

// Run implements command.
func (*OutboxCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("outbox", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	state := fs.String("state", "", "only this state: queued, submitting, submitted, unknown, failed")
	limit := fs.Int("limit", 50, "at most this many, newest first")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), outboxUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errors.New("outbox takes no arguments besides its options")
	}
	if *limit < 1 {
		return fmt.Errorf("--limit must be at least 1, got %d", *limit)
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	var list []store.Outbound
	_, err = withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpOutbox, daemon.ListArgs{State: *state, Limit: *limit}, &list, func(db *store.DB) (err error) {
		list, err = db.ListOutbound(store.OutState(*state), *limit)
		return err
	})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTO\tSTATE\tDELIVERY\tPARTS\tSUBMITTED\tDELIVERED\tWHY")
	for _, o := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", o.ID, o.To, o.State, orDash(string(o.Delivery)),
			o.PartsDone, max(o.TotalParts, o.PartsDone), stamp(o.SubmittedAt), stamp(o.DeliveredAt), o.LastError)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
