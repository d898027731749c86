package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Webhook deliveries waiting (or retrying) and those given up on. A
// delivery leaves the queue only when the receiver answered 2xx (deleted)
// or when it was given up (moved to the dead letters, kept for people to
// see until the store's retention ends).
const (
	extWebhookQueue = "webhook_queue" // id -> WebhookDelivery
	extWebhookDead  = "webhook_dead"  // id -> WebhookDelivery
	extCursors      = "cursors"       // name -> seq (8 bytes)
)

// WebhookDelivery is one event on its way to one webhook URL.
type WebhookDelivery struct {
	ID      uint64 `json:"id"`
	EventID string `json:"event_id"` // the same for every URL and every attempt
	Event   string `json:"event"`    // e.g. "sms.received"
	URL     string `json:"url"`
	// Body is sent byte for byte on every attempt; the signature covers it.
	Body        []byte    `json:"body"`
	CreatedAt   time.Time `json:"created_at"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	DeadAt      time.Time `json:"dead_at,omitzero"`
}

// EnqueueWebhook queues d in the caller's transaction and returns its id.
func (tx *Tx) EnqueueWebhook(d WebhookDelivery) (uint64, error) {
	if d.URL == "" || d.EventID == "" || d.Event == "" {
		return 0, errors.New("a webhook delivery needs a URL, an event id and an event name")
	}
	b, err := tx.Bucket(extWebhookQueue)
	if err != nil {
		return 0, err
	}
	id, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	d.ID = id
	if d.CreatedAt.IsZero() {
		d.CreatedAt = time.Now()
	}
	if d.NextAttempt.IsZero() {
		d.NextAttempt = d.CreatedAt
	}
	return id, putJSON(b, idKey(id), d)
}

// DueWebhooks returns up to limit queued deliveries due at now, for which
// skip (the ones already in flight) is false, oldest id first.
func (db *DB) DueWebhooks(now time.Time, limit int, skip func(id uint64) bool) ([]WebhookDelivery, error) {
	var out []WebhookDelivery
	err := db.View(func(tx *Tx) error {
		b, err := tx.Bucket(extWebhookQueue)
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		c := b.Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if skip != nil && skip(keyID(k)) {
				continue
			}
			var d WebhookDelivery
			if _, err := getJSON(b, k, &d); err != nil {
				return err
			}
			if !d.NextAttempt.After(now) {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

// NextWebhookWake is the earliest NextAttempt in the queue.
func (db *DB) NextWebhookWake() (time.Time, bool, error) {
	var at time.Time
	var ok bool
	err := db.View(func(tx *Tx) error {
		b, err := tx.Bucket(extWebhookQueue)
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		return b.ForEach(func(k, _ []byte) error {
			var d WebhookDelivery
			if _, err := getJSON(b, k, &d); err != nil {
				return err
			}
			if !ok || d.NextAttempt.Before(at) {
				at, ok = d.NextAttempt, true
			}
			return nil
		})
	})
	return at, ok, err
}

// WebhookDelivered removes a delivery the receiver accepted.
func (db *DB) WebhookDelivered(id uint64) error {
	return db.Update(func(tx *Tx) error {
		b, err := tx.Bucket(extWebhookQueue)
		if err != nil {
			return err
		}
		return b.Delete(idKey(id))
	})
}

// WebhookAttemptFailed records a failed attempt: the delivery is tried
// again at next, or, when dead, moved to the dead letters.
func (db *DB) WebhookAttemptFailed(id uint64, next time.Time, why string, dead bool) error {
	return db.Update(func(tx *Tx) error {
		q, err := tx.Bucket(extWebhookQueue)
		if err != nil {
			return err
		}
		var d WebhookDelivery
		found, err := getJSON(q, idKey(id), &d)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("webhook delivery %d: %w", id, ErrNotFound)
		}
		d.Attempts++
		d.LastError = why
		if !dead {
			d.NextAttempt = next
			return putJSON(q, idKey(id), d)
		}
		d.DeadAt = time.Now()
		dl, err := tx.Bucket(extWebhookDead)
		if err != nil {
			return err
		}
		if err := q.Delete(idKey(id)); err != nil {
			return err
		}
		return putJSON(dl, idKey(id), d)
	})
}

// WebhookDeliveries lists up to limit deliveries, newest first: the dead
// letters when dead, else the queue.
func (db *DB) WebhookDeliveries(dead bool, limit int) ([]WebhookDelivery, error) {
	name := extWebhookQueue
	if dead {
		name = extWebhookDead
	}
	var out []WebhookDelivery
	err := db.View(func(tx *Tx) error {
		b, err := tx.Bucket(name)
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			_ = v
			var d WebhookDelivery
			if _, err := getJSON(b, k, &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// PruneWebhookDead deletes dead letters given up before before.
func (db *DB) PruneWebhookDead(before time.Time) (int, error) {
	return pruneExt(db, extWebhookDead, func(d WebhookDelivery) bool { return d.DeadAt.Before(before) })
}

// Cursor returns the position a reader of the feed stored under name (0
// when it never stored one).
func (tx *Tx) Cursor(name string) uint64 {
	ext := tx.btx.Bucket(bucketExt)
	b := ext.Bucket([]byte(extCursors))
	if b == nil {
		return 0
	}
	if v := b.Get([]byte(name)); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// SetCursor stores a feed reader's position in the caller's transaction.
func (tx *Tx) SetCursor(name string, seq uint64) error {
	b, err := tx.Bucket(extCursors)
	if err != nil {
		return err
	}
	return b.Put([]byte(name), idKey(seq))
}
