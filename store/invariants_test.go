package store

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "state.db"), Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// checkInvariants verifies that every index agrees with the records it
// indexes. It is used by ordinary tests and after each crash in the crash test.
func checkInvariants(db *DB) []error {
	var problems []error
	report := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		// Messages: each record in exactly its state's index, and nowhere else.
		msgCount := 0
		handledCount := 0
		deferredCount := 0
		err := btx.Bucket(bucketMessages).ForEach(func(k, _ []byte) error {
			msgCount++
			m, err := loadMessage(btx, keyID(k))
			if err != nil {
				report("message %d unreadable: %v", keyID(k), err)
				return nil
			}
			for _, s := range messageStates {
				inIndex := btx.Bucket(msgStateBucket(s)).Get(k) != nil
				if inIndex != (m.State == s) {
					report("message %d is %s but in-%s-index=%v", m.ID, m.State, s, inIndex)
				}
			}
			if m.State == MessageHandled {
				handledCount++
				if btx.Bucket(bucketMsgHandledAt).Get(timeIDKey(m.HandledAt, m.ID)) == nil {
					report("handled message %d missing from handled-at index", m.ID)
				}
			}
			if m.State == MessageDeferred {
				deferredCount++
				if btx.Bucket(bucketMsgDeferred).Get(timeIDKey(m.DeferredUntil, m.ID)) == nil {
					report("deferred message %d missing from deferred-until index", m.ID)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		indexed := 0
		for _, s := range messageStates {
			indexed += btx.Bucket(msgStateBucket(s)).Stats().KeyN
		}
		if indexed != msgCount {
			report("%d message ids in state indexes but %d messages", indexed, msgCount)
		}
		if n := btx.Bucket(bucketMsgHandledAt).Stats().KeyN; n != handledCount {
			report("handled-at index has %d entries for %d handled messages", n, handledCount)
		}
		if n := btx.Bucket(bucketMsgDeferred).Stats().KeyN; n != deferredCount {
			report("deferred-until index has %d entries for %d deferred messages", n, deferredCount)
		}

		// Outbox: state indexes, due index iff queued, submitted-at iff submitted.
		outCount, queued, submitted := 0, 0, 0
		err = btx.Bucket(bucketOutbox).ForEach(func(k, _ []byte) error {
			outCount++
			o, err := loadOutbound(btx, keyID(k))
			if err != nil {
				report("outbound %d unreadable: %v", keyID(k), err)
				return nil
			}
			for _, s := range outStates {
				inIndex := btx.Bucket(outStateBucket(s)).Get(k) != nil
				if inIndex != (o.State == s) {
					report("outbound %d is %s but in-%s-index=%v", o.ID, o.State, s, inIndex)
				}
			}
			if o.State == OutQueued {
				queued++
				if btx.Bucket(bucketOutDue).Get(dueKey(&o)) == nil {
					report("queued outbound %d missing from due index", o.ID)
				}
			}
			if o.State == OutSubmitted {
				submitted++
				if btx.Bucket(bucketOutSubmittedAt).Get(timeIDKey(o.SubmittedAt, o.ID)) == nil {
					report("submitted outbound %d missing from submitted-at index", o.ID)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		indexed = 0
		for _, s := range outStates {
			indexed += btx.Bucket(outStateBucket(s)).Stats().KeyN
		}
		if indexed != outCount {
			report("%d outbound ids in state indexes but %d records", indexed, outCount)
		}
		if n := btx.Bucket(bucketOutDue).Stats().KeyN; n != queued {
			report("due index has %d entries for %d queued records", n, queued)
		}
		if n := btx.Bucket(bucketOutSubmittedAt).Stats().KeyN; n != submitted {
			report("submitted-at index has %d entries for %d submitted records", n, submitted)
		}

		// Reassembly sets and their first-arrival index match one to one.
		setParts := 0
		err = btx.Bucket(bucketSets).ForEach(func(k, v []byte) error {
			var set partSet
			if _, err := getJSON(btx.Bucket(bucketSets), k, &set); err != nil {
				report("set unreadable: %v", err)
				return nil
			}
			setParts += len(set.Parts)
			if len(set.Parts) >= set.Total {
				report("set %x is complete but still stored", k)
			}
			if btx.Bucket(bucketSetsFirst).Get(append(timeKey(set.FirstAt), k...)) == nil {
				report("set %x missing from first-arrival index", k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if a, b := btx.Bucket(bucketSets).Stats().KeyN, btx.Bucket(bucketSetsFirst).Stats().KeyN; a != b {
			report("%d sets but %d first-arrival entries", a, b)
		}

		// Fingerprints and their time index match one to one.
		fps := btx.Bucket(bucketFingerprints)
		err = btx.Bucket(bucketFingerprintsAt).ForEach(func(k, _ []byte) error {
			if v := fps.Get(k[8:]); !bytes.Equal(v, k[:8]) {
				report("fingerprint %q time index disagrees with record", k[8:])
			}
			return nil
		})
		if err != nil {
			return err
		}
		if a, b := fps.Stats().KeyN, btx.Bucket(bucketFingerprintsAt).Stats().KeyN; a != b {
			report("%d fingerprints but %d time-index entries", a, b)
		}
		return nil
	})
	if err != nil {
		problems = append(problems, err)
	}
	return problems
}

func requireInvariants(t *testing.T, db *DB) {
	t.Helper()
	for _, p := range checkInvariants(db) {
		t.Error(p)
	}
}

var baseTime = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// The invariant checker must itself notice damage, or the crash test proves nothing.
func TestInvariantCheckerDetectsDamage(t *testing.T) {
	damage := map[string]func(btx *bbolt.Tx) error{
		"pending index entry lost": func(btx *bbolt.Tx) error {
			return btx.Bucket(msgStateBucket(MessagePending)).Delete(idKey(1))
		},
		"message also in handled index": func(btx *bbolt.Tx) error {
			return btx.Bucket(msgStateBucket(MessageHandled)).Put(idKey(1), nil)
		},
		"due entry lost": func(btx *bbolt.Tx) error {
			c := btx.Bucket(bucketOutDue).Cursor()
			k, _ := c.First()
			return btx.Bucket(bucketOutDue).Delete(k)
		},
		"due entry under another class": func(btx *bbolt.Tx) error {
			due := btx.Bucket(bucketOutDue)
			k, _ := due.Cursor().First()
			moved := append([]byte{k[0] + 1}, k[1:]...)
			return errAll(due.Delete(k), due.Put(moved, nil))
		},
		"set without first-arrival entry": func(btx *bbolt.Tx) error {
			c := btx.Bucket(bucketSetsFirst).Cursor()
			k, _ := c.First()
			return btx.Bucket(bucketSetsFirst).Delete(k)
		},
		"fingerprint without time entry": func(btx *bbolt.Tx) error {
			return btx.Bucket(bucketFingerprints).Put([]byte("orphan"), timeKey(baseTime))
		},
	}
	for name, breakIt := range damage {
		t.Run(name, func(t *testing.T) {
			db := openTemp(t)
			if _, err := db.AddSegment(Segment{Fingerprint: "a", Sender: "+1", Text: "x", ReceivedAt: baseTime}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.AddSegment(Segment{Fingerprint: "b", Sender: "+1", Text: "x", Concat: &Concat{Ref: 1, Total: 2, Seq: 1}, ReceivedAt: baseTime}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Enqueue(Outbound{To: "+1", Text: "y"}); err != nil {
				t.Fatal(err)
			}
			if problems := checkInvariants(db); len(problems) != 0 {
				t.Fatalf("healthy store reported: %v", problems)
			}
			if err := db.bolt.Update(breakIt); err != nil {
				t.Fatal(err)
			}
			if problems := checkInvariants(db); len(problems) == 0 {
				t.Error("damage not detected")
			}
		})
	}
}
