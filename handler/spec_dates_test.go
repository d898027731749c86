package handler_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
)

// Dates in SMS are written as a client reads them ("Wed 4 Mar"), never in
// the ISO form the journal keeps. Every SMS a spec sees is checked for an
// ISO date (noISODate, in the fixture); here every template that takes a
// date is made to render one through the handlers.

var isoDate = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)

// noISODate fails t if an SMS text holds an ISO date.
func noISODate(t testing.TB, text string) {
	t.Helper()
	if d := isoDate.FindString(text); d != "" {
		t.Errorf("an SMS carries the ISO date %s: %q", d, text)
	}
}

// dateKeys are the templates with a date or a time in them.
func dateKeys(t *testing.T) []string {
	t.Helper()
	en, err := handler.NewTexts("en", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range handler.TemplateKeys() {
		// Get without values leaves the placeholders in place.
		text := en.Get(k)
		if strings.HasPrefix(k, "date.") {
			continue // the date layouts themselves
		}
		for _, p := range []string{"{date}", "{next}", "{last}", "{time}"} {
			if strings.Contains(text, p) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

func TestEveryTemplateWithADateWritesItLocally(t *testing.T) {
	collectOnMeetingDay := func(s *spec, text string) []string {
		s.onMeetingDay()
		r := s.send(text)
		for _, o := range s.post() {
			r = append(r, o.Text)
		}
		return r
	}
	smallDue := func(s *spec) {
		s.addLoan(986, fineractsim.SeedClientGrace, fineractsim.SeedGroupUmoja, specDay.AddDate(0, -2, 0), specDay.AddDate(0, 0, -1), "0.40")
	}
	cases := []struct {
		key  string
		run  func(s *spec) []string
		want string
	}{
		{"bal.loan.next", func(s *spec) []string { return []string{s.ask(fineractsim.SeedAminaPhone, "BAL")} },
			"next KES 1,437.50 due Thu 12 Mar"},
		{"bal.asof", func(s *spec) []string {
			s.ask(fineractsim.SeedAminaPhone, "BAL")
			s.offline = true
			return []string{s.ask(fineractsim.SeedAminaPhone, "BAL")}
		}, "As of Mon 2 Mar 09:00. "},
		{"collect.officer_confirm", func(s *spec) []string { return collectOnMeetingDay(s, "COLLECT "+pin+" 7 ALL") },
			"Collection for Umoja Women Group on Wed 4 Mar posted: 2 client(s), total 7,205.88."},
		{"collect.client_confirm", func(s *spec) []string { return collectOnMeetingDay(s, "COLLECT "+pin+" 7 ALL") },
			"at the Umoja Women Group meeting on Wed 4 Mar was recorded."},
		{"collect.officer_failed", func(s *spec) []string {
			s.fin.FailNext(1, 403)
			return collectOnMeetingDay(s, "COLLECT "+pin+" 7 ALL")
		}, "Collection for Umoja Women Group on Wed 4 Mar was NOT posted"},
		{"collect.officer_pending", func(s *spec) []string {
			s.fin.SetMakerChecker(true)
			return collectOnMeetingDay(s, "COLLECT "+pin+" 7 ALL")
		}, "Collection for Umoja Women Group on Wed 4 Mar awaits approval"},
		{"collect.nothing_due", func(s *spec) []string { return collectOnMeetingDay(s, "COLLECT "+pin+" 7 ALL EXCEPT 42 44") },
			"Nothing is due from group Umoja Women Group on Wed 4 Mar."},
		{"collect.left_out", func(s *spec) []string {
			smallDue(s)
			return collectOnMeetingDay(s, "COLLECT "+pin+" 7 ALL")
		}, "Recorded for Umoja Women Group on Wed 4 Mar without:"},
		{"collect.small_dues_only", func(s *spec) []string {
			smallDue(s)
			return collectOnMeetingDay(s, "COLLECT "+pin+" 7 ALL EXCEPT 42 44")
		}, "Nothing was recorded for Umoja Women Group on Wed 4 Mar:"},
		{"collect.too_late", func(s *spec) []string { return s.send("COLLECT " + pin + " 7 ALL") },
			"last met on Wed 25 Feb, more than 2 day(s) ago, so there is no meeting to record now. Its next meeting is on Wed 4 Mar."},
		{"collect.not_met_yet", func(s *spec) []string {
			s.fin.AddGroup(fineractsim.Group{ID: 8, Name: "Jirani", StaffID: fineractsim.SeedStaffPeter, ClientIDs: []int64{42, 44},
				Meeting: &fineractsim.Calendar{ID: 32, StartDate: specDay.AddDate(0, 0, 3), Weekday: time.Friday}})
			return s.send("COLLECT " + pin + " 8 ALL")
		}, "its first meeting is on Fri 6 Mar."},
		{"remind.client", func(s *spec) []string {
			s.send("REMIND " + pin + " 7")
			var out []string
			for _, o := range s.queued() {
				out = append(out, o.Text)
			}
			return out
		}, "Please pay at your next group meeting on Wed 4 Mar."},
		// Sent on another day: the date and the time.
		{"officer.repeat", func(s *spec) []string {
			s.send("PAY " + pin + " 42 S=11")
			s.now = s.now.Add(20 * time.Hour)
			return s.send("PAY " + pin + " 42 S=11")
		}, "You already sent this at Mon 2 Mar 09:00: PAY 42 S1=11."},
	}
	// Reached only with fakes, and checked in package handler:
	// TestCollectTooLateWithoutNextMeetingWritesTheDate and
	// TestCollectionRoundedByFineractWritesTheDate.
	elsewhere := []string{"collect.too_late_no_next", "collect.officer_rounded"}
	// Written by package gateway's hook worker and checked there:
	// TestHookSMSAreBuiltFromFineract.
	elsewhere = append(elsewhere, "hook.loan_disbursed", "hook.loan_repayment")
	var covered []string
	for _, c := range cases {
		covered = append(covered, c.key)
		t.Run(c.key, func(t *testing.T) {
			s := newSpec(t, handler.MoneyRules{})
			out := c.run(s)
			for _, text := range out {
				noISODate(t, text)
			}
			if !slices.ContainsFunc(out, func(text string) bool { return strings.Contains(text, c.want) }) {
				t.Errorf("no SMS contains %q:\n%q", c.want, out)
			}
		})
	}
	covered = append(covered, elsewhere...)
	slices.Sort(covered)
	if keys := dateKeys(t); !slices.Equal(slices.Compact(covered), keys) {
		t.Errorf("templates with a date: %q\ncovered here: %q", keys, covered)
	}
}

// A date of another year than the tenant's today carries its year: a
// reminder in late December for a meeting in January.
func TestADateOfAnotherYearCarriesTheYear(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.env.Zone = time.UTC
	s.now = time.Date(2025, 12, 30, 9, 0, 0, 0, time.UTC) // the box's clock; Fineract's business date stays
	s.send("REMIND " + pin + " 7")
	want := "Dear Amina Odhiambo, your loan 000000981 has KES 2,725.08 overdue. Please pay at your next group meeting on Wed 4 Mar 2026."
	if q := s.queued(); !slices.ContainsFunc(q, func(o sms) bool { return o.Text == want }) {
		t.Errorf("no reminder %q among %+v", want, q)
	}
}
