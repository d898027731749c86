package fineractsim

import (
	"math/big"
	"time"
)

// Repayment schedules: an application's is generated from its terms and
// its expected disbursement date (as Fineract does at submission), and a
// disbursal on another date, or of another amount, generates it again from
// the actual date (LoanWritePlatformServiceJpaRepositoryImpl.
// regenerateScheduleOnDisbursement). The stand-in keeps each installment's
// amounts and moves only the dates; Fineract's holiday rescheduling of due
// dates is not modelled.

// plusMonths is Java's LocalDate.plusMonths: the same day n months on, or
// the last day of that month when it is shorter (31 January + 1 month is
// 29 February in a leap year, where Go's AddDate gives 2 March).
func plusMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, t.Location())
}

// every is the loan's repaymentEvery (at least 1).
func (l *Loan) every() int { return max(l.RepaymentEvery, 1) }

// periodsFrom is the date n repayment periods after from.
func (l *Loan) periodsFrom(from time.Time, n int) time.Time {
	n *= l.every()
	switch l.RepaymentFrequency {
	case Weekly:
		return from.AddDate(0, 0, 7*n)
	case Daily:
		return from.AddDate(0, 0, n)
	}
	return plusMonths(from, n)
}

// dueDates are the due dates of count installments for a disbursement on
// from: the first one period later, or on FirstRepaymentOn when the
// application fixed it, then one period apart (each counted from the
// first, so a 31st stays a 31st where the month has one).
func (l *Loan) dueDates(from time.Time, count int) []time.Time {
	base, offset := from, 1
	if !l.FirstRepaymentOn.IsZero() {
		base, offset = day(l.FirstRepaymentOn), 0
	}
	out := make([]time.Time, count)
	for i := range out {
		out[i] = l.periodsFrom(base, i+offset)
	}
	return out
}

// periodsPerYear is how many periods of the loan's unit a year has, for
// a flat interest rate given per year.
func (l *Loan) periodsPerYear() int64 {
	switch l.RepaymentFrequency {
	case Weekly:
		return 52
	case Daily:
		return 365
	}
	return 12
}

// generated is the schedule of an application added without one: the
// principal in equal installments rounded to the currency (the last takes
// what rounding left), flat interest on the whole principal each period,
// dated from the expected disbursement date.
func (l *Loan) generated() []Installment {
	cur := orKES(l.Currency)
	n := int64(l.NumberOfRepayments)
	each := (l.Principal / Amount(n)).roundTo(cur.DecimalPlaces)
	// interest = principal × rate % × every / periods a year, in units.
	r := new(big.Rat).SetFrac(
		new(big.Int).Mul(big.NewInt(int64(l.Principal)), big.NewInt(int64(l.AnnualInterestRate)*int64(l.every()))),
		new(big.Int).Mul(big.NewInt(100*unit*unit), big.NewInt(l.periodsPerYear())))
	step := int64(1)
	for range 6 - min(max(cur.DecimalPlaces, 0), 6) {
		step *= 10
	}
	interest, err := ratToAmount(r, step)
	if err != nil {
		panic("fineractsim: AddLoan: interest out of range")
	}
	dates := l.dueDates(l.ExpectedDisbursement, l.NumberOfRepayments)
	out := make([]Installment, n)
	left := l.Principal
	for i := range out {
		p := each
		if i == len(out)-1 {
			p = left
		}
		left -= p
		out[i] = Installment{DueDate: dates[i], Principal: p, Interest: interest}
	}
	return out
}
