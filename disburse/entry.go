package disburse

import (
	"fmt"
	"regexp"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// confirmationRE is what an operator's confirmation number looks like:
// M-PESA's ten characters, GCash's thirteen digits, others in between;
// always with a digit, so a word ("paid", "yes") is never taken for one.
var confirmationRE = regexp.MustCompile(`^[A-Za-z0-9]*[0-9][A-Za-z0-9]*$`)

// validConfirmation reports whether s can be an operator's confirmation number.
func validConfirmation(s string) bool {
	return len(s) >= 4 && len(s) <= 40 && confirmationRE.MatchString(s)
}

// DisbursementEntry is the journal entry that records line l, paid with
// the operator's confirmation number, as the loan's disbursement in
// Fineract on date: exactly once, by its externalId.
func DisbursementEntry(l store.DisburseLine, confirmation string, paymentTypeID int64, date mifos.Date) store.JournalEntry {
	return store.JournalEntry{
		Batch:         store.DisburseBatchBase + l.ID,
		Kind:          store.JournalLoanDisbursement,
		ClientPhone:   l.Phone,
		ClientID:      l.ClientID,
		ClientName:    l.ClientName,
		AccountID:     l.LoanID,
		AccountNo:     l.AccountNo,
		Amount:        l.Amount,
		Currency:      l.Currency,
		Decimals:      l.Decimals,
		Date:          date.String(),
		ExternalID:    mifos.ExternalIDDisbursal + l.Ref,
		Receipt:       confirmation,
		PaymentTypeID: paymentTypeID,
		Note:          fmt.Sprintf("Mobile disbursement, batch %d line %d, operator confirmation %s", l.Batch, l.ID, confirmation),
	}
}
