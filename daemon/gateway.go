package daemon

// The box as Fineract's SMS message gateway, and Fineract's hook events
// turned into client SMS (package gateway; docs/gateway.md).

import (
	"context"
	"time"

	"github.com/mifos-edge/mifos-edge/gateway"
)

// gatewayServer is the gateway's routes for [http] listen.
func (d *Daemon) gatewayServer() *gateway.Server {
	events := d.cfg.FineractHooks.Events
	if d.hookReader() == nil {
		// Without a Fineract to read back from, no event can become an
		// SMS; none is stored to wait for ever.
		events = nil
	}
	return gateway.New(d.db, gateway.Config{
		Tenant:     d.cfg.Mifos.Tenant,
		Country:    d.cfg.SMS.Country,
		Prefix:     d.cfg.Gateway.Prefix,
		ProviderID: int64(d.cfg.Gateway.ProviderID),
		PhoneNo:    d.cfg.Gateway.PhoneNo,
		BoxID:      boxID(d.cfg),
		MaxBatch:   d.cfg.Gateway.MaxBatch,
		ReportWait: d.cfg.Gateway.ReportWait.Duration,
		LostAfter:  d.cfg.Gateway.LostAfter.Duration,
		HookEvents: events,
		Queued:     func() { nudge(d.outboxReady) },
		Hooked:     func() { nudge(d.hookReady) },
		Log:        d.log.With("component", "gateway"),
	})
}

// hookReader is the Fineract client the hook worker reads with; nil
// without [mifos] (or with a test's fake that lacks the calls).
func (d *Daemon) hookReader() gateway.FineractReader {
	if d.env == nil || d.env.API == nil {
		return nil
	}
	r, _ := d.env.API.(gateway.FineractReader)
	return r
}

// hookLoop turns stored Fineract hook events into client SMS, and once an
// hour forgets gateway ids and events older than [store] retention.
func (d *Daemon) hookLoop(ctx context.Context) error {
	api := d.hookReader()
	if api == nil {
		if len(d.cfg.FineractHooks.Events) > 0 {
			d.log.Warn("fineract_hooks.events is set but [mifos] is not configured: Fineract events send no SMS")
		}
		return d.gatewayPruneLoop(ctx)
	}
	w := &gateway.HookWorker{
		DB:      d.db,
		API:     api,
		Texts:   d.env.Texts,
		Country: d.cfg.SMS.Country,
		Today:   d.env.TenantToday,
		Wake:    d.hookReady,
		Queued:  func() { nudge(d.outboxReady) },
		Log:     d.log.With("component", "fineract-hooks"),
	}
	pruned := make(chan struct{})
	go func() {
		defer close(pruned)
		_ = d.gatewayPruneLoop(ctx)
	}()
	err := w.Run(ctx)
	<-pruned // ends with ctx, which ended for Run to return
	return err
}

// gatewayPruneLoop deletes gateway records and finished hook events older
// than the retention, hourly, in bounded batches.
func (d *Daemon) gatewayPruneLoop(ctx context.Context) error {
	for {
		before := time.Now().Add(-d.cfg.Store.Retention.Duration)
		for {
			n, err := d.db.PruneGateway(before, 1000)
			if err != nil {
				d.log.Error("pruning gateway records failed", "err", err)
			}
			if err != nil || n < 1000 {
				break
			}
		}
		if _, err := d.db.PruneHookEvents(before, 1000); err != nil {
			d.log.Error("pruning Fineract hook events failed", "err", err)
		}
		if err := sleep(ctx, time.Hour, nil); err != nil {
			return err
		}
	}
}
