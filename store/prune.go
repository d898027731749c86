package store

import (
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// PruneResult counts what Prune deleted.
type PruneResult struct {
	Messages, Outbound, Fingerprints, ReplyLog, OfficerLog int
}

// pruneBatch bounds one prune transaction so a large backlog neither holds
// the write lock for long nor builds a huge dirty-page set in memory.
const pruneBatch = 1000

// Prune deletes handled messages handled before `before`, submitted outbound
// records submitted before it, fingerprints first seen before it and reply-log
// rows that no longer count towards any limit. Pending, parked, queued,
// submitting, unknown and failed records are never touched: only the handled
// and submitted time indexes are walked.
func (db *DB) Prune(before time.Time) (PruneResult, error) {
	var res PruneResult
	// Rows inside the reply window still limit replies, whatever `before` is.
	replyCutoff := time.Now().Add(-MaxRateWindow)
	if before.Before(replyCutoff) {
		replyCutoff = before
	}
	steps := []struct {
		what  string
		count *int
		run   func(btx *bbolt.Tx) (int, error)
	}{
		{"handled messages", &res.Messages, func(btx *bbolt.Tx) (int, error) { return pruneHandledMessages(btx, before, pruneBatch) }},
		{"submitted messages", &res.Outbound, func(btx *bbolt.Tx) (int, error) { return pruneSubmitted(btx, before, pruneBatch) }},
		{"fingerprints", &res.Fingerprints, func(btx *bbolt.Tx) (int, error) { return pruneFingerprints(btx, before, pruneBatch) }},
		{"reply log", &res.ReplyLog, func(btx *bbolt.Tx) (int, error) { return pruneReplyLog(btx, replyCutoff, pruneBatch) }},
		{"officer command log", &res.OfficerLog, func(btx *bbolt.Tx) (int, error) {
			return pruneOfficerLog(&Tx{btx: btx}, time.Now().Add(-OfficerLogAge), pruneBatch)
		}},
	}
	for _, step := range steps {
		for {
			var n int
			err := db.bolt.Update(func(btx *bbolt.Tx) (err error) {
				n, err = step.run(btx)
				return err
			})
			if err != nil {
				return res, fmt.Errorf("prune %s: %w", step.what, err)
			}
			*step.count += n
			if n < pruneBatch {
				break
			}
		}
	}
	return res, nil
}

func pruneHandledMessages(btx *bbolt.Tx, before time.Time, limit int) (int, error) {
	index := btx.Bucket(bucketMsgHandledAt)
	keys := keysBefore(index, before, limit)
	for _, k := range keys {
		m, err := loadMessage(btx, keyID(k[8:]))
		if err != nil || m.State != MessageHandled {
			// A stale index entry; the record itself is not ours to delete.
			if err := index.Delete(k); err != nil {
				return 0, err
			}
			continue
		}
		if err := deleteMessage(btx, &m); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

func pruneSubmitted(btx *bbolt.Tx, before time.Time, limit int) (int, error) {
	index := btx.Bucket(bucketOutSubmittedAt)
	keys := keysBefore(index, before, limit)
	for _, k := range keys {
		o, err := loadOutbound(btx, keyID(k[8:]))
		if err != nil || o.State != OutSubmitted {
			if err := index.Delete(k); err != nil {
				return 0, err
			}
			continue
		}
		if err := deleteOutbound(btx, &o); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// pruneExt deletes every record of the extension bucket name that gone
// says has had its time, in one transaction, and reports how many.
func pruneExt[T any](db *DB, name string, gone func(T) bool) (int, error) {
	n := 0
	err := db.Update(func(tx *Tx) error {
		n = 0
		b, err := tx.Bucket(name)
		if err != nil {
			return err
		}
		var keys [][]byte
		err = b.ForEach(func(k, _ []byte) error {
			var rec T
			if _, err := getJSON(b, k, &rec); err != nil {
				return err
			}
			if gone(rec) {
				keys = append(keys, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
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
