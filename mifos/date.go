package mifos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// DateOf is the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, int(m), d}
}

// Time is midnight of the date in loc (UTC when loc is nil).
func (d Date) Time(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, loc)
}

// IsZero reports the zero Date (a date Fineract did not send).
func (d Date) IsZero() bool { return d == Date{} }

// Before reports whether d is an earlier calendar day than o.
func (d Date) Before(o Date) bool {
	if d.Year != o.Year {
		return d.Year < o.Year
	}
	if d.Month != o.Month {
		return d.Month < o.Month
	}
	return d.Day < o.Day
}

func (d Date) compare(o Date) int {
	switch {
	case d.Before(o):
		return -1
	case o.Before(d):
		return 1
	}
	return 0
}

// String is the ISO form "2024-09-26", which is also the body format
// (dateFormat "yyyy-MM-dd").
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// valid reports a real calendar day (time.Date would normalise 2024-02-30).
func (d Date) valid() bool {
	return d.Year >= 1 && d.Year <= 9999 && DateOf(d.Time(time.UTC)) == d
}

// UnmarshalJSON accepts v1's [y,m,d], v2's "yyyy-MM-dd" (a time part is
// ignored) and null (left zero).
func (d *Date) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	var got Date
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*d = Date{}
			return nil
		}
		if len(s) < 10 {
			return fmt.Errorf("date %q is not yyyy-MM-dd", s)
		}
		t, err := time.Parse("2006-01-02", s[:10])
		if err != nil {
			return fmt.Errorf("date %q is not yyyy-MM-dd", s)
		}
		got = DateOf(t)
	} else {
		var parts []int
		if err := json.Unmarshal(b, &parts); err != nil || len(parts) != 3 {
			return fmt.Errorf("date %s is not [year, month, day]", b)
		}
		got = Date{parts[0], parts[1], parts[2]}
	}
	if !got.valid() {
		return fmt.Errorf("date %s is not a calendar day", b)
	}
	*d = got
	return nil
}

// MarshalJSON writes "yyyy-MM-dd", the format every body declares.
func (d Date) MarshalJSON() ([]byte, error) {
	// No date at all (a calendar without meetings) round-trips as null.
	if d.IsZero() {
		return []byte("null"), nil
	}
	if !d.valid() {
		return nil, fmt.Errorf("date %s is not a calendar day", d)
	}
	return []byte(`"` + d.String() + `"`), nil
}

// byDueDate is the periods ordered by due date, then installment number;
// the input is left untouched.
func byDueDate(periods []Period) []Period {
	out := slices.Clone(periods)
	slices.SortStableFunc(out, func(a, b Period) int {
		if c := a.DueDate.compare(b.DueDate); c != 0 {
			return c
		}
		return a.Number - b.Number
	})
	return out
}

// NextDue is the earliest installment not yet complete, by due date
// (docs/fineract.md §4). It may already be overdue: like Fineract's default
// "earliest-unpaid-date", an unpaid past installment is still the next one
// to pay, so the date does not change the answer.
func NextDue(periods []Period) (p Period, ok bool) {
	for _, q := range byDueDate(periods) {
		if !q.Complete {
			return q, true
		}
	}
	return Period{}, false
}

// NextDueFrom is the earliest incomplete installment not yet overdue (due
// today or later): the next one a client is asked to pay once the
// overdue ones (Overdue) are cleared.
func NextDueFrom(periods []Period, today Date) (p Period, ok bool) {
	for _, q := range byDueDate(periods) {
		if !q.Complete && !q.DueDate.Before(today) {
			return q, true
		}
	}
	return Period{}, false
}

// Overdue is the sum of TotalOutstanding over incomplete installments due
// strictly before today (docs/fineract.md §4).
func Overdue(periods []Period, today Date) Amount {
	var sum Amount
	for _, q := range periods {
		if !q.Complete && q.DueDate.Before(today) {
			sum += q.TotalOutstanding
		}
	}
	return sum
}

// FirstInstallment is the schedule's first installment, the one numbered
// lowest, paid or not (Loan's periods leave the disbursement rows out):
// right after a disbursement, the first due date and what is due on it
// (TotalDue). ok is false for a schedule without installments.
func FirstInstallment(periods []Period) (p Period, ok bool) {
	for _, q := range periods {
		if !ok || q.Number < p.Number {
			p, ok = q, true
		}
	}
	return p, ok
}
