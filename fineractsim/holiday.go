package fineractsim

import (
	"slices"
	"time"
)

// Holidays and working days: Loan.makeRepayment refuses a repayment dated
// on an active holiday of the client's office, or on a day the tenant does
// not work, unless the global settings allow-transactions-on-holiday and
// allow-transactions-on-non_workingday say otherwise (both off in
// Fineract's initial data). Savings deposits are not checked.

// Holiday is an active holiday, From to To inclusive, for OfficeIDs (none:
// every office).
type Holiday struct {
	Name      string
	From, To  time.Time
	OfficeIDs []int64
}

// AddHoliday adds an active holiday.
func (s *Server) AddHoliday(h Holiday) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h.From, h.To = day(h.From), day(h.To)
	s.holidays = append(s.holidays, h)
}

// SetWorkingDays sets the days the tenant works; with none, every day is a
// working day (Fineract's default).
func (s *Server) SetWorkingDays(days ...time.Weekday) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.workingDays = slices.Clone(days)
}

// SetAllowTransactionsOnHoliday is the global setting
// allow-transactions-on-holiday.
func (s *Server) SetAllowTransactionsOnHoliday(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowOnHoliday = on
}

// SetAllowTransactionsOnNonWorkingDay is the global setting
// allow-transactions-on-non_workingday.
func (s *Server) SetAllowTransactionsOnNonWorkingDay(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowOnNonWorkingDay = on
}

// repaymentDayChecks are validateRepaymentDateIsOnHoliday and
// validateRepaymentDateIsOnNonWorkingDay, in that order. Caller holds mu.
func (s *Server) repaymentDayChecks(l *loanState, date time.Time) *reply {
	office := s.clients[l.ClientID].OfficeID
	if !s.allowOnHoliday {
		for _, h := range s.holidays {
			if (len(h.OfficeIDs) == 0 || slices.Contains(h.OfficeIDs, office)) && !date.Before(h.From) && !date.After(h.To) {
				r := domainRule("error.msg.loan.application.repayment.date.on.holiday", "Repayment date cannot be on a holiday", isoDate(date))
				return &r
			}
		}
	}
	if !s.allowOnNonWorkingDay && len(s.workingDays) > 0 && !slices.Contains(s.workingDays, date.Weekday()) {
		r := domainRule("error.msg.loan.application.repayment.date.on.non.working.day", "Repayment date cannot be on a non working day", isoDate(date))
		return &r
	}
	return nil
}
