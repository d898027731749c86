package handler_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/store"
)

// "Today" for a posting is Fineract's (docs/fineract.md §9): its business
// date, or, on a tenant that never used that feature (its GET answers
// 404), the date in the tenant's time zone, [mifos] timezone. Never the
// box's own clock in the box's zone.

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	z, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// nearMidnight starts a spec whose stand-in keeps its tenant in UTC with
// the business-date feature off, and whose clock, the box's and the
// stand-in's alike, reads *at: 00:30 on 3 March in Nairobi, which is still
// 21:30 on 2 March for the tenant. The handlers take the tenant's zone to be
// boxZone.
func nearMidnight(t *testing.T, boxZone *time.Location) (*spec, *time.Time) {
	t.Helper()
	at := time.Date(2026, 3, 3, 0, 30, 0, 0, zone(t, "Africa/Nairobi"))
	s := newSpecWith(t, handler.MoneyRules{}, fineractsim.Options{TimeZone: time.UTC, Clock: func() time.Time { return at }})
	s.now = at
	s.env.Now = func() time.Time { return at }
	s.env.Zone = boxZone
	return s, &at
}

// With [mifos] timezone set to the tenant's zone, a PAY at 00:30 in
// Nairobi is dated 2 March, the tenant's today, and Fineract takes it.
func TestPayNearMidnightIsDatedInTheTenantsTimeZone(t *testing.T) {
	s, _ := nearMidnight(t, time.UTC)
	wantReplies(t, "PAY", s.send("PAY "+pin+" 42 L1=500 S=200"))
	s.wantJournal(aminaLoan(1, 1, units(500), "42"), aminaSavings(1, 2, units(200), "42"))
	s.post()
	wantReplies(t, "officer's confirmation", s.outbound(officerPh), fmt.Sprintf("Posted for Amina Odhiambo (client 42): L1 500.00 (txn %d), S1 200.00 (txn %d).",
		lastRepayment(t, s.fin, 981).ID, lastDeposit(t, s.fin, 77).ID))
}

// Without it, on a box whose zone is ahead of the tenant's, the PAY is
// dated the box's 3 March: Fineract refuses it as future-dated (403 for the
// repayment, 400 for the deposit). Such a posting is not failed: it waits,
// and goes through once the tenant's day has come.
func TestPayDatedAfterTheTenantsTodayWaitsForThatDay(t *testing.T) {
	s, at := nearMidnight(t, zone(t, "Africa/Nairobi"))
	s.send("PAY " + pin + " 42 L1=500 S=200")
	if j := s.journal(); j[0].Date != "2026-03-03" {
		t.Fatalf("journaled for %s, want the box's 2026-03-03", j[0].Date)
	}
	s.workerOnce.Do(s.startWorker)
	s.worker.Nudge()
	s.waitJournal("both refused as future-dated and waiting", func(j []store.JournalEntry) bool {
		return len(j) == 2 && j[0].State == store.JournalPending && j[1].State == store.JournalPending &&
			strings.Contains(j[0].LastError, "error.msg.loan.transaction.cannot.be.a.future.date") &&
			strings.Contains(j[1].LastError, "error.msg.savingsaccount.transaction.in.the.future")
	})
	*at = at.Add(3 * time.Hour) // 00:30 on 3 March in UTC
	s.post()
	for _, j := range s.journal() {
		if j.State != store.JournalDone {
			t.Fatalf("entry %+v", j)
		}
	}
	wantReplies(t, "officer's confirmation", s.outbound(officerPh), fmt.Sprintf("Posted for Amina Odhiambo (client 42): L1 500.00 (txn %d), S1 200.00 (txn %d).",
		lastRepayment(t, s.fin, 981).ID, lastDeposit(t, s.fin, 77).ID))
}

// A business date the feature left behind (switched off after use: GET
// still answers the old row) is not "today": more than two days behind
// the tenant's date, the tenant's date is used.
func TestPayIgnoresAStaleBusinessDate(t *testing.T) {
	s, _ := nearMidnight(t, time.UTC)
	s.fin.SetBusinessDate(time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC))
	s.fin.SetBusinessDateEnabled(false)
	s.send("PAY " + pin + " 42 S=200")
	s.wantJournal(aminaSavings(1, 1, units(200), "42"))
	s.post()
	wantReplies(t, "officer's confirmation", s.outbound(officerPh),
		fmt.Sprintf("Posted for Amina Odhiambo (client 42): S1 200.00 (txn %d).", lastDeposit(t, s.fin, 77).ID))
}

// A business date a day or two behind the tenant's date is a tenant using
// the feature whose nightly job has not moved it yet: it is "today".
func TestPayUsesABusinessDateADayBehind(t *testing.T) {
	s, _ := nearMidnight(t, time.UTC)
	s.fin.SetBusinessDate(time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC))
	s.send("PAY " + pin + " 42 S=200")
	j := s.journal()
	if len(j) != 1 || j[0].Date != "2026-02-28" {
		t.Fatalf("journal %+v, want one entry dated the business date 2026-02-28", j)
	}
}

// waitJournal waits until cond holds of the journal (oldest first).
func (s *spec) waitJournal(what string, cond func([]store.JournalEntry) bool) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond(s.journal()) {
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: journal %+v", what, s.journal())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
