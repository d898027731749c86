package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/mifos-edge/mifos-edge/api"
	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

const paymentsUsage = `usage: mifos-edge payments --config FILE [--state STATE] [--json] [--limit N]
       mifos-edge payments assign --config FILE TXN_ID --account ACCOUNT_NO [--operator NAME]
       mifos-edge payments undo --config FILE TXN_ID [--operator NAME]

Lists the mobile-money payments the box received (operator SMS, statement,
API), newest first, with where each stands: pending (recorded, not yet in
Mifos), posted, failed (Mifos refused it; see the reason), suspense (no
account could be chosen safely), ignored, reversal-pending, reversed.

assign posts a payment in suspense to a loan or savings account number;
the account must be active and in the payment's currency.

undo reverses in Mifos what a payment posted, once the operator reversed
it (state reversal-pending): each loan repayment and savings deposit of the
payment is undone, then the payment is reversed. Running it again changes
nothing. A posted payment without the operator's reversal notice is not
undone here: undo it in Mifos itself.`

func init() { register("payments", &PaymentsCommand{}) }

// PaymentsCommand lists mobile-money payments and assigns one in suspense.
type PaymentsCommand struct{}

// Summary implements command.
func (*PaymentsCommand) Summary() string {
	return "list mobile-money payments; assign one in suspense to an account"
}

// parseInterleaved parses flags that may come before and after the
// positional arguments ("assign --config F TXN --account A").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// Run implements command.
func (c *PaymentsCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("payments", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	state := fs.String("state", "", "only this state: "+strings.Join(stateNames(), ", "))
	asJSON := fs.Bool("json", false, "print a JSON array (the keys of docs/mobile-money.md)")
	limit := fs.Int("limit", 500, "at most this many, newest first")
	account := fs.String("account", "", "assign: the loan or savings account number")
	operator := fs.String("operator", "", "assign, undo: the operator, when the id is known for more than one")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), paymentsUsage)
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if len(pos) > 0 && pos[0] == "undo" {
		if len(pos) != 2 || *account != "" {
			fs.Usage()
			return errors.New("use: payments undo TXN_ID [--operator NAME]")
		}
		return undoPayment(ctx, cfg, daemon.PaymentUndoArgs{Operator: *operator, TxnID: pos[1]})
	}
	if len(pos) > 0 {
		if pos[0] != "assign" || len(pos) != 2 || *account == "" {
			fs.Usage()
			return errors.New("use: payments assign TXN_ID --account ACCOUNT_NO")
		}
		a := daemon.PaymentAssignArgs{Operator: *operator, TxnID: pos[1], Account: *account}
		var p store.Payment
		_, err := withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpPaymentAssign, a, &p, func(db *store.DB) error {
			core, err := daemon.NewLocalPayments(cfg, db, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
			if err != nil {
				return err
			}
			p, err = core.Assign(ctx, a.Operator, a.TxnID, a.Account)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Printf("payment %s %s assigned to %s: %s\n", p.Operator, p.TxnID, p.AccountNo, p.State)
		return nil
	}
	if *state != "" && !slices.Contains(stateNames(), *state) {
		return fmt.Errorf("--state %q is not a payment state (%s)", *state, strings.Join(stateNames(), ", "))
	}
	args2 := daemon.PaymentListArgs{State: *state, Limit: *limit}
	var list []store.Payment
	_, err = withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpPayments, args2, &list, func(db *store.DB) (err error) {
		list, err = daemon.ListPayments(db, args2)
		return err
	})
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]api.Payment, 0, len(list))
		for _, p := range list {
			out = append(out, api.PaymentOf(p))
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tOPERATOR\tTXN\tAMOUNT\tREF\tSTATE\tACCOUNT\tSOURCE\tREASON")
	for _, p := range list {
		v := api.PaymentOf(p)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\t%s\t%s\t%s\t%s\n", p.ReceivedAt.Local().Format("2006-01-02 15:04"), p.Operator, p.TxnID,
			p.Currency, mifos.Amount(p.Amount).Format(2), p.AccountRef, p.State, p.AccountNo, p.Source, v.Reason)
	}
	return tw.Flush()
}

// undoPayment runs the undo through the daemon, or on the store when no
// daemon runs.
func undoPayment(ctx context.Context, cfg *config.Config, a daemon.PaymentUndoArgs) error {
	var p store.Payment
	_, err := withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpPaymentUndo, a, &p, func(db *store.DB) error {
		core, err := daemon.NewLocalPayments(cfg, db, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		if err != nil {
			return err
		}
		p, err = core.Undo(ctx, a.Operator, a.TxnID)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("payment %s %s: %s (%s)\n", p.Operator, p.TxnID, p.State, p.Reason)
	return nil
}

func stateNames() []string {
	var out []string
	for _, s := range store.PaymentStates {
		out = append(out, string(s))
	}
	return out
}
