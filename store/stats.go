package store

import "go.etcd.io/bbolt"

// Stats are record counts for status displays.
type Stats struct {
	Pending, Handled, Parked, Deferred, IncompleteSets int
	Queued, Submitting, Submitted, Unknown, Failed     int
	Fingerprints                                       int
	Journal                                            JournalStats
}

// Stats counts keys of the index buckets; each index holds exactly the ids
// of one state, so no record is decoded.
func (db *DB) Stats() (Stats, error) {
	var s Stats
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		count := func(name []byte) int { return btx.Bucket(name).Stats().KeyN }
		s = Stats{
			Pending:        count(msgStateBucket(MessagePending)),
			Handled:        count(msgStateBucket(MessageHandled)),
			Parked:         count(msgStateBucket(MessageParked)),
			Deferred:       count(msgStateBucket(MessageDeferred)),
			IncompleteSets: count(bucketSets),
			Queued:         count(outStateBucket(OutQueued)),
			Submitting:     count(outStateBucket(OutSubmitting)),
			Submitted:      count(outStateBucket(OutSubmitted)),
			Unknown:        count(outStateBucket(OutUnknown)),
			Failed:         count(outStateBucket(OutFailed)),
			Fingerprints:   count(bucketFingerprints),
			Journal:        journalStats(btx),
		}
		return nil
	})
	return s, err
}
