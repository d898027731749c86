package store

import (
	"fmt"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestPruneKeepsWhatMustStay(t *testing.T) {
	db := openTemp(t)
	now := time.Now()
	old := now.Add(-60 * 24 * time.Hour)
	recent := now.Add(-time.Hour)

	// Messages: handled, pending, parked.
	handledID := mustAdd(t, db, Segment{Fingerprint: "old-handled", Sender: "+1", Text: "a", ReceivedAt: old}).MessageID
	pendingID := mustAdd(t, db, Segment{Fingerprint: "old-pending", Sender: "+1", Text: "b", ReceivedAt: old}).MessageID
	parkedID := mustAdd(t, db, Segment{Fingerprint: "old-parked", Sender: "+1", DecodeError: "bad", ReceivedAt: old}).MessageID
	recentHandledID := mustAdd(t, db, Segment{Fingerprint: "new-handled", Sender: "+1", Text: "c", ReceivedAt: recent}).MessageID
	mustAdd(t, db, part("old-part", "+9", 1, 2, 1, false, "half", old))
	for _, id := range []uint64{handledID, recentHandledID} {
		if err := db.Update(func(tx *Tx) error { return tx.MarkHandled(id, "") }); err != nil {
			t.Fatal(err)
		}
	}
	// Handled long ago: rewrite HandledAt through the same path the store uses.
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		m, err := loadMessage(btx, handledID)
		if err != nil {
			return err
		}
		aged := m
		aged.HandledAt = old
		return saveMessage(btx, &m, &aged)
	})
	if err != nil {
		t.Fatal(err)
	}

	// Outbound in every state; the submitted one is aged the same way.
	outs := map[OutState]uint64{}
	for _, s := range outStates {
		id := mustEnqueue(t, db, Outbound{To: "+1", Text: string(s), CreatedAt: old})
		outs[s] = id
		switch s {
		case OutSubmitting, OutSubmitted, OutUnknown, OutFailed:
			if err := db.MarkSubmitting(id, 0); err != nil {
				t.Fatal(err)
			}
		}
		switch s {
		case OutSubmitted:
			err = db.MarkPartSubmitted(id, 0, 1, 1)
		case OutUnknown:
			err = db.MarkUnknown(id, "")
		case OutFailed:
			err = db.MarkFailed(id, "")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	recentSubmitted := mustEnqueue(t, db, Outbound{To: "+1", Text: "fresh"})
	check(t, db.MarkSubmitting(recentSubmitted, 0))
	check(t, db.MarkPartSubmitted(recentSubmitted, 0, 1, 1))
	err = db.bolt.Update(func(btx *bbolt.Tx) error {
		o, err := loadOutbound(btx, outs[OutSubmitted])
		if err != nil {
			return err
		}
		aged := o
		aged.SubmittedAt = old
		return saveOutbound(btx, &o, &aged)
	})
	if err != nil {
		t.Fatal(err)
	}

	// Reply log: one stale row, one inside the window.
	allowReply(t, db, "+5", old, 5)
	allowReply(t, db, "+6", now.Add(-10*time.Minute), 5)

	cutoff := now.Add(-30 * 24 * time.Hour)
	res, err := db.Prune(cutoff)
	if err != nil {
		t.Fatal(err)
	}
	want := PruneResult{Messages: 1, Outbound: 1, Fingerprints: 4, ReplyLog: 1}
	if res != want {
		t.Errorf("Prune = %+v, want %+v", res, want)
	}
	if _, err := db.Message(handledID); err == nil {
		t.Error("old handled message kept")
	}
	for _, id := range []uint64{pendingID, parkedID, recentHandledID} {
		if _, err := db.Message(id); err != nil {
			t.Errorf("message %d pruned: %v", id, err)
		}
	}
	for s, id := range outs {
		_, err := db.Outbound(id)
		if s == OutSubmitted && err == nil {
			t.Error("old submitted record kept")
		}
		if s != OutSubmitted && err != nil {
			t.Errorf("%s record pruned: %v", s, err)
		}
	}
	if _, err := db.Outbound(recentSubmitted); err != nil {
		t.Errorf("recent submitted record pruned: %v", err)
	}
	if seen := must(db.SeenFingerprint("new-handled"))(t); !seen {
		t.Error("recent fingerprint pruned")
	}
	// The incomplete set survives even though its fingerprint expired.
	if st := must(db.Stats())(t); st.IncompleteSets != 1 || st.Fingerprints != 1 {
		t.Errorf("stats after prune %+v", st)
	}
	// The row inside the window still counts.
	if allowReply(t, db, "+6", now, 1) {
		t.Error("reply-log row inside the window was pruned")
	}
	requireInvariants(t, db)
}

func TestPruneBatches(t *testing.T) {
	db := openTemp(t)
	n := pruneBatch + 10
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		for i := range n {
			if err := recordFingerprint(btx, fmt.Sprint("fp", i), baseTime); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Prune(baseTime.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if res.Fingerprints != n {
		t.Errorf("pruned %d fingerprints, want %d", res.Fingerprints, n)
	}
	if st := must(db.Stats())(t); st.Fingerprints != 0 {
		t.Errorf("%d fingerprints left", st.Fingerprints)
	}
}
