// Package mobilemoney reads what mobile-money operators tell the box about
// money paid in: the payment notifications their sender ids send to the
// branch SIM, one parser per operator (docs/mobile-money.md).
package mobilemoney

import (
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// Kind says what a notification reports.
type Kind string

// Kinds of notification.
const (
	KindPayment  Kind = "payment"  // money paid in to the MFI's account
	KindReversal Kind = "reversal" // the operator took back an earlier payment (ReversedTxnID)
)

// Payment is one operator transaction as a notification, a statement row
// or an integrator's report gives it. The operator's transaction id is the
// key: one id is posted at most once whatever way it arrives.
type Payment struct {
	Operator string // parser name, e.g. "mpesa-ke"
	Kind     Kind
	TxnID    string       // operator's transaction id (M-PESA receipt), upper case
	Amount   mifos.Amount // paid in, exact
	Currency string       // ISO 4217, e.g. "KES"
	// PayerPhone is the payer's number exactly as printed (it may be
	// masked, "0712***678"); it identifies a client only when unmasked.
	PayerPhone string
	PayerName  string
	// AccountRef is what the payer typed as account number (paybill), if any.
	AccountRef string
	// Time is the operator's time of the transaction, with its zone.
	Time time.Time
	// NewBalance is the MFI account's balance after it, when the
	// notification gives one (HasBalance).
	NewBalance mifos.Amount
	HasBalance bool
	// ReversedTxnID names the payment a reversal takes back.
	ReversedTxnID string
	// Source is where it came from: "sms", "statement" or "api".
	Source string
}
