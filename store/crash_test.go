package store

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/mifos-edge/mifos-edge/internal/crashtest"
)

// crashChildEnv names the state file a re-executed test binary should
// hammer (see TestMain).
const crashChildEnv = "MIFOS_EDGE_STORE_CRASH_CHILD"

// crashJournal is the extension bucket where the crash child counts, in the
// handler's transaction, how often each message was handled.
const crashJournal = "crash-journal"

// runCrashChild plays the daemon on the state file at path until it is
// killed. Its work holds no randomness: the parent's seed decides when it dies.
func runCrashChild(path string) error {
	db, err := Open(path, Options{LockTimeout: 10 * time.Second})
	if err != nil {
		return err
	}
	if _, err := db.RecoverSubmitting(); err != nil {
		return err
	}
	run := os.Getpid()
	fmt.Println("ready")
	for i := 0; ; i++ {
		now := time.Now()
		fp := fmt.Sprintf("run%d-msg%d", run, i)
		if _, err := db.AddSegment(Segment{Fingerprint: fp, Sender: "+254700", Text: "BAL", RawPDU: "00", ReceivedAt: now}); err != nil {
			return err
		}
		if res, err := db.AddSegment(Segment{Fingerprint: fp, Sender: "+254700"}); err != nil || !res.Duplicate {
			return fmt.Errorf("re-adding %s: %+v, %v", fp, res, err)
		}
		if i%3 == 0 {
			for _, seq := range []int{3, 1, 2} {
				seg := part(fmt.Sprintf("run%d-set%d-p%d", run, i, seq), fmt.Sprint("+2547", run), i%256, 3, seq, i%2 == 0, "p ", now)
				if _, err := db.AddSegment(seg); err != nil {
					return err
				}
			}
		}
		pending, err := db.PendingMessages(5)
		if err != nil {
			return err
		}
		for _, m := range pending {
			err := db.Update(func(tx *Tx) error {
				if err := tx.MarkHandled(m.ID, "crash test"); err != nil {
					return err
				}
				journal, err := tx.Bucket(crashJournal)
				if err != nil {
					return err
				}
				count := uint64(0)
				if raw := journal.Get(idKey(m.ID)); raw != nil {
					count = binary.BigEndian.Uint64(raw)
				}
				if err := journal.Put(idKey(m.ID), idKey(count+1)); err != nil {
					return err
				}
				if ok, err := tx.AllowReply(m.Sender, now, 1_000_000); err != nil || !ok {
					return fmt.Errorf("reply not allowed: %v", err)
				}
				// Every class, so the due index holds several runs of keys.
				class := priorities[m.ID%uint64(len(priorities))]
				_, err = tx.Enqueue(Outbound{To: m.Sender, Text: "balance 1", Origin: fmt.Sprint("reply:", m.ID), Priority: class, DuplicateHarmless: true})
				return err
			})
			if err != nil {
				return err
			}
		}
		if o, ok, err := db.NextDue(time.Now()); err != nil {
			return err
		} else if ok {
			if err := db.MarkSubmitting(o.ID, int(o.ID%255)+1); err != nil {
				return err
			}
			switch o.ID % 4 {
			case 0:
				err = db.MarkRetry(o.ID, time.Now(), "simulated modem error")
			default:
				for p := o.PartsDone; p < 2 && err == nil; p++ {
					err = db.MarkPartSubmitted(o.ID, p, p, 2)
				}
			}
			if err != nil {
				return err
			}
		}
		fmt.Println("tick")
	}
}

func TestCrashRecovery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	rng := rand.New(rand.NewPCG(crashtest.Seed(t), 1))
	const kills = 6
	for round := range kills {
		ticks := 1 + rng.IntN(15)
		crashtest.KillAfterTicks(t, crashtest.Child(crashChildEnv, path, 0), ticks, time.Duration(rng.IntN(20))*time.Millisecond)
		db, err := Open(path, Options{LockTimeout: 10 * time.Second})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		for _, p := range checkInvariants(db) {
			t.Errorf("round %d (after %d ticks): %v", round, ticks, p)
		}
		for _, p := range checkCrashInvariants(db) {
			t.Errorf("round %d (after %d ticks): %v", round, ticks, p)
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
	st := must(db.Stats())(t)
	if st.Handled == 0 || st.Submitted == 0 {
		t.Errorf("the children made no progress: %+v", st)
	}
}

// checkCrashInvariants checks what the crash child's work must preserve:
// every handled message was handled exactly once and answered exactly once,
// and every message stems from at least one recorded fingerprint.
func checkCrashInvariants(db *DB) []error {
	var problems []error
	report := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		journal := btx.Bucket(bucketExt).Bucket([]byte(crashJournal))
		handled := btx.Bucket(msgStateBucket(MessageHandled))
		journalled := 0
		if journal != nil {
			journalled = journal.Stats().KeyN
			err := journal.ForEach(func(k, v []byte) error {
				if n := keyID(v); n != 1 {
					report("message %d handled %d times", keyID(k), n)
				}
				if handled.Get(k) == nil {
					report("message %d journalled but not handled", keyID(k))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if n := handled.Stats().KeyN; n != journalled {
			report("%d handled messages but %d journal entries", n, journalled)
		}
		replies := map[string]int{}
		err := btx.Bucket(bucketOutbox).ForEach(func(k, _ []byte) error {
			o, err := loadOutbound(btx, keyID(k))
			if err != nil {
				report("outbound %d unreadable: %v", keyID(k), err)
				return nil
			}
			replies[o.Origin]++
			return nil
		})
		if err != nil {
			return err
		}
		for origin, n := range replies {
			if n != 1 {
				report("%d replies queued for %s", n, origin)
			}
		}
		if len(replies) != journalled {
			report("%d replies for %d handled messages", len(replies), journalled)
		}
		parts := 0
		err = btx.Bucket(bucketSets).ForEach(func(k, _ []byte) error {
			var set partSet
			if _, err := getJSON(btx.Bucket(bucketSets), k, &set); err != nil {
				report("part set %x unreadable: %v", k, err)
			}
			parts += len(set.Parts)
			return nil
		})
		if err != nil {
			return err
		}
		fps := btx.Bucket(bucketFingerprints).Stats().KeyN
		if msgs := btx.Bucket(bucketMessages).Stats().KeyN; fps < msgs+parts {
			report("%d fingerprints for %d messages and %d stored parts", fps, msgs, parts)
		}
		return nil
	})
	if err != nil {
		problems = append(problems, err)
	}
	return problems
}
