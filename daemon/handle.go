package daemon

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/store"
)

// handleBatch bounds how many messages one pass reads, so a backlog of
// thousands does not sit in memory at once.
const handleBatch = 32

// handleLoop answers pending inbox messages in arrival order.
func (d *Daemon) handleLoop(ctx context.Context) error {
	for {
		msgs, err := d.db.PendingMessages(handleBatch)
		if err != nil {
			// The store may recover (disk full, a transient I/O error);
			// stopping the daemon would not.
			d.log.Error("reading the inbox failed; retrying", "err", err)
			if err := sleep(ctx, storeRetry, nil); err != nil {
				return err
			}
			continue
		}
		for _, m := range msgs {
			if err := d.handleOne(ctx, m); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				// A store failure on one message must not stop the others.
				d.log.Error("handling SMS failed; will retry", "message", m.ID, "err", err)
				if err := sleep(ctx, 5*time.Second, nil); err != nil {
					return err
				}
			}
		}
		if len(msgs) == handleBatch {
			continue
		}
		if err := sleep(ctx, time.Minute, d.inboxReady); err != nil {
			return err
		}
	}
}

// handleOne decides the answer to one message and records it in one
// transaction: message handled + replies queued (+ whatever the handler
// needs to be durable with them). A crash before the commit leaves the
// message pending, so it is handled again; after it, never again.
func (d *Daemon) handleOne(ctx context.Context, m store.Message) error {
	req := handler.Request{MessageID: m.ID, From: m.Sender, Text: m.Text, Incomplete: m.Incomplete, ReceivedAt: m.ReceivedAt}
	var res handler.Result
	counted := false
	switch {
	case pdu.IsShortCodeOrAlphanumeric(m.Sender):
		// Operators, banks and short codes never get automatic replies:
		// two auto-responders must never ping-pong and burn airtime.
		res.Note = "from a short code or alphanumeric sender: no automatic reply"
	case !d.underCommandLimit(m.Sender):
		res.Note = "sender over the hourly command limit: not handled, no reply"
	default:
		res, counted = d.handlers.Dispatch(ctx, req), true
	}
	if res.Retry {
		return fmt.Errorf("handler asked to retry: %s", res.Note)
	}
	now := time.Now()
	queued := 0
	err := d.db.Update(func(tx *store.Tx) error {
		note := res.Note
		if counted {
			// Counted here, with the handling itself: a retried or crashed
			// attempt does not use up the sender's allowance.
			if _, err := tx.AllowReply(commandKeyPrefix+m.Sender, now, d.cfg.SMS.CommandsPerHour); err != nil {
				return err
			}
		}
		for _, r := range res.Replies {
			to := r.To
			if to == "" {
				to = m.Sender
			}
			ok, err := tx.AllowReply(to, now, d.cfg.SMS.RepliesPerHour)
			if err != nil {
				return err
			}
			if !ok {
				note += "; reply suppressed: hourly cap for " + to + " reached"
				continue
			}
			if _, err := tx.Enqueue(store.Outbound{To: to, Text: r.Text, Origin: replyOrigin(m.ID), DuplicateHarmless: true}); err != nil {
				return err
			}
			queued++
		}
		if res.Apply != nil {
			if err := res.Apply(tx); err != nil {
				return err
			}
		}
		if redacted := handler.RedactPIN(m.Text); redacted != m.Text {
			return tx.MarkHandledRedacted(m.ID, note, redacted)
		}
		return tx.MarkHandled(m.ID, note)
	})
	if errors.Is(err, store.ErrNotPending) {
		return nil
	}
	if err != nil {
		return err
	}
	d.log.Info("SMS handled", "message", m.ID, "from", m.Sender, "replies", queued, "note", res.Note)
	if queued > 0 {
		nudge(d.outboxReady)
	}
	if d.sync != nil {
		d.sync.Nudge()
	}
	return nil
}

// commandKeyPrefix keeps inbound counts apart from reply counts in the
// store's per-number hourly log.
const commandKeyPrefix = "in:"

// underCommandLimit applies [sms] commands_per_hour to one sender before
// any work is done: a flood is stored but not worked on, so it cannot
// hammer Fineract or the PIN check. The count itself is recorded in the
// transaction that marks the message handled.
func (d *Daemon) underCommandLimit(sender string) bool {
	n := 0
	err := d.db.View(func(tx *store.Tx) error {
		var err error
		n, err = tx.RecentReplies(commandKeyPrefix+sender, time.Now())
		return err
	})
	if err != nil {
		d.log.Error("command rate check failed; handling anyway", "err", err)
		return true
	}
	return n < d.cfg.SMS.CommandsPerHour
}

func replyOrigin(id uint64) string {
	return "reply:" + strconv.FormatUint(id, 10)
}
