package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

// Delivery limits.
const (
	// DefaultConcurrency is how many requests are in flight at once: a slow
	// receiver must not tie up the box.
	DefaultConcurrency = 4
	// DefaultTimeout bounds one request, connection to last byte.
	DefaultTimeout = 10 * time.Second
	// firstRetry doubles with each failed attempt, up to maxRetry.
	firstRetry = 10 * time.Second
	maxRetry   = time.Hour
	// maxAnswer is how much of a receiver's answer is read (then dropped).
	maxAnswer = 4 << 10
)

// Deliverer POSTs queued deliveries until its context ends.
type Deliverer struct {
	DB     *store.DB
	Hooks  []Hook
	Log    *slog.Logger
	Client *http.Client // nil: NewClient(DefaultTimeout)
	// Concurrency bounds the requests in flight (0: DefaultConcurrency).
	Concurrency int
	// Wake, when it receives, makes the deliverer look at the queue now.
	Wake <-chan struct{}
	// Now and Jitter are the clock and the random source (tests).
	Now    func() time.Time
	Jitter func(d time.Duration) time.Duration

	mu       sync.Mutex
	inFlight map[uint64]bool
}

// NewClient is an HTTP client for webhooks: bounded in time and never
// following a redirect. A redirect would send the signed body (message
// texts, phone numbers) to a URL nobody configured; it counts as a failed
// attempt instead.
func NewClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 2
	t.ResponseHeaderTimeout = timeout
	return &http.Client{
		Timeout:   timeout,
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Backoff is the wait after the attempts-th failed attempt: 10 s doubling
// up to an hour, each drawn between half and all of that (jitter), so
// deliveries that failed together do not all come back together.
func Backoff(attempts int, jitter func(time.Duration) time.Duration) time.Duration {
	d := firstRetry
	for i := 1; i < attempts && d < maxRetry; i++ {
		d *= 2
	}
	d = min(d, maxRetry)
	return d/2 + jitter(d/2)
}

func fullJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) error {
	if d.Client == nil {
		d.Client = NewClient(DefaultTimeout)
	}
	if d.Concurrency <= 0 {
		d.Concurrency = DefaultConcurrency
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Jitter == nil {
		d.Jitter = fullJitter
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	d.inFlight = map[uint64]bool{}
	done := make(chan struct{}, d.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		d.mu.Lock()
		free := d.Concurrency - len(d.inFlight)
		d.mu.Unlock()
		if free > 0 {
			due, err := d.DB.DueWebhooks(d.Now(), free, d.busy)
			if err != nil {
				d.Log.Error("reading the webhook queue failed; retrying", "err", err)
			}
			for _, w := range due {
				d.mu.Lock()
				d.inFlight[w.ID] = true
				d.mu.Unlock()
				wg.Add(1)
				go func() {
					defer wg.Done()
					d.attempt(ctx, w)
					d.mu.Lock()
					delete(d.inFlight, w.ID)
					d.mu.Unlock()
					done <- struct{}{}
				}()
			}
		}
		wait := 5 * time.Second
		if at, ok, err := d.DB.NextWebhookWake(); err == nil && ok {
			wait = min(wait, max(at.Sub(d.Now()), 50*time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-d.Wake:
		case <-done:
		case <-t.C:
		}
		t.Stop()
	}
}

func (d *Deliverer) busy(id uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.inFlight[id]
}

// attempt makes one request and records its outcome.
func (d *Deliverer) attempt(ctx context.Context, w store.WebhookDelivery) {
	var hook *Hook
	for i := range d.Hooks {
		if d.Hooks[i].URL == w.URL {
			hook = &d.Hooks[i]
		}
	}
	if hook == nil {
		d.record(w, errors.New("this URL is no longer a [[webhook]] in the configuration"), true)
		return
	}
	err := d.post(ctx, *hook, w)
	if ctx.Err() != nil {
		// Stopping: the attempt did not count; it is made again after the restart.
		return
	}
	if err == nil {
		if err := d.DB.WebhookDelivered(w.ID); err != nil {
			// Delivered again after the restart: at least once, same event id.
			d.Log.Error("recording a webhook delivery failed", "delivery", w.ID, "err", err)
		}
		return
	}
	giveUp := d.Now().Sub(w.CreatedAt) >= hook.GiveUpAfter
	d.record(w, err, giveUp)
}

func (d *Deliverer) record(w store.WebhookDelivery, why error, dead bool) {
	next := d.Now().Add(Backoff(w.Attempts+1, d.Jitter))
	if err := d.DB.WebhookAttemptFailed(w.ID, next, why.Error(), dead); err != nil {
		d.Log.Error("recording a failed webhook attempt failed", "delivery", w.ID, "err", err)
		return
	}
	if dead {
		d.Log.Error("webhook delivery given up; it stays in the dead letters", "url", w.URL, "event", w.EventID, "attempts", w.Attempts+1, "err", why)
	} else {
		d.Log.Warn("webhook delivery failed; will retry", "url", w.URL, "event", w.EventID, "attempts", w.Attempts+1, "next", next.Format(time.RFC3339), "err", why)
	}
}

// post sends w once; nil means the receiver answered 2xx.
func (d *Deliverer) post(ctx context.Context, h Hook, w store.WebhookDelivery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(w.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mifos-edge-webhook/1")
	req.Header.Set("X-Mifos-Edge-Event", w.Event)
	req.Header.Set("X-Mifos-Edge-Event-Id", w.EventID)
	req.Header.Set("X-Mifos-Edge-Attempt", strconv.Itoa(w.Attempts+1))
	req.Header.Set(SignatureHeader, Sign(h.Secret, d.Now(), w.Body))
	resp, err := d.Client.Do(req)
	if err != nil {
		return fmt.Errorf("request failed: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return fmt.Errorf("receiver answered %s (redirect to %q not followed: configure the final URL)", resp.Status, resp.Header.Get("Location"))
	}
	return fmt.Errorf("receiver answered %s", resp.Status)
}
