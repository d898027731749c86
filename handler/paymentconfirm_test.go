package handler

import (
	"testing"

	"github.com/mifos-edge/mifos-edge/store"
)

// A mobile-money payment's receipt: once every part settled, to the number
// Fineract holds, in the configured language; nothing for a failure.
func TestPaymentConfirmations(t *testing.T) {
	done := store.JournalEntry{Batch: store.PaymentBatchBase + 3, Kind: store.JournalLoanRepayment, Payment: "mpesa-tz/QX1",
		ClientPhone: "+255712000001", ClientName: "Neema", AccountNo: "000000981", Amount: 50_000_000_000, Currency: "TZS",
		State: store.JournalDone, BalanceAfter: "loan 000000981 20,000"}
	saving := done
	saving.Kind, saving.AccountNo, saving.Amount, saving.BalanceAfter = store.JournalSavingsDeposit, "000000077", 5_000_000_000, "savings 000000077 9,000"
	for _, tc := range []struct {
		lang  string
		batch []store.JournalEntry
		want  string
	}{
		{"en", []store.JournalEntry{done, saving}, "Dear Neema, we received your M-Pesa payment QX1: TZS 50,000 to 000000981, TZS 5,000 to 000000077. New balance: loan 000000981 20,000, savings 000000077 9,000. Thank you."},
		{"sw", []store.JournalEntry{done}, "Mpendwa Neema, tumepokea malipo yako ya M-Pesa QX1: TZS 50,000 to 000000981. Salio jipya: loan 000000981 20,000. Asante."},
	} {
		texts, err := NewTexts(tc.lang, nil)
		if err != nil {
			t.Fatal(err)
		}
		e := &Env{Texts: texts}
		out := e.Confirmations(tc.batch[0], tc.batch)
		if len(out) != 1 || out[0].To != "+255712000001" || out[0].Text != tc.want {
			t.Fatalf("%s: %+v\nwant %q", tc.lang, out, tc.want)
		}
	}
	pending := saving
	pending.State = store.JournalPending
	e := &Env{}
	if out := e.Confirmations(done, []store.JournalEntry{done, pending}); len(out) != 0 {
		t.Fatalf("confirmed before every part settled: %+v", out)
	}
	failed := done
	failed.State = store.JournalFailed
	if out := e.Confirmations(failed, []store.JournalEntry{failed}); len(out) != 0 {
		t.Fatalf("an SMS for a refusal: %+v", out)
	}
}
