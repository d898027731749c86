package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/webhook"
)

// Event delivery to integrators. Every event source writes an entry into
// the store's feed in the same transaction as the change itself (a handled
// SMS, an outbound verdict, a settled posting), so nothing that committed
// can be missed, however the daemon stops. This loop turns feed entries
// into webhook deliveries with a durable cursor (webhook.Pump) and notes
// the modem's registration, which lives outside the store.
const (
	// pumpEvery is how often the feed is looked at with webhooks configured;
	// without them the cursor only needs to keep up now and then.
	pumpEvery        = time.Second
	pumpEveryIdle    = time.Minute
	pumpBatch        = 200
	eventsPruneEvery = time.Hour
	// apiKeyAge is how long an Idempotency-Key is remembered.
	apiKeyAge = 7 * 24 * time.Hour
)

// modemCursor keeps the last registration noted: 1 registered, 2 lost.
const modemCursor = "modem.registration"

// eventsLoop runs the pump, the modem watcher and their pruning, and the
// webhook deliverer when [[webhook]]s are configured.
func (d *Daemon) eventsLoop(ctx context.Context) error {
	hooks, err := d.webhookHooks()
	if err != nil {
		return err
	}
	wake := make(chan struct{}, 1)
	if len(hooks) > 0 {
		del := &webhook.Deliverer{DB: d.db, Hooks: hooks, Log: d.log.With("component", "webhook"), Wake: wake}
		go func() { _ = del.Run(ctx) }()
		d.log.Info("webhooks on", "count", len(hooks))
	}
	every := pumpEveryIdle
	if len(hooks) > 0 {
		every = pumpEvery
	}
	lastPrune := time.Time{}
	var lostSince time.Time
	for {
		if err := d.noteModem(&lostSince); err != nil {
			d.log.Error("noting the modem's registration failed; retrying", "err", err)
		}
		for {
			n, err := webhook.Pump(d.db, hooks, d.cfg.SMS.Country, pumpBatch)
			if err != nil {
				d.log.Error("queuing webhook events failed; retrying", "err", err)
				break
			}
			if n > 0 && len(hooks) > 0 {
				nudge(wake)
			}
			if n < pumpBatch {
				break
			}
		}
		if time.Since(lastPrune) > eventsPruneEvery {
			lastPrune = time.Now()
			d.pruneEvents()
		}
		if err := sleep(ctx, every, nil); err != nil {
			return err
		}
	}
}

// webhookHooks reads the [[webhook]] tables; a secret file that cannot be
// read stops the daemon with the reason, like the Fineract password file.
func (d *Daemon) webhookHooks() ([]webhook.Hook, error) {
	var hooks []webhook.Hook
	for i, w := range d.cfg.Webhooks {
		secret, err := w.ResolveSecret()
		if err != nil {
			return nil, fmt.Errorf("webhook[%d]: %w", i+1, err)
		}
		hooks = append(hooks, webhook.Hook{URL: w.URL, Events: w.Events, Secret: secret, GiveUpAfter: w.GiveUpAfter.Duration})
	}
	return hooks, nil
}

// modemLostAfter: a modem must be off the network this long before that
// is noted, so a restart's moment of "searching" is not an event.
const modemLostAfter = 30 * time.Second

// noteModem writes a feed note when the modem's registration changed
// since the last one noted (kept in the store, so a restart neither
// repeats nor loses a change). A modem still starting says nothing.
// lostSince is when the modem was first seen off the network.
func (d *Daemon) noteModem(lostSince *time.Time) error {
	if d.modem == nil {
		return nil
	}
	st := d.modem.Status()
	now, ev := registration(st)
	switch {
	case now == 0:
		return nil
	case now == 1:
		*lostSince = time.Time{}
	case lostSince.IsZero():
		*lostSince = time.Now()
		return nil
	case time.Since(*lostSince) < modemLostAfter:
		return nil
	}
	return d.db.Update(func(tx *store.Tx) error {
		if tx.Cursor(modemCursor) == now {
			return nil
		}
		data, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		note := webhook.NoteModemRegistered
		if now == 2 {
			note = webhook.NoteModemLost
		}
		if err := tx.AddFeedNote(note, data); err != nil {
			return err
		}
		return tx.SetCursor(modemCursor, now)
	})
}

// registration reads a modem status as 1 registered, 2 lost, 0 not known yet.
func registration(st modem.Status) (uint64, webhook.ModemEvent) {
	ev := webhook.ModemEvent{Registration: st.RegistrationText, Signal: st.SignalText}
	switch {
	case st.State == modem.StateReady && (st.Registration == 1 || st.Registration == 5):
		ev.State = "registered"
		return 1, ev
	case st.State == modem.StateGone || st.State == modem.StateUnresponsive:
		ev.State, ev.Detail = "lost", "modem "+string(st.State)
		return 2, ev
	case st.State == modem.StateReady && st.Registration >= 0:
		ev.State = "lost"
		return 2, ev
	}
	return 0, ev
}

// pruneEvents drops feed entries, dead letters and Idempotency-Keys older
// than the store's retention (keys after a week).
func (d *Daemon) pruneEvents() {
	before := time.Now().Add(-d.cfg.Store.Retention.Duration)
	for {
		n, err := d.db.PruneFeed(before, 1000)
		if err != nil {
			d.log.Error("pruning the event feed failed", "err", err)
			break
		}
		if n < 1000 {
			break
		}
	}
	if _, err := d.db.PruneWebhookDead(before); err != nil {
		d.log.Error("pruning webhook dead letters failed", "err", err)
	}
	if _, err := d.db.PruneAPISends(time.Now().Add(-apiKeyAge)); err != nil {
		d.log.Error("pruning API idempotency keys failed", "err", err)
	}
}
