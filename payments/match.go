package payments

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// Fineract is what matching asks Fineract (a *mifos.HTTPClient).
type Fineract interface {
	AccountsByNo(ctx context.Context, no string) ([]mifos.AccountHit, error)
	ClientByRef(ctx context.Context, ref string) (mifos.ClientHit, error)
	ClientsByPhone(ctx context.Context, phone string) ([]mifos.ClientHit, error)
	Client(ctx context.Context, id int64) (mifos.Client, error)
	ClientAccounts(ctx context.Context, clientID int64) (mifos.Accounts, error)
	Loan(ctx context.Context, loanID int64) (mifos.Loan, error)
}

// part is one posting a payment is split into.
type part struct {
	loan      bool // a repayment; else a savings deposit
	accountID int64
	accountNo string
	currency  mifos.Currency
	amount    mifos.Amount
}

// decision is what matching decided for a payment: the client and the
// parts, or suspense with the reason a person reads.
type decision struct {
	suspense string
	client   mifos.Client
	parts    []part
}

func suspense(format string, args ...any) decision {
	return decision{suspense: fmt.Sprintf(format, args...)}
}

// matcher decides where one payment goes. Its errors are Fineract not
// answering (or answering something unexpected): the payment then waits
// and is matched again later; every answer that settles the question is a
// decision, suspense included.
type matcher struct {
	api     Fineract
	country string
	today   mifos.Date
	max     mifos.Amount // 0 = no ceiling
}

// absent: Fineract's own "no such record".
func absent(err error) bool { return errors.Is(err, mifos.ErrNotFound) }

// match applies the rules in their order (docs/mobile-money.md): the
// account reference as a loan, then a savings account, then a client's
// account number or external id; else an unmasked payer phone equal to one
// client's mobile number. A client is paid by allocation. Anything
// ambiguous goes to suspense.
func (m matcher) match(ctx context.Context, p store.Payment) (decision, error) {
	amount := mifos.Amount(p.Amount)
	if m.max > 0 && amount > m.max {
		return suspense("%s %s is above [mobile_money] max_amount (%s): a person checks it before it is posted",
			p.Currency, amount.Format(2), m.max.Format(0)), nil
	}
	ref := strings.Join(strings.Fields(p.AccountRef), "")
	if ref != "" {
		if isDigits(ref) {
			d, found, err := m.byAccountNo(ctx, p, ref)
			if err != nil || found {
				return d, err
			}
		}
		hit, err := m.api.ClientByRef(ctx, ref)
		switch {
		case err == nil:
			return m.forClient(ctx, p, hit.ID, fmt.Sprintf("account reference %q", ref))
		case !absent(err):
			return decision{}, err
		}
	}
	return m.byPhone(ctx, p, ref)
}

// byAccountNo is the account reference read as a loan, then a savings,
// account number; found false when it is neither.
func (m matcher) byAccountNo(ctx context.Context, p store.Payment, no string) (decision, bool, error) {
	hits, err := m.api.AccountsByNo(ctx, no)
	if err != nil {
		return decision{}, false, err
	}
	var loans, savings []mifos.AccountHit
	for _, h := range hits {
		if h.Loan {
			loans = append(loans, h)
		} else {
			savings = append(savings, h)
		}
	}
	switch {
	case len(loans) > 1:
		return suspense("account reference %q names %d loans", no, len(loans)), true, nil
	case len(loans) == 1:
		d, err := m.toLoan(ctx, p, loans[0].ID)
		return d, true, err
	case len(savings) > 1:
		return suspense("account reference %q names %d savings accounts", no, len(savings)), true, nil
	case len(savings) == 1:
		d, err := m.toSavings(ctx, p, savings[0].ID, savings[0].ClientID)
		return d, true, err
	}
	return decision{}, false, nil
}

// toLoan pays the whole payment on one loan.
func (m matcher) toLoan(ctx context.Context, p store.Payment, loanID int64) (decision, error) {
	l, err := m.api.Loan(ctx, loanID)
	if absent(err) {
		return suspense("loan %d was found by its number but cannot be read", loanID), nil
	}
	if err != nil {
		return decision{}, err
	}
	if !mifos.Active(l.StatusID) {
		return suspense("loan %s is not active (closed or not disbursed)", l.AccountNo), nil
	}
	if l.ClientID == 0 {
		return suspense("loan %s belongs to a group, not a client", l.AccountNo), nil
	}
	return m.single(ctx, p, l.ClientID, part{loan: true, accountID: l.ID, accountNo: l.AccountNo, currency: l.Currency})
}

// toSavings pays the whole payment into one savings account.
func (m matcher) toSavings(ctx context.Context, p store.Payment, savingsID, clientID int64) (decision, error) {
	if clientID == 0 {
		return suspense("savings account %d belongs to no client", savingsID), nil
	}
	accts, err := m.api.ClientAccounts(ctx, clientID)
	if absent(err) {
		return suspense("savings account %d: its client %d cannot be read", savingsID, clientID), nil
	}
	if err != nil {
		return decision{}, err
	}
	for _, s := range accts.Savings {
		if s.ID != savingsID {
			continue
		}
		switch {
		case !mifos.Active(s.StatusID):
			return suspense("savings account %s is not active (closed or not approved)", s.AccountNo), nil
		case !s.Plain():
			return suspense("account %s is a fixed or recurring deposit, which takes no deposits of this kind", s.AccountNo), nil
		}
		return m.single(ctx, p, clientID, part{accountID: s.ID, accountNo: s.AccountNo, currency: s.Currency})
	}
	return suspense("savings account %d is not among the accounts of client %d", savingsID, clientID), nil
}

// single checks the currency and amount of a one-account payment and
// reads its client (the confirmation goes to the number Fineract has).
func (m matcher) single(ctx context.Context, p store.Payment, clientID int64, pt part) (decision, error) {
	if pt.currency.Code != p.Currency {
		return suspense("account %s is in %s, the payment in %s", pt.accountNo, pt.currency.Code, p.Currency), nil
	}
	pt.amount = mifos.Amount(p.Amount)
	if !pt.currency.PostsExactly(pt.amount) {
		return suspense("%s %s cannot be posted exactly in %s (decimals or multiples of the currency)", p.Currency, pt.amount, pt.currency.Code), nil
	}
	c, err := m.api.Client(ctx, clientID)
	if absent(err) {
		return suspense("client %d of account %s cannot be read", clientID, pt.accountNo), nil
	}
	if err != nil {
		return decision{}, err
	}
	return decision{client: c, parts: []part{pt}}, nil
}

// byPhone is the last rule: the payer's own number, printed in full,
// equal to exactly one active client's mobile number.
func (m matcher) byPhone(ctx context.Context, p store.Payment, ref string) (decision, error) {
	what := "no account reference"
	if ref != "" {
		what = fmt.Sprintf("account reference %q matches no loan, savings account or client", ref)
	}
	if p.PayerPhone == "" {
		return suspense("%s, and no payer number", what), nil
	}
	e164, err := phone.Normalize(p.PayerPhone, m.country)
	if errors.Is(err, phone.ErrMasked) {
		return suspense("%s, and the payer's number %s is masked", what, p.PayerPhone), nil
	}
	if err != nil {
		return suspense("%s, and the payer's number %q cannot be read", what, p.PayerPhone), nil
	}
	seen := map[int64]bool{}
	var found []mifos.ClientHit
	for _, form := range phone.Variants(e164) {
		hits, err := m.api.ClientsByPhone(ctx, form)
		if err != nil && !absent(err) {
			return decision{}, err
		}
		for _, h := range hits {
			if seen[h.ID] || !mifos.Active(h.StatusID) {
				continue
			}
			// A search that matched loosely must not pick another person.
			if n, err := phone.Normalize(h.MobileNo, m.country); err != nil || n != e164 {
				continue
			}
			seen[h.ID] = true
			found = append(found, h)
		}
	}
	switch len(found) {
	case 0:
		return suspense("%s, and no active client has the payer's number %s", what, e164), nil
	case 1:
		return m.forClient(ctx, p, found[0].ID, "the payer's number "+e164)
	}
	return suspense("%s, and %d clients have the payer's number %s", what, len(found), e164), nil
}

// forClient allocates a payment that names a client: overdue instalments
// first (oldest loan first), then each loan's next instalment due, the
// rest to the client's first savings account ([mobile_money] allocate
// "overdue-first"). Only accounts in the payment's currency take part.
func (m matcher) forClient(ctx context.Context, p store.Payment, clientID int64, by string) (decision, error) {
	c, err := m.api.Client(ctx, clientID)
	if absent(err) {
		return suspense("%s names client %d, who cannot be read", by, clientID), nil
	}
	if err != nil {
		return decision{}, err
	}
	if !mifos.Active(c.StatusID) {
		return suspense("%s names client %s, who is not active", by, c.AccountNo), nil
	}
	accts, err := m.api.ClientAccounts(ctx, clientID)
	if err != nil && !absent(err) {
		return decision{}, err
	}
	var loans []mifos.Loan
	for _, ls := range accts.ActiveLoans() {
		if ls.Currency.Code != p.Currency {
			continue
		}
		l, err := m.api.Loan(ctx, ls.ID)
		if err != nil {
			return decision{}, err
		}
		if l.Currency.Code == "" {
			l.Currency = ls.Currency
		}
		loans = append(loans, l)
	}
	var saving *mifos.SavingsSummary
	for _, s := range accts.ActiveSavings() {
		if s.Currency.Code == p.Currency {
			saving = &s
			break
		}
	}
	if len(loans) == 0 && saving == nil {
		return suspense("%s names client %s (%s), who has no active loan or savings account in %s", by, c.AccountNo, c.DisplayName, p.Currency), nil
	}
	parts, rest := allocate(loans, mifos.Amount(p.Amount), m.today)
	if rest > 0 {
		if saving == nil {
			return suspense("%s names client %s (%s): %s %s is more than is due now on the loans, and the client has no savings account in %s for the rest",
				by, c.AccountNo, c.DisplayName, p.Currency, mifos.Amount(p.Amount).Format(2), p.Currency), nil
		}
		parts = append(parts, part{accountID: saving.ID, accountNo: saving.AccountNo, currency: saving.Currency, amount: rest})
	}
	for _, pt := range parts {
		if !pt.currency.PostsExactly(pt.amount) {
			return suspense("%s names client %s: the share %s for account %s cannot be posted exactly in %s", by, c.AccountNo, pt.amount, pt.accountNo, p.Currency), nil
		}
	}
	return decision{client: c, parts: parts}, nil
}

// allocate shares amount among loans (oldest first, as ActiveLoans orders
// them): what is overdue on each, then each one's next instalment not yet
// overdue, never more than a loan's outstanding balance. rest is what is
// left for savings.
func allocate(loans []mifos.Loan, amount mifos.Amount, today mifos.Date) (parts []part, rest mifos.Amount) {
	given := make([]mifos.Amount, len(loans))
	take := func(i int, due mifos.Amount) {
		room := loans[i].TotalOutstanding - given[i]
		n := min(amount, due, room)
		if n > 0 {
			given[i] += n
			amount -= n
		}
	}
	for i, l := range loans {
		take(i, mifos.Overdue(l.Periods, today))
	}
	for i, l := range loans {
		if p, ok := mifos.NextDueFrom(l.Periods, today); ok {
			take(i, p.TotalOutstanding)
		}
	}
	for i, l := range loans {
		if given[i] > 0 {
			parts = append(parts, part{loan: true, accountID: l.ID, accountNo: l.AccountNo, currency: l.Currency, amount: given[i]})
		}
	}
	return parts, amount
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
