package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mifos-edge/mifos-edge/mobilemoney"
)

// MobileMoney is the [mobile_money] table: payments reported by
// mobile-money operators (their SMS, their statements, an integrator's
// API call) posted to Fineract exactly once.
type MobileMoney struct {
	// Operators are the operators whose payments this box takes, by name
	// (MobileMoneyOperators). Empty: mobile money is off.
	Operators []string `toml:"operators"`
	// PaymentTypeID is Fineract's payment type of these postings (e.g.
	// "M-PESA"); required when Operators are set.
	PaymentTypeID int `toml:"payment_type_id"`
	// MaxAmount: a payment above it (whole currency units) goes to
	// suspense for a person instead of being posted; 0 means no ceiling.
	MaxAmount int `toml:"max_amount"`
	// Allocate is how a payment that names a client (not an account) is
	// shared among the client's accounts (AllocateRules; default
	// "overdue-first").
	Allocate string `toml:"allocate"`
}

// MobileMoneyOperators are the operator names [mobile_money] operators
// accepts: the operators package mobilemoney has a parser for.
var MobileMoneyOperators = mobilemoney.Names()

// AllocateOverdueFirst pays a client's overdue instalments (oldest loan
// first), then the next instalment due, and saves the rest.
const AllocateOverdueFirst = "overdue-first"

// AllocateRules are the values [mobile_money] allocate accepts.
var AllocateRules = []string{AllocateOverdueFirst}

// Enabled reports whether mobile money is on.
func (m MobileMoney) Enabled() bool { return len(m.Operators) > 0 }

// validateMobileMoney checks [mobile_money].
func (c *Config) validateMobileMoney() []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	m := c.MobileMoney
	seen := map[string]bool{}
	for i, op := range m.Operators {
		switch {
		case !slices.Contains(MobileMoneyOperators, op):
			fail("mobile_money.operators[%d]: %q is not an operator this box knows (known: %s)", i, op, strings.Join(MobileMoneyOperators, ", "))
		case seen[op]:
			fail("mobile_money.operators[%d]: %q is listed twice", i, op)
		}
		seen[op] = true
	}
	if m.Enabled() && m.PaymentTypeID <= 0 {
		fail("mobile_money.payment_type_id is required when mobile_money.operators are set: the id of Fineract's payment type for these postings (Admin > Organization > Payment Types), e.g. payment_type_id = 4")
	}
	if m.PaymentTypeID < 0 {
		fail("mobile_money.payment_type_id must not be negative, got %d", m.PaymentTypeID)
	}
	if m.MaxAmount < 0 {
		fail("mobile_money.max_amount must not be negative (0 means no ceiling), got %d", m.MaxAmount)
	}
	if !slices.Contains(AllocateRules, m.Allocate) {
		fail("mobile_money.allocate: %q is not a rule this box knows (known: %s)", m.Allocate, strings.Join(AllocateRules, ", "))
	}
	if m.Enabled() && c.Mifos.BaseURL == "" {
		fail("mobile_money.operators are set but mifos.base_url is not: payments are posted to Fineract")
	}
	return errs
}
