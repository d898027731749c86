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
			return err
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
	switch {
	case pdu.IsShortCodeOrAlphanumeric(m.Sender):
		// Operators, banks and short codes never get automatic replies:
		// two auto-responders must never ping-pong and burn airtime.
		res.Note = "from a short code or alphanumeric sender: no automatic reply"
	case !d.allowCommand(m.Sender):
		res.Note = "sender over the hourly command limit: not handled, no reply"
	default:
		res = d.handlers.Dispatch(ctx, req)
	}
	if res.Retry {
		return fmt.Errorf("handler asked to retry: %s", res.Note)
	}
	now := time.Now()
	queued := 0
	err := d.db.Update(func(tx *store.Tx) error {
		note := res.Note
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

// allowCommand applies [sms] commands_per_hour to one sender: a flood is
// stored but not worked on, so it cannot hammer Fineract or the PIN check.
func (d *Daemon) allowCommand(sender string) bool {
	allowed := true
	err := d.db.Update(func(tx *store.Tx) error {
		var err error
		allowed, err = tx.AllowReply(commandKeyPrefix+sender, time.Now(), d.cfg.SMS.CommandsPerHour)
		return err
	})
	if err != nil {
		d.log.Error("command rate check failed; handling anyway", "err", err)
		return true
	}
	return allowed
}

func replyOrigin(id uint64) string {
	return "reply:" + strconv.FormatUint(id, 10)
}
