package posting

import (
	"testing"

	"github.com/mifos-edge/mifos-edge/store"
)

// Fineract changes an amount only in a currency without decimals, so only
// such an entry (or one whose currency was not known) costs a read back.
func TestPostedAmountReadBackOnlyWithoutDecimals(t *testing.T) {
	fake := newFake()
	h := newHarness(t, fake, nil)
	kes := loanEntry(1, 5, "kes-1")
	kes.Currency, kes.Decimals = "KES", 2
	ugx := savingsEntry(2, 6, "ugx-1")
	ugx.Currency = "UGX"
	ids := []uint64{h.append(kes), h.append(ugx)}
	h.start()
	for _, e := range h.waitSettled(ids...) {
		if e.State != store.JournalDone || e.PostedAmount != 0 {
			t.Fatalf("entry %+v", e)
		}
	}
	if n := len(fake.callsOf("read-loan")); n != 0 {
		t.Errorf("a KES repayment was read back %d times", n)
	}
	if n := len(fake.callsOf("read-savings")); n != 1 {
		t.Errorf("a UGX deposit was read back %d times, want once", n)
	}
}
