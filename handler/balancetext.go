package handler

// The BAL reply text: what fits in two GSM-7 SMS, in the configured language.

import (
	"strconv"
	"strings"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/pdu"
)

// Render is the reply text for v in the configured language, at most two
// GSM-7 SMS: it drops product names, then the client name and repeated
// currency codes, and only then whole accounts (with "N more"); a figure
// is never shortened.
func (b Balance) Render(v View, asOf bool) string {
	t := b.Env.texts()
	loans := append([]LoanView(nil), v.Loans...)
	sortLoans(loans)
	var prefix string
	if asOf {
		now := b.Env.now().Local()
		prefix = t.Get("bal.asof", "time", t.DateTime(v.At.Local(), mifos.DateOf(now))) + " "
	}
	if len(loans)+len(v.Savings) == 0 {
		return prefix + t.Get("bal.none")
	}
	cur, single := commonCurrency(loans, v.Savings)
	styles := []renderStyle{
		{name: true, product: true, curEach: true},
		{name: true, curEach: true},
		{name: true, curEach: !single},
		{curEach: !single},
	}
	var text string
	for _, st := range styles {
		items := b.items(loans, v.Savings, st)
		text = b.compose(prefix, v.Name, items, st, cur, len(items))
		if fitsBalance(text) {
			return text
		}
	}
	// Too many accounts: keep whole ones while they fit, then say how many more.
	st := styles[len(styles)-1]
	items := b.items(loans, v.Savings, st)
	for n := len(items) - 1; n >= 0; n-- {
		text = b.compose(prefix, v.Name, items[:n], st, cur, len(items))
		if fitsBalance(text) {
			return text
		}
	}
	return text
}

type renderStyle struct {
	name, product, curEach bool
}

func (b Balance) items(loans []LoanView, savings []SavingsView, st renderStyle) []string {
	t := b.Env.texts()
	money := func(cur string, a mifos.Amount, dec int) string {
		s := mifos.Currency{Code: cur, DecimalPlaces: dec}.Format(a)
		if c := smsField(cur); st.curEach && c != "" {
			return c + " " + s
		}
		return s
	}
	label := func(l string, product string) string {
		if p := gsm7Field(product); st.product && p != "" {
			return l + " " + p
		}
		return l
	}
	today := b.Env.TenantToday()
	var out []string
	for i, l := range loans {
		parts := []string{t.Get("bal.loan", "account", label("L"+strconv.Itoa(i+1), l.Product), "outstanding", money(l.Currency, l.Outstanding, l.Decimals))}
		if l.NextDue != (mifos.Date{}) {
			parts = append(parts, t.Get("bal.loan.next", "amount", money(l.Currency, l.NextAmount, l.Decimals), "date", t.Date(l.NextDue, today)))
		}
		if l.Overdue > 0 {
			parts = append(parts, t.Get("bal.loan.overdue", "amount", money(l.Currency, l.Overdue, l.Decimals)))
		}
		out = append(out, strings.Join(parts, ", "))
	}
	for i, s := range savings {
		out = append(out, t.Get("bal.savings", "account", label("S"+strconv.Itoa(i+1), s.Product), "balance", money(s.Currency, s.Balance, s.Decimals)))
	}
	return out
}

// compose joins the reply; total is how many accounts exist, so the
// difference to len(items) is announced as "N more".
func (b Balance) compose(prefix, name string, items []string, st renderStyle, cur string, total int) string {
	t := b.Env.texts()
	var sb strings.Builder
	sb.WriteString(prefix)
	if n := gsm7Field(name); st.name && n != "" {
		sb.WriteString(t.Get("bal.head", "name", n) + " ")
	}
	if len(items) > 0 {
		sb.WriteString(strings.Join(items, "; ") + ".")
	}
	if c := smsField(cur); !st.curEach && c != "" {
		sb.WriteString(" " + t.Get("bal.currency", "cur", c))
	}
	if more := total - len(items); more > 0 {
		sb.WriteString(" " + t.Get("bal.more", "count", strconv.Itoa(more)))
	}
	return strings.TrimSpace(sb.String())
}

// commonCurrency is the one currency all accounts share, if they do.
func commonCurrency(loans []LoanView, savings []SavingsView) (string, bool) {
	var codes []string
	for _, l := range loans {
		codes = append(codes, l.Currency)
	}
	for _, s := range savings {
		codes = append(codes, s.Currency)
	}
	for _, c := range codes {
		if c == "" || c != codes[0] {
			return "", false
		}
	}
	return codes[0], len(codes) > 0
}

func fitsBalance(text string) bool {
	chunks, _ := pdu.Split(text)
	return len(chunks) <= maxBalanceParts
}

// gsm7Field is smsField(s), or "" when s needs UCS2: one such character
// would cut the reply's capacity by more than half.
func gsm7Field(s string) string {
	s = smsField(s)
	if s == "" {
		return ""
	}
	if _, ucs2 := pdu.Split(s); ucs2 {
		return ""
	}
	return s
}
