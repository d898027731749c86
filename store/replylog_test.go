package store

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func allowReply(t *testing.T, db *DB, number string, now time.Time, perHour int) bool {
	t.Helper()
	var ok bool
	err := db.Update(func(tx *Tx) (err error) {
		ok, err = tx.AllowReply(number, now, perHour)
		return err
	})
	if err != nil {
		t.Fatalf("AllowReply: %v", err)
	}
	return ok
}

func TestAllowReplySlidingWindow(t *testing.T) {
	db := openTemp(t)
	const number = "+254700111"
	t0 := baseTime
	for i := range 3 {
		if !allowReply(t, db, number, t0.Add(time.Duration(i)*10*time.Minute), 3) {
			t.Fatalf("reply %d refused within the limit", i+1)
		}
	}
	if allowReply(t, db, number, t0.Add(30*time.Minute), 3) {
		t.Error("fourth reply within the hour allowed")
	}
	// Another number has its own allowance; a longer number sharing the
	// prefix must not count.
	if !allowReply(t, db, "+2547001110", t0.Add(30*time.Minute), 3) {
		t.Error("other number refused")
	}
	// At t0+1h the first reply leaves the window: one slot frees up.
	if !allowReply(t, db, number, t0.Add(time.Hour), 3) {
		t.Error("reply refused after the oldest left the window")
	}
	if allowReply(t, db, number, t0.Add(time.Hour+time.Minute), 3) {
		t.Error("window should be full again")
	}
	// Refusals are not recorded: after the window passes, the full limit is back.
	later := t0.Add(3 * time.Hour)
	for i := range 3 {
		if !allowReply(t, db, number, later, 3) {
			t.Fatalf("reply %d refused in a fresh window", i+1)
		}
	}
	err := db.Update(func(tx *Tx) error {
		_, err := tx.AllowReply(number, later, 0)
		return err
	})
	if err == nil {
		t.Error("perHour 0 accepted")
	}
}

func TestAllowReplyRolledBackWithHandler(t *testing.T) {
	db := openTemp(t)
	err := db.Update(func(tx *Tx) error {
		// The reply must be counted in the transaction, or there is nothing to roll back.
		if ok, err := tx.AllowReply("+1", baseTime, 1); err != nil || !ok {
			return fmt.Errorf("reply inside the handler: allowed %v, %v", ok, err)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("handler transaction ended with %v, want the handler's rollback", err)
	}
	if !allowReply(t, db, "+1", baseTime, 1) {
		t.Error("a rolled-back reply used up the allowance")
	}
}

type rollbackError struct{}

func (rollbackError) Error() string { return "rollback" }

var errRollback = rollbackError{}
