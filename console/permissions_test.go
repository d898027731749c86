package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/store"
)

// moneyRig holds one of each thing a money action changes: a suspense
// payment, a reversal-pending one, a failed posting; and a statement.
func moneyRig(t *testing.T) (*rig, *fakePaymentDesk, []byte, uint64) {
	t.Helper()
	r, _, file := statementRig(t)
	desk := r.deps.Payments.(*fakePaymentDesk)
	desk.accounts = map[string]bool{"000000981": true}
	addPayments(t, r.db, map[string]store.PaymentState{"PSUS": store.PaymentSuspense, "PREV": store.PaymentReversalPending})
	id, err := r.db.AppendJournal(store.JournalEntry{Batch: 7, Kind: store.JournalLoanRepayment, AccountID: 43, AccountNo: "000000043",
		ClientName: "Opio Peter", Amount: 10_500 * 1_000_000, Currency: "KES", Decimals: 2, Date: today(r), ExternalID: "sms-7"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.db.FailJournalWith(id, nil, "fineract 403 error.msg.loan.closed", "the loan is closed", nil); err != nil {
		t.Fatal(err)
	}
	return r, desk, file, id
}

// Each money action needs the Mifos permissions the same person would
// need in Mifos: without them it is refused (403, the permission named,
// nothing changed) and its form is not offered; with them it is done.
func TestMoneyActionsNeedMifosPermissions(t *testing.T) {
	r, desk, file, failedID := moneyRig(t)
	requeuePath := "/console/money/" + itoa(int64(failedID)) + "/requeue"
	assign := url.Values{"operator": {"mpesa-ke"}, "txn_id": {"PSUS"}, "account": {"000000981"}}
	undo := url.Values{"operator": {"mpesa-ke"}, "txn_id": {"PREV"}}
	payments := func() int {
		all, err := r.db.ListPayments("", 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	before := payments()

	// The manager decides loans but may not move money.
	m := r.browser()
	m.mustSignIn("manager", managerPassword)
	if pg := m.get("/console/money"); strings.Contains(pg.body, "/console/money/assign") || strings.Contains(pg.body, "/requeue") ||
		!strings.Contains(pg.body, "PSUS") || !strings.Contains(pg.body, "the loan is closed") {
		t.Errorf("manager's money page offers money actions:\n%s", pg.body)
	}
	if pg := m.get("/console/payments"); strings.Contains(pg.body, "/console/payments/undo") || strings.Contains(pg.body, StatementPath) ||
		!strings.Contains(pg.body, "PREV") {
		t.Errorf("manager's payments page offers money actions:\n%s", pg.body)
	}
	for _, tc := range []struct {
		name string
		do   func() answer
		says string
	}{
		{"assign", func() answer { return m.post("/console/money/assign", assign) },
			"may not record repayments and deposits (permissions REPAYMENT_LOAN and DEPOSIT_SAVINGSACCOUNT)"},
		{"requeue", func() answer { return m.post(requeuePath, nil) }, "may not record repayments (permission REPAYMENT_LOAN)"},
		{"undo", func() answer { return m.post("/console/payments/undo", undo) },
			"may not undo transactions (permissions UNDOTRANSACTION_LOAN and UNDOTRANSACTION_SAVINGSACCOUNT)"},
		{"statement", func() answer { return m.upload("statement.csv", file, false, r.srv.URL) },
			"may not record repayments and deposits (permissions REPAYMENT_LOAN and DEPOSIT_SAVINGSACCOUNT)"},
	} {
		if a := tc.do(); a.status != http.StatusForbidden || !strings.Contains(a.body, tc.says) {
			t.Errorf("manager %s: %d, want 403 saying %q\n%s", tc.name, a.status, tc.says, a.body)
		}
	}
	if len(desk.assigned) != 0 || len(desk.undone) != 0 {
		t.Errorf("the manager moved money: assigned %v undone %v", desk.assigned, desk.undone)
	}
	if e, _ := r.db.JournalEntry(failedID); e.State != store.JournalFailed {
		t.Errorf("the manager's requeue changed the posting to %s", e.State)
	}
	if n := payments(); n != before {
		t.Errorf("the manager's statement import recorded %d payments", n-before)
	}

	// The cashier records money but may not undo it.
	c := r.browser()
	c.mustSignIn("cashier", "cashier password 1")
	if pg := c.get("/console/money"); !strings.Contains(pg.body, "/console/money/assign") || !strings.Contains(pg.body, requeuePath) {
		t.Errorf("cashier's money page lacks the forms:\n%s", pg.body)
	}
	if pg := c.get("/console/payments"); strings.Contains(pg.body, "/console/payments/undo") || !strings.Contains(pg.body, StatementPath) {
		t.Errorf("cashier's payments page: undo offered or import missing:\n%s", pg.body)
	}
	if a := c.post("/console/payments/undo", undo); a.status != http.StatusForbidden || !strings.Contains(a.body, "UNDOTRANSACTION_LOAN") {
		t.Errorf("cashier undo: %d\n%s", a.status, a.body)
	}
	if a := c.post("/console/money/assign", assign); a.status != http.StatusSeeOther {
		t.Errorf("cashier assign: %d\n%s", a.status, a.body)
	}
	if a := c.post(requeuePath, nil); a.status != http.StatusSeeOther {
		t.Errorf("cashier requeue: %d\n%s", a.status, a.body)
	}
	if a := c.upload("statement.csv", file, false, r.srv.URL); a.status != http.StatusOK || payments() == before {
		t.Errorf("cashier import: %d, %d payments before and after\n%s", a.status, before, a.body)
	}
	if len(desk.assigned) != 1 || len(desk.undone) != 0 {
		t.Errorf("after the cashier: assigned %v undone %v", desk.assigned, desk.undone)
	}

	// The clerk may undo.
	k := r.browser()
	k.mustSignIn("clerk", "clerk password 1")
	if pg := k.get("/console/payments"); !strings.Contains(pg.body, "/console/payments/undo") {
		t.Errorf("clerk's payments page lacks undo:\n%s", pg.body)
	}
	if a := k.post("/console/payments/undo", undo); a.status != http.StatusSeeOther || len(desk.undone) != 1 {
		t.Errorf("clerk undo: %d %v\n%s", a.status, desk.undone, a.body)
	}
}

// A failed posting of a payment the operator reversed is not requeued
// from the console: 409 and a sentence, the posting stays failed.
func TestRequeueOfAReversedPaymentIsRefused(t *testing.T) {
	r := newRig(t)
	r.start()
	var p store.Payment
	err := r.db.Update(func(tx *store.Tx) (err error) {
		if p, _, err = tx.AddPayment(store.Payment{Operator: "mpesa-ke", TxnID: "RQR1", Kind: "payment", Amount: 1_000_000000,
			Currency: "KES", Source: "sms", State: store.PaymentPending}); err != nil {
			return err
		}
		p, err = tx.JournalPayment(p.Key(), 42, []store.JournalEntry{{Kind: store.JournalLoanRepayment, AccountID: 981,
			AccountNo: "000000981", Amount: 1_000_000000, Currency: "KES", Decimals: 2, Date: today(r), ExternalID: "mm-rqr1"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	id := p.Journal[0]
	if err := r.db.FailJournalWith(id, nil, "fineract 403 x", "the loan is closed", nil); err != nil {
		t.Fatal(err)
	}
	err = r.db.Update(func(tx *store.Tx) error {
		_, err := tx.SetPaymentState(p.Key(), []store.PaymentState{store.PaymentFailed}, store.PaymentReversalPending, "the operator reversed it")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b := r.browser()
	b.mustSignIn("clerk", "clerk password 1")
	a := b.post("/console/money/"+itoa(int64(id))+"/requeue", nil)
	if a.status != http.StatusConflict || !strings.Contains(a.body, "the operator reversed; it must not be posted") {
		t.Errorf("requeue of a reversed payment's posting: %d\n%s", a.status, a.body)
	}
	if e, _ := r.db.JournalEntry(id); e.State != store.JournalFailed {
		t.Errorf("the posting is %s", e.State)
	}
}
