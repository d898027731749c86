package handler_test

import (
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// A loan paid out by mobile money: once Fineract records the
// disbursement, the client's SMS gives the amount and the first
// instalment each with its currency, as every other amount the box
// texts a client ("KES 20,000.00", never a bare "20,000.00").
func TestDisbursementSMSNamesTheCurrency(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	const receipt = "7012121108038"
	e := store.JournalEntry{Batch: store.DisburseBatchBase + 1, Kind: store.JournalLoanDisbursement, ClientPhone: fineractsim.SeedRosePhone,
		ClientID: fineractsim.SeedClientRose, ClientName: "Rose Nyambura", AccountID: fineractsim.SeedLoanRose, AccountNo: "000001001",
		Amount: 20_000_000_000, Currency: "KES", Decimals: 2, Date: mifos.DateOf(s.fin.BusinessDate()).String(),
		ExternalID: "md-SPECD1", Receipt: receipt, PaymentTypeID: fineractsim.SeedPaymentMpesa, DisburseLine: 1}
	if _, err := s.db.AppendJournal(e); err != nil {
		t.Fatal(err)
	}
	for _, j := range s.postAll() {
		if j.State != store.JournalDone {
			t.Fatalf("entry %+v", j)
		}
	}
	sms := strings.Join(s.outbound(fineractsim.SeedRosePhone), "\n")
	// Rose's schedule: six monthly instalments of 3,750.00.
	for _, want := range []string{"of KES 20,000.00 was sent", "confirmation " + receipt, "First instalment: KES 3,750.00 on "} {
		if !strings.Contains(sms, want) {
			t.Errorf("the client's SMS lacks %q:\n%s", want, sms)
		}
	}
}
