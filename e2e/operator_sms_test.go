package e2e

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/modemsim"
)

// TestOperatorSMSBecomesOnePosting drives the SMS path of mobile money end
// to end: an M-PESA paybill notification from the operator's alphanumeric
// sender id reaches the modem, is read, matched by its account number and
// posted once, and the client gets a receipt at the phone Fineract holds;
// the same notification again changes nothing; the same wording from a
// phone number is a forgery (listed ignored, nothing posted, no reply); an
// operator text that is not a payment is kept for a person.
func TestOperatorSMSBecomesOnePosting(t *testing.T) {
	b := newPaymentsBox(t)
	e := b.e
	when := time.Now().In(time.FixedZone("EAT", 3*3600)).Add(-time.Hour)
	text := fmt.Sprintf("SKQ7H2ZP4M Confirmed. on %d/%d/%02d at 9:05 AM Ksh1,200.00 received from MARY WANJIKU 0712***678. "+
		"Account Number 981 New Utility balance is Ksh51,200.00", when.Day(), int(when.Month()), when.Year()%100)
	deliverFrom := func(sender, typ, body string) {
		t.Helper()
		if err := e.sim.Deliver(modemsim.Incoming{From: sender, SenderType: typ, Text: body, Class: -1}); err != nil {
			t.Fatal(err)
		}
	}
	deliverFrom("MPESA", "alphanumeric", text)
	b.waitState("mpesa-ke", "SKQ7H2ZP4M", "posted", 30*time.Second)
	e.waitSent(30*time.Second, "the receipt of SKQ7H2ZP4M", func(all []modemsim.Sent) bool {
		return slices.ContainsFunc(e.sentToLocked(all, fineractsim.SeedAminaPhone), func(s modemsim.Sent) bool { return strings.Contains(s.Text, "SKQ7H2ZP4M") })
	})

	// The network resends it; a forger sends the same words from a phone
	// number (claiming another receipt id and a big amount); MPESA sends a
	// promotion.
	deliverFrom("MPESA", "alphanumeric", text)
	forged := strings.NewReplacer("SKQ7H2ZP4M", "SKQ7H2ZP9X", "1,200.00", "90,000.00").Replace(text)
	deliverFrom("+254700000199", "international", forged)
	deliverFrom("MPESA", "alphanumeric", "Dear customer, M-PESA will be unavailable on Sunday 2 AM to 4 AM for maintenance.")
	waitFor(t, 30*time.Second, "the three SMS handled", func() bool {
		out, err := exec.Command(binary, "payments", "--config", e.cfgPath, "--json").CombinedOutput()
		return err == nil && strings.Contains(string(out), "forged")
	})
	time.Sleep(2 * time.Second) // a wrong posting or reply would show by now

	posted := 0
	for _, tx := range e.fin.LoanTransactions(fineractsim.SeedLoanAmina) {
		if tx.ReceiptNumber == "SKQ7H2ZP4M" {
			posted++
		}
		if tx.ReceiptNumber == "SKQ7H2ZP9X" {
			t.Errorf("the forged payment was posted: %+v", tx)
		}
	}
	if posted != 1 {
		t.Errorf("SKQ7H2ZP4M posted %d times, want once", posted)
	}
	if n := len(e.sentTo("+254700000199")); n != 0 {
		t.Errorf("the forger got %d replies", n)
	}
	receipts := 0
	for _, s := range e.sentTo(fineractsim.SeedAminaPhone) {
		if strings.Contains(s.Text, "SKQ7H2ZP4M") {
			receipts++
		}
	}
	if receipts != 1 {
		t.Errorf("%d receipts for one payment seen twice", receipts)
	}
	out, err := exec.Command(binary, "payments", "--config", e.cfgPath, "--state", "ignored", "--json").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SKQ7H2ZP9X") || !strings.Contains(string(out), "+254700000199") {
		t.Errorf("the forgery is not listed as ignored with its sender: %v\n%s", err, out)
	}
	msgs, err := exec.Command(binary, "messages", "--config", e.cfgPath, "--state", "parked").CombinedOutput()
	if err != nil || !strings.Contains(string(msgs), "not a payment") {
		t.Errorf("the operator's promotion is not kept for a person: %v\n%s", err, msgs)
	}
}
