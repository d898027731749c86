package daemon

// The snapshots stage: keeps the offline balance copies fresh.

import (
	"context"
	"errors"
	"time"
)

// staleRefreshEvery batches snapshot refreshes after postings, so a
// drained backlog costs one refresh per client, not one per posting.
const staleRefreshEvery = 15 * time.Second

// markSnapshotStale notes that a client's offline balance copy is out of
// date because something was just posted for them.
func (d *Daemon) markSnapshotStale(clientID int64) {
	d.staleMu.Lock()
	defer d.staleMu.Unlock()
	if d.stale == nil {
		d.stale = map[int64]bool{}
	}
	d.stale[clientID] = true
}

func (d *Daemon) takeStale() []int64 {
	d.staleMu.Lock()
	defer d.staleMu.Unlock()
	out := make([]int64, 0, len(d.stale))
	for id := range d.stale {
		out = append(out, id)
	}
	d.stale = nil
	return out
}

// snapshotLoop keeps the offline balance copies fresh: the clients with new
// postings every few seconds, every known client every snapshot_interval.
func (d *Daemon) snapshotLoop(ctx context.Context) error {
	if d.balance == nil {
		<-ctx.Done()
		return ctx.Err()
	}
	lastFull := time.Now()
	for {
		if err := sleep(ctx, staleRefreshEvery, nil); err != nil {
			return err
		}
		if d.poster != nil && !d.poster.Online() {
			continue
		}
		for _, id := range d.takeStale() {
			if err := d.balance.Refresh(ctx, id); err != nil && ctx.Err() == nil {
				d.log.Info("refreshing a client's offline balance failed; the next full refresh retries", "client", id, "err", err)
			}
		}
		if time.Since(lastFull) < d.cfg.Sync.SnapshotInterval.Duration {
			continue
		}
		lastFull = time.Now()
		if err := d.balance.RefreshAll(ctx); err != nil && !errors.Is(err, context.Canceled) {
			d.log.Warn("refreshing offline balance snapshots failed", "err", err)
		}
	}
}
