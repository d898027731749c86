package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// Undo as the payments core does it: only from reversal-pending; down
// fails as an unreachable Fineract, refuse as Mifos refusing.
func (f *fakePaymentDesk) Undo(_ context.Context, operator, txnID string) (store.Payment, error) {
	p, err := f.db.Payment(operator, txnID)
	if err != nil {
		return p, err
	}
	if p.State != store.PaymentReversalPending {
		return p, fmt.Errorf("payment %s is %s: %w", txnID, p.State, store.ErrPaymentState)
	}
	switch {
	case f.offline:
		return p, fmt.Errorf("undoing transaction 5 on 000000981: %w", context.DeadlineExceeded)
	case f.refuse != "":
		return p, fmt.Errorf("undoing transaction 5 on 000000981: %w", &mifos.Error{Status: 403, Message: f.refuse})
	case f.busy:
		return p, fmt.Errorf("payment %s is still being posted to 000000981; nothing was undone, try again once it is posted", txnID)
	}
	err = f.db.Update(func(tx *store.Tx) error {
		p, err = tx.SetPaymentState(p.Key(), []store.PaymentState{store.PaymentReversalPending}, store.PaymentReversed, "undone in Mifos (transactions 5)")
		return err
	})
	f.undone = append(f.undone, txnID)
	return p, err
}

// addPayments records payments in the states given (by transaction id).
func addPayments(t *testing.T, db *store.DB, states map[string]store.PaymentState) {
	t.Helper()
	err := db.Update(func(tx *store.Tx) error {
		for txn, st := range states {
			_, _, err := tx.AddPayment(store.Payment{Operator: "mpesa-ke", TxnID: txn, Kind: "payment", Amount: 1_050_000000, Currency: "KES",
				PayerName: "JOHN <i>DOE</i>", PayerPhone: "0722***111", AccountRef: "000000981", Source: "sms", State: st, Reason: "reason of " + txn,
				Time: time.Date(2026, 11, 30, 9, 15, 0, 0, time.FixedZone("EAT", 3*3600)), Flag: "balance gap: 500.00 missing before this one"})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The Payments tab lists payments newest first with a state filter, and
// is absent (404, not in the tabs) while mobile money is off.
func TestPaymentsPageListsAndFilters(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	b.mustSignIn("clerk", "clerk password 1")
	if a := b.get("/console/payments"); a.status != http.StatusNotFound {
		t.Errorf("payments page with mobile money off: %d", a.status)
	}
	if a := b.get("/console/"); strings.Contains(a.body, `href="/console/payments"`) {
		t.Errorf("the Payments tab shows while mobile money is off")
	}
	if a := b.post("/console/payments/undo", url.Values{"operator": {"mpesa-ke"}, "txn_id": {"X"}}); a.status != http.StatusNotFound {
		t.Errorf("undo with mobile money off: %d", a.status)
	}

	r.deps.Payments = &fakePaymentDesk{db: r.db}
	r.start()
	addPayments(t, r.db, map[string]store.PaymentState{"TAA1POSTED": store.PaymentPosted})
	addPayments(t, r.db, map[string]store.PaymentState{"TAA2REV": store.PaymentReversalPending})
	addPayments(t, r.db, map[string]store.PaymentState{"TAA3SUSP": store.PaymentSuspense})
	all := b.get("/console/payments")
	if all.status != http.StatusOK {
		t.Fatalf("payments: %d\n%s", all.status, all.body)
	}
	for _, want := range []string{`href="/console/payments" aria-current="page"`, "1,050.00 KES", "JOHN &lt;i&gt;DOE&lt;/i&gt;", "0722***111",
		"account typed: 000000981", "balance gap: 500.00 missing", "reason of TAA2REV", "reversal-pending", "09:15", "Undo payment TAA2REV in Mifos"} {
		if !strings.Contains(all.body, want) {
			t.Errorf("payments page lacks %q", want)
		}
	}
	i1, i2, i3 := strings.Index(all.body, "TAA1POSTED"), strings.Index(all.body, "TAA2REV"), strings.Index(all.body, "TAA3SUSP")
	if i1 < 0 || i2 < 0 || i3 < 0 || !(i3 < i2 && i2 < i1) {
		t.Errorf("not newest first: %d %d %d", i3, i2, i1)
	}
	if strings.Count(all.body, "/console/payments/undo") != 1 {
		t.Errorf("an undo form on a payment that is not reversal-pending:\n%s", all.body)
	}
	susp := b.get("/console/payments?state=suspense")
	if !strings.Contains(susp.body, "TAA3SUSP") || strings.Contains(susp.body, "TAA1POSTED") || strings.Contains(susp.body, "TAA2REV") {
		t.Errorf("suspense filter:\n%s", susp.body)
	}
	if !strings.Contains(susp.body, `<option value="suspense" selected>`) {
		t.Errorf("the filter does not show its choice")
	}
	if a := b.get("/console/payments?state=%3Cscript%3E"); a.status != http.StatusBadRequest || !strings.Contains(a.body, "Choose a state") {
		t.Errorf("unknown state: %d", a.status)
	}
}

// Undo in Mifos: only for a reversal-pending payment, by a writable
// session, each failure with its status and sentence.
func TestPaymentsUndo(t *testing.T) {
	r := newRig(t)
	desk := &fakePaymentDesk{db: r.db}
	r.deps.Payments = desk
	r.start()
	addPayments(t, r.db, map[string]store.PaymentState{"TUU1": store.PaymentReversalPending, "TUU2": store.PaymentPosted})
	b := r.browser()
	b.mustSignIn("clerk", "clerk password 1")
	undo := func(txn string) answer {
		return b.post("/console/payments/undo", url.Values{"operator": {"mpesa-ke"}, "txn_id": {txn}})
	}
	for _, tc := range []struct {
		set    func()
		txn    string
		status int
		says   string
	}{
		{func() {}, "", http.StatusBadRequest, "not valid"},
		{func() {}, "NOPE", http.StatusNotFound, "There is no payment NOPE"},
		{func() {}, "TUU2", http.StatusConflict, "not waiting for an undo"},
		{func() { desk.offline = true }, "TUU1", http.StatusServiceUnavailable, "Mifos did not answer"},
		{func() { desk.offline, desk.refuse = false, "Transaction <b>already</b> closed" }, "TUU1", http.StatusUnprocessableEntity,
			"Transaction &lt;b&gt;already&lt;/b&gt; closed"},
		{func() { desk.refuse, desk.busy = "", true }, "TUU1", http.StatusUnprocessableEntity, "still being posted"},
	} {
		tc.set()
		if a := undo(tc.txn); a.status != tc.status || !strings.Contains(a.body, tc.says) {
			t.Errorf("undo %q: %d, want %d saying %q\n%s", tc.txn, a.status, tc.status, tc.says, a.body)
		}
	}
	desk.busy = false
	if len(desk.undone) != 0 {
		t.Fatalf("undone before it worked: %v", desk.undone)
	}

	// A cross-origin post is refused before the handler.
	req, _ := http.NewRequest("POST", r.srv.URL+"/console/payments/undo", strings.NewReader("operator=mpesa-ke&txn_id=TUU1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if a := b.do(req); a.status != http.StatusForbidden {
		t.Errorf("cross-origin undo: %d", a.status)
	}

	a := undo("TUU1")
	if a.status != http.StatusSeeOther {
		t.Fatalf("undo: %d\n%s", a.status, a.body)
	}
	if got := b.get(a.location); !strings.Contains(got.body, "Payment TUU1 is undone in Mifos") || !strings.Contains(got.body, "TUU1") {
		t.Errorf("after undo:\n%s", got.body)
	}
	if p, _ := r.db.Payment("mpesa-ke", "TUU1"); p.State != store.PaymentReversed {
		t.Errorf("state after undo: %s", p.State)
	}
	if a := undo("TUU1"); a.status != http.StatusConflict {
		t.Errorf("a second undo: %d", a.status)
	}
	if len(desk.undone) != 1 {
		t.Errorf("undone %v", desk.undone)
	}
}

// A session signed in while Mifos was down sees the list without the
// undo button, and an undo posted anyway is refused.
func TestPaymentsUndoReadOnly(t *testing.T) {
	r := newRig(t)
	desk := &fakePaymentDesk{db: r.db}
	r.deps.Payments = desk
	r.start()
	addPayments(t, r.db, map[string]store.PaymentState{"TRO1": store.PaymentReversalPending})
	b := r.browser()
	b.mustSignIn("clerk", "clerk password 1")
	b.post("/console/signout", nil)
	r.fin.mu.Lock()
	r.fin.down = true
	r.fin.mu.Unlock()
	b.mustSignIn("clerk", "clerk password 1")
	list := b.get("/console/payments")
	if !strings.Contains(list.body, "TRO1") || strings.Contains(list.body, "/console/payments/undo") {
		t.Errorf("read-only payments page:\n%s", list.body)
	}
	if a := b.post("/console/payments/undo", url.Values{"operator": {"mpesa-ke"}, "txn_id": {"TRO1"}}); a.status != http.StatusForbidden {
		t.Errorf("read-only undo: %d", a.status)
	}
	if len(desk.undone) != 0 {
		t.Errorf("undone by a read-only session: %v", desk.undone)
	}
}
