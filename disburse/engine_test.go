package disburse

import (
	"testing"

	"github.com/mifos-edge/mifos-edge/store"
)

// Only a settled disbursement of a line wakes the engine: it may finish
// the line's batch. Every other posting is none of its business.
func TestRecordedWakesTheEngineForALinesDisbursement(t *testing.T) {
	for _, tc := range []struct {
		name string
		j    store.JournalEntry
		wake bool
	}{
		{"a line's disbursement done", store.JournalEntry{Kind: store.JournalLoanDisbursement, DisburseLine: 4, State: store.JournalDone}, true},
		{"a line's disbursement refused", store.JournalEntry{Kind: store.JournalLoanDisbursement, DisburseLine: 4, State: store.JournalFailed}, true},
		{"a disbursement of no line", store.JournalEntry{Kind: store.JournalLoanDisbursement, State: store.JournalDone}, false},
		{"a repayment", store.JournalEntry{Kind: store.JournalLoanRepayment, State: store.JournalDone}, false},
		{"a deposit", store.JournalEntry{Kind: store.JournalSavingsDeposit, State: store.JournalDone}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &Engine{}
			e.Recorded(tc.j)
			if woke := len(e.wakeCh()) == 1; woke != tc.wake {
				t.Fatalf("woke %v, want %v", woke, tc.wake)
			}
		})
	}
}
