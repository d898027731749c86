package store

import (
	"time"

	"go.etcd.io/bbolt"
)

// Oldest is when the longest-waiting item of each queue arrived; a zero
// time means the queue is empty. It is what "is anything stuck?" asks.
type Oldest struct {
	Inbox   time.Time // pending message, by ReceivedAt
	Outbox  time.Time // queued SMS (retries included), by CreatedAt
	Journal time.Time // pending posting, by CreatedAt
}

// OldestWaiting reads the first id of each state index: ids grow with time, so
// one record per queue is decoded however long the backlog is (a scrape
// every 15 s must stay cheap on a branch box).
func (db *DB) OldestWaiting() (Oldest, error) {
	var o Oldest
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		first := func(name []byte) (uint64, bool) {
			k, _ := btx.Bucket(name).Cursor().First()
			if k == nil {
				return 0, false
			}
			return keyID(k), true
		}
		if id, ok := first(msgStateBucket(MessagePending)); ok {
			m, err := loadMessage(btx, id)
			if err != nil {
				return err
			}
			o.Inbox = m.ReceivedAt
		}
		if id, ok := first(outStateBucket(OutQueued)); ok {
			m, err := loadOutbound(btx, id)
			if err != nil {
				return err
			}
			o.Outbox = m.CreatedAt
		}
		if id, ok := first(journalStateBucket(JournalPending)); ok {
			e, err := loadJournal(btx, id)
			if err != nil {
				return err
			}
			o.Journal = e.CreatedAt
		}
		return nil
	})
	return o, err
}
