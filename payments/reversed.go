package payments

import (
	"errors"
	"strings"

	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/store"
)

// reversedBucket indexes reversal notices by the payment they reverse
// (operator/txn → the reversal's txn): a reversal can arrive before its
// payment (SMS out of order, a statement whose reversal row is read
// first), and the payment, when it comes, must not be posted.
const reversedBucket = "payments-reversed"

// add records in (checked) in tx, as Record and RecordBatch both do: a
// reversal notice is kept (ignored), indexed by the payment it reverses,
// and marks that payment reversal-pending when the box has it; a payment
// an earlier reversal names is recorded reversal-pending, never matched.
func (c *Core) add(tx *store.Tx, in mobilemoney.Payment) (store.Payment, bool, error) {
	rec := stored(in)
	idx, err := tx.Bucket(reversedBucket)
	if err != nil {
		return store.Payment{}, false, err
	}
	if in.Kind == mobilemoney.KindReversal {
		rec.State, rec.Reason = store.PaymentIgnored, "reversal notice of "+in.ReversedTxnID
	} else if by := idx.Get([]byte(store.PaymentKey(in.Operator, in.TxnID))); by != nil {
		rec.State, rec.Reason = store.PaymentReversalPending, reversedReason(string(by))
	}
	p, added, err := tx.AddPayment(rec)
	if err != nil || !added || in.Kind != mobilemoney.KindReversal {
		return p, added, err
	}
	reversed := strings.ToUpper(strings.TrimSpace(in.ReversedTxnID))
	if reversed == "" {
		return p, added, nil
	}
	if err := idx.Put([]byte(store.PaymentKey(in.Operator, reversed)), []byte(in.TxnID)); err != nil {
		return store.Payment{}, false, err
	}
	_, err = tx.SetPaymentState(store.PaymentKey(in.Operator, reversed),
		[]store.PaymentState{store.PaymentPending, store.PaymentPosted, store.PaymentFailed, store.PaymentSuspense},
		store.PaymentReversalPending, reversedReason(in.TxnID))
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.log().Warn("a reversal names a payment this box has not seen yet: it will not be posted when it comes", "operator", in.Operator, "reversal", in.TxnID, "reversed", reversed)
		return p, added, nil
	case errors.Is(err, store.ErrPaymentState):
		c.log().Warn("a reversal names a payment this box did not post", "operator", in.Operator, "reversal", in.TxnID, "reversed", reversed, "err", err)
		return p, added, nil
	case err == nil:
		c.log().Warn("the operator reversed a payment: a person undoes it (mifos-edge payments undo)", "operator", in.Operator, "reversal", in.TxnID, "reversed", reversed)
	}
	return p, added, err
}

// reversedReason is the reason of a payment the operator reversed.
func reversedReason(reversal string) string {
	return "the operator reversed it (" + reversal + "); undo it in Mifos"
}
