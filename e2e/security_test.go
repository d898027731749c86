package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/modemsim"
	"github.com/mifos-edge/mifos-edge/store"
)

// deposits counts the savings deposits of amount (Fineract's decimal text).
func deposits(e *env, savingsID int64, amount string) int {
	n := 0
	for _, tx := range e.fin.SavingsTransactions(savingsID) {
		if tx.Amount.String() == amount {
			n++
		}
	}
	return n
}

// The forged officer of the security review: a bulk-SMS sender id that
// spells the officer's national number (with and without the trunk zero)
// carries the right PIN. Nothing may be posted, nobody answered, and the
// message is kept with a note. The same text from the officer's number as
// a network delivers it (national type) is posted.
func TestAlphanumericSenderSpellingOfficerNumberIsNotTheOfficer(t *testing.T) {
	e := newFineractEnv(t)
	for i, forged := range []string{"0722000012", "722000012"} {
		scts := time.Now().Add(-time.Duration(10-i) * time.Minute)
		err := e.sim.Deliver(modemsim.Incoming{From: forged, SenderType: "alphanumeric", Text: "PAY " + officerPIN + " 42 S=11", SCTS: scts})
		if err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 30*time.Second, "both forged messages handled", func() bool {
		handled := 0
		for _, m := range e.messages(store.MessageHandled) {
			if m.SenderType == "alphanumeric" {
				handled++
				if !strings.Contains(m.Note, "not a phone number") {
					t.Errorf("forged message %d note %q", m.ID, m.Note)
				}
			}
		}
		return handled == 2 && e.drained()
	})
	// A payment is journaled in the transaction that marks its message
	// handled: with both handled, none can come later.
	if j := e.status().Store.Journal; j != (store.JournalStats{}) {
		t.Fatalf("a forged sender's PAY was journaled: %+v", j)
	}
	if n := deposits(e, fineractsim.SeedSavingsAmina, "11.000000"); n != 0 {
		t.Fatalf("%d deposits posted by a forged sender", n)
	}
	if sent := e.sim.Sent(); len(sent) != 0 {
		t.Fatalf("the box answered a forged sender: %+v", sent)
	}

	// The officer's own phone, delivered with the national type of number.
	if err := e.sim.Deliver(modemsim.Incoming{From: "0722000012", SenderType: "national", Text: "PAY " + officerPIN + " 42 S=12"}); err != nil {
		t.Fatal(err)
	}
	e.waitText(peter, "Posted for Amina", 30*time.Second)
	if n := deposits(e, fineractsim.SeedSavingsAmina, "12.000000"); n != 1 {
		t.Fatalf("%d deposits from the officer's real number", n)
	}
}

// A number of undeclared type ("unknown") is a phone: it may ask for its
// balance, but officer commands need accept_undeclared_numbers.
func TestUndeclaredNumberTypeGetsNoOfficerCommands(t *testing.T) {
	e := newFineractEnv(t)
	if err := e.sim.Deliver(modemsim.Incoming{From: "254722000012", SenderType: "unknown", Text: "PAY " + officerPIN + " 42 S=13"}); err != nil {
		t.Fatal(err)
	}
	if r := e.waitReply(peter, 30*time.Second); r.Text != undeclaredEnglish {
		t.Fatalf("undeclared number told %q", r.Text)
	}
	// The reply was queued in the transaction that would have journaled it.
	if j := e.status().Store.Journal; j != (store.JournalStats{}) {
		t.Fatalf("an undeclared number's PAY was journaled: %+v", j)
	}
	if n := deposits(e, fineractsim.SeedSavingsAmina, "13.000000"); n != 0 {
		t.Fatalf("%d deposits from an undeclared number", n)
	}
	if err := e.sim.Deliver(modemsim.Incoming{From: "254712345678", SenderType: "unknown", Text: "BAL"}); err != nil {
		t.Fatal(err)
	}
	if r := e.waitReply(amina, 30*time.Second); !strings.Contains(r.Text, "Amina") {
		t.Fatalf("BAL from an undeclared number: %q", r.Text)
	}
}

// SMS pumping: forged senders must not make the SIM pay for replies abroad
// or to unlimited numbers. Unknown numbers of another country get no
// reply; unknown numbers at home share a box-wide hourly budget; known
// phones (here a registered client) are not held to it.
func TestRepliesToUnknownNumbersAreBounded(t *testing.T) {
	e := newEnv(t, envOptions{fineract: true, extraSMS: "unknown_replies_per_hour = 2"})
	e.start()
	e.deliver("+256772000001", "HELP")
	for _, n := range []string{"+254700000061", "+254700000062", "+254700000063"} {
		e.deliver(n, "HELP")
	}
	e.deliver(amina, "BAL")
	e.waitReply(amina, 30*time.Second)
	waitFor(t, 30*time.Second, "all five handled and sent", func() bool {
		return len(e.messages(store.MessageHandled)) == 5 && e.drained()
	})
	if got := e.sentTo("+256772000001"); len(got) != 0 {
		t.Fatalf("a number abroad got %d replies", len(got))
	}
	answered := 0
	for _, n := range []string{"+254700000061", "+254700000062", "+254700000063"} {
		answered += len(e.sentTo(n))
	}
	if answered != 2 {
		t.Fatalf("%d unknown numbers answered within the hour, want the budget of 2", answered)
	}
	suppressed := 0
	for _, m := range e.messages(store.MessageHandled) {
		if strings.Contains(m.Note, "reply suppressed") {
			suppressed++
		}
	}
	if suppressed != 2 {
		t.Fatalf("%d handled messages say their reply was suppressed, want 2", suppressed)
	}
}

// The security review's replay experiment: the same PAY with a service
// centre time one minute later was a new payment. Now the repeat is held
// and posted only when the officer confirms it with YES <PIN>.
func TestResentPayIsHeldUntilYes(t *testing.T) {
	e := newFineractEnv(t)
	base := time.Now().Add(-10 * time.Minute)
	e.deliverAt(peter, "PAY "+officerPIN+" 42 S=21", base)
	e.waitText(peter, "Posted for Amina", 30*time.Second)
	held := e.nextReply(peter, func() { e.deliverAt(peter, "PAY "+officerPIN+" 42 S=21", base.Add(time.Minute)) })
	if !strings.Contains(held.Text, "You already sent this") || !strings.Contains(held.Text, "YES <PIN>") {
		t.Fatalf("repeat answered %q", held.Text)
	}
	// The hold was recorded in the transaction that queued its reply: had
	// the repeat been journaled instead, it would show now.
	if j := e.status().Store.Journal; j != (store.JournalStats{Done: 1}) {
		t.Fatalf("journal after a resent PAY: %+v, want only the first posting", j)
	}
	if n := deposits(e, fineractsim.SeedSavingsAmina, "21.000000"); n != 1 {
		t.Fatalf("%d deposits after a resent PAY, want 1", n)
	}
	confirmed := e.nextReply(peter, func() { e.deliverAt(peter, "YES "+officerPIN, base.Add(2*time.Minute)) })
	if !strings.Contains(confirmed.Text, "Posted for Amina") {
		t.Fatalf("YES answered %q", confirmed.Text)
	}
	if n := deposits(e, fineractsim.SeedSavingsAmina, "21.000000"); n != 2 {
		t.Fatalf("%d deposits after YES, want 2", n)
	}
	for _, m := range e.messages(store.MessageHandled) {
		if strings.Contains(m.Text, officerPIN) {
			t.Fatalf("a handled message keeps the PIN: %q", m.Text)
		}
	}
}

// A box-wide hourly budget bounds what the SIM sends, whoever asks: SMS
// over it wait in the outbox (nothing is dropped).
func TestHourlySendBudgetHoldsTheRestQueued(t *testing.T) {
	e := newEnv(t, envOptions{extraSMS: "max_sent_per_hour = 2"})
	e.start()
	for _, n := range []string{"+254700000071", "+254700000072", "+254700000073"} {
		e.deliver(n, "HELP")
	}
	waitFor(t, 30*time.Second, "three handled, two sent, one waiting", func() bool {
		st := e.status().Store
		return st.Handled == 3 && st.Submitted == 2 && st.Queued == 1
	})
	// The daemon looked at the third and held it: the budget holds, the SMS is not lost.
	waitFor(t, 30*time.Second, "the daemon to hold the third SMS", func() bool {
		b, _ := os.ReadFile(e.logPath)
		return strings.Contains(string(b), "hourly SMS budget used up")
	})
	if st := e.status().Store; st.Submitted != 2 || st.Queued != 1 || st.Failed != 0 {
		t.Fatalf("outbox after the budget: %+v", st)
	}
}
