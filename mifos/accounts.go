package mifos

import (
	"slices"
	"strings"
)

// SameAccountNo reports whether two account numbers name the same account:
// Fineract pads them with zeros ("000000981"), officers and clients do
// not ("981"). Numbers that are empty or all zeros match nothing.
func SameAccountNo(a, b string) bool {
	ta, tb := strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	return ta != "" && ta == tb
}

// LoanOrder is the one order of a client's loans, the order L1, L2... name
// them in PAY and BAL: by actual disbursement date, oldest first, loans
// without one last, ties by loan id. It is a compare function for
// slices.SortStableFunc.
func LoanOrder(disbursedA Date, idA int64, disbursedB Date, idB int64) int {
	key := func(d Date) int {
		if d.IsZero() {
			return 1 << 30
		}
		return d.Year*10000 + d.Month*100 + d.Day
	}
	if ka, kb := key(disbursedA), key(disbursedB); ka != kb {
		return ka - kb
	}
	switch {
	case idA < idB:
		return -1
	case idA > idB:
		return 1
	}
	return 0
}

// ActiveLoans are the active loans in LoanOrder: L1 is the first.
func (a Accounts) ActiveLoans() []LoanSummary {
	var out []LoanSummary
	for _, l := range a.Loans {
		if Active(l.StatusID) {
			out = append(out, l)
		}
	}
	slices.SortStableFunc(out, func(x, y LoanSummary) int {
		return LoanOrder(x.ActualDisbursementDate, x.ID, y.ActualDisbursementDate, y.ID)
	})
	return out
}

// ActiveSavings are the active plain savings accounts, oldest (lowest id)
// first: S1 is the first. Fixed and recurring deposit accounts, which
// savingsAccounts lists too, are left out.
func (a Accounts) ActiveSavings() []SavingsSummary {
	var out []SavingsSummary
	for _, s := range a.Savings {
		if Active(s.StatusID) && s.Plain() {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(x, y SavingsSummary) int {
		switch {
		case x.ID < y.ID:
			return -1
		case x.ID > y.ID:
			return 1
		}
		return 0
	})
	return out
}
