package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"
)

// OutState is the state of an outbound SMS in the send state machine:
//
//	queued -> submitting -> submitted
//	submitting -> queued (retry, or crash recovery) | unknown | failed
//	unknown, failed -> queued (Requeue)
type OutState string

const (
	OutQueued     OutState = "queued"
	OutSubmitting OutState = "submitting"
	OutSubmitted  OutState = "submitted"
	OutUnknown    OutState = "unknown"
	OutFailed     OutState = "failed"
)

// Outbound is one SMS to send, possibly in several parts.
type Outbound struct {
	ID     uint64   `json:"id"`
	To     string   `json:"to"`
	Text   string   `json:"text"`
	State  OutState `json:"state"`
	Origin string   `json:"origin"` // e.g. "reply:17", "cli"
	// DuplicateHarmless: a duplicate of this text does no harm (auto
	// replies), so an unknown outcome may be resent once.
	DuplicateHarmless bool `json:"duplicate_harmless,omitempty"`
	// ConcatRef is fixed at the first attempt so a resend re-encodes identical parts.
	ConcatRef int `json:"concat_ref,omitempty"`
	// PartsDone parts were accepted by the modem, with these message references.
	PartsDone   int       `json:"parts_done"`
	MRs         []int     `json:"mrs,omitempty"`
	TotalParts  int       `json:"total_parts,omitempty"` // known once the first part was submitted
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	// ResentAfterCrash counts requeues from "submitting" after a restart.
	ResentAfterCrash int `json:"resent_after_crash,omitempty"`
	Requeues         int `json:"requeues,omitempty"` // operator or automatic Requeue calls
	// UnknownResends counts resends after an outcome the modem left unknown.
	UnknownResends int       `json:"unknown_resends,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	SubmittedAt    time.Time `json:"submitted_at"`
}

// maxConcatRef is the largest reference a 16-bit concatenation header holds.
const maxConcatRef = 65535

// Enqueue queues o for sending and returns its id. State, ID and the
// progress fields are set by the store; a zero NextAttempt means "now".
func (db *DB) Enqueue(o Outbound) (uint64, error) {
	var id uint64
	err := db.Update(func(tx *Tx) (err error) {
		id, err = tx.Enqueue(o)
		return err
	})
	return id, err
}

// Enqueue queues o inside the caller's transaction (for example together
// with MarkHandled of the message it answers).
func (tx *Tx) Enqueue(o Outbound) (uint64, error) {
	if o.To == "" {
		return 0, errors.New("outbound message has no recipient number")
	}
	if o.ConcatRef < 0 || o.ConcatRef > maxConcatRef {
		return 0, fmt.Errorf("concatenation reference %d is outside 0..%d", o.ConcatRef, maxConcatRef)
	}
	now := time.Now()
	if o.CreatedAt.IsZero() {
		o.CreatedAt = now
	}
	if o.NextAttempt.IsZero() {
		o.NextAttempt = o.CreatedAt
	}
	o.State = OutQueued
	o.UpdatedAt = o.CreatedAt
	o.PartsDone, o.MRs, o.TotalParts, o.Attempts = 0, nil, 0, 0
	o.LastError, o.ResentAfterCrash, o.Requeues, o.SubmittedAt = "", 0, 0, time.Time{}
	id, err := tx.btx.Bucket(bucketOutbox).NextSequence()
	if err != nil {
		return 0, err
	}
	o.ID = id
	if err := saveOutbound(tx.btx, nil, &o); err != nil {
		return 0, fmt.Errorf("queue message to %s: %w", o.To, err)
	}
	return id, nil
}

// saveOutbound writes o and moves its index entries from old's (nil: new).
// Invariant: an id is in exactly the state index of its State; it is in the
// due index (keyed NextAttempt,id) iff queued, and in the submitted-at index
// iff submitted.
func saveOutbound(btx *bbolt.Tx, old, o *Outbound) error {
	if old != nil {
		if err := btx.Bucket(outStateBucket(old.State)).Delete(idKey(old.ID)); err != nil {
			return err
		}
		if err := deleteOutboundTimeIndex(btx, old); err != nil {
			return err
		}
	}
	idx := btx.Bucket(outStateBucket(o.State))
	if idx == nil {
		return fmt.Errorf("outbound %d has unknown state %q", o.ID, o.State)
	}
	if err := idx.Put(idKey(o.ID), nil); err != nil {
		return err
	}
	switch o.State {
	case OutQueued:
		if err := btx.Bucket(bucketOutDue).Put(timeIDKey(o.NextAttempt, o.ID), nil); err != nil {
			return err
		}
	case OutSubmitted:
		if err := btx.Bucket(bucketOutSubmittedAt).Put(timeIDKey(o.SubmittedAt, o.ID), nil); err != nil {
			return err
		}
	}
	return putJSON(btx.Bucket(bucketOutbox), idKey(o.ID), o)
}

func deleteOutboundTimeIndex(btx *bbolt.Tx, o *Outbound) error {
	switch o.State {
	case OutQueued:
		return btx.Bucket(bucketOutDue).Delete(timeIDKey(o.NextAttempt, o.ID))
	case OutSubmitted:
		return btx.Bucket(bucketOutSubmittedAt).Delete(timeIDKey(o.SubmittedAt, o.ID))
	}
	return nil
}

func deleteOutbound(btx *bbolt.Tx, o *Outbound) error {
	if err := btx.Bucket(outStateBucket(o.State)).Delete(idKey(o.ID)); err != nil {
		return err
	}
	if err := deleteOutboundTimeIndex(btx, o); err != nil {
		return err
	}
	return btx.Bucket(bucketOutbox).Delete(idKey(o.ID))
}

func loadOutbound(btx *bbolt.Tx, id uint64) (Outbound, error) {
	var o Outbound
	found, err := getJSON(btx.Bucket(bucketOutbox), idKey(id), &o)
	if err != nil {
		return Outbound{}, fmt.Errorf("outbound %d: %w", id, err)
	}
	if !found {
		return Outbound{}, fmt.Errorf("outbound %d: %w", id, ErrNotFound)
	}
	return o, nil
}

// Outbound returns one outbound record by id.
func (db *DB) Outbound(id uint64) (Outbound, error) {
	var o Outbound
	err := db.bolt.View(func(btx *bbolt.Tx) (err error) {
		o, err = loadOutbound(btx, id)
		return err
	})
	return o, err
}

// NextDue returns the queued record with the earliest NextAttempt (then the
// lowest id) if that is not after now. It reads only the first due-index key.
func (db *DB) NextDue(now time.Time) (Outbound, bool, error) {
	var o Outbound
	var ok bool
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		k, _ := btx.Bucket(bucketOutDue).Cursor().First()
		if k == nil || string(k[:8]) > string(timeKey(now)) {
			return nil
		}
		var err error
		o, err = loadOutbound(btx, keyID(k[8:]))
		ok = err == nil
		return err
	})
	return o, ok, err
}

// NextWake returns the earliest NextAttempt of any queued record, so the
// sender can sleep until then.
func (db *DB) NextWake() (time.Time, bool, error) {
	var at time.Time
	var ok bool
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		k, _ := btx.Bucket(bucketOutDue).Cursor().First()
		if k == nil {
			return nil
		}
		o, err := loadOutbound(btx, keyID(k[8:]))
		at, ok = o.NextAttempt, err == nil
		return err
	})
	return at, ok, err
}

// NextConcatRef returns the next 8-bit concatenation reference, 1..255,
// wrapping and never 0; the counter survives restarts.
func (db *DB) NextConcatRef() (int, error) {
	var ref int
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		meta := btx.Bucket(bucketMeta)
		prev := 0
		if raw := meta.Get(keyConcatRef); len(raw) == 8 {
			prev = int(binary.BigEndian.Uint64(raw) % 255)
		}
		ref = prev%255 + 1
		return meta.Put(keyConcatRef, idKey(uint64(ref)))
	})
	return ref, err
}

// transition applies change to record id if its state is one of from, in
// one transaction, and stamps UpdatedAt.
func (db *DB) transition(id uint64, what string, from []OutState, change func(o *Outbound) error) error {
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		old, err := loadOutbound(btx, id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, old.State) {
			return fmt.Errorf("outbound %d is %s, %s needs %v: %w", id, old.State, what, from, ErrWrongState)
		}
		o := old
		o.MRs = slices.Clone(old.MRs)
		if err := change(&o); err != nil {
			return err
		}
		o.UpdatedAt = time.Now()
		return saveOutbound(btx, &old, &o)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// MarkSubmitting records that an attempt is about to start. It must be
// persisted before AT+CMGS: after a crash the record is still "submitting"
// and RecoverSubmitting knows the outcome of that attempt is unknown.
// concatRef is stored at the first attempt; later attempts must pass the
// same value or 0.
func (db *DB) MarkSubmitting(id uint64, concatRef int) error {
	return db.transition(id, "mark submitting", []OutState{OutQueued}, func(o *Outbound) error {
		if concatRef < 0 || concatRef > maxConcatRef {
			return fmt.Errorf("concatenation reference %d is outside 0..%d", concatRef, maxConcatRef)
		}
		if o.ConcatRef != 0 && concatRef != 0 && concatRef != o.ConcatRef {
			return fmt.Errorf("outbound %d already uses concatenation reference %d; a resend must reuse it, not %d", id, o.ConcatRef, concatRef)
		}
		if o.ConcatRef == 0 {
			o.ConcatRef = concatRef
		}
		o.State = OutSubmitting
		o.Attempts++
		return nil
	})
}

// MarkPartSubmitted records that the modem accepted part (0-based) with
// message reference mr; the record becomes submitted with its last part.
func (db *DB) MarkPartSubmitted(id uint64, part, mr int, totalParts int) error {
	return db.transition(id, "mark part submitted", []OutState{OutSubmitting}, func(o *Outbound) error {
		if totalParts < 1 || part < 0 || part >= totalParts {
			return fmt.Errorf("part %d of %d is not a valid part", part, totalParts)
		}
		// Parts are sent in order; anything else means the caller lost track.
		if part != o.PartsDone {
			return fmt.Errorf("outbound %d: part %d reported but %d parts were already accepted", id, part, o.PartsDone)
		}
		o.PartsDone = part + 1
		o.MRs = append(o.MRs, mr)
		o.TotalParts = totalParts
		if o.PartsDone == totalParts {
			o.State = OutSubmitted
			o.SubmittedAt = time.Now()
		}
		return nil
	})
}

// MarkRetry puts the record back in the queue to be tried at next.
func (db *DB) MarkRetry(id uint64, next time.Time, why string) error {
	return db.transition(id, "schedule retry", []OutState{OutSubmitting, OutQueued}, func(o *Outbound) error {
		o.State, o.NextAttempt, o.LastError = OutQueued, next, why
		return nil
	})
}

// MarkNotSent puts a message that never reached the modem (not ready, no
// prompt) back in the queue without spending one of its attempts: an
// unplugged modem must not turn a queue of replies into dead letters.
func (db *DB) MarkNotSent(id uint64, next time.Time, why string) error {
	return db.transition(id, "schedule retry (not sent)", []OutState{OutSubmitting, OutQueued}, func(o *Outbound) error {
		o.State, o.NextAttempt, o.LastError = OutQueued, next, why
		if o.Attempts > 0 {
			o.Attempts--
		}
		return nil
	})
}

// MarkResendUnknown schedules a resend after an unknown outcome and counts
// it, so the sender can tell a second unknown outcome from the first.
func (db *DB) MarkResendUnknown(id uint64, next time.Time, why string) error {
	return db.transition(id, "resend after unknown outcome", []OutState{OutSubmitting}, func(o *Outbound) error {
		o.State, o.NextAttempt, o.LastError = OutQueued, next, "outcome unknown, resending: "+why
		o.UnknownResends++
		return nil
	})
}

// MarkUnknown records that the modem may or may not have sent the
// message; a person decides, or the sender requeues once if DuplicateHarmless.
func (db *DB) MarkUnknown(id uint64, why string) error {
	return db.transition(id, "mark outcome unknown", []OutState{OutSubmitting}, func(o *Outbound) error {
		o.State, o.LastError = OutUnknown, why
		return nil
	})
}

// MarkFailed moves the record to the dead letters; Prune never removes them.
func (db *DB) MarkFailed(id uint64, why string) error {
	return db.transition(id, "mark failed", []OutState{OutQueued, OutSubmitting, OutUnknown}, func(o *Outbound) error {
		o.State, o.LastError = OutFailed, why
		return nil
	})
}

// Requeue sends an unknown or failed record again now, with a fresh retry
// budget (Attempts reset). Parts already accepted are kept, so only the rest
// is sent, with the same ConcatRef.
func (db *DB) Requeue(id uint64) error {
	return db.transition(id, "requeue", []OutState{OutUnknown, OutFailed}, func(o *Outbound) error {
		o.State, o.NextAttempt, o.Attempts = OutQueued, time.Now(), 0
		o.Requeues++
		return nil
	})
}

// RecoverSubmitting is for start-up: every record left "submitting" by a
// crash is queued again now, so each crash costs at most one duplicate.
func (db *DB) RecoverSubmitting() (int, error) {
	var n int
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		n = 0
		var ids []uint64
		err := btx.Bucket(outStateBucket(OutSubmitting)).ForEach(func(k, _ []byte) error {
			ids = append(ids, keyID(k))
			return nil
		})
		if err != nil {
			return err
		}
		now := time.Now()
		for _, id := range ids {
			old, err := loadOutbound(btx, id)
			if err != nil {
				return err
			}
			o := old
			o.State, o.NextAttempt, o.UpdatedAt = OutQueued, now, now
			o.ResentAfterCrash++
			o.LastError = "daemon stopped while this message was being submitted; sending again"
			if err := saveOutbound(btx, &old, &o); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("recover messages interrupted while submitting: %w", err)
	}
	return n, nil
}

// ListOutbound returns up to limit records in state ("" = all), newest id
// first; limit <= 0 means all.
func (db *DB) ListOutbound(state OutState, limit int) ([]Outbound, error) {
	name := bucketOutbox
	if state != "" {
		if !slices.Contains(outStates, state) {
			return nil, fmt.Errorf("unknown outbound state %q", state)
		}
		name = outStateBucket(state)
	}
	var out []Outbound
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		c := btx.Bucket(name).Cursor()
		for k, _ := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Prev() {
			o, err := loadOutbound(btx, keyID(k))
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}

// SubmittedSince counts the outbound messages submitted at or after since
// and returns the oldest of them (zero when none): what the send budget
// has used of the last hour, and when the first of it frees up.
func (db *DB) SubmittedSince(since time.Time) (n int, oldest time.Time, err error) {
	err = db.bolt.View(func(btx *bbolt.Tx) error {
		c := btx.Bucket(bucketOutSubmittedAt).Cursor()
		for k, _ := c.Seek(timeKey(since)); k != nil; k, _ = c.Next() {
			if n == 0 {
				oldest = keyTime(k[:8])
			}
			n++
		}
		return nil
	})
	return n, oldest, err
}
