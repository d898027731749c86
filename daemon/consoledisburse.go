package daemon

import (
	"context"
	"slices"

	"github.com/mifos-edge/mifos-edge/console"
	"github.com/mifos-edge/mifos-edge/disburse"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// approvedReader lists the loans waiting for disbursement (the console's
// New batch list).
type approvedReader interface {
	ApprovedLoans(ctx context.Context) ([]mifos.LoanApplication, error)
	Client(ctx context.Context, clientID int64) (mifos.Client, error)
}

// consoleDisburse is the console's disbursement desk: the daemon's batch
// builder, store and Fineract, the same calls the CLI makes.
type consoleDisburse struct {
	d   *Daemon
	api approvedReader
}

var _ console.DisburseDesk = consoleDisburse{}

func (c consoleDisburse) view(b store.DisburseBatch, withAudit bool) (console.Batch, error) {
	_, lines, err := c.d.db.DisburseBatch(b.ID)
	if err != nil {
		return console.Batch{}, err
	}
	var audit []store.DisburseAudit
	if withAudit {
		if audit, err = c.d.db.DisburseAuditOf(b.ID); err != nil {
			return console.Batch{}, err
		}
	}
	return console.Batch{BatchView: disburse.ViewOf(b, lines, audit), Digest: b.Digest, BuiltBy: b.CreatedByUser}, nil
}

// Waiting lists staffID's approved loans, with the batch a loan is on
// already (a line that has not failed).
func (c consoleDisburse) Waiting(ctx context.Context, staffID int64) (console.Waiting, error) {
	apps, err := c.api.ApprovedLoans(ctx)
	if err != nil {
		return console.Waiting{}, err
	}
	onLine, err := c.d.db.LoanBatches()
	if err != nil {
		return console.Waiting{}, err
	}
	w := console.Waiting{Limit: mifos.Amount(c.d.builder.Policy.LimitOf(staffID))}
	for _, a := range apps {
		if a.StatusID != mifos.StatusApproved || a.OfficerID != staffID {
			continue
		}
		amount := a.ApprovedPrincipal
		if amount == 0 {
			amount = a.Principal
		}
		cl, err := c.api.Client(ctx, a.ClientID)
		if err != nil {
			return console.Waiting{}, err
		}
		w.Loans = append(w.Loans, console.ApprovedLoan{ID: a.ID, AccountNo: a.AccountNo, Client: a.ClientName, Group: a.GroupName,
			Amount: amount, Currency: a.Currency, Phone: cl.MobileNo, Batch: onLine[a.ID]})
	}
	slices.SortFunc(w.Loans, func(x, y console.ApprovedLoan) int { return int(x.ID - y.ID) })
	return w, nil
}

func (c consoleDisburse) Batches(_ context.Context, limit int) ([]console.Batch, error) {
	list, err := c.d.db.DisburseBatches(limit)
	if err != nil {
		return nil, err
	}
	out := make([]console.Batch, 0, len(list))
	for _, b := range list {
		v, err := c.view(b, false)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (c consoleDisburse) Batch(_ context.Context, id uint64) (console.Batch, error) {
	b, _, err := c.d.db.DisburseBatch(id)
	if err != nil {
		return console.Batch{}, err
	}
	return c.view(b, true)
}

func (c consoleDisburse) Create(ctx context.Context, staffID int64, items []disburse.Item, by, user string) (console.Batch, error) {
	b, _, err := c.d.builder.Create(ctx, staffID, items, by, user)
	if err != nil {
		return console.Batch{}, err
	}
	return c.view(b, false)
}

func (c consoleDisburse) Send(_ context.Context, id uint64, by string) error {
	_, err := c.d.builder.Send(id, by)
	return err
}

func (c consoleDisburse) Cancel(_ context.Context, id uint64, by string) error {
	_, err := c.d.builder.Cancel(id, by)
	return err
}

func (c consoleDisburse) Resolve(ctx context.Context, line uint64, r disburse.Resolution, by string) error {
	_, err := c.d.builder.Resolve(line, r, by, int64(c.d.cfg.Disbursement.PaymentTypeID), c.d.env.Today(ctx))
	if err == nil && c.d.poster != nil {
		c.d.poster.Nudge()
	}
	return err
}

func (c consoleDisburse) IsApprover(user string) bool {
	_, ok := c.d.builder.Policy.Approver(user)
	return ok
}

func (c consoleDisburse) Approve(_ context.Context, id uint64, user, digest string) error {
	_, err := c.d.builder.Approve(id, user, digest)
	return err
}
