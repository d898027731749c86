package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/modemsim"
	"github.com/mifos-edge/mifos-edge/store"
)

const client = "+254712345678"

func TestHelpAndUnknownReplies(t *testing.T) {
	for _, profile := range []string{"generic", "huawei-e173", "sim800", "quectel-ec25", "cinterion-mc75i"} {
		t.Run(profile, func(t *testing.T) {
			e := newEnv(t, envOptions{profile: profile})
			e.start()
			e.deliver(client, "  help ")
			r := e.waitReply(client, 20*time.Second)
			if r.Text != helpEnglish {
				t.Fatalf("reply to HELP = %q", r.Text)
			}
			if !strings.Contains(r.Text, "BAL") {
				t.Fatalf("HELP reply does not mention BAL: %q", r.Text)
			}
			other := "+254700000002"
			e.deliver(other, "what is this")
			if r := e.waitReply(other, 20*time.Second); r.Text != unknownEnglish {
				t.Fatalf("reply to unknown text = %q", r.Text)
			}
			if n := len(e.sentTo(client)); n != 1 {
				t.Fatalf("client got %d replies, want 1", n)
			}
		})
	}
}

func TestNoAutoReplyToOperatorsOrShortCodes(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.start()
	e.deliver("MPESA", "QK12ABC3DE Confirmed. Ksh500.00 received from JANE DOE 254712345678")
	e.deliver("22555", "You have received 10MB bonus")
	// A normal client after them: once it is answered, the two above were handled too.
	e.deliver(client, "HELP")
	e.waitReply(client, 20*time.Second)
	waitFor(t, 10*time.Second, "both operator messages handled", func() bool {
		n := 0
		for _, m := range e.messages(store.MessageHandled) {
			if (m.Sender == "MPESA" || m.Sender == "22555") && strings.Contains(m.Note, "not a phone number: stored, not answered") {
				n++
			}
		}
		return n == 2
	})
	waitFor(t, 20*time.Second, "queues drained", e.drained)
	// Nothing was even queued for them (an alphanumeric address cannot be sent to at all).
	var out []store.Outbound
	if err := callJSON(e, daemon.OpOutbox, map[string]any{}, &out); err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		if o.To == "MPESA" || o.To == "22555" {
			t.Fatalf("queued a reply to %s: %+v", o.To, o)
		}
	}
	if len(out) != 1 {
		t.Fatalf("outbox holds %d SMS, want only the client's reply", len(out))
	}
}

func TestReplyCapPerNumber(t *testing.T) {
	e := newEnv(t, envOptions{})
	// Rewrite the cap down to 2 per hour for this box.
	replaceInFile(t, e.cfgPath, "replies_per_hour = 1000", "replies_per_hour = 2")
	e.start()
	// Distinct service-centre times: the same text at the same second from
	// the same number is, by design, one message seen twice.
	base := time.Now().Add(-time.Hour)
	for i := 0; i < 4; i++ {
		if err := e.sim.Deliver(modemsim.Incoming{From: client, Text: "HELP", SCTS: base.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 30*time.Second, "all four handled", func() bool {
		return len(e.messages(store.MessageHandled)) == 4
	})
	waitFor(t, 30*time.Second, "outbox drained", e.drained)
	if n := len(e.sentTo(client)); n != 2 {
		t.Fatalf("client got %d replies with a cap of 2 per hour", n)
	}
}

func TestBacklogOnSIMAnsweredOnceEach(t *testing.T) {
	e := newEnv(t, envOptions{profile: "huawei-e173"})
	numbers := []string{"+254700000011", "+254700000012", "+254700000013", "+254700000014", "+254700000015"}
	for _, n := range numbers {
		if err := e.sim.Preload(modemsim.Incoming{From: n, Text: "HELP", Class: -1}); err != nil {
			t.Fatal(err)
		}
	}
	if used, _ := e.sim.Storage(); used != len(numbers) {
		t.Fatalf("simulator holds %d messages before start", used)
	}
	e.start()
	for _, n := range numbers {
		e.waitReply(n, 30*time.Second)
	}
	waitFor(t, 10*time.Second, "SIM storage emptied", func() bool {
		used, _ := e.sim.Storage()
		return used == 0
	})
	waitFor(t, 30*time.Second, "outbox drained", e.drained)
	for _, n := range numbers {
		if got := len(e.sentTo(n)); got != 1 {
			t.Errorf("%s got %d replies, want 1", n, got)
		}
	}
}

func TestThreePartUCS2MessageGetsOneReply(t *testing.T) {
	for _, wide := range []bool{false, true} {
		t.Run(fmt.Sprintf("16-bit-ref=%v", wide), func(t *testing.T) {
			e := newEnv(t, envOptions{})
			e.start()
			// 150 UCS2 characters (Cyrillic and emoji, which are surrogate
			// pairs) need three parts of 67 code units.
			text := "HELP " + strings.Repeat("Баланс пожалуйста 🙏 ", 8)
			if n := len([]rune(text)); n < 135 {
				t.Fatalf("test text too short for three parts: %d", n)
			}
			if err := e.sim.Deliver(modemsim.Incoming{From: client, Text: text, Wide: wide, ConcatRef: 200, Order: []int{3, 1, 2}}); err != nil {
				t.Fatal(err)
			}
			r := e.waitReply(client, 30*time.Second)
			if r.Text != helpEnglish {
				t.Fatalf("reply = %q", r.Text)
			}
			e.stop()
			if n := len(e.sentTo(client)); n != 1 {
				t.Fatalf("%d replies to one long message", n)
			}
			e.start() // what was stored survives a restart
			msgs := e.messages(store.MessageHandled)
			if len(msgs) != 1 || msgs[0].Text != text || msgs[0].Parts != 3 || msgs[0].Incomplete {
				t.Fatalf("stored message: %+v", msgs)
			}
		})
	}
}

func TestModemUnplugAndHangRecovery(t *testing.T) {
	e := newEnv(t, envOptions{})
	// The periodic sweep finds any message the daemon failed to read; make it
	// too slow to matter here, so that only the recovery itself can answer
	// within the bounds below.
	replaceInFile(t, e.cfgPath, `sweep_interval = "10s"`, `sweep_interval = "10m"`)
	e.start()
	e.deliver(client, "HELP")
	e.waitReply(client, 20*time.Second)

	e.sim.Unplug(3 * time.Second)
	time.Sleep(500 * time.Millisecond)
	second := "+254700000021"
	// Delivered while unplugged: the network holds it, the simulator stores it on replug.
	e.deliver(second, "HELP")
	e.waitReply(second, 60*time.Second)

	// The modem hangs while idle: the announcement of a message that arrives
	// meanwhile waits in the modem until it answers again.
	e.sim.Hang(8 * time.Second)
	third := "+254700000022"
	e.deliver(third, "HELP")
	e.waitReply(third, 15*time.Second)

	// The modem hangs on reading a message it announced: the +CMTI came, the
	// AT+CMGR gets no answer. An 8 s hang may delay the reply by less than
	// 15 s, not until the next periodic sweep.
	e.sim.HangOn("AT+CMGR", 8*time.Second)
	fourth := "+254700000023"
	asked := time.Now()
	e.deliver(fourth, "HELP")
	e.waitReply(fourth, 15*time.Second)
	t.Logf("replied %s after a message whose read hit an 8 s hang", time.Since(asked).Round(100*time.Millisecond))

	st := e.status()
	if st.Modem.State != "ready" {
		t.Fatalf("modem state after recovery: %q (%s)", st.Modem.State, st.Modem.LastError)
	}
	if st.Modem.Reconnects < 1 {
		t.Fatalf("unplug did not count as a reconnect: %+v", st.Modem)
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestIncompleteLongSMSDeliveredAfterTimeout(t *testing.T) {
	e := newEnv(t, envOptions{extraSMS: `reassembly_timeout = "2s"`})
	e.start()
	text := "HELP " + strings.Repeat("please tell me my balance ", 14) // 369 chars: three GSM-7 parts
	// Part 2 never arrives.
	if err := e.sim.Deliver(modemsim.Incoming{From: client, Text: text, Order: []int{3, 1}}); err != nil {
		t.Fatal(err)
	}
	r := e.waitReply(client, 30*time.Second)
	if r.Text != helpEnglish {
		t.Fatalf("reply = %q", r.Text)
	}
	var m store.Message
	waitFor(t, 10*time.Second, "message handled", func() bool {
		msgs := e.messages(store.MessageHandled)
		if len(msgs) == 1 {
			m = msgs[0]
		}
		return len(msgs) == 1
	})
	if !m.Incomplete || m.Parts != 2 || m.Total != 3 || !strings.HasPrefix(m.Text, "HELP ") || !strings.Contains(m.Text, "[...]") {
		t.Fatalf("incomplete message stored as %+v", m)
	}
}

// Huawei-style noise every 30 ms, also between the lines of responses,
// must never be taken for an answer.
func TestURCNoiseStormDoesNotConfuseTheDaemon(t *testing.T) {
	e := newEnv(t, envOptions{profile: "huawei-e173"})
	e.sim.SetNoise(30 * time.Millisecond)
	e.start()
	numbers := []string{"+254700000051", "+254700000052", "+254700000053", "+254700000054"}
	for _, n := range numbers {
		e.deliver(n, "help")
	}
	for _, n := range numbers {
		if r := e.waitReply(n, 30*time.Second); r.Text != helpEnglish {
			t.Fatalf("reply to %s = %q", n, r.Text)
		}
	}
	waitFor(t, 20*time.Second, "queues drained", e.drained)
	st := e.status()
	if st.Store.Failed+st.Store.Unknown+st.Store.Parked != 0 || st.Modem.State != "ready" {
		t.Fatalf("after the noise: %+v", st)
	}
}

// A flood from one number is capped but never dropped: messages over the
// hourly limit wait (deferred) instead of vanishing, and the branch manager
// hears of it once.
func TestCommandFloodFromOneNumberIsDeferredNotDropped(t *testing.T) {
	e := newEnv(t, envOptions{})
	replaceInFile(t, e.cfgPath, "commands_per_hour = 1000", "commands_per_hour = 3")
	replaceInFile(t, e.cfgPath, "[control]", "[officers]\nmanager_phone = \"+254722000099\"\n\n[control]")
	e.start()
	base := time.Now().Add(-time.Hour)
	for i := 0; i < 5; i++ {
		e.deliverAt(client, "HELP", base.Add(time.Duration(i)*time.Second))
	}
	waitFor(t, 30*time.Second, "three handled and two deferred", func() bool {
		return len(e.messages(store.MessageHandled)) == 3 && len(e.messages(store.MessageDeferred)) == 2
	})
	waitFor(t, 30*time.Second, "outbox drained", e.drained)
	if n := len(e.sentTo(client)); n != 3 {
		t.Fatalf("%d replies to 5 messages with a limit of 3 per hour", n)
	}
	for _, m := range e.messages(store.MessageDeferred) {
		if !strings.Contains(m.Note, "deferred") || m.DeferredUntil.IsZero() {
			t.Fatalf("deferred message %+v", m)
		}
	}
	alerts := e.sentTo("+254722000099")
	if len(alerts) != 1 || !strings.Contains(alerts[0].Text, client) {
		t.Fatalf("alerts to the branch manager: %+v", alerts)
	}
}
