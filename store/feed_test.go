package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func feedOf(t *testing.T, db *DB) []string {
	t.Helper()
	var out []string
	err := db.View(func(tx *Tx) error {
		return tx.FeedAfter(0, func(e FeedEntry) (bool, error) {
			out = append(out, fmt.Sprintf("%d:%s:%d:%s", e.Seq, e.Kind, e.ID, e.State))
			return true, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFeedIsWrittenWithTheChange: each entry commits or rolls back with the
// change it reports, and only final verdicts are entries.
func TestFeedIsWrittenWithTheChange(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.AddSegment(Segment{Fingerprint: "a", Sender: "+254711000001", Text: "hi", ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("handler failed")
	if err := db.Update(func(tx *Tx) error {
		if err := tx.MarkHandled(res.MessageID, ""); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := feedOf(t, db); len(got) != 0 {
		t.Fatalf("a rolled-back handling left feed entries %v", got)
	}
	if err := db.Update(func(tx *Tx) error { return tx.MarkHandled(res.MessageID, "") }); err != nil {
		t.Fatal(err)
	}
	id, _ := db.Enqueue(Outbound{To: "+254711000001", Text: "x"})
	_ = db.MarkSubmitting(id, 0)
	_ = db.MarkPartSubmitted(id, 0, 7, 1) // submitted: no verdict yet
	other, _ := db.Enqueue(Outbound{To: "+254711000002", Text: "y"})
	_ = db.MarkFailed(other, "dead")
	_ = db.Requeue(other)
	_ = db.MarkFailed(other, "dead again")
	want := []string{"1:message:1:handled", fmt.Sprintf("2:outbound:%d:failed", other), fmt.Sprintf("3:outbound:%d:failed", other)}
	if got := feedOf(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("feed %v, want %v", got, want)
	}
	if n, err := db.PruneFeed(time.Now().Add(time.Hour), 2); n != 2 || err != nil {
		t.Errorf("prune: %d %v", n, err)
	}
	if got := feedOf(t, db); len(got) != 1 {
		t.Errorf("after pruning two: %v", got)
	}
	if err := db.View(func(tx *Tx) error {
		if h := tx.FeedHead(); h != 3 {
			return fmt.Errorf("head %d after prune, want 3 (sequence numbers are never reused)", h)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}
