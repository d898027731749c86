package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// PIN guards and the daily failure counts live in extension buckets,
// created on first write, so no schema change is needed.
const (
	extPINGuards   = "pin_guard"
	extPINFailures = "pin_failures"
)

// PINGuard is the wrong-PIN state of one subject: an officer's phone or a
// client. The rules that move it (how many tries, how long a lock) belong
// to the officer package; the store only keeps it.
type PINGuard struct {
	Subject string `json:"subject"`
	// Failures counts wrong PINs in a row since the last success or lock.
	Failures int `json:"failures"`
	// Locks counts the locks since the last right PIN or reset; it chooses
	// how long the next lock lasts.
	Locks       int       `json:"locks"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
	// UntilReset: locked until an administrator resets the PIN or unlocks.
	UntilReset  bool      `json:"until_reset,omitempty"`
	LastFailure time.Time `json:"last_failure,omitzero"`
}

// Locked reports whether the subject may not try a PIN at now.
func (g PINGuard) Locked(now time.Time) bool { return g.UntilReset || g.LockedUntil.After(now) }

// OfficerSubject and ClientSubject name the guard of an officer's phone
// (E.164) and of a client's PIN.
func OfficerSubject(phone string) string { return "officer:" + phone }

// ClientSubject names the guard of a client's PIN.
func ClientSubject(clientID int64) string { return "client:" + strconv.FormatInt(clientID, 10) }

// SenderSubject names the guard of a phone that asked BAL <account no>
// <PIN> (E.164): its own wrong PINs lock it, whichever accounts it named.
func SenderSubject(phone string) string { return "sender:" + phone }

// PINGuard returns the guard of subject; a subject never seen has the zero
// guard (no failures, not locked).
func (tx *Tx) PINGuard(subject string) (PINGuard, error) {
	g := PINGuard{Subject: subject}
	b, err := tx.Bucket(extPINGuards)
	if errors.Is(err, ErrNotFound) {
		return g, nil
	}
	if err != nil {
		return g, err
	}
	if _, err := getJSON(b, []byte(subject), &g); err != nil {
		return PINGuard{Subject: subject}, fmt.Errorf("PIN guard %s: %w", subject, err)
	}
	return g, nil
}

// PutPINGuard writes g; a guard back at its zero state is removed.
func (tx *Tx) PutPINGuard(g PINGuard) error {
	if g.Subject == "" {
		return errors.New("a PIN guard needs a subject")
	}
	b, err := tx.Bucket(extPINGuards)
	if err != nil {
		return err
	}
	if g == (PINGuard{Subject: g.Subject}) {
		return b.Delete([]byte(g.Subject))
	}
	return putJSON(b, []byte(g.Subject), g)
}

// PINGuard is the guard of subject as last committed.
func (db *DB) PINGuard(subject string) (PINGuard, error) {
	var g PINGuard
	err := db.View(func(tx *Tx) (err error) {
		g, err = tx.PINGuard(subject)
		return err
	})
	return g, err
}

// failureKey is (kind, day): kind keeps officer and client PINs apart.
func failureKey(kind, day string) []byte { return []byte(kind + "/" + day) }

// PINFailures returns how many wrong PINs of kind were recorded on day.
func (tx *Tx) PINFailures(kind, day string) (int, error) {
	b, err := tx.Bucket(extPINFailures)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	v := b.Get(failureKey(kind, day))
	if len(v) != 8 {
		return 0, nil
	}
	return int(binary.BigEndian.Uint64(v)), nil
}

// AddPINFailure counts one more wrong PIN of kind on day and returns the
// new count. Counts of other days are dropped as they are met, so the
// bucket holds a few keys at most.
func (tx *Tx) AddPINFailure(kind, day string) (int, error) {
	n, err := tx.PINFailures(kind, day)
	if err != nil {
		return 0, err
	}
	b, err := tx.Bucket(extPINFailures)
	if err != nil {
		return 0, err
	}
	var stale [][]byte
	if err := b.ForEach(func(k, _ []byte) error {
		if string(k) != string(failureKey(kind, day)) && len(k) > len(kind) && string(k[:len(kind)+1]) == kind+"/" {
			stale = append(stale, append([]byte(nil), k...))
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	n++
	return n, b.Put(failureKey(kind, day), binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// ResetPINFailures forgets the wrong PINs of kind counted on day: an
// administrator lifting the box's daily budget.
func (tx *Tx) ResetPINFailures(kind, day string) error {
	b, err := tx.Bucket(extPINFailures)
	if err != nil {
		return err
	}
	return b.Delete(failureKey(kind, day))
}
