package daemon

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mifos-edge/mifos-edge/control"
)

// OpPaymentUndo is a person's undo in Fineract of a payment the operator
// reversed (payments.Core.Undo).
const OpPaymentUndo = "payments.undo"

// PaymentUndoArgs is the "payments.undo" argument.
type PaymentUndoArgs struct {
	Operator string `json:"operator,omitempty"` // "" = whichever enabled operator has the id
	TxnID    string `json:"txn_id"`
}

// registerUndoOps adds the undo to the control socket: run by the daemon
// while it runs, so the store has one writer.
func (d *Daemon) registerUndoOps(s *control.Server) {
	s.Handle(OpPaymentUndo, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a PaymentUndoArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "operator", a.Operator, "txn_id", a.TxnID)
		if d.payments == nil {
			return nil, ErrPaymentsOff
		}
		p, err := d.payments.Undo(ctx, a.Operator, a.TxnID)
		if err != nil {
			return nil, fmt.Errorf("payment %s not undone: %w", a.TxnID, err)
		}
		return p, nil
	})
}
