package handler

import (
	"errors"
	"testing"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

func ugandaClient() resolvedClient {
	ugx := mifos.Currency{Code: "UGX", DecimalPlaces: 0}
	kes := mifos.Currency{Code: "KES", DecimalPlaces: 2}
	return resolvedClient{Client: mifos.Client{ID: 7, DisplayName: "Sarah"}, accounts: mifos.Accounts{
		Loans: []mifos.LoanSummary{
			{ID: 12, AccountNo: "000000012", StatusID: 300, Currency: ugx, ActualDisbursementDate: mifos.Date{Year: 2026, Month: 3, Day: 1}},
			{ID: 11, AccountNo: "000000011", StatusID: 300, Currency: ugx, ActualDisbursementDate: mifos.Date{Year: 2025, Month: 9, Day: 1}},
			{ID: 10, AccountNo: "000000010", StatusID: 600, Currency: ugx},
		},
		Savings: []mifos.SavingsSummary{{ID: 30, AccountNo: "000000030", StatusID: 300, Currency: kes}},
	}}
}

func TestResolveItems(t *testing.T) {
	env := &Env{}
	c := ugandaClient()
	cases := []struct {
		item    PayItem
		account int64
		kind    store.JournalKind
		refusal string
	}{
		{PayItem{Kind: LoanItem, Index: 1, Amount: 500_000_000}, 11, store.JournalLoanRepayment, ""}, // oldest disbursed first
		{PayItem{Kind: LoanItem, Index: 2, Amount: 500_000_000}, 12, store.JournalLoanRepayment, ""},
		{PayItem{Kind: LoanItem, Index: 3, Amount: 500_000_000}, 0, "", "pay.no_loan"},
		{PayItem{Kind: SavingsItem, Index: 1, Amount: 200_500_000}, 30, store.JournalSavingsDeposit, ""},
		{PayItem{Kind: AccountItem, AccountNo: "12", Amount: 1_000_000}, 12, store.JournalLoanRepayment, ""},
		{PayItem{Kind: AccountItem, AccountNo: "000000010", Amount: 1_000_000}, 0, "", "pay.loan_not_active"},
		{PayItem{Kind: AccountItem, AccountNo: "999", Amount: 1_000_000}, 0, "", "pay.no_account"},
		// UGX has no minor units: 500.50 would be rounded by Fineract.
		{PayItem{Kind: LoanItem, Index: 1, Amount: 500_500_000}, 0, "", "pay.bad_decimals"},
	}
	for _, tc := range cases {
		got, err := env.resolveItem(c, tc.item)
		var ue *userError
		switch {
		case tc.refusal != "":
			if !errors.As(err, &ue) || ue.key != tc.refusal {
				t.Errorf("%+v: got %+v, %v; want refusal %s", tc.item, got, err, tc.refusal)
			}
		case err != nil || got.accountID != tc.account || got.kind != tc.kind:
			t.Errorf("%+v: got %+v, %v; want account %d (%s)", tc.item, got, err, tc.account, tc.kind)
		}
	}
}
