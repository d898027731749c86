package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/payments"
	"github.com/mifos-edge/mifos-edge/store"
)

// fakePaymentDesk assigns as the payments core would: only from suspense, only to
// an account it knows.
type fakePaymentDesk struct {
	db       *store.DB
	accounts map[string]bool
	offline  bool
	assigned []string
	// Undo: refuse is Mifos's refusal; busy a posting still under way.
	refuse string
	busy   bool
	undone []string
}

func (f *fakePaymentDesk) Assign(_ context.Context, operator, txnID, account string) (store.Payment, error) {
	p, err := f.db.Payment(operator, txnID)
	if err != nil {
		return p, err
	}
	if p.State != store.PaymentSuspense {
		return p, fmt.Errorf("payment %s is %s: %w", txnID, p.State, store.ErrPaymentState)
	}
	if f.offline {
		return p, fmt.Errorf("no answer from Mifos; nothing was assigned, try again: %w", context.DeadlineExceeded)
	}
	if !f.accounts[account] {
		return p, &payments.InvalidError{Field: "account", Reason: "no loan or savings account has number " + account}
	}
	err = f.db.Update(func(tx *store.Tx) error {
		_, err := tx.SetPaymentState(p.Key(), []store.PaymentState{store.PaymentSuspense}, store.PaymentPending, "")
		return err
	})
	f.assigned = append(f.assigned, txnID+"->"+account)
	return p, err
}

// Suspense payments show on the Money page with why the box did not
// decide, and a person assigns one to an account number.
func TestSuspenseOnTheMoneyPageIsAssigned(t *testing.T) {
	r := newRig(t)
	desk := &fakePaymentDesk{db: r.db, accounts: map[string]bool{"000000981": true}}
	r.deps.Payments = desk
	r.start()
	err := r.db.Update(func(tx *store.Tx) error {
		p, _, err := tx.AddPayment(store.Payment{Operator: "mpesa-ke", TxnID: "SKQ1", Kind: "payment", Amount: 1_200_000000, Currency: "KES",
			PayerName: "MARY <b>WANJIKU</b>", PayerPhone: "0712***678", AccountRef: "school fees", Source: "sms", State: store.PaymentPending})
		if err != nil {
			return err
		}
		_, err = tx.SuspendPayment(p.Key(), "the payer's phone is masked and the account typed matches nothing")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b := r.browser()
	b.mustSignIn("clerk", "clerk password 1")
	m := b.get("/console/money")
	for _, want := range []string{"Mobile money in suspense", "1,200.00 KES", "SKQ1", "MARY &lt;b&gt;WANJIKU&lt;/b&gt;", "0712***678",
		"account typed: school fees", "the payer&#39;s phone is masked", `action="/console/money/assign"`} {
		if !strings.Contains(m.body, want) {
			t.Errorf("money page lacks %q:\n%s", want, m.body)
		}
	}
	form := func(account string) url.Values {
		return url.Values{"operator": {"mpesa-ke"}, "txn_id": {"SKQ1"}, "account": {account}}
	}
	for _, tc := range []struct {
		form   url.Values
		status int
		says   string
	}{
		{form("98x1"), http.StatusUnprocessableEntity, "Type the loan or savings account number"},
		{form(""), http.StatusUnprocessableEntity, "Type the loan or savings account number"},
		{url.Values{"account": {"981"}}, http.StatusBadRequest, "not valid"},
		{form("000000777"), http.StatusUnprocessableEntity, "no loan or savings account has number 000000777"},
		{url.Values{"operator": {"mpesa-ke"}, "txn_id": {"NOPE"}, "account": {"000000981"}}, http.StatusNotFound, "There is no payment NOPE"},
	} {
		a := b.post("/console/money/assign", tc.form)
		if a.status != tc.status || !strings.Contains(a.body, tc.says) {
			t.Errorf("assign %v: %d, want %d saying %q\n%s", tc.form, a.status, tc.status, tc.says, a.body)
		}
	}
	desk.offline = true
	if a := b.post("/console/money/assign", form("000000981")); a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "nothing was assigned") {
		t.Errorf("assign while Mifos is down: %d\n%s", a.status, a.body)
	}
	desk.offline = false
	a := b.post("/console/money/assign", form("000000981"))
	if a.status != http.StatusSeeOther {
		t.Fatalf("assign: %d\n%s", a.status, a.body)
	}
	if got := b.get(a.location); !strings.Contains(got.body, "Payment SKQ1 is assigned to account 000000981") {
		t.Errorf("after assign:\n%s", got.body)
	}
	if a := b.post("/console/money/assign", form("000000981")); a.status != http.StatusConflict {
		t.Errorf("a second assign: %d", a.status)
	}
	if len(desk.assigned) != 1 || desk.assigned[0] != "SKQ1->000000981" {
		t.Errorf("assigned %v", desk.assigned)
	}
}
