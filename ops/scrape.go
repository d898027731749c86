package ops

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/store"
)

// scrape answers /metrics: the counters, then gauges read now.
type scrape struct {
	o     Options
	probe *prober
	build buildInfo
}

func (s *scrape) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := s.o.Now()
	var b bytes.Buffer
	if s.o.Metrics != nil {
		s.o.Metrics.set.WritePrometheus(&b)
	}
	e := expo{&b}
	s.queues(e, now)
	s.storeFile(e)
	if s.o.Modem != nil {
		s.modem(e, s.o.Modem(), now)
	}
	s.fineract(e, now)
	e.family("mifos_edge_build_info", "gauge", "Always 1; the labels say which build runs.")
	e.sample("mifos_edge_build_info", labels("version", s.build.version, "revision", s.build.revision, "goversion", s.build.goVersion), 1)
	// The Go runtime's and the process's own: resident memory, CPU, open files.
	metrics.WriteProcessMetrics(&b)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}

func (s *scrape) queues(e expo, now time.Time) {
	if s.o.Queues == nil {
		return
	}
	// A store that cannot be read leaves these series out; the probe
	// gauge below says why.
	if st, err := s.o.Queues.Stats(); err == nil {
		e.family("mifos_edge_messages_in", "gauge", "Received SMS in the store, by state.")
		for _, v := range []struct {
			state string
			n     int
		}{{"pending", st.Pending}, {"handled", st.Handled}, {"parked", st.Parked}, {"deferred", st.Deferred}} {
			e.sample("mifos_edge_messages_in", labels("state", v.state), float64(v.n))
		}
		e.family("mifos_edge_messages_in_incomplete_sets", "gauge", "Long SMS waiting for missing parts.")
		e.sample("mifos_edge_messages_in_incomplete_sets", "", float64(st.IncompleteSets))
		e.family("mifos_edge_messages_out", "gauge", "SMS to send or sent, in the store, by state.")
		for _, v := range []struct {
			state string
			n     int
		}{{"queued", st.Queued}, {"submitting", st.Submitting}, {"submitted", st.Submitted}, {"unknown", st.Unknown}, {"failed", st.Failed}} {
			e.sample("mifos_edge_messages_out", labels("state", v.state), float64(v.n))
		}
		e.family("mifos_edge_journal_entries", "gauge", "Postings to Fineract in the journal, by state.")
		j := st.Journal
		for _, v := range []struct {
			state string
			n     int
		}{{"pending", j.Pending}, {"posting", j.Posting}, {"done", j.Done}, {"awaiting_approval", j.AwaitingApproval}, {"failed", j.Failed}} {
			e.sample("mifos_edge_journal_entries", labels("state", v.state), float64(v.n))
		}
	}
	if s.o.Payments != nil {
		if counts, err := s.o.Payments(); err == nil {
			e.family("mifos_edge_payments", "gauge", "Mobile-money payments the box recorded, by state.")
			for _, st := range store.PaymentStates {
				e.sample("mifos_edge_payments", labels("state", string(st)), float64(counts[st]))
			}
			e.family("mifos_edge_suspense_payments", "gauge", "Mobile-money payments waiting in suspense for a person to assign.")
			e.sample("mifos_edge_suspense_payments", "", float64(counts[store.PaymentSuspense]))
		}
	}
	if s.o.DisburseLines != nil {
		if counts, err := s.o.DisburseLines(); err == nil {
			e.family("mifos_edge_disbursement_lines", "gauge", "Mobile disbursement lines, by state; unknown ones wait for the operator's status query or a person.")
			for _, st := range store.LineStates {
				e.sample("mifos_edge_disbursement_lines", labels("state", string(st)), float64(counts[st]))
			}
		}
	}
	if o, err := s.o.Queues.OldestWaiting(); err == nil {
		e.family("mifos_edge_oldest_waiting_seconds", "gauge", "Age of the longest-waiting item of each queue; 0 when the queue is empty.")
		for _, v := range []struct {
			queue string
			at    time.Time
		}{{"inbox", o.Inbox}, {"outbox", o.Outbox}, {"journal", o.Journal}} {
			age := 0.0
			if !v.at.IsZero() {
				age = max(now.Sub(v.at), 0).Seconds()
			}
			e.sample("mifos_edge_oldest_waiting_seconds", labels("queue", v.queue), age)
		}
	}
}

func (s *scrape) storeFile(e expo) {
	if s.o.Store == nil {
		return
	}
	res := s.probe.check(scrapeProbeFresh)
	e.family("mifos_edge_store_writable", "gauge", "1 when the last write probe of the store (at most a minute old) committed.")
	e.sample("mifos_edge_store_writable", "", bool01(res.err == nil))
	path := s.o.Store.Path()
	if fi, err := os.Stat(path); err == nil {
		e.family("mifos_edge_store_size_bytes", "gauge", "Size of the store file.")
		e.sample("mifos_edge_store_size_bytes", "", float64(fi.Size()))
	}
	if free, size, err := diskSpace(path); err == nil {
		e.family("mifos_edge_store_filesystem_free_bytes", "gauge", "Free space on the store's file system, for the daemon's user.")
		e.sample("mifos_edge_store_filesystem_free_bytes", "", float64(free))
		e.family("mifos_edge_store_filesystem_size_bytes", "gauge", "Size of the store's file system.")
		e.sample("mifos_edge_store_filesystem_size_bytes", "", float64(size))
	}
}

func (s *scrape) modem(e expo, st modem.Status, now time.Time) {
	e.family("mifos_edge_modem_up", "gauge", "1 when the modem is ready (SMS go in and out).")
	e.sample("mifos_edge_modem_up", "", bool01(st.State == modem.StateReady))
	e.family("mifos_edge_modem_state", "gauge", "The modem's state: 1 for the current one.")
	for _, v := range []modem.State{modem.StateOpening, modem.StateInitialising, modem.StateReady, modem.StateGone, modem.StateUnresponsive} {
		e.sample("mifos_edge_modem_state", labels("state", string(v)), bool01(st.State == v))
	}
	e.family("mifos_edge_modem_registration", "gauge", "Network registration (+CREG): 1 for the current status.")
	current := registrationName(st.Registration)
	for _, v := range registrationNames {
		e.sample("mifos_edge_modem_registration", labels("status", v), bool01(current == v))
	}
	e.family("mifos_edge_modem_signal_csq", "gauge", "Signal as +CSQ rssi: 0..31, 99 unknown.")
	e.sample("mifos_edge_modem_signal_csq", "", float64(st.SignalRSSI))
	if dbm, ok := signalDBm(st.SignalRSSI); ok {
		e.family("mifos_edge_modem_signal_dbm", "gauge", "Signal strength in dBm; absent while unknown.")
		e.sample("mifos_edge_modem_signal_dbm", "", float64(dbm))
	}
	e.family("mifos_edge_modem_last_answer_age_seconds", "gauge", "Since the modem last answered a command (since the daemon started when it never has).")
	e.sample("mifos_edge_modem_last_answer_age_seconds", "", max(now.Sub(lastAnswer(st, s.o.Metrics.startedAt(now))), 0).Seconds())
	e.family("mifos_edge_modem_reconnects_total", "counter", "Times the daemon reopened the modem since it started.")
	e.sample("mifos_edge_modem_reconnects_total", "", float64(st.Reconnects))
	if st.StorageTotal > 0 {
		e.family("mifos_edge_modem_storage_used", "gauge", "SMS held in the SIM/modem storage (the daemon empties it).")
		e.sample("mifos_edge_modem_storage_used", "", float64(st.StorageUsed))
		e.family("mifos_edge_modem_storage_capacity", "gauge", "SMS the SIM/modem storage holds at most.")
		e.sample("mifos_edge_modem_storage_capacity", "", float64(st.StorageTotal))
	}
}

func (s *scrape) fineract(e expo, now time.Time) {
	m := s.o.Metrics
	if m == nil || !m.fineract {
		return
	}
	l := m.linkSnapshot()
	if l.answered {
		e.family("mifos_edge_fineract_up", "gauge", "1 when the latest Fineract request got an answer about itself; 0 when none came or Fineract refused the box's setup. Absent before the first request ends.")
		e.sample("mifos_edge_fineract_up", "", bool01(l.up))
	}
	last := l.lastSuccess
	if last.IsZero() {
		last = m.started
	}
	e.family("mifos_edge_fineract_last_ok_age_seconds", "gauge", "Since Fineract last answered a request (since the daemon started when it never has).")
	e.sample("mifos_edge_fineract_last_ok_age_seconds", "", max(now.Sub(last), 0).Seconds())
	if s.o.Setup != nil {
		if checked, problems := s.o.Setup(); checked {
			e.family("mifos_edge_fineract_setup_problems", "gauge", "Failed checks of the last Fineract setup check (user, permissions, payment type, tenant).")
			e.sample("mifos_edge_fineract_setup_problems", "", float64(len(problems)))
		}
	}
}

// expo writes families of the text format with HELP and TYPE lines.
type expo struct{ b *bytes.Buffer }

func (e expo) family(name, typ, help string) {
	fmt.Fprintf(e.b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func (e expo) sample(name, labels string, v float64) {
	e.b.WriteString(name)
	e.b.WriteString(labels)
	e.b.WriteByte(' ')
	e.b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	e.b.WriteByte('\n')
}

// labels formats name/value pairs as {a="x",b="y"}.
func labels(kv ...string) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%s="%s"`, kv[i], escape(kv[i+1]))
	}
	b.WriteByte('}')
	return b.String()
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
