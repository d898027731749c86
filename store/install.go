package store

import (
	"crypto/rand"
	"encoding/hex"
)

// installKey holds this store's random identity.
var installKey = []byte("install_id")

// InstallID is a random id made when the store was first used and kept in
// it. It goes into the ids this box gives Fineract postings, so a box that
// starts over with a new store (or a second box with the same name) never
// reuses an id Fineract already holds.
func (db *DB) InstallID() (string, error) {
	var id string
	err := db.Update(func(tx *Tx) error {
		b, err := tx.Bucket("install")
		if err != nil {
			return err
		}
		if v := b.Get(installKey); v != nil {
			id = string(v)
			return nil
		}
		var raw [4]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return err
		}
		id = hex.EncodeToString(raw[:])
		return b.Put(installKey, []byte(id))
	})
	return id, err
}
