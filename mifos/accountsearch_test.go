package mifos_test

import (
	"context"
	"testing"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
)

// A loan or savings account number finds that account with or without its
// zero padding; a client number or an unknown number finds none.
func TestAccountsByNoFromStandIn(t *testing.T) {
	_, c := standIn(t)
	ctx := context.Background()
	cases := []struct {
		no   string
		want []mifos.AccountHit
	}{
		{"981", []mifos.AccountHit{{Loan: true, ID: fineractsim.SeedLoanAmina, AccountNo: "000000981", ClientID: fineractsim.SeedClientAmina}}},
		{"000000981", []mifos.AccountHit{{Loan: true, ID: fineractsim.SeedLoanAmina, AccountNo: "000000981", ClientID: fineractsim.SeedClientAmina}}},
		{"0077", []mifos.AccountHit{{ID: fineractsim.SeedSavingsAmina, AccountNo: "000000077", ClientID: fineractsim.SeedClientAmina}}},
		{"42", nil}, // a client's number, not an account's
		{"555", nil},
		{"000", nil},
	}
	for _, tc := range cases {
		got, err := c.AccountsByNo(ctx, tc.no)
		if err != nil {
			t.Fatalf("%s: %v", tc.no, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: got %+v, want %+v", tc.no, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("%s: got %+v, want %+v", tc.no, got, tc.want)
			}
		}
	}
	if _, err := c.AccountsByNo(ctx, "98%"); err == nil {
		t.Fatal("a number with a wildcard was searched")
	}
}
