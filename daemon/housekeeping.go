package daemon

import (
	"context"
	"time"
)

const (
	flushEvery = 30 * time.Second
	pruneEvery = time.Hour
)

// flushPeriod checks for overdue long SMS often enough that a short
// reassembly timeout is honoured within half of itself.
func (d *Daemon) flushPeriod() time.Duration {
	return max(min(flushEvery, d.cfg.SMS.ReassemblyTimeout.Duration/2), 100*time.Millisecond)
}

// housekeepingLoop delivers long SMS whose missing parts never came,
// prunes records older than the retention and makes the nightly copies of
// the store (store.backup_dir).
func (d *Daemon) housekeepingLoop(ctx context.Context) error {
	lastPrune := time.Time{}
	backups := d.newBackupSchedule()
	for {
		ids, err := d.db.FlushIncomplete(time.Now().Add(-d.cfg.SMS.ReassemblyTimeout.Duration))
		if err != nil {
			d.log.Error("delivering overdue long SMS failed; retrying later", "err", err)
		}
		if len(ids) > 0 {
			d.log.Warn("long SMS delivered with parts missing after the reassembly timeout", "count", len(ids))
			nudge(d.inboxReady)
		}
		if time.Since(lastPrune) >= pruneEvery {
			res, err := d.db.Prune(time.Now().Add(-d.cfg.Store.Retention.Duration))
			if err != nil {
				d.log.Error("pruning old records failed; retrying in an hour", "err", err)
			}
			journal, err := d.db.PruneJournal(time.Now().Add(-d.cfg.Store.Retention.Duration))
			if err != nil {
				d.log.Error("pruning old postings failed; retrying in an hour", "err", err)
			}
			if res.Messages+res.Outbound+res.Fingerprints+journal > 0 {
				d.log.Info("pruned old records", "messages", res.Messages, "outbound", res.Outbound, "fingerprints", res.Fingerprints, "postings", journal)
			}
			lastPrune = time.Now()
		}
		backups.runIfDue(time.Now())
		if err := sleep(ctx, d.flushPeriod(), nil); err != nil {
			return err
		}
	}
}
