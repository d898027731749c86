package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/modemsim"
	"github.com/mifos-edge/mifos-edge/store"
)

// crashSeedEnv replays a random crash run: set it to the seed the run
// logged. The kills still land where the scheduler puts them; the seed
// fixes the test's choices (when to kill, how fast clients text).
const crashSeedEnv = "CRASH_SEED"

// crashSeed is the seed of one random crash run, CRASH_SEED's value when
// set; the test logs it so that a failure can be replayed.
func crashSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashSeedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q is not a seed (an unsigned decimal number): %v", crashSeedEnv, s, err)
		}
		seed = v
	}
	t.Logf("random crash run with seed %d; replay it with %s=%d go test -run '^%s$'", seed, crashSeedEnv, seed, t.Name())
	return seed
}

// TestKill9DuringMessageStream kills the daemon with SIGKILL at random
// moments while clients keep texting. Every message must be answered, none
// lost, and each kill may cause at most one duplicate reply (the SMS that
// was on its way to the modem at that instant).
func TestKill9DuringMessageStream(t *testing.T) {
	const messages = 40
	kills := 4
	if testing.Short() {
		kills = 2
	}
	seed := crashSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed))

	e := newEnv(t, envOptions{})
	e.start()
	number := func(i int) string { return fmt.Sprintf("+2547100%05d", i) }

	streamRng := rand.New(rand.NewPCG(seed, seed+1))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < messages; i++ {
			if err := e.sim.Deliver(modemsim.Incoming{From: number(i), Text: "HELP", Class: -1}); err != nil {
				t.Errorf("deliver %d: %v", i, err)
				return
			}
			time.Sleep(time.Duration(20+streamRng.IntN(120)) * time.Millisecond)
		}
	}()
	for k := 0; k < kills; k++ {
		time.Sleep(time.Duration(300+rng.IntN(900)) * time.Millisecond)
		e.kill9()
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		e.start()
	}
	<-done
	for i := 0; i < messages; i++ {
		e.waitReply(number(i), 90*time.Second)
	}
	waitFor(t, 30*time.Second, "inbox and outbox drained", e.drained)
	st := e.status().Store
	if st.Unknown != 0 || st.Failed != 0 || st.Parked != 0 {
		t.Fatalf("after the stream: %+v", st)
	}
	if h := len(e.messages(store.MessageHandled)); h != messages {
		t.Errorf("%d messages handled, want %d (one per SMS sent)", h, messages)
	}
	e.stop()
	dups := 0
	for i := 0; i < messages; i++ {
		dups += len(e.sentTo(number(i))) - 1
	}
	t.Logf("%d messages, %d kills, %d duplicate replies", messages, kills, dups)
	if dups > kills {
		t.Fatalf("%d duplicate replies after %d kills (at most one per kill allowed)", dups, kills)
	}
}

// TestKill9WhileSubmitting kills the daemon while the modem holds an
// AT+CMGS (the PDU written, no answer yet): after the restart the reply is
// sent again, so the client gets it at least once and at most twice.
func TestKill9WhileSubmitting(t *testing.T) {
	e := replyHeldByTheModem(t)
	e.kill9()
	e.start()
	e.waitReply(client, 30*time.Second)
	waitFor(t, 20*time.Second, "outbox drained", e.drained)
	time.Sleep(2500 * time.Millisecond) // the delayed first copy, if the network took it
	if n := len(e.sentTo(client)); n < 1 || n > 2 {
		t.Fatalf("client got %d copies, want 1 or 2", n)
	}
	logs, _ := os.ReadFile(filepath.Join(e.dir, "daemon-2.log"))
	if !strings.Contains(string(logs), "requeued SMS that were being submitted") {
		t.Fatalf("the restart did not requeue the SMS left submitting:\n%s", logs)
	}
}

// TestStopWhileSubmittingSendsOnce stops the daemon cleanly (SIGTERM, as
// systemd does on a restart or a package upgrade) while the modem holds an
// AT+CMGS: the send under way finishes and is recorded before the daemon
// exits, so the client gets exactly one copy and nothing is requeued.
func TestStopWhileSubmittingSendsOnce(t *testing.T) {
	e := replyHeldByTheModem(t)
	e.stop()
	e.start()
	waitFor(t, 20*time.Second, "outbox drained", e.drained)
	time.Sleep(2500 * time.Millisecond) // a second copy, if the restart resent it
	if n := len(e.sentTo(client)); n != 1 {
		t.Fatalf("client got %d copies after a clean stop, want exactly 1", n)
	}
	logs, _ := os.ReadFile(filepath.Join(e.dir, "daemon-2.log"))
	if strings.Contains(string(logs), "requeued SMS that were being submitted") {
		t.Fatalf("a clean stop left an SMS submitting:\n%s", logs)
	}
}

// replyHeldByTheModem starts a box whose modem holds the next AT+CMGS for
// 2 s, and returns once the reply to a client's SMS is in that send.
func replyHeldByTheModem(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, envOptions{})
	e.start()
	e.sim.DelaySends(1, 2*time.Second)
	e.deliver(client, "hello") // one-part reply
	waitFor(t, 20*time.Second, "the reply handed to the modem", func() bool {
		for _, c := range e.sim.Commands() {
			if strings.HasPrefix(c, "AT+CMGS=") {
				return true
			}
		}
		return false
	})
	return e
}
