package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/store"
)

const remindUsage = `usage: mifos-edge remind --config FILE [--group ID | --staff-id ID] [--dry-run]

Finds every client with an overdue loan (from the repayment schedule, as of
the Fineract business date) and queues an SMS with the amount due and the
date of their group's next meeting.`

func init() { register("remind", &RemindCommand{}) }

// RemindCommand sends overdue-loan reminders with the next meeting date.
type RemindCommand struct{}

// Summary implements command.
func (*RemindCommand) Summary() string {
	return "SMS every client with an overdue loan (amount due, next meeting)"
}

// Run implements command.
func (*RemindCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("remind", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	group := fs.Int64("group", 0, "only this Fineract group id")
	staff := fs.Int64("staff-id", 0, "only the groups of this loan officer (Fineract staff id)")
	dry := fs.Bool("dry-run", false, "list the reminders without sending them")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), remindUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	a := daemon.RemindArgs{GroupID: *group, StaffID: *staff, DryRun: *dry}
	// A reminder run asks Fineract about every client of the groups.
	const remindWait = 10 * time.Minute
	var res daemon.RemindResult
	_, err = withDaemonOrStore(ctx, cfg, remindWait, daemon.OpRemind, a, &res, func(db *store.DB) error {
		key, err := loadBoxKey(cfg)
		if err != nil {
			return err
		}
		env, err := daemon.NewStandaloneEnv(cfg, db, key)
		if err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, remindWait)
		defer cancel()
		res, err = daemon.RunReminders(cctx, env, a)
		return err
	})
	if err != nil {
		return err
	}
	for _, r := range res.Reminders {
		fmt.Printf("%-16s %-24s %s\n", r.Phone, r.Name, r.Text)
	}
	fmt.Println(res.Summary)
	switch {
	case *dry:
		fmt.Println("dry run: nothing was sent")
	case res.Queued:
		fmt.Println("queued; they go out as the modem sends them")
	}
	return nil
}
