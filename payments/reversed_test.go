package payments

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/store"
)

// A reversal notice that arrives before its payment is remembered: the
// payment, when it comes (by SMS or from a statement), is recorded
// reversal-pending, naming the reversal, and never matched nor posted;
// a payment no reversal names is posted as usual.
func TestReversalBeforeItsPayment(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	for _, rv := range []mobilemoney.Payment{reversal("QREVEARLY1", "qearlysms1"), reversal("QREVEARLY2", "QEARLYST01")} {
		if _, added, err := r.core.Record(ctx, rv); err != nil || !added {
			t.Fatalf("reversal %s: added %v, %v", rv.TxnID, added, err)
		}
	}
	sms, added, err := r.core.Record(ctx, payment("QEARLYSMS1", "981", "120", "sms"))
	if err != nil || !added {
		t.Fatalf("payment after its reversal: added %v, %v", added, err)
	}
	res := r.core.RecordBatch(ctx, []mobilemoney.Payment{
		payment("QEARLYST01", "981", "130", "statement"),
		payment("QEARLYOK01", "981", "140", "statement"),
	})
	for i, got := range []store.Payment{sms, res[0].Payment} {
		rev := []string{"QREVEARLY1", "QREVEARLY2"}[i]
		if got.State != store.PaymentReversalPending || len(got.Journal) > 0 || !strings.Contains(got.Reason, rev) {
			t.Errorf("%s: state %s, reason %q, journal %v; want reversal-pending naming %s", got.TxnID, got.State, got.Reason, got.Journal, rev)
		}
	}
	if res[0].Err != nil || !res[0].Added || res[1].Err != nil || !res[1].Added {
		t.Fatalf("batch: %+v", res)
	}
	// The unreversed payment of the same batch is posted: once it is, the
	// worker has had its chance at the reversed ones too.
	r.waitState(t, "mpesa-ke", "QEARLYOK01", store.PaymentPosted)
	time.Sleep(50 * time.Millisecond)
	for _, id := range []string{"QEARLYSMS1", "QEARLYST01"} {
		p, err := r.core.DB.Payment("mpesa-ke", id)
		if err != nil || p.State != store.PaymentReversalPending || len(p.Journal) > 0 {
			t.Errorf("%s later: %+v, %v", id, p, err)
		}
		if n := len(r.loanTxns(fineractsim.SeedLoanAmina, "mm-mpesa-ke-"+id)); n != 0 {
			t.Errorf("%s: %d repayments posted for a reversed payment", id, n)
		}
	}
}
