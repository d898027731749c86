package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/disburse"
	"github.com/mifos-edge/mifos-edge/disburse/daraja"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// Mobile disbursement (docs/disbursement.md): the batch builder and the
// engine (package disburse) on this daemon's store, Fineract, posting
// worker and outbox, with the provider [disbursement] names.

// Control operations of mobile disbursement.
const (
	OpDisburseCreate  = "disburse.create"
	OpDisburseEdit    = "disburse.edit"
	OpDisburseApprove = "disburse.approve"
	OpDisburseSend    = "disburse.send"
	OpDisburseCancel  = "disburse.cancel"
	OpDisburseResolve = "disburse.resolve"
	OpDisburseList    = "disburse.list"
)

// DisburseCreateArgs is the "disburse.create" argument.
type DisburseCreateArgs struct {
	StaffID int64          `json:"staff_id"`
	Items   []DisburseItem `json:"items"`
	// By is who built it, in words (the CLI: "cli, uid N").
	By string `json:"by"`
	// User is the builder's Mifos user name when known (the console).
	User string `json:"user,omitempty"`
}

// DisburseItem is one loan asked for; Amount "" = the approved amount.
type DisburseItem struct {
	LoanID int64  `json:"loan_id"`
	Amount string `json:"amount,omitempty"`
}

// DisburseEditArgs is the "disburse.edit" argument.
type DisburseEditArgs struct {
	Batch uint64         `json:"batch"`
	Items []DisburseItem `json:"items"`
	By    string         `json:"by"`
}

// DisburseBatchArgs names a batch and who acts ("disburse.approve",
// "disburse.send", "disburse.cancel"). Digest, when set, is what the
// approver was shown.
type DisburseBatchArgs struct {
	Batch  uint64 `json:"batch"`
	User   string `json:"user"`
	Digest string `json:"digest,omitempty"`
}

// DisburseResolveArgs is the "disburse.resolve" argument.
type DisburseResolveArgs struct {
	Line         uint64 `json:"line"`
	Successful   bool   `json:"successful"`
	Confirmation string `json:"confirmation,omitempty"`
	Reason       string `json:"reason,omitempty"`
	By           string `json:"by"`
}

// DisburseListArgs selects batches ("disburse.list"): Batch 0 = all.
type DisburseListArgs struct {
	Batch uint64 `json:"batch,omitempty"`
	Limit int    `json:"limit,omitempty"`
	Audit bool   `json:"audit,omitempty"`
}

// DisburseCreateResult is what building or changing a batch answers.
type DisburseCreateResult struct {
	Batch disburse.BatchView `json:"batch"`
	// Digest is what an approval covers.
	Digest string `json:"digest"`
}

// ErrDisburseOff means mobile disbursement is not configured.
var ErrDisburseOff = errors.New("mobile disbursement is off on this box: set [disbursement] provider and payment_type_id, and [mifos]")

// DisbursePolicy is [disbursement]'s limits and approvers.
func DisbursePolicy(d config.Disbursement) disburse.Policy {
	return disburse.Policy{
		LimitOf: func(staffID int64) int64 { return int64(d.LimitOf(staffID)) * 1_000_000 },
		MaxLine: int64(d.MaxLineAmount) * 1_000_000,
		Approver: func(user string) (int64, bool) {
			a, ok := d.ApproverNamed(user)
			return a.StaffID, ok
		},
	}
}

// officerPhoneOf finds the enrolled officer of a staff id; without one
// the branch manager hears instead.
func officerPhoneOf(cfg *config.Config, db *store.DB) func(staffID int64) string {
	return func(staffID int64) string {
		officers, err := db.ListOfficers()
		if err == nil {
			for _, o := range officers {
				if o.StaffID == staffID {
					return o.Phone
				}
			}
		}
		return cfg.Officers.ManagerPhone
	}
}

// newBuilder is the batch builder on db and api.
func newBuilder(cfg *config.Config, db *store.DB, api disburse.Fineract, log *slog.Logger, sent func()) *disburse.Builder {
	return &disburse.Builder{DB: db, API: api, Policy: DisbursePolicy(cfg.Disbursement), Country: cfg.SMS.Country,
		BoxID: boxID(cfg), OfficerPhone: officerPhoneOf(cfg, db), Sent: sent, Log: log.With("component", "disburse")}
}

// wireDisburse builds the builder and the engine when disbursement is on.
func (d *Daemon) wireDisburse(api Fineract) error {
	if !d.cfg.Disbursement.Enabled() || d.poster == nil {
		return nil
	}
	fa, ok := api.(disburse.Fineract)
	if !ok {
		d.log.Warn("mobile disbursement is configured but this Fineract client cannot read loans; disbursement is off")
		return nil
	}
	eng := &disburse.Engine{DB: d.db, API: fa, Country: d.cfg.SMS.Country, PaymentTypeID: int64(d.cfg.Disbursement.PaymentTypeID), Today: d.env.Today,
		ResultWait: d.cfg.Disbursement.ResultWait.Duration, QueryEvery: d.cfg.Disbursement.QueryEvery.Duration,
		Journaled: d.poster.Nudge, Queued: func() { nudge(d.outboxReady) }, Log: d.log.With("component", "disburse")}
	p, c, callbacks, err := newDisburseProvider(d.cfg, eng, d.log)
	if err != nil {
		return fmt.Errorf("[disbursement]: %w", err)
	}
	eng.Provider, eng.Commander = p, c
	d.disburseEngine, d.disburseCallbacks = eng, callbacks
	d.builder = newBuilder(d.cfg, d.db, fa, d.log, eng.Nudge)
	return nil
}

// disburseReply hands an SMS from a sender that is not a person to the
// engine as a possible reply to a payment command.
func (d *Daemon) disburseReply(ctx context.Context, m store.Message, sender phoneSender) (bool, error) {
	if d.disburseEngine == nil || d.disburseEngine.Commander == nil || sender.Person() {
		return false, nil
	}
	return d.disburseEngine.Reply(ctx, m.Sender, m.Text, m.ReceivedAt)
}

// phoneSender is what disburseReply asks of a sender.
type phoneSender interface{ Person() bool }

var _ phoneSender = phone.Sender{}

// mountDisburse serves the provider's callbacks (Daraja's results).
func (d *Daemon) mountDisburse(mux *http.ServeMux) {
	if d.disburseCallbacks != nil {
		mux.Handle(daraja.CallbackPrefix, d.disburseCallbacks)
	}
}

// NewLocalBuilder is the builder for a CLI command run while no daemon
// runs: batches are stored here and paid by the daemon when it starts.
func NewLocalBuilder(cfg *config.Config, db *store.DB, log *slog.Logger) (*disburse.Builder, *handler.Env, error) {
	if !cfg.Disbursement.Enabled() {
		return nil, nil, ErrDisburseOff
	}
	api, err := newFineract(cfg, log, nil)
	if err != nil {
		return nil, nil, err
	}
	if api == nil {
		return nil, nil, ErrDisburseOff
	}
	zone, _ := cfg.Mifos.Location()
	env := &handler.Env{DB: db, API: api, Country: cfg.SMS.Country, Zone: zone, Log: log}
	return newBuilder(cfg, db, api, log, nil), env, nil
}

// DisburseItems turns the items' amounts into money.
func DisburseItems(items []DisburseItem) ([]disburse.Item, error) {
	out := make([]disburse.Item, 0, len(items))
	for _, it := range items {
		var a mifos.Amount
		if it.Amount != "" {
			var err error
			if a, err = mifos.ParseAmount(it.Amount); err != nil || a <= 0 {
				return nil, fmt.Errorf("loan %d: %q is not an amount", it.LoanID, it.Amount)
			}
		}
		out = append(out, disburse.Item{LoanID: it.LoanID, Amount: a})
	}
	return out, nil
}

// DisburseCreate builds a batch (the operation and the CLI without daemon).
func DisburseCreate(ctx context.Context, b *disburse.Builder, a DisburseCreateArgs) (DisburseCreateResult, error) {
	items, err := DisburseItems(a.Items)
	if err != nil {
		return DisburseCreateResult{}, err
	}
	batch, lines, err := b.Create(ctx, a.StaffID, items, a.By, a.User)
	if err != nil {
		return DisburseCreateResult{}, err
	}
	return DisburseCreateResult{Batch: disburse.ViewOf(batch, lines, nil), Digest: batch.Digest}, nil
}

// DisburseEdit changes a batch's lines.
func DisburseEdit(ctx context.Context, b *disburse.Builder, a DisburseEditArgs) (DisburseCreateResult, error) {
	items, err := DisburseItems(a.Items)
	if err != nil {
		return DisburseCreateResult{}, err
	}
	batch, lines, err := b.Edit(ctx, a.Batch, items, a.By)
	if err != nil {
		return DisburseCreateResult{}, err
	}
	return DisburseCreateResult{Batch: disburse.ViewOf(batch, lines, nil), Digest: batch.Digest}, nil
}

// DisburseList lists batches with their lines (and history when asked).
func DisburseList(db *store.DB, a DisburseListArgs) ([]disburse.BatchView, error) {
	var batches []store.DisburseBatch
	if a.Batch != 0 {
		b, _, err := db.DisburseBatch(a.Batch)
		if err != nil {
			return nil, err
		}
		batches = []store.DisburseBatch{b}
	} else {
		var err error
		if batches, err = db.DisburseBatches(a.Limit); err != nil {
			return nil, err
		}
	}
	out := make([]disburse.BatchView, 0, len(batches))
	for _, b := range batches {
		_, lines, err := db.DisburseBatch(b.ID)
		if err != nil {
			return nil, err
		}
		var audit []store.DisburseAudit
		if a.Audit {
			if audit, err = db.DisburseAuditOf(b.ID); err != nil {
				return nil, err
			}
		}
		out = append(out, disburse.ViewOf(b, lines, audit))
	}
	return out, nil
}

// DisburseResolve settles an unknown line as a person found it.
func DisburseResolve(ctx context.Context, cfg *config.Config, b *disburse.Builder, today func(context.Context) mifos.Date, a DisburseResolveArgs) (disburse.LineView, error) {
	r := disburse.Resolution{Successful: a.Successful, Confirmation: a.Confirmation, Reason: a.Reason, At: time.Now()}
	l, err := b.Resolve(a.Line, r, a.By, int64(cfg.Disbursement.PaymentTypeID), today(ctx))
	if err != nil {
		return disburse.LineView{}, err
	}
	v := disburse.ViewOf(store.DisburseBatch{}, []store.DisburseLine{l}, nil)
	return v.Lines[0], nil
}

// disburseOp registers op, which changes state: its argument decoded, the
// feature checked on, what is safe to log audited.
func disburseOp[A any](d *Daemon, s *control.Server, op string, audit func(A) []any, fn func(context.Context, A) (any, error)) {
	s.Handle(op, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a A
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		if d.builder == nil {
			return nil, ErrDisburseOff
		}
		control.Audit(ctx, audit(a)...)
		return fn(ctx, a)
	})
}

// registerDisburseOps adds the disbursement operations to the control socket.
func (d *Daemon) registerDisburseOps(s *control.Server) {
	disburseOp(d, s, OpDisburseCreate, func(a DisburseCreateArgs) []any { return []any{"staff_id", a.StaffID, "loans", len(a.Items)} },
		func(ctx context.Context, a DisburseCreateArgs) (any, error) {
			res, err := DisburseCreate(ctx, d.builder, a)
			if err == nil {
				control.Audit(ctx, "batch", res.Batch.ID, "state", res.Batch.State)
			}
			return res, err
		})
	disburseOp(d, s, OpDisburseEdit, func(a DisburseEditArgs) []any { return []any{"batch", a.Batch, "loans", len(a.Items)} },
		func(ctx context.Context, a DisburseEditArgs) (any, error) { return DisburseEdit(ctx, d.builder, a) })
	batchAudit := func(a DisburseBatchArgs) []any { return []any{"batch", a.Batch, "user", a.User} }
	disburseOp(d, s, OpDisburseApprove, batchAudit, func(_ context.Context, a DisburseBatchArgs) (any, error) {
		return d.builder.Approve(a.Batch, a.User, a.Digest)
	})
	disburseOp(d, s, OpDisburseSend, batchAudit, func(_ context.Context, a DisburseBatchArgs) (any, error) {
		return d.builder.Send(a.Batch, a.User)
	})
	disburseOp(d, s, OpDisburseCancel, batchAudit, func(_ context.Context, a DisburseBatchArgs) (any, error) {
		return d.builder.Cancel(a.Batch, a.User)
	})
	disburseOp(d, s, OpDisburseResolve, func(a DisburseResolveArgs) []any { return []any{"line", a.Line, "successful", a.Successful} },
		func(ctx context.Context, a DisburseResolveArgs) (any, error) {
			v, err := DisburseResolve(ctx, d.cfg, d.builder, d.env.Today, a)
			if err == nil {
				if d.poster != nil {
					d.poster.Nudge()
				}
				// A line resolved as failed has no posting: its batch may be done.
				d.disburseEngine.Nudge()
			}
			return v, err
		})
	s.HandleReadOnly(OpDisburseList, func(_ context.Context, raw json.RawMessage) (any, error) {
		var a DisburseListArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		return DisburseList(d.db, a)
	})
}
