package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/payments"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// Operator SMS into the payments core (docs/mobile-money.md). Trust comes
// from the sender's type of number and id together: only a text from an
// operator's sender id that the network delivered as an alphanumeric
// sender is a payment. The same wording from a phone number is a forgery:
// kept and listed as ignored, never posted, never answered.

// moneySMS is what becomes of an SMS that concerns mobile money.
type moneySMS struct {
	note string
	park bool // for a person to look at: the operator said something the box cannot read
}

// mobileMoneySMS reads m as a mobile-money notification. ok is false for
// every other SMS (mobile money off, an ordinary sender and text).
func (d *Daemon) mobileMoneySMS(ctx context.Context, m store.Message, sender phone.Sender) (out moneySMS, ok bool, err error) {
	if d.payments == nil {
		return moneySMS{}, false, nil
	}
	enabled := d.cfg.MobileMoney.Operators
	if sender.Type == pdu.SenderAlphanumeric {
		parsers := mobilemoney.ForSender(m.Sender, enabled)
		if len(parsers) == 0 {
			return moneySMS{}, false, nil
		}
		p, perr := mobilemoney.ParseWith(parsers, m.Text)
		switch {
		case errors.Is(perr, mobilemoney.ErrNotPayment):
			return moneySMS{note: fmt.Sprintf("from %s, not a payment: kept for a person (%v)", m.Sender, perr), park: true}, true, nil
		case perr != nil:
			d.log.Warn("an operator's payment SMS cannot be read whole; kept for a person", "message", m.ID, "sender", m.Sender, "err", perr)
			return moneySMS{note: fmt.Sprintf("from %s, unreadable payment: %v", m.Sender, perr), park: true}, true, nil
		}
		return d.recordOperatorPayment(ctx, m, p)
	}
	// From a number (or a type the network did not declare): an operator's
	// wording here is a forgery whatever it claims.
	p, perr := mobilemoney.ParseWith(enabledParsers(enabled), m.Text)
	if perr != nil {
		return moneySMS{}, false, nil
	}
	rec := store.Payment{
		Operator: p.Operator, TxnID: fmt.Sprintf("%s#forged-%d", p.TxnID, m.ID), Kind: string(p.Kind),
		Amount: int64(p.Amount), Currency: p.Currency, PayerPhone: p.PayerPhone, PayerName: p.PayerName,
		AccountRef: p.AccountRef, Time: p.Time, Source: "sms", State: store.PaymentIgnored,
		Reason: fmt.Sprintf("forged: %s's wording sent from %s (%s), not from its sender id", p.Operator, sender.Raw, sender.Type),
	}
	if err := d.db.Update(func(tx *store.Tx) error { _, _, err := tx.AddPayment(rec); return err }); err != nil {
		return moneySMS{}, false, err
	}
	d.log.Warn("a payment notification came from a phone number: forged, not posted, not answered", "message", m.ID, "from", sender.Key(), "operator", p.Operator, "claims_txn", p.TxnID)
	return moneySMS{note: "forged " + p.Operator + " notification from a phone number: ignored, not answered"}, true, nil
}

// recordOperatorPayment hands a parsed notification to the payments core
// and checks the operator's running balance.
func (d *Daemon) recordOperatorPayment(ctx context.Context, m store.Message, p mobilemoney.Payment) (moneySMS, bool, error) {
	p.Source = "sms"
	if p.Time.IsZero() {
		// Some wordings print no time: the service centre's is the operator's.
		p.Time = m.SCTS
	}
	rec, added, err := d.RecordPayment(ctx, p)
	var invalid *payments.InvalidError
	switch {
	case errors.Is(err, ErrPaymentsOff):
		return moneySMS{}, false, nil
	case errors.As(err, &invalid):
		// The operator's text reads, but not as a payment the box can
		// take (an id too long, another currency's code): a person decides.
		return moneySMS{note: fmt.Sprintf("%s payment %s not taken: %v", p.Operator, p.TxnID, err), park: true}, true, nil
	case err != nil:
		return moneySMS{}, false, err // the store: handled again later
	}
	note := fmt.Sprintf("%s payment %s: %s", p.Operator, p.TxnID, rec.State)
	if !added {
		note = fmt.Sprintf("%s payment %s seen again: nothing changes", p.Operator, p.TxnID)
	}
	if added && p.HasBalance && p.Kind == mobilemoney.KindPayment {
		if err := d.checkOperatorBalance(rec, p); err != nil {
			return moneySMS{}, false, err
		}
	}
	return moneySMS{note: note}, true, nil
}

// checkOperatorBalance compares p's printed balance with the operator's
// previous one: a gap is flagged on the payment and logged (a missing
// notification, or an injected one); sweeps and charges break the chain
// legitimately, so nothing else follows from it.
func (d *Daemon) checkOperatorBalance(rec store.Payment, p mobilemoney.Payment) error {
	return d.db.Update(func(tx *store.Tx) error {
		prev, found, err := tx.LastBalance(p.Operator)
		if err != nil {
			return err
		}
		flag := ""
		if found {
			c := mobilemoney.CheckBalance(paymentOf(prev), p)
			if c.Broken() {
				flag = fmt.Sprintf("balance gap: after %s the balance should be %s, the SMS says %s (a notification missing or injected?)",
					prev.TxnID, c.Expected, p.NewBalance)
				d.log.Warn("mobile-money running balance does not follow", "operator", p.Operator, "previous", prev.TxnID, "txn", p.TxnID,
					"expected", c.Expected.String(), "printed", p.NewBalance.String())
			}
		}
		return tx.NoteBalance(rec, flag)
	})
}

func paymentOf(p store.Payment) mobilemoney.Payment {
	return mobilemoney.Payment{Operator: p.Operator, Kind: mobilemoney.Kind(p.Kind), TxnID: p.TxnID, Amount: mifos.Amount(p.Amount),
		Currency: p.Currency, Time: p.Time, NewBalance: mifos.Amount(p.NewBalance), HasBalance: p.HasBalance}
}

func enabledParsers(names []string) []mobilemoney.Parser {
	var out []mobilemoney.Parser
	for _, n := range names {
		if p, ok := mobilemoney.Lookup(n); ok {
			out = append(out, p)
		}
	}
	return out
}

// finishMoneySMS records what became of the message, in one transaction.
func (d *Daemon) finishMoneySMS(m store.Message, out moneySMS) error {
	err := d.db.Update(func(tx *store.Tx) error {
		if out.park {
			return tx.Park(m.ID, out.note)
		}
		return tx.MarkHandled(m.ID, out.note)
	})
	if errors.Is(err, store.ErrNotPending) {
		return nil
	}
	if err == nil {
		d.log.Info("mobile-money SMS handled", "message", m.ID, "note", out.note)
		if d.poster != nil {
			d.poster.Nudge()
		}
	}
	return err
}
