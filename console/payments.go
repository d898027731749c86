package console

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// The Payments page is the accountant's list of mobile-money payments
// (what `mifos-edge payments` prints), newest first, with a state filter,
// and the undo of a payment the operator reversed. It exists only while
// mobile money is on.

// paymentsShown bounds the list on a phone.
const paymentsShown = 200

type paymentRow struct {
	store.Payment
	Money    string // amount as people read it
	When     string // the operator's time, as the box shows times
	TxnIDs   string // Fineract transaction ids, comma separated
	Writable bool   // the undo form is offered (reversal-pending only)
}

type paymentsData struct {
	State  string // the filter; "" is every state
	Rows   []paymentRow
	Capped bool // more payments exist than are shown
	Upload bool // the statement upload form is offered
}

func (c *Console) paymentsPage(w http.ResponseWriter, r *http.Request, s *session) {
	if c.d.Payments == nil {
		http.NotFound(w, r)
		return
	}
	p := page{Title: "Payments", Tab: "payments", User: &s.ConsoleSession}
	q := r.URL.Query()
	if q.Get("m") == "undone" {
		p.Notice = fmt.Sprintf("Payment %s is undone in Mifos and marked reversed.", oneWord(q.Get("txn")))
	}
	state := q.Get("state")
	if state != "" && !slices.Contains(store.PaymentStates, store.PaymentState(state)) {
		p.Error = "Choose a state from the list."
		c.showPayments(w, s, http.StatusBadRequest, p, "")
		return
	}
	c.showPayments(w, s, http.StatusOK, p, state)
}

// showPayments renders the list of payments in state ("" = all).
func (c *Console) showPayments(w http.ResponseWriter, s *session, status int, p page, state string) {
	list, err := c.d.DB.ListPayments(store.PaymentState(state), paymentsShown+1)
	if err != nil {
		c.d.Logger.Error("console payments page failed", "err", err)
		p.Error = "The box could not read its payments; try again."
		c.render(w, http.StatusInternalServerError, p, nil)
		return
	}
	undo := c.may(s, undoMoney)
	d := paymentsData{State: state, Upload: c.may(s, postMoney) && c.d.Statements != nil}
	if len(list) > paymentsShown {
		list, d.Capped = list[:paymentsShown], true
	}
	now := c.d.Now().In(c.d.Location)
	for _, pay := range list {
		row := paymentRow{Payment: pay, Money: mifos.Amount(pay.Amount).Format(2),
			Writable: undo && pay.State == store.PaymentReversalPending}
		if !pay.Time.IsZero() {
			// The operator's own clock, with its offset: what the SMS said.
			row.When = clock(pay.Time, now.In(pay.Time.Location()))
		}
		for i, id := range pay.FineractTxnIDs {
			if i > 0 {
				row.TxnIDs += ", "
			}
			row.TxnIDs += strconv.FormatInt(id, 10)
		}
		d.Rows = append(d.Rows, row)
	}
	c.render(w, status, p, paymentsHTML(d))
}

// undo reverses in Mifos what a reversal-pending payment posted, as the
// person pressing the button decided.
func (c *Console) undo(w http.ResponseWriter, r *http.Request, s *session) {
	if c.d.Payments == nil {
		http.NotFound(w, r)
		return
	}
	p := page{Title: "Payments", Tab: "payments", User: &s.ConsoleSession}
	back := string(store.PaymentReversalPending)
	if status, problem := c.refusal(s, undoMoney); problem != "" {
		p.Error = problem
		c.showPayments(w, s, status, p, back)
		return
	}
	operator, txn := r.PostFormValue("operator"), r.PostFormValue("txn_id")
	if operator == "" || txn == "" || len(operator) > 40 || len(txn) > 60 {
		p.Error = "That payment is not valid."
		c.showPayments(w, s, http.StatusBadRequest, p, back)
		return
	}
	got, err := c.d.Payments.Undo(r.Context(), operator, txn)
	if err != nil {
		status, msg := undoFailure(err, txn)
		if status == http.StatusServiceUnavailable {
			c.d.Logger.Warn("console could not undo a payment", "operator", operator, "txn", txn, "err", err)
		}
		p.Error = msg
		c.showPayments(w, s, status, p, back)
		return
	}
	c.d.Logger.Info("console undid a reversed payment in Mifos", "user", s.Username, "operator", got.Operator, "txn", got.TxnID)
	seeOther(w, r, queryTo("/console/payments", url.Values{"state": {string(store.PaymentReversed)}, "m": {"undone"}, "txn": {got.TxnID}}).s)
}

// undoFailure is the status and sentence for an undo that did not
// happen: no such payment, not reversal-pending, Mifos not answering, or
// a refusal (Mifos's, or the core's: a posting still under way, a
// checker to decide first) shown as it was said.
func undoFailure(err error, txn string) (int, string) {
	var answered *mifos.Error
	var netErr net.Error
	switch {
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, fmt.Sprintf("There is no payment %s.", txn)
	case errors.Is(err, store.ErrPaymentState):
		return http.StatusConflict, fmt.Sprintf("Payment %s is not waiting for an undo (any more); nothing was changed.", txn)
	case errors.As(err, &answered):
		switch mifos.Classify(err) {
		case mifos.Unreachable, mifos.Busy, mifos.ServerError:
		default:
			return http.StatusUnprocessableEntity, "Not undone: " + err.Error()
		}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr):
	default:
		// The core's own refusals are sentences for a person.
		return http.StatusUnprocessableEntity, "Not undone: " + err.Error()
	}
	return http.StatusServiceUnavailable, "Mifos did not answer; nothing more was undone. Try again: what was undone already counts."
}

// paymentStates is the filter's choice, in the order people think of them.
var paymentStates = []markup{"posted", "pending", "failed", "suspense", "ignored", "reversal-pending", "reversed"}

// paymentsHTML is the filter, then each payment: amount, operator and
// transaction id; payer, account typed; state, reason and flag; what was
// posted in Mifos; and for a reversal-pending one, the undo button.
func paymentsHTML(d paymentsData) func(h *htmlWriter) {
	return func(h *htmlWriter) {
		h.raw("\n<form method=\"get\" action=\"/console/payments\" class=\"card\">\n<label>State <select name=\"state\">\n<option value=\"\">every state</option>\n")
		for _, s := range paymentStates {
			h.raw(`<option value="` + s + `"`)
			if d.State == string(s) {
				h.raw(" selected")
			}
			h.raw(">" + s + "</option>\n")
		}
		h.raw("</select></label>\n<button type=\"submit\">Show</button>\n</form>\n<section class=\"card\">\n")
		if len(d.Rows) == 0 {
			h.raw("<p>No payments.</p>")
		}
		for _, r := range d.Rows {
			paymentHead(h, r.Money, r.Payment, r.When)
			h.suffix(" · by ", r.Source)
			h.raw("</p>\n<p><strong>")
			h.text(string(r.State))
			h.raw("</strong>")
			h.suffix(" · account ", r.AccountNo)
			h.suffix(" · Mifos transaction ", r.TxnIDs)
			h.raw("</p>\n")
			if r.Reason != "" {
				h.raw("<p class=\"why\">")
				h.text(r.Reason)
				h.raw("</p>\n")
			}
			if r.Flag != "" {
				h.raw("<p class=\"warn\">")
				h.text(r.Flag)
				h.raw("</p>\n")
			}
			if r.Writable {
				h.raw("<form method=\"post\" action=\"/console/payments/undo\">")
				h.raw("<input type=\"hidden\" name=\"operator\"")
				h.attr("value", r.Operator)
				h.raw("><input type=\"hidden\" name=\"txn_id\"")
				h.attr("value", r.TxnID)
				h.raw("><button type=\"submit\" class=\"danger\">Undo payment ")
				h.text(r.TxnID)
				h.raw(" in Mifos</button></form>\n")
			}
			h.raw("</div>\n")
		}
		if d.Capped {
			h.raw("<p class=\"small\">Only the newest ")
			h.int(paymentsShown)
			h.raw(" are shown; <code>mifos-edge payments</code> lists them all.</p>\n")
		}
		h.raw("\n</section>\n")
		if d.Upload {
			statementHTML(h)
		}
	}
}
