package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/modemsim"
	"github.com/mifos-edge/mifos-edge/store"
)

// BAL <account no> <PIN> from a borrowed phone, through the modem and the
// real daemon: wrong PIN and unknown account read alike, the right PIN
// answers the asking phone, and no stored message keeps the PIN.
func TestBalanceByAccountNumberFromABorrowedPhone(t *testing.T) {
	const (
		borrowed = "+254733000111"
		pin      = "735194"
		refused  = "No balance can be sent for this account number and PIN. Check them, or contact your branch."
	)
	e := newEnv(t, envOptions{fineract: true})
	e.start()
	if out, err := e.cliStdin(pin+"\n", "client-pin", "--client-id", fmt.Sprint(fineractsim.SeedClientAmina)); err != nil || strings.Contains(out, pin) {
		t.Fatalf("client-pin: %v\n%s", err, out)
	}
	base := time.Now().Add(-time.Hour)
	e.deliverAt(borrowed, "BAL 981 111111", base)
	e.deliverAt(borrowed, "BAL 555555 "+pin, base.Add(time.Second))
	e.deliverAt(borrowed, "BAL 000000077 "+pin, base.Add(2*time.Second))
	all := e.waitSent(30*time.Second, "three answers to the borrowed phone", func(s []modemsim.Sent) bool {
		return len(e.sentToLocked(s, borrowed)) == 3
	})
	got := e.sentToLocked(all, borrowed)
	if got[0].Text != refused || got[1].Text != refused || !strings.HasPrefix(got[2].Text, "Amina Odhiambo: L1 ") {
		t.Fatalf("answers: %q / %q / %q", got[0].Text, got[1].Text, got[2].Text)
	}
	if n := len(e.sentToLocked(all, amina)); n != 0 {
		t.Fatalf("%d SMS to Amina's own phone; the answer goes to the asking phone", n)
	}
	var seen int
	for _, m := range e.messages(store.MessageHandled) {
		if strings.Contains(m.Text, pin) || strings.Contains(m.Text, "111111") {
			t.Fatalf("a handled message keeps the PIN: %q", m.Text)
		}
		if strings.HasPrefix(m.Text, "BAL **** ****") {
			seen++
		}
	}
	if seen != 3 {
		t.Fatalf("%d handled BAL messages stored redacted, want 3", seen)
	}
}
