package ops

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

const (
	// probeFresh is how long /healthz reuses a write probe: a monitor
	// polling every second costs one small commit per 5 s, no more.
	probeFresh = 5 * time.Second
	// scrapeProbeFresh is how old a probe /metrics may show: scrapes
	// every 15 s need not wear the flash with a commit each.
	scrapeProbeFresh = time.Minute
	// probeWait is how long a request waits for a probe; a disk that
	// hangs makes the box unhealthy, not the monitor's request stuck.
	probeWait = 3 * time.Second
)

// probeBucket and probeKey are where the write probe writes: its own
// extension bucket, one key overwritten each time.
const probeBucket, probeKey = "ops", "write-probe"

// probeResult is one write probe's outcome.
type probeResult struct {
	at  time.Time
	err error
}

// prober runs at most one write probe at a time and shares its result.
type prober struct {
	db  StoreFile
	now func() time.Time

	mu      sync.Mutex
	last    probeResult
	running chan struct{} // closed when the probe under way ends; nil when none
}

func newProber(db StoreFile, now func() time.Time) *prober {
	return &prober{db: db, now: now}
}

// check returns a probe result no older than fresh, probing when needed.
// Callers arriving while a probe runs wait for that one.
func (p *prober) check(fresh time.Duration) probeResult {
	p.mu.Lock()
	if !p.last.at.IsZero() && p.now().Sub(p.last.at) < fresh {
		r := p.last
		p.mu.Unlock()
		return r
	}
	done := p.running
	if done == nil {
		done = make(chan struct{})
		p.running = done
		go p.run(done)
	}
	p.mu.Unlock()
	select {
	case <-done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.last
	case <-time.After(probeWait):
		return probeResult{at: p.now(), err: fmt.Errorf("a write to the store did not finish within %s (disk hung or very slow)", probeWait)}
	}
}

// run commits one small write: the same path every record takes, fsync
// included, so "writable" means what the pipeline needs.
func (p *prober) run(done chan struct{}) {
	err := p.db.Update(func(tx *store.Tx) error {
		b, err := tx.Bucket(probeBucket)
		if err != nil {
			return err
		}
		return b.Put([]byte(probeKey), []byte(p.now().UTC().Format(time.RFC3339Nano)))
	})
	if err != nil {
		err = errors.New("the store cannot be written: " + err.Error())
	}
	p.mu.Lock()
	p.last = probeResult{at: p.now(), err: err}
	p.running = nil
	p.mu.Unlock()
	close(done)
}
