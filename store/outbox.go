package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// OutState is the state of an outbound SMS in the send state machine:
//
//	queued -> submitting -> submitted
//	submitting -> queued (retry, or crash recovery) | unknown | failed
//	unknown, failed -> queued (Requeue; never an AtMostOnce record)
type OutState string

const (
	OutQueued     OutState = "queued"
	OutSubmitting OutState = "submitting"
	OutSubmitted  OutState = "submitted"
	OutUnknown    OutState = "unknown"
	OutFailed     OutState = "failed"
)

// Priority is an outbound SMS's class: which queued message the modem
// sends first. Someone waiting for an answer goes before news nobody asked
// for, which goes before a campaign to hundreds of clients.
type Priority string

const (
	// PriorityInteractive is a reply to a command or a posting's
	// confirmation: a person is waiting for it.
	PriorityInteractive Priority = "interactive"
	// PriorityNotification is news nobody waits for: an alert to the
	// branch manager, an operator's SMS, a group collection's receipts.
	// It is also the class of a message queued without one.
	PriorityNotification Priority = "notification"
	// PriorityBulk is a batch to many clients (reminders, campaigns).
	PriorityBulk Priority = "bulk"
)

// priorities lists the classes most urgent first; a class's index is its
// rank, the first byte of its due-index keys.
var priorities = [...]Priority{PriorityInteractive, PriorityNotification, PriorityBulk}

// rank is p's place in priorities. An empty or unknown class (a record
// written before classes existed) ranks as a notification, so index puts
// and deletes of one record always agree.
func (p Priority) rank() int {
	for i, q := range priorities {
		if q == p {
			return i
		}
	}
	return 1
}

// fairShareAfter bounds how long a less urgent class waits: once this many
// sends in a row went to other classes while one of its messages was due,
// it gets the next send (the one after, when a more urgent class is owed
// one too). A steady flow of replies thus leaves notifications and bulk one
// send in fairShareAfter+1 each, yet a lone reply never waits for more than
// the send under way and one owed send.
const fairShareAfter = 4

// Outbound is one SMS to send, possibly in several parts.
type Outbound struct {
	ID     uint64   `json:"id"`
	To     string   `json:"to"`
	Text   string   `json:"text"`
	State  OutState `json:"state"`
	Origin string   `json:"origin"` // e.g. "reply:17", "cli"
	// Priority orders the queue: the most urgent class first, oldest
	// first within a class. Empty at Enqueue means PriorityNotification.
	Priority Priority `json:"priority"`
	// DuplicateHarmless: a duplicate of this text does no harm (auto
	// replies), so an unknown outcome may be resent once.
	DuplicateHarmless bool `json:"duplicate_harmless,omitempty"`
	// AtMostOnce: a duplicate would do harm that cannot be undone (an
	// operator's payment command), so a message whose submission was
	// interrupted by a crash becomes unknown instead of being sent again.
	AtMostOnce bool `json:"at_most_once,omitempty"`
	// Hidden: the text holds a secret (an operator PIN); listings show
	// Shown() instead and logs never print it.
	Hidden bool `json:"hidden,omitempty"`
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
	// Delivery is what the network's status reports say of a submitted
	// message (every part delivered, one failed, still pending); empty while
	// no report was asked for or none arrived. DeliveredAt is the network's
	// time of the last part's final report.
	Delivery    Delivery  `json:"delivery,omitempty"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	// Reports holds each part's status report state, indexed like MRs;
	// nil until the first report (RecordStatusReport).
	Reports []PartReport `json:"reports,omitempty"`
}

// ErrAtMostOnce refuses to send again a message that must go at most once
// (an operator payment command): nobody knows whether it went, or its
// line was settled failed on it and its loan may be in a new batch.
var ErrAtMostOnce = errors.New("this message pays money and is sent at most once, never again (check with the operator; a line that failed is paid by a new batch)")

// hiddenText is what listings show of a Hidden message.
const hiddenText = "(operator payment command, hidden: it holds the operator PIN)"

// Shown is the text to show people: Text, or a notice for a Hidden message.
func (o Outbound) Shown() string {
	if o.Hidden {
		return hiddenText
	}
	return o.Text
}

// Delivery is the network's verdict on a submitted SMS.
type Delivery string

// Delivery states, from status reports (TP-ST of each part).
const (
	DeliveryPending   Delivery = "pending"   // the network is still trying
	DeliveryDelivered Delivery = "delivered" // every part reached the phone
	DeliveryFailed    Delivery = "failed"    // the network gave up on a part
)

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
	switch {
	case o.Priority == "":
		o.Priority = PriorityNotification
	case !slices.Contains(priorities[:], o.Priority):
		return 0, fmt.Errorf("outbound message to %s has unknown priority %q (want one of %v)", o.To, o.Priority, priorities)
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
	o.Delivery, o.DeliveredAt, o.Reports = "", time.Time{}, nil
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
// due index (keyed priority rank,NextAttempt,id) iff queued, and in the
// submitted-at index iff submitted.
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
		if err := btx.Bucket(bucketOutDue).Put(dueKey(o), nil); err != nil {
			return err
		}
	case OutSubmitted:
		if err := btx.Bucket(bucketOutSubmittedAt).Put(timeIDKey(o.SubmittedAt, o.ID), nil); err != nil {
			return err
		}
	}
	if err := feedOutbound(btx, old, o); err != nil {
		return err
	}
	return putJSON(btx.Bucket(bucketOutbox), idKey(o.ID), o)
}

func deleteOutboundTimeIndex(btx *bbolt.Tx, o *Outbound) error {
	switch o.State {
	case OutQueued:
		return btx.Bucket(bucketOutDue).Delete(dueKey(o))
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

// dueKey is o's due-index key: its class's rank, then NextAttempt, then id,
// so each class is one run of keys in due order.
func dueKey(o *Outbound) []byte {
	return append([]byte{byte(o.Priority.rank())}, timeIDKey(o.NextAttempt, o.ID)...)
}

// firstDue returns the first due-index key of the class of rank r: its
// earliest NextAttempt, then lowest id; nil when the class has none.
func firstDue(due *bbolt.Bucket, r int) []byte {
	k, _ := due.Cursor().Seek([]byte{byte(r)})
	if k == nil || k[0] != byte(r) {
		return nil
	}
	return k
}

// dueNow reports whether a first-due key k is due at now.
func dueNow(k []byte, now time.Time) bool {
	return k != nil && string(k[1:9]) <= string(timeKey(now))
}

// NextDue returns the queued record to send at now, if any is due: the
// oldest due record of the most urgent class that has one, unless a less
// urgent class has waited fairShareAfter sends (see MarkSubmitting); then
// the oldest due record of that class. Oldest means earliest NextAttempt,
// then lowest id.
func (db *DB) NextDue(now time.Time) (Outbound, bool, error) {
	return db.NextDueUpTo(now, PriorityBulk)
}

// NextDueUpTo is NextDue among the classes from the most urgent down to
// lowest: the send budget holds the others back.
func (db *DB) NextDueUpTo(now time.Time, lowest Priority) (Outbound, bool, error) {
	var o Outbound
	var ok bool
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		due := btx.Bucket(bucketOutDue)
		waited := loadFairShare(btx)
		var pick []byte
		for r := 0; r <= lowest.rank(); r++ {
			k := firstDue(due, r)
			switch {
			case !dueNow(k, now):
				continue
			case pick == nil:
				pick = k // the most urgent class with a due message
				continue
			case waited[r] >= fairShareAfter:
				pick = k // the most urgent of those that waited their share
			}
			if pick[0] == byte(r) {
				break
			}
		}
		if pick == nil {
			return nil
		}
		var err error
		o, err = loadOutbound(btx, keyID(pick[9:]))
		ok = err == nil
		return err
	})
	return o, ok, err
}

// NextWake returns the earliest NextAttempt of any queued record, so the
// sender can sleep until then.
func (db *DB) NextWake() (time.Time, bool, error) {
	return db.NextWakeUpTo(PriorityBulk)
}

// NextWakeUpTo is NextWake among the classes from the most urgent down to lowest.
func (db *DB) NextWakeUpTo(lowest Priority) (time.Time, bool, error) {
	var at time.Time
	var ok bool
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		due := btx.Bucket(bucketOutDue)
		var first []byte
		for r := 0; r <= lowest.rank(); r++ {
			if k := firstDue(due, r); k != nil && (first == nil || string(k[1:]) < string(first[1:])) {
				first = k
			}
		}
		if first == nil {
			return nil
		}
		o, err := loadOutbound(btx, keyID(first[9:]))
		at, ok = o.NextAttempt, err == nil
		return err
	})
	return at, ok, err
}

// priorityOfOrigin classes a record queued before classes existed by the
// origin the daemon gave it: replies and posting confirmations have a
// person waiting, reminders are bulk, anything else (alerts, an operator's
// SMS) is a notification.
func priorityOfOrigin(origin string) Priority {
	switch {
	case strings.HasPrefix(origin, "reply:"), strings.HasPrefix(origin, "journal:"):
		return PriorityInteractive
	case strings.HasPrefix(origin, "remind:"):
		return PriorityBulk
	}
	return PriorityNotification
}

// migrateOutboxPriorities brings a schema-1 outbox to schema 2: every record
// gets a class from its origin and the due index is rebuilt from the queued
// records, keyed by class first.
func migrateOutboxPriorities(btx *bbolt.Tx) error {
	if err := btx.DeleteBucket(bucketOutDue); err != nil {
		return err
	}
	due, err := btx.CreateBucket(bucketOutDue)
	if err != nil {
		return err
	}
	out := btx.Bucket(bucketOutbox)
	// Keys first: a cursor is not to be trusted across writes to its bucket.
	var ids []uint64
	if err := out.ForEach(func(k, _ []byte) error {
		ids = append(ids, keyID(k))
		return nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		o, err := loadOutbound(btx, id)
		if err != nil {
			return err
		}
		if o.Priority == "" {
			o.Priority = priorityOfOrigin(o.Origin)
			if err := putJSON(out, idKey(id), &o); err != nil {
				return err
			}
		}
		if o.State == OutQueued {
			if err := due.Put(dueKey(&o), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// fairShare counts, per class rank, the sends in a row that went to
// another class while this class had a message due.
type fairShare [len(priorities)]uint64

func loadFairShare(btx *bbolt.Tx) fairShare {
	var f fairShare
	raw := btx.Bucket(bucketMeta).Get(keyFairShare)
	for i := range f {
		if len(raw) >= 8*(i+1) {
			f[i] = binary.BigEndian.Uint64(raw[8*i:])
		}
	}
	return f
}

// noteSend updates the fair-share counts for a send of class sent at now:
// that class's count starts over, as does that of a class with nothing
// due; every other class waited one more send.
func noteSend(btx *bbolt.Tx, sent Priority, now time.Time) error {
	f := loadFairShare(btx)
	due := btx.Bucket(bucketOutDue)
	raw := make([]byte, 0, 8*len(f))
	for r := range f {
		if r != sent.rank() && dueNow(firstDue(due, r), now) {
			f[r]++
		} else {
			f[r] = 0
		}
		raw = binary.BigEndian.AppendUint64(raw, f[r])
	}
	return btx.Bucket(bucketMeta).Put(keyFairShare, raw)
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
	return db.transitionThen(id, what, from, change, nil)
}

// transitionThen is transition, then runs then (if set) on the saved record
// in the same transaction.
func (db *DB) transitionThen(id uint64, what string, from []OutState, change func(o *Outbound) error, then func(btx *bbolt.Tx, o *Outbound) error) error {
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
		if err := saveOutbound(btx, &old, &o); err != nil {
			return err
		}
		if then != nil {
			return then(btx, &o)
		}
		return nil
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
//
// Each attempt counts as a send for NextDue's fair shares.
func (db *DB) MarkSubmitting(id uint64, concatRef int) error {
	counted := func(btx *bbolt.Tx, o *Outbound) error { return noteSend(btx, o.Priority, o.UpdatedAt) }
	return db.transitionThen(id, "mark submitting", []OutState{OutQueued}, func(o *Outbound) error {
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
	}, counted)
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
		if o.AtMostOnce {
			return ErrAtMostOnce
		}
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
// An AtMostOnce record whose outcome is unknown stays unknown: failed says
// it never left the box, and a payment command's line is failed (its loan
// freed for a new batch) on that word.
func (db *DB) MarkFailed(id uint64, why string) error {
	return db.transition(id, "mark failed", []OutState{OutQueued, OutSubmitting, OutUnknown}, func(o *Outbound) error {
		if o.AtMostOnce && o.State == OutUnknown {
			return ErrAtMostOnce
		}
		o.State, o.LastError = OutFailed, why
		return nil
	})
}

// Requeue sends an unknown or failed record again now, with a fresh retry
// budget (Attempts reset). Parts already accepted are kept, so only the rest
// is sent, with the same ConcatRef. An AtMostOnce record is never requeued:
// a failed payment command failed its line, whose loan is then free for a
// new batch, so sending it again could pay the loan twice.
func (db *DB) Requeue(id uint64) error {
	return db.transition(id, "requeue", []OutState{OutUnknown, OutFailed}, func(o *Outbound) error {
		if o.AtMostOnce {
			return ErrAtMostOnce
		}
		o.State, o.NextAttempt, o.Attempts = OutQueued, time.Now(), 0
		o.Requeues++
		return nil
	})
}

// RecoverSubmitting is for start-up: every record left "submitting" by a
// crash is queued again now, so each crash costs at most one duplicate;
// an AtMostOnce record becomes unknown instead. It returns how many were
// queued again.
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
			if o.AtMostOnce {
				// Sent or not, nobody knows: a second copy could pay twice.
				o.State, o.UpdatedAt = OutUnknown, now
				o.LastError = "daemon stopped while this message was being submitted; not sent again (a second copy could do harm): check with the recipient"
				if err := saveOutbound(btx, &old, &o); err != nil {
					return err
				}
				continue
			}
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
// first; limit <= 0 means all. It is what listings read (the outbox
// command, the control socket, the console), so a Hidden message comes
// with its notice in place of its text: the PIN it holds never leaves
// the store through a listing. Sending reads the text by id (Outbound,
// NextDue).
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
			o.Text = o.Shown()
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
