package store

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/internal/crashtest"
)

// journalCrashChildEnv names the state file a re-executed test binary
// should drive through the journal until it is killed (see TestMain).
const journalCrashChildEnv = "MIFOS_EDGE_JOURNAL_CRASH_CHILD"

// runJournalCrashChild plays handler and poster on the state file at path
// until SIGKILL, its choices drawn from seed.
func runJournalCrashChild(path string, seed uint64) error {
	db, err := Open(path, Options{LockTimeout: 10 * time.Second})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	fmt.Println("ready")
	for i := 0; ; i++ {
		// A handler journals two items of one SMS with its reply.
		err := db.Update(func(tx *Tx) error {
			for j := range 2 {
				e := repayment(int64(1+rng.IntN(4)), uint64(os.Getpid())<<20|uint64(i), fmt.Sprintf("p%d-%d-%d", os.Getpid(), i, j))
				if j == 1 {
					e = deposit(int64(1+rng.IntN(4)), e.Batch, e.ExternalID)
				}
				if _, err := tx.AppendJournal(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		due, err := db.DueJournal(time.Now(), 4)
		if err != nil {
			return err
		}
		for _, e := range due {
			if e.State == JournalPending {
				if err := db.MarkJournalPosting(e.ID, fmt.Sprint("key-", e.ID, "-", e.Attempts)); err != nil {
					return err
				}
			}
			switch rng.IntN(4) {
			case 0:
				err = db.MarkJournalRetry(e.ID, time.Now(), "simulated 503")
			case 1:
				err = db.MarkJournalUncertain(e.ID, time.Now(), "simulated timeout", true)
			default:
				state := JournalDone
				if rng.IntN(5) == 0 {
					state = JournalFailed
				}
				err = db.SettleJournalWith(e.ID, state, []int64{int64(e.ID)}, "simulated", func(s JournalEntry, _ []JournalEntry) []Outbound {
					return []Outbound{{To: "+254700000001", Text: string(s.State), Origin: fmt.Sprint("journal:", s.ID)}}
				})
			}
			if err != nil {
				return err
			}
		}
		fmt.Println("tick")
	}
}

func TestJournalCrashRecovery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	rng := rand.New(rand.NewPCG(crashtest.Seed(t), 3))
	for round := range 5 {
		crashtest.KillAfterTicks(t, crashtest.Child(journalCrashChildEnv, path, rng.Uint64()), 1+rng.IntN(20), time.Duration(rng.IntN(15))*time.Millisecond)
		db, err := Open(path, Options{LockTimeout: 10 * time.Second})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		for _, p := range append(checkJournalInvariants(db), checkJournalCrashInvariants(db)...) {
			t.Errorf("round %d: %v", round, p)
		}
		check(t, db.Close())
		if t.Failed() {
			return
		}
	}
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if st := must(db.JournalStats())(t); st.Done == 0 {
		t.Errorf("the children settled nothing: %+v", st)
	}
}

// checkJournalCrashInvariants: a confirmation exists exactly for each
// settled entry, and no entry settled while an earlier one of its account
// was still open.
func checkJournalCrashInvariants(db *DB) []error {
	var problems []error
	all, err := db.ListJournal("", 0)
	if err != nil {
		return []error{err}
	}
	out, err := db.ListOutbound("", 0)
	if err != nil {
		return []error{err}
	}
	confirmations := map[string]int{}
	for _, o := range out {
		confirmations[o.Origin]++
	}
	openBefore := map[string]uint64{}    // earliest open id per order key
	for i := len(all) - 1; i >= 0; i-- { // oldest first
		e := all[i]
		want := 0
		if !e.State.Open() {
			want = 1
		}
		if n := confirmations[fmt.Sprint("journal:", e.ID)]; n != want {
			problems = append(problems, fmt.Errorf("entry %d is %s with %d confirmations", e.ID, e.State, n))
		}
		if first, ok := openBefore[e.OrderKey()]; ok && !e.State.Open() {
			problems = append(problems, fmt.Errorf("entry %d settled while earlier entry %d of %s is open", e.ID, first, e.OrderKey()))
		}
		if _, ok := openBefore[e.OrderKey()]; e.State.Open() && !ok {
			openBefore[e.OrderKey()] = e.ID
		}
	}
	return problems
}
