package mobilemoney

import (
	"math"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// BalanceCheck is the outcome of comparing two consecutive notifications
// of one operator account: the previous new balance plus this payment (or
// minus a reversed amount) should be the new balance printed now.
type BalanceCheck struct {
	// Checked is false when the pair cannot be compared (Why says why);
	// nothing is then known, good or bad.
	Checked bool
	Why     string
	// Expected is the balance the previous one and this payment give,
	// Gap what the printed balance differs from it by (zero: the chain
	// holds).
	Expected mifos.Amount
	Gap      mifos.Amount
}

// Broken says the chain was checked and does not hold: a notification is
// missing between the two, or one was injected. Sweeps to the bank,
// charges and withdrawals break the chain legitimately too, so a break is
// a flag for a person, never a reason to drop or refuse a payment.
func (c BalanceCheck) Broken() bool { return c.Checked && c.Gap != 0 }

// CheckBalance compares next with prev, the notification before it on the
// same operator account. A reversal is checked when the caller has set
// its Amount from the payment it reverses.
func CheckBalance(prev, next Payment) BalanceCheck {
	switch {
	case !prev.HasBalance || !next.HasBalance:
		return BalanceCheck{Why: "a balance is not printed"}
	case prev.Operator != next.Operator || prev.Currency != next.Currency:
		return BalanceCheck{Why: "not the same operator account"}
	case next.Amount <= 0:
		return BalanceCheck{Why: "the amount is not known"}
	}
	delta := next.Amount
	if next.Kind == KindReversal {
		delta = -delta
	}
	expected, ok := add(prev.NewBalance, delta)
	if !ok {
		return BalanceCheck{Why: "the amounts are out of range"}
	}
	gap, ok := add(next.NewBalance, -expected)
	if !ok {
		return BalanceCheck{Why: "the amounts are out of range"}
	}
	return BalanceCheck{Checked: true, Expected: expected, Gap: gap}
}

// add returns a+b unless it overflows.
func add(a, b mifos.Amount) (mifos.Amount, bool) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, false
	}
	return a + b, true
}
