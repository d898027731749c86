package store

import (
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Events received from a hook (Fineract's "Web" hook) are kept here before
// anything is done with them, so an event answered 200 is never lost, and
// keyed by the event itself, so an event received twice is acted on once.
const (
	extHookEvents = "hook_events"     // key -> HookEvent
	extHookDue    = "hook_events_due" // time key + seq -> key, for events still to do
)

// HookState is where a hook event stands.
type HookState string

const (
	HookWaiting HookState = "waiting" // to do (again) at NextAttempt
	HookDone    HookState = "done"    // its SMS is queued (OutboxID)
	HookSkipped HookState = "skipped" // nothing to send; Note says why
)

// HookEvent is one received hook event and what became of it.
type HookEvent struct {
	Key        string    `json:"key"` // what makes the event unique
	Tenant     string    `json:"tenant"`
	Entity     string    `json:"entity"`
	Action     string    `json:"action"`
	ResourceID int64     `json:"resource_id,omitempty"`
	LoanID     int64     `json:"loan_id,omitempty"`
	ClientID   int64     `json:"client_id,omitempty"`
	CommandID  int64     `json:"command_id,omitempty"`
	ReceivedAt time.Time `json:"received_at"`

	State       HookState `json:"state"`
	Attempts    int       `json:"attempts,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	Note        string    `json:"note,omitempty"` // the last error, or why skipped
	OutboxID    uint64    `json:"outbox_id,omitempty"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
}

// ErrHookEventGone means no event has that key, or it is no longer waiting.
var ErrHookEventGone = errors.New("hook event is not waiting")

// AddHookEvent stores e as waiting, due now, unless an event with its key
// was stored before; added says which.
func (db *DB) AddHookEvent(e HookEvent) (added bool, err error) {
	if e.Key == "" {
		return false, errors.New("a hook event needs a key")
	}
	err = db.Update(func(tx *Tx) error {
		events, due, err := hookBuckets(tx)
		if err != nil {
			return err
		}
		if events.Get([]byte(e.Key)) != nil {
			added = false
			return nil
		}
		seq, err := due.NextSequence()
		if err != nil {
			return err
		}
		if e.ReceivedAt.IsZero() {
			e.ReceivedAt = time.Now()
		}
		e.State, e.NextAttempt, e.Attempts = HookWaiting, e.ReceivedAt, 0
		dk := timeIDKey(e.NextAttempt, seq)
		if err := due.Put(dk, []byte(e.Key)); err != nil {
			return err
		}
		added = true
		return putJSON(events, []byte(e.Key), hookRecord{e, dk})
	})
	return added, err
}

// hookRecord is a HookEvent as stored, with its due-index key.
type hookRecord struct {
	HookEvent
	Due []byte `json:"due,omitempty"`
}

func hookBuckets(tx *Tx) (events, due *bbolt.Bucket, err error) {
	e, err := tx.Bucket(extHookEvents)
	if err != nil {
		return nil, nil, err
	}
	d, err := tx.Bucket(extHookDue)
	if err != nil {
		return nil, nil, err
	}
	return e, d, nil
}

// DueHookEvents returns up to limit waiting events due at now, oldest first.
func (db *DB) DueHookEvents(now time.Time, limit int) ([]HookEvent, error) {
	var out []HookEvent
	err := db.View(func(tx *Tx) error {
		events, due, err := hookBuckets(tx)
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		c := due.Cursor()
		cut := string(timeKey(now))
		for k, v := c.First(); k != nil && len(out) < limit && string(k[:8]) <= cut; k, v = c.Next() {
			var r hookRecord
			if found, err := getJSON(events, v, &r); err != nil || !found {
				continue // a stale index entry; Finish/Retry never leave one
			}
			out = append(out, r.HookEvent)
		}
		return nil
	})
	return out, err
}

// HookEvent returns the event with key.
func (db *DB) HookEvent(key string) (HookEvent, error) {
	var r hookRecord
	err := db.View(func(tx *Tx) error {
		events, _, err := hookBuckets(tx)
		if err != nil {
			return err
		}
		found, err := getJSON(events, []byte(key), &r)
		if err == nil && !found {
			return fmt.Errorf("hook event %q: %w", key, ErrNotFound)
		}
		return err
	})
	return r.HookEvent, err
}

// updateWaitingHook loads the waiting event key, lets change alter it, and
// saves it with its due-index entry moved or removed, in tx.
func updateWaitingHook(tx *Tx, key string, change func(e *HookEvent) error) error {
	events, due, err := hookBuckets(tx)
	if err != nil {
		return err
	}
	var r hookRecord
	found, err := getJSON(events, []byte(key), &r)
	if err != nil {
		return err
	}
	if !found || r.State != HookWaiting {
		return fmt.Errorf("hook event %q: %w", key, ErrHookEventGone)
	}
	if err := due.Delete(r.Due); err != nil {
		return err
	}
	r.Due = nil
	if err := change(&r.HookEvent); err != nil {
		return err
	}
	if r.State == HookWaiting {
		seq, err := due.NextSequence()
		if err != nil {
			return err
		}
		r.Due = timeIDKey(r.NextAttempt, seq)
		if err := due.Put(r.Due, []byte(key)); err != nil {
			return err
		}
	}
	return putJSON(events, []byte(key), r)
}

// FinishHookEvent queues out (when it has a recipient) and marks the
// waiting event done with it, in one transaction; with out nil the event
// is skipped with note. Either happens once: a second call finds the event
// no longer waiting (ErrHookEventGone) and queues nothing.
func (db *DB) FinishHookEvent(key string, out *Outbound, note string) (uint64, error) {
	var id uint64
	err := db.Update(func(tx *Tx) error {
		return updateWaitingHook(tx, key, func(e *HookEvent) (err error) {
			e.FinishedAt, e.Note = time.Now(), note
			if out == nil {
				e.State = HookSkipped
				return nil
			}
			if id, err = tx.Enqueue(*out); err != nil {
				return err
			}
			e.State, e.OutboxID = HookDone, id
			return nil
		})
	})
	return id, err
}

// RetryHookEvent puts the waiting event back for next, noting why.
func (db *DB) RetryHookEvent(key string, next time.Time, why string) error {
	return db.Update(func(tx *Tx) error {
		return updateWaitingHook(tx, key, func(e *HookEvent) error {
			e.Attempts++
			e.NextAttempt, e.Note = next, why
			return nil
		})
	})
}

// PruneHookEvents deletes up to limit events done or skipped before
// `before`; waiting events are kept whatever their age.
func (db *DB) PruneHookEvents(before time.Time, limit int) (int, error) {
	var n int
	err := db.Update(func(tx *Tx) error {
		n = 0
		events, _, err := hookBuckets(tx)
		if err != nil {
			return err
		}
		var old [][]byte
		err = events.ForEach(func(k, v []byte) error {
			var r hookRecord
			if len(old) >= limit {
				return nil
			}
			if found, err := getJSON(events, k, &r); err != nil || !found {
				return nil
			}
			if r.State != HookWaiting && r.FinishedAt.Before(before) {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := events.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	return n, err
}
