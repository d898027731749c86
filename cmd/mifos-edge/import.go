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
	"github.com/mifos-edge/mifos-edge/payments"
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

// statementOperator is the operator of the rows mpesastatement reads.
const statementOperator = "mpesa-ke"

// importBatch is how many rows go to the daemon per call: short calls,
// and the daemon never holds more than this of a statement.
const importBatch = 200

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
	if !slices.Contains(cfg.MobileMoney.Operators, statementOperator) {
		return fmt.Errorf("an M-PESA statement holds %s payments, and [mobile_money] operators does not take them (%s): add %q",
			statementOperator, strings.Join(cfg.MobileMoney.Operators, ", "), statementOperator)
	}
	f, err := os.Open(pos[1])
	if err != nil {
		return err
	}
	defer f.Close()
	rd, err := mpesastatement.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[1], err)
	}
	out := c.Stdout
	if out == nil {
		out = os.Stdout
	}
	imp := &statementImport{rd: rd, dryRun: *dryRun, rep: newImportReport(filepath.Base(pos[1]), *dryRun, max(*list, 0))}

	// The daemon answers a lookup when it runs; otherwise the whole import
	// runs here on the store (and the daemon posts what was journaled when
	// it starts).
	var probe []daemon.ImportResult
	viaDaemon, err := withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpPaymentKnown, daemon.KnownArgs{Operator: statementOperator}, &probe, func(db *store.DB) error {
		b := &localImport{db: db}
		if !*dryRun {
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			core, err := daemon.NewLocalPayments(cfg, db, log)
			if err != nil {
				return err
			}
			b.core = core
		}
		imp.rep.where = "on the store (no daemon runs): what was matched is posted to Mifos when the daemon starts"
		return imp.run(ctx, b)
	})
	if viaDaemon && err == nil {
		imp.rep.where = "through the running daemon"
		err = imp.run(ctx, &daemonImport{socket: cfg.Control.Socket})
	}
	if imp.started {
		// Whatever was done before a failure is reported.
		imp.rep.print(out)
	}
	return err
}

// importBackend is where the rows go: the running daemon or the store.
type importBackend interface {
	record(ctx context.Context, batch []mobilemoney.Payment) ([]daemon.ImportResult, error)
	known(ctx context.Context, a daemon.KnownArgs) ([]daemon.ImportResult, error)
	receipts(ctx context.Context, a daemon.ReceiptsArgs) (daemon.ReceiptsPage, error)
}

type daemonImport struct{ socket string }

func (d *daemonImport) call(ctx context.Context, wait time.Duration, op string, args, out any) error {
	cctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return control.Call(cctx, d.socket, op, args, out)
}

func (d *daemonImport) record(ctx context.Context, batch []mobilemoney.Payment) (out []daemon.ImportResult, err error) {
	return out, d.call(ctx, importBatchWait, daemon.OpPaymentImport, daemon.ImportArgs{Payments: batch}, &out)
}

func (d *daemonImport) known(ctx context.Context, a daemon.KnownArgs) (out []daemon.ImportResult, err error) {
	return out, d.call(ctx, defaultWait, daemon.OpPaymentKnown, a, &out)
}

func (d *daemonImport) receipts(ctx context.Context, a daemon.ReceiptsArgs) (out daemon.ReceiptsPage, err error) {
	return out, d.call(ctx, defaultWait, daemon.OpPaymentReceipts, a, &out)
}

type localImport struct {
	db   *store.DB
	core *payments.Core // nil for a dry run
}

func (l *localImport) record(ctx context.Context, batch []mobilemoney.Payment) ([]daemon.ImportResult, error) {
	return daemon.ImportPayments(ctx, l.core, batch)
}

func (l *localImport) known(_ context.Context, a daemon.KnownArgs) ([]daemon.ImportResult, error) {
	return daemon.KnownPayments(l.db, a)
}

func (l *localImport) receipts(_ context.Context, a daemon.ReceiptsArgs) (daemon.ReceiptsPage, error) {
	return daemon.PaymentReceipts(l.db, a)
}

// statementImport reads the statement once, a batch of payments at a
// time, and fills the report. What it keeps for the whole file is the set
// of receipt numbers on it (under 100 bytes each: 10,000 rows, under a
// megabyte) for the reconciliation, plus what the report lists (capped).
type statementImport struct {
	rd      *mpesastatement.Reader
	dryRun  bool
	rep     *importReport
	started bool
	// onStatement: receipt → "" for a payment row, else the status of a
	// row that moved no money (Failed, Cancelled…).
	onStatement map[string]string
	batch       []mpesastatement.Row
}

func (s *statementImport) run(ctx context.Context, b importBackend) error {
	s.started = true
	s.onStatement = make(map[string]string)
	for {
		row, err := s.rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.rep.readErr = err.Error()
			return err // the file stopped being readable: what was read is reported
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.rep.rows++
		switch row.Outcome {
		case mpesastatement.Import:
			id := row.Payment.TxnID
			if status, dup := s.onStatement[id]; dup && status == "" {
				s.rep.repeated(row)
				continue
			}
			s.onStatement[id] = ""
			s.batch = append(s.batch, row)
			if len(s.batch) == importBatch {
				if err := s.flush(ctx, b); err != nil {
					return err
				}
			}
		case mpesastatement.Skip:
			s.rep.skip(row)
			if row.Skip == mpesastatement.SkipNotCompleted && row.Payment.TxnID != "" {
				if _, ok := s.onStatement[row.Payment.TxnID]; !ok {
					s.onStatement[row.Payment.TxnID] = row.Status
				}
			}
		case mpesastatement.Broken:
			s.rep.broke(row)
		}
	}
	if err := s.flush(ctx, b); err != nil {
		return err
	}
	return s.reconcile(ctx, b)
}

func (s *statementImport) flush(ctx context.Context, b importBackend) error {
	if len(s.batch) == 0 {
		return nil
	}
	var res []daemon.ImportResult
	var err error
	if s.dryRun {
		ids := make([]string, len(s.batch))
		for i, r := range s.batch {
			ids[i] = r.Payment.TxnID
		}
		res, err = b.known(ctx, daemon.KnownArgs{Operator: statementOperator, TxnIDs: ids})
	} else {
		ps := make([]mobilemoney.Payment, len(s.batch))
		for i, r := range s.batch {
			ps[i] = r.Payment
		}
		res, err = b.record(ctx, ps)
	}
	if err == nil && len(res) != len(s.batch) {
		err = fmt.Errorf("%d answers for %d payments", len(res), len(s.batch))
	}
	if err != nil {
		return fmt.Errorf("rows %d to %d: %w", s.batch[0].Line, s.batch[len(s.batch)-1].Line, err)
	}
	for i, r := range res {
		s.rep.result(s.batch[i], r)
	}
	s.batch = s.batch[:0]
	return nil
}

// reconcile lists the receipts the box holds inside the statement's
// period that the statement does not have as a completed payment.
func (s *statementImport) reconcile(ctx context.Context, b importBackend) error {
	p := s.rd.Period()
	span := p.Span()
	s.rep.period, s.rep.declared = span, !p.Declared.IsZero()
	if span.IsZero() {
		return nil
	}
	a := daemon.ReceiptsArgs{Operator: statementOperator, From: span.From, To: span.To}
	for {
		page, err := b.receipts(ctx, a)
		if err != nil {
			return fmt.Errorf("listing the receipts inside the statement's period: %w", err)
		}
		for _, r := range page.Receipts {
			status, on := s.onStatement[r.TxnID]
			if on && status == "" {
				continue
			}
			s.rep.unlisted(r, status)
		}
		if page.Next == 0 {
			s.rep.reconciled = true
			return nil
		}
		a.Before = page.Next
	}
}
