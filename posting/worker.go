package posting

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// Options configure a Worker. Zero durations take the defaults.
type Options struct {
	DB            *store.DB
	API           Fineract
	PaymentTypeID int64 // [mifos] payment_type_id
	Workers       int   // postings in flight at once, each on a different account; default 4
	Logger        *slog.Logger
	// Settled is called when an entry reaches done, awaiting_approval or
	// failed, inside the transaction that commits that state: batch is every
	// entry of e.Batch as it will be committed (e in its new state). The SMS
	// it returns are queued in that same transaction. It must not use the DB.
	Settled func(ctx context.Context, e store.JournalEntry, batch []store.JournalEntry) []store.Outbound
	// AfterSettle runs once a settle (and its confirmations) is committed:
	// the place to wake the SMS sender.
	AfterSettle func(e store.JournalEntry)
	// Resolve turns an unresolved entry (recorded while Fineract was
	// unreachable) into a postable one. An error with Permanent() true
	// fails the entry with its text; other errors are retried.
	Resolve func(ctx context.Context, e store.JournalEntry) (store.JournalEntry, error)
	// BalanceAfter reads the account's balance once an entry has posted, in
	// words for the client's confirmation; "" when unknown. It runs outside
	// any store transaction (it may call Fineract).
	BalanceAfter func(ctx context.Context, e store.JournalEntry) string
	Now          func() time.Time

	MinBackoff    time.Duration // first retry delay; default 5s
	MaxBackoff    time.Duration // retry delay cap; default 5 min
	ProbeInterval time.Duration // reachability probe while offline; default 5s
	// ApprovalInterval is how often postings awaiting a checker's approval
	// are looked up in Fineract; default 5m.
	ApprovalInterval time.Duration
	// CallTimeout bounds one Fineract call whatever the client's own
	// timeout, so a hung connection cannot hold a worker; default 2 min.
	CallTimeout time.Duration
	// MaxStillRunning is how many times a resent Idempotency-Key may be
	// answered "still running" (425), each after a lookup that found
	// nothing, before the entry goes to a person; default 8 (with the
	// default backoff, some 10 minutes of a command Fineract never ends).
	MaxStillRunning int
}

// Worker drains the journal into Fineract.
type Worker struct {
	opts  Options
	db    *store.DB
	api   Fineract
	log   *slog.Logger
	now   func() time.Time
	nudge chan struct{}
	back  chan struct{} // Fineract answers again after an outage

	online atomic.Bool
	// noExtIDRoute: Fineract answered the external-id lookup with a plain
	// 404 (a server before 1.9 has no such route); repayments are looked up
	// in the loan's transactions from then on.
	noExtIDRoute atomic.Bool
	// noSavingsSearch: likewise for the savings transaction search; a
	// deposit is then looked up in the account's whole list.
	noSavingsSearch atomic.Bool
	// noAuditRead: Fineract refused the user the audit (no READ_AUDIT),
	// said once in the log.
	noAuditRead atomic.Bool
	mu          sync.Mutex
	// outageSince is when the first call of the current outage started;
	// entries rescheduled since then were delayed by the outage.
	outageSince time.Time
}

// New prepares a Worker; Run starts it.
func New(opts Options) *Worker {
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 5 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Minute
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = opts.MinBackoff
	}
	if opts.ApprovalInterval <= 0 {
		opts.ApprovalInterval = 5 * time.Minute
	}
	if opts.ProbeInterval <= 0 {
		opts.ProbeInterval = 5 * time.Second
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 2 * time.Minute
	}
	if opts.MaxStillRunning <= 0 {
		opts.MaxStillRunning = 8
	}
	return &Worker{
		opts:  opts,
		db:    opts.DB,
		api:   opts.API,
		log:   opts.Logger.With("component", "posting"),
		now:   opts.Now,
		nudge: make(chan struct{}, 1),
		back:  make(chan struct{}, 1),
	}
}

// Nudge tells the worker that new entries were journaled.
func (w *Worker) Nudge() {
	select {
	case w.nudge <- struct{}{}:
	default:
	}
}

// Online reports whether Fineract answered the latest call (any HTTP answer
// except 502/503/504 counts; a network error or timeout does not). It is
// false until the first call.
func (w *Worker) Online() bool { return w.online.Load() }

// Observe records what another of the box's calls to Fineract (the
// console's sign-ins and loan pages) says about reachability: the link
// state on the status page and in SMS answers should not wait for the next
// posting to learn that Fineract went away or came back.
func (w *Worker) Observe(ctx context.Context, start time.Time, err error) { w.observe(ctx, start, err) }

// observe records what a call that started at start says about reachability.
func (w *Worker) observe(ctx context.Context, start time.Time, err error) {
	if err != nil && ctx.Err() != nil {
		return // we hung up (shutdown), Fineract said nothing
	}
	if err != nil && mifos.Classify(err) == mifos.Unreachable {
		w.mu.Lock()
		if w.online.Swap(false) {
			w.outageSince = start
			w.log.Warn("Fineract is unreachable; postings wait until it answers again", "err", err)
		}
		w.mu.Unlock()
		return
	}
	if !w.online.Swap(true) {
		w.log.Info("Fineract answers")
		select {
		case w.back <- struct{}{}:
		default:
		}
	}
}

// Run posts journal entries until ctx ends. Entries are never dropped: a
// passing error reschedules the entry with backoff, a refusal settles it as
// failed for a person (and Settled tells the officer).
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(2)
	go func() {
		defer wg.Done()
		w.probeLoop(ctx)
	}()
	go func() {
		defer wg.Done()
		w.approvalLoop(ctx)
	}()

	workers := w.opts.Workers
	// Each goroutine sends once; at most workers are outstanding.
	done := make(chan string, workers)
	inflight := make(map[string]bool, workers)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var wake <-chan time.Time
		if w.online.Load() && len(inflight) < workers {
			now := w.now()
			// The page holds every in-flight entry plus enough to fill all
			// workers, so when free workers remain, every due entry was seen.
			due, err := w.db.DueJournal(now, workers+len(inflight))
			if err != nil {
				w.log.Error("read journal", "err", err)
			}
			for _, e := range due {
				if len(inflight) >= workers {
					break
				}
				key := e.OrderKey()
				// One entry per account at a time keeps per-account order.
				if inflight[key] {
					continue
				}
				inflight[key] = true
				wg.Add(1)
				go func() {
					defer wg.Done()
					w.process(ctx, e)
					done <- key
				}()
			}
			if len(inflight) < workers {
				retryIn := time.Second // after a store error
				if err == nil {
					at, ok, werr := w.db.NextJournalWake(now)
					switch {
					case werr != nil:
						w.log.Error("read journal", "err", werr)
					case ok:
						retryIn = at.Sub(w.now())
					default:
						retryIn = -1
					}
				}
				if retryIn >= 0 {
					timer.Reset(retryIn)
					wake = timer.C
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case key := <-done:
			delete(inflight, key)
		case <-w.nudge:
		case <-wake:
		case <-w.back:
			w.mu.Lock()
			since := w.outageSince
			w.mu.Unlock()
			if n, err := w.db.HurryJournal(w.now(), since); err != nil {
				w.log.Error("reschedule postings delayed by the outage", "err", err)
			} else if n > 0 {
				w.log.Info("Fineract is back; retrying delayed postings now", "count", n)
			}
		}
	}
}

// probeLoop asks Fineract for its business date while it is offline, so
// the backlog drains as soon as it answers again.
func (w *Worker) probeLoop(ctx context.Context) {
	for {
		if !w.online.Load() {
			start := w.now()
			cctx, cancel := context.WithTimeout(ctx, w.opts.CallTimeout)
			_, err := w.api.BusinessDate(cctx)
			cancel()
			w.observe(ctx, start, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.opts.ProbeInterval):
		}
	}
}

// backoff is the delay before retry number attempt (1-based): exponential
// from MinBackoff, capped at MaxBackoff, with ±25% jitter so entries that
// failed together do not retry together.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.opts.MinBackoff
	for i := 1; i < attempt && d < w.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, w.opts.MaxBackoff)
	return d*3/4 + rand.N(d/2+1)
}

// pause waits a little after a store error so a failing disk is not hammered.
func pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
}
