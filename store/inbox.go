package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// Concat is the concatenation header of one part of a long SMS.
type Concat struct {
	Ref, Total, Seq int
	Wide            bool // 16-bit reference (IEI 0x08)
}

// Segment is one received SMS PDU as read from the modem.
type Segment struct {
	Fingerprint string // dedupe key, required (computed by caller)
	Sender      string
	// SenderType is the sender's type of number as the network gave it
	// ("international", "alphanumeric", ...): who sent a message is the
	// type and the number together.
	SenderType  string
	SCTS        time.Time
	Concat      *Concat // nil or Total<=1: single-part
	Text        string
	Encoding    string
	RawPDU      string // hex exactly as the modem printed it
	DecodeError string // non-empty: the PDU could not be decoded; becomes a parked message
	ReceivedAt  time.Time
}

// AddResult tells the caller what AddSegment did.
type AddResult struct {
	Duplicate bool
	// MessageID is non-zero when a message became ready to handle (or parked).
	MessageID uint64
}

// MessageState is the life-cycle state of an inbound message.
type MessageState string

const (
	MessagePending MessageState = "pending"
	MessageHandled MessageState = "handled"
	MessageParked  MessageState = "parked"
	// MessageDeferred waits until DeferredUntil to become pending again: its
	// sender was over the hourly limit. Deferring, never dropping, keeps a
	// flood of forged messages from making an officer's real ones vanish.
	MessageDeferred MessageState = "deferred"
)

// Message is a complete (or flushed incomplete) inbound SMS.
type Message struct {
	ID         uint64       `json:"id"`
	Sender     string       `json:"sender"`
	SenderType string       `json:"sender_type,omitempty"` // "" in messages stored before it was kept
	Text       string       `json:"text"`
	SCTS       time.Time    `json:"scts"`
	ReceivedAt time.Time    `json:"received_at"` // arrival of the last part
	Parts      int          `json:"parts"`
	Total      int          `json:"total"`
	Incomplete bool         `json:"incomplete,omitempty"` // delivered after the reassembly timeout with parts missing
	State      MessageState `json:"state"`
	Note       string       `json:"note,omitempty"`
	HandledAt  time.Time    `json:"handled_at"`
	// DeferredUntil is set while the message is deferred.
	DeferredUntil time.Time `json:"deferred_until,omitzero"`
	RawPDUs       []string  `json:"raw_pdus"`
	DecodeError   string    `json:"decode_error,omitempty"`
	Encoding      string    `json:"encoding,omitempty"` // of the first part present
}

// missingPartMarker stands in for each part absent from a flushed set.
const missingPartMarker = "[...]"

// maxConcatParts is the limit of the 8-bit part count in the UDH.
const maxConcatParts = 255

type storedPart struct {
	Fingerprint string    `json:"fingerprint"`
	SCTS        time.Time `json:"scts"`
	Text        string    `json:"text"`
	Encoding    string    `json:"encoding"`
	RawPDU      string    `json:"raw_pdu"`
	ReceivedAt  time.Time `json:"received_at"`
}

// partSet is a long SMS being reassembled, stored under setKey.
type partSet struct {
	Sender     string             `json:"sender"`
	SenderType string             `json:"sender_type,omitempty"`
	Wide       bool               `json:"wide"`
	Ref        int                `json:"ref"`
	Total      int                `json:"total"`
	FirstAt    time.Time          `json:"first_at"` // arrival of the first stored part, for FlushIncomplete
	Parts      map[int]storedPart `json:"parts"`
}

// setKey identifies a set by (sender type, sender, reference width,
// reference, total): 8- and 16-bit references with the same number are
// different sets, and so are an alphanumeric sender and a phone number that
// read alike, so a forged part never joins a real message.
func setKey(senderType, sender string, wide bool, ref, total int) []byte {
	k := binary.AppendUvarint(nil, uint64(len(senderType)))
	k = append(k, senderType...)
	k = binary.AppendUvarint(k, uint64(len(sender)))
	k = append(k, sender...)
	width := byte(8)
	if wide {
		width = 16
	}
	k = append(k, width)
	k = binary.BigEndian.AppendUint16(k, uint16(ref))
	return append(k, byte(total))
}

// AddSegment records one received PDU in a single transaction: dedupe,
// reassembly and message creation either all happen or none do, so the
// caller may delete the SIM copy as soon as this returns nil.
func (db *DB) AddSegment(seg Segment) (AddResult, error) {
	if seg.Fingerprint == "" {
		return AddResult{}, errors.New("segment has no fingerprint; the caller must compute one")
	}
	if seg.ReceivedAt.IsZero() {
		seg.ReceivedAt = time.Now()
	}
	var res AddResult
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		res = AddResult{}
		if fingerprintSeen(btx, seg.Fingerprint) {
			res.Duplicate = true
			return nil
		}
		if err := recordFingerprint(btx, seg.Fingerprint, seg.ReceivedAt); err != nil {
			return err
		}
		if seg.DecodeError != "" {
			id, err := db.parkSegment(btx, seg, seg.DecodeError)
			res.MessageID = id
			return err
		}
		if seg.Concat == nil || seg.Concat.Total <= 1 {
			id, err := insertMessage(btx, &Message{
				Sender: seg.Sender, SenderType: seg.SenderType, Text: seg.Text, SCTS: seg.SCTS, ReceivedAt: seg.ReceivedAt,
				Parts: 1, Total: 1, State: MessagePending, RawPDUs: []string{seg.RawPDU}, Encoding: seg.Encoding,
			})
			res.MessageID = id
			return err
		}
		if problem := concatProblem(*seg.Concat); problem != "" {
			id, err := db.parkSegment(btx, seg, problem)
			res.MessageID = id
			return err
		}
		return db.addPart(btx, seg, &res)
	})
	if err != nil {
		return AddResult{}, fmt.Errorf("store received segment: %w", err)
	}
	return res, nil
}

func concatProblem(c Concat) string {
	maxRef := 255
	if c.Wide {
		maxRef = 65535
	}
	switch {
	case c.Total > maxConcatParts:
		return fmt.Sprintf("concatenation header claims %d parts; at most %d are possible", c.Total, maxConcatParts)
	case c.Seq < 1 || c.Seq > c.Total:
		return fmt.Sprintf("concatenation header gives part number %d, outside 1..%d", c.Seq, c.Total)
	case c.Ref < 0 || c.Ref > maxRef:
		return fmt.Sprintf("concatenation reference %d does not fit in the header (0..%d)", c.Ref, maxRef)
	}
	return ""
}

func (db *DB) parkSegment(btx *bbolt.Tx, seg Segment, why string) (uint64, error) {
	m := &Message{
		Sender: seg.Sender, SenderType: seg.SenderType, Text: seg.Text, SCTS: seg.SCTS, ReceivedAt: seg.ReceivedAt,
		Parts: 1, Total: 1, State: MessageParked, RawPDUs: []string{seg.RawPDU}, DecodeError: why, Encoding: seg.Encoding,
	}
	// A parked message waits for a person, its text in the store: what
	// may be a PIN goes before it is written (see Options.RedactParked).
	if db.redactParked != nil && seg.Text != "" {
		if text, ok := db.redactParked(&Tx{btx: btx}, seg.Sender, seg.SenderType, seg.Text); ok {
			m.Text, m.RawPDUs = text, nil
		}
	}
	if seg.Concat != nil {
		m.Total = seg.Concat.Total
	}
	return insertMessage(btx, m)
}

func (db *DB) addPart(btx *bbolt.Tx, seg Segment, res *AddResult) error {
	c := *seg.Concat
	sets := btx.Bucket(bucketSets)
	key := setKey(seg.SenderType, seg.Sender, c.Wide, c.Ref, c.Total)
	var set partSet
	found, err := getJSON(sets, key, &set)
	if err != nil {
		return err
	}
	if found {
		if existing, ok := set.Parts[c.Seq]; ok {
			if existing.Text == seg.Text {
				res.Duplicate = true
				return nil
			}
			// Same slot, different text: the sender reused the reference while
			// an old set was still incomplete. Deliver the old set as it is
			// rather than drop either message.
			id, err := db.flushSet(btx, key, set)
			if err != nil {
				return err
			}
			res.MessageID = id
			found = false
		}
	}
	if !found {
		// A part of a set already delivered incomplete: answering it again,
		// as a new set, would give the sender a second reply.
		if late, err := flushedRecently(btx, key, seg.ReceivedAt); err != nil {
			return err
		} else if late {
			id, err := db.parkSegment(btx, seg, fmt.Sprintf("part %d of %d of a long SMS arrived after the rest was handled without it", c.Seq, c.Total))
			res.MessageID = id
			return err
		}
		set = partSet{Sender: seg.Sender, SenderType: seg.SenderType, Wide: c.Wide, Ref: c.Ref, Total: c.Total, FirstAt: seg.ReceivedAt, Parts: map[int]storedPart{}}
		if err := btx.Bucket(bucketSetsFirst).Put(append(timeKey(set.FirstAt), key...), nil); err != nil {
			return err
		}
	}
	set.Parts[c.Seq] = storedPart{
		Fingerprint: seg.Fingerprint, SCTS: seg.SCTS, Text: seg.Text,
		Encoding: seg.Encoding, RawPDU: seg.RawPDU, ReceivedAt: seg.ReceivedAt,
	}
	if len(set.Parts) < set.Total {
		return putJSON(sets, key, set)
	}
	if err := deleteSet(btx, key, set); err != nil {
		return err
	}
	id, err := insertMessage(btx, db.assemble(set))
	res.MessageID = id
	return err
}

// assemble joins the parts in sequence order; a missing part becomes
// missingPartMarker and marks the message incomplete.
func (db *DB) assemble(set partSet) *Message {
	m := &Message{Sender: set.Sender, SenderType: set.SenderType, Total: set.Total, Parts: len(set.Parts), State: MessagePending}
	var text strings.Builder
	haveSCTS := false
	for seq := 1; seq <= set.Total; seq++ {
		p, ok := set.Parts[seq]
		if !ok {
			text.WriteString(missingPartMarker)
			m.Incomplete = true
			continue
		}
		text.WriteString(p.Text)
		m.RawPDUs = append(m.RawPDUs, p.RawPDU)
		if !haveSCTS {
			m.SCTS, m.Encoding, haveSCTS = p.SCTS, p.Encoding, true
		}
		if p.ReceivedAt.After(m.ReceivedAt) {
			m.ReceivedAt = p.ReceivedAt
		}
	}
	m.Text = text.String()
	if !m.Incomplete && db.joinParts != nil {
		if joined, ok := db.joinParts(m.RawPDUs); ok {
			m.Text = joined
		}
	}
	return m
}

func deleteSet(btx *bbolt.Tx, key []byte, set partSet) error {
	if err := btx.Bucket(bucketSetsFirst).Delete(append(timeKey(set.FirstAt), key...)); err != nil {
		return err
	}
	return btx.Bucket(bucketSets).Delete(key)
}

func (db *DB) flushSet(btx *bbolt.Tx, key []byte, set partSet) (uint64, error) {
	if err := deleteSet(btx, key, set); err != nil {
		return 0, err
	}
	return insertMessage(btx, db.assemble(set))
}

// FlushIncomplete turns every set whose first stored part arrived before
// firstPartBefore into a pending, Incomplete message and returns their ids.
func (db *DB) FlushIncomplete(firstPartBefore time.Time) ([]uint64, error) {
	var ids []uint64
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		ids = nil
		first := btx.Bucket(bucketSetsFirst)
		sets := btx.Bucket(bucketSets)
		for _, k := range keysBefore(first, firstPartBefore, math.MaxInt) {
			key := k[8:]
			var set partSet
			found, err := getJSON(sets, key, &set)
			if err != nil {
				return err
			}
			if !found {
				// An index entry without its set cannot be flushed; drop it so
				// it does not come back every time.
				if err := first.Delete(k); err != nil {
					return err
				}
				continue
			}
			id, err := db.flushSet(btx, key, set)
			if err != nil {
				return err
			}
			if err := noteFlushed(btx, key, set.FirstAt); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("flush incomplete long messages: %w", err)
	}
	return ids, nil
}

// insertMessage assigns the next id and writes the message with its indexes.
func insertMessage(btx *bbolt.Tx, m *Message) (uint64, error) {
	id, err := btx.Bucket(bucketMessages).NextSequence()
	if err != nil {
		return 0, err
	}
	m.ID = id
	return id, saveMessage(btx, nil, m)
}

// saveMessage writes m and moves its index entries from old's (nil: new).
// Invariant: a message id is in exactly the state index of its State.
func saveMessage(btx *bbolt.Tx, old, m *Message) error {
	if old != nil {
		if err := btx.Bucket(msgStateBucket(old.State)).Delete(idKey(old.ID)); err != nil {
			return err
		}
		if err := unindexTimes(btx, old); err != nil {
			return err
		}
	}
	idx := btx.Bucket(msgStateBucket(m.State))
	if idx == nil {
		return fmt.Errorf("message %d has unknown state %q", m.ID, m.State)
	}
	if err := idx.Put(idKey(m.ID), nil); err != nil {
		return err
	}
	switch m.State {
	case MessageHandled:
		if err := btx.Bucket(bucketMsgHandledAt).Put(timeIDKey(m.HandledAt, m.ID), nil); err != nil {
			return err
		}
	case MessageDeferred:
		if err := btx.Bucket(bucketMsgDeferred).Put(timeIDKey(m.DeferredUntil, m.ID), nil); err != nil {
			return err
		}
	}
	if err := feedMessage(btx, old, m); err != nil {
		return err
	}
	return putJSON(btx.Bucket(bucketMessages), idKey(m.ID), m)
}

// unindexTimes removes m from the time index of its state, if it has one.
// Invariant: handled messages are in msg_handled_at at (HandledAt, id) and
// deferred ones in msg_deferred_until at (DeferredUntil, id), and no others.
func unindexTimes(btx *bbolt.Tx, m *Message) error {
	switch m.State {
	case MessageHandled:
		return btx.Bucket(bucketMsgHandledAt).Delete(timeIDKey(m.HandledAt, m.ID))
	case MessageDeferred:
		return btx.Bucket(bucketMsgDeferred).Delete(timeIDKey(m.DeferredUntil, m.ID))
	}
	return nil
}

func deleteMessage(btx *bbolt.Tx, m *Message) error {
	if err := btx.Bucket(msgStateBucket(m.State)).Delete(idKey(m.ID)); err != nil {
		return err
	}
	if err := unindexTimes(btx, m); err != nil {
		return err
	}
	return btx.Bucket(bucketMessages).Delete(idKey(m.ID))
}

func loadMessage(btx *bbolt.Tx, id uint64) (Message, error) {
	var m Message
	found, err := getJSON(btx.Bucket(bucketMessages), idKey(id), &m)
	if err != nil {
		return Message{}, fmt.Errorf("message %d: %w", id, err)
	}
	if !found {
		return Message{}, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	return m, nil
}

// Message returns one message by id.
func (db *DB) Message(id uint64) (Message, error) {
	var m Message
	err := db.bolt.View(func(btx *bbolt.Tx) (err error) {
		m, err = loadMessage(btx, id)
		return err
	})
	return m, err
}

// PendingMessages returns up to limit pending messages, oldest id first;
// limit <= 0 means all. It walks only the pending index.
func (db *DB) PendingMessages(limit int) ([]Message, error) {
	return db.messagesByIndex(msgStateBucket(MessagePending), limit, false)
}

// ListMessages returns up to limit messages in state (all states when
// state is ""), newest first; limit <= 0 means all.
func (db *DB) ListMessages(state MessageState, limit int) ([]Message, error) {
	if state == "" {
		return db.messagesByIndex(bucketMessages, limit, true)
	}
	if !validMessageState(state) {
		return nil, fmt.Errorf("unknown message state %q", state)
	}
	return db.messagesByIndex(msgStateBucket(state), limit, true)
}

func validMessageState(s MessageState) bool {
	for _, known := range messageStates {
		if s == known {
			return true
		}
	}
	return false
}

// messagesByIndex loads the messages whose ids are the keys of bucket name.
func (db *DB) messagesByIndex(name []byte, limit int, newestFirst bool) ([]Message, error) {
	var out []Message
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		c := btx.Bucket(name).Cursor()
		step := c.Next
		k, _ := c.First()
		if newestFirst {
			step = c.Prev
			k, _ = c.Last()
		}
		for ; k != nil && (limit <= 0 || len(out) < limit); k, _ = step() {
			m, err := loadMessage(btx, keyID(k))
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// Message returns one message by id, as seen inside this transaction.
func (tx *Tx) Message(id uint64) (Message, error) { return loadMessage(tx.btx, id) }

// MarkHandled moves a pending message to handled. Because the check and the
// change share the handler's transaction, a message is handled exactly once:
// a second attempt gets ErrNotPending and its transaction rolls back.
func (tx *Tx) MarkHandled(id uint64, note string) error {
	return tx.moveMessage(id, MessageHandled, note, time.Now())
}

// MarkHandledRedacted is MarkHandled that also replaces the stored text
// (and drops the raw PDUs, which hold the same text): for commands that
// carried a PIN, so no PIN stays in the store once the message is handled.
func (tx *Tx) MarkHandledRedacted(id uint64, note, text string) error {
	old, err := loadMessage(tx.btx, id)
	if err != nil {
		return err
	}
	if old.State != MessagePending {
		return fmt.Errorf("message %d is %s: %w", id, old.State, ErrNotPending)
	}
	m := old
	m.State, m.Note, m.HandledAt = MessageHandled, note, time.Now()
	m.Text, m.RawPDUs = text, nil
	return saveMessage(tx.btx, &old, &m)
}

// Park moves a pending message aside for a person to look at (for example a
// handler that cannot make sense of it); it gets ErrNotPending like MarkHandled.
func (tx *Tx) Park(id uint64, note string) error {
	return tx.moveMessage(id, MessageParked, note, time.Time{})
}

func (tx *Tx) moveMessage(id uint64, to MessageState, note string, handledAt time.Time) error {
	old, err := loadMessage(tx.btx, id)
	if err != nil {
		return err
	}
	if old.State != MessagePending {
		return fmt.Errorf("message %d is %s: %w", id, old.State, ErrNotPending)
	}
	m := old
	m.State, m.Note, m.HandledAt, m.DeferredUntil = to, note, handledAt, time.Time{}
	return saveMessage(tx.btx, &old, &m)
}

// Defer sets a pending message aside until until: WakeDeferred makes it
// pending again then. It gets ErrNotPending like MarkHandled.
func (tx *Tx) Defer(id uint64, until time.Time, note string) error {
	old, err := loadMessage(tx.btx, id)
	if err != nil {
		return err
	}
	if old.State != MessagePending {
		return fmt.Errorf("message %d is %s: %w", id, old.State, ErrNotPending)
	}
	m := old
	m.State, m.Note, m.DeferredUntil = MessageDeferred, note, until
	return saveMessage(tx.btx, &old, &m)
}

// WakeDeferred makes every message deferred until now or earlier pending
// again, except those that arrived before parkBefore: a message deferred
// for that long is parked for a person instead of waiting on. It returns
// how many became pending.
func (db *DB) WakeDeferred(now, parkBefore time.Time) (int, error) {
	woken := 0
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		woken = 0
		for _, k := range keysBefore(btx.Bucket(bucketMsgDeferred), now.Add(time.Nanosecond), math.MaxInt) {
			old, err := loadMessage(btx, keyID(k[8:]))
			if err != nil {
				return err
			}
			m := old
			m.DeferredUntil = time.Time{}
			if old.ReceivedAt.Before(parkBefore) {
				m.State = MessageParked
				m.Note = "deferred since " + old.ReceivedAt.Format(time.RFC3339) + " because its sender stayed over the hourly limit; parked for a person"
			} else {
				m.State = MessagePending
				woken++
			}
			if err := saveMessage(btx, &old, &m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("wake deferred messages: %w", err)
	}
	return woken, nil
}

// lateWindow is how long after a long SMS was delivered incomplete its
// missing parts are recognised as late (networks give up retrying well within it).
const lateWindow = 72 * time.Hour

// noteFlushed remembers a set delivered incomplete, keyed like the set.
func noteFlushed(btx *bbolt.Tx, key []byte, firstAt time.Time) error {
	b, err := (&Tx{btx: btx}).Bucket("flushed_sets")
	if err != nil {
		return err
	}
	return b.Put(key, timeKey(firstAt))
}

// flushedRecently reports whether the set key was delivered incomplete
// within lateWindow before now; older notes are removed as they are met.
func flushedRecently(btx *bbolt.Tx, key []byte, now time.Time) (bool, error) {
	b, err := (&Tx{btx: btx}).Bucket("flushed_sets")
	if err != nil {
		return false, err
	}
	v := b.Get(key)
	if v == nil {
		return false, nil
	}
	if string(v) > string(timeKey(now.Add(-lateWindow))) {
		return true, nil
	}
	return false, b.Delete(key)
}
