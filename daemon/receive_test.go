package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/modemsim"
)

// The modem deletes a message from the SIM once the sink returned nil, so
// a receive that reports success without a durable copy loses the only one.
func TestReceiveFailsWhenTheStoreCannotKeepTheMessage(t *testing.T) {
	d, _ := secretsDaemon(t)
	good, n := deliverPDU(t, "+254700000009", "BAL", time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC))
	for _, tc := range []struct {
		name string
		in   modem.Inbound
	}{
		{"an SMS", modem.Inbound{Storage: "SM", Index: 3, PDU: good, TPDULen: n}},
		// What does not decode is parked for a person: stored all the same.
		{"an SMS that does not decode", modem.Inbound{Storage: "SM", Index: 4, PDU: "0004FF", TPDULen: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Proof that the message would be stored when the store works.
			if err := d.receive(context.Background(), tc.in); err != nil {
				t.Fatalf("receive with a working store: %v", err)
			}
		})
	}
	if st, err := d.db.Stats(); err != nil || st.Pending != 1 || st.Parked != 1 {
		t.Fatalf("store after two deliveries: %+v, %v; want one pending and one parked", st, err)
	}
	// Every store write fails from here on (as on a full or failing disk).
	if err := d.db.Close(); err != nil {
		t.Fatal(err)
	}
	other, n := deliverPDU(t, "+254700000009", "BAL again", time.Date(2026, 12, 1, 9, 31, 0, 0, time.UTC))
	for _, in := range []modem.Inbound{
		{Storage: "SM", Index: 5, PDU: other, TPDULen: n},
		{Storage: "SM", Index: 6, PDU: "0004FE", TPDULen: 2},
	} {
		if err := d.receive(context.Background(), in); err == nil {
			t.Errorf("receive of SIM index %d returned nil although the store could not write it: the modem would delete the only copy", in.Index)
		}
	}
}

// lockedBuffer is a log destination the modem's goroutines and the test
// share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The whole chain: the daemon's own modem stage, with the daemon's receive
// as its sink, in front of a simulated modem. A store that cannot write
// leaves the message on the SIM: no AT+CMGD is sent for it.
func TestStoreFailureKeepsTheMessageOnTheSIM(t *testing.T) {
	sim, err := modemsim.Start(modemsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	if err := sim.Preload(modemsim.Incoming{From: "+254700000009", Text: "BAL", Class: -1}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := &config.Config{}
	cfg.Modem.Device = sim.Path()
	cfg.Store.Path = filepath.Join(dir, "state.db")
	cfg.SMS.Country = "KE"
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	d, err := Open(cfg, Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.db.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- d.modem.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-stopped
	})

	const keptWarning = "could not store a received message; it stays on the modem"
	deleted := func() bool {
		return slices.ContainsFunc(sim.Commands(), func(c string) bool { return strings.HasPrefix(c, "AT+CMGD") })
	}
	// waitFor waits for n failed deliveries, or for the message to be deleted.
	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for strings.Count(logs.String(), keptWarning) < n && !deleted() {
			if time.Now().After(deadline) {
				t.Fatalf("the modem neither delivered the stored SMS nor deleted it within 30 s; log:\n%s", logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor(1)
	// A second sweep runs only after the first one finished, so by then any
	// delete of the first delivery has been sent.
	d.modem.Sweep()
	waitFor(2)
	if used, _ := sim.Storage(); deleted() || used != 1 {
		t.Fatalf("the SIM holds %d messages after a delivery the store could not keep (commands %q): the only copy is gone", used, sim.Commands())
	}
	if _, err := d.db.Stats(); err == nil {
		t.Fatal("the store was open: the test did not make the write fail")
	}
}

// The daemon's store flushes every commit to the disk: receive's nil, which
// lets the modem delete the SIM's copy, must survive a power cut.
func TestDaemonStoreSyncsEveryCommit(t *testing.T) {
	d, _ := secretsDaemon(t)
	if !d.db.Syncs() {
		t.Fatal("the daemon opened its store without fsync: a power cut loses what the modem already deleted")
	}
}
