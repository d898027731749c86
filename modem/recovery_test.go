package modem

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// The recovery ladder climbs one rung per mute session and starts over
// once the modem answers an init.
func TestRecoveryLadder(t *testing.T) {
	var l ladder
	var got []rung
	for range 4 {
		got = append(got, l.climb())
	}
	if want := []rung{rungReopen, rungReset, rungReport, rungReport}; !slices.Equal(got, want) {
		t.Fatalf("climb = %v, want %v", got, want)
	}
	l.answered()
	if r := l.climb(); r != rungReopen {
		t.Fatalf("after the modem answered, the first rung is %v, want a reopen", r)
	}
}

// A message announced just before the modem hangs: its AT+CMGR gets no
// answer. Once ESC+AT brings the modem back, the read is tried again at
// once rather than at the next periodic sweep (an hour away here).
func TestReadCutShortByAHangIsRetriedAfterRecovery(t *testing.T) {
	fake := newFakeModem(t)
	h := startModem(t, fake, nil)
	h.waitState(StateReady)
	h.eventually("initial sweep", func() bool { return fake.countCmd("AT+CMGL=4") == 1 })

	fake.store("SM", 7, 0, pduA)
	fake.silence("AT+CMGR=7")
	fake.urc(`+CMTI: "SM",7`)
	h.eventually("message 7 delivered after the recovery", func() bool { return len(h.sink.received()) == 1 })
	if n := fake.countCmd("AT+CMGR=7"); n != 2 {
		t.Fatalf("AT+CMGR=7 sent %d times, want 2 (the one cut short, then the retry): %q", n, fake.commands())
	}
	h.eventually("message 7 deleted", func() bool { return len(fake.stored("SM")) == 0 })
	h.eventually("a sweep after the recovery", func() bool { return fake.countCmd("AT+CMGL=4") == 2 })
}

// A message whose +CMTI was lost while the modem hung is found by the sweep
// that follows any recovery, not an hour later.
func TestSweepRightAfterEscapeRecovery(t *testing.T) {
	fake := newFakeModem(t)
	h := startModem(t, fake, func(cfg *Config, _ *Modem) { cfg.ProbeInterval = 30 * time.Millisecond })
	h.waitState(StateReady)
	h.eventually("initial sweep", func() bool { return fake.countCmd("AT+CMGL=4") == 1 })

	fake.store("SM", 3, 0, pduB) // arrived while the modem hung; no +CMTI
	fake.silence("AT")           // the next probe gets no answer
	h.eventually("the message swept after the recovery", func() bool { return len(h.sink.received()) == 1 })
	if !strings.Contains(h.logs.String(), "trying ESC and AT") {
		t.Fatalf("delivered without a recovery:\n%s", h.logs.String())
	}
	if st := h.m.Status(); st.State != StateReady {
		t.Fatalf("state %s after a recoverable hang", st.State)
	}
}

// A read cut short in a store other than the main one is retried in the
// session after a reopen too: the new session's first sweep covers only
// the stores it knows.
func TestReadCutShortIsRetriedAfterReopen(t *testing.T) {
	fake := newFakeModem(t)
	h := startModem(t, fake, nil)
	h.waitState(StateReady)
	h.eventually("initial sweep", func() bool { return fake.countCmd("AT+CMGL=4") == 1 })

	fake.store("ME", 2, 0, pduB)
	fake.mu.Lock()
	fake.muteOn = "AT+CMGR=2" // the modem hangs on the read and stays mute
	fake.mu.Unlock()
	fake.urc(`+CMTI: "ME",2`)
	h.eventually("a reopen while mute", func() bool { return fake.openCount() >= 2 })
	fake.setMute(false)
	h.eventually("the ME message delivered after the reopen", func() bool { return len(h.sink.received()) == 1 })
	if got := h.sink.received()[0]; got.Storage != "ME" || got.Index != 2 {
		t.Fatalf("inbound = %+v", got)
	}
	h.eventually("deleted from ME", func() bool { return slices.Contains(fake.eventLog(), "delete ME 2") })
}

// A send whose prompt never came (the modem hung) counts as a recovery once
// the port resynchronises: the storage is swept at once.
func TestSweepAfterASendTimedOut(t *testing.T) {
	fake := newFakeModem(t)
	h := startModem(t, fake, nil)
	h.waitState(StateReady)
	h.eventually("initial sweep", func() bool { return fake.countCmd("AT+CMGL=4") == 1 })

	fake.store("SM", 4, 0, pduA) // arrived while the modem hung; no +CMTI
	fake.silence("AT+CMGS=24")
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	if _, err := h.m.Send(ctx, pduC, 24); !errors.Is(err, ErrNoPrompt) {
		t.Fatalf("Send = %v, want no prompt", err)
	}
	h.eventually("the message swept after the send timed out", func() bool { return len(h.sink.received()) == 1 })
}

// A read the modem never answers, although it answers AT, is tried a
// bounded number of times; then the driver goes on serving.
func TestUnanswerableReadIsGivenUp(t *testing.T) {
	fake := newFakeModem(t)
	h := startModem(t, fake, nil)
	h.waitState(StateReady)
	h.eventually("initial sweep", func() bool { return fake.countCmd("AT+CMGL=4") == 1 })

	fake.store("SM", 7, 0, pduA)
	fake.mu.Lock()
	fake.overrides["AT+CMGR=7"] = "" // never answered
	fake.mu.Unlock()
	fake.urc(`+CMTI: "SM",7`)
	h.eventually("the read given up", func() bool { return strings.Contains(h.logs.String(), "could not be read") })

	// Still serving: the next announced message is read and delivered.
	fake.store("SM", 8, 0, pduB)
	fake.urc(`+CMTI: "SM",8`)
	h.eventually("message 8 delivered", func() bool {
		for _, in := range h.sink.received() {
			if in.Index == 8 {
				return true
			}
		}
		return false
	})
	if n := fake.countCmd("AT+CMGR=7"); n != maxReadTries {
		t.Fatalf("AT+CMGR=7 sent %d times, want %d", n, maxReadTries)
	}
	if st := h.m.Status(); st.State != StateReady {
		t.Fatalf("state %s", st.State)
	}
}
