package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/payments"
	"github.com/mifos-edge/mifos-edge/store"
)

// Mobile-money payments in suspense on the Money page: ones the box could
// not match safely (a masked phone, an unknown reference, another
// currency) wait for a person, who assigns each to an account number.

// PaymentDesk assigns a suspense payment to a loan or savings account; it
// is then posted like any payment (the box's journal, exactly once). Undo
// reverses in Fineract what a payment the operator reversed had posted
// (reversal-pending), as a person decided.
type PaymentDesk interface {
	Assign(ctx context.Context, operator, txnID, accountNo string) (store.Payment, error)
	Undo(ctx context.Context, operator, txnID string) (store.Payment, error)
}

// moneySuspense bounds the suspense list on a phone.
const moneySuspense = 100

type suspenseRow struct {
	store.Payment
	Money string
}

func suspenseRows(db *store.DB) ([]suspenseRow, error) {
	list, err := db.ListPayments(store.PaymentSuspense, moneySuspense)
	out := make([]suspenseRow, 0, len(list))
	for _, p := range list {
		out = append(out, suspenseRow{Payment: p, Money: mifos.Amount(p.Amount).Format(2)})
	}
	return out, err
}

// assign posts a suspense payment to the account a person typed.
func (c *Console) assign(w http.ResponseWriter, r *http.Request, s *session) {
	p := page{Title: "Money", Tab: "money", User: &s.ConsoleSession}
	if c.d.Payments == nil {
		p.Error = "Mobile money is off on this box."
		c.showMoney(w, s, http.StatusNotFound, p)
		return
	}
	if status, problem := c.refusal(s, postMoney); problem != "" {
		p.Error = problem
		c.showMoney(w, s, status, p)
		return
	}
	operator, txn := r.PostFormValue("operator"), r.PostFormValue("txn_id")
	account := strings.TrimSpace(r.PostFormValue("account"))
	if operator == "" || txn == "" || len(operator) > 40 || len(txn) > 60 {
		p.Error = "That payment is not valid."
		c.showMoney(w, s, http.StatusBadRequest, p)
		return
	}
	if account == "" || len(account) > 30 || strings.Trim(account, "0123456789") != "" {
		p.Error = fmt.Sprintf("Type the loan or savings account number (digits) for payment %s.", txn)
		c.showMoney(w, s, http.StatusUnprocessableEntity, p)
		return
	}
	got, err := c.d.Payments.Assign(r.Context(), operator, txn, account)
	if err != nil {
		var refused *payments.InvalidError
		switch {
		case errors.Is(err, store.ErrNotFound):
			p.Error = fmt.Sprintf("There is no payment %s.", txn)
			c.showMoney(w, s, http.StatusNotFound, p)
		case errors.Is(err, store.ErrPaymentState):
			p.Error = fmt.Sprintf("Payment %s is not in suspense (any more); nothing was changed.", txn)
			c.showMoney(w, s, http.StatusConflict, p)
		case errors.As(err, &refused):
			// The core's refusals are sentences for a person (no such
			// account, a closed loan, another currency).
			p.Error = "Not assigned: " + refused.Reason
			c.showMoney(w, s, http.StatusUnprocessableEntity, p)
		default:
			c.d.Logger.Warn("console could not assign a suspense payment", "operator", operator, "txn", txn, "err", err)
			p.Error = "Mifos did not answer (or the box could not record it); nothing was assigned. Try again."
			c.showMoney(w, s, http.StatusServiceUnavailable, p)
		}
		return
	}
	c.d.Logger.Info("console assigned a suspense payment", "user", s.Username, "operator", got.Operator, "txn", got.TxnID, "account", account)
	seeOther(w, r, string(queryTo("/console/money", url.Values{"m": {"assigned"}, "txn": {got.TxnID}, "account": {account}}).s))
}

// suspenseHTML writes the suspense section: each payment with what the
// operator said and why the box did not decide, and a form to assign it.
func suspenseHTML(h *htmlWriter, rows []suspenseRow, writable bool) {
	h.raw("\n<section class=\"card\">\n<h2>Mobile money in suspense</h2>\n")
	if len(rows) == 0 {
		h.raw(`<p class="ok">None.</p>`)
	}
	for _, r := range rows {
		paymentHead(h, r.Money, r.Payment, "")
		h.raw("</p>\n<p class=\"why\">")
		h.text(r.Reason)
		h.raw("</p>\n")
		if writable {
			h.raw("<form method=\"post\" action=\"/console/money/assign\">")
			h.raw("<input type=\"hidden\" name=\"operator\"")
			h.attr("value", r.Operator)
			h.raw("><input type=\"hidden\" name=\"txn_id\"")
			h.attr("value", r.TxnID)
			h.raw("><label>Account number <input name=\"account\" inputmode=\"numeric\" pattern=\"[0-9]*\" required></label> ")
			h.raw("<button type=\"submit\">Assign</button></form>\n")
		}
		h.raw("</div>\n")
	}
	h.raw("\n</section>\n")
}

// paymentHead opens a payment's item: amount, operator and transaction id
// (and when, if given), then the payer as the operator printed them and
// the account the payer typed. The caller closes the second paragraph.
func paymentHead(h *htmlWriter, money string, p store.Payment, when string) {
	h.raw("\n<div class=\"item\">\n<p><strong>")
	h.text(money)
	h.raw(" ")
	h.text(p.Currency)
	h.raw("</strong> · ")
	h.text(p.Operator)
	h.raw(" ")
	h.text(p.TxnID)
	h.suffix(" · ", when)
	h.raw("</p>\n<p class=\"small\">")
	h.textOr(p.PayerName, "no name")
	h.suffix(" · ", p.PayerPhone)
	h.suffix(" · account typed: ", p.AccountRef)
}
