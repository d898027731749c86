package handler

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

func entry(id uint64, state store.JournalState, item string, amount int64) store.JournalEntry {
	return store.JournalEntry{ID: id, Batch: 7, Kind: store.JournalLoanRepayment, State: state, Officer: "+254722000012",
		ClientPhone: "+254712345678", ClientID: 42, ClientName: "Amina Odhiambo", AccountNo: "000000981",
		Currency: "KES", Decimals: 2, Amount: amount, ItemRef: item}
}

func TestConfirmationsWaitForTheWholeBatch(t *testing.T) {
	env := &Env{}
	a := entry(1, store.JournalDone, "L1", 500_000_000)
	a.FineractTxnIDs = []int64{15734}
	a.BalanceAfter = "loan 000000981 13,750.50"
	b := entry(2, store.JournalPending, "S1", 200_000_000)
	if out := env.Confirmations(a, []store.JournalEntry{a, b}); out != nil {
		t.Fatalf("confirmed before the batch settled: %+v", out)
	}
	b.State, b.LastError = store.JournalFailed, "fineract 403 error.msg.x: Account is blocked"
	out := env.Confirmations(b, []store.JournalEntry{a, b})
	if len(out) != 2 {
		t.Fatalf("want officer and client SMS, got %+v", out)
	}
	officer, client := out[0], out[1]
	// Fineract's own message stays out of the SMS: only status and code.
	for _, want := range []string{"Posted for Amina Odhiambo", "L1 500.00 (txn 15734)", "NOT posted", "S1 200.00 - Mifos refused it (error 403, error.msg.x)."} {
		if !strings.Contains(officer.Text, want) {
			t.Errorf("officer SMS lacks %q: %s", want, officer.Text)
		}
	}
	if strings.Contains(officer.Text, "Account is blocked") {
		t.Errorf("officer SMS quotes Fineract's message: %s", officer.Text)
	}
	if officer.To != "+254722000012" || client.To != "+254712345678" {
		t.Errorf("recipients %s, %s", officer.To, client.To)
	}
	if !strings.Contains(client.Text, "KES 500.00") || !strings.Contains(client.Text, "13,750.50") || strings.Contains(client.Text, "200.00") {
		t.Errorf("client SMS should name only what was posted, with the new balance: %s", client.Text)
	}
}

func TestConfirmationsSkipSupersededEntries(t *testing.T) {
	env := &Env{}
	placeholder := entry(1, store.JournalDone, "L1", 500_000_000)
	placeholder.Kind, placeholder.SupersededBy = store.JournalUnresolved, 2
	real := entry(2, store.JournalDone, "L1", 500_000_000)
	real.FineractTxnIDs = []int64{9}
	out := env.Confirmations(real, []store.JournalEntry{placeholder, real})
	if len(out) != 2 || strings.Count(out[0].Text, "L1 500.00") != 1 {
		t.Fatalf("one item, once: %+v", out)
	}
}

func TestConfirmationsForAnOfflineItemThatCouldNotBeResolved(t *testing.T) {
	env := &Env{}
	e := store.JournalEntry{ID: 1, Batch: 3, Kind: store.JournalUnresolved, State: store.JournalFailed, Officer: "+254722000012",
		ClientRef: "99999", ItemRef: "L1", Amount: 5_000_000, LastError: "No active client 99999 was found."}
	out := env.Confirmations(e, []store.JournalEntry{e})
	if len(out) != 1 || !strings.Contains(out[0].Text, "NOT posted for 99999: L1 5.00 - No active client 99999") {
		t.Fatalf("officer should hear why: %+v", out)
	}
}

// A currency without minor units reads the same in every SMS: BAL, the
// payment confirmations, the collection total and the reminder say
// "50,000", never "50,000.00" (one formatter: mifos.Currency.Format).
func TestZeroDecimalCurrencyInEveryTemplate(t *testing.T) {
	env := &Env{}
	ugx := mifos.Currency{Code: "UGX", DecimalPlaces: 0}
	pay := store.JournalEntry{ID: 1, Batch: 7, Kind: store.JournalLoanRepayment, State: store.JournalDone, Officer: "+256772000012",
		ClientPhone: "+256712345678", ClientID: 42, ClientName: "Aisha", AccountNo: "000000981",
		Currency: "UGX", Decimals: 0, Amount: 50_000_000_000, ItemRef: "L1", FineractTxnIDs: []int64{5}}
	out := env.Confirmations(pay, []store.JournalEntry{pay})
	if len(out) != 2 || !strings.Contains(out[0].Text, "L1 50,000 (txn 5)") || !strings.Contains(out[1].Text, "UGX 50,000 to") {
		t.Fatalf("payment confirmations: %+v", out)
	}
	payload, err := json.Marshal(CollectPayload{GroupName: "Umoja", Currency: ugx,
		Clients: []CollectedShare{{ClientID: 42, Name: "Aisha", Phone: "+256712345678", Amount: 50_000_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	sheet := store.JournalEntry{ID: 2, Batch: 8, Kind: store.JournalCollectionSheet, State: store.JournalDone, Officer: "+256772000012",
		Amount: 50_000_000_000, Currency: "UGX", Date: "2026-12-01", Payload: payload}
	for _, o := range env.Confirmations(sheet, []store.JournalEntry{sheet}) {
		if !strings.Contains(o.Text, "50,000") || strings.Contains(o.Text, "50,000.00") {
			t.Errorf("collection SMS to %s: %q", o.To, o.Text)
		}
	}
	b := Balance{Env: env}
	bal := b.Render(View{Name: "Aisha", Loans: []LoanView{{LoanID: 1, AccountNo: "981", Currency: "UGX", Decimals: 0, Outstanding: 50_000_000_000}}}, false)
	if !strings.Contains(bal, "50,000") || strings.Contains(bal, "50,000.00") {
		t.Errorf("BAL: %q", bal)
	}
	sum := env.RemindSummary([]Reminder{{ClientID: 42, Overdue: 50_000_000_000, Currency: ugx}}, 0, "group 7")
	if !strings.Contains(sum, "50,000 overdue") {
		t.Errorf("reminder summary: %q", sum)
	}
}

// A sheet that Fineract posted for another total (a currency rounded to its
// inMultiplesOf) tells the officer Fineract's total and the clients nothing:
// their shares of it are not known.
func TestCollectionRoundedByFineractTellsItsTotalOnly(t *testing.T) {
	env := &Env{}
	ugx := mifos.Currency{Code: "UGX", DecimalPlaces: 0, InMultiplesOf: 100}
	payload, err := json.Marshal(CollectPayload{GroupName: "Umoja", Currency: ugx,
		Clients: []CollectedShare{{ClientID: 42, Name: "Aisha", Phone: "+256712345678", Amount: 1_050_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	sheet := store.JournalEntry{ID: 2, Batch: 8, Kind: store.JournalCollectionSheet, State: store.JournalDone, Officer: "+256772000012",
		Amount: 1_050_000_000, PostedAmount: 1_100_000_000, Currency: "UGX", Date: "2026-12-01", Payload: payload}
	out := env.Confirmations(sheet, []store.JournalEntry{sheet})
	if len(out) != 1 || out[0].To != "+256772000012" || !strings.Contains(out[0].Text, "total 1,100 (Mifos rounded the 1,050 sent") {
		t.Fatalf("confirmations: %+v", out)
	}
}
