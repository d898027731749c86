package store

import (
	"errors"
	"time"
)

// extAPISends remembers the Idempotency-Key of every SMS an integrator
// queued with one, so a retried request returns the first answer instead
// of queuing the SMS again. The key is scoped by token: two integrators
// may pick the same key.
const extAPISends = "api_sends" // token id NUL key -> APISend

// APISend is what a retried request with the same key is answered from.
type APISend struct {
	OutboundID uint64 `json:"outbound_id"`
	// Request is a digest of the request (number, text, priority); the
	// same key with another request is refused rather than answered with
	// the wrong message.
	Request   []byte    `json:"request"`
	CreatedAt time.Time `json:"created_at"`
}

func apiSendKey(tokenID, key string) []byte { return []byte(tokenID + "\x00" + key) }

// APISend looks up the SMS tokenID queued with key, inside the caller's
// transaction (the one that would queue it), so two concurrent retries
// cannot both queue.
func (tx *Tx) APISend(tokenID, key string) (APISend, bool, error) {
	var s APISend
	b, err := tx.Bucket(extAPISends)
	if errors.Is(err, ErrNotFound) {
		return s, false, nil
	} else if err != nil {
		return s, false, err
	}
	found, err := getJSON(b, apiSendKey(tokenID, key), &s)
	return s, found, err
}

// PutAPISend records the SMS tokenID queued with key.
func (tx *Tx) PutAPISend(tokenID, key string, s APISend) error {
	b, err := tx.Bucket(extAPISends)
	if err != nil {
		return err
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = time.Now()
	}
	return putJSON(b, apiSendKey(tokenID, key), s)
}

// PruneAPISends forgets keys recorded before before.
func (db *DB) PruneAPISends(before time.Time) (int, error) {
	return pruneExt(db, extAPISends, func(s APISend) bool { return s.CreatedAt.Before(before) })
}
