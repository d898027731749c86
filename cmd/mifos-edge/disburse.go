package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/disburse"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

const disburseUsage = `usage: mifos-edge disburse create --config FILE --staff-id N LOAN_ID[=AMOUNT]...
       mifos-edge disburse edit --config FILE BATCH_ID LOAN_ID[=AMOUNT]...
       mifos-edge disburse approve --config FILE --user NAME BATCH_ID
       mifos-edge disburse send --config FILE BATCH_ID
       mifos-edge disburse cancel --config FILE BATCH_ID
       mifos-edge disburse list --config FILE [--batch ID] [--audit] [--json]
       mifos-edge disburse resolve --config FILE LINE_ID --successful CONFIRMATION | --failed REASON

Pays approved loans out to the clients' mobile wallets (docs/disbursement.md).

create builds a batch from loans Mifos shows approved and not yet disbursed,
all of loan officer N: each line is the client, the loan, the mobile number
Mifos holds and the amount (the approved amount unless =AMOUNT is given).
Nothing is paid yet. When the total is above the officer's limit
([disbursement] limits) the batch waits for a second person's approval.

approve records the approval of user NAME ([[disbursement.approver]]), who
must not be the batch's officer. An approval covers exactly the lines it
saw: a batch cannot be changed once approved.

send pays a ready or approved batch, line by line. Each line ends
successful (with the operator's confirmation number, and the loan
disbursed in Mifos), failed (with the reason; nothing paid) or unknown
(no clear answer: the operator is asked, the line is never sent again).

resolve settles an unknown line after checking with the operator.`

func init() { register("disburse", &DisburseCommand{}) }

// DisburseCommand builds, approves, sends and lists disbursement batches.
type DisburseCommand struct{}

// Summary implements command.
func (*DisburseCommand) Summary() string {
	return "pay approved loans to clients' mobile wallets: build, approve, send, list batches"
}

// cliWho names the person running the command for the audit trail.
func cliWho() string {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return fmt.Sprintf("cli (%s, uid %d)", name, os.Getuid())
}

// Run implements command.
func (c *DisburseCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("disburse", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	staff := fs.Int64("staff-id", 0, "create: the loan officer's Fineract staff id")
	userName := fs.String("user", "", "approve: the approver's Mifos user name")
	asJSON := fs.Bool("json", false, "list, create: print JSON (keys in docs/disbursement.md)")
	batchID := fs.Uint64("batch", 0, "list: only this batch")
	audit := fs.Bool("audit", false, "list: with every step of each batch's history")
	successful := fs.String("successful", "", "resolve: the line was paid; the operator's confirmation number")
	failed := fs.String("failed", "", "resolve: the line was not paid; why")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), disburseUsage)
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return errors.New("say what to do: create, edit, approve, send, cancel, list or resolve")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	verb, rest := pos[0], pos[1:]
	switch verb {
	case "create":
		if *staff <= 0 || len(rest) == 0 {
			return errors.New("use: disburse create --staff-id N LOAN_ID[=AMOUNT] [LOAN_ID[=AMOUNT] ...]")
		}
		items, err := parseDisburseItems(rest)
		if err != nil {
			return err
		}
		a := daemon.DisburseCreateArgs{StaffID: *staff, Items: items, By: fmt.Sprintf("staff %d via %s", *staff, cliWho())}
		var res daemon.DisburseCreateResult
		err = c.withBuilder(ctx, cfg, daemon.OpDisburseCreate, a, &res, func(b *disburse.Builder, _ func(context.Context) mifosDate) (err error) {
			res, err = daemon.DisburseCreate(ctx, b, a)
			return err
		})
		if err != nil {
			return err
		}
		return printBuilt(res, *asJSON)
	case "edit":
		if len(rest) < 2 {
			return errors.New("use: disburse edit BATCH_ID LOAN_ID[=AMOUNT] [LOAN_ID[=AMOUNT] ...]")
		}
		id, err := parseID(rest[0], "batch")
		if err != nil {
			return err
		}
		items, err := parseDisburseItems(rest[1:])
		if err != nil {
			return err
		}
		a := daemon.DisburseEditArgs{Batch: id, Items: items, By: cliWho()}
		var res daemon.DisburseCreateResult
		err = c.withBuilder(ctx, cfg, daemon.OpDisburseEdit, a, &res, func(b *disburse.Builder, _ func(context.Context) mifosDate) (err error) {
			res, err = daemon.DisburseEdit(ctx, b, a)
			return err
		})
		if err != nil {
			return err
		}
		return printBuilt(res, *asJSON)
	case "approve", "send", "cancel":
		if len(rest) != 1 || (verb == "approve" && *userName == "") {
			return fmt.Errorf("use: disburse %s BATCH_ID%s", verb, map[bool]string{true: " --user NAME", false: ""}[verb == "approve"])
		}
		id, err := parseID(rest[0], "batch")
		if err != nil {
			return err
		}
		who := cliWho()
		if verb == "approve" {
			who = *userName
		}
		a := daemon.DisburseBatchArgs{Batch: id, User: who}
		op := map[string]string{"approve": daemon.OpDisburseApprove, "send": daemon.OpDisburseSend, "cancel": daemon.OpDisburseCancel}[verb]
		var b store.DisburseBatch
		_, err = withDaemonOrStore(ctx, cfg, defaultWait, op, a, &b, func(db *store.DB) error {
			if !cfg.Disbursement.Enabled() {
				return daemon.ErrDisburseOff
			}
			// Approve, send and cancel change only the store: no Fineract needed.
			bd := &disburse.Builder{DB: db, Policy: daemon.DisbursePolicy(cfg.Disbursement)}
			switch verb {
			case "approve":
				b, err = bd.Approve(id, who, "")
			case "send":
				b, err = bd.Send(id, who)
			default:
				b, err = bd.Cancel(id, who)
			}
			return err
		})
		if err != nil {
			return err
		}
		switch verb {
		case "approve":
			fmt.Printf("batch %d approved by %s: %d lines; send it with: mifos-edge disburse send %d\n", b.ID, b.ApprovedBy, len(b.Lines), b.ID)
		case "send":
			fmt.Printf("batch %d is being paid (%d lines); follow it with: mifos-edge disburse list --batch %d\n", b.ID, len(b.Lines), b.ID)
		default:
			fmt.Printf("batch %d cancelled; nothing was paid\n", b.ID)
		}
		return nil
	case "resolve":
		if len(rest) != 1 || (*successful == "") == (*failed == "") {
			return errors.New("use: disburse resolve LINE_ID --successful CONFIRMATION | --failed REASON")
		}
		id, err := parseID(rest[0], "line")
		if err != nil {
			return err
		}
		a := daemon.DisburseResolveArgs{Line: id, Successful: *successful != "", Confirmation: *successful, Reason: *failed, By: cliWho()}
		var v disburse.LineView
		err = c.withBuilder(ctx, cfg, daemon.OpDisburseResolve, a, &v, func(b *disburse.Builder, today func(context.Context) mifosDate) (err error) {
			v, err = daemon.DisburseResolve(ctx, cfg, b, today, a)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Printf("line %d is %s", v.ID, v.State)
		if v.Confirmation != "" {
			fmt.Printf(" (confirmation %s); the loan is disbursed in Mifos by the service", v.Confirmation)
		}
		fmt.Println()
		return nil
	case "list":
		a := daemon.DisburseListArgs{Batch: *batchID, Audit: *audit}
		var list []disburse.BatchView
		_, err := withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpDisburseList, a, &list, func(db *store.DB) (err error) {
			list, err = daemon.DisburseList(db, a)
			return err
		})
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(list)
		}
		return printBatches(os.Stdout, list)
	}
	fs.Usage()
	return fmt.Errorf("%q is not a disburse command (create, edit, approve, send, cancel, list, resolve)", verb)
}

// mifosDate is what "today" is for a resolved line.
type mifosDate = mifos.Date

// withBuilder runs op through the daemon, or with a local builder (and
// Fineract) on the store when no daemon runs.
func (c *DisburseCommand) withBuilder(ctx context.Context, cfg *config.Config, op string, args, out any, local func(b *disburse.Builder, today func(context.Context) mifosDate) error) error {
	_, err := withDaemonOrStore(ctx, cfg, 2*time.Minute, op, args, out, func(db *store.DB) error {
		b, env, err := daemon.NewLocalBuilder(cfg, db, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		if err != nil {
			return err
		}
		return local(b, env.Today)
	})
	return err
}

func parseID(s, what string) (uint64, error) {
	id, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("%q is not a %s id", s, what)
	}
	return id, nil
}

// parseDisburseItems reads LOAN_ID[=AMOUNT] arguments.
func parseDisburseItems(args []string) ([]daemon.DisburseItem, error) {
	var out []daemon.DisburseItem
	for _, a := range args {
		loan, amount, _ := strings.Cut(a, "=")
		id, err := strconv.ParseInt(strings.TrimSpace(loan), 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("%q is not LOAN_ID or LOAN_ID=AMOUNT (a loan id is a number, as in Mifos's loan page address)", a)
		}
		out = append(out, daemon.DisburseItem{LoanID: id, Amount: strings.ReplaceAll(strings.TrimSpace(amount), ",", "")})
	}
	return out, nil
}

func printBuilt(res daemon.DisburseCreateResult, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	b := res.Batch
	if b.NeedsApproval {
		fmt.Printf("batch %d built: %d lines, total %s, above the limit of %s: needs approval by a second person (mifos-edge disburse approve --user NAME %d)\n",
			b.ID, len(b.Lines), b.Total, b.Limit, b.ID)
	} else {
		fmt.Printf("batch %d built: %d lines, total %s, within the limit of %s: no approval needed; send it with: mifos-edge disburse send %d\n",
			b.ID, len(b.Lines), b.Total, b.Limit, b.ID)
	}
	return printBatches(os.Stdout, []disburse.BatchView{b})
}

func printBatches(w io.Writer, list []disburse.BatchView) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, b := range list {
		fmt.Fprintf(tw, "BATCH %d\t%s\tstaff %d %s\ttotal %s\tbuilt by %s", b.ID, b.State, b.StaffID, b.Staff, b.Total, b.CreatedBy)
		if b.ApprovedBy != "" {
			fmt.Fprintf(tw, "\tapproved by %s", b.ApprovedBy)
		}
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "  LINE\tLOAN\tCLIENT\tPHONE\tAMOUNT\tSTATE\tCONFIRMATION\tTIME\tMIFOS TXN\tREASON")
		for _, l := range b.Lines {
			at := ""
			if l.Time != nil {
				at = l.Time.Local().Format("2006-01-02 15:04")
			}
			txn := ""
			if l.FineractTxnID != 0 {
				txn = strconv.FormatInt(l.FineractTxnID, 10)
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.ID, l.AccountNo, l.Client, l.Phone, l.Amount, l.State, l.Confirmation, at, txn, l.Reason)
		}
		for _, a := range b.Audit {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.At.Local().Format("2006-01-02 15:04:05"), a.Who, a.What)
		}
	}
	return tw.Flush()
}
