package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/mobilemoney/mpesastatement"
	"github.com/mifos-edge/mifos-edge/reconcile"
	"github.com/mifos-edge/mifos-edge/store"
)

const importUsage = `usage: mifos-edge import mpesa-statement --config FILE [--dry-run] [--list N] STATEMENT.csv

Reads an M-PESA organisation statement (the portal's CSV export), records
every client payment on it that the box does not know yet (source
"statement": matched and posted to Mifos like an SMS payment, or put in
suspense), and prints the reconciliation: posted now, already known,
to suspense, skipped rows by reason, broken rows, and the receipts the box
holds inside the statement's period that are NOT on the statement
(possible forgeries). Importing the same file again posts nothing.

--dry-run records nothing and says what an import would do.
The exit status is non-zero only when the file cannot be read as a
statement; broken rows are reported, not fatal.`

// importBatchWait bounds one batch: matching is a few Fineract reads per
// payment, each bounded; a slow link may take minutes for 200.
const importBatchWait = 10 * time.Minute

func init() { register("import", &ImportCommand{}) }

// ImportCommand imports an operator's statement and reconciles it.
type ImportCommand struct {
	Stdout io.Writer // default os.Stdout
}

// Summary implements command.
func (*ImportCommand) Summary() string {
	return "import an M-PESA statement: post what the SMS missed, list what does not agree"
}

// Run implements command.
func (c *ImportCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	dryRun := fs.Bool("dry-run", false, "record nothing; say what an import would do")
	list := fs.Int("list", 100, "at most this many rows listed per section (counts are always whole)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), importUsage)
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "mpesa-statement" {
		fs.Usage()
		return errors.New("use: import mpesa-statement --config FILE STATEMENT.csv")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if !slices.Contains(cfg.MobileMoney.Operators, reconcile.Operator) {
		return fmt.Errorf("an M-PESA statement holds %s payments, and [mobile_money] operators does not take them (%s): add %q",
			reconcile.Operator, strings.Join(cfg.MobileMoney.Operators, ", "), reconcile.Operator)
	}
	f, err := os.Open(pos[1])
	if err != nil {
		return err
	}
	defer f.Close()
	// The header is checked before anything else is looked at.
	if _, err := mpesastatement.NewReader(f); err != nil {
		return fmt.Errorf("%s: %w", pos[1], err)
	}
	out := c.Stdout
	if out == nil {
		out = os.Stdout
	}
	opts := reconcile.Options{File: filepath.Base(pos[1]), DryRun: *dryRun, List: *list}
	var rep *reconcile.Report

	// The daemon answers a lookup when it runs; otherwise the whole import
	// runs here on the store (and the daemon posts what was journaled when
	// it starts).
	var probe []daemon.ImportResult
	viaDaemon, err := withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpPaymentKnown, daemon.KnownArgs{Operator: reconcile.Operator}, &probe, func(db *store.DB) error {
		b := daemon.StoreImport{DB: db}
		if !*dryRun {
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			core, err := daemon.NewLocalPayments(cfg, db, log)
			if err != nil {
				return err
			}
			b.Core = core
		}
		var err error
		rep, err = reconcile.Statement(ctx, f, b, opts)
		if rep == nil {
			return err
		}
		rep.Where = "on the store (no daemon runs): what was matched is posted to Mifos when the daemon starts"
		return err
	})
	if viaDaemon && err == nil {
		rep, err = reconcile.Statement(ctx, f, &daemonImport{socket: cfg.Control.Socket}, opts)
		if rep != nil {
			rep.Where = "through the running daemon"
		}
	}
	if rep != nil {
		// Whatever was done before a failure is reported.
		printReport(out, rep)
	}
	return err
}

// daemonImport is reconcile's backend through the running daemon's
// control socket.
type daemonImport struct{ socket string }

func (d *daemonImport) call(ctx context.Context, wait time.Duration, op string, args, out any) error {
	cctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return control.Call(cctx, d.socket, op, args, out)
}

func (d *daemonImport) Record(ctx context.Context, batch []mobilemoney.Payment) (out []daemon.ImportResult, err error) {
	return out, d.call(ctx, importBatchWait, daemon.OpPaymentImport, daemon.ImportArgs{Payments: batch}, &out)
}

func (d *daemonImport) Known(ctx context.Context, a daemon.KnownArgs) (out []daemon.ImportResult, err error) {
	return out, d.call(ctx, defaultWait, daemon.OpPaymentKnown, a, &out)
}

func (d *daemonImport) Receipts(ctx context.Context, a daemon.ReceiptsArgs) (out daemon.ReceiptsPage, err error) {
	return out, d.call(ctx, defaultWait, daemon.OpPaymentReceipts, a, &out)
}
