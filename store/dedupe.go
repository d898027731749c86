package store

import (
	"time"

	"go.etcd.io/bbolt"
)

// Fingerprints: "fp" maps fingerprint -> first-seen time, "fp_at" indexes
// (first-seen, fingerprint) so Prune walks only the expired range.

func fingerprintSeen(btx *bbolt.Tx, fp string) bool {
	return btx.Bucket(bucketFingerprints).Get([]byte(fp)) != nil
}

func recordFingerprint(btx *bbolt.Tx, fp string, seen time.Time) error {
	if err := btx.Bucket(bucketFingerprints).Put([]byte(fp), timeKey(seen)); err != nil {
		return err
	}
	return btx.Bucket(bucketFingerprintsAt).Put(append(timeKey(seen), fp...), nil)
}

// SeenFingerprint reports whether AddSegment has already recorded fp.
func (db *DB) SeenFingerprint(fp string) (bool, error) {
	var seen bool
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		seen = fingerprintSeen(btx, fp)
		return nil
	})
	return seen, err
}

func pruneFingerprints(btx *bbolt.Tx, before time.Time, limit int) (int, error) {
	at := btx.Bucket(bucketFingerprintsAt)
	fps := btx.Bucket(bucketFingerprints)
	keys := keysBefore(at, before, limit)
	for _, k := range keys {
		if err := fps.Delete(k[8:]); err != nil {
			return 0, err
		}
		if err := at.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}
