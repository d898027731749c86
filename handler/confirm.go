package handler

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

func init() {
	registerTexts("en", map[string]string{
		"pay.rounded":             "Mifos rounded the {sent} sent",
		"collect.officer_rounded": "Collection for {group} on {date} posted: {clients} client(s), total {total} (Mifos rounded the {sent} sent; clients were not told amounts, check them in Mifos).",
	})
	registerTexts("sw", map[string]string{
		"pay.rounded":             "Mifos ilizungusha {sent} iliyotumwa",
		"collect.officer_rounded": "Makusanyo ya {group} tarehe {date} yameingizwa: wateja {clients}, jumla {total} (Mifos ilizungusha {sent} iliyotumwa; wateja hawakuambiwa kiasi, angalia Mifos).",
	})
}

// settled reports whether an entry reached a final state.
func settled(e store.JournalEntry) bool {
	switch e.State {
	case store.JournalDone, store.JournalAwaitingApproval, store.JournalFailed:
		return true
	}
	return false
}

// Confirmations builds the SMS that tell the officer and the client what
// happened to one SMS's postings. It answers only once the whole batch has
// settled, so one SMS gives one confirmation each, not one per item. It runs
// inside the store transaction that settles the entry, so it uses only what
// the entries hold (no Fineract calls).
func (e *Env) Confirmations(j store.JournalEntry, batch []store.JournalEntry) []store.Outbound {
	var live []store.JournalEntry
	for _, b := range batch {
		if !settled(b) {
			return nil
		}
		// An unresolved entry was replaced by its resolved form, which speaks for it.
		if b.SupersededBy == 0 {
			live = append(live, b)
		}
	}
	if len(live) == 0 {
		return nil
	}
	if j.Kind == store.JournalCollectionSheet {
		return e.collectConfirmations(j)
	}
	if j.Kind == store.JournalLoanDisbursement {
		return e.disbursementConfirmations(j)
	}
	if j.Payment != "" {
		return e.paymentConfirmations(live)
	}
	return e.payConfirmations(live)
}

// entryCurrency is the currency an entry was journaled in ("" while the
// account is not resolved).
func entryCurrency(e store.JournalEntry) mifos.Currency {
	return mifos.Currency{Code: e.Currency, DecimalPlaces: e.Decimals}
}

// entryMoney writes an entry's amount in its currency (mifos.Currency.Format).
func entryMoney(e store.JournalEntry) string { return entryCurrency(e).Format(mifos.Amount(e.Amount)) }

// postedMoney writes what Fineract posted for a done entry, and whether that
// differs from what was sent: nobody is ever told an amount Fineract does
// not hold.
func postedMoney(e store.JournalEntry) (string, bool) {
	if e.PostedAmount == 0 || e.PostedAmount == e.Amount {
		return entryMoney(e), false
	}
	return entryCurrency(e).Format(mifos.Amount(e.PostedAmount)), true
}

func (e *Env) payConfirmations(batch []store.JournalEntry) []store.Outbound {
	t := e.texts()
	var done, pending, failed, clientItems, balances []string
	first := batch[0]
	for _, b := range batch {
		if b.ClientName != "" {
			first = b
		}
	}
	for _, b := range batch {
		label := b.ItemRef
		if label == "" {
			label = smsField(b.AccountNo)
		}
		amount := entryMoney(b)
		switch b.State {
		case store.JournalDone:
			ids := make([]string, len(b.FineractTxnIDs))
			for i, id := range b.FineractTxnIDs {
				ids[i] = strconv.FormatInt(id, 10)
			}
			posted, rounded := postedMoney(b)
			note := ""
			if rounded {
				note = "; " + t.Get("pay.rounded", "sent", amount)
			}
			done = append(done, fmt.Sprintf("%s %s (txn %s%s)", label, posted, strings.Join(ids, ","), note))
			clientItems = append(clientItems, fmt.Sprintf("%s %s to %s", smsField(b.Currency), posted, smsField(b.AccountNo)))
			if b.BalanceAfter != "" {
				balances = append(balances, b.BalanceAfter)
			}
		case store.JournalAwaitingApproval:
			pending = append(pending, label+" "+amount)
		default:
			failed = append(failed, fmt.Sprintf("%s %s - %s", label, amount, e.failureReason(b)))
		}
	}
	name := smsField(first.ClientName)
	if name == "" {
		name = first.ClientRef
	}
	var officerText []string
	if len(done) > 0 {
		officerText = append(officerText, t.Get("pay.officer_confirm", "name", name, "account", clientAccountLabel(first), "items", strings.Join(done, ", ")))
	}
	if len(pending) > 0 {
		officerText = append(officerText, t.Get("pay.officer_pending", "name", name, "items", strings.Join(pending, ", ")))
	}
	if len(failed) > 0 {
		officerText = append(officerText, t.Get("pay.officer_failed", "name", name, "items", strings.Join(failed, "; ")))
	}
	var out []store.Outbound
	origin := fmt.Sprintf("journal:%d", first.Batch)
	if first.Officer != "" {
		out = append(out, store.Outbound{To: first.Officer, Text: strings.Join(officerText, " "), Origin: origin, Priority: store.PriorityInteractive, DuplicateHarmless: true})
	}
	if first.ClientPhone != "" && len(clientItems) > 0 && first.ClientPhone != first.Officer {
		text := t.Get("pay.client_confirm_nb", "name", name, "items", strings.Join(clientItems, ", "))
		if len(balances) > 0 {
			text = t.Get("pay.client_confirm", "name", name, "items", strings.Join(clientItems, ", "), "balances", strings.Join(balances, ", "))
		}
		// The client paid in person and waits for the receipt too.
		out = append(out, store.Outbound{To: first.ClientPhone, Text: text, Origin: origin, Priority: store.PriorityInteractive, DuplicateHarmless: true})
	}
	return out
}

func clientAccountLabel(j store.JournalEntry) string {
	if j.ClientID == 0 {
		return j.ClientRef
	}
	return "client " + strconv.FormatInt(j.ClientID, 10)
}

// BalanceAfter reads the account after posting, for the client's
// confirmation; a failure only drops the balance from the SMS, never the SMS.
func (e *Env) BalanceAfter(ctx context.Context, j store.JournalEntry) string {
	if j.ClientPhone == "" {
		return "" // nobody to tell: save Fineract the extra read
	}
	if bal, ok := e.newBalance(ctx, j); ok {
		return bal
	}
	return ""
}

func (e *Env) newBalance(ctx context.Context, j store.JournalEntry) (string, bool) {
	if e.API == nil {
		return "", false
	}
	ctx, cancel := e.call(ctx)
	defer cancel()
	switch j.Kind {
	case store.JournalLoanRepayment:
		l, err := e.API.Loan(ctx, j.AccountID)
		if err != nil {
			return "", false
		}
		return fmt.Sprintf("loan %s %s", smsField(l.AccountNo), currencyOr(l.Currency, j).Format(l.TotalOutstanding)), true
	case store.JournalLoanDisbursement:
		// For a disbursement the client wants the first instalment, not the balance.
		return e.firstInstalment(ctx, j)
	case store.JournalSavingsDeposit:
		s, err := e.API.Savings(ctx, j.AccountID)
		if err != nil {
			return "", false
		}
		return fmt.Sprintf("savings %s %s", smsField(s.AccountNo), currencyOr(s.Currency, j).Format(s.AccountBalance)), true
	}
	return "", false
}

// currencyOr is the account's currency as Fineract gave it, or the one the
// entry was journaled in when the reply left it out.
func currencyOr(c mifos.Currency, j store.JournalEntry) mifos.Currency {
	if c.Code != "" {
		return c
	}
	return entryCurrency(j)
}
