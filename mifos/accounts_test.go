package mifos

import (
	"slices"
	"testing"
)

func TestSameAccountNo(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"000000981", "981", true},
		{"981", "000000981", true},
		{"981", "981", true},
		{"000000981", "0981", true},
		{"000000981", "982", false},
		{"9810", "981", false},
		{"", "", false},
		{"", "0", false},
		{"000", "0", false}, // all zeros is no account
		{"00A1", "A1", true},
	}
	for _, c := range cases {
		if got := SameAccountNo(c.a, c.b); got != c.want {
			t.Errorf("SameAccountNo(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestActive(t *testing.T) {
	for status, want := range map[int]bool{300: true, 0: false, 100: false, 200: false, 600: false, 700: false} {
		if Active(status) != want {
			t.Errorf("Active(%d) = %v", status, !want)
		}
	}
}

func TestActiveLoansInTheOrderL1L2(t *testing.T) {
	d := func(y, m, day int) Date { return Date{Year: y, Month: m, Day: day} }
	a := Accounts{Loans: []LoanSummary{
		{ID: 5, StatusID: 300, ActualDisbursementDate: d(2026, 3, 1)},
		{ID: 2, StatusID: 600, ActualDisbursementDate: d(2025, 1, 1)}, // closed
		{ID: 9, StatusID: 300}, // not disbursed: last
		{ID: 4, StatusID: 300, ActualDisbursementDate: d(2026, 3, 1)}, // same day: by id
		{ID: 7, StatusID: 300, ActualDisbursementDate: d(2025, 12, 31)},
		{ID: 8, StatusID: 100, ActualDisbursementDate: d(2025, 1, 1)}, // pending
	}, Savings: []SavingsSummary{{ID: 12, StatusID: 300}, {ID: 3, StatusID: 300, DepositType: 100}, {ID: 1, StatusID: 600},
		{ID: 2, StatusID: 300, DepositType: 200}, {ID: 4, StatusID: 300, DepositType: 300}}} // fixed and recurring deposits
	var ids []int64
	for _, l := range a.ActiveLoans() {
		ids = append(ids, l.ID)
	}
	if want := []int64{7, 4, 5, 9}; !slices.Equal(ids, want) {
		t.Errorf("active loans %v, want %v", ids, want)
	}
	ids = nil
	for _, s := range a.ActiveSavings() {
		ids = append(ids, s.ID)
	}
	if want := []int64{3, 12}; !slices.Equal(ids, want) {
		t.Errorf("active savings %v, want %v", ids, want)
	}
}
