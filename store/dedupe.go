package store

import (
	"fmt"
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

// keyFingerprints names the version of the keyed fingerprints in the meta bucket.
var keyFingerprints = []byte("fingerprints")

// RekeyFingerprints replaces the fingerprints of an older version, once:
// when the store's fingerprints are not yet of version, every one is
// dropped and those that can be made again from the raw PDUs the store still
// holds (messages not yet handled or redacted, parts of long SMS) are
// recomputed with fingerprint. It exists because older fingerprints were
// unkeyed hashes from which a redacted PIN could be found by trying every
// candidate. It reports how many were dropped and how many recomputed.
func (db *DB) RekeyFingerprints(version string, fingerprint func(rawPDU string) string) (dropped, kept int, err error) {
	err = db.bolt.Update(func(btx *bbolt.Tx) error {
		dropped, kept = 0, 0
		meta := btx.Bucket(bucketMeta)
		if string(meta.Get(keyFingerprints)) == version {
			return nil
		}
		dropped = btx.Bucket(bucketFingerprints).Stats().KeyN
		for _, name := range [][]byte{bucketFingerprints, bucketFingerprintsAt} {
			if err := btx.DeleteBucket(name); err != nil {
				return err
			}
			if _, err := btx.CreateBucket(name); err != nil {
				return err
			}
		}
		add := func(raw string, seen time.Time) error {
			if raw == "" {
				return nil
			}
			fp := fingerprint(raw)
			if fingerprintSeen(btx, fp) {
				return nil
			}
			kept++
			return recordFingerprint(btx, fp, seen)
		}
		if err := btx.Bucket(bucketMessages).ForEach(func(k, _ []byte) error {
			m, err := loadMessage(btx, keyID(k))
			if err != nil {
				return err
			}
			for _, raw := range m.RawPDUs {
				if err := add(raw, m.ReceivedAt); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		sets := btx.Bucket(bucketSets)
		if err := sets.ForEach(func(k, _ []byte) error {
			var set partSet
			if _, err := getJSON(sets, k, &set); err != nil {
				return err
			}
			for _, p := range set.Parts {
				if err := add(p.RawPDU, p.ReceivedAt); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		return meta.Put(keyFingerprints, []byte(version))
	})
	if err != nil {
		return 0, 0, fmt.Errorf("replace old SMS fingerprints: %w", err)
	}
	return dropped, kept, nil
}
