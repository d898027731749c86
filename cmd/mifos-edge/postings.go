package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

const postingsUsage = `usage: mifos-edge postings --config FILE [--state failed] [--limit N]
       mifos-edge postings --config FILE requeue ID

Lists the journal of postings to Fineract. A failed posting (refused by
Fineract, e.g. a closed loan) can be sent again with requeue once the cause
is fixed; the same external id keeps it from posting twice.`

func init() { register("postings", &PostingsCommand{}) }

// PostingsCommand lists the journal of Fineract postings and sends a
// failed one again once a person has fixed the cause.
type PostingsCommand struct{}

// Summary implements command.
func (*PostingsCommand) Summary() string { return "list Fineract postings; requeue a failed one" }

// Run implements command.
func (*PostingsCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("postings", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	state := fs.String("state", "", "only this state: pending, posting, done, awaiting_approval, failed")
	limit := fs.Int("limit", 50, "at most this many, newest first")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), postingsUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		if fs.Arg(0) != "requeue" || fs.NArg() != 2 {
			fs.Usage()
			return errors.New("unknown postings action; use 'requeue ID'")
		}
		id, err := strconv.ParseUint(fs.Arg(1), 10, 64)
		if err != nil {
			return fmt.Errorf("posting id %q is not a number", fs.Arg(1))
		}
		_, err = withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpJournalRequeue, id, nil, func(db *store.DB) error {
			return db.RequeueJournal(id)
		})
		if err != nil {
			return err
		}
		fmt.Printf("posting %d queued again\n", id)
		return nil
	}
	var list []store.JournalEntry
	_, err = withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpJournal, daemon.ListArgs{State: *state, Limit: *limit}, &list, func(db *store.DB) (err error) {
		list, err = db.ListJournal(store.JournalState(*state), *limit)
		return err
	})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tKIND\tCLIENT\tACCOUNT\tAMOUNT\tDATE\tFINERACT\tWHY")
	for _, e := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%v\t%s\n", e.ID, e.State, e.Kind, firstNonEmpty(e.ClientName, e.ClientRef),
			firstNonEmpty(e.AccountNo, e.ItemRef), mifos.Amount(e.Amount).Format(2), e.Date, e.FineractTxnIDs, firstNonEmpty(e.Outcome, e.LastError))
	}
	return tw.Flush()
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
