package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// sendNext takes the next due record at now through a successful one-part
// send, as the daemon's sender does, and returns it; ok is false when
// nothing is due.
func sendNext(t *testing.T, db *DB, now time.Time) (Outbound, bool) {
	t.Helper()
	o, ok, err := db.NextDue(now)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return Outbound{}, false
	}
	if err := db.MarkSubmitting(o.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkPartSubmitted(o.ID, 0, int(o.ID), 1); err != nil {
		t.Fatal(err)
	}
	return o, true
}

// classLetters is the sequence of classes as I, N and B.
func classLetters(sent []Outbound) string {
	var b strings.Builder
	for _, o := range sent {
		b.WriteString(strings.ToUpper(string(o.Priority[:1])))
	}
	return b.String()
}

func drain(t *testing.T, db *DB, now time.Time) []Outbound {
	t.Helper()
	var sent []Outbound
	for {
		o, ok := sendNext(t, db, now)
		if !ok {
			return sent
		}
		sent = append(sent, o)
	}
}

func TestEnqueueClassesAMessage(t *testing.T) {
	db := openTemp(t)
	id := mustEnqueue(t, db, Outbound{To: "+1", Text: "no class given"})
	if o := mustOutbound(t, db, id); o.Priority != PriorityNotification {
		t.Errorf("a message queued without a class is %q, want %q", o.Priority, PriorityNotification)
	}
	if _, err := db.Enqueue(Outbound{To: "+1", Text: "x", Priority: "urgent"}); err == nil || !strings.Contains(err.Error(), `"urgent"`) {
		t.Errorf("unknown class: %v", err)
	}
	requireInvariants(t, db)
}

// Interactive before notification before bulk, whatever the order they were
// queued in; oldest first within a class.
func TestNextDueOrdersByClassThenAge(t *testing.T) {
	db := openTemp(t)
	at := func(min int) time.Time { return baseTime.Add(time.Duration(min) * time.Minute) }
	bulk2 := mustEnqueue(t, db, Outbound{To: "+1", Text: "b2", Priority: PriorityBulk, NextAttempt: at(2)})
	bulk1 := mustEnqueue(t, db, Outbound{To: "+1", Text: "b1", Priority: PriorityBulk, NextAttempt: at(1)})
	note := mustEnqueue(t, db, Outbound{To: "+1", Text: "n", Priority: PriorityNotification, NextAttempt: at(3)})
	reply1 := mustEnqueue(t, db, Outbound{To: "+1", Text: "i1", Priority: PriorityInteractive, NextAttempt: at(4)})
	reply2 := mustEnqueue(t, db, Outbound{To: "+1", Text: "i2", Priority: PriorityInteractive, NextAttempt: at(4)})
	later := mustEnqueue(t, db, Outbound{To: "+1", Text: "not yet", Priority: PriorityInteractive, NextAttempt: at(60)})

	wake, ok, err := db.NextWake()
	if err != nil || !ok || !wake.Equal(at(1)) {
		t.Errorf("NextWake = %v, %v, %v; want the oldest bulk's %v", wake, ok, err, at(1))
	}
	sent := drain(t, db, at(10))
	if got, want := outIDs(sent), []uint64{reply1, reply2, note, bulk1, bulk2}; !slices.Equal(got, want) {
		t.Errorf("send order %v (%s), want %v", got, classLetters(sent), want)
	}
	if wake, ok, _ := db.NextWake(); !ok || !wake.Equal(at(60)) {
		t.Errorf("NextWake after the drain = %v, %v; want the interactive one not yet due", wake, ok)
	}
	if o, ok := sendNext(t, db, at(60)); !ok || o.ID != later {
		t.Errorf("at its time the last one goes: %+v, %v", o, ok)
	}
	requireInvariants(t, db)
}

// A reply queued behind a batch of reminders goes next, and the batch
// resumes after it.
func TestReplyOvertakesQueuedBulk(t *testing.T) {
	db := openTemp(t)
	for i := range 200 {
		mustEnqueue(t, db, Outbound{To: fmt.Sprint("+2547110", i), Text: "reminder", Priority: PriorityBulk, Origin: "remind:1"})
	}
	for range 3 {
		if o, _ := sendNext(t, db, time.Now().Add(time.Minute)); o.Priority != PriorityBulk {
			t.Fatalf("sent %+v while only bulk waits", o)
		}
	}
	reply := mustEnqueue(t, db, Outbound{To: "+254712345678", Text: "balance", Priority: PriorityInteractive, Origin: "reply:9"})
	if o, _ := sendNext(t, db, time.Now().Add(time.Minute)); o.ID != reply {
		t.Fatalf("after the reply was queued, %d (%s) went first", o.ID, o.Priority)
	}
	if o, _ := sendNext(t, db, time.Now().Add(time.Minute)); o.Priority != PriorityBulk || o.ID != 4 {
		t.Errorf("the reminders did not resume in order: %+v", o)
	}
	requireInvariants(t, db)
}

// A steady flow of replies leaves each less urgent class one send in
// fairShareAfter+1: after fairShareAfter sends in a row passed it over, it
// gets the next one.
func TestFairShareKeepsBulkAndNotificationsMoving(t *testing.T) {
	db := openTemp(t)
	now := time.Now().Add(time.Second)
	for i := range 30 {
		mustEnqueue(t, db, Outbound{To: "+1", Text: fmt.Sprint("i", i), Priority: PriorityInteractive})
	}
	for i := range 5 {
		mustEnqueue(t, db, Outbound{To: "+2", Text: fmt.Sprint("n", i), Priority: PriorityNotification})
		mustEnqueue(t, db, Outbound{To: "+3", Text: fmt.Sprint("b", i), Priority: PriorityBulk})
	}
	sent := drain(t, db, now)
	got := classLetters(sent)
	// Four replies, then the notification that waited four sends, then the
	// bulk that waited five; from then on every class that waits gets one in five.
	want := "IIIINB" + "IIINB" + "IIINB" + "IIINB" + "IIINB" + strings.Repeat("I", 30-4-4*3)
	if got != want {
		t.Errorf("classes in send order\n got %s\nwant %s", got, want)
	}
	for _, c := range []string{"N", "B"} {
		for i, gap := strings.Index(got, c), 0; i >= 0 && i < strings.LastIndex(got, c); i += gap + 1 {
			if gap = strings.Index(got[i+1:], c); gap >= fairShareAfter+1 {
				t.Errorf("class %s waited %d sends at %d: %s", c, gap, i, got)
			}
		}
	}
	// FIFO within each class.
	for _, class := range priorities {
		var ids []uint64
		for _, o := range sent {
			if o.Priority == class {
				ids = append(ids, o.ID)
			}
		}
		if !slices.IsSorted(ids) {
			t.Errorf("%s sent out of order: %v", class, ids)
		}
	}
	requireInvariants(t, db)
}

// Sends while bulk was not yet due (backing off, say) do not count as bulk
// waiting: once it is due, a reply still goes first.
func TestFairShareCountsOnlyWhileDue(t *testing.T) {
	db := openTemp(t)
	later := time.Now().Add(time.Hour)
	bulk := mustEnqueue(t, db, Outbound{To: "+3", Text: "b", Priority: PriorityBulk, NextAttempt: later})
	for range 2 * fairShareAfter {
		mustEnqueue(t, db, Outbound{To: "+1", Text: "i", Priority: PriorityInteractive})
		if o, _ := sendNext(t, db, time.Now()); o.Priority != PriorityInteractive {
			t.Fatalf("sent %+v", o)
		}
	}
	reply := mustEnqueue(t, db, Outbound{To: "+1", Text: "i", Priority: PriorityInteractive, NextAttempt: later})
	if o, _, _ := db.NextDue(later); o.ID != reply {
		t.Errorf("bulk %d that was not due while the replies went took the turn of reply %d: got %d", bulk, reply, o.ID)
	}
}

// Every way back into the queue keeps the class, so a reminder that failed
// once does not come back ahead of replies, nor a reply behind reminders.
func TestRetriesKeepTheirClass(t *testing.T) {
	db := openTemp(t)
	now := time.Now()
	next := now.Add(-time.Minute) // due again at once: only the class decides
	backAgain := map[string]func(id uint64) error{
		"retry":     func(id uint64) error { return db.MarkRetry(id, next, "+CMS ERROR: 500") },
		"not sent":  func(id uint64) error { return db.MarkNotSent(id, next, "modem away") },
		"unknown":   func(id uint64) error { return db.MarkResendUnknown(id, next, "no answer") },
		"requeue":   func(id uint64) error { return errAll(db.MarkUnknown(id, "?"), db.Requeue(id)) },
		"recovered": func(id uint64) error { _, err := db.RecoverSubmitting(); return err },
	}
	for name, back := range backAgain {
		t.Run(name, func(t *testing.T) {
			bulk := mustEnqueue(t, db, Outbound{To: "+3", Text: "b", Priority: PriorityBulk, NextAttempt: now.Add(-time.Hour)})
			if err := db.MarkSubmitting(bulk, 0); err != nil {
				t.Fatal(err)
			}
			reply := mustEnqueue(t, db, Outbound{To: "+1", Text: "i", Priority: PriorityInteractive, NextAttempt: now})
			if err := db.MarkSubmitting(reply, 0); err != nil {
				t.Fatal(err)
			}
			if err := errAll(back(bulk), back(reply)); err != nil {
				t.Fatal(err)
			}
			if o := mustOutbound(t, db, bulk); o.Priority != PriorityBulk || o.State != OutQueued {
				t.Errorf("bulk after %s: %s, %s", name, o.Priority, o.State)
			}
			sent := drain(t, db, time.Now().Add(time.Minute))
			if got := outIDs(sent); !slices.Equal(got, []uint64{reply, bulk}) {
				t.Errorf("after %s sent %v (%s), want the reply %d before the older bulk %d", name, got, classLetters(sent), reply, bulk)
			}
			requireInvariants(t, db)
		})
	}
}

func errAll(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// The send budget's reserve: NextDueUpTo and NextWakeUpTo leave out the
// classes below the one they are given.
func TestNextDueUpToLeavesLessUrgentClassesOut(t *testing.T) {
	db := openTemp(t)
	now := time.Now()
	bulk := mustEnqueue(t, db, Outbound{To: "+3", Text: "b", Priority: PriorityBulk, NextAttempt: now.Add(-time.Hour)})
	reply := mustEnqueue(t, db, Outbound{To: "+1", Text: "i", Priority: PriorityInteractive, NextAttempt: now.Add(time.Minute)})
	if _, ok := must2(db.NextDueUpTo(now, PriorityInteractive))(t); ok {
		t.Error("a bulk message came out of the interactive class")
	}
	if at, ok, _ := db.NextWakeUpTo(PriorityNotification); !ok || !at.Equal(mustOutbound(t, db, reply).NextAttempt) {
		t.Errorf("NextWakeUpTo(notification) = %v, %v; want the reply's time", at, ok)
	}
	if o, ok := must2(db.NextDueUpTo(now, PriorityBulk))(t); !ok || o.ID != bulk {
		t.Errorf("NextDueUpTo(bulk) = %+v, %v", o, ok)
	}
	if o, ok := must2(db.NextDueUpTo(now.Add(time.Hour), PriorityInteractive))(t); !ok || o.ID != reply {
		t.Errorf("NextDueUpTo(interactive) once the reply is due = %+v, %v", o, ok)
	}
}

// A state file written by schema 1 (records without a class, the due index
// keyed by time and id alone) is migrated at open: each record gets the
// class its origin implies and the due index is rebuilt.
func TestOpenMigratesSchema1Outbox(t *testing.T) {
	db := openTemp(t)
	path := db.Path()
	ids := map[string]uint64{}
	for _, origin := range []string{"remind:cli:2026-03-01T09:00:00Z", "alert", "reply:7", "cli", "journal:3", "remind:12"} {
		ids[origin] = mustEnqueue(t, db, Outbound{To: "+1", Text: origin, Origin: origin, NextAttempt: baseTime})
	}
	failed := mustEnqueue(t, db, Outbound{To: "+1", Text: "dead letter", Origin: "remind:5", NextAttempt: baseTime})
	check(t, db.MarkFailed(failed, "operator gave up"))
	check(t, db.bolt.Update(writeSchema1Outbox))
	check(t, db.Close())

	db, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("open a schema-1 file: %v", err)
	}
	defer db.Close()
	requireInvariants(t, db)
	want := map[string]Priority{
		"remind:cli:2026-03-01T09:00:00Z": PriorityBulk, "remind:12": PriorityBulk,
		"alert": PriorityNotification, "cli": PriorityNotification,
		"reply:7": PriorityInteractive, "journal:3": PriorityInteractive,
	}
	for origin, id := range ids {
		if o := mustOutbound(t, db, id); o.Priority != want[origin] {
			t.Errorf("origin %s migrated to %q, want %q", origin, o.Priority, want[origin])
		}
	}
	if o := mustOutbound(t, db, failed); o.Priority != PriorityBulk || o.State != OutFailed {
		t.Errorf("dead letter after migration: %s, %s", o.Priority, o.State)
	}
	sent := drain(t, db, baseTime.Add(time.Minute))
	wantOrder := []uint64{ids["reply:7"], ids["journal:3"], ids["alert"], ids["cli"], ids["remind:cli:2026-03-01T09:00:00Z"], ids["remind:12"]}
	if got := outIDs(sent); !slices.Equal(got, wantOrder) {
		t.Errorf("migrated queue sent %v (%s), want %v", got, classLetters(sent), wantOrder)
	}
	check(t, db.Requeue(failed))
	if o, ok := sendNext(t, db, time.Now().Add(time.Minute)); !ok || o.ID != failed {
		t.Errorf("requeued dead letter: %+v, %v", o, ok)
	}
	requireInvariants(t, db)
	check(t, db.bolt.View(func(btx *bbolt.Tx) error {
		if v := keyID(btx.Bucket(bucketMeta).Get(keySchemaVersion)); v != schemaVersion {
			t.Errorf("schema version %d after migration, want %d", v, schemaVersion)
		}
		return nil
	}))
}

// writeSchema1Outbox turns the outbox into what schema 1 wrote: records
// without a priority field, due keys of NextAttempt and id, version 1.
func writeSchema1Outbox(btx *bbolt.Tx) error {
	out := btx.Bucket(bucketOutbox)
	var keys [][]byte
	if err := out.ForEach(func(k, _ []byte) error { keys = append(keys, slices.Clone(k)); return nil }); err != nil {
		return err
	}
	if err := btx.DeleteBucket(bucketOutDue); err != nil {
		return err
	}
	due, err := btx.CreateBucket(bucketOutDue)
	if err != nil {
		return err
	}
	for _, k := range keys {
		var fields map[string]any
		if err := json.Unmarshal(out.Get(k), &fields); err != nil {
			return err
		}
		delete(fields, "priority")
		raw, err := json.Marshal(fields)
		if err != nil {
			return err
		}
		if err := out.Put(k, raw); err != nil {
			return err
		}
		o, err := loadOutbound(btx, keyID(k))
		if err != nil {
			return err
		}
		if o.Priority != "" {
			return fmt.Errorf("record %d still has a priority", o.ID)
		}
		if o.State == OutQueued {
			if err := due.Put(timeIDKey(o.NextAttempt, o.ID), nil); err != nil {
				return err
			}
		}
	}
	meta := btx.Bucket(bucketMeta)
	if err := meta.Delete(keyFairShare); err != nil {
		return err
	}
	return meta.Put(keySchemaVersion, idKey(1))
}
