package ops

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// sendBuckets are the send-latency histogram's upper bounds in seconds: a
// reply normally leaves within seconds; bulk may wait for the hourly budget.
var sendBuckets = []float64{0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800, 3600, 4 * 3600}

// answerClasses are every class mifos.Classify gives, created at start so
// that rate() over them works before the first error.
var answerClasses = []mifos.Answer{
	mifos.Refused, mifos.NotSent, mifos.NotAllowed, mifos.Redirected, mifos.Busy,
	mifos.ServerError, mifos.Unreachable, mifos.Misconfigured, mifos.TooLarge, mifos.Early,
}

// Metrics are what the daemon's stages count as it happens. A nil
// *Metrics counts nothing (stages built without one, in tests).
type Metrics struct {
	set      *metrics.Set
	started  time.Time
	fineract bool

	requests *metrics.Counter

	mu   sync.Mutex
	link linkState
}

// linkState is what the latest Fineract answers said.
type linkState struct {
	answered    bool // a request has ended (not by our own shutdown)
	up          bool
	lastSuccess time.Time
	lastError   time.Time
	lastClass   string
}

// NewMetrics makes the counters; fineract says whether the box talks to
// Fineract (without [mifos] no Fineract series are shown).
func NewMetrics(fineract bool) *Metrics {
	// TYPE lines let Prometheus and promtool know counters from gauges.
	metrics.ExposeMetadata(true)
	m := &Metrics{set: metrics.NewSet(), started: time.Now(), fineract: fineract}
	for _, p := range []store.Priority{store.PriorityInteractive, store.PriorityNotification, store.PriorityBulk} {
		m.sendHistogram(p)
	}
	if fineract {
		m.requests = m.set.NewCounter("mifos_edge_fineract_requests_total")
		for _, a := range answerClasses {
			m.errors(a)
		}
	}
	return m
}

func (m *Metrics) sendHistogram(p store.Priority) *metrics.PrometheusHistogram {
	if p == "" {
		p = store.PriorityNotification
	}
	return m.set.GetOrCreatePrometheusHistogramExt(`mifos_edge_send_latency_seconds{priority="`+escape(string(p))+`"}`, sendBuckets)
}

func (m *Metrics) errors(a mifos.Answer) *metrics.Counter {
	return m.set.GetOrCreateCounter(`mifos_edge_fineract_errors_total{class="` + className(a) + `"}`)
}

// className is a class as a label value: "server error" -> "server_error".
func className(a mifos.Answer) string { return escape(strings.ReplaceAll(a.String(), " ", "_")) }

// ObserveSend records an SMS whose last part the modem accepted: how long
// it waited from queued to submitted, retries and budget waits included.
func (m *Metrics) ObserveSend(p store.Priority, queued, submitted time.Time) {
	if m == nil || queued.IsZero() {
		return
	}
	m.sendHistogram(p).Update(max(submitted.Sub(queued), 0).Seconds())
}

// FineractAnswer records how one Fineract request ended; ctx is the
// request's, so that requests we hung up on (shutdown) are not counted.
func (m *Metrics) FineractAnswer(ctx context.Context, err error) {
	if m == nil || !m.fineract {
		return
	}
	if err != nil && ctx.Err() != nil {
		return
	}
	now := time.Now()
	m.requests.Inc()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.link.answered = true
	if err == nil {
		m.link.up, m.link.lastSuccess = true, now
		return
	}
	a := mifos.Classify(err)
	m.errors(a).Inc()
	m.link.lastError, m.link.lastClass = now, className(a)
	// A refusal of this request (a 4xx about it, a bad date) is Fineract
	// answering: the link works. No answer, or one that refuses the box's
	// own setup, is the link down.
	m.link.up = !a.Offline() && !a.Waits()
	if m.link.up {
		m.link.lastSuccess = now
	}
}

func (m *Metrics) linkSnapshot() linkState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.link
}

// escape quotes a label value for the text format.
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
