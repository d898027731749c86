package daemon

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// handleBatch bounds how many messages one pass reads, so a backlog of
// thousands does not sit in memory at once.
const handleBatch = 32

const (
	// deferFor is how long a message over its sender's hourly limit waits
	// before it is tried again.
	deferFor = 10 * time.Minute
	// maxDefer: a message deferred this long (its sender never came under
	// the limit) is parked for a person instead.
	maxDefer = 24 * time.Hour
)

// handleLoop answers pending inbox messages in arrival order.
func (d *Daemon) handleLoop(ctx context.Context) error {
	for {
		if _, err := d.db.WakeDeferred(time.Now(), time.Now().Add(-maxDefer)); err != nil {
			d.log.Error("waking deferred messages failed; retrying", "err", err)
		}
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

// identify is who sent m: its type of number as the network gave it and
// the number. Messages stored before the type was kept get it from their
// raw PDU; without one the type stays unknown (no officer commands).
func (d *Daemon) identify(m store.Message) phone.Sender {
	typ := pdu.SenderType(m.SenderType)
	if typ == "" {
		typ = pdu.SenderUnknown
		if len(m.RawPDUs) > 0 {
			if seg, err := pdu.DecodeDeliver(m.RawPDUs[0], -1); err == nil && seg.Sender == m.Sender {
				typ = seg.SenderType
			}
		}
	}
	return phone.Identify(m.Sender, typ, d.cfg.SMS.Country)
}

// handleOne decides the answer to one message and records it in one
// transaction: message handled + replies queued (+ whatever the handler
// needs to be durable with them). A crash before the commit leaves the
// message pending, so it is handled again; after it, never again.
func (d *Daemon) handleOne(ctx context.Context, m store.Message) error {
	sender := d.identify(m)
	if ok, err := d.disburseReply(ctx, m, sender); err != nil {
		return err
	} else if ok {
		return d.finishMoneySMS(m, moneySMS{note: "the operator's reply to a payment command: its disbursement line is settled"})
	}
	if out, ok, err := d.mobileMoneySMS(ctx, m, sender); err != nil {
		return err
	} else if ok {
		return d.finishMoneySMS(m, out)
	}
	now := time.Now()
	var res handler.Result
	dispatched := false
	if !sender.Person() {
		// Operators, banks and short codes are never answered nor taken for
		// a person: two auto-responders must never ping-pong, and a name
		// that spells a phone number must never pass for that phone.
		res.Note = fmt.Sprintf("sender is %s, not a phone number: stored, not answered", sender.Type)
	} else {
		over, err := d.overCommandLimit(sender, now)
		if err != nil {
			return err
		}
		if over {
			return d.deferMessage(m, sender, now)
		}
		req := handler.Request{MessageID: m.ID, From: sender.E164, Sender: sender, Text: m.Text, Incomplete: m.Incomplete, ReceivedAt: m.ReceivedAt}
		res, dispatched = d.handlers.Dispatch(ctx, req), true
	}
	if res.Retry {
		return fmt.Errorf("handler asked to retry: %s", res.Note)
	}
	queued := 0
	err := d.db.Update(func(tx *store.Tx) error {
		note := res.Note
		queued = 0
		if dispatched {
			// Counted here, with the handling itself: a retried or crashed
			// attempt does not use up the sender's allowance.
			if _, err := tx.Allow(commandKeyPrefix+sender.Key(), now, time.Hour, d.cfg.SMS.CommandsPerHour); err != nil {
				return err
			}
		}
		for _, r := range res.Replies {
			to := r.To
			if to == "" {
				to = sender.E164
			}
			ok, why, err := d.mayReply(tx, to, now)
			if err != nil {
				return err
			}
			if !ok {
				note += "; reply suppressed: " + why
				continue
			}
			if _, err := tx.Enqueue(store.Outbound{To: to, Text: r.Text, Origin: replyOrigin(m.ID), Priority: store.PriorityInteractive, DuplicateHarmless: true}); err != nil {
				return err
			}
			queued++
		}
		n, err := d.queueAlerts(tx, res.Alerts, now)
		if err != nil {
			return err
		}
		queued += n
		if res.Apply != nil {
			if err := res.Apply(tx); err != nil {
				return err
			}
		}
		if redacted := d.redact(tx, m, sender, dispatched && !d.handlers.Matches(m.Text)); redacted != m.Text {
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
	d.log.Info("SMS handled", "message", m.ID, "from", sender.Key(), "replies", queued, "note", res.Note)
	if queued > 0 {
		nudge(d.outboxReady)
	}
	if d.poster != nil {
		d.poster.Nudge()
	}
	return nil
}

// redact is the text to keep of a handled message: the PIN of a PIN
// command blanked out, and in a message no handler understood that came
// from an enrolled officer's phone (a typo such as "Pay1111 42", a look-alike
// letter in the keyword) every 4 to 8 digit run, any of which may be a PIN.
func (d *Daemon) redact(tx *store.Tx, m store.Message, sender phone.Sender, unmatched bool) string {
	text := handler.RedactPIN(m.Text)
	if unmatched && enrolled(tx, sender) {
		text = handler.RedactDigitRuns(text)
	}
	return text
}

// enrolled reports whether sender is an officer's phone; a store error
// counts as enrolled, so the text is redacted rather than kept.
func enrolled(tx *store.Tx, sender phone.Sender) bool {
	if !sender.Person() {
		return false
	}
	_, err := tx.Officer(sender.E164)
	return !errors.Is(err, store.ErrNoOfficer)
}

// commandKeyPrefix keeps inbound counts apart from reply counts in the
// store's per-number hourly log.
const commandKeyPrefix = "in:"

// overCommandLimit applies [sms] commands_per_hour to one sender before
// any work is done: a flood is stored but not worked on, so it cannot
// hammer Fineract or the PIN check. The count is kept under the number's
// E.164 form, so writing it another way does not buy a new allowance.
func (d *Daemon) overCommandLimit(sender phone.Sender, now time.Time) (bool, error) {
	n := 0
	err := d.db.View(func(tx *store.Tx) error {
		var err error
		n, err = tx.Recent(commandKeyPrefix+sender.Key(), now, time.Hour)
		return err
	})
	return n >= d.cfg.SMS.CommandsPerHour, err
}

// deferMessage sets aside a message over its sender's hourly limit: it is
// tried again later, never dropped, so a flood of forged messages from an
// officer's number cannot make the officer's real commands vanish. The
// branch manager hears of the flood once a day per number.
func (d *Daemon) deferMessage(m store.Message, sender phone.Sender, now time.Time) error {
	alerted := 0
	err := d.db.Update(func(tx *store.Tx) error {
		alerted = 0
		first, err := tx.Allow("alert:flood:"+sender.Key(), now, store.MaxRateWindow, 1)
		if err != nil {
			return err
		}
		if first {
			text := d.env.Texts.Get("alert.flood", "number", sender.E164, "limit", strconv.Itoa(d.cfg.SMS.CommandsPerHour))
			if alerted, err = d.queueAlerts(tx, []string{text}, now); err != nil {
				return err
			}
		}
		return tx.Defer(m.ID, now.Add(deferFor), fmt.Sprintf("over the limit of %d messages an hour from this number; deferred", d.cfg.SMS.CommandsPerHour))
	})
	if errors.Is(err, store.ErrNotPending) {
		return nil
	}
	if err == nil {
		d.log.Info("SMS deferred: its sender is over the hourly limit", "message", m.ID, "from", sender.Key(), "until", now.Add(deferFor).Format(time.TimeOnly))
		if alerted > 0 {
			nudge(d.outboxReady)
		}
	}
	return err
}

// unknownRepliesKey counts automatic replies to numbers the box does not know.
const unknownRepliesKey = "out:unknown-numbers"

// mayReply decides whether an automatic reply may go to the number to
// (E.164) and records it when it may. A phone the box knows (an officer, a
// registered client, the branch manager) is only held to the per-number
// cap. Any other number must be of the branch's country and fit a box-wide
// hourly budget: forged senders cannot make the SIM pay for texts abroad or
// to thousands of numbers.
func (d *Daemon) mayReply(tx *store.Tx, to string, now time.Time) (bool, string, error) {
	known, err := d.knownPhone(tx, to)
	if err != nil {
		return false, "", err
	}
	if !known {
		if !d.cfg.SMS.ReplyAbroad && !phone.InCountry(to, d.cfg.SMS.Country) {
			return false, to + " is not a number of " + d.cfg.SMS.Country + " and not known to this box", nil
		}
		n, err := tx.Recent(unknownRepliesKey, now, time.Hour)
		if err != nil {
			return false, "", err
		}
		if n >= d.cfg.SMS.UnknownRepliesPerHour {
			return false, "the hourly cap on replies to unknown numbers is reached", nil
		}
	}
	ok, err := tx.AllowReply(to, now, d.cfg.SMS.RepliesPerHour)
	if err != nil || !ok {
		return false, "hourly cap for " + to + " reached", err
	}
	if !known {
		if _, err := tx.Allow(unknownRepliesKey, now, time.Hour, d.cfg.SMS.UnknownRepliesPerHour); err != nil {
			return false, "", err
		}
	}
	return true, "", nil
}

// knownPhone reports whether e164 is an enrolled officer, a phone the
// directory knows as a registered client's, or the branch manager.
func (d *Daemon) knownPhone(tx *store.Tx, e164 string) (bool, error) {
	if e164 == d.cfg.Officers.ManagerPhone {
		return true, nil
	}
	if _, err := tx.Officer(e164); err == nil {
		return true, nil
	} else if !errors.Is(err, store.ErrNoOfficer) {
		return false, err
	}
	pc, ok, err := tx.PhoneClient(e164)
	return ok && !pc.NotRegistered, err
}

// maxAlertsPerHour bounds the alert SMS to the branch manager.
const maxAlertsPerHour = 10

// queueAlerts logs each alert as a warning and, with [officers]
// manager_phone set, queues it to the branch manager (at most
// maxAlertsPerHour an hour). It returns how many SMS it queued.
func (d *Daemon) queueAlerts(tx *store.Tx, alerts []string, now time.Time) (int, error) {
	queued := 0
	for _, text := range alerts {
		d.log.Warn("alert for the branch manager", "alert", text)
		to := d.cfg.Officers.ManagerPhone
		if to == "" {
			continue
		}
		ok, err := tx.Allow("alert:"+to, now, time.Hour, maxAlertsPerHour)
		if err != nil {
			return queued, err
		}
		if !ok {
			continue
		}
		if _, err := tx.Enqueue(store.Outbound{To: to, Text: text, Origin: "alert", Priority: store.PriorityNotification, DuplicateHarmless: true}); err != nil {
			return queued, err
		}
		queued++
	}
	return queued, nil
}

func replyOrigin(id uint64) string {
	return "reply:" + strconv.FormatUint(id, 10)
}
