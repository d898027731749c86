package modem

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/modem/atcmd"
	"github.com/mifos-edge/mifos-edge/pdu"
)

const (
	pduA = "07911326040000F0040B911346610089F60000208062917314080CC8329BFD06"
	pduB = "0791448720003023240DD0E474D81C0EBB010000111011315214000BE474D81C0EBB5DE3771B"
	pduC = "0001000B917228001011F100000CC8329BFD065DDF72363904"
)

func TestInitChoosesCNMIFromAdvertisedRanges(t *testing.T) {
	cases := map[string]string{
		"(0-3),(0-3),(0,2),(0,1),(0,1)": "AT+CNMI=2,1,0,0,0",
		"(0-3),(0,1),(0,2,3),(0,2),(1)": "AT+CNMI=2,1,0,0,1",
		"(0,3),(0-2),(0,2),(0),(0)":     "AT+CNMI=3,1,0,0,0",
		"(2),(0-1,3),(0,2),(0-1),(0)":   "AT+CNMI=2,1,0,0,0",
	}
	for ranges, want := range cases {
		t.Run(ranges, func(t *testing.T) {
			fake := newFakeModem(t)
			fake.cnmiRange = ranges
			h := startModem(t, fake, nil)
			h.waitState("ready")
			cmds := fake.commands()
			if !slices.Contains(cmds, want) {
				t.Fatalf("init did not send %s; sent %q", want, cmds)
			}
			st := h.m.Status()
			if st.IMEI != "867530012345678" || st.IMSI != "639012345678901" || st.Model != "EC25" {
				t.Fatalf("identity not recorded: %+v", st)
			}
			if st.SMSC != "+254722500000" || st.SignalRSSI != 21 || st.Registration != 1 {
				t.Fatalf("status not recorded: %+v", st)
			}
		})
	}
}

func TestInitOrderAndStorageSelection(t *testing.T) {
	fake := newFakeModem(t)
	h := startModem(t, fake, func(cfg *Config, _ *Modem) { cfg.InitCommands = []string{"^CURC=0"} })
	h.waitState("ready")
	// The first sweep follows "ready"; the order is complete once it has run.
	h.eventually("the first sweep", func() bool { return fake.countCmd("AT+CMGL=4") > 0 })
	order := []string{"ATE0", "AT+CMEE=1", "AT+CPIN?", "AT+CMGF=0", `AT+CSCS="GSM"`, "AT+CSCA?", "AT+CPMS=?",
		`AT+CPMS="SM","SM","SM"`, "AT+CNMI=?", "AT+CGSN", "AT+CIMI", "AT^CURC=0", "AT+CMGL=4"}
	cmds := fake.commands()
	pos := 0
	for _, c := range cmds {
		if pos < len(order) && c == order[pos] {
			pos++
		}
	}
	if pos != len(order) {
		t.Fatalf("init order broken at %q; sent %q", order[pos], cmds)
	}
}

func TestSweepDeletesOnlyAfterSinkSucceeded(t *testing.T) {
	fake := newFakeModem(t)
	fake.store("SM", 0, 0, pduA)
	fake.store("SM", 3, 1, pduB)
	fake.store("SM", 5, 3, pduC) // a stored outgoing message: not ours
	h := startModem(t, fake, nil)
	h.eventually("both messages delivered", func() bool { return len(h.sink.received()) == 2 })
	h.eventually("both deleted", func() bool { return slices.Equal(fake.stored("SM"), []int{5}) })

	got := h.sink.received()
	if got[0] != (Inbound{Storage: "SM", Index: 0, Stat: 0, PDU: pduA, TPDULen: len(pduA)/2 - 1}) {
		t.Fatalf("first inbound = %+v", got[0])
	}
	if got[1].Index != 3 || got[1].Stat != 1 || got[1].PDU != pduB {
		t.Fatalf("second inbound = %+v", got[1])
	}
	want := []string{"sink SM 0", "delete SM 0", "sink SM 3", "delete SM 3"}
	if ev := fake.eventLog(); !slices.Equal(ev, want) {
		t.Fatalf("events = %q, want %q", ev, want)
	}
}

func TestSinkFailureKeepsMessageUntilNextSweep(t *testing.T) {
	fake := newFakeModem(t)
	fake.store("SM", 1, 0, pduA)
	h := startWithSink(t, fake, &recordingSink{fake: fake, fail: errors.New("disk full")}, nil)
	h.eventually("a failed delivery", func() bool { return slices.Contains(fake.eventLog(), "sink SM 1") })
	// A second failing sweep proves the first one finished without deleting.
	h.m.Sweep()
	h.eventually("a second failed delivery", func() bool {
		n := 0
		for _, e := range fake.eventLog() {
			if e == "sink SM 1" {
				n++
			}
		}
		return n == 2
	})
	if slices.Contains(fake.eventLog(), "delete SM 1") || !slices.Equal(fake.stored("SM"), []int{1}) {
		t.Fatalf("message deleted although the sink failed: %q", fake.eventLog())
	}
	h.sink.setFail(nil)
	h.m.Sweep()
	h.eventually("delivery on the next sweep", func() bool { return len(h.sink.received()) == 1 })
	h.eventually("delete after the good delivery", func() bool { return len(fake.stored("SM")) == 0 })
}

func TestCMTITriggersRead(t *testing.T) {
	fake := newFakeModem(t)
	h := startModem(t, fake, nil)
	h.waitState("ready")
	h.eventually("initial sweep", func() bool { return fake.countCmd("AT+CMGL=4") == 1 })

	fake.store("SM", 7, 0, pduA)
	fake.urc(`+CMTI: "SM",7`)
	h.eventually("message 7 delivered", func() bool { return len(h.sink.received()) == 1 })
	h.eventually("message 7 deleted", func() bool { return len(fake.stored("SM")) == 0 })
	if !slices.Contains(fake.commands(), "AT+CMGR=7") {
		t.Fatalf("no AT+CMGR=7 in %q", fake.commands())
	}

	// A message announced in another store is read there, then SM is selected again.
	fake.store("ME", 2, 0, pduB)
	fake.urc(`+CMTI: "ME",2`)
	h.eventually("ME message delivered", func() bool { return len(h.sink.received()) == 2 })
	if got := h.sink.received()[1]; got.Storage != "ME" || got.Index != 2 {
		t.Fatalf("inbound = %+v", got)
	}
	h.eventually("store switched back", func() bool {
		cmds := fake.commands()
		return len(cmds) > 0 && cmds[len(cmds)-1] == `AT+CPMS="SM"`
	})
	if !slices.Contains(fake.eventLog(), "delete ME 2") {
		t.Fatalf("ME message not deleted from ME: %q", fake.eventLog())
	}
}

func TestDeleteOfMissingMessageIsFine(t *testing.T) {
	fake := newFakeModem(t)
	fake.store("SM", 4, 0, pduA)
	fake.cmgdErr[4] = fmt.Sprintf(cmsErr, 321)
	h := startModem(t, fake, nil)
	h.eventually("delivered", func() bool { return len(h.sink.received()) == 1 })
	h.eventually("delete attempted", func() bool { return slices.Contains(fake.eventLog(), "delete SM 4") })
	h.m.Sweep()
	h.eventually("second sweep", func() bool { return fake.countCmd("AT+CMGL=4") >= 2 })
	if strings.Contains(h.logs.String(), "could not delete") {
		t.Fatalf("321 on delete was reported as a problem:\n%s", h.logs.String())
	}
	if st := h.m.Status(); st.State != "ready" {
		t.Fatalf("state = %s", st.State)
	}
}

func TestSendHappyPath(t *testing.T) {
	fake := newFakeModem(t)
	h := startModem(t, fake, nil)
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	mr, err := h.m.Send(ctx, pduC, 24)
	if err != nil || mr != 42 {
		t.Fatalf("Send = %d, %v", mr, err)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.lastPDU != pduC || fake.cmgsLenArg != "24" {
		t.Fatalf("modem got PDU %q with length %q", fake.lastPDU, fake.cmgsLenArg)
	}
}

func TestSendTimeoutAfterPromptIsUnknown(t *testing.T) {
	fake := newFakeModem(t)
	fake.sendReply = func(string) string { return "" } // the network never answers
	h := startModem(t, fake, func(cfg *Config, _ *Modem) { cfg.SendTimeout = 100 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	_, err := h.m.Send(ctx, pduC, 24)
	if !errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("err = %v, want ErrUnknownOutcome", err)
	}
	if o, _ := Classify(err); o != Unknown {
		t.Fatalf("Classify = %v, want Unknown", o)
	}
	// The driver stays usable: the next send resynchronises and works.
	fake.mu.Lock()
	fake.sendReply = func(string) string { return "\r\n+CMGS: 43\r\n\r\nOK\r\n" }
	fake.mu.Unlock()
	mr, err := h.m.Send(ctx, pduC, 24)
	if err != nil || mr != 43 {
		t.Fatalf("second Send = %d, %v", mr, err)
	}
}

func TestSendCMSErrorIsClassified(t *testing.T) {
	fake := newFakeModem(t)
	fake.sendReply = func(string) string { return fmt.Sprintf(cmsErr, 304) }
	h := startModem(t, fake, nil)
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	_, err := h.m.Send(ctx, pduC, 24)
	if o, reason := Classify(err); o != Permanent || !strings.Contains(reason, "304") {
		t.Fatalf("Classify(%v) = %v %q", err, o, reason)
	}
}

func TestSendWaitsForReadyAndGivesUpWithCtx(t *testing.T) {
	fake := newFakeModem(t)
	fake.present = false
	h := startModem(t, fake, nil)
	h.waitState("gone")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.m.Send(ctx, pduC, 24); !errors.Is(err, ErrNotReady) {
		t.Fatalf("err = %v, want ErrNotReady", err)
	}
	if o, _ := Classify(ErrNotReady); o != NotReady {
		t.Fatalf("Classify(ErrNotReady) = %v", o)
	}
	fake.plug()
	ctx2, cancel2 := context.WithTimeout(context.Background(), hangGuard)
	defer cancel2()
	if mr, err := h.m.Send(ctx2, pduC, 24); err != nil || mr != 42 {
		t.Fatalf("Send after plug = %d, %v", mr, err)
	}
}

func TestReconnectsAfterUnplug(t *testing.T) {
	fake := newFakeModem(t)
	h := startModem(t, fake, nil)
	h.waitState("ready")
	firstInits := fake.countCmd("AT+CNMI=?")

	fake.unplug()
	h.waitState("gone")
	if h.m.Status().LastError == "" {
		t.Fatal("no LastError while gone")
	}
	fake.store("SM", 9, 0, pduA) // arrived while unplugged
	fake.plug()
	h.eventually("ready again", func() bool { st := h.m.Status(); return st.State == "ready" && st.Reconnects == 1 })
	if fake.countCmd("AT+CNMI=?") != firstInits+1 {
		t.Fatalf("init not re-run after reconnect: %q", fake.commands())
	}
	h.eventually("sweep after reconnect", func() bool { return len(h.sink.received()) == 1 })
}

func TestBootURCReinitialises(t *testing.T) {
	fake := newFakeModem(t)
	h := startModem(t, fake, nil)
	h.waitState("ready")
	h.eventually("initial sweep", func() bool { return fake.countCmd("AT+CMGL=4") == 1 })
	for _, l := range []string{"RDY", "+CFUN: 1", "+CPIN: READY", "SMS Ready"} {
		fake.urc(l)
	}
	h.eventually("re-init", func() bool { return fake.countCmd("AT+CNMI=?") == 2 })
	h.eventually("sweep after re-init", func() bool { return fake.countCmd("AT+CMGL=4") == 2 })
	time.Sleep(100 * time.Millisecond) // longer than bootSettle: a burst must cause only one re-init
	if n := fake.countCmd("AT+CNMI=?"); n != 2 {
		t.Fatalf("boot burst caused %d inits", n)
	}
}

func TestPINSentOnceAndNeverLogged(t *testing.T) {
	fake := newFakeModem(t)
	fake.cpin = "SIM PIN"
	fake.pinOK = "4711"
	fake.pinURC = true
	h := startModem(t, fake, func(cfg *Config, _ *Modem) { cfg.PIN = "4711" })
	h.waitState("ready")
	if n := fake.countCmd(`AT+CPIN="4711"`); n != 1 {
		t.Fatalf("PIN sent %d times", n)
	}
	// The unlock announcements that queued during init must not cause a second init.
	h.eventually("initial sweep", func() bool { return fake.countCmd("AT+CMGL=4") == 1 })
	time.Sleep(100 * time.Millisecond) // longer than bootSettle
	if n := fake.countCmd("AT+CNMI=?"); n != 1 {
		t.Fatalf("%d inits after a PIN unlock", n)
	}
	if strings.Contains(h.logs.String(), "4711") {
		t.Fatalf("PIN appears in logs:\n%s", h.logs.String())
	}
}

func TestWrongPINIsNotRetriedEvenAfterReopen(t *testing.T) {
	fake := newFakeModem(t)
	fake.cpin = "SIM PIN"
	fake.pinOK = "0000"
	h := startModem(t, fake, func(cfg *Config, _ *Modem) { cfg.PIN = "9999" })
	h.eventually("PIN refusal reported", func() bool { return strings.Contains(h.m.Status().LastError, "refused the configured PIN") })
	fake.unplug()
	h.waitState("gone")
	fake.plug()
	h.eventually("re-opened and asked the SIM again", func() bool { return fake.countCmd("AT+CPIN?") >= 3 })
	if n := fake.countCmd(`AT+CPIN="9999"`); n != 1 {
		t.Fatalf("wrong PIN sent %d times", n)
	}
	if h.m.Status().State == "ready" {
		t.Fatal("ready with a locked SIM")
	}
}

func TestNoPINConfiguredWaits(t *testing.T) {
	fake := newFakeModem(t)
	fake.cpin = "SIM PIN"
	h := startModem(t, fake, nil)
	h.eventually("PIN request reported", func() bool { return strings.Contains(h.m.Status().LastError, "set modem.pin") })
	for _, c := range fake.commands() {
		if strings.HasPrefix(c, "AT+CPIN=") {
			t.Fatalf("sent %q without a configured PIN", c)
		}
	}
}

func TestMuteModemEscalatesToResetThenUnresponsive(t *testing.T) {
	fake := newFakeModem(t)
	fake.mute = true
	h := startModem(t, fake, nil)
	h.waitState("unresponsive")
	if fake.countCmd("AT+CFUN=1,1") != 1 {
		t.Fatalf("reset not attempted exactly once: %q", fake.commands())
	}
	fake.mu.Lock()
	opens := fake.opens
	fake.mute = false
	fake.mu.Unlock()
	if opens < 3 {
		t.Fatalf("only %d opens before giving up", opens)
	}
	h.waitState("ready")
}

func TestProbeFailureRecoversWithEscape(t *testing.T) {
	fake := newFakeModem(t)
	h := startModem(t, fake, func(cfg *Config, _ *Modem) { cfg.ProbeInterval = 30 * time.Millisecond })
	h.waitState("ready")
	fake.mu.Lock()
	fake.overrides["AT"] = "" // the next probe gets no answer
	fake.mu.Unlock()
	h.eventually("probe sent and ignored", func() bool { return fake.countCmd("AT") >= 2 })
	fake.mu.Lock()
	delete(fake.overrides, "AT")
	fake.mu.Unlock()
	h.eventually("recovered", func() bool { return strings.Contains(h.logs.String(), "trying ESC and AT") })
	if st := h.m.Status(); st.State != "ready" {
		t.Fatalf("state %s after a recoverable probe failure", st.State)
	}
}

func TestClassifyTable(t *testing.T) {
	cms := func(n int) error { return &atcmd.Error{Kind: atcmd.CMS, Code: n, Text: fmt.Sprint(n)} }
	cases := []struct {
		err  error
		want Outcome
	}{
		{cms(1), Permanent}, {cms(8), Permanent}, {cms(21), Permanent}, {cms(28), Permanent},
		{cms(50), Permanent}, {cms(96), Permanent}, {cms(111), Permanent}, {cms(195), Permanent},
		{cms(304), Permanent}, {cms(310), Permanent}, {cms(316), Permanent}, {cms(150), Permanent},
		{cms(27), Transient}, {cms(38), Transient}, {cms(41), Transient}, {cms(42), Transient},
		{cms(127), Transient}, {cms(192), Transient}, {cms(300), Transient}, {cms(302), Transient},
		{cms(314), Transient}, {cms(322), Transient}, {cms(330), Transient}, {cms(331), Transient},
		{cms(500), Transient}, {cms(515), Transient}, {cms(535), Transient}, {cms(332), Unknown},
		{cms(777), Transient},
		{cms(197), Unknown},
		{fmt.Errorf("%w (timeout)", ErrUnknownOutcome), Unknown},
		{ErrNotReady, NotReady}, {ErrNoPrompt, NotReady}, {atcmd.ErrClosed, NotReady}, {atcmd.ErrTimeout, NotReady},
		{&atcmd.Error{Kind: atcmd.Plain, Code: -1, Text: "ERROR"}, Transient},
		{&atcmd.Error{Kind: atcmd.CMS, Code: -1, Text: "unknown error"}, Transient},
	}
	for _, c := range cases {
		got, reason := Classify(c.err)
		if got != c.want {
			t.Errorf("Classify(%v) = %v (%s), want %v", c.err, got, reason, c.want)
		}
		if reason == "" {
			t.Errorf("Classify(%v) gave no reason", c.err)
		}
	}
}

func TestRegistrationURCUpdatesStatus(t *testing.T) {
	fake := newFakeModem(t)
	h := startModem(t, fake, nil)
	h.waitState("ready")
	fake.urc(`+CREG: 5,"25FF","825E"`)
	h.eventually("roaming recorded", func() bool { return h.m.Status().Registration == 5 })
	if got := h.m.Status().RegistrationText; got != "registered (roaming)" {
		t.Fatalf("RegistrationText = %q", got)
	}
}

func TestDroppedIndicationSettingIsReasserted(t *testing.T) {
	fake := newFakeModem(t)
	h := startModem(t, fake, func(cfg *Config, m *Modem) { cfg.StatusInterval = 50 * time.Millisecond })
	h.waitState("ready")
	h.eventually("a status poll that finds CNMI as set", func() bool { return fake.countCmd("AT+CNMI?") >= 1 })
	if n := fake.countCmd("AT+CNMI=2,1,0,0,0"); n != 1 {
		t.Fatalf("CNMI set %d times before any reset", n)
	}
	fake.resetIndications()
	h.eventually("CNMI set again", func() bool { return fake.countCmd("AT+CNMI=2,1,0,0,0") == 2 })
	h.eventually("a sweep for what arrived meanwhile", func() bool { return fake.countCmd("AT+CMGL=4") >= 2 })
}

// A PIN whose answer never comes must not be sent again on the reopen that
// follows: three tries block the SIM.
func TestUnansweredPINIsNotResentOnReopen(t *testing.T) {
	fake := newFakeModem(t)
	fake.cpin = "SIM PIN"
	fake.pinOK = "4711"
	fake.overrides[`AT+CPIN="4711"`] = "" // the SIM never answers
	h := startModem(t, fake, func(cfg *Config, _ *Modem) { cfg.PIN = "4711" })
	h.eventually("a reopen after the unanswered PIN", func() bool {
		fake.mu.Lock()
		defer fake.mu.Unlock()
		return fake.opens >= 2
	})
	h.eventually("the unconfirmed PIN reported", func() bool {
		return strings.Contains(h.m.Status().LastError, "has not confirmed the PIN")
	})
	if n := fake.countCmd(`AT+CPIN="4711"`); n != 1 {
		t.Fatalf("PIN sent %d times across reopens", n)
	}
}

// After the modem restarts (boot lines on the same tty) the SIM asks for
// its PIN again; the PIN it accepted before is sent once more.
func TestPINSentAgainAfterModemReboot(t *testing.T) {
	fake := newFakeModem(t)
	fake.cpin = "SIM PIN"
	fake.pinOK = "4711"
	h := startModem(t, fake, func(cfg *Config, _ *Modem) { cfg.PIN = "4711" })
	h.waitState("ready")
	h.eventually("initial sweep", func() bool { return fake.countCmd("AT+CMGL=4") == 1 })
	fake.mu.Lock()
	fake.cpin = "SIM PIN"
	fake.mu.Unlock()
	for _, l := range []string{"RDY", "+CPIN: SIM PIN"} {
		fake.urc(l)
	}
	h.eventually("PIN sent after the reboot", func() bool { return fake.countCmd(`AT+CPIN="4711"`) == 2 })
	h.eventually("sweep after the reboot", func() bool { return fake.countCmd("AT+CMGL=4") == 2 })
	h.waitState("ready")
}

// The AT trace (the log at DEBUG) shows every command and answer, but never
// the SIM PIN, and of an officer's PAY (which carries the officer's PIN)
// only the PDU's header unless the technician asked for message text.
func TestTraceKeepsPINsOut(t *testing.T) {
	const (
		payPDU   = "0791527422050000040C9152742200002100006221602100000016D0601644C3C96CB119A806838198CFA013149301"
		userData = "D0601644C3C96CB119A806838198CFA013149301"
	)
	if seg, err := pdu.DecodeDeliver(payPDU, -1); err != nil || seg.Text != "PAY 482613 500 LOAN 12" {
		t.Fatalf("test PDU decodes to %q, %v", seg.Text, err)
	}
	for _, showText := range []bool{false, true} {
		t.Run(fmt.Sprintf("trace-sms-text=%v", showText), func(t *testing.T) {
			fake := newFakeModem(t)
			fake.cpin = "SIM PIN"
			fake.pinOK = "4711"
			h := startModem(t, fake, func(cfg *Config, _ *Modem) { cfg.PIN, cfg.TraceSMSText = "4711", showText })
			h.waitState(StateReady)
			h.eventually("initial sweep", func() bool { return fake.countCmd("AT+CMGL=4") == 1 })
			fake.store("SM", 5, 0, payPDU)
			fake.urc(`+CMTI: "SM",5`)
			h.eventually("the PAY delivered", func() bool { return len(h.sink.received()) == 1 })
			logs := h.logs.String()
			for _, want := range []string{
				`msg="AT sent" component=modem line="AT+CPIN=<hidden>"`,
				`msg="AT URC" component=modem line="+CMTI: \"SM\",5"`,
				`msg="AT sent" component=modem line="AT+CMGR=5"`,
				`msg="AT received" component=modem line="+CMGR: 0,,`,
				`msg="AT received" component=modem line=OK`,
			} {
				if !strings.Contains(logs, want) {
					t.Fatalf("the trace lacks %s:\n%s", want, logs)
				}
			}
			if strings.Contains(logs, "4711") {
				t.Fatalf("the SIM PIN is in the log:\n%s", logs)
			}
			if showText {
				if !strings.Contains(logs, payPDU) {
					t.Fatalf("the PDU is not shown whole although asked for:\n%s", logs)
				}
				return
			}
			if strings.Contains(logs, userData) {
				t.Fatalf("the text of the PAY (and its PIN) is in the log:\n%s", logs)
			}
			if !strings.Contains(logs, strings.TrimSuffix(payPDU, userData)+" [SMS-DELIVER, from +254722000012; 20 octets of text not shown]") {
				t.Fatalf("the PDU's header is not in the trace:\n%s", logs)
			}
		})
	}
}
