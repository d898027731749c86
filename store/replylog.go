package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	"go.etcd.io/bbolt"
)

// replyWindow is the sliding window of the per-number reply limit.
const replyWindow = time.Hour

// MaxRateWindow is the longest window Allow and Recent may be asked about:
// rows older than it are pruned.
const MaxRateWindow = 24 * time.Hour

// The reply log keys rows (number, time, seq): one row per reply sent, so a
// prefix seek finds one number's rows and the sequence keeps two replies in
// the same nanosecond apart.
func replyPrefix(number string) []byte {
	k := binary.AppendUvarint(nil, uint64(len(number)))
	return append(k, number...)
}

// replyRowTime returns the time part of a reply-log key.
func replyRowTime(k []byte) ([]byte, bool) {
	n, width := binary.Uvarint(k)
	start := width + int(n)
	if width <= 0 || len(k) < start+8 {
		return nil, false
	}
	return k[start : start+8], true
}

// AllowReply reports whether number may get another automatic reply at now,
// at most perHour within any sliding hour, and records the reply when it is
// allowed. Call it in the transaction that queues the reply, so a rolled
// back handler does not use up the allowance.
func (tx *Tx) AllowReply(number string, now time.Time, perHour int) (bool, error) {
	return tx.Allow(number, now, replyWindow, perHour)
}

// Allow is AllowReply for any key and window (at most MaxRateWindow): it
// reports whether one more event under key fits n within the sliding window
// before now, and records it when it does.
func (tx *Tx) Allow(key string, now time.Time, window time.Duration, n int) (bool, error) {
	if n <= 0 {
		return false, errors.New("a rate limit must allow at least 1")
	}
	if window <= 0 || window > MaxRateWindow {
		return false, errors.New("a rate window must be longer than zero and at most a day")
	}
	perHour := n
	log := tx.btx.Bucket(bucketReplyLog)
	prefix := replyPrefix(key)
	windowStart := timeKey(now.Add(-window))
	var stale [][]byte
	recent := 0
	c := log.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if string(k[len(prefix):len(prefix)+8]) <= string(windowStart) {
			stale = append(stale, append([]byte(nil), k...))
		} else {
			recent++
		}
	}
	for _, k := range stale {
		if err := log.Delete(k); err != nil {
			return false, err
		}
	}
	if recent >= perHour {
		return false, nil
	}
	seq, err := log.NextSequence()
	if err != nil {
		return false, err
	}
	row := append(append(prefix, timeKey(now)...), idKey(seq)...)
	return true, log.Put(row, nil)
}

// RecentReplies counts what AllowReply recorded for number within the hour
// before now, changing nothing (read-only transactions may call it).
func (tx *Tx) RecentReplies(number string, now time.Time) (int, error) {
	return tx.Recent(number, now, replyWindow)
}

// Recent counts what Allow recorded under key within window before now.
func (tx *Tx) Recent(key string, now time.Time, window time.Duration) (int, error) {
	prefix := replyPrefix(key)
	windowStart := timeKey(now.Add(-window))
	recent := 0
	c := tx.btx.Bucket(bucketReplyLog).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if string(k[len(prefix):len(prefix)+8]) > string(windowStart) {
			recent++
		}
	}
	return recent, nil
}

// pruneReplyLog removes rows older than cutoff. AllowReply already trims the
// rows of numbers that write again; this catches numbers that went quiet.
func pruneReplyLog(btx *bbolt.Tx, cutoff time.Time, limit int) (int, error) {
	log := btx.Bucket(bucketReplyLog)
	cutoffKey := string(timeKey(cutoff))
	var old [][]byte
	c := log.Cursor()
	for k, _ := c.First(); k != nil && len(old) < limit; k, _ = c.Next() {
		ts, ok := replyRowTime(k)
		if !ok || string(ts) < cutoffKey {
			old = append(old, append([]byte(nil), k...))
		}
	}
	for _, k := range old {
		if err := log.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}
