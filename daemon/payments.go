package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/payments"
	"github.com/mifos-edge/mifos-edge/store"
)

// Mobile-money payments: the core (package payments) on this daemon's
// store, Fineract and posting worker. Every source (operator SMS, the
// statement import, the API) hands its payments to RecordPayment.

// matchEvery is how often payments that arrived while Fineract did not
// answer are matched again.
const matchEvery = 15 * time.Second

// PaymentListArgs selects payments for the "payments" operation.
type PaymentListArgs struct {
	State string `json:"state"`
	Limit int    `json:"limit"`
}

// PaymentAssignArgs is the "payments.assign" argument.
type PaymentAssignArgs struct {
	Operator string `json:"operator,omitempty"` // "" = whichever enabled operator has the id
	TxnID    string `json:"txn_id"`
	Account  string `json:"account"`
}

// newPaymentsCore is the core for cfg on db and api; env gives "today"
// as the postings are dated. nil when mobile money is off.
func newPaymentsCore(cfg *config.Config, db *store.DB, api payments.Fineract, env *handler.Env, log *slog.Logger, journaled func()) *payments.Core {
	m := cfg.MobileMoney
	if !m.Enabled() || api == nil {
		return nil
	}
	return &payments.Core{
		DB: db, API: api, Operators: m.Operators, PaymentTypeID: int64(m.PaymentTypeID),
		MaxAmount: mifos.Amount(int64(m.MaxAmount) * 1_000_000), Country: cfg.SMS.Country,
		Today: env.Today, Journaled: journaled, Log: log.With("component", "payments"),
	}
}

// wirePayments builds the daemon's core when mobile money is on and the
// Fineract client can search accounts.
func (d *Daemon) wirePayments(api Fineract) {
	if !d.cfg.MobileMoney.Enabled() || d.poster == nil {
		return
	}
	pf, ok := api.(payments.Fineract)
	if !ok {
		d.log.Warn("mobile money is configured but this Fineract client cannot search accounts; payments are not taken")
		return
	}
	d.payments = newPaymentsCore(d.cfg, d.db, pf, d.env, d.log, d.poster.Nudge)
}

// ErrPaymentsOff means mobile money is not configured on this box.
var ErrPaymentsOff = errors.New("mobile money is off on this box: set [mobile_money] operators and payment_type_id, and [mifos]")

// RecordPayment is the one entry point of every mobile-money source (the
// operator SMS wiring, the statement import): recorded exactly once,
// matched and posted (payments.Core.Record).
func (d *Daemon) RecordPayment(ctx context.Context, p mobilemoney.Payment) (store.Payment, bool, error) {
	if d.payments == nil {
		return store.Payment{}, false, ErrPaymentsOff
	}
	return d.payments.Record(ctx, p)
}

// NewLocalPayments is the core for a CLI command run while no daemon runs
// (a person assigning a suspense payment): journaled here, posted by the
// daemon when it starts.
func NewLocalPayments(cfg *config.Config, db *store.DB, log *slog.Logger) (*payments.Core, error) {
	if !cfg.MobileMoney.Enabled() {
		return nil, ErrPaymentsOff
	}
	api, err := newFineract(cfg, log, nil)
	if err != nil {
		return nil, err
	}
	if api == nil {
		return nil, ErrPaymentsOff
	}
	zone, _ := cfg.Mifos.Location()
	env := &handler.Env{DB: db, API: api, Country: cfg.SMS.Country, Zone: zone, Log: log}
	return newPaymentsCore(cfg, db, api, env, log, nil), nil
}

// ListPayments is the "payments" operation, also run on the store by the
// CLI when no daemon runs.
func ListPayments(db *store.DB, a PaymentListArgs) ([]store.Payment, error) {
	return db.ListPayments(store.PaymentState(a.State), a.Limit)
}

// registerPaymentOps adds the payment operations to the control socket.
func (d *Daemon) registerPaymentOps(s *control.Server) {
	s.HandleReadOnly(OpPayments, func(_ context.Context, raw json.RawMessage) (any, error) {
		var a PaymentListArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		return ListPayments(d.db, a)
	})
	s.Handle(OpPaymentAssign, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a PaymentAssignArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "operator", a.Operator, "txn_id", a.TxnID, "account", a.Account)
		if d.payments == nil {
			return nil, ErrPaymentsOff
		}
		p, err := d.payments.Assign(ctx, a.Operator, a.TxnID, a.Account)
		if err != nil {
			return nil, fmt.Errorf("payment %s not assigned: %w", a.TxnID, err)
		}
		return p, nil
	})
}
