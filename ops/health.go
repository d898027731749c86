package ops

import (
	"math"
	"net/http"
	"time"

	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/web"
)

// Health is the /healthz answer. It is open to anyone who reaches the
// listen address, so it names no phone number, IMSI, SMSC or amount.
type Health struct {
	// Status is "ok" when the store takes writes, else "unhealthy" (503).
	Status string `json:"status"`
	// Reason says why not, for a person.
	Reason   string         `json:"reason,omitempty"`
	Store    StoreHealth    `json:"store"`
	Modem    ModemHealth    `json:"modem"`
	Fineract FineractHealth `json:"fineract"`
}

// StoreHealth is the last write probe.
type StoreHealth struct {
	Writable  bool      `json:"writable"`
	CheckedAt time.Time `json:"checked_at"`
}

// ModemHealth is the modem's state; it does not decide the status: a box
// whose modem is away still keeps what it is given.
type ModemHealth struct {
	State        string `json:"state"`
	Registration string `json:"registration"`
	// Operator is the network's name as the modem gives it, when registered.
	Operator string `json:"operator,omitempty"`
	Signal   string `json:"signal"`
	// SignalDBm is absent while the signal is unknown.
	SignalDBm *int `json:"signal_dbm,omitempty"`
	// LastAnswerAgeSeconds: since the modem last answered a command, or
	// since the daemon started when it never has.
	LastAnswerAgeSeconds int64 `json:"last_answer_age_seconds"`
}

// FineractHealth is the Fineract link.
type FineractHealth struct {
	Configured bool `json:"configured"`
	// Link is "up", "down", or "unknown" before any request has ended.
	Link                string   `json:"link,omitempty"`
	LastOKAgeSeconds    *int64   `json:"last_ok_age_seconds,omitempty"`
	LastErrorClass      string   `json:"last_error_class,omitempty"`
	LastErrorAgeSeconds *int64   `json:"last_error_age_seconds,omitempty"`
	SetupChecked        bool     `json:"setup_checked,omitempty"`
	SetupProblems       []string `json:"setup_problems,omitempty"`
}

type health struct {
	o     Options
	probe *prober
}

func (h *health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := h.o.Now()
	res := h.probe.check(probeFresh)
	out := Health{Status: "ok", Store: StoreHealth{Writable: res.err == nil, CheckedAt: res.at.UTC()}}
	status := http.StatusOK
	if res.err != nil {
		out.Status, out.Reason, status = "unhealthy", res.err.Error(), http.StatusServiceUnavailable
	}
	if h.o.Modem != nil {
		out.Modem = modemHealth(h.o.Modem(), h.o.Metrics.startedAt(now), now)
	}
	out.Fineract = h.fineract(now)
	web.JSON(w, status, out)
}

func modemHealth(st modem.Status, started, now time.Time) ModemHealth {
	m := ModemHealth{
		State:                string(st.State),
		Registration:         registrationName(st.Registration),
		Operator:             st.Operator,
		Signal:               st.SignalText,
		LastAnswerAgeSeconds: seconds(now.Sub(lastAnswer(st, started))),
	}
	if dbm, ok := signalDBm(st.SignalRSSI); ok {
		m.SignalDBm = &dbm
	}
	return m
}

func (h *health) fineract(now time.Time) FineractHealth {
	if h.o.Metrics == nil || !h.o.Metrics.fineract {
		return FineractHealth{}
	}
	f := FineractHealth{Configured: true, Link: "unknown"}
	l := h.o.Metrics.linkSnapshot()
	if l.answered {
		f.Link = "down"
		if l.up {
			f.Link = "up"
		}
	}
	if !l.lastSuccess.IsZero() {
		s := seconds(now.Sub(l.lastSuccess))
		f.LastOKAgeSeconds = &s
	}
	if !l.lastError.IsZero() {
		s := seconds(now.Sub(l.lastError))
		f.LastErrorClass, f.LastErrorAgeSeconds = l.lastClass, &s
	}
	if h.o.Setup != nil {
		f.SetupChecked, f.SetupProblems = h.o.Setup()
	}
	return f
}

// lastAnswer is when the modem last answered, or the daemon's start when
// it never has: "silent since start" must age too.
func lastAnswer(st modem.Status, started time.Time) time.Time {
	if st.LastOK.IsZero() {
		return started
	}
	return st.LastOK
}

// signalDBm converts a +CSQ rssi (0..31; 99 unknown) to dBm (3GPP 27.007).
func signalDBm(rssi int) (int, bool) {
	if rssi < 0 || rssi > 31 {
		return 0, false
	}
	return -113 + 2*rssi, true
}

// registrationName is a +CREG <stat> as a label value.
func registrationName(stat int) string {
	switch stat {
	case 0:
		return "not_registered"
	case 1:
		return "home"
	case 2:
		return "searching"
	case 3:
		return "denied"
	case 5:
		return "roaming"
	}
	return "unknown"
}

// registrationNames are every value registrationName gives.
var registrationNames = []string{"home", "roaming", "searching", "denied", "not_registered", "unknown"}

func seconds(d time.Duration) int64 { return int64(math.Round(max(d, 0).Seconds())) }

// startedAt is when the metrics (the daemon) started; now without them.
func (m *Metrics) startedAt(now time.Time) time.Time {
	if m == nil {
		return now
	}
	return m.started
}
