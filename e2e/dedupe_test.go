package e2e

import (
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/store"
)

// Real captured PDUs (pdu/testdata/pdu-samples.tsv).
const (
	helloPDU    = "07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034" // +27748577604 "Hello raspberry pi"
	extTablePDU = "06917228195339040B917228214365F70000313062315352800A800D8A5E98D337A910"                 // +27821234567 "@{tést}!"
)

// The network resends, or the modem both stores and pushes: the same SMS
// arrives three times and is answered once.
func TestSameSMSThreeTimesAnsweredOnce(t *testing.T) {
	// The captured PDUs come from South African numbers; the box is Kenyan.
	e := newEnv(t, envOptions{extraSMS: "reply_abroad = true"})
	e.start()
	for i := 0; i < 3; i++ {
		if err := e.sim.DeliverPDU(helloPDU); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.sim.DeliverPDU(extTablePDU); err != nil {
		t.Fatal(err)
	}
	if r := e.waitReply("+27748577604", 20*time.Second); r.Text != handler.UnknownText {
		t.Fatalf("reply %q", r.Text)
	}
	e.waitReply("+27821234567", 20*time.Second)
	waitFor(t, 20*time.Second, "queues drained and SIM empty", func() bool {
		used, _ := e.sim.Storage()
		return used == 0 && e.drained()
	})
	if n := len(e.sentTo("+27748577604")); n != 1 {
		t.Fatalf("%d replies to one SMS delivered three times", n)
	}
	texts := map[string]int{}
	for _, m := range e.messages(store.MessageHandled) {
		texts[m.Text]++
	}
	if texts["Hello raspberry pi"] != 1 || texts["@{tést}!"] != 1 || len(texts) != 2 {
		t.Fatalf("handled messages by text: %v", texts)
	}
}

func TestSendErrorsClassifiedAndQueueNotBlocked(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.start()
	// CMS 1 (unassigned number) is permanent: that SMS becomes a dead letter at once...
	e.sim.FailSends(1, 1)
	if out, err := e.cli("send", "+254700000041", "first"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	waitFor(t, 20*time.Second, "the first SMS failed", func() bool { return e.status().Store.Failed == 1 })
	// ...and the next one goes out normally.
	if out, err := e.cli("send", "+254700000042", "second"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	e.waitReply("+254700000042", 20*time.Second)
	// CMS 42 (congestion) is transient: retried after a back-off, and an SMS
	// queued behind it is not held up by that back-off. Both are queued
	// while the daemon is stopped, so the second is in the queue before the
	// first fails however slow the machine: there is no window to hit.
	e.stop()
	for _, sms := range [][2]string{{"+254700000043", "third"}, {"+254700000044", "fourth"}} {
		if out, err := e.cli("send", sms[0], sms[1]); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	e.sim.FailSends(1, 42)
	restarted := time.Now()
	e.start()
	e.waitReply("+254700000044", 20*time.Second)
	third := e.waitReply("+254700000043", 30*time.Second)
	if third.Text != "third" {
		t.Fatalf("retried SMS %q", third.Text)
	}
	e.mu.Lock()
	first := map[string]int{}
	for i, s := range e.sent {
		if _, seen := first[s.To]; !seen {
			first[s.To] = i
		}
	}
	e.mu.Unlock()
	if first["+254700000044"] > first["+254700000043"] {
		t.Fatal("the SMS queued behind the congested one waited for its retry")
	}
	// The first attempt came after the restart and the daemon's first
	// back-off is 5 s ± 20 %: a retry sooner did not wait. (A slow machine
	// only makes the retry later.)
	if waited := third.Time.Sub(restarted); waited < 4*time.Second {
		t.Fatalf("the congested SMS was retried %s after the restart, before its back-off", waited)
	}
	if st := e.status().Store; st.Failed != 1 {
		t.Fatalf("after the congestion: %+v; only the unassigned number's SMS may fail", st)
	}
	if n := len(e.sentTo("+254700000041")); n != 0 {
		t.Fatalf("the permanently failed SMS was sent %d times", n)
	}
}
