package store

import (
	"encoding/json"
	"errors"
	"time"

	"go.etcd.io/bbolt"
)

// The feed is an append-only log of things that happened to records, for
// outsiders (the integrator API and its webhooks). Each entry is written in
// the same transaction as the change it describes, so a change that
// committed is in the feed even if the daemon dies the next instant, and a
// change that rolled back is not. Readers keep their own cursor (a feed
// sequence number); the sequence only grows.
const extFeed = "feed" // seq (8 bytes) -> FeedEntry

// FeedKind says which kind of record a feed entry is about.
type FeedKind string

const (
	// FeedMessage: an inbound message was handled; its text is final
	// (redacted when it carried a PIN).
	FeedMessage FeedKind = "message"
	// FeedOutbound: an outbound SMS reached a verdict: state failed (a dead
	// letter) or delivery delivered/failed from a status report.
	FeedOutbound FeedKind = "outbound"
	// FeedJournal: a journal entry settled done or failed.
	FeedJournal FeedKind = "journal"
	// FeedPayment: a mobile-money payment became posted or went to
	// suspense; ID is its Seq.
	FeedPayment FeedKind = "payment"
	// FeedNote: something outside the store happened (the modem's
	// registration); Data says what.
	FeedNote FeedKind = "note"
)

// FeedEntry is one feed row.
type FeedEntry struct {
	Seq   uint64   `json:"-"`
	Kind  FeedKind `json:"kind"`
	ID    uint64   `json:"id,omitempty"` // the record's id (message, outbound, journal)
	State string   `json:"state"`        // the record's state or verdict at the time
	// Data is a note's own details (FeedNote), or a payment's reason then
	// (FeedPayment, {"reason": ...}).
	Data json.RawMessage `json:"data,omitempty"`
	At   time.Time       `json:"at"`
}

func appendFeed(btx *bbolt.Tx, e FeedEntry) error {
	b, err := (&Tx{btx: btx}).Bucket(extFeed)
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	return putJSON(b, idKey(seq), e)
}

// AddFeedNote appends a note (kind FeedNote) in the caller's transaction.
func (tx *Tx) AddFeedNote(state string, data json.RawMessage) error {
	return appendFeed(tx.btx, FeedEntry{Kind: FeedNote, State: state, Data: data})
}

// FeedAfter calls fn for each feed entry after seq, oldest first, until fn
// returns false or the feed ends.
func (tx *Tx) FeedAfter(seq uint64, fn func(FeedEntry) (more bool, err error)) error {
	b := tx.btx.Bucket(bucketExt).Bucket([]byte(extFeed))
	if b == nil {
		return nil
	}
	c := b.Cursor()
	for k, v := c.Seek(idKey(seq + 1)); k != nil; k, v = c.Next() {
		var e FeedEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return errors.New("corrupt feed entry: " + err.Error())
		}
		e.Seq = keyID(k)
		more, err := fn(e)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// FeedHead is the sequence number of the newest feed entry ever written (0
// before the first).
func (tx *Tx) FeedHead() uint64 {
	b := tx.btx.Bucket(bucketExt).Bucket([]byte(extFeed))
	if b == nil {
		return 0
	}
	return b.Sequence()
}

// PruneFeed deletes up to limit of the oldest entries written before
// before, and reports how many it deleted.
func (db *DB) PruneFeed(before time.Time, limit int) (int, error) {
	n := 0
	err := db.Update(func(tx *Tx) error {
		n = 0
		b, err := tx.Bucket(extFeed)
		if err != nil {
			return err
		}
		var keys [][]byte
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(keys) < limit; k, v = c.Next() {
			var e FeedEntry
			if json.Unmarshal(v, &e) == nil && !e.At.Before(before) {
				break
			}
			keys = append(keys, append([]byte(nil), k...))
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(keys)
		return nil
	})
	return n, err
}

// feedMessage notes a message that became handled.
func feedMessage(btx *bbolt.Tx, old, m *Message) error {
	if m.State != MessageHandled || (old != nil && old.State == MessageHandled) {
		return nil
	}
	return appendFeed(btx, FeedEntry{Kind: FeedMessage, ID: m.ID, State: string(m.State)})
}

// outVerdict is what an outsider is told about an outbound SMS: "failed"
// for a dead letter, the delivery verdict once final, "" otherwise.
func outVerdict(o *Outbound) string {
	switch {
	case o == nil:
		return ""
	case o.State == OutFailed:
		return string(OutFailed)
	case o.Delivery == DeliveryDelivered || o.Delivery == DeliveryFailed:
		return "delivery_" + string(o.Delivery)
	}
	return ""
}

// feedOutbound notes an outbound SMS whose verdict changed to a final one.
func feedOutbound(btx *bbolt.Tx, old, o *Outbound) error {
	v := outVerdict(o)
	if v == "" || v == outVerdict(old) {
		return nil
	}
	return appendFeed(btx, FeedEntry{Kind: FeedOutbound, ID: o.ID, State: v})
}

// feedJournal notes a journal entry that settled done or failed.
func feedJournal(btx *bbolt.Tx, old, e *JournalEntry) error {
	if (e.State != JournalDone && e.State != JournalFailed) || (old != nil && old.State == e.State) {
		return nil
	}
	return appendFeed(btx, FeedEntry{Kind: FeedJournal, ID: e.ID, State: string(e.State)})
}

// Outbound returns one outbound record as seen inside this transaction.
func (tx *Tx) Outbound(id uint64) (Outbound, error) { return loadOutbound(tx.btx, id) }

// JournalEntry returns one journal entry as seen inside this transaction.
func (tx *Tx) JournalEntry(id uint64) (JournalEntry, error) { return loadJournal(tx.btx, id) }
