package daemon

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/store"
)

const (
	// notReadyRetry is how soon a send is tried again while the modem is away;
	// it does not count against the message's attempts budget.
	notReadyRetry = 3 * time.Second
	backoffBase   = 5 * time.Second
	backoffCap    = 15 * time.Minute
	// sendWait bounds how long one part waits for a modem that is not ready.
	sendWait = 20 * time.Second
)

// sendLoop submits due outbox messages one at a time, most urgent class
// first (the store's NextDue decides the order).
func (d *Daemon) sendLoop(ctx context.Context) error {
	for {
		// Stopping: the send under way has finished; start no other.
		if err := ctx.Err(); err != nil {
			return err
		}
		next, err := d.nextSend(time.Now())
		if err != nil {
			d.log.Error("reading the outbox failed; retrying", "err", err)
			if err := sleep(ctx, storeRetry, nil); err != nil {
				return err
			}
			continue
		}
		if next.send {
			if err := d.sendOne(ctx, next.o); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				d.log.Error("outbox update failed; will retry", "sms", next.o.ID, "err", err)
				if err := sleep(ctx, 5*time.Second, nil); err != nil {
					return err
				}
			}
			continue
		}
		wake := d.outboxReady
		if next.spent {
			wake = nil // nothing queued now could go before the wait ends
		}
		if err := sleep(ctx, next.wait, wake); err != nil {
			return err
		}
	}
}

// replyReserve is the share of [sms] max_sent_per_hour kept for
// interactive messages (1/replyReserve of it): once the hour's sends reach
// the rest, notifications and bulk wait, so a campaign that spends the
// budget does not leave a client's BAL waiting for the next hour.
const replyReserve = 10

// sendPlan is the sender's next step: send o, or sleep for wait.
type sendPlan struct {
	o     store.Outbound
	send  bool
	wait  time.Duration
	spent bool // the hour's budget is spent: no message may go before wait ends
}

// nextSend returns the message to send at now, or, when none may go, how
// long to sleep (a message queued meanwhile wakes the sender sooner unless
// the budget is spent).
func (d *Daemon) nextSend(now time.Time) (sendPlan, error) {
	lowest, used, freeAt := d.sendAllowance(now)
	plan := sendPlan{wait: time.Minute, spent: lowest == ""}
	if lowest != "" {
		o, ok, err := d.db.NextDueUpTo(now, lowest)
		if err != nil || ok {
			return sendPlan{o: o, send: ok}, err
		}
		at, ok, err := d.db.NextWakeUpTo(lowest)
		if err != nil {
			return sendPlan{}, err
		}
		if ok {
			plan.wait = max(at.Sub(now), 10*time.Millisecond)
		}
	}
	if lowest == store.PriorityBulk {
		return plan, nil
	}
	// The budget lets more go when the oldest send of the hour leaves it.
	untilFree := max(freeAt.Sub(now), time.Second)
	plan.wait = min(plan.wait, untilFree)
	held, ok, err := d.db.NextDue(now)
	if err != nil || !ok {
		return plan, err
	}
	if plan.spent {
		d.budgetSpent(now, used, untilFree)
	} else {
		d.log.Debug("hourly SMS budget nearly used up; only replies go", "held", held.ID, "priority", held.Priority,
			"sent_last_hour", used, "limit", d.cfg.SMS.MaxSentPerHour, "resume_in", untilFree.Round(time.Second))
	}
	return plan, nil
}

// sendAllowance is the least urgent class the hourly budget ([sms]
// max_sent_per_hour) lets go at now: every class under the budget less the
// reply reserve, interactive only within the reserve, none ("") once it is
// spent. used is what the last hour sent; freeAt is when its oldest send
// stops counting.
func (d *Daemon) sendAllowance(now time.Time) (lowest store.Priority, used int, freeAt time.Time) {
	n, oldest, err := d.db.SubmittedSince(now.Add(-time.Hour))
	if err != nil {
		d.log.Error("counting the SMS sent this hour failed; sending anyway", "err", err)
		return store.PriorityBulk, 0, now
	}
	limit := d.cfg.SMS.MaxSentPerHour
	switch {
	case n >= limit:
		return "", n, oldest.Add(time.Hour)
	case n >= limit-limit/replyReserve:
		return store.PriorityInteractive, n, oldest.Add(time.Hour)
	}
	return store.PriorityBulk, n, oldest.Add(time.Hour)
}

// budgetSpent reports a send held back because the hour's budget is spent;
// the branch manager hears of it once a day.
func (d *Daemon) budgetSpent(now time.Time, used int, wait time.Duration) {
	err := d.db.Update(func(tx *store.Tx) error {
		first, err := tx.Allow("alert:send-budget", now, store.MaxRateWindow, 1)
		if err != nil || !first {
			return err
		}
		text := d.env.Texts.Get("alert.send_budget", "limit", strconv.Itoa(d.cfg.SMS.MaxSentPerHour))
		_, err = d.queueAlerts(tx, []string{text}, now)
		return err
	})
	if err != nil {
		d.log.Error("recording the send-budget alert failed", "err", err)
	}
	d.log.Info("hourly SMS budget used up; the outbox waits", "sent_last_hour", used, "limit", d.cfg.SMS.MaxSentPerHour, "resume_in", wait.Round(time.Second))
}

// sendOne walks one message through the state machine:
// queued -> submitting (persisted before AT+CMGS) -> submitted | retry | unknown | failed.
func (d *Daemon) sendOne(ctx context.Context, o store.Outbound) error {
	ref := o.ConcatRef
	if ref == 0 {
		var err error
		if ref, err = d.db.NextConcatRef(); err != nil {
			return err
		}
	}
	parts, err := pdu.EncodeSubmitWith(o.To, o.Text, ref, d.submitOptions())
	if err != nil {
		d.log.Warn("SMS cannot be encoded; moved to failed", "sms", o.ID, "to", o.To, "err", err)
		return d.db.MarkFailed(o.ID, "cannot encode: "+err.Error())
	}
	if err := d.db.MarkSubmitting(o.ID, ref); err != nil {
		return err
	}
	attempts := o.Attempts + 1
	for part := o.PartsDone; part < len(parts); part++ {
		if part > o.PartsDone && ctx.Err() != nil {
			// Stopping between parts: the next start sends the rest.
			return ctx.Err()
		}
		// A part started while the stop came runs to its end (Send keeps
		// the modem's exchange going), so its outcome is recorded below.
		sctx, cancel := context.WithTimeout(ctx, sendWait+d.cfg.Modem.SendTimeout.Duration)
		mr, err := d.send(sctx, parts[part].Hex, parts[part].TPDULen)
		cancel()
		if err == nil {
			// The modem took it: this must be recorded, or a restart sends it again.
			if err := d.persist(ctx, func() error { return d.db.MarkPartSubmitted(o.ID, part, mr, len(parts)) }); err != nil {
				return err
			}
			continue
		}
		if ctx.Err() != nil {
			// Shutting down: leave it "submitting"; the next start requeues it.
			return ctx.Err()
		}
		return d.persist(ctx, func() error { return d.sendFailed(o, attempts, err) })
	}
	d.metrics.ObserveSend(o.Priority, o.CreatedAt, time.Now())
	d.log.Info("SMS submitted", "sms", o.ID, "to", o.To, "parts", len(parts))
	return nil
}

func (d *Daemon) sendFailed(o store.Outbound, attempts int, err error) error {
	outcome, why := modem.Classify(err)
	switch outcome {
	case modem.NotReady:
		return d.db.MarkNotSent(o.ID, time.Now().Add(notReadyRetry), "modem not ready: "+why)
	case modem.Unknown:
		if o.DuplicateHarmless && o.UnknownResends == 0 {
			// A reply may have gone out; sending it once more is harmless,
			// losing it is not. Anything else waits for a person.
			d.log.Warn("send outcome unknown; resending once (a duplicate is harmless)", "sms", o.ID, "to", o.To)
			return d.db.MarkResendUnknown(o.ID, time.Now().Add(backoff(1)), why)
		}
		d.log.Warn("send outcome unknown; left for a person to decide", "sms", o.ID, "to", o.To, "why", why)
		return d.db.MarkUnknown(o.ID, why)
	case modem.Permanent:
		d.log.Warn("SMS failed permanently; moved to failed", "sms", o.ID, "to", o.To, "why", why)
		return d.db.MarkFailed(o.ID, why)
	default:
		if attempts >= d.cfg.SMS.MaxSendAttempts {
			d.log.Warn("SMS failed after all attempts; moved to failed", "sms", o.ID, "to", o.To, "attempts", attempts, "why", why)
			return d.db.MarkFailed(o.ID, why)
		}
		next := time.Now().Add(backoff(attempts))
		d.log.Info("SMS send failed; will retry", "sms", o.ID, "to", o.To, "attempt", attempts, "at", next.Format(time.TimeOnly), "why", why)
		return d.db.MarkRetry(o.ID, next, why)
	}
}

// backoff is exponential with ±20% jitter so many failed messages do not retry in lockstep.
func backoff(attempt int) time.Duration {
	d := backoffBase
	for i := 1; i < attempt && d < backoffCap; i++ {
		d *= 2
	}
	d = min(d, backoffCap)
	jitter := time.Duration(rand.Int64N(int64(d)*2/5)) - d/5
	return d + jitter
}

// storeRetry is the pause after a store error before a stage tries again.
const storeRetry = 5 * time.Second

// persist retries a state write for a while: a message left "submitting"
// by a failed write would only be requeued (and sent again) at the next start.
func (d *Daemon) persist(ctx context.Context, write func() error) error {
	var err error
	for try := 0; try < 12; try++ {
		if err = write(); err == nil {
			return nil
		}
		d.log.Error("recording an SMS's state failed; retrying", "err", err)
		if serr := sleep(ctx, storeRetry, nil); serr != nil {
			return serr
		}
	}
	return err
}
