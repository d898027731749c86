package payments

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/store"
)

// A batch (a statement's rows): each payment recorded once, a repeat in
// the same batch and one already known are seen again, a bad one is
// refused with its field while the rest go on; the new ones are matched
// and posted once each.
func TestRecordBatchRecordsEachOnce(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, _, err := r.core.Record(ctx, payment("QBA0KNOWN1", "981", "100", "sms")); err != nil {
		t.Fatal(err)
	}
	bad := payment("QBA3BAD", "981", "0", "statement")
	res := r.core.RecordBatch(ctx, []mobilemoney.Payment{
		payment("qba1loan01", "981", "250", "statement"),
		payment("QBA2SAV001", "77", "40", "statement"),
		bad,
		payment("QBA1LOAN01", "981", "250", "statement"),
		payment("QBA0KNOWN1", "981", "100", "statement"),
		payment("QBA4NOBODY", "", "75", "statement"),
	})
	type want struct {
		added bool
		state []store.PaymentState // any of these (the worker may have posted it already)
		err   string
	}
	journaled := []store.PaymentState{store.PaymentPending, store.PaymentPosted}
	wants := []want{{true, journaled, ""}, {true, journaled, ""}, {false, nil, "amount"},
		{false, journaled, ""}, {false, nil, ""}, {true, []store.PaymentState{store.PaymentSuspense}, ""}}
	for i, w := range wants {
		got := res[i]
		var inv *InvalidError
		switch {
		case w.err != "":
			if !asInvalid(got.Err, &inv) || inv.Field != w.err {
				t.Errorf("%d: err %v, want invalid %s", i, got.Err, w.err)
			}
		case got.Err != nil || got.Added != w.added || (w.state != nil && !slices.Contains(w.state, got.Payment.State)):
			t.Errorf("%d: %+v, want %+v", i, got, w)
		}
	}
	if res[0].Payment.TxnID != "QBA1LOAN01" || !res[0].Payment.Matched || !res[1].Payment.Matched {
		t.Errorf("not matched at once: %+v / %+v", res[0].Payment, res[1].Payment)
	}
	r.waitState(t, "mpesa-ke", "QBA1LOAN01", store.PaymentPosted)
	r.waitState(t, "mpesa-ke", "QBA2SAV001", store.PaymentPosted)
	if n := len(r.loanTxns(fineractsim.SeedLoanAmina, "mm-mpesa-ke-QBA1LOAN01")); n != 1 {
		t.Errorf("%d repayments of QBA1LOAN01", n)
	}
	if _, err := r.db.Payment("mpesa-ke", "QBA3BAD"); err == nil {
		t.Error("the refused payment was recorded")
	}
}

// Fineract down: the batch is recorded and waits (not matched), without
// waiting for every payment's timeout; matched and posted when it answers.
func TestRecordBatchWaitsForFineract(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if err := r.fin.SetDown(true); err != nil {
		t.Fatal(err)
	}
	var batch []mobilemoney.Payment
	for _, id := range []string{"QBW1", "QBW2", "QBW3", "QBW4", "QBW5", "QBW6", "QBW7", "QBW8", "QBW9"} {
		batch = append(batch, payment(id+"XXXXX", "981", "10", "statement"))
	}
	began := time.Now()
	res := r.core.RecordBatch(ctx, batch)
	if took := time.Since(began); took > 2*recordMatchWait {
		t.Errorf("a batch took %s while Fineract was down", took)
	}
	for i, x := range res {
		if x.Err != nil || !x.Added || x.Payment.State != store.PaymentPending || x.Payment.Matched {
			t.Fatalf("%d while Fineract is down: %+v", i, x)
		}
	}
	if err := r.fin.SetDown(false); err != nil {
		t.Fatal(err)
	}
	if n, err := r.core.MatchWaiting(ctx, 50); err != nil || n != len(batch) {
		t.Fatalf("match waiting: %d %v", n, err)
	}
	for _, p := range batch {
		r.waitState(t, "mpesa-ke", p.TxnID, store.PaymentPosted)
	}
}
