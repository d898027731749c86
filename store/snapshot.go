package store

import (
	"errors"
	"fmt"
	"time"
)

// extSnapshots holds the last balance view fetched from Fineract per client,
// the answer to BAL while Fineract cannot be reached.
const extSnapshots = "snapshot"

type snapshotRecord struct {
	At   time.Time `json:"at"`
	Data []byte    `json:"data"`
}

// PutSnapshot replaces the client's snapshot with data fetched at at. The
// store does not interpret data.
func (db *DB) PutSnapshot(clientID int64, data []byte, at time.Time) error {
	if clientID <= 0 {
		return fmt.Errorf("snapshot: invalid client id %d", clientID)
	}
	return db.Update(func(tx *Tx) error {
		b, err := tx.Bucket(extSnapshots)
		if err != nil {
			return err
		}
		// An older fetch finishing late must not replace a newer snapshot.
		var cur snapshotRecord
		if ok, err := getJSON(b, idKey(uint64(clientID)), &cur); err == nil && ok && cur.At.After(at) {
			return nil
		}
		return putJSON(b, idKey(uint64(clientID)), snapshotRecord{At: at, Data: data})
	})
}

// Snapshot returns the client's last snapshot and when it was fetched; ok is
// false when there is none.
func (db *DB) Snapshot(clientID int64) (data []byte, at time.Time, ok bool, err error) {
	err = db.View(func(tx *Tx) error {
		b, err := tx.Bucket(extSnapshots)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var rec snapshotRecord
		if ok, err = getJSON(b, idKey(uint64(clientID)), &rec); err != nil || !ok {
			return err
		}
		data, at = rec.Data, rec.At
		return nil
	})
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("snapshot of client %d: %w", clientID, err)
	}
	return data, at, ok, nil
}
