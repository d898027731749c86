package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/modemsim"
)

// bulkPhonePrefix marks the clients seedOverdueGroup adds (+254711000001 on).
const bulkPhonePrefix = "+2547110"

// seedOverdueGroup adds a group of n clients of the seed officer, each with
// one loan whose first installment is a month overdue, and returns its id.
func seedOverdueGroup(e *env, n int) int64 {
	b := e.fin.BusinessDate()
	ids := make([]int64, 0, n)
	for i := 1; i <= n; i++ {
		id := e.fin.AddClient(fineractsim.Client{Firstname: "Client", Lastname: fmt.Sprint(i),
			MobileNo: fmt.Sprintf("%s%05d", bulkPhonePrefix, i), StaffID: fineractsim.SeedStaffPeter, ActivationDate: b.AddDate(-1, 0, 0)})
		e.fin.AddLoan(fineractsim.Loan{ClientID: id, ProductID: 1, ProductName: "Biashara 6M", ShortProductName: "BI6",
			LoanOfficerID: fineractsim.SeedStaffPeter, Principal: fineractsim.MustAmount("2000"), DisbursedOn: b.AddDate(0, -2, 0),
			Installments: []fineractsim.Installment{
				{DueDate: b.AddDate(0, -1, 0), Principal: fineractsim.MustAmount("1000"), Interest: fineractsim.MustAmount("50")},
				{DueDate: b.AddDate(0, 1, 0), Principal: fineractsim.MustAmount("1000"), Interest: fineractsim.MustAmount("50")},
			}})
		ids = append(ids, id)
	}
	return e.fin.AddGroup(fineractsim.Group{Name: "Bulk Test Group", StaffID: fineractsim.SeedStaffPeter, ClientIDs: ids,
		Meeting: &fineractsim.Calendar{Title: "weekly", StartDate: b.AddDate(0, -6, 0), Weekday: (b.Weekday() + 3) % 7, Interval: 1}})
}

func countBulk(all []modemsim.Sent) int {
	n := 0
	for _, s := range all {
		if strings.HasPrefix(s.To, bulkPhonePrefix) {
			n++
		}
	}
	return n
}

// A client's BAL sent while an officer's REMIND to 200 clients fills the
// outbox is answered at once, not after the reminders. The simulated modem
// takes 500 ms per SMS, so the 200 reminders need well over a minute; the
// reply must go out before ten more of them did (a real modem's 6-12 SMS a
// minute would make that a wait of about an hour).
func TestReplyGoesAheadOfQueuedReminders(t *testing.T) {
	const clients = 200
	e := newEnv(t, envOptions{fineract: true, sendDelay: 500 * time.Millisecond})
	group := seedOverdueGroup(e, clients)
	e.enrollOfficer(officerPIN)
	e.start()

	e.deliver(peter, fmt.Sprintf("REMIND %s %d", officerPIN, group))
	e.waitText(peter, fmt.Sprintf("Reminders queued for %d client(s)", clients), 60*time.Second)
	// The bulk is flowing: a reminder or two went out already.
	e.waitSent(30*time.Second, "the first reminders", func(all []modemsim.Sent) bool { return countBulk(all) >= 2 })
	if st := e.status().Store; st.Queued < clients-20 {
		t.Fatalf("only %d SMS queued: the reminders drained before the test could ask", st.Queued)
	}

	e.mu.Lock()
	before := countBulk(e.sent)
	e.mu.Unlock()
	asked := time.Now()
	e.deliver(amina, "BAL")
	var reply modemsim.Sent
	all := e.waitSent(60*time.Second, "Amina's balance or ten more reminders", func(all []modemsim.Sent) bool {
		for _, s := range all {
			if s.To == amina {
				reply = s
				return true
			}
		}
		return countBulk(all)-before >= 10
	})
	if reply.To == "" {
		t.Fatalf("%d reminders went out after Amina's BAL and her reply still waits", countBulk(all)-before)
	}
	if !strings.Contains(reply.Text, "Amina") {
		t.Errorf("Amina's reply: %s", reply.Text)
	}
	ahead := 0
	for _, s := range all {
		if s.To == amina {
			break
		}
		if strings.HasPrefix(s.To, bulkPhonePrefix) {
			ahead++
		}
	}
	t.Logf("BAL reply sent %s after the SMS was delivered, %d reminder(s) sent in between, %d still queued",
		reply.Time.Sub(asked).Round(time.Millisecond), ahead-before, e.status().Store.Queued)

	// The reminders go on after the reply.
	e.waitSent(30*time.Second, "a reminder after the reply", func(all []modemsim.Sent) bool { return countBulk(all) > ahead })
}
