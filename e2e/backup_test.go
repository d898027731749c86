package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/modemsim"
	"github.com/mifos-edge/mifos-edge/store"
)

// A technician backs up a running box while clients text it, tries to
// restore while it runs (refused, nothing changed), then stops it,
// restores, and starts it again on the restored store.
func TestBackupWhileRunningAndRestore(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.start()

	// Clients keep texting while the backup is made.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			e.deliver(fmt.Sprintf("+2547000001%02d", i%100), "HELP")
		}
	}()
	e.waitSent(30*time.Second, "replies before the backup", func(s []modemsim.Sent) bool { return len(s) >= 3 })
	backup := filepath.Join(e.dir, "off-the-box", "state-copy.db")
	if err := os.Mkdir(filepath.Dir(backup), 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := e.cli("backup", backup)
	close(stop)
	wg.Wait()
	if err != nil || !strings.Contains(out, "by the running daemon") {
		t.Fatalf("backup while running: %v\n%s", err, out)
	}
	sum, err := store.CheckFile(backup)
	if err != nil || sum.Messages == 0 {
		t.Fatalf("the backup: %+v, %v", sum, err)
	}
	// Everything texted so far reaches the store (and so is not read into
	// the restored one after the restart).
	deadline := time.Now().Add(60 * time.Second)
	for used, _ := e.sim.Storage(); used > 0 || !e.drained(); used, _ = e.sim.Storage() {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not take in every SMS within 60 s (%d on the SIM)", used)
		}
		time.Sleep(50 * time.Millisecond)
	}

	storePath := filepath.Join(e.dir, "state.db")
	out, err = e.cli("restore", backup)
	if err == nil || !strings.Contains(out, "the daemon is running") {
		t.Fatalf("restore while running: %v\n%s", err, out)
	}
	if _, err := os.Stat(storePath + store.BeforeRestoreSuffix); !os.IsNotExist(err) {
		t.Fatalf("a refused restore touched the store: %v", err)
	}

	e.stop()
	out, err = e.cli("restore", backup)
	if err != nil || !strings.Contains(out, "kept as "+storePath+store.BeforeRestoreSuffix) {
		t.Fatalf("restore while stopped: %v\n%s", err, out)
	}
	e.start()
	st := e.status().Store
	if got := st.Pending + st.Handled + st.Parked + st.Deferred; got != sum.Messages {
		t.Fatalf("the daemon runs on a store of %d messages, the backup held %d", got, sum.Messages)
	}
}
